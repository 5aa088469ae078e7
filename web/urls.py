"""Server-rendered pages."""

from django.urls import path

from web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("map/", views.territory_map, name="map"),
    path("map/areas/<str:code>/", views.area_children, name="area-children"),
]
