"""Intake benchmark: the real server on PostgreSQL, driven over HTTP (DESIGN §11).

Sets up a bench database (created if missing, migrated, demo district and logins loaded,
cases from earlier runs removed), starts `pingan serve` (gunicorn's threaded workers) in a
subprocess with the bench settings — the product's, plus a bare insert endpoint — and
drives it with raw
HTTP/1.1 keep-alive connections from asyncio (one thread, a few µs of CPU a request, so
the load generator is not what limits the figures on two cores). Three runs:

1. pipeline: `POST /api/v1/cases` with a token — validate, locate, classify, dedupe, route,
   deadline, written with the group commit — closed loop, `concurrency` in flight (16 by
   default: at least one per server thread, 2 processes × 8, or the figure would measure
   the load generator's round trips rather than the server);
2. bare: `POST /bench/bare-cases` — the same API framework, token check, request schema
   and JSON reply, then one INSERT of a case row — same loop, same server, same run;
1 and 2 take turns, `rounds` times, each after a CHECKPOINT; the best round of each counts.
3. latency: the pipeline at a steady 100 requests/s (open loop; latency counted from each
   request's planned send time, so a stalled server cannot hide its queue).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/pingan_bench_intake"
TOKEN_USER = "clerk"  # a demo login with district scope and the intake clerk's role
ROOT = Path(__file__).resolve().parent.parent


# -- the database and the server --------------------------------------------------------------
def _pingan(args: list[str], env: dict, *, capture: bool = False) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pingan.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"pingan {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout if capture else ""


def prepare_database(url: str, say: Callable[[str], None]) -> str:
    """Create, migrate and load the bench database; empty its cases; return a fresh token."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
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
        # Every run starts from the same state: no cases (and so nothing to dedupe against).
        # The measures' facts and rollups hang on cases without a database constraint: empty
        # them too, or a new case could meet the fact of an old one with the same id.
        conn.execute(
            "truncate cases_case, cases_casecounter, measures_casefact, "
            "measures_rollup restart identity cascade"
        )
        conn.execute("delete from api_apitoken where name = 'bench-intake'")
    return _pingan(
        ["create-token", "--user", TOKEN_USER, "--name", "bench-intake"], env, capture=True
    ).strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`pingan serve` in its own process group, with the bench settings."""

    def __init__(self, url: str, port: int, workers: int, log: Path, threads: int = 8):
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "LOG_LEVEL": "WARNING",
        }
        self.port = port
        self.log = log
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pingan.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--threads",
                str(threads),
            ],
            env=env,
            cwd=ROOT,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(
                        b"GET /bench/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    )
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _proc_cpu(pid: int) -> tuple[int, float] | None:
    """(session id, user + system CPU seconds) of a live process, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[3]), (int(fields[11]) + int(fields[12])) / ticks


class CpuMeter:
    """CPU seconds spent by the server's processes and by PostgreSQL's backends for the bench
    database: what a request costs whatever else shares the cores."""

    def __init__(self, server: Server, url: str):
        self.server, self.url = server, url

    def read(self) -> tuple[float, float]:
        import psycopg

        app = 0.0
        for entry in Path("/proc").iterdir():
            found = _proc_cpu(int(entry.name)) if entry.name.isdigit() else None
            if found is not None and found[0] == self.server.process.pid:
                app += found[1]
        name = urlsplit(self.url).path.lstrip("/")
        with psycopg.connect(self.url) as conn:
            pids = [
                r[0]
                for r in conn.execute(
                    "select pid from pg_stat_activity where datname = %s and pid <> "
                    "pg_backend_pid()",
                    [name],
                ).fetchall()
            ]
        db = sum(found[1] for pid in pids if (found := _proc_cpu(pid)) is not None)
        return app, db


# -- the requests -------------------------------------------------------------------------------
def grid_polygons(url: str) -> list:
    import psycopg
    import shapely

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select code, geometry from territory_area where level = 'grid' order by code"
        ).fetchall()
    return [shapely.geometry.shape(g if isinstance(g, dict) else json.loads(g)) for _c, g in rows]


