"""Django app configuration for crowd safety (no models yet; the board is added later)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrowdConfig(AppConfig):
    name = "crowd"
    verbose_name = _("crowd safety")
