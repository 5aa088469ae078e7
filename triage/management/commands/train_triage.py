"""`pingan train-triage`: train the category model and write its versioned artifact."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from triage import cli


class Command(BaseCommand):
    help = _("Train the triage model on labelled messages (CSV) and write a versioned artifact.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--data", required=True, help=_("Labelled messages (CSV)."))
        parser.add_argument(
            "--text-cols",
            default="title,detail",
            help=_("Text columns, comma-separated; the first is the title."),
        )
        parser.add_argument("--label-col", default="category", help=_("Label column."))
        parser.add_argument(
            "--unlabelled",
            nargs="*",
            default=[],
            help=_("Unlabelled messages (CSV) whose text informs the term weights."),
        )
        parser.add_argument("--dev", help=_("Labelled messages to score the model on (CSV)."))
        parser.add_argument(
            "--taxonomy",
            help=_(
                "Category catalogue CSV (level1, level2, level3); default: taxonomy.csv "
                "beside --data, if present."
            ),
        )
        parser.add_argument(
            "--no-taxonomy", action="store_true", help=_("Do not use a category catalogue.")
        )
        parser.add_argument(
            "--cv", type=int, default=0, help=_("Also report k-fold cross-validation on --data.")
        )
        parser.add_argument("--out", help=_("Where to write the model artifact."))

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            cli.train(
                opts["data"],
                text_cols=[c.strip() for c in opts["text_cols"].split(",") if c.strip()],
                label_col=opts["label_col"],
                unlabelled=opts["unlabelled"],
                out=opts["out"],
                dev=opts["dev"],
                taxonomy=opts["taxonomy"],
                use_taxonomy=not opts["no_taxonomy"],
                cv_folds=opts["cv"],
                stdout=self.stdout,
            )
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
