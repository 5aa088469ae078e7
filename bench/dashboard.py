"""Dashboard benchmark: a city of N grids and M cases with their events, on PostgreSQL.

Generation is bulk (COPY straight into the case and event tables of a separate bench
database, never through the services); the facts and rollups are then built by the same
`measures.rollups.rebuild` that `pingan rebuild-rollups` runs. Then the dashboard's figures
for random areas and periods are timed from the rollups (`measures.report.dashboard`) and
from a plain GROUP BY over cases and events, and the two answers are checked equal.
"""

from __future__ import annotations

import io
import json
import math
import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import numpy as np
from django.conf import settings
from django.core.management import call_command
from django.db import connections

ALIAS = "bench"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/pingan_bench"
GRIDS_PER_COMMUNITY, COMMUNITIES_PER_STREET, STREETS_PER_DISTRICT = 9, 10, 24
FIRST_DAY = datetime(2019, 1, 1, tzinfo=UTC)
CELL = 0.004
TABLES = ("cases_case", "cases_caseevent")
# the columns, in the order the rows are written below
CASE_COLUMNS = (
    "id",
    "number",
    "case_type_id",
    "category_id",
    "category_confidence",
    "title",
    "text",
    "lon",
    "lat",
    "address",
    "grid_code",
    "area_code",
    "location",
    "channel",
    "priority",
    "status",
    "owner_unit_id",
    "received_at",
    "due_at",
    "warn_at",
    "deadline_state",
    "calendar_known",
    "pauses",
    "paused_at",
    "extensions",
    "escalation_level",
    "escalations",
    "reopen_count",
    "rework_count",
    "outcome",
    "verified_at",
    "rating",
    "resolved_at",
    "closed_at",
    "merged_into_id",
    "client_key",
    "public_code_hash",
    "created_by_id",
    "version",
    "updated_at",
)
EVENT_COLUMNS = (
    "id",
    "case_id",
    "seq",
    "at",
    "actor_id",
    "actor_unit_id",
    "actor_label",
    "kind",
    "from_status",
    "to_status",
    "reason",
    "data",
)

# case type code → (share of cases, deadline in days)
TYPES = {
    "request": (0.46, 14),
    "hazard": (0.18, 7),
    "dispute": (0.22, 30),
    "petition": (0.08, 60),
    "rental": (0.05, 7),
    "crowd": (0.01, 1),
}
CHANNELS = [
    ("hotline", 0.34),
    ("grid_worker", 0.22),
    ("resident_web", 0.14),
    ("online", 0.12),
    ("clerk", 0.06),
    ("reception_day", 0.05),
    ("petition_office", 0.03),
    ("police", 0.02),
    ("open311", 0.02),
]


