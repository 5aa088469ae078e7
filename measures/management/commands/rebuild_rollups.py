"""`pingan rebuild-rollups`: throw the case facts and rollups away and build them again from
the case events alone (the figures come out the same as the live ones)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


class Command(BaseCommand):
    help = _("Rebuild the measures' case facts and rollups from the case events.")

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, **options):
        from measures.rollups import rebuild

        figures = rebuild(using=options["database"], say=self.stderr.write)
        self.stdout.write(
            _("%(cases)d cases folded, %(rows)d rollup rows in %(s).1f s")
            % {
                "cases": figures["cases"],
                "rows": figures["rollup_rows"],
                "s": figures["facts_s"] + figures["rollups_s"],
            }
        )
