"""Django app configuration for triage (category proposal and similar cases; no models)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "triage"
    verbose_name = _("triage")
