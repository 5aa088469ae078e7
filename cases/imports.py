"""Bulk import of other systems' case records (NYC 311 CSV, a 台账 ledger in Excel).

Reading and writing are two steps. A reader parses and checks every row first and raises
`CaseImportError` listing each problem by row and column, so a bad file writes nothing.
`import_records` then brings each record in through `cases.services` — `intake_case` with
channel "import" and the file's received time, then one service call per transition with
`at=` the file's times — all in one transaction: a row the services refuse rolls back the
whole import and is reported by its row number.

Imported history is written by a system user, `pingan-import` (no password, so nobody can
log in as it; a superuser, because one import acts for every unit of the district). Pass
another `actor` to put a real person's name on the history instead.
"""

from __future__ import annotations

import csv
import io
import math
import random
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import services
from cases.choices import Channel, FeedbackMethod, Priority, Rating, Status
from cases.errors import CaseError, IdempotencyConflict
from cases.models import Case, CaseType, Category

FORMATS = ("nyc311", "xlsx")
IMPORT_USERNAME = "pingan-import"
CONTACT_FAILED = "contact_failed"  # a record's "rating" when the resident was not reached
MAX_REPORTED = 50  # problems listed in an error; the count says how many more there were

# -- NYC 311 ---------------------------------------------------------------------------------
NYC_TIME_FORMAT = "%m/%d/%Y %I:%M:%S %p"
NYC_TIME_ZONE = "America/New_York"
NYC_COLUMNS = (
    "Unique Key",
    "Created Date",
    "Closed Date",
    "Complaint Type",
    "Descriptor",
    "Status",
    "Due Date",
    "Latitude",
    "Longitude",
)

# NYC 311 status → ours. NYC's "Pending" and "Email Sent" mean the agency has the request
# but has not assigned it; "Started" is NYC's older name for "In Progress".
NYC_STATUS = {
    "Open": Status.RECEIVED,
    "Pending": Status.ACCEPTED,
    "Email Sent": Status.ACCEPTED,
    "Assigned": Status.ASSIGNED,
    "Started": Status.IN_PROGRESS,
    "In Progress": Status.IN_PROGRESS,
    "Closed": Status.CLOSED,
}

# The most frequent NYC complaint types (they make up ~85% of the 1,000-row sample) → our
# catalogue. HPD's housing-condition complaints are a tenant's request about the upkeep of
# the building (物业管理); street defects that can hurt someone are road hazards.
CATCH_ALL_CATEGORY = "request-other"
CATCH_ALL_NAME = "其他诉求"
NYC_CATEGORIES = {
    "Illegal Parking": "request-traffic",
    "Blocked Driveway": "request-traffic",
    "Derelict Vehicle": "request-traffic",
    "Derelict Vehicles": "request-traffic",
    "Broken Parking Meter": "request-traffic",
    "Noise": "request-env-noise",
    "Noise - Residential": "request-env-noise",
    "Noise - Street/Sidewalk": "request-env-noise",
    "Noise - Commercial": "request-env-noise",
    "Noise - Vehicle": "request-env-noise",
    "Noise - Park": "request-env-noise",
    "Noise - Helicopter": "request-env-noise",
    "Request Large Bulky Item Collection": "request-env-waste",
    "Missed Collection (All Materials)": "request-env-waste",
    "Sanitation Condition": "request-env-waste",
    "Dirty Conditions": "request-env-waste",
    "Electronics Waste Appointment": "request-env-waste",
    "Air Quality": "request-env-air",
    "Street Light Condition": "request-urban-works",
    "Water System": "request-urban-works",
    "Sewer": "request-urban-works",
    "Maintenance or Facility": "request-urban-works",
    "Street Condition": "hazard-road",
    "Traffic Signal Condition": "hazard-road",
    "Sidewalk Condition": "hazard-road",
    "Damaged Tree": "hazard-falling",
    "HEAT/HOT WATER": "request-urban-property",
    "UNSANITARY CONDITION": "request-urban-property",
    "PAINT/PLASTER": "request-urban-property",
    "DOOR/WINDOW": "request-urban-property",
    "WATER LEAK": "request-urban-property",
    "PLUMBING": "request-urban-property",
    "ELECTRIC": "request-urban-property",
    "FLOORING/STAIRS": "request-urban-property",
    "GENERAL": "request-urban-property",
    "APPLIANCE": "request-urban-property",
    "General Construction/Plumbing": "request-urban",
    "Building/Use": "request-urban",
    "Graffiti": "request-urban",
    "Benefit Card Replacement": "request-labour",
    "Consumer Complaint": "request-trade",
    "Lead": "request-health",
    "Rodent": "request-health",
    "Food Establishment": "request-health",
    "Food Poisoning": "request-health",
}

