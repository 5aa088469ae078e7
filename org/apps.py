from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = _("org")

    def ready(self) -> None:
        from org import reference

        reference.connect_signals()
