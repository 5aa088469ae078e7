"""Crash check: the real server on PostgreSQL killed with SIGKILL in the middle of a load.

`pingan bench crash` sets up a bench database (created if missing, migrated, demo district
and logins loaded, cases from earlier runs removed), starts `pingan serve` (gunicorn's
threaded workers, as in production) in its own process group, and drives it over HTTP from
a few client threads:

- intakes, `POST /api/v1/cases`, each with its own `Idempotency-Key`;
- on about half of the acknowledged cases, actions by a dispatcher: accept, then assign
  (to the routed unit), then on some a note — each with the `version` the client holds.

At chosen points of the load (by default a third and two thirds of the intakes
acknowledged) the whole server process group gets SIGKILL — requests in flight, group
commits half sent — and a new server is started on the same port. The clients do what a
real client does: a request that got no answer is sent again, an intake with the same
Idempotency-Key (the retry must give the same case, never a second one), an action only
after reading the case back shows that it did not happen (one client thread owns each
case, so a version that moved means the action was written).

After the load, a sample of the acknowledged intakes is sent again with their keys (as a
client whose answer was lost does): each must get 200 and the case it made. Then the
server is stopped and the database is checked (`verify`, in a process of its own
on the bench database):

- acknowledged: the distinct keys that got a 2xx;
- found: those of them that have exactly one case, the one whose number the answer gave;
- half_written: cases whose writes are not whole — no events, a first event other than
  intake, event numbers not 1..n, a status other than the last event's, a version other
  than its events' count, assignment rows not matching the assign / co-assign / transfer
  events, a measures fact missing or behind the last event, parties other than those sent
  — plus each case number the district's counter gave out without a case (or a case
  beyond the counter), and each acknowledged action whose event is not there;
- rollups_equal: the rollups and case facts maintained at write time equal those that
  `measures.rollups.rebuild` folds afresh from the events.

The last line: `acknowledged=… found=… half_written=… rollups_equal=…`; the command exits
non-zero unless found = acknowledged = the intakes sent, half_written = 0, the rollups are
equal and every replay gave back its case.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bench.intake import (
    ROOT,
    Server,
    _pingan,
    free_port,
    grid_polygons,
    intake_bodies,
)

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/pingan_bench_crash"
INTAKE_USER = "clerk"  # the intake clerk of the demo (district scope)
ACTION_USER = "dispatcher"  # accepts, assigns and comments (district scope)
TOKEN_NAME = "bench-crash"


# -- the database -----------------------------------------------------------------------------
def prepare_database(url: str, say: Callable[[str], None]) -> tuple[str, str]:
    """Create, migrate and load the bench database, empty its cases; return two fresh
    tokens (the intake clerk's, the dispatcher's)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
            say(f"created database {name}")
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "pingan.settings"}
    t0 = time.perf_counter()
    _pingan(["demo", "--no-serve", "--no-cases", "--verbosity", "0"], env)
    say(
        f"database {name}: migrated, demo district and logins loaded "
        f"({time.perf_counter() - t0:.0f} s)"
    )
    with psycopg.connect(url, autocommit=True) as conn:
        # The same start every run: no cases, no facts or rollups (they hang on cases
        # without a database constraint), no counters.
        conn.execute(
            "truncate cases_case, cases_casecounter, measures_casefact, "
            "measures_rollup restart identity cascade"
        )
        conn.execute("delete from api_apitoken where name = %s", [TOKEN_NAME])
    return tuple(
        _pingan(["create-token", "--user", user, "--name", TOKEN_NAME], env, capture=True).strip()
        for user in (INTAKE_USER, ACTION_USER)
    )  # type: ignore[return-value]


# -- the clients ------------------------------------------------------------------------------
@dataclass
class Load:
    """What the clients did and were told, shared between their threads."""

    intakes: int
    acknowledged: dict[str, dict] = field(default_factory=dict)  # key → number, parties
    actions: list[tuple[str, str, int]] = field(default_factory=list)  # number, kind, seq
    confirmed_by_read: int = 0  # actions whose answer was lost, found written on reading
    replayed: int = 0  # intake retries answered 200: the first attempt had been written
    created_on_retry: int = 0  # intake retries answered 201: the first was not written
    retries: int = 0  # requests sent again after no answer (or a 5xx)
    refused: Counter = field(default_factory=Counter)  # 4xx answers, by status
    errors: list[str] = field(default_factory=list)
    in_flight: dict[int, str] = field(default_factory=dict)  # thread → what it awaits
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def fail(self, message: str) -> None:
        with self.lock:
            if len(self.errors) < 100:
                self.errors.append(message)


