"""/open311/v2/: Open311 GeoReport v2."""

urlpatterns: list = []
