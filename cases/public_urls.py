"""Public pages for residents: report a problem, follow it, rate it (namespace "public")."""

app_name = "public"
urlpatterns: list = []
