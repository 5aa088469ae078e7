"""`pingan create-token`: issue, list and revoke per-integration API tokens."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from api.models import ApiToken


class Command(BaseCommand):
    help = _("Issue an API token for an integration (printed once), list tokens or revoke one.")

    def add_arguments(self, parser):
        parser.add_argument("--user", help=_("the login the token acts as (its scope applies)"))
        parser.add_argument("--name", help=_("the integration's name, e.g. hotline-gateway"))
        parser.add_argument("--list", action="store_true", help=_("list tokens"))
        parser.add_argument(
            "--revoke",
            metavar="PREFIX",
            help=_("revoke the active token with this prefix (pa_xxxxx)"),
        )

    def handle(self, *args, **options):
        if options["list"]:
            return self.list_tokens()
        if options["revoke"]:
            return self.revoke(options["revoke"])
        if not options["user"] or not options["name"]:
            raise CommandError(_("give --user and --name (or --list, or --revoke PREFIX)"))
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(_("--user: no active login %s") % options["user"])
        name = options["name"].strip()
        if not name or len(name) > 100:
            raise CommandError(_("--name: 1 to 100 characters"))
        token, raw = ApiToken.issue(name=name, user=user)
        self.stderr.write(
            _(
                "Token %(prefix)s… for %(name)s acts as %(user)s. It is shown "
                "only now; keep it secret."
            )
            % {"prefix": token.prefix, "name": name, "user": user.get_username()}
        )
        self.stdout.write(raw)

    def list_tokens(self):
        rows = ApiToken.objects.select_related("user").order_by("created_at")
        self.stdout.write(
            "\t".join(
                [
                    _("prefix"),
                    _("integration"),
                    _("acts as"),
                    _("active"),
                    _("created at"),
                    _("last used"),
                ]
            )
        )
        for t in rows:
            self.stdout.write(
                "\t".join(
                    [
                        t.prefix,
                        t.name,
                        t.user.get_username(),
                        _("yes") if t.is_active else _("no"),
                        f"{t.created_at:%Y-%m-%d %H:%M}",
                        f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "—",
                    ]
                )
            )

    def revoke(self, prefix: str):
        found = list(ApiToken.objects.filter(prefix__startswith=prefix, is_active=True))
        if not found:
            raise CommandError(_("--revoke: no active token starts with %s") % prefix)
        if len(found) > 1:
            raise CommandError(
                _("--revoke: %(n)d active tokens start with %(prefix)s: %(names)s")
                % {"n": len(found), "prefix": prefix, "names": ", ".join(str(t) for t in found)}
            )
        token = found[0]
        token.revoke()
        self.stdout.write(_("Revoked %s") % token)