class Client:
    """One client thread's HTTP/1.1 keep-alive connection, reopened whenever it breaks."""

    def __init__(self, port: int, load: Load, me: int):
        self.port, self.load, self.me = port, load, me
        self.conn: http.client.HTTPConnection | None = None
        self.sent_again = 0

    def request(
        self,
        method: str,
        path: str,
        token: str,
        body: dict | None = None,
        headers: dict | None = None,
    ) -> tuple[int, dict] | None:
        """(status, JSON body), or None when no answer came (refused, reset, timed out)."""
        raw = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        head = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            **(headers or {}),
        }
        with self.load.lock:
            self.load.in_flight[self.me] = _what(method, path)
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request(method, path, body=raw, headers=head)
            response = self.conn.getresponse()
            data = response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
        except (OSError, http.client.HTTPException):
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return None
        finally:
            with self.load.lock:
                self.load.in_flight.pop(self.me, None)
        try:
            return response.status, json.loads(data) if data else {}
        except ValueError:
            return response.status, {"raw": data[:300].decode("utf-8", "replace")}

    def backoff(self, attempt: int) -> None:
        self.sent_again += 1
        with self.load.lock:
            self.load.retries += 1
        time.sleep(min(1.0, 0.05 * 2 ** min(attempt, 5)))

    def persist(
        self,
        method: str,
        path: str,
        token: str,
        body: dict | None = None,
        headers: dict | None = None,
        *,
        give_up: float = 180.0,
    ) -> tuple[int, dict]:
        """Send until an answer that is not a 5xx comes (safe only for an idempotent
        request: a read, or an intake with its key)."""
        deadline = time.monotonic() + give_up
        attempt = 0
        while True:
            got = self.request(method, path, token, body, headers)
            if got is not None and got[0] < 500:
                return got
            if time.monotonic() > deadline:
                raise RuntimeError(f"{method} {path}: no answer for {give_up:.0f} s (last: {got})")
            self.backoff(attempt)
            attempt += 1


def _client(
    me: int,
    port: int,
    load: Load,
    bodies: list[tuple[str, dict]],
    tokens: tuple,
    seed: int,
    action_share: float,
) -> None:
    intake_token, action_token = tokens
    client = Client(port, load, me)
    rng = random.Random(seed * 1000 + me)
    try:
        for key, body in bodies:
            if load.stop.is_set():
                return
            # An intake with its key is safe to send again until an answer comes.
            retries_before = client.sent_again
            status, data = client.persist(
                "POST", "/api/v1/cases", intake_token, body, {"Idempotency-Key": key}
            )
            attempt = client.sent_again - retries_before
            if status not in (200, 201):
                with load.lock:
                    load.refused[status] += 1
                load.fail(f"intake {key}: {status} {json.dumps(data, ensure_ascii=False)[:300]}")
                continue
            case = data["case"]
            with load.lock:
                load.acknowledged[key] = {
                    "number": case["number"],
                    "parties": len(body.get("parties", [])),
                }
                if attempt:
                    if status == 200:
                        load.replayed += 1
                    else:
                        load.created_on_retry += 1
            if rng.random() < action_share:
                _act_on(client, load, action_token, case["number"], case["version"], rng)
    except Exception as exc:  # noqa: BLE001 — the run reports it and fails
        load.fail(f"client {me}: {exc!r}")


def _act_on(
    client: Client, load: Load, token: str, number: str, version: int, rng: random.Random
) -> None:
    """accept → assign (most) → a note (some): each sent with the version held."""
    plan = [("accept", {})]
    if rng.random() < 0.7:
        plan.append(("assign", {}))
        if rng.random() < 0.4:
            plan.append(("comment", {"reason": "回访居民，已联系物业处理"}))
    for kind, extra in plan:
        version = _action(client, load, token, number, kind, version, extra)
        if version is None:
            return


