"""`pingan export-triage-data`: the district's own labelled cases, for `pingan train-triage`.

A deployment trains on its own history: every case whose category a person chose or
confirmed (a correction at intake, or a case worked to its end) becomes a row
`title,detail,category` (the category's top-level name, as the model proposes names).
Phones, ID numbers, e-mails and names are scrubbed out of the text and no cell can become a
formula when the file is opened in a spreadsheet (pingan.redact)."""

import csv
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cases.choices import Status
from cases.models import Case, Category, TrainingExample
from pingan.redact import neutralise_row, scrub


def top_name(category: Category, names: dict[int, tuple[str, int | None]]) -> str:
    name, parent = names[category.pk]
    while parent is not None:
        name, parent = names[parent]
    return name


class Command(BaseCommand):
    help = _("Write the labelled cases (title, detail, category) as CSV for train-triage.")

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, help=_("CSV file to write"))
        parser.add_argument("--case-type", help=_("only cases of this type (code)"))

    def handle(self, *args, **options):
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise CommandError(_("--out: folder %s does not exist") % out.parent)
        names = {c.pk: (c.name, c.parent_id) for c in Category.objects.all()}
        rows: dict[int, tuple[str, str, str]] = {}
        finished = Case.objects.filter(
            category__isnull=False, status__in=[Status.RESOLVED, Status.CLOSED]
        )
        corrected = TrainingExample.objects.select_related("case", "chosen")
        if options["case_type"]:
            finished = finished.filter(case_type__code=options["case_type"])
            corrected = corrected.filter(case__case_type__code=options["case_type"])
        for case in finished.select_related("category").iterator(chunk_size=2000):
            rows[case.pk] = (case.title, case.text, top_name(case.category, names))
        for example in corrected.order_by("at"):  # the latest correction wins
            rows[example.case_id] = (example.title, example.text, top_name(example.chosen, names))
        with out.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["title", "detail", "category"])
            writer.writerows(
                neutralise_row([scrub(title), scrub(detail), category])
                for title, detail, category in (rows[k] for k in sorted(rows))
            )
        self.stdout.write(
            _("Wrote %(n)d labelled cases to %(path)s") % {"n": len(rows), "path": out}
        )
