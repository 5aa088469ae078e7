"""`pingan crowd-validate`: check crowd density and flow against PedPy's JPSreport results."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from crowd.pedpy_validate import TOLERANCE, validate


def default_pedpy_dir() -> Path:
    # The shared data lives beside the repository: <repo>/../shared/data/pedpy.
    return Path(settings.BASE_DIR).parent / "shared" / "data" / "pedpy"


class Command(BaseCommand):
    help = _(
        "Compare the crowd module's classic density, N(t) and flow with PedPy's JPSreport "
        "reference results; fails when an error exceeds the tolerance."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--pedpy",
            type=Path,
            default=None,
            help=_("folder holding corner/ and bottleneck/ (default: ../shared/data/pedpy)"),
        )

    def handle(self, *args: object, **options: object) -> None:
        folder = options.get("pedpy") or default_pedpy_dir()
        assert isinstance(folder, Path)
        try:
            result = validate(folder)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        for line in result.details():
            self.stdout.write(line)
        self.stdout.write(result.summary_line())
        if not result.passed:
            raise CommandError(
                _("crowd validation failed: an error exceeds the tolerance %(tol)s")
                % {"tol": TOLERANCE}
            )
