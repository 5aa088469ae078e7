"""Staff pages for cases (namespace "cases")."""

app_name = "cases"
urlpatterns: list = []