# -- the bench database ----------------------------------------------------------------------
def connect(url: str, *, fresh: bool = False) -> None:
    """Register the bench database as the connection alias `bench`, creating it if needed
    (dropping it first when `fresh`)."""
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    if cfg["ENGINE"] != "django.db.backends.postgresql":
        raise ValueError("the dashboard benchmark needs PostgreSQL")
    admin = psycopg.connect(
        host=cfg["HOST"] or None,
        port=cfg["PORT"] or None,
        user=cfg["USER"] or None,
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        if fresh:
            admin.execute(f'drop database if exists "{cfg["NAME"]}" with (force)')
        found = admin.execute(
            "select 1 from pg_database where datname = %s", [cfg["NAME"]]
        ).fetchone()
        if not found:
            admin.execute(f'create database "{cfg["NAME"]}"')
    base = dict(connections.settings["default"])
    base.update({k: cfg[k] for k in ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")})
    base.update(OPTIONS={}, CONN_MAX_AGE=0, CONN_HEALTH_CHECKS=False, ATOMIC_REQUESTS=False)
    base["TEST"] = {}
    connections.settings[ALIAS] = base
    connections.databases[ALIAS] = base


def case_count() -> int:
    with connections[ALIAS].cursor() as cur:
        cur.execute("select count(*) from cases_case")
        return cur.fetchone()[0]


def disk_bytes() -> int:
    with connections[ALIAS].cursor() as cur:
        cur.execute("select pg_database_size(current_database())")
        return cur.fetchone()[0]


# -- the city ----------------------------------------------------------------------------------
def city_shape(n_grids: int) -> tuple[int, int, int]:
    communities = math.ceil(n_grids / GRIDS_PER_COMMUNITY)
    streets = math.ceil(communities / COMMUNITIES_PER_STREET)
    districts = math.ceil(streets / STREETS_PER_DISTRICT)
    return districts, streets, communities


def _box(x0, y0, x1, y1) -> str:
    return json.dumps(
        {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}
    )


def generate_areas(n_grids: int, say) -> list[str]:
    """Districts → streets → communities → grids laid out on a lattice; grid codes back."""
    districts, streets, communities = city_shape(n_grids)
    side = math.ceil(math.sqrt(n_grids))
    now = datetime.now(UTC).isoformat()
    rows, grid_codes = [], []
    next_id = 1
    ids: dict[str, int] = {}

    def add(code, name, level, parent, boxes):
        nonlocal next_id
        x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
        x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
        area = (x1 - x0) * (y1 - y0) * 111_000 * 97_000
        ids[code] = next_id
        rows.append(
            "\t".join(
                map(
                    str,
                    [
                        next_id,
                        code,
                        name,
                        level,
                        ids[parent] if parent else r"\N",
                        _box(x0, y0, x1, y1),
                        (x0 + x1) / 2,
                        (y0 + y1) / 2,
                        area,
                        x0,
                        y0,
                        x1,
                        y1,
                        now,
                    ],
                )
            )
        )
        next_id += 1

    def cell(i):
        x, y = 106.2 + (i % side) * CELL, 29.2 + (i // side) * CELL
        return (x, y, x + CELL, y + CELL)

    g = 0
    plan = []  # (district, street, community, [grid indices])
    for c in range(communities):
        n = min(GRIDS_PER_COMMUNITY, n_grids - g)
        plan.append(
            (
                c // (COMMUNITIES_PER_STREET * STREETS_PER_DISTRICT),
                c // COMMUNITIES_PER_STREET,
                c,
                list(range(g, g + n)),
            )
        )
        g += n
    d_boxes: dict[int, list] = {}
    s_boxes: dict[int, list] = {}
    for d, s, _c, cells in plan:
        boxes = [cell(i) for i in cells]
        d_boxes.setdefault(d, []).extend(boxes[:1] + boxes[-1:])
        s_boxes.setdefault(s, []).extend(boxes[:1] + boxes[-1:])

    def d_code(d):
        return f"5001{d + 1:02d}" if d < 99 else f"50{d + 1:04d}"

    def s_code(s):
        return d_code(s // STREETS_PER_DISTRICT) + f"{s % STREETS_PER_DISTRICT + 1:03d}"

    for d in range(districts):
        add(d_code(d), f"区{d + 1}", "district", None, d_boxes[d])
    for s in range(streets):
        add(s_code(s), f"街道{s + 1}", "street", d_code(s // STREETS_PER_DISTRICT), s_boxes[s])
    for _d, s, c, cells in plan:
        ccode = s_code(s) + f"{c % COMMUNITIES_PER_STREET + 1:03d}"
        add(ccode, f"社区{c + 1}", "community", s_code(s), [cell(i) for i in cells])
        for k, i in enumerate(cells):
            gcode = ccode + f"{k + 1:03d}"
            add(gcode, f"网格{i + 1}", "grid", ccode, [cell(i)])
            grid_codes.append(gcode)
    conn = connections[ALIAS]
    conn.ensure_connection()
    with conn.connection.cursor() as cur:
        cur.execute("truncate territory_area cascade")
        with cur.copy(
            "copy territory_area (id, code, name, level, parent_id, geometry, "
            "centroid_lon, centroid_lat, area_m2, min_lon, min_lat, max_lon, "
            "max_lat, updated_at) from stdin"
        ) as copy:
            copy.write("\n".join(rows) + "\n")
        cur.execute("select setval(pg_get_serial_sequence('territory_area', 'id'), %s)", [next_id])
    conn.connection.commit()
    say(
        f"city: {districts} districts, {streets} streets, {communities} communities, "
        f"{n_grids} grids"
    )
    return grid_codes


# -- cases and their events ------------------------------------------------------------------
def ensure_catalogue() -> None:
    """The shipped case types and categories (the data migration writes only to the default
    database)."""
    from cases.catalogue import CASE_TYPES, CATEGORIES
    from cases.models import CaseType, Category

    types = {}
    for code, name, (amount, unit, max_ext, max_n) in CASE_TYPES:
        types[code], _new = CaseType.objects.using(ALIAS).get_or_create(
            code=code,
            defaults={
                "name": name,
                "deadline_amount": amount,
                "deadline_unit": unit,
                "max_extension": max_ext,
                "max_extensions": max_n,
            },
        )
    cats: dict = {}
    for code, name, parent, type_code, _kw, _override in CATEGORIES:
        cats[code], _new = Category.objects.using(ALIAS).get_or_create(
            code=code,
            defaults={"name": name, "case_type": types[type_code], "parent": cats.get(parent)},
        )


def _catalogue():
    ensure_catalogue()
    with connections[ALIAS].cursor() as cur:
        cur.execute("select id, code from cases_casetype")
        types = {code: pk for pk, code in cur.fetchall()}
        cur.execute(
            "select c.id, t.code from cases_category c join cases_casetype t "
            "on t.id = c.case_type_id"
        )
        cats: dict[str, list[int]] = {}
        for pk, tcode in cur.fetchall():
            cats.setdefault(tcode, []).append(pk)
    return types, cats


def _drop_indexes(say) -> list[str]:
    """Drop the case tables' secondary indexes and constraints (kept: primary keys); the
    statements to put them back are returned."""
    restore = []
    with connections[ALIAS].cursor() as cur:
        for table in TABLES:
            cur.execute(
                """select conname, pg_get_constraintdef(oid) from pg_constraint
                           where conrelid = %s::regclass and contype in ('f', 'u')""",
                [table],
            )
            for name, definition in cur.fetchall():
                # foreign keys come back NOT VALID: no hour-long check of rows we just wrote
                suffix = " not valid" if definition.lower().startswith("foreign key") else ""
                restore.append(f'alter table {table} add constraint "{name}" {definition}{suffix}')
                cur.execute(f'alter table {table} drop constraint "{name}"')
            cur.execute(
                """select indexname, indexdef from pg_indexes where tablename = %s
                           and indexname not in (select conname from pg_constraint
                           where conrelid = %s::regclass)""",
                [table, table],
            )
            for name, definition in cur.fetchall():
                restore.append(definition)
                cur.execute(f'drop index "{name}"')
    say(f"dropped {len(restore)} indexes and constraints for the bulk load")
    return restore


def _restore_indexes(restore: list[str], say) -> None:
    t0 = time.perf_counter()
    with connections[ALIAS].cursor() as cur:
        cur.execute("set maintenance_work_mem = '1GB'")
        for statement in sorted(restore, key=lambda s: "foreign key" in s.lower()):
            cur.execute(statement)
    say(f"indexes and constraints rebuilt in {time.perf_counter() - t0:.0f} s")


def _fmt(ts: np.ndarray) -> np.ndarray:
    return np.char.add(np.datetime_as_string(ts.astype("datetime64[s]"), unit="s"), "+00")


def generate_cases(n: int, grid_codes: list[str], seed: int, say, chunk: int = 100_000):
    """n cases with their events, written with COPY in chunks."""
    rng = np.random.default_rng(seed)
    types, cats = _catalogue()
    type_codes = list(TYPES)
    type_p = np.array([TYPES[t][0] for t in type_codes])
    type_p /= type_p.sum()
    chan_codes = [c for c, _p in CHANNELS]
    chan_p = np.array([p for _c, p in CHANNELS])
    chan_p /= chan_p.sum()
    # some grids are far busier than others
    weights = rng.lognormal(0, 1.0, len(grid_codes))
    weights /= weights.sum()
    now = np.datetime64(datetime.now(UTC).replace(tzinfo=None), "s")
    first = np.datetime64(FIRST_DAY.replace(tzinfo=None), "s")
    span = int((now - first) / np.timedelta64(1, "s")) - 3600
    conn = connections[ALIAS]
    conn.ensure_connection()
    pg = conn.connection
    grid_arr = np.array(grid_codes)
    case_cols, event_cols = ", ".join(CASE_COLUMNS), ", ".join(EVENT_COLUMNS)
    event_id = 1
    written = 0
    t0 = time.perf_counter()
    with pg.cursor() as cur:
        cur.execute("set synchronous_commit = off")
        for base in range(0, n, chunk):
            m = min(chunk, n - base)
            ids = np.arange(base + 1, base + m + 1)
            grid = grid_arr[rng.choice(len(grid_codes), m, p=weights)]
            received = first + rng.integers(0, span, m).astype("timedelta64[s]")
            tix = rng.choice(len(type_codes), m, p=type_p)
            chan = np.array(chan_codes)[rng.choice(len(chan_codes), m, p=chan_p)]
            deadline_days = np.array([TYPES[t][1] for t in type_codes])[tix]
            due = received + (deadline_days * 86400).astype("timedelta64[s]")
            # time to resolve: mostly inside the deadline, a tail beyond it
            work = (deadline_days * 86400 * rng.beta(2, 3, m) * 1.35).astype("timedelta64[s]")
            u = rng.random((m, 8))
            extended = u[:, 0] < 0.04
            due_final = np.where(extended, due + np.timedelta64(5 * 86400, "s"), due)
            resolved = received + np.timedelta64(3 * 3600, "s") + work
            closed = resolved + np.timedelta64(20 * 3600, "s")
            rejected = u[:, 1] < 0.03
            merged = (~rejected) & (u[:, 1] < 0.04)
            stuck = u[:, 2] < 0.003  # never finished: the backlog, old ones are 积案
            is_open = (~rejected) & (~merged) & ((closed > now) | stuck)
            reopened = u[:, 3] < 0.03
            reworked = u[:, 4] < 0.05
            escalated = u[:, 5] < 0.03
            contact_failed = u[:, 6] < 0.03
            rating_roll = u[:, 7]
            strs = {
                name: _fmt(arr)
                for name, arr in [
                    ("received", received),
                    ("due", due_final),
                    ("resolved", resolved),
                    ("closed", closed),
                    ("h1", received + np.timedelta64(3600, "s")),
                    ("h2", received + np.timedelta64(7200, "s")),
                    ("h3", received + np.timedelta64(3 * 3600, "s")),
                    ("v", resolved + np.timedelta64(4 * 3600, "s")),
                    ("r", resolved + np.timedelta64(8 * 3600, "s")),
                    ("ext", received + np.timedelta64(4 * 3600, "s")),
                    ("late1", closed + np.timedelta64(3600, "s")),
                    ("late2", closed + np.timedelta64(2 * 86400, "s")),
                    ("late3", closed + np.timedelta64(2 * 86400 + 4 * 3600, "s")),
                    ("late4", closed + np.timedelta64(2 * 86400 + 8 * 3600, "s")),
                    ("late5", closed + np.timedelta64(2 * 86400 + 12 * 3600, "s")),
                ]
            }
            cat_pick = rng.random(m)
            case_buf, ev_buf = io.StringIO(), io.StringIO()
            for j in range(m):
                pk = int(ids[j])
                tcode = type_codes[tix[j]]
                cat_list = cats[tcode]
                cat = cat_list[int(cat_pick[j] * len(cat_list))]
                area = grid[j]
                rec = strs["received"][j]
                events = [(rec, "intake", "", "received", "{}")]
                status, closed_at, outcome, rating = "received", r"\N", "", ""
                resolved_at = verified_at = r"\N"
                n_ext = n_rework = n_reopen = n_esc = 0
                if rejected[j]:
                    events.append((strs["h1"][j], "reject", "received", "rejected", "{}"))
                    status, closed_at = "rejected", strs["h1"][j]
                elif merged[j]:
                    events.append((strs["h1"][j], "accept", "received", "accepted", "{}"))
                    events.append((strs["h2"][j], "merge", "accepted", "merged", "{}"))
                    status, closed_at = "merged", strs["h2"][j]
                else:
                    events.append((strs["h1"][j], "accept", "received", "accepted", "{}"))
                    if escalated[j]:
                        events.append((strs["h1"][j], "escalate", "accepted", "accepted", "{}"))
                        n_esc = 1
                    events.append((strs["h2"][j], "assign", "accepted", "assigned", "{}"))
                    events.append((strs["h3"][j], "start", "assigned", "in_progress", "{}"))
                    status = "in_progress"
                    if extended[j]:
                        events.append((strs["ext"][j], "extend", status, status, '{"amount": 5}'))
                        n_ext = 1
                    if not is_open[j]:
                        outcome = (
                            "resolved"
                            if rating_roll[j] < 0.9
                            else ("partly" if rating_roll[j] < 0.97 else "not_resolved")
                        )
                        res = strs["resolved"][j]
                        events.append(
                            (
                                res,
                                "resolve",
                                "in_progress",
                                "resolved",
                                f'{{"outcome": "{outcome}"}}',
                            )
                        )
                        if reworked[j]:
                            events.append(
                                (
                                    res,
                                    "verify_failed",
                                    "resolved",
                                    "in_progress",
                                    '{"passed": false}',
                                )
                            )
                            events.append(
                                (
                                    res,
                                    "resolve",
                                    "in_progress",
                                    "resolved",
                                    f'{{"outcome": "{outcome}"}}',
                                )
                            )
                            n_rework = 1
                        events.append(
                            (strs["v"][j], "verify", "resolved", "resolved", '{"passed": true}')
                        )
                        resolved_at = res
                        verified_at = strs["v"][j]
                        close_at = strs["closed"][j]
                        if reopened[j]:
                            events.append(
                                (
                                    strs["r"][j],
                                    "rate",
                                    "resolved",
                                    "resolved",
                                    '{"rating": "unsatisfied", "method": "online"}',
                                )
                            )
                            events.append((strs["r"][j], "reopen", "resolved", "in_progress", "{}"))
                            events.append(
                                (
                                    strs["late1"][j],
                                    "resolve",
                                    "in_progress",
                                    "resolved",
                                    f'{{"outcome": "{outcome}"}}',
                                )
                            )
                            events.append(
                                (
                                    strs["late2"][j],
                                    "verify",
                                    "resolved",
                                    "resolved",
                                    '{"passed": true}',
                                )
                            )
                            events.append(
                                (
                                    strs["late3"][j],
                                    "rate",
                                    "resolved",
                                    "resolved",
                                    '{"rating": "basic", "method": "online"}',
                                )
                            )
                            close_at = strs["late4"][j]
                            resolved_at, verified_at = strs["late1"][j], strs["late2"][j]
                            n_reopen, rating = 1, "basic"
                        elif contact_failed[j]:
                            events.append(
                                (
                                    strs["r"][j],
                                    "contact_failed",
                                    "resolved",
                                    "resolved",
                                    '{"method": "call"}',
                                )
                            )
                        else:
                            rating = "satisfied" if rating_roll[j] < 0.9 else "basic"
                            events.append(
                                (
                                    strs["r"][j],
                                    "rate",
                                    "resolved",
                                    "resolved",
                                    f'{{"rating": "{rating}", "method": "online"}}',
                                )
                            )
                        on_time = close_at <= strs["due"][j]
                        events.append(
                            (
                                close_at,
                                "close",
                                "resolved",
                                "closed",
                                '{"on_time": true}' if on_time else '{"on_time": false}',
                            )
                        )
                        status, closed_at = "closed", close_at
                for seq, (at, kind, frm, to, data) in enumerate(events, 1):
                    ev_buf.write(
                        f"{event_id}\t{pk}\t{seq}\t{at}\t\\N\t\\N\t\t{kind}\t{frm}"
                        f"\t{to}\t\t{data}\n"
                    )
                    event_id += 1
                ext_json = '[{"amount": 5}]' if n_ext else "[]"
                case_buf.write(
                    f"{pk}\t{area[:6]}-{rec[:4]}-{pk:09d}\t{types[tcode]}\t{cat}\t\\N\t"
                    f"事件{pk}\t\t\\N\t\\N\t\t{area}\t{area}\tlocated\t{chan[j]}\tnormal\t"
                    f"{status}\t\\N\t{rec}\t{strs['due'][j]}\t\\N\tok\tt\t[]\t\\N\t{ext_json}"
                    f"\t\t{n_esc}\t{n_reopen}\t{n_rework}\t{outcome}\t{verified_at}\t"
                    f"{rating}\t{resolved_at}\t{closed_at}\t\\N\t\\N\t\t\\N\t1\t{rec}\n"
                )
            with cur.copy(f"copy cases_case ({case_cols}) from stdin") as copy:
                copy.write(case_buf.getvalue())
            with cur.copy(f"copy cases_caseevent ({event_cols}) from stdin") as copy:
                copy.write(ev_buf.getvalue())
            pg.commit()
            written += m
            if written % 1_000_000 == 0 or written == n:
                rate = written / (time.perf_counter() - t0)
                say(f"  … {written} cases, {event_id - 1} events ({rate:,.0f} cases/s)")
        cur.execute("select setval(pg_get_serial_sequence('cases_case', 'id'), %s)", [n + 1])
        cur.execute(
            "select setval(pg_get_serial_sequence('cases_caseevent', 'id'), %s)", [event_id]
        )
    pg.commit()
    return event_id - 1


def generate(n_cases: int, n_grids: int, seed: int, say) -> dict:
    from measures import rollups

    t0 = time.perf_counter()
    call_command("migrate", database=ALIAS, verbosity=0)
    grid_codes = generate_areas(n_grids, say)
    restore = _drop_indexes(say)
    t1 = time.perf_counter()
    n_events = generate_cases(n_cases, grid_codes, seed, say)
    say(f"cases and events written in {time.perf_counter() - t1:.0f} s")
    _restore_indexes(restore, say)
    t2 = time.perf_counter()
    rollups.rebuild(using=ALIAS, say=say)
    rebuild_s = time.perf_counter() - t2
    t3 = time.perf_counter()
    with connections[ALIAS].cursor() as cur:
        cur.execute("vacuum analyze")
    say(f"vacuum analyze in {time.perf_counter() - t3:.0f} s")
    return {"events": n_events, "generate_s": time.perf_counter() - t0, "rebuild_s": rebuild_s}


# -- the questions ---------------------------------------------------------------------------
def sample_questions(k: int, seed: int) -> list[tuple[str, object]]:
    """k (area, period) pairs: a level at random (everywhere, district, street, community,
    grid), an area of it at random, a period kind and position at random."""
    from measures.periods import Period, of_kind

    rng = random.Random(seed)
    with connections[ALIAS].cursor() as cur:
        codes = {}
        for level in ("district", "street", "community", "grid"):
            cur.execute("select code from territory_area where level = %s", [level])
            codes[level] = [r[0] for r in cur.fetchall()]
    today = datetime.now(UTC).date()
    first = date(2020, 1, 1)
    out = []
    for _ in range(k):
        level = rng.choice(["all", "district", "street", "community", "grid"])
        area = "" if level == "all" else rng.choice(codes[level])
        kind = rng.choice(["day", "week", "month", "quarter", "year", "custom"])
        day = first + timedelta(days=rng.randrange((today - first).days))
        if kind == "custom":
            length = rng.randrange(7, 120)
            period = Period("custom", day, day + timedelta(days=length))
        else:
            period = of_kind(kind, day)
        out.append((area, period))
    return out


def rollup_answer(area: str, period, now: datetime) -> dict:
    from measures import report

    d = report.dashboard(area, period, using=ALIAS, now=now)
    cards = {}
    for code, card in d["cards"].items():
        cards[code] = tuple(
            (f.numerator, f.denominator) for f in (card.figure, card.year_before, card.previous)
        )
    return {
        "cards": cards,
        "by_category": _clean(d["by_category"]),
        "by_channel": _clean(d["by_channel"]),
        "by_child": _clean(d["by_child"]),
        "trend": _clean(d["trend"]),
        "current": d["current"],
        "overdue": [c.pk for c in d["overdue"]],
    }


def _clean(groups: dict) -> dict:
    return {k: v for k, v in groups.items() if any(v.values())}


# -- the naive way: plain GROUP BY over cases and events ------------------------------------
_ANCHOR = (
    "case when c.status in ('rejected', 'merged') then null "
    "when c.status = 'closed' and (c.due_at is null or c.closed_at < c.due_at) "
    "then c.closed_at else c.due_at end"
)
_DUE_MEASURES = {
    "due": "true",
    "closed": "c.status = 'closed'",
    "on_time": "c.status = 'closed' and (c.due_at is null or c.closed_at <= c.due_at)",
    "extended": "jsonb_array_length(c.extensions) > 0",
    "reworked": "c.status = 'closed' and c.rework_count > 0",
    "first_time": "c.status = 'closed' and c.reopen_count = 0 and c.escalations = 0",
    "dispute_closed": "c.status = 'closed' and c.case_type_id = %(dispute)s",
    "dispute_resolved": "c.status = 'closed' and c.case_type_id = %(dispute)s "
    "and c.outcome = 'resolved'",
}


def _ts(d: date) -> datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime(d.year, d.month, d.day))


def _naive_group(area: str, start: date, end: date, by: str | None, dispute: int) -> dict:
    """Base counts for [start, end) with a plain GROUP BY over cases (and the rate events)."""
    tz = settings.TIME_ZONE
    child = {0: 6, 6: 9, 9: 12, 12: 15}.get(len(area))
    params = {
        "prefix": area + "%",
        "s": _ts(start),
        "e": _ts(end),
        "dispute": dispute,
        "tz": tz,
        "child": child or 0,
    }

    def key(expr_ts: str) -> str:
        return {
            None: "0",
            "category": "coalesce(c.category_id, 0)",
            "channel": "c.channel",
            "child": "substr(c.area_code, 1, %(child)s)",
            "month": f"date_trunc('month', {expr_ts} at time zone %(tz)s)::date",
        }[by]

    extra = " and length(c.area_code) >= %(child)s" if by == "child" else ""
    out: dict = {}

    def add(rows, names):
        for row in rows:
            target = out.setdefault(row[0], {})
            for name, v in zip(names, row[1:], strict=True):
                target[name] = target.get(name, 0) + v

    with connections[ALIAS].cursor() as cur:
        cur.execute(
            f"""select {key("c.received_at")}, count(*) from cases_case c
                        where c.area_code like %(prefix)s and c.received_at >= %(s)s
                        and c.received_at < %(e)s{extra} group by 1""",
            params,
        )
        add(cur.fetchall(), ["received"])
        names = list(_DUE_MEASURES)
        filters = ", ".join(f"count(*) filter (where {_DUE_MEASURES[n]})" for n in names)
        cur.execute(
            f"""select {key(_ANCHOR)}, {filters} from cases_case c
                        where c.area_code like %(prefix)s
                        and ((c.due_at >= %(s)s and c.due_at < %(e)s)
                             or (c.closed_at >= %(s)s and c.closed_at < %(e)s))
                        and {_ANCHOR} >= %(s)s and {_ANCHOR} < %(e)s{extra}
                        group by 1""",
            params,
        )
        add(cur.fetchall(), names)
        cur.execute(
            f"""select {key("e.at")}, count(*),
                               count(*) filter (where e.data->>'rating' in
                                                ('satisfied', 'basic'))
                        from cases_caseevent e join cases_case c on c.id = e.case_id
                        where e.kind = 'rate' and e.at >= %(s)s and e.at < %(e)s
                        and c.area_code like %(prefix)s{extra}
                        and not exists (select 1 from cases_caseevent l
                                        where l.case_id = e.case_id and l.kind = 'rate'
                                        and l.seq > e.seq)
                        group by 1""",
            params,
        )
        add(cur.fetchall(), ["rated", "satisfied"])
    from measures.cube import empty

    result = {}
    for k, counts in out.items():
        full = empty()
        full.update(counts)
        result[k] = full
    return result


def naive_answer(area: str, period, now: datetime) -> dict:
    from measures.cube import empty
    from measures.definitions import BACKLOG_BANDS, CARD_KPIS, figure
    from measures.periods import Period, add_months, month_start
    from measures.report import top_category_of

    dispute = _dispute(ALIAS)

    def totals(p: Period) -> dict:
        return _naive_group(area, p.start, p.end, None, dispute).get(0) or empty()

    now_c, before, prev = totals(period), totals(period.year_before()), totals(period.previous())
    cards = {}
    for code in CARD_KPIS:
        cards[code] = tuple(
            (f.numerator, f.denominator)
            for f in (figure(code, now_c), figure(code, before), figure(code, prev))
        )
    top = top_category_of(ALIAS)
    by_cat: dict = {}
    for cat, counts in _naive_group(area, period.start, period.end, "category", dispute).items():
        target = by_cat.setdefault(top.get(cat, cat), dict.fromkeys(counts, 0))
        for k, v in counts.items():
            target[k] += v
    end = add_months(month_start(period.last), 1)
    trend = _naive_group(area, add_months(end, -12), end, "month", dispute)
    by_child = (
        _naive_group(area, period.start, period.end, "child", dispute) if len(area) < 15 else {}
    )
    with connections[ALIAS].cursor() as cur:
        bands = []
        params = {"prefix": area + "%", "now": now}
        for code, _name, young, old in BACKLOG_BANDS:
            cond = f"c.received_at <= %(now)s - interval '{young.days} days'"
            if old is not None:
                cond += f" and c.received_at > %(now)s - interval '{old.days} days'"
            bands.append(f"count(*) filter (where {cond}) as backlog_{code}")
        open_q = "c.area_code like %(prefix)s and c.status not in ('closed', 'rejected', 'merged')"
        cur.execute(
            f"""select count(*) filter (where c.due_at < %(now)s), count(*),
                        {", ".join(bands)} from cases_case c where {open_q}""",
            params,
        )
        row = cur.fetchone()
        current = {"overdue": row[0], "open": row[1]}
        for (code, *_r), v in zip(BACKLOG_BANDS, row[2:], strict=True):
            current[f"backlog_{code}"] = v
        cur.execute(
            f"""select c.id from cases_case c where {open_q} and c.due_at < %(now)s
                        order by c.due_at, c.id limit 20""",
            params,
        )
        overdue = [r[0] for r in cur.fetchall()]
    return {
        "cards": cards,
        "by_category": _clean(by_cat),
        "by_channel": _clean(_naive_group(area, period.start, period.end, "channel", dispute)),
        "by_child": _clean(by_child),
        "trend": _clean(trend),
        "current": current,
        "overdue": overdue,
    }


def _dispute(using: str) -> int:
    with connections[using].cursor() as cur:
        cur.execute("select id from cases_casetype where code = 'dispute'")
        row = cur.fetchone()
    return row[0] if row else -1


# -- the run ----------------------------------------------------------------------------------
def run(
    *,
    cases: int,
    grids: int,
    seed: int,
    url: str,
    samples: int,
    naive_samples: int,
    reuse: bool,
    say: Callable[[str], None],
) -> dict:
    from measures import facts

    connect(url)
    figures: dict = {}
    if reuse and _has_data(cases):
        say(f"reusing the {cases} cases already in the bench database")
    else:
        connections[ALIAS].close()
        connect(url, fresh=True)
        say(f"generating {cases} cases for a city of {grids} grids (bulk COPY) …")
        figures.update(generate(cases, grids, seed, say))
        say(f"generation took {figures['generate_s']:.0f} s in all")
    figures["disk_bytes"] = disk_bytes()
    say(f"bench database: {figures['disk_bytes'] / 2**30:.1f} GiB on disk")
    facts.set_database(ALIAS)
    facts.clear_caches()
    now = datetime.now(UTC)
    questions = sample_questions(samples, seed)
    for area, period in questions[:5]:  # warm the caches
        rollup_answer(area, period, now)
    fast = []
    answers = []
    for area, period in questions:
        t0 = time.perf_counter()
        answers.append(rollup_answer(area, period, now))
        fast.append((time.perf_counter() - t0) * 1000)
    slow = []
    mismatches = 0
    for i, (area, period) in enumerate(questions[:naive_samples]):
        t0 = time.perf_counter()
        plain = naive_answer(area, period, now)
        slow.append((time.perf_counter() - t0) * 1000)
        if plain != answers[i]:
            mismatches += 1
            say(
                f"MISMATCH for area {area or '(all)'} period {period}: "
                f"{_first_difference(plain, answers[i])}"
            )
    figures.update(
        p95_ms=float(np.percentile(fast, 95)),
        median_ms=float(np.median(fast)),
        naive_p95_ms=float(np.percentile(slow, 95)),
        naive_median_ms=float(np.median(slow)),
        mismatches=mismatches,
        samples=len(fast),
        naive_samples=len(slow),
    )
    by_level: dict[int, list[float]] = {}
    for (area, _p), ms in zip(questions, fast, strict=True):
        by_level.setdefault(len(area), []).append(ms)
    for level, values in sorted(by_level.items()):
        say(
            f"  level {level or 'all':>3}: {len(values)} questions, median "
            f"{np.median(values):.1f} ms, max {max(values):.1f} ms"
        )
    say(
        f"rollups: p95 {figures['p95_ms']:.1f} ms, median {figures['median_ms']:.1f} ms over "
        f"{len(fast)} dashboards; plain GROUP BY: p95 {figures['naive_p95_ms']:.0f} ms, "
        f"median {figures['naive_median_ms']:.0f} ms over {len(slow)}; "
        f"{mismatches} answers differ"
    )
    return figures


def _has_data(n: int) -> bool:
    try:
        return case_count() == n
    except Exception:  # noqa: BLE001 - no tables yet
        return False


def _first_difference(a: dict, b: dict) -> str:
    for key in a:
        if a[key] != b.get(key):
            return f"{key}: plain={str(a[key])[:300]} rollups={str(b.get(key))[:300]}"
    return "?"