def intake_bodies(n: int, grids: list, seed: int) -> list[bytes]:
    """Reports as a resident or a clerk writes them: a point in a grid, a case type, the
    text (the category is left to classification), a reporter for most."""
    import shapely

    from cases.demo_data import CATEGORY_WEIGHTS, TEXTS

    rng = random.Random(seed)
    types = ["dispute", "request", "hazard", "rental"]
    bodies = []
    for i in range(n):
        case_type = rng.choices(types, [50, 35, 12, 3])[0]
        category = rng.choices(
            list(CATEGORY_WEIGHTS[case_type]), list(CATEGORY_WEIGHTS[case_type].values())
        )[0]
        titles, details = TEXTS[category]
        k = rng.randrange(len(titles))
        fill = {
            "place": "较场口",
            "community": "较场口社区",
            "no": rng.randint(1, 40),
            "unit": rng.randint(1, 6),
            "floor": rng.randint(2, 30),
            "days": rng.randint(2, 9),
            "amount": rng.choice([800, 2000, 5000]),
        }
        grid = grids[rng.randrange(len(grids))]
        xmin, ymin, xmax, ymax = grid.bounds
        for _attempt in range(100):
            lon, lat = rng.uniform(xmin, xmax), rng.uniform(ymin, ymax)
            if shapely.contains_xy(grid, lon, lat):
                break
        body = {
            "title": titles[k].format(**fill),
            "text": details[k].format(**fill),
            "case_type": case_type,
            "lon": round(lon, 6),
            "lat": round(lat, 6),
            "channel": rng.choice(["hotline", "online", "resident_web"]),
            "address": f"渝中区较场口{rng.randint(1, 300)}号",
            "client_key": f"bench-{seed}-{i}",
        }
        if rng.random() < 0.6:
            body["parties"] = [
                {"role": "reporter", "name": "王小明", "phone": f"138{rng.randrange(10**8):08d}"}
            ]
        bodies.append(json.dumps(body, ensure_ascii=False).encode())
    return bodies


def http_requests(path: str, bodies: list[bytes], token: str, port: int) -> list[bytes]:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
    ).encode()
    return [head + b"Content-Length: %d\r\n\r\n" % len(b) + b for b in bodies]


def checkpoint(url: str) -> None:
    """Write PostgreSQL's dirty pages out now (needs a superuser; skipped otherwise)."""
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CHECKPOINT")
    except psycopg.Error:
        pass


def group_commit_stats(port: int) -> str:
    """What the server's processes say of their group commits (each answers for itself)."""
    seen: dict[int, tuple[int, int]] = {}
    for _ in range(12):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(
                b"GET /bench/group-commit HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            )
            raw = b""
            while chunk := s.recv(4096):
                raw += chunk
        found = json.loads(raw.split(b"\r\n\r\n", 1)[1])
        seen[found["pid"]] = (found["batches"], found["items"])
    batches = sum(b for b, _i in seen.values())
    items = sum(i for _b, i in seen.values())
    return (
        f"group commit: {items} cases in {batches} transactions "
        f"(mean batch {items / max(1, batches):.1f}) in {len(seen)} server processes"
    )


# -- the load generator -------------------------------------------------------------------------
class Connection:
    """One keep-alive HTTP/1.1 connection: send a prepared request, read one response."""

    IDLE_LIMIT = 3.0  # uvicorn closes a keep-alive connection after 5 s without a request

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer
        self.used = time.perf_counter()

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        self.used = time.perf_counter()
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {
            k.strip().lower(): v.strip()
            for k, _, v in (line.partition(":") for line in lines[1:] if line)
        }
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        else:
            body = await self.reader.read()
        return status, body

    def close(self) -> None:
        self.writer.close()


@dataclass
class Run:
    label: str
    sent: int = 0
    ok: int = 0
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies, q) * 1000) if self.latencies else 0.0

    def record(self, status: int, body: bytes, latency: float) -> None:
        # A failed request counts with the time it took to fail: an overloaded server must
        # not look fast because its slowest requests timed out.
        self.latencies.append(latency)
        if status in (200, 201):
            self.ok += 1
        elif len(self.errors) < 1000:
            self.errors.append(f"{status} {body[:300].decode('utf-8', 'replace')}")


