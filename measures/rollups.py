"""Incremental rollups: kept in step with every case event, and rebuilt from the events alone.

`record_event` is called by `cases.services._record` inside the transaction that writes the
event: it folds the event into the case's fact, and adds the difference between the fact's
old and new contributions to the rollup rows (one multi-row upsert). `rebuild` folds every
case's events afresh and sums the facts with GROUP BY; a test holds both to the same rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

from django.db import connections, transaction
from django.db.models import Count, F, IntegerField, Value
from django.db.models.functions import Length, Substr, TruncMonth

from measures import facts
from measures.definitions import MEASURES
from measures.models import DAY, MEASURE_COLUMNS, MONTH, CaseFact, Rollup

LEVELS = (0, 6, 9, 12, 15)  # code lengths: everywhere, district, street, community, grid

# (grain, detail, level) kept as rollup rows. Detail rows (per type × category × channel)
# pay off only where many cases share a row; below that, and for grids, the facts table
# itself answers quickly (a street holds thousands of cases, a grid about a hundred).
MATERIALISED: frozenset[tuple[str, bool, int]] = frozenset({
    (MONTH, True, 0), (MONTH, True, 6), (DAY, True, 0),
    (MONTH, False, 0), (MONTH, False, 6), (MONTH, False, 9), (MONTH, False, 12),
    (DAY, False, 0), (DAY, False, 6),
})

ANCHORS = ("received_on", "due_on", "rated_on")
MEASURES_BY_ANCHOR = {a: [m for m in MEASURES.values() if m.anchor == a] for a in ANCHORS}
_COLUMN_INDEX = {name: i for i, name in enumerate(MEASURE_COLUMNS)}
Key = tuple  # (grain, detail, level, area_code, bucket, case_type_id, category_id, channel)


def level_of(code: str) -> int:
    return len(code)


def bucket_of(grain: str, day: date) -> date:
    return day if grain == DAY else day.replace(day=1)


def contributions(fact: CaseFact) -> list[tuple[date, list[int]]]:
    """(anchor day, counts in MEASURE_COLUMNS order) for each anchor the fact has."""
    out = []
    for anchor in ANCHORS:
        day = getattr(fact, anchor)
        if day is None:
            continue
        counts = [0] * len(MEASURE_COLUMNS)
        for m in MEASURES_BY_ANCHOR[anchor]:
            if m.test(fact):
                counts[_COLUMN_INDEX[m.code]] = 1
        out.append((day, counts))
    return out


def rows_for(fact: CaseFact) -> dict[Key, list[int]]:
    """The rollup rows a fact adds to, with what it adds."""
    rows: dict[Key, list[int]] = {}
    for day, counts in contributions(fact):
        for grain, detail, level in MATERIALISED:
            if level > len(fact.area_code):
                continue
            key = (grain, detail, level, fact.area_code[:level], bucket_of(grain, day),
                   fact.case_type_id if detail else 0, fact.category_id if detail else 0,
                   fact.channel if detail else "")
            row = rows.setdefault(key, [0] * len(MEASURE_COLUMNS))
            for i, n in enumerate(counts):
                row[i] += n
    return rows


def _delta(old: dict[Key, list[int]], new: dict[Key, list[int]]) -> dict[Key, list[int]]:
    out = {}
    for key in old.keys() | new.keys():
        a, b = old.get(key), new.get(key)
        diff = [(b[i] if b else 0) - (a[i] if a else 0) for i in range(len(MEASURE_COLUMNS))]
        if any(diff):
            out[key] = diff
    return out


KEY_COLUMNS = ("grain", "detail", "level", "area_code", "bucket", "case_type_id",
               "category_id", "channel")


def _upsert(deltas: dict[Key, list[int]], using: str = "default") -> None:
    """Add `deltas` to the rollup rows (creating missing ones) in one statement; sorted keys
    give concurrent writers one lock order."""
    if not deltas:
        return
    table = Rollup._meta.db_table
    cols = KEY_COLUMNS + MEASURE_COLUMNS
    one = "(" + ", ".join(["%s"] * len(cols)) + ")"
    params: list = []
    for key in sorted(deltas, key=lambda k: (k[0], k[1], k[2], k[3], k[4].isoformat(), k[5],
                                             k[6], k[7])):
        params.extend(key)
        params.extend(deltas[key])
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in MEASURE_COLUMNS)
    sql = (f"INSERT INTO {table} ({', '.join(cols)}) VALUES "
           + ", ".join([one] * len(deltas))
           + f" ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET {updates}")
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)


def record_event(event, case) -> None:
    """The hook for `cases.services._record`: fold this event into the case's fact and move
    the rollups by the difference. Runs inside the event's transaction."""
    fact = CaseFact.objects.filter(pk=case.pk).first()
    if fact is not None and event.seq <= fact.last_seq:
        return  # already folded (a rebuild ran after this event was written)
    old_rows = rows_for(fact) if fact is not None else {}
    if fact is None:
        if event.seq != 1:
            # The fact is missing though the case has history (rollups never built since
            # measures was installed): fold the whole log, not just this event.
            fact = facts.fold(case, case.events.order_by("seq"))
            _upsert(rows_for(fact))
            fact.save(force_insert=True)
            return
        fact = facts.new_fact(case.pk)
        is_new = True
    else:
        is_new = False
    facts.apply_event(fact, event.kind, event.at, event.to_status, event.data, event.seq)
    facts.finish(fact, area_code=case.area_code, case_type_id=case.case_type_id,
                 category_id=case.category_id, channel=case.channel, due_at=case.due_at,
                 received_at=case.received_at)
    _upsert(_delta(old_rows, rows_for(fact)))
    fact.save(force_insert=is_new)


