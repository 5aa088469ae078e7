"""Incremental rollups: kept in step with every case event, and rebuilt from the events alone.

`record_event` is called by `cases.services._record` inside the transaction that writes the
event: it folds the event into the case's fact, and adds the difference between the fact's
old and new contributions to the rollup rows (one multi-row upsert). `rebuild` folds every
case's events afresh and sums the facts with GROUP BY; a test holds both to the same rows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache

from django.db import connections, transaction
from django.db.models import Count, F, IntegerField, Sum, Value
from django.db.models.functions import Length, Substr, TruncMonth

from measures import facts
from measures.definitions import MEASURES
from measures.models import DAY, MEASURE_COLUMNS, MONTH, CaseFact, Rollup
from pingan import bulk

LEVELS = (0, 6, 9, 12, 15)  # code lengths: everywhere, district, street, community, grid

# (grain, detail, level) kept as rollup rows. Detail rows (per type × category × channel)
# pay off only where many cases share a row; below that, and for grids, the facts table
# itself answers quickly (a street holds thousands of cases, a grid about a hundred).
MATERIALISED: frozenset[tuple[str, bool, int]] = frozenset(
    {
        (MONTH, True, 0),
        (MONTH, True, 6),
        (DAY, True, 0),
        (MONTH, False, 0),
        (MONTH, False, 6),
        (MONTH, False, 9),
        (MONTH, False, 12),
        (DAY, False, 0),
        (DAY, False, 6),
    }
)

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
            key = (
                grain,
                detail,
                level,
                fact.area_code[:level],
                bucket_of(grain, day),
                fact.case_type_id if detail else 0,
                fact.category_id if detail else 0,
                fact.channel if detail else "",
            )
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


KEY_COLUMNS = (
    "grain",
    "detail",
    "level",
    "area_code",
    "bucket",
    "case_type_id",
    "category_id",
    "channel",
)


def _upsert(
    deltas: dict[Key, list[int]], using: str = "default", *, into: bulk.Together | None = None
) -> None:
    """Add `deltas` to the rollup rows (creating missing ones) in one statement, run now or
    added to `into` (on its database); sorted keys give concurrent writers one lock order."""
    if not deltas:
        return
    connection = into.connection if into is not None else connections[using]
    keys = sorted(
        deltas, key=lambda k: (k[0], k[1], k[2], k[3], k[4].isoformat(), k[5], k[6], k[7])
    )
    if connection.vendor == "postgresql":
        # The rows as one JSON document, so the statement's text is the same whatever the
        # number of rows (the driver prepares it once) and binding costs one C call: one
        # array per column went through psycopg's list dumpers, written in Python, and was
        # a third of intake's rollup work (`pingan bench intake`, py-spy).
        sql = _json_upsert(connection.alias)
        params = [json.dumps([[*k[:4], k[4].isoformat(), *k[5:], *deltas[k]] for k in keys])]
    else:
        cols = KEY_COLUMNS + MEASURE_COLUMNS
        one = "(" + ", ".join(["%s"] * len(cols)) + ")"
        sql = (
            f"INSERT INTO {Rollup._meta.db_table} ({', '.join(cols)}) VALUES "
            + ", ".join([one] * len(deltas))
            + _ON_CONFLICT
        )
        params = [value for k in keys for value in (*k, *deltas[k])]
    if into is not None:
        into.execute(sql, params, join=True)  # an upsert returning nothing
    else:
        bulk.execute(connection, sql, params)


_ON_CONFLICT = f" ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET " + ", ".join(
    f"{c} = {Rollup._meta.db_table}.{c} + excluded.{c}" for c in MEASURE_COLUMNS
)


@lru_cache(maxsize=4)
def _json_upsert(using: str) -> str:
    """The PostgreSQL upsert of the rollup rows from a JSON array of rows (columns in
    KEY_COLUMNS + MEASURE_COLUMNS order), built once per database."""
    connection = connections[using]
    fields = {f.column: f for f in Rollup._meta.concrete_fields}
    cols = KEY_COLUMNS + MEASURE_COLUMNS
    values = ", ".join(f"(r->>{i})::{fields[c].db_type(connection)}" for i, c in enumerate(cols))
    return (
        f"INSERT INTO {Rollup._meta.db_table} ({', '.join(cols)}) "
        f"SELECT {values} FROM jsonb_array_elements(%s::text::jsonb) AS r" + _ON_CONFLICT
    )


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
    facts.finish(
        fact,
        area_code=case.area_code,
        case_type_id=case.case_type_id,
        category_id=case.category_id,
        channel=case.channel,
        due_at=case.due_at,
        received_at=case.received_at,
    )
    _upsert(_delta(old_rows, rows_for(fact)))
    fact.save(force_insert=is_new)


def record_intakes(pairs: list, into: bulk.Together) -> None:
    """`record_event` for the intake events of cases being inserted, together: one fact
    each, and the rollups moved by the sum of their contributions in one upsert (cases
    received the same day share their rows, so a batch adds up to few rows). Both
    statements are added to `into`, where they travel with the batch's inserts as one
    statement: the rows every intake shares are locked from then until the commit, the
    one round trip that follows."""
    made, deltas = [], {}
    for event, case in pairs:
        fact = facts.Fact(case.pk)  # a plain row: no model object is needed to insert it
        facts.apply_event(fact, event.kind, event.at, event.to_status, event.data, event.seq)
        facts.finish(
            fact,
            area_code=case.area_code,
            case_type_id=case.case_type_id,
            category_id=case.category_id,
            channel=case.channel,
            due_at=case.due_at,
            received_at=case.received_at,
        )
        for key, counts in rows_for(fact).items():
            row = deltas.setdefault(key, [0] * len(MEASURE_COLUMNS))
            for i, n in enumerate(counts):
                row[i] += n
        made.append(fact.row())
    into.insert_rows(CaseFact, made)
    _upsert(deltas, into=into)


# -- rebuild -------------------------------------------------------------------------------
def rebuild(
    *, using: str = "default", say: Callable[[str], None] | None = None, chunk: int = 20_000
) -> dict[str, float]:
    """Throw the facts and rollups away and build them again from the cases' events."""
    say = say or (lambda _m: None)
    facts.set_database(using)
    facts.clear_caches()
    timings = {}
    t0 = time.perf_counter()
    with transaction.atomic(using=using):
        Rollup.objects.using(using).all().delete()
        CaseFact.objects.using(using).all().delete()
        n = _rebuild_facts(using, chunk, say)
        timings["facts_s"] = time.perf_counter() - t0
        say(f"facts: {n} cases folded in {timings['facts_s']:.1f} s")
        if connections[using].vendor == "postgresql":
            # keep each area's facts together on disk: an area's figures read few pages
            with connections[using].cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"CLUSTER {CaseFact._meta.db_table} USING fact_area_received")
        t1 = time.perf_counter()
        rows = build_rollups_from_facts(using)
        timings["rollups_s"] = time.perf_counter() - t1
        say(f"rollups: {rows} rows summed in {timings['rollups_s']:.1f} s")
    timings["cases"] = n
    timings["rollup_rows"] = rows
    return timings


