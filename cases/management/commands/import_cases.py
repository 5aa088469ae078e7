"""`pingan import-cases FILE --format nyc311|xlsx`: check every row, then import all or nothing."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from cases.imports import FORMATS, CaseImportError, import_records, read_file
from territory.choices import Level
from territory.models import Area


class Command(BaseCommand):
    help = _("Import cases from another system's records (NYC 311 CSV or a 台账 ledger).")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("the file to import"))
        parser.add_argument(
            "--format",
            required=True,
            choices=FORMATS,
            help=_("nyc311: NYC 311 CSV export; xlsx: a ledger (台账)"),
        )
        parser.add_argument(
            "--district",
            default=settings.PINGAN_DISTRICT_CODE,
            help=_(
                "district the cases belong to (points outside every grid "
                "are flagged and go to its center)"
            ),
        )
        parser.add_argument(
            "--dry-run", action="store_true", help=_("check the file and report, write nothing")
        )
        parser.add_argument(
            "--actor",
            default="",
            help=_(
                "username recorded on the imported history (default: the system user pingan-import)"
            ),
        )
        parser.add_argument(
            "--timezone",
            default=None,
            help=_(
                "time zone of the file's times (default: America/New_York "
                "for nyc311, TIME_ZONE for xlsx)"
            ),
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("file: %s does not exist") % path)
        district = options["district"]
        if not Area.objects.filter(code=district, level=Level.DISTRICT).exists():
            raise CommandError(_("--district: no district %s is loaded") % district)
        if district != settings.PINGAN_DISTRICT_CODE:
            raise CommandError(
                _(
                    "--district: cases outside every grid go to PINGAN_DISTRICT_CODE (%(now)s); "
                    "set it to %(wanted)s to import into that district"
                )
                % {"now": settings.PINGAN_DISTRICT_CODE, "wanted": district}
            )
        actor = None
        if options["actor"]:
            actor = (
                get_user_model().objects.filter(username=options["actor"], is_active=True).first()
            )
            if actor is None:
                raise CommandError(_("--actor: no active user %s") % options["actor"])
        quiet = options["verbosity"] == 0
        try:
            records = read_file(path, options["format"], time_zone=options["timezone"])
            summary = import_records(
                records,
                actor=actor,
                dry_run=options["dry_run"],
                progress=lambda it: tqdm(it, desc=_("importing"), unit=_("cases"), disable=quiet),
            )
        except CaseImportError as exc:
            lines = [_("Nothing was imported; %d problem(s):") % exc.total]
            lines += [f"  {p}" for p in exc.problems]
            if exc.total > len(exc.problems):
                lines.append("  " + _("… and %d more") % (exc.total - len(exc.problems)))
            raise CommandError("\n".join(lines)) from exc
        statuses = ", ".join(f"{k}={v}" for k, v in sorted(summary.by_status.items()))
        if summary.dry_run:
            self.stdout.write(
                _(
                    "Checked %(n)d rows: all can be imported (%(statuses)s). "
                    "Nothing was written (--dry-run)."
                )
                % {"n": summary.rows, "statuses": statuses}
            )
            return
        places = ", ".join(f"{k}={v}" for k, v in sorted(summary.by_location.items()))
        self.stdout.write(
            _(
                "Imported %(created)d cases (%(existing)d were already there) from %(n)d rows: "
                "%(statuses)s; located: %(places)s."
            )
            % {
                "created": summary.created,
                "existing": summary.existing,
                "n": summary.rows,
                "statuses": statuses,
                "places": places or "-",
            }
        )