def _action(
    client: Client, load: Load, token: str, number: str, kind: str, version: int, extra: dict
) -> int | None:
    """Take one action; the case's version after it, or None when it was refused."""
    path = f"/api/v1/cases/{number}/actions/{kind}"
    attempt = 0
    while True:
        got = client.request("POST", path, token, {"version": version, **extra})
        if got is not None and got[0] == 200:
            with load.lock:
                load.actions.append((number, kind, got[1]["version"]))
            return got[1]["version"]
        if got is not None and got[0] < 500 and got[0] != 409:
            return _refused(load, kind, number, got)
        # No answer, a 5xx or a conflict: was it written? This thread alone acts on this
        # case, so a version past ours says yes.
        if got is None or got[0] >= 500:
            client.backoff(attempt)
            attempt += 1
        status, case = client.persist("GET", f"/api/v1/cases/{number}", token)
        if status != 200:
            return _refused(load, f"reading back before {kind}", number, (status, case))
        if case["version"] > version:
            with load.lock:
                load.actions.append((number, kind, case["version"]))
                load.confirmed_by_read += 1
            return case["version"]
        if got is not None and got[0] == 409:
            return _refused(load, kind, number, got)  # not written, and not allowed


def _refused(load: Load, what: str, number: str, got: tuple[int, dict]) -> None:
    with load.lock:
        load.refused[got[0]] += 1
    load.fail(f"{what} {number}: {got[0]} {json.dumps(got[1], ensure_ascii=False)[:300]}")
    return None


# -- the server, killed ---------------------------------------------------------------------------
def _what(method: str, path: str) -> str:
    if method == "GET":
        return "read"
    return "action" if "/actions/" in path else "intake"


def _counted(kinds: Counter) -> str:
    return (
        ", ".join(f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in sorted(kinds.items()))
        or "nothing"
    )


def _replay(
    port: int, load: Load, bodies: dict[str, dict], token: str, rng: random.Random, n: int
) -> dict:
    """Send acknowledged intakes again, each with its key: what a client whose answer was
    lost does. Each must get 200 and the case it made, never a new one."""
    client = Client(port, load, -1)
    keys = rng.sample(sorted(load.acknowledged), min(n, len(load.acknowledged)))
    same = 0
    for key in keys:
        status, data = client.persist(
            "POST", "/api/v1/cases", token, bodies[key], {"Idempotency-Key": key}
        )
        if (
            status == 200
            and data.get("created") is False
            and data["case"]["number"] == load.acknowledged[key]["number"]
        ):
            same += 1
        else:
            load.fail(f"replay of {key}: {status} {json.dumps(data, ensure_ascii=False)[:300]}")
    return {"sent": len(keys), "same": same}


def _kill(server: Server) -> None:
    """SIGKILL to the server's whole process group (master and workers), then wait until
    none of them runs (the workers' zombies, their sockets closed, may wait a while for
    whoever reaps orphans)."""
    pgid = server.process.pid
    os.killpg(pgid, signal.SIGKILL)
    server.process.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _group_alive(pgid):
        time.sleep(0.005)


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group still runs (Linux /proc; zombies do not count)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def _ticker(load: Load, t0: float, say, every: float = 2.0) -> None:
    last = 0
    while not load.stop.wait(every):
        with load.lock:
            now, actions, retries = len(load.acknowledged), len(load.actions), load.retries
        say(
            f"  {now}/{load.intakes} intakes acknowledged, {actions} actions, "
            f"{(now - last) / every:.0f} intakes/s now, {retries} retries, "
            f"{time.perf_counter() - t0:.0f} s"
        )
        last = now