async def _ticker(run: Run, total: int, say, every: float = 2.0) -> None:
    start, last_ok = time.perf_counter(), 0
    while True:
        await asyncio.sleep(every)
        now = run.ok
        say(
            f"  {run.label}: {run.sent}/{total} sent, {now} done, "
            f"{(now - last_ok) / every:.0f}/s now, {now / (time.perf_counter() - start):.0f}/s "
            f"overall, {len(run.errors)} errors"
        )
        last_ok = now


async def closed_loop(label: str, requests: list[bytes], port: int, concurrency: int, say) -> Run:
    """`concurrency` connections, each sending its next request as soon as the last answers."""
    run = Run(label)
    pending = iter(requests)

    async def worker():
        conn = await Connection.open(port)
        try:
            for raw in pending:
                run.sent += 1
                t0 = time.perf_counter()
                try:
                    status, body = await conn.send(raw)
                except (asyncio.IncompleteReadError, ConnectionError) as exc:
                    conn.close()
                    run.record(0, f"connection lost: {exc!r}".encode(), time.perf_counter() - t0)
                    conn = await Connection.open(port)
                    continue
                run.record(status, body, time.perf_counter() - t0)
        finally:
            conn.close()

    ticker = asyncio.create_task(_ticker(run, len(requests), say))
    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    run.seconds = time.perf_counter() - t0
    ticker.cancel()
    return run


async def open_loop(label: str, requests: list[bytes], port: int, rate: float, say) -> Run:
    """A steady `rate` of requests; each waits for a free connection (or opens one), and its
    latency runs from the moment it was due to be sent."""
    run = Run(label)
    idle: list[Connection] = []

    async def one(raw: bytes, due: float):
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        conn = idle.pop() if idle else None
        if conn is None or time.perf_counter() - conn.used > Connection.IDLE_LIMIT:
            if conn is not None:
                conn.close()
            conn = await Connection.open(port)
        run.sent += 1
        try:
            status, body = await conn.send(raw)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            conn.close()
            run.record(0, f"connection lost: {exc!r}".encode(), time.perf_counter() - due)
            return
        run.record(status, body, time.perf_counter() - due)
        idle.append(conn)

    ticker = asyncio.create_task(_ticker(run, len(requests), say))
    t0 = time.perf_counter() + 0.2
    await asyncio.gather(*(one(raw, t0 + i / rate) for i, raw in enumerate(requests)))
    run.seconds = time.perf_counter() - t0
    ticker.cancel()
    for conn in idle:
        conn.close()
    return run