_EVENTS_SQL = {
    "postgresql": """SELECT case_id, kind, at::text, to_status,
                            data->>'on_time', data->>'rating', data->>'outcome', seq
                     FROM cases_caseevent ORDER BY case_id, seq""",
    "sqlite": """SELECT case_id, kind, CAST(at AS TEXT), to_status,
                        json_extract(data, '$.on_time'), json_extract(data, '$.rating'),
                        json_extract(data, '$.outcome'), seq
                 FROM cases_caseevent ORDER BY case_id, seq""",
}
_CASES_SQL = {
    "postgresql": """SELECT id, area_code, case_type_id, category_id, channel,
                            due_at::text, received_at::text
                     FROM cases_case ORDER BY id""",
    "sqlite": """SELECT id, area_code, case_type_id, category_id, channel,
                        CAST(due_at AS TEXT), CAST(received_at AS TEXT)
                 FROM cases_case ORDER BY id""",
}
# The only events whose time or data the fold keeps (see facts.apply_event).
_TIMED = {"intake", "close", "rate"}


def _moment(text: str | None) -> datetime | None:
    """A stored time, from its text (exact to the microsecond, unlike a float)."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _stream(conn, sql: str, name: str, chunk: int):
    """Rows of `sql`, fetched in chunks (a server-side cursor on PostgreSQL)."""
    if conn.vendor == "postgresql":
        cursor = conn.connection.cursor(name=name)
        cursor.itersize = chunk
    else:
        cursor = conn.connection.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(chunk):
            yield from rows
    finally:
        cursor.close()


def _rebuild_facts(using: str, chunk: int, say) -> int:
    """Fold every case's events (streamed in case order) into its fact, written in bulk."""
    conn = connections[using]
    conn.ensure_connection()
    vendor = "postgresql" if conn.vendor == "postgresql" else "sqlite"
    writer = _FactWriter(conn, using)
    events = _stream(conn, _EVENTS_SQL[vendor], "pingan_events", chunk)
    pending = next(events, None)
    n = 0
    apply, finish = facts.apply_event, facts.finish
    for pk, area, type_id, cat_id, channel, due, received in _stream(
        conn, _CASES_SQL[vendor], "pingan_cases", chunk
    ):
        fact = facts.Fact(pk)
        while pending is not None and pending[0] < pk:
            pending = next(events, None)  # events of a vanished case: nothing to count
        while pending is not None and pending[0] == pk:
            _c, kind, at, to_status, on_time, rating, outcome, seq = pending
            data = None
            if kind == "close" and on_time is not None:
                data = {"on_time": on_time in (True, 1, "true")}
            elif kind == "rate":
                data = {"rating": rating or ""}
            elif kind == "resolve":
                data = {"outcome": outcome or ""}
            apply(fact, kind, _moment(at) if kind in _TIMED else None, to_status, data, seq)
            pending = next(events, None)
        finish(
            fact,
            area_code=area,
            case_type_id=type_id,
            category_id=cat_id,
            channel=channel,
            due_at=_moment(due),
            received_at=_moment(received),
        )
        writer.add(fact)
        n += 1
        if n % 1_000_000 == 0:
            say(f"  … {n} cases folded")
    writer.close()
    return n


