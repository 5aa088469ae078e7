"""`pingan bench <name>`: benchmarks that print figures (they are not tests)."""

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = _("Run a benchmark and print its figures; the last line is machine-readable.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="name", required=True)
        locate = sub.add_parser("locate", help=_("point → grid lookups on a synthetic city"))
        locate.add_argument("--grids", type=int, default=86_000)
        locate.add_argument("--points", type=int, default=1_000_000)
        locate.add_argument("--seed", type=int, default=86)
        dash = sub.add_parser(
            "dashboard",
            help=_("the dashboard from rollups against a plain GROUP BY, on PostgreSQL"),
        )
        dash.add_argument("--cases", type=int, default=10_000_000)
        dash.add_argument("--grids", type=int, default=86_000)
        dash.add_argument("--seed", type=int, default=2026)
        dash.add_argument(
            "--db",
            default="",
            help=_(
                "PostgreSQL URL of the bench database (created if missing; default "
                "postgresql://postgres@127.0.0.1:5432/pingan_bench)"
            ),
        )
        dash.add_argument("--samples", type=int, default=100)
        dash.add_argument("--naive-samples", type=int, default=40)
        dash.add_argument(
            "--reuse",
            action="store_true",
            help=_("keep the cases already generated when their number matches"),
        )
        intake = sub.add_parser(
            "intake",
            help=_(
                "intake over HTTP through the whole pipeline on PostgreSQL, against a bare insert"
            ),
        )
        intake.add_argument(
            "--database-url",
            default="",
            help=_(
                "PostgreSQL URL of the bench database (created if missing; default "
                "postgresql://postgres@127.0.0.1:5432/pingan_bench_intake)"
            ),
        )
        intake.add_argument(
            "--requests", type=int, default=2000, help=_("requests in each closed-loop run")
        )
        intake.add_argument(
            "--concurrency",
            type=int,
            default=16,
            help=_("requests in flight in the closed-loop runs"),
        )
        intake.add_argument(
            "--rounds",
            type=int,
            default=2,
            help=_("turns of pipeline and bare insert (the best of each counts)"),
        )
        intake.add_argument(
            "--rate", type=float, default=100.0, help=_("requests per second of the latency run")
        )
        intake.add_argument(
            "--seconds", type=float, default=20.0, help=_("length of the latency run")
        )
        intake.add_argument("--workers", type=int, default=2, help=_("server processes"))
        intake.add_argument("--threads", type=int, default=8, help=_("threads per server process"))
        intake.add_argument("--port", type=int, default=0)
        intake.add_argument("--seed", type=int, default=311)
        intake.add_argument(
            "--profile",
            type=int,
            default=0,
            metavar="N",
            help=_("afterwards, profile N intakes in one process and say where the time goes"),
        )
        crash = sub.add_parser(
            "crash",
            help=_(
                "intakes and actions over HTTP on PostgreSQL, the server killed with SIGKILL "
                "mid-run and restarted: is every acknowledged write there, whole?"
            ),
        )
        crash.add_argument(
            "--database-url",
            default="",
            help=_(
                "PostgreSQL URL of the bench database (created if missing; default "
                "postgresql://postgres@127.0.0.1:5432/pingan_bench_crash)"
            ),
        )
        crash.add_argument("--intakes", type=int, default=2000, help=_("intakes in all"))
        crash.add_argument("--threads", type=int, default=4, help=_("client threads"))
        crash.add_argument(
            "--kills", type=int, default=2, help=_("times the server is killed during the load")
        )
        crash.add_argument(
            "--actions",
            type=float,
            default=0.5,
            help=_("share of the acknowledged cases a dispatcher then acts on"),
        )
        crash.add_argument("--workers", type=int, default=2, help=_("server processes"))
        crash.add_argument(
            "--server-threads", type=int, default=4, help=_("threads per server process")
        )
        crash.add_argument("--port", type=int, default=0)
        crash.add_argument("--seed", type=int, default=12)
        crowd = sub.add_parser("crowd", help=_("crowd readings to alerts on the live stream"))
        crowd.add_argument("--zones", type=int, default=500)
        crowd.add_argument("--positions", type=int, default=200_000)
        crowd.add_argument("--seconds", type=int, default=30, help=_("paced run, data seconds"))
        crowd.add_argument("--seed", type=int, default=500)
        crowd.add_argument(
            "--database-url",
            default="",
            help=_(
                "database of the end-to-end run (PostgreSQL: created if missing); default a "
                "temporary SQLite file, removed afterwards"
            ),
        )

    def handle(self, *args, **options):
        if options["name"] == "dashboard":
            from bench.dashboard import DEFAULT_URL, run

            if options["cases"] < 1000 or options["grids"] < 10 or options["samples"] < 10:
                raise CommandError(_("--cases must be ≥ 1000, --grids ≥ 10, --samples ≥ 10"))
            figures = run(
                cases=options["cases"],
                grids=options["grids"],
                seed=options["seed"],
                url=options["db"] or DEFAULT_URL,
                samples=options["samples"],
                naive_samples=options["naive_samples"],
                reuse=options["reuse"],
                say=self.stderr.write,
            )
            self.stdout.write(
                f"p95_ms={figures['p95_ms']:.1f} naive_ms={figures['naive_p95_ms']:.0f} "
                f"speedup={figures['naive_p95_ms'] / figures['p95_ms']:.0f}"
            )
            return
        if options["name"] == "intake":
            from bench.intake import DEFAULT_URL
            from bench.intake import run as run_intake

            if (
                options["requests"] < 100
                or options["concurrency"] < 1
                or options["rate"] <= 0
                or options["seconds"] < 1
                or options["workers"] < 1
                or options["rounds"] < 1
                or options["threads"] < 1
            ):
                raise CommandError(
                    _(
                        "--requests must be ≥ 100, --concurrency, --workers, "
                        "--threads, --rounds ≥ 1, --rate > 0 and --seconds ≥ 1"
                    )
                )
            figures = run_intake(
                url=options["database_url"] or DEFAULT_URL,
                requests=options["requests"],
                concurrency=options["concurrency"],
                rate=options["rate"],
                seconds=options["seconds"],
                workers=options["workers"],
                port=options["port"],
                seed=options["seed"],
                profile_requests=options["profile"],
                rounds=options["rounds"],
                threads=options["threads"],
                say=self.stderr.write,
            )
            self.stdout.write(
                f"cases_per_s={figures['cases_per_s']:.0f} p99_ms={figures['p99_ms']:.0f} "
                f"bare_ratio={figures['bare_ratio']:.2f}"
            )
            return
        if options["name"] == "crash":
            from bench.crash import DEFAULT_URL, last_line, passed
            from bench.crash import run as run_crash

            if (
                options["intakes"] < 10
                or options["threads"] < 1
                or options["kills"] < 1
                or not 0 <= options["actions"] <= 1
                or options["workers"] < 1
                or options["server_threads"] < 1
            ):
                raise CommandError(
                    _(
                        "--intakes must be ≥ 10, --threads, --kills, --workers "
                        "and --server-threads ≥ 1, --actions between 0 and 1"
                    )
                )
            figures = run_crash(
                url=options["database_url"] or DEFAULT_URL,
                intakes=options["intakes"],
                threads=options["threads"],
                kills=options["kills"],
                action_share=options["actions"],
                workers=options["workers"],
                server_threads=options["server_threads"],
                port=options["port"],
                seed=options["seed"],
                say=self.stderr.write,
            )
            self.stdout.write(last_line(figures))
            if not passed(figures):
                sys.exit(1)
            return
        if options["name"] == "locate":
            from bench.locate import run

            if options["grids"] < 1 or options["points"] < 20_000:
                raise CommandError(_("--grids must be ≥ 1 and --points ≥ 20000"))
            figures = run(
                options["grids"], options["points"], options["seed"], say=self.stderr.write
            )
            self.stdout.write(
                f"points_per_s={figures['points_per_s']:.0f} "
                f"single_us={figures['single_us']:.1f} "
                f"naive_ratio={figures['naive_ratio']:.0f}"
            )
        elif options["name"] == "crowd":
            from bench.crowd import run as run_crowd

            if options["zones"] < 10 or options["positions"] < 0 or options["seconds"] < 10:
                raise CommandError(_("--zones must be ≥ 10, --positions ≥ 0, --seconds ≥ 10"))
            figures = run_crowd(
                options["zones"],
                options["positions"],
                options["seconds"],
                options["seed"],
                say=self.stderr.write,
                database_url=options["database_url"],
            )
            self.stdout.write(
                f"readings_per_s={figures['readings_per_s']:.0f} "
                f"p99_alert_latency_ms={figures['p99_alert_latency_ms']:.0f} "
                f"positions_per_s={figures['positions_per_s']:.0f}"
            )
