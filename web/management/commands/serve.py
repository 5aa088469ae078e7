"""`pingan serve`: the ASGI app under uvicorn."""

import uvicorn
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = _("Serve Pingan over HTTP with uvicorn.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=1)

    def handle(self, *args, **options):
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(_("Serving Pingan on %s (Ctrl-C to stop)") % url)
        uvicorn.run(
            "pingan.asgi:application", host=options["host"], port=options["port"],
            workers=options["workers"], log_level="warning",
        )