# -- the whole benchmark ----------------------------------------------------------------------
def run(
    *,
    url: str = DEFAULT_URL,
    requests: int = 2000,
    concurrency: int = 16,
    rate: float = 100.0,
    seconds: float = 20.0,
    workers: int = 2,
    port: int = 0,
    seed: int = 311,
    profile_requests: int = 0,
    rounds: int = 2,
    threads: int = 8,
    say: Callable[[str], None] = print,
) -> dict[str, float]:
    token = prepare_database(url, say)
    grids = grid_polygons(url)
    port = port or free_port()
    steady = int(rate * seconds)
    bodies = intake_bodies(rounds * requests + steady + 60, grids, seed)
    log = Path(os.environ.get("PINGAN_VAR_DIR", ROOT / "var")) / "bench-intake-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    server = Server(url, port, workers, log, threads)
    try:
        server.wait_ready()
        say(
            f"server: pingan serve --workers {workers} --threads {threads} on 127.0.0.1:{port} "
            f"(log {log}); load: {concurrency} connections"
        )
        warm = http_requests("/api/v1/cases", bodies[:30], token, port) + http_requests(
            "/bench/bare-cases", bodies[30:60], token, port
        )
        warmup = asyncio.run(closed_loop("warm-up", warm, port, concurrency, say))
        if warmup.errors:
            raise RuntimeError("warm-up failed: " + warmup.errors[0])
        meter = CpuMeter(server, url)
        pipelines, bares = [], []

        def measured(label: str, path: str, part: list[bytes]) -> tuple[Run, list[float]]:
            checkpoint(url)
            before = meter.read()
            done = asyncio.run(
                closed_loop(label, http_requests(path, part, token, port), port, concurrency, say)
            )
            return done, [
                (b - a) / max(1, done.ok) * 1000 for a, b in zip(before, meter.read(), strict=True)
            ]

        for r in range(rounds):
            # Pipeline and bare take turns, each after a checkpoint, so neither pays for the
            # other's dirty pages or meets a quieter moment of the machine alone; the best
            # round of each counts.
            part = bodies[60 + r * requests : 60 + (r + 1) * requests]
            pipeline, cpu = measured("pipeline", "/api/v1/cases", part)
            pipelines.append((pipeline, cpu))
            say(
                f"round {r + 1} pipeline: {pipeline.ok} cases in {pipeline.seconds:.1f} s = "
                f"{pipeline.rate:.0f}/s; p50 {pipeline.percentile(50):.0f} ms, p99 "
                f"{pipeline.percentile(99):.0f} ms under full load; CPU a case: server "
                f"{cpu[0]:.1f} ms, PostgreSQL {cpu[1]:.1f} ms"
            )
            bare, cpu = measured("bare insert", "/bench/bare-cases", part)
            bares.append((bare, cpu))
            say(
                f"round {r + 1} bare insert: {bare.ok} rows in {bare.seconds:.1f} s = "
                f"{bare.rate:.0f}/s; p50 {bare.percentile(50):.0f} ms; CPU a row: server "
                f"{cpu[0]:.1f} ms, PostgreSQL {cpu[1]:.1f} ms"
            )
        say(group_commit_stats(port))
        pipeline, cpu_pipeline = max(pipelines, key=lambda p: p[0].rate)
        bare, cpu_bare = max(bares, key=lambda p: p[0].rate)
        say(f"best rounds: pipeline {pipeline.rate:.0f}/s, bare insert {bare.rate:.0f}/s")
        cores = os.cpu_count() or 1
        say(
            f"on {cores} cores of its own (load generator aside) that CPU would allow about "
            f"{cores * 1000 / sum(cpu_pipeline):.0f} cases/s through the pipeline and "
            f"{cores * 1000 / sum(cpu_bare):.0f} bare rows/s (ratio "
            f"{sum(cpu_bare) / sum(cpu_pipeline):.2f})"
        )
        paced = asyncio.run(
            open_loop(
                f"pipeline at {rate:.0f}/s",
                http_requests("/api/v1/cases", bodies[60 + rounds * requests :], token, port),
                port,
                rate,
                say,
            )
        )
        say(
            f"pipeline at {rate:.0f}/s for {seconds:.0f} s: p50 {paced.percentile(50):.1f} ms, "
            f"p95 {paced.percentile(95):.1f} ms, p99 {paced.percentile(99):.1f} ms, "
            f"max {paced.percentile(100):.0f} ms"
        )
        if pipeline.rate < rate * 1.2:
            # Past its capacity a server's latency only measures its queue: show also what a
            # request costs when the server keeps up (not part of the final line).
            easy = max(1.0, pipeline.rate / 2)
            n = int(min(300, easy * 10))
            more = intake_bodies(n, grids, seed + 2)
            light = asyncio.run(
                open_loop(
                    f"pipeline at {easy:.0f}/s",
                    http_requests("/api/v1/cases", more, token, port),
                    port,
                    easy,
                    say,
                )
            )
            say(
                f"capacity {pipeline.rate:.0f}/s is below {rate:.0f}/s + 20%: at {easy:.0f}/s "
                f"(half of it) p50 {light.percentile(50):.0f} ms, p99 "
                f"{light.percentile(99):.0f} ms"
            )
    finally:
        server.stop()
    if profile_requests:
        say("where the time goes (one process, no HTTP):")
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "bench.settings"}
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.intake",
                "profile",
                url,
                str(profile_requests),
                str(seed + 1),
            ],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        for line in (done.stdout + (done.stderr[-2000:] if done.returncode else "")).splitlines():
            say("  " + line)
    errors = [e for run_, _c in pipelines + bares for e in run_.errors] + paced.errors
    if errors:
        say(f"{len(errors)} requests failed, e.g. {errors[0]}")
    load = os.getloadavg()[0]
    say(
        f"machine: {os.cpu_count()} cores, load average {load:.1f} at the end "
        "(other processes share the cores: the figures are a floor); a 10-million-step "
        f"Python loop takes {python_loop_seconds():.2f} s here (to compare machines)"
    )
    return {
        "cases_per_s": pipeline.rate,
        "p99_ms": paced.percentile(99),
        "bare_ratio": pipeline.rate / bare.rate if bare.rate else 0.0,
        "bare_per_s": bare.rate,
        "errors": float(len(errors)),
    }


