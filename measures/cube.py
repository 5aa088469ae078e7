"""Answer "the base counts for this area, period and filters" from the cheapest source.

A period is cut into whole months and the odd days at either end. Each part is summed from
rollup rows when that (grain, detail, level) is materialised, and from the fact table
otherwise; since every count is a number of cases whose anchor day lies in a date range,
the parts simply add up. Both sources use the definitions in `definitions.MEASURES`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, F, IntegerField, Q, Sum, Value
from django.db.models.functions import Length, Substr, TruncMonth

from measures.definitions import MEASURES
from measures.models import DAY, MEASURE_COLUMNS, MONTH, CaseFact, Rollup
from measures.periods import add_months
from measures.rollups import ANCHORS, MATERIALISED, MEASURES_BY_ANCHOR

Counts = dict[str, int]
BREAKDOWNS = ("case_type", "category", "channel", "child", "month", "day")
CHILD_LENGTH = {0: 6, 6: 9, 9: 12, 12: 15}


@dataclass(frozen=True)
class Slice:
    """What is counted: inside `area` (a code prefix, '' = everywhere), anchor days in
    [start, end), optionally only some case types, categories (already expanded to their
    subtrees) and one channel."""

    area: str
    start: date
    end: date
    case_types: tuple[int, ...] = ()
    categories: tuple[int, ...] = ()
    channel: str = ""
    using: str = field(default="default", compare=False)

    @property
    def filtered(self) -> bool:
        return bool(self.case_types or self.categories or self.channel)

    def q_facts(self) -> Q:
        q = inside(self.area)
        if self.case_types:
            q &= Q(case_type_id__in=self.case_types)
        if self.categories:
            q &= Q(category_id__in=self.categories)
        if self.channel:
            q &= Q(channel=self.channel)
        return q


def code_after(prefix: str) -> str | None:
    """The smallest digit string above every code starting with `prefix`; None when no
    code can follow (the prefix is all nines)."""
    digits = prefix.rstrip("9")
    if not digits:
        return None
    return digits[:-1] + str(int(digits[-1]) + 1)


def inside(prefix: str, field: str = "area_code") -> Q:
    """Codes inside an area, as a range (`prefix` ≤ code < the next prefix) that a plain
    b-tree index answers on every database and collation, unlike LIKE 'prefix%'."""
    if not prefix:
        return Q()
    q = Q(**{f"{field}__gte": prefix})
    after = code_after(prefix)
    return q & Q(**{f"{field}__lt": after}) if after else q


def empty() -> Counts:
    return dict.fromkeys(MEASURE_COLUMNS, 0)


def split(start: date, end: date) -> list[tuple[str, date, date]]:
    """[start, end) as (grain, a, b) parts: leading days, whole months, trailing days."""
    if start >= end:
        return []
    first_month = start if start.day == 1 else add_months(start, 1)
    last_month = end.replace(day=1)
    if first_month >= last_month:
        return [(DAY, start, end)]
    parts = []
    if start < first_month:
        parts.append((DAY, start, first_month))
    parts.append((MONTH, first_month, last_month))
    if last_month < end:
        parts.append((DAY, last_month, end))
    return parts


def counts(s: Slice, by: str | None = None) -> dict:
    """Base counts for the slice: one Counts, or {key: Counts} when broken down `by`."""
    if by is not None and by not in BREAKDOWNS:
        raise ValueError(by)
    level = len(s.area)
    if by == "child" and level not in CHILD_LENGTH:
        return {}
    row_level = CHILD_LENGTH[level] if by == "child" else level
    out: dict = defaultdict(empty)
    for source, a, b in _plan(s, by):
        if source is not None:
            _from_rollups(out, s, source, a, b, row_level, by)
        else:
            _from_facts(out, s, a, b, by)
    if by is None:
        return dict(out.get(None, empty()))
    return {k: dict(v) for k, v in out.items() if any(v.values())}


def _plan(s: Slice, by: str | None) -> list[list]:
    """[source, a, b] parts: a (grain, detail) of rollup rows, or None for the facts."""
    level = len(s.area)
    need_detail = s.filtered or by in ("case_type", "category", "channel")
    row_level = CHILD_LENGTH[level] if by == "child" else level
    plan: list[list] = []
    for grain, a, b in split(s.start, s.end):
        source = _rollup_source(grain, need_detail, row_level, by)
        if source is None and plan and plan[-1][0] is None and plan[-1][2] == a:
            plan[-1][2] = b  # neighbouring ranges counted on the facts: one range
        else:
            plan.append([source, a, b])
    return plan


def counts_many(slices: list[Slice]) -> list[Counts]:
    """Totals for several periods of the same area and filters (this period, a year before,
    the one before). Where every part comes from the facts of a small area, one pass."""
    plans = [_plan(s, None) for s in slices]
    one_pass = len(slices[0].area) >= ONE_PASS_LEVEL and all(
        src is None for plan in plans for src, _a, _b in plan
    )
    if not one_pass:
        return [counts(s) for s in slices]

    def within(anchor, plan):
        q = Q()
        for _src, a, b in plan:
            q |= Q(**{f"{anchor}__gte": a, f"{anchor}__lt": b})
        return q

    every = Q()
    aggregates = {}
    for i, plan in enumerate(plans):
        for anchor in ANCHORS:
            every |= within(anchor, plan)
        for m in MEASURES.values():
            aggregates[f"p{i}_{m.code}"] = Count("pk", filter=within(m.anchor, plan) & m.q())
    row = (
        CaseFact.objects.using(slices[0].using)
        .filter(slices[0].q_facts())
        .filter(every)
        .aggregate(**aggregates)
    )
    return [{c: int(row[f"p{i}_{c}"] or 0) for c in MEASURE_COLUMNS} for i in range(len(slices))]


def _rollup_source(grain: str, need_detail: bool, level: int, by: str | None):
    """(grain, detail) rows to read, or None to count the facts."""
    if by == "day" and grain == MONTH:
        # a daily breakdown needs day rows even across whole months
        grain = DAY
    if not need_detail and (grain, False, level) in MATERIALISED:
        return grain, False
    if (grain, True, level) in MATERIALISED:
        return grain, True
    return None


def _from_rollups(out, s: Slice, source, a: date, b: date, level: int, by: str | None):
    grain, detail = source
    qs = Rollup.objects.using(s.using).filter(
        grain=grain, detail=detail, level=level, bucket__gte=a, bucket__lt=b
    )
    qs = qs.filter(inside(s.area)) if by == "child" else qs.filter(area_code=s.area)
    if s.case_types:
        qs = qs.filter(case_type_id__in=s.case_types)
    if s.categories:
        qs = qs.filter(category_id__in=s.categories)
    if s.channel:
        qs = qs.filter(channel=s.channel)
    key = {
        None: None,
        "case_type": "case_type_id",
        "category": "category_id",
        "channel": "channel",
        "child": "area_code",
        "month": "month",
        "day": "bucket",
    }[by]
    if by == "month":
        qs = qs.annotate(month=TruncMonth("bucket") if grain == DAY else F("bucket"))
    sums = {f"n_{c}": Sum(c) for c in MEASURE_COLUMNS}
    if key is None:
        row = qs.aggregate(**sums)
        _add(out[None], row)
        return
    for row in qs.values(key).annotate(**sums).order_by():
        _add(out[_norm(row[key])], row)


# Below this code length an area holds few enough cases to count every anchor in one pass.
ONE_PASS_LEVEL = 9


def _from_facts(out, s: Slice, a: date, b: date, by: str | None):
    base = CaseFact.objects.using(s.using).filter(s.q_facts())
    if by == "child":  # cases filed at this area itself belong to no child
        base = base.alias(code_length=Length("area_code")).filter(
            code_length__gte=CHILD_LENGTH[len(s.area)]
        )

    def within(anchor):
        return Q(**{f"{anchor}__gte": a, f"{anchor}__lt": b})

    if len(s.area) >= ONE_PASS_LEVEL and by not in ("month", "day"):
        qs = base.filter(within(ANCHORS[0]) | within(ANCHORS[1]) | within(ANCHORS[2]))
        aggregates = {
            f"n_{m.code}": Count("pk", filter=within(m.anchor) & m.q()) for m in MEASURES.values()
        }
        _collect(out, qs, aggregates, by, ANCHORS[0], len(s.area))
        return
    for anchor in ANCHORS:
        aggregates = {f"n_{m.code}": Count("pk", filter=m.q()) for m in MEASURES_BY_ANCHOR[anchor]}
        _collect(out, base.filter(within(anchor)), aggregates, by, anchor, len(s.area))


def _collect(out, qs, aggregates, by, anchor, level):
    if by is None:
        _add(out[None], qs.aggregate(**aggregates))
        return
    qs = qs.annotate(k=_fact_key(by, anchor, level))
    for row in qs.values("k").annotate(**aggregates).order_by():
        _add(out[_norm(row["k"])], row)


def _fact_key(by: str, anchor: str, level: int):
    if by == "case_type":
        return F("case_type_id")
    if by == "category":
        return F("category_id")
    if by == "channel":
        return F("channel")
    if by == "child":
        return Substr("area_code", 1, CHILD_LENGTH[level])
    if by == "month":
        return TruncMonth(anchor)
    if by == "day":
        return F(anchor)
    return Value(0, IntegerField())


def _norm(key):
    if isinstance(key, str) and len(key) == 10 and key[4] == "-":
        return date.fromisoformat(key)  # SQLite hands dates back as text
    if hasattr(key, "date") and callable(key.date):
        return key.date()
    return key


def _add(target: Counts, row: dict) -> None:
    for c in MEASURE_COLUMNS:
        v = row.get(f"n_{c}")
        if v:
            target[c] += int(v)


def facts_only(s: Slice, by: str | None = None) -> dict:
    """The same counts from the facts alone (no rollups): for tests and the benchmark."""
    if by == "child" and len(s.area) not in CHILD_LENGTH:
        return {}
    out: dict = defaultdict(empty)
    _from_facts(out, s, s.start, s.end, by)
    if by is None:
        return dict(out.get(None, empty()))
    return {k: dict(v) for k, v in out.items() if any(v.values())}


def drill(s: Slice, measure: str):
    """The fact rows behind one base count: exactly the cases it counts."""
    m = MEASURES[measure]
    return (
        CaseFact.objects.using(s.using)
        .filter(s.q_facts())
        .filter(**{f"{m.anchor}__gte": s.start, f"{m.anchor}__lt": s.end})
        .filter(m.q())
    )
