"""What the dashboard shows for one area, period and filters: every figure with its parts.

`dashboard()` is the one function behind the dashboard page, the wall screen and the
benchmark. It takes an area code the caller has already checked against the user's scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count
from django.utils import timezone

from cases.models import Case, CaseType, Category
from measures import cube
from measures.cube import Slice
from measures.definitions import (
    BACKLOG_BANDS,
    CARD_KPIS,
    Figure,
    change,
    figure,
    q_backlog,
    q_open,
    q_overdue,
)
from measures.models import CaseFact
from measures.periods import Period, add_months, month_start

OVERDUE_LIST = 20


@dataclass(frozen=True)
class Filters:
    case_type: CaseType | None = None
    category: Category | None = None
    channel: str = ""

    def as_params(self) -> dict[str, str]:
        out = {}
        if self.case_type:
            out["case_type"] = self.case_type.code
        if self.category:
            out["category"] = self.category.code
        if self.channel:
            out["channel"] = self.channel
        return out


def category_subtree(category: Category, using: str = "default") -> tuple[int, ...]:
    """A category and every category below it (the catalogue is a shallow tree)."""
    ids = {category.pk}
    frontier = {category.pk}
    while frontier:
        frontier = (
            set(
                Category.objects.using(using)
                .filter(parent_id__in=frontier)
                .values_list("pk", flat=True)
            )
            - ids
        )
        ids |= frontier
    return tuple(sorted(ids))


def make_slice(
    area: str, period: Period, filters: Filters = Filters(), using: str = "default"
) -> Slice:
    return Slice(
        area,
        period.start,
        period.end,
        case_types=(filters.case_type.pk,) if filters.case_type else (),
        categories=category_subtree(filters.category, using) if filters.category else (),
        channel=filters.channel,
        using=using,
    )


def retime(s: Slice, period: Period) -> Slice:
    return Slice(s.area, period.start, period.end, s.case_types, s.categories, s.channel, s.using)


@dataclass
class Card:
    figure: Figure
    year_before: Figure
    previous: Figure

    @property
    def yoy(self) -> float | None:
        return change(self.figure.value, self.year_before.value)

    @property
    def mom(self) -> float | None:
        return change(self.figure.value, self.previous.value)


def kpi_cards(s: Slice, period: Period, codes=CARD_KPIS) -> dict[str, Card]:
    now_counts, before, prev = cube.counts_many(
        [s, retime(s, period.year_before()), retime(s, period.previous())]
    )
    return {c: Card(figure(c, now_counts), figure(c, before), figure(c, prev)) for c in codes}


def current(s: Slice, now: datetime) -> dict:
    """Open cases at this moment: overdue, and the backlog by age (积案 past five years)."""
    base = CaseFact.objects.using(s.using).filter(s.q_facts()).filter(q_open())
    # counted on received_at (never empty), a column of the open-case index, so that the
    # index answers alone
    aggregates = {
        "overdue": Count("received_at", filter=q_overdue(now, among_open=True)),
        "open": Count("received_at"),
    }
    for code, *_rest in BACKLOG_BANDS:
        aggregates[f"backlog_{code}"] = Count(
            "received_at", filter=q_backlog(code, now, among_open=True)
        )
    return base.aggregate(**aggregates)


def overdue_cases(s: Slice, now: datetime, limit: int = OVERDUE_LIST) -> list[Case]:
    ids = list(
        CaseFact.objects.using(s.using)
        .filter(s.q_facts())
        .filter(q_overdue(now))
        .order_by("due_at", "case_id")
        .values_list("case_id", flat=True)[:limit]
    )
    cases = Case.objects.using(s.using).filter(pk__in=ids).select_related("case_type", "category")
    by_id = {c.pk: c for c in cases}
    return [by_id[i] for i in ids if i in by_id]


_TOP_CACHE: dict[str, tuple[float, dict[int, int]]] = {}
TOP_CACHE_SECONDS = 60


def top_category_of(using: str = "default") -> dict[int, int]:
    """Each category's top-level ancestor (0 stays 0: no category); cached for a minute,
    the catalogue changes rarely."""
    import time

    cached = _TOP_CACHE.get(using)
    if cached and time.monotonic() - cached[0] < TOP_CACHE_SECONDS:
        return cached[1]
    parents = dict(Category.objects.using(using).values_list("pk", "parent_id"))
    out = {0: 0}
    for pk in parents:
        node = pk
        while parents.get(node):
            node = parents[node]
        out[pk] = node
    _TOP_CACHE[using] = (time.monotonic(), out)
    return out


def by_category(s: Slice) -> dict[int, dict]:
    leaf = cube.counts(s, "category")
    top = top_category_of(s.using)
    out: dict[int, dict] = {}
    for cat, counts in leaf.items():
        key = top.get(cat, cat)
        target = out.setdefault(key, cube.empty())
        for k, v in counts.items():
            target[k] += v
    return out


def trend(s: Slice, period: Period) -> dict:
    """Monthly counts for the twelve months ending with the period's last month."""
    end = add_months(month_start(period.last), 1)
    start = add_months(end, -12)
    got = cube.counts(
        Slice(s.area, start, end, s.case_types, s.categories, s.channel, s.using), "month"
    )
    return {add_months(start, i): got.get(add_months(start, i)) or cube.empty() for i in range(12)}


