"""Pages of the measures (namespace "measures")."""

from django.urls import path

from measures import views

app_name = "measures"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("wall/", views.wall, name="wall"),
    path("cases/", views.figure_cases, name="cases"),
    path("scorecard/", views.scorecard_page, name="scorecard"),
    path("scorecard/export.xlsx", views.scorecard_xlsx, name="scorecard-xlsx"),
    path("scorecard/export.pdf", views.scorecard_pdf, name="scorecard-pdf"),
    path("hotspots/", views.hotspots_page, name="hotspots"),
]