# -- the ledger (台账) ------------------------------------------------------------------------
# (key, Chinese header, English header, required)
LEDGER_COLUMNS = [
    ("number", "编号", "number", True),
    ("received_at", "受理时间", "received_at", True),
    ("case_type", "类型", "case_type", False),
    ("category", "类别", "category", False),
    ("title", "标题", "title", True),
    ("text", "内容", "text", False),
    ("address", "地址", "address", False),
    ("lon", "经度", "lon", False),
    ("lat", "纬度", "lat", False),
    ("channel", "渠道", "channel", False),
    ("priority", "紧急程度", "priority", False),
    ("status", "状态", "status", True),
    ("due_at", "截止时间", "due_at", False),
    ("closed_at", "办结时间", "closed_at", False),
    ("result", "办理结果", "result", False),
    ("rating", "满意度", "rating", False),
]
LEDGER_STATUS = {
    "待受理": Status.RECEIVED,
    "已受理": Status.ACCEPTED,
    "已派遣": Status.ASSIGNED,
    "已交办": Status.ASSIGNED,
    "处置中": Status.IN_PROGRESS,
    "办理中": Status.IN_PROGRESS,
    "已办理": Status.RESOLVED,
    "待回访": Status.RESOLVED,
    "已办结": Status.CLOSED,
    "办结": Status.CLOSED,
    "不予受理": Status.REJECTED,
    **{
        s: s
        for s in (
            Status.RECEIVED,
            Status.ACCEPTED,
            Status.ASSIGNED,
            Status.IN_PROGRESS,
            Status.RESOLVED,
            Status.CLOSED,
            Status.REJECTED,
        )
    },
}
LEDGER_RATING = {
    "满意": Rating.SATISFIED,
    "基本满意": Rating.BASIC,
    "不满意": Rating.UNSATISFIED,
    "联系不上": CONTACT_FAILED,
    "未联系上": CONTACT_FAILED,
    **{r: r for r in (*Rating.values, CONTACT_FAILED)},
}
LEDGER_PRIORITY = {
    "低": Priority.LOW,
    "一般": Priority.NORMAL,
    "较急": Priority.HIGH,
    "紧急": Priority.URGENT,
    **{p: p for p in Priority.values},
}
LEDGER_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
)


