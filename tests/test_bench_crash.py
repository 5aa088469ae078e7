"""`pingan bench crash` end to end, small: the server killed with SIGKILL in the middle of
intakes and actions, restarted, and every acknowledged write found whole. Then the check
itself is shown to see a half-written case and a rollup out of step."""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import skip_or_fail

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bench_url():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        skip_or_fail("this run is not on PostgreSQL (set PINGAN_TEST_DATABASE_URL)")
    parts = urlsplit(url)
    # A database of its own next to the suite's (which pytest-django makes and drops).
    return parts._replace(path=parts.path.rstrip("/") + "_bench_crash").geturl()


def _run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_a_killed_server_loses_no_acknowledged_write(bench_url, tmp_path):
    env = {**os.environ, "PINGAN_VAR_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = _run(
        [
            "-m",
            "pingan.cli",
            "bench",
            "crash",
            "--database-url",
            bench_url,
            "--intakes",
            "150",
            "--threads",
            "2",
            "--kills",
            "1",
        ],
        env,
    )
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout
    last = done.stdout.strip().splitlines()[-1]
    assert last == "acknowledged=150 found=150 half_written=0 rollups_equal=true", done.stderr[
        -3000:
    ]
    assert "SIGKILL 1 at" in done.stderr and "a new one answering" in done.stderr

    # The check is not blind: a case's status past its last event and a rollup row moved are seen.
    import psycopg

    given = tmp_path / "bench-crash-acknowledged.json"
    number = next(iter(json.loads(given.read_text())["acknowledged"].values()))["number"]
    with psycopg.connect(bench_url, autocommit=True) as conn:
        conn.execute("update cases_case set status = 'closed' where number = %s", [number])
        conn.execute(
            "update measures_rollup set received = received + 1 "
            "where id = (select min(id) from measures_rollup where received > 0)"
        )
    env = {**env, "DATABASE_URL": bench_url, "DJANGO_SETTINGS_MODULE": "pingan.settings"}
    checked = _run(["-m", "bench.crash", "verify", str(given)], env)
    assert checked.returncode == 0, checked.stderr[-3000:]
    found = json.loads(checked.stdout.strip().splitlines()[-1])
    assert found["found"] == found["acknowledged"] == 150
    assert found["half_written"] >= 1 and not found["rollups_equal"], found
