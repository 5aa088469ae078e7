"""Staff pages for cases (namespace "cases")."""

from django.urls import path

from cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("inbox/", views.inbox, name="inbox"),
    path("export.xlsx", views.export, name="export"),
    path("new/", views.new, name="new"),
    path("new/propose/", views.propose, name="propose"),
    path("new/locate/", views.locate, name="locate"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/act/<str:action>/", views.act, name="act"),
    path("<str:number>/reveal/<int:party_id>/", views.reveal, name="reveal"),
]