# -- rebuild -------------------------------------------------------------------------------
def rebuild(*, using: str = "default", say: Callable[[str], None] | None = None,
            chunk: int = 20_000) -> dict[str, float]:
    """Throw the facts and rollups away and build them again from the cases' events."""
    say = say or (lambda _m: None)
    facts.clear_caches()
    timings = {}
    t0 = time.perf_counter()
    with transaction.atomic(using=using):
        Rollup.objects.using(using).all().delete()
        CaseFact.objects.using(using).all().delete()
        n = _rebuild_facts(using, chunk, say)
        timings["facts_s"] = time.perf_counter() - t0
        say(f"facts: {n} cases folded in {timings['facts_s']:.1f} s")
        t1 = time.perf_counter()
        rows = build_rollups_from_facts(using)
        timings["rollups_s"] = time.perf_counter() - t1
        say(f"rollups: {rows} rows summed in {timings['rollups_s']:.1f} s")
    timings["cases"] = n
    timings["rollup_rows"] = rows
    return timings


_FACT_COLUMNS = [f.column for f in CaseFact._meta.concrete_fields]


def _rebuild_facts(using: str, chunk: int, say) -> int:
    from cases.models import Case, CaseEvent

    conn = connections[using]
    cases = (Case.objects.using(using).order_by("pk")
             .values_list("pk", "area_code", "case_type_id", "category_id", "channel",
                          "due_at", "received_at"))
    events = (CaseEvent.objects.using(using).order_by("case_id", "seq")
              .values_list("case_id", "kind", "at", "to_status", "data", "seq"))
    writer = _FactWriter(conn, using)
    ev_iter = iter(events.iterator(chunk_size=chunk))
    pending = next(ev_iter, None)
    n = 0
    for pk, area, type_id, cat_id, channel, due_at, received_at in cases.iterator(
            chunk_size=chunk):
        fact = facts.new_fact(pk)
        while pending is not None and pending[0] < pk:
            pending = next(ev_iter, None)  # events of a vanished case: nothing to count
        while pending is not None and pending[0] == pk:
            facts.apply_event(fact, *pending[1:])
            pending = next(ev_iter, None)
        facts.finish(fact, area_code=area, case_type_id=type_id, category_id=cat_id,
                     channel=channel, due_at=due_at, received_at=received_at)
        writer.add(fact)
        n += 1
        if n % 500_000 == 0:
            say(f"  … {n} cases folded")
    writer.close()
    return n


