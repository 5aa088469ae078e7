"""Occupancy from drifting counters corrected by headcounts, and position counting per zone."""

import numpy as np
import pytest
import shapely

from crowd.occupancy import (
    CounterBinding,
    FilterConfig,
    OccupancyEstimator,
    Zone,
    ZoneIndex,
    ZoneOccupancy,
    density,
    segment_crossings,
)

# ------------------------------------------------------------------ density + filter


def test_density_is_occupancy_divided_by_usable_area() -> None:
    assert density(600, 200.0) == 3.0
    assert np.allclose(density([10, 30], [10.0, 10.0]), [1.0, 3.0])
    with pytest.raises(ValueError):
        density(5, 0.0)


def test_perfect_counters_without_headcounts_integrate_the_flow() -> None:
    z = ZoneOccupancy(t0=0.0, occupancy=100.0)
    for t in range(1, 61):
        z.flow(t, inflow=5, outflow=3)
    est = z.estimate()
    assert est.occupancy == pytest.approx(220.0)
    assert est.drift_rate == 0.0
    assert est.std > 0  # uncertainty grows with every passage counted


def test_a_precise_headcount_dominates_and_a_rough_one_barely_moves_the_estimate() -> None:
    precise = ZoneOccupancy(occupancy=0.0)
    rough = ZoneOccupancy(occupancy=0.0)
    for z in (precise, rough):
        for t in range(1, 601):
            z.flow(t, 2, 1)  # integral says 600
    precise.headcount(600, 700, std=2)
    # The weight is P₀₀ / (P₀₀ + σ²): the integral's variance after 10 minutes is ~300²
    # (mostly the unknown drift), so σ = 2 takes ~all of the residual and σ = 3000 ~1 %.
    p00 = rough.P[0, 0]
    rough.headcount(600, 700, std=3000)
    assert precise.estimate().occupancy == pytest.approx(700, abs=1)
    assert rough.estimate().occupancy == pytest.approx(600 + 100 * p00 / (p00 + 3000**2))
    assert rough.estimate().occupancy < 602


def _simulate(miss_rate: float = 0.10, hours: float = 2.0, seed: int = 1):
    """A zone whose exit counter misses `miss_rate` of leavers: counts drift upward."""
    rng = np.random.default_rng(seed)
    z = ZoneOccupancy(occupancy=0.0)
    naive = true = 0.0
    worst_before_headcount = []
    for t in range(1, int(hours * 3600) + 1):
        arrivals = rng.poisson(6.0)
        leavers = rng.poisson(5.0) if true > 50 else 0
        true += arrivals - leavers
        counted_out = leavers - rng.binomial(leavers, miss_rate)
        z.flow(t, arrivals, counted_out)
        naive += arrivals - counted_out
        if t % 600 == 0:
            worst_before_headcount.append((abs(z.estimate().occupancy - true), abs(naive - true)))
            z.headcount(t, true + rng.normal(0, 10), std=10)
    return z, worst_before_headcount


def test_drift_is_learnt_from_residuals_and_corrects_the_flow_between_headcounts() -> None:
    z, errors = _simulate()
    # True drift: 10 % of 5 leavers/s go uncounted → the counters over-count 0.5 p/s.
    assert z.estimate().drift_rate == pytest.approx(0.5, abs=0.1)
    # After a few headcounts the estimate just before a headcount is far closer to the
    # truth than the uncorrected integral (which is off by ~300 people per 10 min).
    # The remaining error is the random part of the miscounts (≈ 20 people per 10 min).
    late = errors[4:]
    assert max(e for e, _ in late) < 100
    assert min(n for _, n in late) > 1000


def test_a_stale_headcount_is_dropped_instead_of_double_counting_flows() -> None:
    z = ZoneOccupancy()
    z.flow(100, 50, 0)
    assert z.headcount(50, 10, std=1) is None
    assert z.estimate().occupancy == pytest.approx(50)


def test_occupancy_never_reports_negative_people() -> None:
    z = ZoneOccupancy()
    z.flow(10, 0, 30)
    est = z.estimate()
    assert est.occupancy == 0.0 and est.raw_occupancy == -30.0


def test_line_counters_move_people_between_bound_zones() -> None:
    est = OccupancyEstimator({"square": 1000.0, "street": 250.0})
    est.bind_counter(CounterBinding("gate-1", to_zone="street"))
    est.bind_counter(CounterBinding("link-1", to_zone="square", from_zone="street"))
    est.counter("gate-1", 60, forward=500, backward=20)
    est.counter("link-1", 60, forward=300, backward=40)
    assert est.estimate("street").occupancy == pytest.approx(500 - 20 - 300 + 40)
    assert est.estimate("square").occupancy == pytest.approx(260)
    assert est.density("square") == pytest.approx(0.26)
    with pytest.raises(KeyError):
        est.bind_counter(CounterBinding("x", to_zone="nowhere"))