def dashboard(
    area: str,
    period: Period,
    filters: Filters = Filters(),
    *,
    using: str = "default",
    now: datetime | None = None,
    with_overdue_list: bool = True,
) -> dict:
    now = now or timezone.now()
    s = make_slice(area, period, filters, using)
    return {
        "slice": s,
        "period": period,
        "cards": kpi_cards(s, period),
        "by_category": by_category(s),
        "by_channel": cube.counts(s, "channel"),
        "by_child": cube.counts(s, "child"),
        "trend": trend(s, period),
        "current": current(s, now),
        "overdue": overdue_cases(s, now) if with_overdue_list else [],
    }


def received_by_grid(s: Slice) -> dict[str, int]:
    """Cases received in the slice per grid (the counts hotspots are computed on)."""
    rows = (
        CaseFact.objects.using(s.using)
        .filter(s.q_facts())
        .filter(received_on__gte=s.start, received_on__lt=s.end)
        .values("area_code")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {r["area_code"]: r["n"] for r in rows if len(r["area_code"]) == 15}


def seasonality_by_category(s: Slice, period: Period, months: int = 36) -> list[dict]:
    """Per top-level category: monthly received counts for `months` months ending with the
    period, with the linear trend and the seasonal index (measures.hotspots.seasonality)."""
    from django.db.models.functions import TruncMonth

    from measures.hotspots import seasonality

    end = add_months(month_start(period.last), 1)
    start = add_months(end, -months)
    rows = (
        CaseFact.objects.using(s.using)
        .filter(s.q_facts())
        .filter(received_on__gte=start, received_on__lt=end)
        .annotate(month=TruncMonth("received_on"))
        .values("category_id", "month")
        .annotate(n=Count("pk"))
        .order_by()
    )
    top = top_category_of(s.using)
    names = dict(Category.objects.using(s.using).values_list("pk", "name"))
    series: dict[int, dict] = {}
    for r in rows:
        month = cube._norm(r["month"])
        key = top.get(r["category_id"], r["category_id"])
        bucket = series.setdefault(key, {})
        bucket[month] = bucket.get(month, 0) + r["n"]
    month_list = [add_months(start, i) for i in range(months)]
    out = [
        {
            "category": key,
            "name": names.get(key, "—"),
            "s": seasonality(values, month_list),
            "total": sum(values.values()),
        }
        for key, values in series.items()
    ]
    out.sort(key=lambda r: -r["total"])
    return out


def median_hours_to_close(s: Slice) -> float | None:
    """Median time to close, in hours: from received to closed, over the cases the `closed`
    figure counts (not additive, so it is computed from those cases, never rolled up)."""
    import statistics

    hours = [
        (closed - received).total_seconds() / 3600
        for received, closed in cube.drill(s, "closed")
        .values_list("received_at", "closed_at")
        .iterator()
    ]
    return statistics.median(hours) if hours else None
