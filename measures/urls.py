"""Pages of the measures (namespace "measures")."""

app_name = "measures"
urlpatterns: list = []
