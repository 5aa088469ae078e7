"""Crowd safety pages: the live command board (namespace "crowd")."""

from django.urls import path

from crowd import views

app_name = "crowd"
urlpatterns = [
    path("", views.venue_list, name="board"),
    path("<slug:venue>/", views.board, name="board"),
    path("<slug:venue>/stream/", views.stream, name="stream"),
    path("<slug:venue>/alerts/<int:alert_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<slug:venue>/alerts/<int:alert_id>/dispatch/", views.dispatch, name="dispatch"),
    path("<slug:venue>/dispatches/<int:dispatch_id>/<slug:step>/", views.step, name="step"),
]