# -- the whole check ---------------------------------------------------------------------------
def run(
    *,
    url: str = DEFAULT_URL,
    intakes: int = 2000,
    threads: int = 4,
    kills: int = 2,
    workers: int = 2,
    server_threads: int = 4,
    action_share: float = 0.5,
    port: int = 0,
    seed: int = 12,
    replays: int = 100,
    say: Callable[[str], None] = print,
) -> dict:
    tokens = prepare_database(url, say)
    port = port or free_port()
    rng = random.Random(seed)
    run_id = f"{int(time.time())}-{seed}"
    bodies = []
    for i, raw in enumerate(intake_bodies(intakes, grid_polygons(url), seed)):
        body = json.loads(raw)
        body.pop("client_key", None)  # the key goes in the Idempotency-Key header
        bodies.append((f"crash-{run_id}-{i}", body))
    # Kill points: evenly spread over the load, each moved a little at random.
    step = 1 / (kills + 1)
    points = [
        int(intakes * (k + 1) * step + rng.uniform(-0.1, 0.1) * step * intakes)
        for k in range(kills)
    ]
    var = Path(os.environ.get("PINGAN_VAR_DIR", ROOT / "var"))
    var.mkdir(parents=True, exist_ok=True)
    logs = [var / f"bench-crash-server-{n}.log" for n in range(kills + 1)]
    server = Server(url, port, workers, logs[0], server_threads)
    load = Load(intakes)
    kill_figures: list[dict] = []
    try:
        t_start = time.perf_counter()
        server.wait_ready()
        say(
            f"server: pingan serve --workers {workers} --threads {server_threads} on "
            f"127.0.0.1:{port} (up in {time.perf_counter() - t_start:.1f} s; log {logs[0]}); "
            f"{threads} client threads, {intakes} intakes, SIGKILL after "
            + ", ".join(str(p) for p in points)
            + " acknowledged"
        )
        t0 = time.perf_counter()
        workers_ = [
            threading.Thread(
                target=_client,
                name=f"crash-client-{me}",
                daemon=True,
                args=(me, port, load, bodies[me::threads], tokens, seed, action_share),
            )
            for me in range(threads)
        ]
        for w in workers_:
            w.start()
        ticker = threading.Thread(target=_ticker, args=(load, t0, say), daemon=True)
        ticker.start()
        for n, point in enumerate(points, start=1):
            while len(load.acknowledged) < point and any(w.is_alive() for w in workers_):
                time.sleep(0.005)
            if not any(w.is_alive() for w in workers_):
                break
            # Aim at an intake on its way (validated, located, … or in its group commit):
            # once one is in flight, a random part of an intake's time later.
            waited = time.monotonic() + 2
            while "intake" not in load.in_flight.values() and time.monotonic() < waited:
                time.sleep(0.001)
            time.sleep(rng.uniform(0, 0.04))
            with load.lock:
                in_flight = Counter(load.in_flight.values())
                acked = len(load.acknowledged)
            t_kill = time.perf_counter()
            _kill(server)
            dead = time.perf_counter()
            server = Server(url, port, workers, logs[n], server_threads)
            server.wait_ready()
            up = time.perf_counter()
            kill_figures.append(
                {
                    "at_s": t_kill - t0,
                    "acknowledged": acked,
                    "in_flight": dict(in_flight),
                    "kill_s": dead - t_kill,
                    "restart_s": up - dead,
                }
            )
            say(
                f"SIGKILL {n} at {t_kill - t0:.1f} s, {acked} intakes acknowledged, "
                f"in flight: {_counted(in_flight)}; server gone in {(dead - t_kill) * 1000:.0f} "
                f"ms, a new one answering {up - dead:.1f} s later"
            )
        for w in workers_:
            w.join()
        seconds = time.perf_counter() - t0
        load.stop.set()
        ticker.join()
        replay = _replay(port, load, dict(bodies), tokens[0], rng, replays)
        say(
            f"replay: {replay['sent']} acknowledged intakes sent again with their keys: "
            f"{replay['same']} answered 200 with the case they had made, "
            f"{replay['sent'] - replay['same']} otherwise"
        )
    finally:
        load.stop.set()
        server.stop()
    down = sum(k["kill_s"] + k["restart_s"] for k in kill_figures)
    say(
        f"load: {len(load.acknowledged)} intakes and {len(load.actions)} actions acknowledged "
        f"in {seconds:.1f} s ({len(load.acknowledged) / seconds:.0f} intakes/s overall, "
        f"{len(load.acknowledged) / max(0.001, seconds - down):.0f}/s with the server up; "
        f"{down:.1f} s down); {load.retries} retries: {load.replayed} intakes answered "
        f"200 on retry (written before the kill), {load.created_on_retry} created on "
        f"retry, {load.confirmed_by_read} actions found written on reading back"
    )
    if load.refused:
        say("refused: " + ", ".join(f"{n}× {s}" for s, n in sorted(load.refused.items())))
    for e in load.errors[:5]:
        say(f"  error: {e}")
    checked = verify(url, load, say)
    return {
        **checked,
        "intakes": intakes,
        "seconds": seconds,
        "kills": kill_figures,
        "actions": len(load.actions),
        "retries": load.retries,
        "replayed": load.replayed,
        "client_errors": len(load.errors),
        "replays": replay["sent"],
        "replays_same": replay["same"],
        "intakes_per_s": len(load.acknowledged) / seconds,
    }


