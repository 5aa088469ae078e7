"""The case list as an Excel workbook: the same filtered rows as the page, no personal data.

Parties (names, phones, ID numbers) are never exported, masked or not, and neither is the
free-text description, which residents often fill with exactly that; the title and address
are scrubbed (pingan.redact). Every text cell is neutralised: never a formula, never a
control character openpyxl would refuse.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from cases.models import Case
from pingan.redact import neutralise, scrub
from territory.models import Area

DATE_FORMAT = "yyyy-mm-dd hh:mm"


def columns() -> list[tuple[str, int]]:
    """(header, width) in the active language."""
    return [
        (_("Number"), 20),
        (_("Received at"), 17),
        (_("Case type"), 10),
        (_("Category"), 14),
        (_("Title"), 40),
        (_("Address"), 28),
        (_("Grid"), 17),
        (_("Community"), 14),
        (_("Street"), 14),
        (_("Channel"), 12),
        (_("Priority"), 8),
        (_("Status"), 10),
        (_("Owning unit"), 22),
        (_("Due at"), 17),
        (_("Deadline"), 10),
        (_("Resolved at"), 17),
        (_("Closed at"), 17),
        (_("Rating"), 12),
    ]


def _local(value: datetime | None) -> datetime | None:
    # Excel has no time zones: write the local wall-clock time the page shows.
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def area_names(codes: Iterable[str]) -> dict[str, str]:
    wanted = set()
    for code in codes:
        wanted.update(code[:n] for n in (9, 12, 15) if len(code) >= n)
    return dict(Area.objects.filter(code__in=wanted).values_list("code", "name"))


def rows(cases: QuerySet[Case]) -> Iterable[list]:
    cases = cases.select_related("case_type", "category", "owner_unit").order_by(
        "-received_at", "-id"
    )
    codes = set(cases.values_list("area_code", flat=True).distinct())
    names = area_names(codes)
    for c in cases.iterator(chunk_size=2000):
        code = c.grid_code or c.area_code
        yield [
            c.number,
            _local(c.received_at),
            c.case_type.name,
            c.category.name if c.category else "",
            scrub(c.title),
            scrub(c.address),
            f"{c.grid_code} {names.get(c.grid_code, '')}".strip() if c.grid_code else "",
            names.get(code[:12], "") if len(code) >= 12 else "",
            names.get(code[:9], "") if len(code) >= 9 else "",
            c.get_channel_display(),
            c.get_priority_display(),
            c.get_status_display(),
            c.owner_unit.name if c.owner_unit else "",
            _local(c.due_at),
            c.get_deadline_state_display() if c.due_at else "",
            _local(c.resolved_at),
            _local(c.closed_at),
            c.get_rating_display() if c.rating else "",
        ]


def cases_workbook(cases: QuerySet[Case]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Cases"))
    cols = columns()
    for i, (_header, width) in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="EDF2F7")
    header = []
    for title, _width in cols:
        cell = WriteOnlyCell(ws, value=neutralise(title))
        cell.font, cell.fill = header_font, header_fill
        cell.alignment = Alignment(vertical="center")
        header.append(cell)
    ws.append(header)
    for values in rows(cases):
        out = []
        for value in values:
            if isinstance(value, datetime):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = DATE_FORMAT
                out.append(cell)
            else:
                out.append(neutralise(value))
        ws.append(out)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}1"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