def test_filter_configuration_rejects_negative_noise() -> None:
    with pytest.raises(ValueError):
        FilterConfig(drift_noise=-1)


# ------------------------------------------------------------------ positions


def _grid_zones(nx: int, ny: int, size: float = 10.0) -> list[Zone]:
    return [
        Zone(f"z{i}-{j}", shapely.box(i * size, j * size, (i + 1) * size, (j + 1) * size))
        for i in range(nx)
        for j in range(ny)
    ]


def test_positions_are_counted_per_zone_and_boundaries_count_nowhere() -> None:
    index = ZoneIndex(_grid_zones(2, 1))
    xy = [(1, 1), (2, 2), (15, 5), (10, 5), (50, 50), (np.nan, 1)]
    assert index.counts(xy) == {"z0-0": 2, "z1-0": 1}
    assert np.allclose(index.densities_xy(xy), [0.02, 0.01])
    assert index.zone_of(xy).tolist() == [0, 0, 1, -1, -1, -1]


def test_overlapping_zones_each_count_their_positions() -> None:
    venue = Zone("venue", shapely.box(0, 0, 100, 100), usable_area_m2=8000)
    sector = Zone("sector", shapely.box(0, 0, 10, 10))
    index = ZoneIndex([venue, sector])
    assert index.count_xy([(5, 5), (50, 50)]).tolist() == [2, 1]
    assert index.areas_m2.tolist() == [8000.0, 100.0]


def test_grouped_counts_give_one_row_per_frame() -> None:
    index = ZoneIndex(_grid_zones(2, 1))
    xy = [(1, 1), (11, 1), (12, 1), (3, 3)]
    counts = index.count_xy_grouped(xy, [0, 0, 2, 2], n_groups=3)
    assert counts.tolist() == [[1, 1], [0, 0], [1, 1]]


def test_the_grid_counter_agrees_with_a_plain_strtree_query_on_irregular_overlapping_zones() -> (
    None
):
    rng = np.random.default_rng(3)
    centres = rng.uniform(0, 500, size=(60, 2))
    zones = [
        Zone(f"blob{i}", shapely.Point(c).buffer(rng.uniform(10, 60), quad_segs=4))
        for i, c in enumerate(centres)
    ]
    zones.append(
        Zone("ring", shapely.box(0, 0, 500, 500).difference(shapely.box(100, 100, 400, 400)))
    )
    index = ZoneIndex(zones)
    xy = rng.uniform(-20, 520, size=(50_000, 2))
    # Points exactly on zone boundaries and on the grid's own lines must agree too.
    on_edges = np.array([[100.0, 250.0], [0.0, 0.0], [500.0, 500.0], [250.0, 100.0]])
    xy = np.vstack([xy, on_edges, np.round(xy[:2000])])
    assert np.array_equal(index.count_xy(xy), index.count_xy(xy, method="strtree"))
    grouped = index.count_xy_grouped(xy, np.arange(len(xy)) % 7, n_groups=7)
    assert np.array_equal(grouped.sum(axis=0), index.count_xy(xy))
    assert index.count_xy(on_edges)[-1] == 0  # all four lie on the ring's boundary


def test_duplicate_zone_ids_are_rejected() -> None:
    with pytest.raises(ValueError):
        ZoneIndex([Zone("a", shapely.box(0, 0, 1, 1)), Zone("a", shapely.box(1, 0, 2, 1))])


def test_200k_positions_in_500_zones_are_counted_alike_by_grid_and_strtree() -> None:
    # The speed of this count is measured by `pingan bench crowd`, not asserted here.
    rng = np.random.default_rng(0)
    zones = [Zone(z.id, z.polygon.segmentize(20.0)) for z in _grid_zones(25, 20, size=80.0)]
    index = ZoneIndex(zones)
    xy = rng.uniform(0, [2000, 1600], size=(200_000, 2))
    counts = index.count_xy(xy)
    assert counts.sum() == 200_000
    assert np.array_equal(counts, index.count_xy(xy, method="strtree"))


# ------------------------------------------------------------------ virtual lines


def test_movements_crossing_or_touching_a_line_are_counted_with_direction() -> None:
    p0 = [(0, -1), (0, 1), (0, -1), (5, -1), (-2, 0), (0, -1)]
    p1 = [(0, 1), (0, -1), (0, 0), (5, 1), (-1, 0), (0, -0.5)]
    crossed, direction = segment_crossings(p0, p1, (-1, 0), (1, 0))
    assert crossed.tolist() == [True, True, True, False, True, False]
    assert direction.tolist()[:3] == [1, -1, 0]
