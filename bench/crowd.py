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


# ------------------------------------------------------------------ end to end

ZONE_SIDE_M = 20.0  # 400 m² squares in a 25 × 20 block: 500 zones over 500 m × 400 m
HOT_PEAK = 4.3  # p/m²: a ramping zone ends in ALERT (4–5), never SERIOUS (no cases)


class _Crowd:
    """The truth the sensors see: per zone, people now; some zones ramp up to alert."""

    def __init__(
        self, n: int, positions: int, rng: np.random.Generator, lon0: float, lat0: float
    ) -> None:
        self.n, self.positions, self.rng = n, positions, rng
        nx = int(np.ceil(np.sqrt(n * 1.25)))
        self.origin = np.array(
            [((i % nx) * ZONE_SIDE_M, (i // nx) * ZONE_SIDE_M) for i in range(n)], dtype=float
        )
        self.projection = LocalProjection(lon0, lat0)
        area = ZONE_SIDE_M**2
        # Spread so the whole crowd sums to `positions`, each zone well below attention.
        base = rng.uniform(0.5, 1.5, n)
        self.base = base * (positions / area / base.sum()) if positions else base
        self.people = self.base * area
        self.hot_start: dict[int, float] = {}

    def polygon(self, i: int) -> dict:
        x, y = self.origin[i]
        ring = self.projection.to_lonlat(
            [
                (x, y),
                (x + ZONE_SIDE_M, y),
                (x + ZONE_SIDE_M, y + ZONE_SIDE_M),
                (x, y + ZONE_SIDE_M),
                (x, y),
            ]
        )
        return shapely.geometry.mapping(shapely.Polygon(ring))

    def step(self, t: float) -> tuple[np.ndarray, np.ndarray]:
        """In and out over the second ending at t (one new hot zone every two seconds)."""
        if int(t) % 2 == 0:
            cold = [i for i in range(self.n) if i not in self.hot_start]
            if cold:
                self.hot_start[int(self.rng.choice(cold))] = t
        area = ZONE_SIDE_M**2
        target = self.base * area
        for i, t0 in self.hot_start.items():
            frac = min(1.0, (t - t0) / 20.0)
            target[i] = area * (self.base[i] + (HOT_PEAK - self.base[i]) * frac)
        net = target - self.people
        churn = self.people / 600.0
        n_in = self.rng.poisson(np.maximum(net, 0) + churn)
        n_out = np.minimum(self.people + n_in, self.rng.poisson(np.maximum(-net, 0) + churn))
        self.people = self.people + n_in - n_out
        return n_in.astype(int), n_out.astype(int)

    def snapshot(self) -> np.ndarray:
        """`positions` anonymous lon/lat samples spread like the people."""
        share = self.people / self.people.sum()
        per_zone = self.rng.multinomial(self.positions, share)
        idx = np.repeat(np.arange(self.n), per_zone)
        xy = self.origin[idx] + self.rng.uniform(0.01, ZONE_SIDE_M - 0.01, size=(len(idx), 2))
        return self.projection.to_lonlat(xy)


def end_to_end(zones: int, positions: int, seconds: int, seed: int, say: Say) -> dict[str, float]:
    """Readings through crowd.services into the database and the estimators, alerts out on
    the board's SSE stream (the view's own generator), as the board would see them."""
    import threading
    from datetime import UTC, datetime

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import RequestFactory

    from crowd import events, services, views
    from crowd.models import Alert, Venue
    from territory.demo import DEMO_DIVISION, ensure_demo_district
    from territory.models import Area

    t0 = time.perf_counter()
    if ensure_demo_district() is not None:
        say(f"demo district loaded in {time.perf_counter() - t0:.1f} s")
    district = Area.objects.get(code=DEMO_DIVISION)
    rng = np.random.default_rng(seed)
    crowd = _Crowd(zones, positions, rng, district.centroid_lon, district.centroid_lat)
    code = f"bench-crowd-{seed}"
    Venue.objects.filter(code=code).delete()
    t0 = time.perf_counter()
    outline = (
        shapely.geometry.shape(crowd.polygon(0))
        .union(shapely.geometry.shape(crowd.polygon(zones - 1)))
        .envelope.buffer(0.001)
    )
    venue = services.create_venue(
        code=code, name="bench", area=district, polygon=shapely.geometry.mapping(outline)
    )
    for i in range(zones):
        zone = services.add_zone(
            venue=venue,
            code=f"z{i}",
            name=f"z{i}",
            polygon=crowd.polygon(i),
            usable_area_m2=ZONE_SIDE_M**2,
            exits=[("e", 4.0)],
        )
        services.add_sensor(venue=venue, code=f"{code}-g{i}", kind="counter", zone=zone)
    services.add_sensor(
        venue=venue, code=f"{code}-pos", kind="positions", interval_s=10, headcount_std_share=0.02
    )
    say(
        f"end to end on {connection.vendor}: {zones} zones set up in "
        f"{time.perf_counter() - t0:.1f} s"
    )

    start = datetime.now(UTC).timestamp() - 3600  # an hour ago: never "in the future"
    batch_times, pos_times, submitted = [], [], {}

    def feed(t: float, with_positions: bool) -> None:
        n_in, n_out = crowd.step(t)
        batch = [
            {"sensor": f"{code}-g{i}", "ts": start + t, "in": int(a), "out": int(b)}
            for i, (a, b) in enumerate(zip(n_in, n_out, strict=True))
        ]
        submitted[round(start + t, 3)] = time.perf_counter()
        t1 = time.perf_counter()
        services.ingest_readings(readings=batch)
        batch_times.append(time.perf_counter() - t1)
        if with_positions and positions:
            # Half a second after the counters, so each alert maps to one submission.
            ts = start + t + 0.5
            snapshot = crowd.snapshot()
            submitted[round(ts, 3)] = time.perf_counter()
            t1 = time.perf_counter()
            services.ingest_readings(
                readings=[{"sensor": f"{code}-pos", "ts": ts, "positions": snapshot}]
            )
            pos_times.append(time.perf_counter() - t1)

    try:
        # Capacity: 20 data seconds as fast as they go.
        for s in range(1, 21):
            feed(float(s), s % 10 == 0)
        readings_per_s = zones * len(batch_times) / sum(batch_times)
        positions_per_s = positions * len(pos_times) / sum(pos_times) if pos_times else 0.0
        say(
            f"capacity: {readings_per_s:,.0f} counter readings/s (batch of {zones}: median "
            f"{1e3 * np.median(batch_times):.0f} ms), {positions_per_s:,.0f} positions/s "
            f"({positions:,} in {1e3 * np.median(pos_times or [0]):.0f} ms)"
        )

        # Latency: 1 Hz for `seconds`, alerts read off the SSE stream by another thread.
        request = RequestFactory().get(f"/crowd/{code}/stream/")
        request.user = get_user_model()(username="bench", is_superuser=True, is_active=True)
        response = views.stream(request, venue=code)
        seen: list[tuple[float, dict]] = []
        stop = threading.Event()

        def watch() -> None:
            import json

            for frame in response.streaming_content:
                now = time.perf_counter()
                if stop.is_set():
                    break
                text = frame.decode()
                if text.startswith("event: alert\n"):
                    seen.append((now, json.loads(text.split("data: ", 1)[1])))
            response.close()

        watcher = threading.Thread(target=watch, name="bench-sse", daemon=True)
        watcher.start()
        first = len(Alert.objects.filter(venue=venue).values_list("pk"))
        batch_times.clear()
        pos_times.clear()
        wall0 = time.perf_counter()
        for s in range(21, 21 + seconds):
            lag = wall0 + (s - 21) - time.perf_counter()
            if lag > 0:
                time.sleep(lag)
            feed(float(s), s % 10 == 0)
        time.sleep(1.0)
        stop.set()
        events.publish(venue.pk, "bench-end", {})
        watcher.join(timeout=5)
        latencies = []
        for when, alert in seen:
            ts = round(datetime.fromisoformat(alert["raised_at"]).timestamp(), 3)
            if ts in submitted:
                latencies.append(when - submitted[ts])
        stored = Alert.objects.filter(venue=venue).count() - first
        p99 = 1e3 * _percentile(latencies, 99)
        say(
            f"paced 1 Hz for {seconds} s: {stored} alerts stored, {len(latencies)} seen on the "
            f"stream; reading accepted → alert on the stream: median "
            f"{1e3 * _percentile(latencies, 50):.0f} ms, p99 {p99:.0f} ms, max "
            f"{1e3 * max(latencies, default=float('nan')):.0f} ms; counter batch median "
            f"{1e3 * np.median(batch_times):.0f} ms, p99 {1e3 * _percentile(batch_times, 99):.0f} ms"
        )
        return {
            "readings_per_s": readings_per_s,
            "positions_per_s": positions_per_s,
            "p99_alert_latency_ms": p99,
            "alerts_seen": float(len(latencies)),
        }
    finally:
        services.drop_runtime(venue.pk)
        Venue.objects.filter(pk=venue.pk).delete()


def run(
    zones: int, positions: int, seconds: int, seed: int, say: Say, database_url: str = ""
) -> dict[str, float]:
    """The pure computations, then end to end on a database of the bench's own (a temporary
    SQLite file, or `database_url`), migrated and given the demo district for the run."""
    from bench.database import own_database

    figures: dict[str, float] = {}
    figures.update(counting(say, seed))
    figures.update(dispatch(say, seed + 1))
    figures.update(pipeline(say, seed + 2))
    with own_database(database_url, say, prefix="pingan-bench-crowd"):
        figures.update(end_to_end(zones, positions, seconds, seed, say))
    return figures