class _FactWriter:
    """Writes fact rows in bulk: COPY on PostgreSQL, multi-row inserts elsewhere. In
    batches, since the same connection is streaming the cases and events being folded."""

    def __init__(self, conn, using: str, batch: int = 20_000):
        self.conn, self.using, self.size = conn, using, batch
        self.batch: list[facts.Fact] = []

    def add(self, fact: facts.Fact) -> None:
        self.batch.append(fact)
        if len(self.batch) >= self.size:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        if self.conn.vendor == "postgresql":
            cols = ", ".join(f.column for f in CaseFact._meta.concrete_fields)
            with (
                self.conn.connection.cursor() as cursor,
                cursor.copy(f"COPY {CaseFact._meta.db_table} ({cols}) FROM STDIN") as copy,
            ):
                for fact in self.batch:
                    copy.write_row(fact.row())
        else:
            CaseFact.objects.using(self.using).bulk_create([f.model() for f in self.batch])
        self.batch = []

    def close(self) -> None:
        self.flush()


def _derived_from(combo: tuple[str, bool, int]) -> tuple[str, bool, int] | None:
    """A finer materialised combination this one is a plain sum of (months of days, totals
    of detail), so it need not read the facts again."""
    grain, detail, level = combo
    if grain == MONTH and (DAY, detail, level) in MATERIALISED:
        return DAY, detail, level
    if not detail and (grain, True, level) in MATERIALISED:
        return grain, True, level
    return None


