"""`make bench`'s SQLite benchmarks on a fresh checkout: no var/, no database, no demo run
first. Each makes what it needs and leaves the user's database alone."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bench(args: list[str], var_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(PINGAN_VAR_DIR=str(var_dir), PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "pingan.cli", "bench", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_the_crowd_bench_runs_without_a_database_and_creates_none(tmp_path):
    done = _bench(["crowd", "--zones", "10", "--positions", "0", "--seconds", "10"], tmp_path)

    assert done.returncode == 0, done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"readings_per_s=\d+ p99_alert_latency_ms=\S+ positions_per_s=\d+", last)
    assert "end to end on sqlite" in done.stderr
    assert not (tmp_path / "pingan.sqlite3").exists()


def test_the_locate_bench_runs_without_a_database(tmp_path):
    done = _bench(["locate", "--grids", "100", "--points", "20000"], tmp_path)

    assert done.returncode == 0, done.stderr[-3000:]
    last = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"points_per_s=\d+ single_us=[\d.]+ naive_ratio=\d+", last)
    assert not (tmp_path / "pingan.sqlite3").exists()
