"""`pingan demo`: migrate, load the demo district, users and a year of cases, serve."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from org.demo import DEMO_PASSWORD, ensure_demo_org
from territory.choices import Level
from territory.demo import DEMO_DIVISION, ensure_demo_district
from territory.models import Area


class Command(BaseCommand):
    help = _("Set up the demo district and users (harmless to run twice), then serve it.")

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help=_("set up, do not serve"))
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-cases", action="store_true", help=_("do not generate the demo year of cases")
        )
        parser.add_argument(
            "--cases-scale",
            type=float,
            default=None,
            help=_(
                "share of a real district's yearly cases to generate "
                "(default 1/100, about 1,250 cases)"
            ),
        )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=0)
        result = ensure_demo_district(
            progress=lambda it: tqdm(
                it, desc=_("demo district"), unit=_("areas"), disable=verbosity == 0
            )
        )
        district = Area.objects.get(code=DEMO_DIVISION)
        counts = {
            level: Area.objects.inside(district.code).filter(level=level).count()
            for level in (Level.STREET, Level.COMMUNITY, Level.GRID)
        }
        state = _("loaded") if result else _("already present")
        self.stdout.write(
            _(
                "Demo district %(name)s (%(code)s) %(state)s: %(s)d streets, %(c)d communities, "
                "%(g)d grids."
            )
            % {
                "name": district.name,
                "code": district.code,
                "state": state,
                "s": counts[Level.STREET],
                "c": counts[Level.COMMUNITY],
                "g": counts[Level.GRID],
            }
        )
        logins = ensure_demo_org(district)
        self.stdout.write(_("Demo logins (password for all: %s):") % DEMO_PASSWORD)
        for login in logins:
            self.stdout.write(f"  {login.username:<11} {login.role} · {login.unit} · {login.scope}")
        if not options["no_cases"]:
            self._demo_cases(options["cases_scale"], verbosity)
        if not options["no_serve"]:
            call_command("serve", host=options["host"], port=options["port"])

    def _demo_cases(self, scale: float | None, verbosity: int) -> None:
        from cases.demo_data import DEFAULT_SCALE, generate_demo_cases

        scale = scale or DEFAULT_SCALE
        if not 0 < scale <= 1:
            raise CommandError(_("--cases-scale must lie in (0, 1]"))
        summary = generate_demo_cases(
            scale=scale,
            progress=lambda it, n: tqdm(
                it, total=n, desc=_("demo cases"), unit=_("events"), disable=verbosity == 0
            ),
        )
        if summary.skipped:
            self.stdout.write(_("Demo cases already present: %d cases.") % summary.cases)
            return
        statuses = ", ".join(f"{k}={v}" for k, v in sorted(summary.by_status.items()))
        self.stdout.write(
            _(
                "Demo cases: %(n)d cases and %(events)d events in %(s).0f s — a year of a "
                "district like Yuzhong at 1/%(inv).0f (%(statuses)s; %(overdue)d overdue, "
                "%(reopened)d reopened, %(escalated)d escalated, %(supervised)d supervised)."
            )
            % {
                "n": summary.cases,
                "events": summary.events,
                "s": summary.seconds,
                "inv": 1 / scale,
                "statuses": statuses,
                "overdue": summary.overdue,
                "reopened": summary.reopened,
                "escalated": summary.escalated,
                "supervised": summary.supervised,
            }
        )