class _FactWriter:
    """Writes fact rows in bulk: COPY on PostgreSQL, multi-row inserts elsewhere."""

    def __init__(self, conn, using: str):
        self.conn, self.using = conn, using
        self.batch: list[CaseFact] = []
        self.copy = None
        if conn.vendor == "postgresql":
            conn.ensure_connection()
            self.cursor = conn.connection.cursor()
            cols = ", ".join(_FACT_COLUMNS)
            self.copy_cm = self.cursor.copy(
                f"COPY {CaseFact._meta.db_table} ({cols}) FROM STDIN")
            self.copy = self.copy_cm.__enter__()

    def add(self, fact: CaseFact) -> None:
        if self.copy is not None:
            self.copy.write_row([getattr(fact, f.attname)
                                 for f in CaseFact._meta.concrete_fields])
            return
        self.batch.append(fact)
        if len(self.batch) >= 2000:
            self.flush()

    def flush(self) -> None:
        CaseFact.objects.using(self.using).bulk_create(self.batch)
        self.batch = []

    def close(self) -> None:
        if self.copy is not None:
            self.copy_cm.__exit__(None, None, None)
            self.cursor.close()
        else:
            self.flush()


def build_rollups_from_facts(using: str = "default") -> int:
    """Sum the facts into every materialised (grain, detail, level): GROUP BY in SQL, with
    the same conditions (`Measure.q`) that drill-downs use."""
    table = Rollup._meta.db_table
    cols = KEY_COLUMNS + MEASURE_COLUMNS
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in MEASURE_COLUMNS)
    conn = connections[using]
    for grain, detail, level in sorted(MATERIALISED):
        for anchor in ANCHORS:
            qs = CaseFact.objects.using(using).filter(**{f"{anchor}__isnull": False})
            if level:
                qs = qs.alias(code_length=Length("area_code")).filter(code_length__gte=level)
            bucket = F(anchor) if grain == DAY else TruncMonth(anchor)
            qs = qs.annotate(
                r_grain=Value(grain), r_detail=Value(detail), r_level=Value(level),
                r_area=Substr("area_code", 1, level) if level else Value(""),
                r_bucket=bucket,
                r_type=F("case_type_id") if detail else Value(0, IntegerField()),
                r_cat=F("category_id") if detail else Value(0, IntegerField()),
                r_channel=F("channel") if detail else Value(""),
            ).values("r_grain", "r_detail", "r_level", "r_area", "r_bucket", "r_type",
                     "r_cat", "r_channel")
            aggregates = {}
            for name in MEASURE_COLUMNS:
                m = MEASURES[name]
                aggregates[f"m_{name}"] = (Count("pk", filter=m.q()) if m.anchor == anchor
                                           else Value(0, IntegerField()))
            qs = qs.annotate(**aggregates).order_by()
            sql, params = qs.query.sql_with_params()
            with conn.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} ({', '.join(cols)}) SELECT * FROM ({sql}) AS s "
                    f"WHERE true ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET "
                    f"{updates}", params)
    return Rollup.objects.using(using).count()


def rollup_snapshot(using: str = "default") -> dict[Key, tuple[int, ...]]:
    """Every rollup row with a non-zero count (for comparing a live and a rebuilt set)."""
    out = {}
    for row in Rollup.objects.using(using).values_list(*KEY_COLUMNS, *MEASURE_COLUMNS):
        counts = tuple(row[len(KEY_COLUMNS):])
        if any(counts):
            out[tuple(row[:len(KEY_COLUMNS)])] = counts
    return out


def fact_snapshot(using: str = "default") -> dict[int, tuple]:
    names = [f.attname for f in CaseFact._meta.concrete_fields]
    return {row[0]: row for row in CaseFact.objects.using(using).values_list(*names)}
