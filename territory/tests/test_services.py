"""GeoJSON import: every problem reported by feature and field, nothing written on failure."""

import json

import pytest
import shapely
from django.utils import translation
from shapely.geometry import box, mapping

from territory.crs import gcj02_to_wgs84
from territory.models import Area
from territory.services import AreaImportError, export_areas, import_areas

pytestmark = pytest.mark.django_db

D = "500999"  # a division code of our own, apart from the demo district's


def feature(code, name, geom, **props):
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, **props},
        "geometry": mapping(geom),
    }


def small_tree():
    return [
        feature(D, "测试区", box(106.50, 29.50, 106.52, 29.52)),
        feature(D + "001", "甲街道", box(106.50, 29.50, 106.51, 29.52)),
        feature(D + "002", "乙街道", box(106.51, 29.50, 106.52, 29.52)),
        feature(D + "001001", "一社区", box(106.50, 29.50, 106.51, 29.51)),
        feature(D + "001001001", "一网格", box(106.50, 29.50, 106.505, 29.51)),
    ]


def test_a_valid_tree_is_imported_with_parents_levels_and_areas():
    result = import_areas(small_tree())
    assert result.created == 5
    grid = Area.objects.get(code=D + "001001001")
    assert grid.level == "grid"
    assert grid.parent.code == D + "001001"
    assert grid.parent.parent.parent.code == D
    # 0.005° × 0.01° at 29.5°N ≈ 484 m × 1109 m
    assert grid.area_m2 == pytest.approx(484.7 * 1108.6, rel=0.01)
    assert Area.objects.inside(D + "001").count() == 3


def test_importing_twice_updates_in_place():
    import_areas(small_tree())
    tree = small_tree()
    tree[1]["properties"]["name"] = "甲街道（新）"
    result = import_areas(tree)
    assert (result.created, result.updated) == (0, 5)
    assert Area.objects.get(code=D + "001").name == "甲街道（新）"


def test_every_problem_is_reported_by_feature_and_field_and_nothing_is_written():
    bowtie = shapely.Polygon([(106.5, 29.5), (106.51, 29.51), (106.51, 29.5), (106.5, 29.51)])
    bad = small_tree() + [
        feature(D + "001", "重复", box(106.50, 29.50, 106.51, 29.52)),  # duplicate code
        feature(D + "002001", "蝴蝶", bowtie),  # invalid polygon
        feature(D + "003001", "孤儿", box(106.50, 29.50, 106.501, 29.501)),  # no parent
        feature(D + "001002", "越界", box(106.505, 29.505, 106.53, 29.51)),  # outside parent
        feature(D + "001003", "重叠", box(106.50, 29.505, 106.51, 29.51)),  # overlaps 001001
        feature("12345", "坏码", box(106.50, 29.50, 106.51, 29.51)),
        feature(D + "002002", "", box(106.511, 29.50, 106.512, 29.501)),  # missing name
        {
            "type": "Feature",
            "properties": {"code": D + "002003", "name": "点"},
            "geometry": {"type": "Point", "coordinates": [106.5, 29.5]},
        },
        feature(D + "002004", "远方", box(200, 29.50, 201, 29.51)),
    ]
    with pytest.raises(AreaImportError) as caught, translation.override("en"):
        import_areas(bad)
    found = {(p.feature, p.field) for p in caught.value.problems}
    assert found >= {
        (6, "code"),
        (7, "geometry"),
        (8, "parent"),
        (9, "geometry"),
        (10, "geometry"),
        (11, "code"),
        (12, "name"),
        (13, "geometry"),
        (14, "geometry"),
    }
    with translation.override("en"):
        messages = "\n".join(map(str, caught.value.problems))
    assert "duplicate of feature 2" in messages
    assert "Self-intersection" in messages
    assert "lies outside its parent" in messages
    assert "overlaps its sibling" in messages
    assert not Area.objects.filter(code__startswith=D).exists()


def test_a_failed_import_keeps_what_was_stored_before():
    import_areas(small_tree())
    broken = small_tree()
    broken[1]["properties"]["name"] = "改了"
    broken.append(feature(D + "009001", "孤儿", box(106.50, 29.50, 106.501, 29.501)))
    with pytest.raises(AreaImportError):
        import_areas(broken)
    assert Area.objects.get(code=D + "001").name == "甲街道"


def test_gcj02_input_is_stored_as_wgs84():
    tree = small_tree()[:1]
    import_areas(tree, crs="GCJ02")
    stored = shapely.geometry.shape(Area.objects.get(code=D).geometry)
    original = shapely.geometry.shape(tree[0]["geometry"])
    for (x, y), (sx, sy) in zip(
        shapely.get_coordinates(original), shapely.get_coordinates(stored), strict=True
    ):
        assert (sx, sy) == pytest.approx(gcj02_to_wgs84(x, y), abs=1e-7)
    lon, lat = gcj02_to_wgs84(106.50, 29.50)
    # the GCJ-02 offset in Chongqing is a few hundred metres
    assert 0.001 < abs(lon - 106.50) + abs(lat - 29.50) < 0.01


def test_an_unknown_crs_is_reported_on_the_geometry():
    with pytest.raises(AreaImportError) as caught:
        import_areas(small_tree()[:1], crs="MARS")
    assert "MARS" in str(caught.value)


def test_export_round_trips_through_import():
    import_areas(small_tree())
    data = export_areas(inside=D)
    assert [f["properties"]["code"] for f in data["features"]] == sorted(
        f["properties"]["code"] for f in small_tree()
    )
    for area in sorted(Area.objects.filter(code__startswith=D), key=lambda a: -len(a.code)):
        area.delete()
    result = import_areas(json.loads(json.dumps(data))["features"])
    assert result.created == 5
