"""`pingan serve`: gunicorn's threaded workers on the WSGI app, or uvicorn on the ASGI app.

The default is WSGI (docs/decisions/003-intake-group-commit.md): our views and the ORM are
synchronous, and under ASGI Django runs every synchronous view of a process on one thread
and pays a hand-over per request — `pingan bench intake` measured a bare insert at 235/s
under uvicorn against 436/s under gunicorn's threads on the same two cores. `--asgi` keeps
uvicorn for a site whose crowd boards hold many live streams open (under WSGI each open
stream occupies a thread until it ends, at most 10 minutes, and its browser reconnects).
"""

import os

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = _("Serve Pingan over HTTP (gunicorn's threaded workers, or uvicorn with --asgi).")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers", type=int, default=0, help=_("processes (default: one per CPU core)")
        )
        parser.add_argument("--threads", type=int, default=8, help=_("threads per process (WSGI)"))
        parser.add_argument(
            "--asgi", action="store_true", help=_("serve the ASGI app with uvicorn instead")
        )

    def handle(self, *args, **options):
        workers = options["workers"] or os.cpu_count() or 1
        if workers < 1 or options["threads"] < 1:
            raise CommandError(_("--workers and --threads must be at least 1"))
        _pool_for(options["threads"])
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(_("Serving Pingan on %s (Ctrl-C to stop)") % url)
        if options["asgi"]:
            import uvicorn

            uvicorn.run(
                "pingan.asgi:application",
                host=options["host"],
                port=options["port"],
                workers=workers,
                log_level="warning",
            )
            return
        _Gunicorn(
            {
                "bind": f"{options['host']}:{options['port']}",
                "workers": workers,
                "worker_class": "gthread",
                "threads": options["threads"],
                "keepalive": 5,
                # A worker loads intake's data before it reports alive (`_warm_up`): seconds on
                # a slow disk, more than gunicorn's default 30 s with many workers starting.
                "timeout": 120,
                "loglevel": "warning",
            }
        ).run()


def _pool_for(threads: int) -> None:
    """Each server thread may hold a database connection (an intake's group commit keeps
    the waiting ones): a PostgreSQL pool smaller than the threads would starve them."""
    from django.conf import settings

    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    if isinstance(pool, dict) and pool.get("max_size", 0) < threads + 2:
        pool["max_size"] = threads + 2  # the workers make their pools after this, at fork


def _gunicorn_base():
    from gunicorn.app.base import BaseApplication

    return BaseApplication


class _Gunicorn(_gunicorn_base()):
    """gunicorn run from inside `pingan` (its documented custom-application pattern)."""

    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):  # in each worker process, before it takes requests
        from pingan.wsgi import application

        _warm_up()
        return application


def _warm_up() -> None:
    """Intake's in-memory data loaded now rather than by the first requests; a database
    not reachable yet is not fatal here (requests will load it, or report the error)."""
    import logging

    from django.db import connections

    from cases.services import warm_up

    try:
        warm_up()
    except Exception:  # noqa: BLE001 — the server must start regardless
        logging.getLogger(__name__).warning("warm-up failed; loading on first use", exc_info=True)
    finally:
        connections.close_all()  # the worker's threads take their own
