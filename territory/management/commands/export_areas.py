"""`pingan export-areas`: write the area tree (or part of it) as GeoJSON."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from territory.choices import Level
from territory.models import Area
from territory.services import export_areas


class Command(BaseCommand):
    help = _("Export areas as a GeoJSON FeatureCollection (WGS-84 unless --crs).")

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help=_("file to write; standard output if absent"))
        parser.add_argument("--inside", default="", help=_("only areas inside this area code"))
        parser.add_argument("--level", choices=Level.values, help=_("only areas of this level"))
        parser.add_argument("--crs", default="WGS84", help=_("WGS84, GCJ02, BD09 or EPSG:nnnn"))

    def handle(self, *args, **options):
        inside = options["inside"]
        if inside and not Area.objects.filter(code=inside).exists():
            raise CommandError(_("--inside: no area has the code %s") % inside)
        try:
            data = export_areas(inside=inside, level=options["level"], crs=options["crs"])
        except ValueError as exc:
            raise CommandError(f"--crs: {exc}") from exc
        text = json.dumps(data, ensure_ascii=False)
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(
                _("Wrote %d areas to %s") % (len(data["features"]), options["output"])
            )
        else:
            sys.stdout.write(text + "\n")
