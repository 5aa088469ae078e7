"""Dispatch finds the fastest available responders; coverage shares of a district."""

import json
import math

import numpy as np
import pytest
import shapely

from crowd.dispatch import (
    Dispatcher,
    Responder,
    ResponderKind,
    ResponderStatus,
    StreetGraph,
)
from crowd.geo import LocalProjection

from .conftest import REPO_ROOT

ORIGIN = LocalProjection(106.58, 29.56)  # Jiefangbei
YUZHONG = REPO_ROOT.parent / "shared" / "data" / "territory" / "yuzhong_500103.geojson"


def at(x: float, y: float) -> tuple[float, float]:
    lon, lat = ORIGIN.to_lonlat((x, y))
    return float(lon), float(lat)


def responder(rid: str, kind: str, x: float, y: float, **kw) -> Responder:
    lon, lat = at(x, y)
    return Responder(rid, kind, lon, lat, **kw)


def haversine(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def test_local_projection_keeps_district_distances_within_a_tenth_of_a_percent() -> None:
    lon, lat = at(4000.0, 3000.0)
    assert math.hypot(4000, 3000) == pytest.approx(haversine(106.58, 29.56, lon, lat), rel=1e-3)
    assert np.allclose(ORIGIN.to_xy(ORIGIN.to_lonlat([[10.0, -20.0]])), [[10.0, -20.0]])


def test_the_fastest_responder_wins_even_if_another_is_closer() -> None:
    d = Dispatcher(
        [responder("walker", "foot", 100, 0), responder("van", "vehicle", 300, 0)],
        projection=ORIGIN,
    )
    best = d.nearest(*at(0, 0), k=2)
    # walker: 100 m × 1.3 ÷ 1.4 m/s ≈ 93 s; van: 300 m × 1.5 ÷ 5 m/s = 90 s.
    assert [c.responder_id for c in best] == ["van", "walker"]
    assert best[0].travel_s == pytest.approx(90.0, rel=1e-3)
    assert best[1].distance_m == pytest.approx(100.0, rel=1e-3)


def test_only_available_responders_are_offered_and_trees_rebuild_lazily() -> None:
    d = Dispatcher(
        [
            responder("a", "foot", 10, 0),
            responder("b", "foot", 20, 0),
            responder("c", "foot", 30, 0, status=ResponderStatus.OFF_DUTY),
        ],
        projection=ORIGIN,
    )
    assert [c.responder_id for c in d.nearest(*at(0, 0), k=5)] == ["a", "b"]
    assert d.rebuilds == 1
    chosen = d.dispatch(*at(0, 0))
    assert [c.responder_id for c in chosen] == ["a"]
    assert d.responders["a"].status == ResponderStatus.DISPATCHED
    d.set_status("a", "on_scene")  # not available before or after: trees stay valid
    assert [c.responder_id for c in d.nearest(*at(0, 0), k=5)] == ["b"]
    assert d.rebuilds == 2
    d.set_status("a", ResponderStatus.ON_SCENE)
    d.nearest(*at(0, 0))
    assert d.rebuilds == 2
    d.set_status("c", ResponderStatus.AVAILABLE)
    assert [c.responder_id for c in d.nearest(*at(0, 0), k=5)] == ["b", "c"]


def test_kinds_can_be_filtered_and_configured() -> None:
    kinds = {"foot": ResponderKind("foot", 1.0, 1.0), "medic": ResponderKind("medic", 2.0, 1.0)}
    d = Dispatcher(
        [responder("f", "foot", 50, 0), responder("m", "medic", 90, 0)],
        kinds=kinds,
        projection=ORIGIN,
    )
    assert [c.responder_id for c in d.nearest(*at(0, 0), k=1)] == ["m"]  # 45 s vs 50 s
    assert [c.responder_id for c in d.nearest(*at(0, 0), k=1, kinds=["foot"])] == ["f"]
    with pytest.raises(ValueError):
        Dispatcher([responder("x", "drone", 0, 0)], kinds=kinds, projection=ORIGIN)


def test_a_street_graph_routes_around_a_barrier() -> None:
    # A river along y = 0 with one bridge at x = 1000. The incident is at (0, -20); the
    # walker at (0, 20) is 40 m away as the crow flies but must walk over the bridge.
    nodes = [(0, 20), (1000, 20), (1000, -20), (0, -20), (300, -20)]
    edges = [(0, 1), (1, 2), (2, 3), (3, 4)]
    graph = StreetGraph(nodes, edges)
    d = Dispatcher(
        [responder("across", "foot", 0, 20), responder("same-bank", "foot", 300, -25)],
        projection=ORIGIN,
    )
    assert d.nearest(*at(0, -20), k=1)[0].responder_id == "across"
    d.load_street_graph(graph)
    best = d.nearest(*at(0, -20), k=2)
    assert [c.responder_id for c in best] == ["same-bank", "across"]
    assert best[0].route == "graph"
    assert best[1].travel_s == pytest.approx((1000 + 40 + 1000) / 1.4, rel=1e-3)


def test_coverage_is_the_share_of_the_district_within_one_and_three_minutes() -> None:
    square = shapely.Polygon([at(-500, -500), at(500, -500), at(500, 500), at(-500, 500)])
    d = Dispatcher([responder("post", "foot", 0, 0)], projection=ORIGIN)
    cov = d.coverage(square, within_s=(60, 180), spacing_m=5)
    r1, r3 = 60 * 1.4 / 1.3, 180 * 1.4 / 1.3
    assert cov.within[60.0] == pytest.approx(math.pi * r1**2 / 1e6, rel=0.02)
    assert cov.within[180.0] == pytest.approx(math.pi * r3**2 / 1e6, rel=0.02)
    d.set_status("post", ResponderStatus.DISPATCHED)
    assert d.coverage(square, spacing_m=50).within[180.0] == 0.0


def _yuzhong_responders(n: int, rng: np.random.Generator) -> list[Responder]:
    xy = rng.uniform([-4000, -2500], [4000, 2500], size=(n, 2))
    kinds = rng.choice(["foot", "foot", "foot", "bicycle", "vehicle"], size=n)
    return [
        responder(f"u{i}", str(k), x, y)
        for i, ((x, y), k) in enumerate(zip(xy, kinds, strict=True))
    ]


def test_over_934_responders_the_nearest_three_match_a_brute_force_search() -> None:
    # How fast this is belongs to `pingan bench crowd`; here only what it answers.
    rng = np.random.default_rng(55)
    units = _yuzhong_responders(55 + 879, rng)
    d = Dispatcher(units, projection=ORIGIN)
    spec = {k.code: k for k in d.kinds.values()}
    for x, y in rng.uniform([-4000, -2500], [4000, 2500], size=(50, 2)):
        found = d.nearest(*at(x, y), k=3)
        target = ORIGIN.to_xy(at(x, y))
        times = sorted(
            (
                float(np.hypot(*(ORIGIN.to_xy((r.lon, r.lat)) - target)))
                * spec[r.kind].detour_factor
                / spec[r.kind].speed_m_s,
                r.id,
            )
            for r in units
            if d.responders[r.id].status == ResponderStatus.AVAILABLE
        )[:3]
        assert [c.responder_id for c in found] == [rid for _, rid in times]
    # After a status change the next query rebuilds and no longer offers that unit.
    first = d.nearest(*at(0, 0), k=1)[0].responder_id
    d.set_status(first, ResponderStatus.DISPATCHED)
    assert first not in [c.responder_id for c in d.nearest(*at(0, 0), k=3)]


def test_coverage_of_yuzhong_with_934_units() -> None:
    if not YUZHONG.exists():
        pytest.skip(f"Yuzhong boundary not found at {YUZHONG}")
    data = json.loads(YUZHONG.read_text(encoding="utf-8"))
    geometry = data["features"][0]["geometry"] if "features" in data else data
    district = shapely.geometry.shape(geometry)
    projection = LocalProjection.around_geometry(district)
    rng = np.random.default_rng(7)
    minx, miny, maxx, maxy = district.bounds
    units = []
    while len(units) < 934:
        lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if district.contains(shapely.Point(lon, lat)):
            units.append(Responder(f"u{len(units)}", "foot", lon, lat))
    d = Dispatcher(units, projection=projection)
    cov = d.coverage(district, spacing_m=50)
    assert cov.points > 8000  # ~22.85 km² at 50 m spacing
    assert 0 < cov.within[60.0] < cov.within[180.0] <= 1.0
