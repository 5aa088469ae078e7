"""`pingan eval-triage`: confusion matrix, accuracy, macro-F1 and per-message latency."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from triage import cli
from triage.model import TriageModelError


class Command(BaseCommand):
    help = _("Evaluate the triage model on labelled messages (CSV).")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--data", required=True, help=_("Labelled messages (CSV)."))
        parser.add_argument("--model", help=_("Model artifact; default: the configured one."))
        parser.add_argument(
            "--text-cols", help=_("Text columns, comma-separated; default: as trained.")
        )
        parser.add_argument("--label-col", help=_("Label column; default: as trained."))

    def handle(self, *args: Any, **opts: Any) -> None:
        cols = opts["text_cols"]
        try:
            cli.evaluate(
                opts["data"],
                model=opts["model"],
                text_cols=[c.strip() for c in cols.split(",") if c.strip()] if cols else None,
                label_col=opts["label_col"],
                stdout=self.stdout,
            )
        except (OSError, ValueError, TriageModelError) as exc:
            raise CommandError(str(exc)) from exc