def verify(url: str, load: Load, say: Callable[[str], None]) -> dict:
    """Check the bench database in a process of its own (Django on the bench database)."""
    var = Path(os.environ.get("PINGAN_VAR_DIR", ROOT / "var"))
    given = var / "bench-crash-acknowledged.json"
    given.write_text(json.dumps({"acknowledged": load.acknowledged, "actions": load.actions}))
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "pingan.settings"}
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bench.crash", "verify", str(given)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the check failed:\n{done.stderr[-3000:]}")
    found = json.loads(done.stdout.strip().splitlines()[-1])
    say(
        f"check ({time.perf_counter() - t0:.1f} s): {found['cases']} cases, {found['events']} "
        f"events; {found['found']} of {found['acknowledged']} acknowledged keys have their "
        f"one case, {found['extra_cases']} cases nobody was told of; "
        f"{found['actions_found']} of {found['actions']} acknowledged actions written"
    )
    if found["defects"]:
        say("half-written: " + ", ".join(f"{k} {v}" for k, v in sorted(found["defects"].items())))
    say(
        f"rollups: {found['rollup_rows']} rows and {found['facts']} facts maintained at write "
        f"time; a rebuild from the events gives {found['rebuilt_rollup_rows']} rows, "
        f"{found['rollup_rows_differing']} differing, {found['facts_differing']} facts "
        "differing"
    )
    return found