# -- results and errors ----------------------------------------------------------------------
@dataclass(frozen=True)
class RowProblem:
    row: int  # the row's line in the file (the header is row 1)
    column: str
    message: str

    def __str__(self) -> str:
        return _("row %(row)d, column %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class CaseImportError(Exception):
    """The file cannot be imported; nothing was written. `problems` says where and why."""

    def __init__(self, problems: list[RowProblem], total: int | None = None):
        self.problems = problems[:MAX_REPORTED]
        self.total = total if total is not None else len(problems)
        lines = [str(p) for p in self.problems]
        if self.total > len(self.problems):
            lines.append(_("… and %d more") % (self.total - len(self.problems)))
        super().__init__("\n".join(lines))


@dataclass
class ImportRecord:
    """One row of a file, checked and in our terms, ready for the services."""

    row: int
    key: str  # the source's own number, prefixed by the format: becomes the client key
    title: str
    received_at: datetime
    status: str
    category: Category | None = None
    case_type: CaseType | None = None
    text: str = ""
    address: str = ""
    lon: float | None = None
    lat: float | None = None
    priority: str = Priority.NORMAL
    closed_at: datetime | None = None  # when the last step (resolve … close, reject) happened
    due_at: datetime | None = None
    result: str = ""  # the handler's account of what was done
    rating: str = ""  # a Rating value, CONTACT_FAILED, or "" (none recorded)
    columns: dict[str, str] = field(default_factory=dict)  # our field → the file's column
    source: dict = field(default_factory=dict)  # the original values, kept on the first event


@dataclass
class ImportSummary:
    rows: int = 0
    created: int = 0
    existing: int = 0  # already imported earlier (same source number): left as they are
    dry_run: bool = False
    by_status: Counter = field(default_factory=Counter)
    by_category: Counter = field(default_factory=Counter)
    by_location: Counter = field(default_factory=Counter)


# -- reading ---------------------------------------------------------------------------------
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CaseImportError(
            [RowProblem(0, "--timezone", _("unknown time zone %s") % name)]
        ) from exc


def _aware(value: datetime, zone: ZoneInfo) -> datetime:
    return value if timezone.is_aware(value) else value.replace(tzinfo=zone)


def _coordinate(
    raw, column: str, low: float, high: float, row: int, problems: list[RowProblem]
) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        problems.append(RowProblem(row, column, _("%r is not a number") % raw))
        return None
    if not (math.isfinite(value) and low <= value <= high):
        problems.append(
            RowProblem(
                row,
                column,
                _("%(value)s lies outside %(low)s…%(high)s")
                % {"value": raw, "low": low, "high": high},
            )
        )
        return None
    return value


def _check_times(rec: ImportRecord, problems: list[RowProblem], now: datetime) -> None:
    cols = rec.columns
    if rec.received_at > now:
        problems.append(RowProblem(rec.row, cols["received_at"], _("lies in the future")))
    if rec.closed_at is not None:
        if rec.closed_at < rec.received_at:
            problems.append(
                RowProblem(
                    rec.row,
                    cols["closed_at"],
                    _("lies before the received time %s") % rec.received_at.isoformat(),
                )
            )
        if rec.closed_at > now:
            problems.append(RowProblem(rec.row, cols["closed_at"], _("lies in the future")))
    if rec.due_at is not None and rec.due_at < rec.received_at:
        problems.append(
            RowProblem(
                rec.row,
                cols["due_at"],
                _("lies before the received time %s") % rec.received_at.isoformat(),
            )
        )


def _category(code: str) -> Category:
    found = Category.objects.filter(code=code, is_active=True).select_related("case_type").first()
    if found is not None:
        return found
    if code == CATCH_ALL_CATEGORY:
        # Not (yet) in the shipped catalogue: the catch-all is created on first use.
        return Category.objects.get_or_create(
            code=CATCH_ALL_CATEGORY,
            defaults={"name": CATCH_ALL_NAME, "case_type": CaseType.objects.get(code="request")},
        )[0]
    raise CaseImportError(
        [
            RowProblem(
                0,
                "Complaint Type",
                _("the mapping names category %s, which is not in the catalogue") % code,
            )
        ]
    )


def nyc_category_code(complaint_type: str) -> str:
    """Our category for an NYC 311 complaint type (the catch-all for unmapped types)."""
    return NYC_CATEGORIES.get(complaint_type.strip(), CATCH_ALL_CATEGORY)


def read_nyc311(
    file: str | Path | Iterable[str], *, time_zone: str = NYC_TIME_ZONE
) -> list[ImportRecord]:
    """Parse and check an NYC 311 export (the city's CSV columns, its US-style times)."""
    zone = _zone(time_zone)
    if isinstance(file, (str, Path)):
        with open(file, encoding="utf-8-sig", newline="") as fh:
            return read_nyc311(list(fh), time_zone=time_zone)
    reader = csv.DictReader(file)
    missing = [c for c in NYC_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise CaseImportError(
            [RowProblem(1, c, _("column missing from the header")) for c in missing]
        )
    categories: dict[str, Category] = {}
    problems: list[RowProblem] = []
    records: list[ImportRecord] = []
    seen: dict[str, int] = {}
    now = timezone.now()
    columns = {
        "received_at": "Created Date",
        "closed_at": "Closed Date",
        "due_at": "Due Date",
        "title": "Complaint Type",
        "text": "Descriptor",
        "address": "Incident Address",
        "lon": "Longitude",
        "lat": "Latitude",
        "status": "Status",
        "category": "Complaint Type",
        "key": "Unique Key",
    }
    for row, line in enumerate(reader, start=2):
        before = len(problems)

        def when(column: str, required: bool = False, *, line=line, row=row) -> datetime | None:
            raw = (line.get(column) or "").strip()
            if not raw:
                if required:
                    problems.append(RowProblem(row, column, _("required")))
                return None
            try:
                return datetime.strptime(raw, NYC_TIME_FORMAT).replace(tzinfo=zone)
            except ValueError:
                problems.append(
                    RowProblem(
                        row,
                        column,
                        _("%(value)r is not a time like %(example)s")
                        % {"value": raw, "example": "06/26/2018 10:58:54 AM"},
                    )
                )
                return None

        key = (line.get("Unique Key") or "").strip()
        if not key:
            problems.append(RowProblem(row, "Unique Key", _("required")))
        elif key in seen:
            problems.append(RowProblem(row, "Unique Key", _("repeats row %d") % seen[key]))
        else:
            seen[key] = row
        received = when("Created Date", required=True)
        closed = when("Closed Date")
        due = when("Due Date")
        raw_status = (line.get("Status") or "").strip()
        status = NYC_STATUS.get(raw_status)
        if status is None:
            problems.append(
                RowProblem(
                    row,
                    "Status",
                    _("unknown status %(value)r (known: %(known)s)")
                    % {"value": raw_status, "known": ", ".join(NYC_STATUS)},
                )
            )
        complaint = (line.get("Complaint Type") or "").strip()
        if not complaint:
            problems.append(RowProblem(row, "Complaint Type", _("required")))
        lat = _coordinate(line.get("Latitude"), "Latitude", -90, 90, row, problems)
        lon = _coordinate(line.get("Longitude"), "Longitude", -180, 180, row, problems)
        if (lat is None) != (lon is None) and len(problems) == before:
            problems.append(
                RowProblem(
                    row,
                    "Longitude" if lon is None else "Latitude",
                    _("give both latitude and longitude"),
                )
            )
        if status == Status.CLOSED and closed is None and len(problems) == before:
            problems.append(RowProblem(row, "Closed Date", _("required for a closed request")))
        if len(problems) > before:
            continue
        code = nyc_category_code(complaint)
        if code not in categories:
            categories[code] = _category(code)
        descriptor = (line.get("Descriptor") or "").strip()
        address = ", ".join(
            p
            for p in (
                (line.get("Incident Address") or "").strip(),
                (line.get("City") or "").strip(),
                (line.get("Incident Zip") or "").strip(),
            )
            if p
        )
        rec = ImportRecord(
            row=row,
            key=f"nyc311:{key}",
            title=(f"{complaint}: {descriptor}" if descriptor else complaint)[:200],
            text="\n".join(
                p
                for p in (
                    descriptor,
                    (line.get("Location Type") or "").strip(),
                    (line.get("Agency Name") or "").strip(),
                )
                if p
            )[:5000],
            address=address[:300],
            received_at=received,
            status=status,
            category=categories[code],
            lon=lon,
            lat=lat,
            # A closed date on a request still open is NYC's planned date: kept in `source`.
            closed_at=closed if status == Status.CLOSED else None,
            due_at=due,
            result=(line.get("Resolution Description") or "").strip()[:2000],
            columns=columns,
            source={
                "format": "nyc311",
                "row": row,
                "unique_key": key,
                "complaint_type": complaint,
                "descriptor": descriptor,
                "agency": (line.get("Agency") or "").strip(),
                "status": raw_status,
                "closed_date": (line.get("Closed Date") or "").strip(),
                "due_date": (line.get("Due Date") or "").strip(),
                "channel": (line.get("Open Data Channel Type") or "").strip(),
            },
        )
        _check_times(rec, problems, now)
        records.append(rec)
    if problems:
        raise CaseImportError(problems)
    return records


def _ledger_time(value, zone: ZoneInfo) -> datetime | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return _aware(value, zone)
    if hasattr(value, "year") and hasattr(value, "month"):  # a date cell
        return datetime(value.year, value.month, value.day, tzinfo=zone)
    text = str(value).strip()
    for fmt in LEDGER_TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=zone)
        except ValueError:
            continue
    raise ValueError(text)


def _lookup_catalogue() -> tuple[dict[str, CaseType], dict[str, Category]]:
    types: dict[str, CaseType] = {}
    for t in CaseType.objects.filter(is_active=True):
        types.setdefault(t.code, t)
        types.setdefault(t.name, t)
    cats: dict[str, Category] = {}
    for c in Category.objects.filter(is_active=True).select_related("case_type").order_by("code"):
        cats.setdefault(c.code, c)
        cats.setdefault(c.name, c)
    return types, cats


def read_ledger(
    file: str | Path | io.BytesIO, *, time_zone: str | None = None
) -> list[ImportRecord]:
    """Parse and check a 台账 workbook: the first sheet, headers in row 1 (see
    docs/import-formats.md); times without a zone are in TIME_ZONE (Asia/Shanghai)."""
    from openpyxl import load_workbook

    zone = _zone(time_zone or settings.TIME_ZONE)
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise CaseImportError(
            [RowProblem(0, "-", _("not an Excel workbook (.xlsx): %s") % exc)]
        ) from exc
    try:
        rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()
    if not rows:
        raise CaseImportError([RowProblem(1, "-", _("the sheet is empty"))])
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    index: dict[str, int] = {}
    names: dict[str, str] = {}
    for key, zh, en, _required in LEDGER_COLUMNS:
        for name in (zh, en):
            if name in header:
                index[key], names[key] = header.index(name), name
                break
        names.setdefault(key, zh)
    missing = [zh for key, zh, _en, required in LEDGER_COLUMNS if required and key not in index]
    if "case_type" not in index and "category" not in index:
        missing.append(f"{names['case_type']}/{names['category']}")
    if missing:
        raise CaseImportError(
            [RowProblem(1, c, _("column missing from the header")) for c in missing]
        )
    types, cats = _lookup_catalogue()
    problems: list[RowProblem] = []
    records: list[ImportRecord] = []
    seen: dict[str, int] = {}
    now = timezone.now()
    for row, values in enumerate(rows[1:], start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue  # blank lines at the end of a sheet

        def cell(key: str, *, values=values):
            i = index.get(key)
            return values[i] if i is not None and i < len(values) else None

        def text(key: str, limit: int, *, row=row) -> str:
            value = cell(key)
            value = "" if value is None else str(value).strip()
            if len(value) > limit:
                problems.append(RowProblem(row, names[key], _("at most %d characters") % limit))
            return value[:limit]

        def when(key: str, *, row=row) -> datetime | None:
            try:
                return _ledger_time(cell(key), zone)
            except ValueError:
                problems.append(
                    RowProblem(
                        row,
                        names[key],
                        _("%(value)r is not a time like %(example)s")
                        % {"value": cell(key), "example": "2025-03-19 09:30"},
                    )
                )
                return None

        def choice(key: str, table: dict, default: str = "", *, row=row) -> str:
            raw = text(key, 50)
            if not raw:
                return default
            if raw not in table:
                known = ", ".join(k for k in table if not k.isascii())
                problems.append(
                    RowProblem(
                        row,
                        names[key],
                        _("unknown value %(value)r (known: %(known)s)")
                        % {"value": raw, "known": known},
                    )
                )
                return default
            return table[raw]

        before = len(problems)
        number = text("number", 60)
        if not number:
            problems.append(RowProblem(row, names["number"], _("required")))
        elif number in seen:
            problems.append(RowProblem(row, names["number"], _("repeats row %d") % seen[number]))
        else:
            seen[number] = row
        received = when("received_at")
        if received is None and len(problems) == before:
            problems.append(RowProblem(row, names["received_at"], _("required")))
        title = text("title", 200)
        if not title:
            problems.append(RowProblem(row, names["title"], _("required")))
        status = choice("status", LEDGER_STATUS)
        if not status and not any(p.column == names["status"] for p in problems[before:]):
            problems.append(RowProblem(row, names["status"], _("required")))
        case_type = category = None
        if raw := text("case_type", 50):
            case_type = types.get(raw)
            if case_type is None:
                problems.append(
                    RowProblem(row, names["case_type"], _("unknown case type %s") % raw)
                )
        if raw := text("category", 60):
            category = cats.get(raw)
            if category is None:
                problems.append(RowProblem(row, names["category"], _("unknown category %s") % raw))
            elif case_type is not None and category.case_type_id != case_type.pk:
                problems.append(
                    RowProblem(
                        row,
                        names["category"],
                        _("category %(category)s is not of case type %(type)s")
                        % {"category": raw, "type": case_type.name},
                    )
                )
        if case_type is None and category is None and len(problems) == before:
            problems.append(
                RowProblem(
                    row,
                    f"{names['case_type']}/{names['category']}",
                    _("give a case type or a category"),
                )
            )
        lon = _coordinate(cell("lon"), names["lon"], -180, 180, row, problems)
        lat = _coordinate(cell("lat"), names["lat"], -90, 90, row, problems)
        if (lon is None) != (lat is None) and len(problems) == before:
            problems.append(
                RowProblem(
                    row,
                    names["lat" if lat is None else "lon"],
                    _("give both longitude and latitude"),
                )
            )
        closed = when("closed_at")
        due = when("due_at")
        rating = choice("rating", LEDGER_RATING)
        priority = choice("priority", LEDGER_PRIORITY, Priority.NORMAL)
        channel = text("channel", 30)
        body, address, result = text("text", 5000), text("address", 300), text("result", 2000)
        if status == Status.CLOSED:
            if closed is None and not any(
                p.column == names["closed_at"] for p in problems[before:]
            ):
                problems.append(
                    RowProblem(row, names["closed_at"], _("required for a closed case"))
                )
            if rating == Rating.UNSATISFIED:
                problems.append(
                    RowProblem(
                        row,
                        names["rating"],
                        _(
                            "a closed case needs 满意, 基本满意 or 联系不上: a case the resident is "
                            "not satisfied with is reopened, not closed"
                        ),
                    )
                )
        if rating and status not in (Status.RESOLVED, Status.CLOSED):
            problems.append(
                RowProblem(
                    row, names["rating"], _("only a resolved or closed case carries a rating")
                )
            )
        if len(problems) > before:
            continue
        rec = ImportRecord(
            row=row,
            key=f"ledger:{number}",
            title=title,
            received_at=received,
            status=status,
            category=category,
            case_type=case_type or category.case_type,
            text=body,
            address=address,
            lon=lon,
            lat=lat,
            priority=priority,
            closed_at=closed,
            due_at=due,
            result=result,
            rating=rating,
            columns={k: names[k] for k in names} | {"key": names["number"]},
            source={
                "format": "xlsx",
                "row": row,
                "number": number,
                "channel": channel,
                "status": text("status", 50),
                "rating": text("rating", 50),
            },
        )
        _check_times(rec, problems, now)
        records.append(rec)
    if problems:
        raise CaseImportError(problems)
    return records


# -- writing ---------------------------------------------------------------------------------
def import_actor():
    """The system user that imported history is recorded under (created on first use)."""
    User = get_user_model()
    user = User.objects.filter(username=IMPORT_USERNAME).first()
    if user is None:
        user = User(username=IMPORT_USERNAME, is_superuser=True, is_staff=False, is_active=True)
        user.set_unusable_password()
        user.save()
    return user


# Service error field → our record field (to name the file's column in the report).
_FIELD_TO_KEY = {
    "title": "title",
    "text": "text",
    "address": "address",
    "lon": "lon",
    "lat": "lat",
    "category": "category",
    "case_type": "category",
    "received_at": "received_at",
    "closed_at": "closed_at",
    "rating": "rating",
    "due_at": "due_at",
    "client_key": "key",
}


def _write(rec: ImportRecord, actor) -> tuple[bool, str]:
    """Bring one record in; (created, location). A record imported before (its key) is
    left as it was, even when the source changed it since."""
    try:
        result = services.intake_case(
            title=rec.title,
            text=rec.text,
            channel=Channel.IMPORT,
            case_type=rec.case_type,
            category=rec.category,
            lon=rec.lon,
            lat=rec.lat,
            address=rec.address,
            priority=rec.priority,
            client_key=rec.key,
            actor=actor,
            received_at=rec.received_at,
            due_at=rec.due_at,
            source=rec.source,
        )
    except IdempotencyConflict:
        return False, Case.objects.only("location").get(client_key=rec.key).location
    case = result.case
    if not result.created:
        return False, case.location
    start, end = rec.received_at, rec.closed_at or rec.received_at
    pk = case.pk
    if rec.status == Status.REJECTED:
        services.reject_case(
            pk, actor=actor, at=end, reason=rec.result or _("not accepted (imported record)")
        )
        return True, case.location
    path = [Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED]
    reach = path.index(rec.status) + 1 if rec.status in path else 0
    steps: list[Callable[[], object]] = [
        lambda: services.accept_case(pk, actor=actor, at=start),
        lambda: services.assign_case(pk, actor=actor, at=start),
        lambda: services.start_case(pk, actor=actor, at=start),
        lambda: services.resolve_case(
            pk, actor=actor, at=end, reason=rec.result or _("resolved (imported record)")
        ),
    ]
    for step in steps[: min(reach, 4)]:
        step()
    if rec.status not in (Status.RESOLVED, Status.CLOSED):
        return True, case.location
    if rec.status == Status.CLOSED:
        services.verify_case(pk, actor=actor, at=end, reason=_("verified (imported record)"))
    if rec.rating == CONTACT_FAILED or (rec.status == Status.CLOSED and not rec.rating):
        services.record_contact_failed(
            pk,
            actor=actor,
            at=end,
            method=FeedbackMethod.CALL,
            reason=_("the resident could not be reached")
            if rec.rating
            else _("the imported record carries no rating"),
        )
    elif rec.rating:
        services.rate_case(pk, actor=actor, rating=rec.rating, method=FeedbackMethod.CALL, at=end)
    if rec.status == Status.CLOSED:
        services.close_case(pk, actor=actor, at=end)
    return True, case.location


def import_records(
    records: list[ImportRecord],
    *,
    actor=None,
    dry_run: bool = False,
    progress: Callable[[Iterable], Iterable] = lambda it: it,
) -> ImportSummary:
    """Write all records through the services in one transaction, or nothing."""
    summary = ImportSummary(rows=len(records), dry_run=dry_run)
    for rec in records:
        summary.by_status[rec.status] += 1
        summary.by_category[rec.category.code if rec.category else ""] += 1
    if dry_run:
        return summary
    actor = actor or import_actor()
    with transaction.atomic():
        for rec in progress(records):
            try:
                created, location = _write(rec, actor)
            except CaseError as exc:
                problems = [
                    RowProblem(
                        rec.row, rec.columns.get(_FIELD_TO_KEY.get(f, ""), f or "-"), message
                    )
                    for f, message in (exc.errors.items() or [("", exc.message)])
                ]
                raise CaseImportError(problems) from exc
            if created:
                summary.created += 1
                summary.by_location[location] += 1
            else:
                summary.existing += 1
    return summary


def read_file(path: str | Path, fmt: str, *, time_zone: str | None = None) -> list[ImportRecord]:
    if fmt == "nyc311":
        return read_nyc311(path, time_zone=time_zone or NYC_TIME_ZONE)
    if fmt == "xlsx":
        return read_ledger(path, time_zone=time_zone)
    raise CaseImportError([RowProblem(0, "--format", _("one of %s") % ", ".join(FORMATS))])


def import_file(
    path: str | Path,
    fmt: str,
    *,
    actor=None,
    dry_run: bool = False,
    time_zone: str | None = None,
    progress: Callable[[Iterable], Iterable] = lambda it: it,
) -> ImportSummary:
    """Read and check the whole file, then import it (or, with dry_run, only check it)."""
    return import_records(
        read_file(path, fmt, time_zone=time_zone), actor=actor, dry_run=dry_run, progress=progress
    )


# -- a sample ledger -------------------------------------------------------------------------
SAMPLE_ROWS = [
    # (类型, 类别, 标题, 内容)
    ("矛盾纠纷", "邻里纠纷", "楼上住户深夜噪音扰民", "楼上每晚十一点后拖动家具，多次沟通无果"),
    (
        "矛盾纠纷",
        "物业纠纷",
        "物业公司擅自提高停车费",
        "小区停车费由每月150元涨到260元，未经业主大会",
    ),
    (
        "安全隐患",
        "消防隐患",
        "楼道内电动车飞线充电",
        "三单元一楼楼道有电动车拉线充电，存在火灾隐患",
    ),
    ("安全隐患", "道路设施隐患", "人行道井盖松动", "路口人行道井盖踩上去晃动，晚上行人多"),
    ("群众诉求", "垃圾处理", "垃圾桶满溢无人清运", "小区门口垃圾桶已满两天，气味很大"),
    ("群众诉求", "噪声污染", "工地夜间施工噪音", "工地晚上十点后仍在打桩"),
    ("群众诉求", "市政设施", "路灯不亮", "梯道两盏路灯坏了一周"),
    ("信访", "住房保障信访", "公租房申请进度", "申请公租房半年未有答复"),
]
SAMPLE_STATUSES = [
    ("待受理", ""),
    ("已受理", ""),
    ("已派遣", ""),
    ("处置中", ""),
    ("已办理", ""),
    ("已办理", "满意"),
    ("已办结", "满意"),
    ("已办结", "基本满意"),
    ("已办结", "联系不上"),
    ("已办结", ""),
    ("不予受理", ""),
]


def write_sample_ledger(
    path: str | Path | io.BytesIO,
    *,
    rows: int = 44,
    seed: int = 0,
    points: list[tuple[float, float]] | None = None,
    start: datetime | None = None,
) -> list[dict]:
    """A valid ledger of `rows` cases cycling through every status and rating; returns the
    rows as {Chinese header: value}. `points` (lon, lat) are used in turn; every fifth row
    has none. Used by the tests and as a template for real ledgers."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    start = start or datetime(2025, 3, 3, 8, 30)
    points = points or [(106.5705, 29.5570), (106.5790, 29.5610), (106.5580, 29.5520)]
    headers = [zh for _key, zh, _en, _req in LEDGER_COLUMNS]
    out = []
    for i in range(rows):
        kind, category, title, body = SAMPLE_ROWS[i % len(SAMPLE_ROWS)]
        status, rating = SAMPLE_STATUSES[i % len(SAMPLE_STATUSES)]
        received = start + timedelta(hours=rng.randint(0, 24 * 300), minutes=rng.randint(0, 59))
        finished = received + timedelta(hours=rng.randint(2, 24 * 12))
        lon, lat = points[i % len(points)] if i % 5 else (None, None)
        out.append(
            {
                "编号": f"TZ-{2025}-{i + 1:05d}",
                "受理时间": received,
                "类型": kind,
                "类别": category,
                "标题": title,
                "内容": body,
                "地址": f"渝中区示例路{rng.randint(1, 300)}号",
                "经度": lon,
                "纬度": lat,
                "渠道": rng.choice(["12345热线", "网格员上报", "来访", "网上留言"]),
                "紧急程度": rng.choice(["一般", "一般", "较急", "紧急"]),
                "状态": status,
                "截止时间": received + timedelta(days=10),
                "办结时间": finished if status in ("已办理", "已办结", "不予受理") else None,
                "办理结果": "已现场处理并答复"
                if status in ("已办理", "已办结")
                else ("不属于受理范围" if status == "不予受理" else ""),
                "满意度": rating,
            }
        )
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "台账"
    sheet.append(headers)
    for row in out:
        sheet.append([row[h] for h in headers])
    for column in ("B", "M", "N"):
        for c in sheet[column][1:]:
            c.number_format = "yyyy-mm-dd hh:mm"
    workbook.save(path)
    return out
