"""`pingan worker`: the background loop — deadline sweep and outbox delivery."""

import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils.translation import gettext as _

from cases.notify import deliver_outbox
from cases.services import sweep_deadlines


class Command(BaseCommand):
    help = _("Sweep deadlines (due soon, overdue) and deliver notifications, in a loop.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help=_("run one round and exit"))
        parser.add_argument(
            "--interval", type=float, default=30.0, help=_("seconds between rounds")
        )

    def handle(self, *args, **options):
        stop = {"now": False}

        def request_stop(signum, frame):
            stop["now"] = True

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        while True:
            if not connection.in_atomic_block:  # (a test runs the loop inside one)
                # A long-lived loop must not hold a broken or pooled connection forever.
                close_old_connections()
            swept = sweep_deadlines()
            delivered = deliver_outbox()
            if options["verbosity"] or options["once"]:
                self.stdout.write(
                    _("deadlines: %(w)d due soon, %(o)d overdue; outbox: %(s)d sent, %(f)d failed")
                    % {
                        "w": swept["warning"],
                        "o": swept["overdue"],
                        "s": delivered["sent"],
                        "f": delivered["failed"],
                    }
                )
            if options["once"] or stop["now"]:
                return
            slept = 0.0
            while slept < options["interval"] and not stop["now"]:
                time.sleep(0.5)
                slept += 0.5
            if stop["now"]:
                return
