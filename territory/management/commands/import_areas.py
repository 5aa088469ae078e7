"""`pingan import-areas FILE.geojson`: validate every area, then write all or nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from territory.services import DEFAULT_TOLERANCE, AreaImportError, import_areas, read_features


class Command(BaseCommand):
    help = _("Import areas (district, streets, communities, grids) from a GeoJSON file.")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("GeoJSON FeatureCollection; properties code, name"))
        parser.add_argument(
            "--crs",
            default="WGS84",
            help=_("coordinate system of the file: WGS84, GCJ02, BD09 or EPSG:nnnn"),
        )
        parser.add_argument(
            "--tolerance",
            type=float,
            default=DEFAULT_TOLERANCE,
            help=_("share of an area allowed outside its parent or over a sibling"),
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("file: %s does not exist") % path)
        try:
            features = read_features(path.read_text(encoding="utf-8"))
            result = import_areas(
                features,
                crs=options["crs"],
                tolerance=options["tolerance"],
                progress=lambda it: tqdm(
                    it, desc=_("validating"), unit=_("areas"), disable=options["verbosity"] == 0
                ),
            )
        except AreaImportError as exc:
            lines = [_("Nothing was imported; %d problem(s):") % len(exc.problems)]
            lines += [f"  {p}" for p in exc.problems]
            raise CommandError("\n".join(lines)) from exc
        levels = ", ".join(f"{k}={v}" for k, v in sorted(result.by_level.items()))
        self.stdout.write(
            _("Imported %(n)d areas (%(created)d new, %(updated)d updated): %(levels)s")
            % {
                "n": result.created + result.updated,
                "created": result.created,
                "updated": result.updated,
                "levels": levels,
            }
        )