def check_database(given: dict) -> dict:
    """The checks, with Django set up on the bench database (see the module's docstring)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from cases.services import scoped_key
    from measures import rollups

    # Keys are stored in their caller's scope (cases.services.scoped_key): the intake clerk's.
    clerk = get_user_model().objects.get(username=INTAKE_USER)
    acknowledged: dict[str, dict] = {
        scoped_key(f"user:{clerk.pk}", k): a for k, a in given["acknowledged"].items()
    }
    defects: Counter = Counter()
    with connection.cursor() as cur:
        cur.execute(
            """
            select c.client_key, count(*), min(c.number) from cases_case c
            where c.client_key = any(%s) group by c.client_key""",
            [list(acknowledged)],
        )
        by_key = {k: (n, number) for k, n, number in cur.fetchall()}
        found = sum(1 for k, a in acknowledged.items() if by_key.get(k) == (1, a["number"]))
        cur.execute(
            "select count(*) from cases_case where client_key is null "
            "or not (client_key = any(%s))",
            [list(acknowledged)],
        )
        extra = cur.fetchone()[0]
        cur.execute("""
            select c.id, c.number, c.client_key, c.status, c.version,
                   e.n, e.first_seq, e.last_seq, e.first_kind, e.last_to, e.not_reveal,
                   e.assigning,
                   (select count(*) from cases_assignment a where a.case_id = c.id),
                   (select count(*) from cases_party p where p.case_id = c.id),
                   f.last_seq
            from cases_case c
            left join (
                select case_id, count(*) as n, min(seq) as first_seq, max(seq) as last_seq,
                       (array_agg(kind order by seq))[1] as first_kind,
                       (array_agg(to_status order by seq desc))[1] as last_to,
                       count(*) filter (where kind <> 'reveal') as not_reveal,
                       count(*) filter (where kind in ('assign', 'co_assign', 'transfer'))
                           as assigning
                from cases_caseevent group by case_id) e on e.case_id = c.id
            left join measures_casefact f on f.case_id = c.id""")
        rows = cur.fetchall()
        half = 0
        for (
            _pk,
            _number,
            key,
            status,
            version,
            n,
            first_seq,
            last_seq,
            first_kind,
            last_to,
            not_reveal,
            assigning,
            assignments,
            parties,
            fact_seq,
        ) in rows:
            wrong = []
            if not n:
                wrong.append("no events")
            else:
                if first_kind != "intake":
                    wrong.append("first event not intake")
                if first_seq != 1 or last_seq != n:
                    wrong.append("event numbers not 1..n")
                if status != last_to:
                    wrong.append("status not the last event's")
                if version != not_reveal:
                    wrong.append("version not the events' count")
                if assignments != assigning:
                    wrong.append("assignments not the assign events")
                if fact_seq is None or fact_seq != last_seq:
                    wrong.append("fact missing or behind")
            if key in acknowledged and parties != acknowledged[key]["parties"]:
                wrong.append("parties not those sent")
            defects.update(wrong)
            half += bool(wrong)
        events = sum(r[5] or 0 for r in rows)
        # The counter and the numbers: one number for each case, none given out twice or
        # without its case (the counter moves in the intake's transaction).
        cur.execute("""
            select k.district_code, k.year, k.last,
                   (select count(*) from cases_case c
                    where c.number like k.district_code || '-' || k.year || '-%'),
                   (select max(split_part(c.number, '-', 3)::int) from cases_case c
                    where c.number like k.district_code || '-' || k.year || '-%')
            from cases_casecounter k""")
        for _d, _y, last, count, top in cur.fetchall():
            gap = abs(last - count) + abs(last - (top or 0))
            if gap:
                defects["numbers without a case"] += gap
                half += gap
        # Every acknowledged action is in its case's log, where the answer said.
        actions = given["actions"]
        cur.execute("""
            select c.number, e.kind, e.seq from cases_caseevent e
            join cases_case c on c.id = e.case_id where e.seq > 1""")
        logged = {(number, kind, seq) for number, kind, seq in cur.fetchall()}
        actions_found = sum(1 for a in actions if tuple(a) in logged)
        if actions_found != len(actions):
            defects["acknowledged actions not written"] += len(actions) - actions_found
            half += len(actions) - actions_found
    live_rows, live_facts = rollups.rollup_snapshot(), rollups.fact_snapshot()
    rollups.rebuild()
    rebuilt_rows, rebuilt_facts = rollups.rollup_snapshot(), rollups.fact_snapshot()
    rows_differing = sum(
        1 for k in live_rows.keys() | rebuilt_rows.keys() if live_rows.get(k) != rebuilt_rows.get(k)
    )
    facts_differing = sum(
        1
        for k in live_facts.keys() | rebuilt_facts.keys()
        if live_facts.get(k) != rebuilt_facts.get(k)
    )
    return {
        "acknowledged": len(acknowledged),
        "found": found,
        "half_written": half,
        "rollups_equal": rows_differing == 0 and facts_differing == 0,
        "defects": dict(defects),
        "cases": len(rows),
        "events": events,
        "extra_cases": extra,
        "actions": len(actions),
        "actions_found": actions_found,
        "rollup_rows": len(live_rows),
        "rebuilt_rollup_rows": len(rebuilt_rows),
        "rollup_rows_differing": rows_differing,
        "facts": len(live_facts),
        "facts_differing": facts_differing,
    }


def last_line(figures: dict) -> str:
    return (
        f"acknowledged={figures['acknowledged']} found={figures['found']} "
        f"half_written={figures['half_written']} "
        f"rollups_equal={'true' if figures['rollups_equal'] else 'false'}"
    )


def passed(figures: dict) -> bool:
    return (
        figures["found"] == figures["acknowledged"]
        and figures["half_written"] == 0
        and figures["rollups_equal"]
        and figures["acknowledged"] > 0
        and figures["replays_same"] == figures["replays"]
        and figures["acknowledged"] == figures["intakes"]
    )


if __name__ == "__main__":  # python -m bench.crash verify FILE (run by `pingan bench crash`)
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingan.settings")
    django.setup()
    print(json.dumps(check_database(json.loads(Path(sys.argv[2]).read_text()))))
