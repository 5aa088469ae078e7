"""The audit trail's pages."""

from django.urls import path

from org import views

app_name = "org"
urlpatterns = [
    path("", views.audit, name="audit"),
    path("export.xlsx", views.audit_export, name="audit-export"),
]
