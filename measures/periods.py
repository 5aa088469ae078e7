"""Periods the measures are asked for: day, week, month, quarter, year or custom days.

A period is written as a short spec that also goes into drill-down links:
`2026-03-05` (day), `2026-W10` (ISO week), `2026-03` (month), `2026-Q1` (quarter),
`2026` (year), `2026-03-01..2026-03-20` (custom, both days included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

KINDS = ("day", "week", "month", "quarter", "year", "custom")
MAX_CUSTOM_DAYS = 366 * 10
MIN_YEAR, MAX_YEAR = 1900, 2999


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    kind: str
    start: date  # first day
    end: date  # the day after the last

    @property
    def spec(self) -> str:
        s = self.start
        if self.kind == "day":
            return s.isoformat()
        if self.kind == "week":
            y, w, _d = s.isocalendar()
            return f"{y}-W{w:02d}"
        if self.kind == "month":
            return f"{s.year}-{s.month:02d}"
        if self.kind == "quarter":
            return f"{s.year}-Q{(s.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(s.year)
        return f"{s.isoformat()}..{self.last.isoformat()}"

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def __str__(self) -> str:
        return self.spec

    def previous(self) -> Period:
        """The period just before, of the same kind (环比)."""
        if self.kind in ("month", "quarter", "year"):
            months = {"month": 1, "quarter": 3, "year": 12}[self.kind]
            return Period(self.kind, add_months(self.start, -months), self.start)
        return Period(self.kind, self.start - timedelta(days=self.days), self.start)

    def year_before(self) -> Period:
        """The same period a year earlier (同比)."""
        if self.kind == "week":
            y, w, _d = self.start.isocalendar()
            try:
                start = date.fromisocalendar(y - 1, w, 1)
            except ValueError:
                start = date.fromisocalendar(y - 1, 52, 1)
            return Period("week", start, start + timedelta(days=7))
        return Period(self.kind, shift_year(self.start, -1), shift_year(self.end, -1))


def add_months(d: date, n: int) -> date:
    m = d.year * 12 + d.month - 1 + n
    return date(m // 12, m % 12 + 1, 1)


def shift_year(d: date, n: int) -> date:
    try:
        return d.replace(year=d.year + n)
    except ValueError:  # 29 February
        return d.replace(year=d.year + n, day=28)


def month_start(d: date) -> date:
    return d.replace(day=1)


def of_kind(kind: str, day: date) -> Period:
    """The period of `kind` that contains `day`."""
    if kind == "day":
        return Period("day", day, day + timedelta(days=1))
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period("week", start, start + timedelta(days=7))
    if kind == "month":
        start = month_start(day)
        return Period("month", start, add_months(start, 1))
    if kind == "quarter":
        start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return Period("quarter", start, add_months(start, 3))
    if kind == "year":
        return Period("year", date(day.year, 1, 1), date(day.year + 1, 1, 1))
    raise PeriodError(_("unknown period kind %s") % kind)


_PATTERNS = [
    ("day", re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")),
    ("week", re.compile(r"^([0-9]{4})-W([0-9]{1,2})$")),
    ("month", re.compile(r"^([0-9]{4})-([0-9]{2})$")),
    ("quarter", re.compile(r"^([0-9]{4})-Q([1-4])$")),
    ("year", re.compile(r"^([0-9]{4})$")),
]


def within_years(period: Period) -> Period:
    """`period`, when it and its neighbours (previous, next, a year before) are dates every
    page can compute; PeriodError otherwise (`0001` has no year before it)."""
    if not (period.start.year >= MIN_YEAR and period.end.year <= MAX_YEAR):
        raise PeriodError(
            _("a period between the years %(first)d and %(last)d")
            % {"first": MIN_YEAR, "last": MAX_YEAR}
        )
    return period


def parse(spec: str) -> Period:
    """A period from its spec; PeriodError (naming what is wrong) otherwise."""
    return within_years(_parse(spec))


def _parse(spec: str) -> Period:
    spec = (spec or "").strip()
    try:
        if ".." in spec:
            a, b = spec.split("..", 1)
            first, last = date.fromisoformat(a), date.fromisoformat(b)
            if last < first:
                raise PeriodError(_("the period ends before it starts"))
            if (last - first).days >= MAX_CUSTOM_DAYS:
                raise PeriodError(_("a custom period is at most ten years"))
            return Period("custom", first, last + timedelta(days=1))
        for kind, pattern in _PATTERNS:
            m = pattern.match(spec)
            if not m:
                continue
            g = [int(x) for x in m.groups()]
            if kind == "day":
                return of_kind("day", date(*g))
            if kind == "week":
                start = date.fromisocalendar(g[0], g[1], 1)
                return Period("week", start, start + timedelta(days=7))
            if kind == "month":
                return of_kind("month", date(g[0], g[1], 1))
            if kind == "quarter":
                return of_kind("quarter", date(g[0], (g[1] - 1) * 3 + 1, 1))
            return of_kind("year", date(g[0], 1, 1))
    except ValueError as exc:
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError(_("not a valid period: %s") % spec) from exc
    raise PeriodError(
        _(
            "not a valid period: %s (use 2026-03-05, 2026-W10, 2026-03, "
            "2026-Q1, 2026 or 2026-03-01..2026-03-20)"
        )
        % spec
    )
