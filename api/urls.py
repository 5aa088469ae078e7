"""/api/v1/: the REST API (django-ninja). Routers are added in api/main.py."""

urlpatterns: list = []
