"""Crowd benchmark: the pure computations, then the whole path from reading to SSE event.

`pingan bench crowd` prints its figures; the last line is machine-readable. The unit
tests assert what these computations answer; how fast they answer is measured here.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import shapely

from crowd.alerts import AlertConfig, AlertEngine
from crowd.dispatch import Dispatcher, Responder, ResponderStatus
from crowd.forecast import FlowForecaster
from crowd.geo import LocalProjection
from crowd.occupancy import Zone, ZoneIndex

Say = Callable[[str], None]


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def counting(say: Say, seed: int = 0) -> dict[str, float]:
    """200,000 positions × 500 irregular zones: the grid path against the plain STRtree."""
    rng = np.random.default_rng(seed)
    zones = [
        Zone(f"z{i}-{j}", shapely.box(i * 80, j * 80, (i + 1) * 80, (j + 1) * 80).segmentize(20))
        for i in range(25)
        for j in range(20)
    ]
    t0 = time.perf_counter()
    index = ZoneIndex(zones)
    build_s = time.perf_counter() - t0
    xy = rng.uniform(0, [2000, 1600], size=(200_000, 2))
    index.count_xy(xy[:1000])  # warm-up
    grid, tree = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        index.count_xy(xy)
        grid.append(time.perf_counter() - t0)
    for _ in range(2):
        t0 = time.perf_counter()
        index.count_xy(xy, method="strtree")
        tree.append(time.perf_counter() - t0)
    figures = {
        "count_ms": 1e3 * float(np.median(grid)),
        "count_strtree_ms": 1e3 * float(np.median(tree)),
        "index_build_ms": 1e3 * build_s,
    }
    say(
        "zone counting, 200,000 positions × 500 zones: "
        f"grid {figures['count_ms']:.0f} ms (median of 5), "
        f"STRtree {figures['count_strtree_ms']:.0f} ms, index built in "
        f"{figures['index_build_ms']:.0f} ms"
    )
    return figures


def dispatch(say: Say, seed: int = 55) -> dict[str, float]:
    """`nearest(k=3)` over 55 stations + 879 units spread over Yuzhong's extent."""
    rng = np.random.default_rng(seed)
    origin = LocalProjection(106.58, 29.56)
    n = 55 + 879
    xy = rng.uniform([-4000, -2500], [4000, 2500], size=(n, 2))
    lonlat = origin.to_lonlat(xy)
    kinds = rng.choice(["foot", "foot", "foot", "bicycle", "vehicle"], size=n)
    d = Dispatcher(
        [
            Responder(f"u{i}", str(k), *map(float, p))
            for i, (p, k) in enumerate(zip(lonlat, kinds, strict=True))
        ],
        projection=origin,
    )
    incidents = origin.to_lonlat(rng.uniform([-4000, -2500], [4000, 2500], size=(2000, 2)))
    d.nearest(*incidents[0])
    timings = []
    for lon, lat in incidents:
        t0 = time.perf_counter()
        d.nearest(float(lon), float(lat), k=3)
        timings.append(time.perf_counter() - t0)
    rebuilds = []
    for i, (lon, lat) in enumerate(incidents[:200]):
        d.set_status(f"u{i}", ResponderStatus.DISPATCHED)
        t0 = time.perf_counter()
        d.nearest(float(lon), float(lat), k=3)
        rebuilds.append(time.perf_counter() - t0)
    figures = {
        "nearest_us": 1e6 * float(np.median(timings)),
        "nearest_p99_us": 1e6 * _percentile(timings, 99),
        "nearest_rebuild_us": 1e6 * float(np.median(rebuilds)),
    }
    say(
        f"dispatch over {n} responders: nearest(k=3) median {figures['nearest_us']:.0f} µs, "
        f"p99 {figures['nearest_p99_us']:.0f} µs; after a status change (tree rebuild) "
        f"median {figures['nearest_rebuild_us']:.0f} µs"
    )
    return figures


def pipeline(say: Say, seed: int = 192_000) -> dict[str, float]:
    """One 10-second snapshot: 200,000 positions → densities → alerts and forecasts, 500 zones."""
    rng = np.random.default_rng(seed)
    zones = [
        Zone(f"z{i}-{j}", shapely.box(i * 40, j * 25, (i + 1) * 40, (j + 1) * 25))
        for i in range(25)
        for j in range(20)
    ]
    index = ZoneIndex(zones)
    engine = AlertEngine(AlertConfig(raise_after_s=10))
    forecasters = {z.id: FlowForecaster(z.area_m2, [4.0]) for z in zones}
    xy = np.vstack(
        [
            rng.uniform(0, [1000, 500], size=(195_500, 2)),
            rng.uniform([0, 0], [40, 25], size=(4_500, 2)),
        ]
    )
    timings = []
    for t in range(0, 100, 10):
        t0 = time.perf_counter()
        densities = index.densities_xy(xy)
        for zone, d in zip(index.ids, densities.tolist(), strict=True):
            fc = forecasters[zone]
            fc.observe(float(t), 10.0, 8.0, interval_s=10.0)
            engine.observe(zone, float(t), d)
            engine.forecast(zone, float(t), fc.minutes_to(4.0, d * fc.area))
        timings.append(time.perf_counter() - t0)
    figures = {
        "snapshot_ms": 1e3 * float(np.median(timings)),
        "snapshot_max_ms": 1e3 * max(timings),
    }
    say(
        "positions → alerts for 500 zones (pure computation, one 10-s snapshot): "
        f"median {figures['snapshot_ms']:.0f} ms, worst {figures['snapshot_max_ms']:.0f} ms"
    )
    return figures


def run(zones: int, positions: int, seconds: int, seed: int, say: Say) -> dict[str, float]:
    figures: dict[str, float] = {}
    figures.update(counting(say, seed))
    figures.update(dispatch(say, seed + 1))
    figures.update(pipeline(say, seed + 2))
    # The end-to-end run (services, database, SSE) joins once crowd.services exists.
    figures.update(
        readings_per_s=float("nan"), p99_alert_latency_ms=float("nan"), positions_per_s=float("nan")
    )
    return figures