def python_loop_seconds(steps: int = 10_000_000) -> float:
    """The best of three timings of a plain Python loop: how fast this machine runs the
    interpreter now (the machines these figures come from differed up to threefold)."""
    best = float("inf")
    for _ in range(3):
        t0, total = time.perf_counter(), 0
        for i in range(steps):
            total += i
        best = min(best, time.perf_counter() - t0)
    return best


# -- where the time goes -----------------------------------------------------------------------
# (label, module path suffix, function name): the pipeline's stages, as cProfile names them.
STAGES = [
    ("token check (api.models.ApiToken.authenticate)", "api/models.py", "authenticate"),
    ("intake_case, all of it", "cases/services.py", "intake_case"),
    ("  validate", "cases/services.py", "_validate_intake"),
    ("  locate", "cases/services.py", "_locate"),
    ("  territory check (_can_intake)", "cases/services.py", "_can_intake"),
    ("  classify", "cases/classify.py", "propose"),
    ("  dedupe (similar_open_cases)", "cases/selectors.py", "similar_open_cases"),
    ("  route", "cases/routing.py", "route"),
    ("  deadline", "cases/deadlines.py", "compute_deadline"),
    ("  the write (_write_intakes)", "cases/services.py", "_write_intakes"),
    ("    rows made into statements (pingan.bulk.Together.insert)", "pingan/bulk.py", "insert"),
    ("    measures facts and rollups", "measures/rollups.py", "record_intakes"),
    ("    the two round trips (pingan.bulk.Together.send)", "pingan/bulk.py", "send"),
]


def profile(url: str, n: int, seed: int, say: Callable[[str], None] = print) -> None:
    """Run `n` intakes in this process through the API view (Django's test client, no
    network) against the bench database, and say where each request's time goes."""
    import cProfile
    import pstats

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from api.models import ApiToken

    _token, raw = ApiToken.issue(
        name="bench-intake", user=get_user_model().objects.get(username=TOKEN_USER)
    )
    bodies = intake_bodies(n + 20, grid_polygons(url), seed)
    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {raw}")

    def post(body: bytes) -> None:
        response = client.post("/api/v1/cases", data=body, content_type="application/json")
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{response.status_code} {response.content[:300]!r}")

    for body in bodies[:20]:
        post(body)
    t0, c0 = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        for body in bodies[20 : 20 + n // 2]:
            post(body)
    half = n // 2
    wall = (time.perf_counter() - t0) / half * 1000
    cpu = (time.process_time() - c0) / half * 1000
    in_db = sum(float(q["time"]) for q in queries.captured_queries) / half * 1000
    say(
        f"per request, unprofiled ({half} requests): {wall:.1f} ms wall, {cpu:.1f} ms CPU in "
        f"this process, {len(queries.captured_queries) / half:.0f} queries taking {in_db:.1f} ms "
        "(through Django's cursors, round trips and PostgreSQL included; the row inserts "
        "and rollup upserts go past them)"
    )
    profiler = cProfile.Profile()
    profiler.enable()
    for body in bodies[20 + half : 20 + n]:
        post(body)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(tt for (_f, _l, name), (_cc, _nc, tt, _ct, _callers) in stats.items())
    say(
        f"profiled ({n - half} requests, timings inflated by the profiler): share of each "
        "request's time"
    )
    for label, path, func in STAGES:
        cum = sum(
            ct
            for (f, _l, name), (_cc, _nc, _tt, ct, _c) in stats.items()
            if name == func and f.endswith(path)
        )
        say(f"  {cum / total:6.1%}  {label}")
    sql = sum(
        tt
        for (f, _l, name), (_cc, _nc, tt, _ct, _c) in stats.items()
        if "psycopg" in f or "django/db/models/sql" in f or "django/db/backends" in f
    )
    say(f"  {sql / total:6.1%}  of it inside the ORM's SQL compiler and psycopg (all stages)")


if __name__ == "__main__":  # python -m bench.intake profile URL N (run by `pingan bench`)
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    profile(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 311)
