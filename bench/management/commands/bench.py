"""`pingan bench <name>`: benchmarks that print figures (they are not tests)."""

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

    def handle(self, *args, **options):
        if options["name"] == "locate":
            from bench.locate import run

            if options["grids"] < 1 or options["points"] < 20_000:
                raise CommandError(_("--grids must be ≥ 1 and --points ≥ 20000"))
            figures = run(options["grids"], options["points"], options["seed"],
                          say=self.stderr.write)
            self.stdout.write(
                f"points_per_s={figures['points_per_s']:.0f} "
                f"single_us={figures['single_us']:.1f} "
                f"naive_ratio={figures['naive_ratio']:.0f}"
            )