def build_rollups_from_facts(using: str = "default") -> int:
    """Sum the facts into every materialised (grain, detail, level): GROUP BY in SQL, with
    the same conditions (`Measure.q`) that drill-downs use; one INSERT per combination.
    Combinations that are sums of a finer one are summed from its rows instead."""
    table = Rollup._meta.db_table
    keys = ["r_grain", "r_detail", "r_level", "r_area", "r_bucket", "r_type", "r_cat", "r_channel"]
    conn = connections[using]
    done: set[tuple[str, bool, int]] = set()
    pending = sorted(MATERIALISED)
    while pending:
        combo = next(c for c in pending if _derived_from(c) in done or _derived_from(c) is None)
        pending.remove(combo)
        grain, detail, level = combo
        source = _derived_from(combo)
        constants = {"r_grain": Value(grain), "r_detail": Value(detail), "r_level": Value(level)}
        if source is not None:
            qs = (
                Rollup.objects.using(using)
                .filter(grain=source[0], detail=source[1], level=source[2])
                .annotate(
                    **constants,
                    r_area=F("area_code"),
                    r_bucket=TruncMonth("bucket") if grain != source[0] else F("bucket"),
                    r_type=F("case_type_id") if detail else Value(0, IntegerField()),
                    r_cat=F("category_id") if detail else Value(0, IntegerField()),
                    r_channel=F("channel") if detail else Value(""),
                )
                .values(*keys)
                .annotate(**{f"m_{c}": Sum(c) for c in MEASURE_COLUMNS})
            )
            sql, params = qs.order_by().query.get_compiler(using=using).as_sql()
            with conn.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} ({', '.join(KEY_COLUMNS + MEASURE_COLUMNS)})"
                    f" SELECT * FROM ({sql}) AS d",
                    params,
                )
            done.add(combo)
            continue
        parts, params = [], []
        for anchor in ANCHORS:
            qs = CaseFact.objects.using(using).filter(**{f"{anchor}__isnull": False})
            if level:
                qs = qs.alias(code_length=Length("area_code")).filter(code_length__gte=level)
            qs = qs.annotate(
                **constants,
                r_area=Substr("area_code", 1, level) if level else Value(""),
                r_bucket=F(anchor) if grain == DAY else TruncMonth(anchor),
                r_type=F("case_type_id") if detail else Value(0, IntegerField()),
                r_cat=F("category_id") if detail else Value(0, IntegerField()),
                r_channel=F("channel") if detail else Value(""),
            ).values(*keys)
            aggregates = {}
            for name in MEASURE_COLUMNS:
                m = MEASURES[name]
                aggregates[f"m_{name}"] = (
                    Count("pk", filter=m.q()) if m.anchor == anchor else Value(0, IntegerField())
                )
            sql, p = qs.annotate(**aggregates).order_by().query.get_compiler(using=using).as_sql()
            parts.append(sql)
            params.extend(p)
        sums = ", ".join(f"SUM(m_{name})" for name in MEASURE_COLUMNS)
        with conn.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(KEY_COLUMNS + MEASURE_COLUMNS)}) "
                f"SELECT {', '.join(keys)}, {sums} FROM ({' UNION ALL '.join(parts)}) AS u "
                f"GROUP BY {', '.join(keys)}",
                params,
            )
        done.add(combo)
    return Rollup.objects.using(using).count()


def rollup_snapshot(using: str = "default") -> dict[Key, tuple[int, ...]]:
    """Every rollup row with a non-zero count (for comparing a live and a rebuilt set)."""
    out = {}
    for row in Rollup.objects.using(using).values_list(*KEY_COLUMNS, *MEASURE_COLUMNS):
        counts = tuple(row[len(KEY_COLUMNS) :])
        if any(counts):
            out[tuple(row[: len(KEY_COLUMNS)])] = counts
    return out


def fact_snapshot(using: str = "default") -> dict[int, tuple]:
    names = [f.attname for f in CaseFact._meta.concrete_fields]
    return {row[0]: row for row in CaseFact.objects.using(using).values_list(*names)}
