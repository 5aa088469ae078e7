"""Public pages for residents: report a problem, follow it, rate it (namespace "public")."""

from django.urls import path

from cases import public_views

app_name = "public"
urlpatterns = [
    path("", public_views.report, name="report"),
    path("received/", public_views.received, name="received"),
    path("track/", public_views.track, name="track"),
    path("track/rate/", public_views.rate, name="rate"),
]
