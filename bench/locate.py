"""Locator benchmark: a synthetic city of N grids, batch and single point → grid lookups."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import shapely

from territory.locator import Locator

GRID_DEG = 0.004  # ≈ 400 m × 390 m at Chongqing's latitude: a dense urban grid


def synthetic_city(n_grids: int, seed: int = 86) -> tuple[list[str], np.ndarray, tuple]:
    """Voronoi cells of a jittered lattice, clipped to its box: irregular, gap-free grids."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_grids)))
    xs, ys = np.meshgrid(np.arange(side), np.arange(side))
    seeds = np.c_[xs.ravel(), ys.ravel()][:n_grids].astype(float)
    seeds += rng.uniform(-0.4, 0.4, seeds.shape)
    seeds = seeds * GRID_DEG + np.array([106.2, 29.2])
    bounds = (*seeds.min(axis=0), *seeds.max(axis=0))
    envelope = shapely.box(*bounds)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=envelope)
    )
    cells = shapely.intersection(cells, envelope)
    codes = [
        f"500000{i // 1_000_000:03d}{i // 1000 % 1000:03d}{i % 1000:03d}" for i in range(len(cells))
    ]
    return codes, cells, bounds


def _random_points(rng, bounds, n: int, outside_share: float = 0.02):
    xmin, ymin, xmax, ymax = bounds
    lon = rng.uniform(xmin, xmax, n)
    lat = rng.uniform(ymin, ymax, n)
    out = rng.random(n) < outside_share
    lon[out] += (xmax - xmin) * 1.5  # east of the city: in no grid
    return lon, lat


def run(grids: int, points: int, seed: int, say: Callable[[str], None]) -> dict[str, float]:
    t0 = time.perf_counter()
    codes, cells, bounds = synthetic_city(grids, seed)
    say(f"city: {len(cells)} grids generated in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    locator = Locator(codes, cells)
    raster = locator.raster
    say(
        f"locator built in {time.perf_counter() - t0:.1f} s: raster {raster.nx}×{raster.ny}, "
        f"{(raster.labels >= 0).mean():.0%} of cells answer directly"
    )

    rng = np.random.default_rng(seed + 1)
    lon, lat = _random_points(rng, bounds, points)
    locator.locate_indices(lon[:10_000], lat[:10_000])  # warm the thread pool
    rates = []
    for _ in range(3):
        t0 = time.perf_counter()
        found = locator.locate_indices(lon, lat)
        rates.append(points / (time.perf_counter() - t0))
    batch_rate = max(rates)
    say(
        f"batch: {points} points, best of 3 = {batch_rate:,.0f} points/s, "
        f"{(found < 0).mean():.1%} outside every grid"
    )

    singles = []
    for i in range(20_000):
        t0 = time.perf_counter()
        locator.locate(lon[i], lat[i])
        singles.append(time.perf_counter() - t0)
    single_us = float(np.median(singles) * 1e6)
    say(
        f"single: median of 20000 = {single_us:.1f} µs, p99 = "
        f"{np.percentile(singles, 99) * 1e6:.1f} µs"
    )

    # The naive way: for each point, test grids one by one with shapely's contains.
    sample = 40
    plain = list(cells)
    t0 = time.perf_counter()
    naive = []
    for i in range(sample):
        p = shapely.Point(lon[i], lat[i])
        naive.append(next((j for j, g in enumerate(plain) if g.contains(p)), -1))
    naive_rate = sample / (time.perf_counter() - t0)
    agree = sum(int(a == b) for a, b in zip(naive, found[:sample].tolist(), strict=True))
    say(f"naive loop: {naive_rate:,.1f} points/s on {sample} points; {agree}/{sample} agree")
    return {
        "points_per_s": batch_rate,
        "single_us": single_us,
        "naive_ratio": batch_rate / naive_rate,
    }
