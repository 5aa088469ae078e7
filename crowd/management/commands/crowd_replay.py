"""`pingan crowd-replay nye`: New Year's Eve over the demo district, on the live board."""

import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.translation import gettext as _

from org.demo import DEMO_PASSWORD, ensure_demo_org
from territory.demo import DEMO_DIVISION, ensure_demo_district
from territory.models import Area


class Command(BaseCommand):
    help = _(
        "Replay New Year's Eve (19:00–01:00, compressed) over the demo venue and serve "
        "its live board."
    )

    def add_arguments(self, parser):
        parser.add_argument("scenario", choices=["nye"])
        parser.add_argument(
            "--minutes",
            type=float,
            default=6.0,
            help=_("wall-clock minutes for the whole evening (default 6)"),
        )
        parser.add_argument(
            "--speed",
            type=float,
            default=1.0,
            help=_("multiplies the pace; 0: as fast as possible"),
        )
        parser.add_argument("--from", dest="start", default="19:00", help=_("start, HH:MM"))
        parser.add_argument("--to", dest="end", default="01:00", help=_("end, HH:MM"))
        parser.add_argument(
            "--tick",
            type=float,
            default=5.0,
            help=_("seconds of the evening per batch of readings"),
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help=_("replay only; boards of another process see it through Redis"),
        )
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, **options):
        from crowd import replay
        from crowd.demo import VENUE_CODE
        from crowd.errors import CrowdError

        if options["minutes"] <= 0 or options["speed"] < 0 or options["tick"] <= 0:
            raise CommandError(_("--minutes and --tick must be positive, --speed at least 0"))
        try:
            start, end = replay.hours(options["start"]), replay.hours(options["end"])
        except ValueError as exc:
            raise CommandError(_("--from and --to take HH:MM between 19:00 and 01:00")) from exc
        if not 0 <= start < end <= replay.EVENING_HOURS:
            raise CommandError(_("--from and --to take HH:MM between 19:00 and 01:00"))
        ensure_demo_district()
        ensure_demo_org(Area.objects.get(code=DEMO_DIVISION))

        def play():
            try:
                summary = replay.run(
                    minutes=options["minutes"],
                    speed=options["speed"],
                    start=options["start"],
                    end=options["end"],
                    tick_s=options["tick"],
                    seed=options["seed"],
                    say=self.stdout.write,
                )
                kinds = ", ".join(f"{k} {n}" for k, n in sorted(summary.alerts.items()))
                self.stdout.write(
                    _(
                        "Replayed %(ticks)d batches, %(readings)d readings in %(wall).0f s; peak "
                        "%(peak)s people at %(at)s; alerts: %(kinds)s; cases: %(cases)s"
                    )
                    % {
                        "ticks": summary.ticks,
                        "readings": summary.readings,
                        "wall": summary.wall_s,
                        "peak": f"{summary.peak_people:,}",
                        "at": summary.peak_at,
                        "kinds": kinds or "-",
                        "cases": ", ".join(summary.cases) or "-",
                    }
                )
            except CrowdError as exc:
                self.stderr.write(_("Replay stopped: %s") % exc.message)
            finally:
                connection.close()  # this thread's own connection

        if options["no_serve"]:
            play()
            return
        url = f"http://{options['host']}:{options['port']}/crowd/{VENUE_CODE}/"
        self.stdout.write(
            _("Board: %(url)s (login crowd / %(password)s; wall display: add ?wall=1)")
            % {"url": url, "password": DEMO_PASSWORD}
        )
        threading.Thread(target=play, name="crowd-replay", daemon=True).start()
        from django.core.management import call_command

        call_command("serve", host=options["host"], port=options["port"])
