"""Crowd safety pages: the live command board (namespace "crowd")."""

app_name = "crowd"
urlpatterns: list = []
