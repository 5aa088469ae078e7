"""Tests for territory.crs: China's GCJ-02/BD-09 offsets, pyproj EPSG paths, areas, frames."""

from __future__ import annotations

import warnings

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from territory.crs import (
    bd09_to_gcj02,
    bd09_to_gcj02_array,
    gcj02_to_bd09,
    gcj02_to_bd09_array,
    gcj02_to_wgs84,
    gcj02_to_wgs84_array,
    geodesic_area_m2,
    local_metric_projection,
    normalize_crs,
    transform_geometry,
    wgs84_to_gcj02,
    wgs84_to_gcj02_array,
)

GEOD = pyproj.Geod(ellps="WGS84")
JIEFANGBEI = (106.5770, 29.5570)  # Chongqing's city centre, WGS-84


def china_sample() -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.meshgrid(np.linspace(73.5, 135.0, 41), np.linspace(18.0, 53.5, 37))
    return lon.ravel(), lat.ravel()


def test_gcj02_round_trip_returns_the_wgs84_point_within_1e_6_degrees() -> None:
    lon, lat = china_sample()
    glon, glat = wgs84_to_gcj02_array(lon, lat)
    wlon, wlat = gcj02_to_wgs84_array(glon, glat)
    assert np.max(np.abs(wlon - lon)) < 1e-6
    assert np.max(np.abs(wlat - lat)) < 1e-6


def test_gcj02_inverse_is_iterated_well_below_1e_7_degrees() -> None:
    # The common one-step inverse (subtract the offset computed at the GCJ point) is off
    # by up to ~1e-5°; ours must be far better than the 1e-7° we store.
    lon, lat = china_sample()
    glon, glat = wgs84_to_gcj02_array(lon, lat)
    wlon, wlat = gcj02_to_wgs84_array(glon, glat)
    assert np.max(np.hypot(wlon - lon, wlat - lat)) < 1e-8
    dlon, dlat = wgs84_to_gcj02_array(glon, glat)
    one_step = np.hypot(2 * glon - dlon - lon, 2 * glat - dlat - lat)
    assert np.max(one_step) > 1e-7


def test_scalar_functions_match_the_vectorised_ones() -> None:
    lon, lat = china_sample()
    glon, glat = wgs84_to_gcj02_array(lon, lat)
    for i in range(0, len(lon), 97):
        assert wgs84_to_gcj02(lon[i], lat[i]) == (glon[i], glat[i])
        x, y = gcj02_to_wgs84(glon[i], glat[i])
        assert abs(x - lon[i]) < 1e-8 and abs(y - lat[i]) < 1e-8
    assert isinstance(gcj02_to_wgs84(*JIEFANGBEI)[0], float)


def test_gcj02_offset_in_chongqing_is_a_few_hundred_metres() -> None:
    glon, glat = wgs84_to_gcj02(*JIEFANGBEI)
    _, _, metres = GEOD.inv(*JIEFANGBEI, glon, glat)
    assert 300 < metres < 600
    # GCJ-02 shifts Chongqing to the east and south.
    assert glon > JIEFANGBEI[0] and glat < JIEFANGBEI[1]


@pytest.mark.parametrize(
    "point",
    [(2.3522, 48.8566), (-74.0060, 40.7128), (151.2093, -33.8688), (139.6917, 35.6895)],
    ids=["paris", "new-york", "sydney", "tokyo"],
)
def test_points_outside_china_are_unchanged(point: tuple[float, float]) -> None:
    assert wgs84_to_gcj02(*point) == point
    assert gcj02_to_wgs84(*point) == point
    assert transform_geometry(Point(point), "GCJ02").equals(Point(point))


def test_bd09_round_trips_with_gcj02_and_sits_about_a_kilometre_away() -> None:
    g = wgs84_to_gcj02(*JIEFANGBEI)
    b = gcj02_to_bd09(*g)
    back = bd09_to_gcj02(*b)
    assert abs(back[0] - g[0]) < 1e-8 and abs(back[1] - g[1]) < 1e-8
    _, _, metres = GEOD.inv(*g, *b)
    assert 500 < metres < 1500
    lon, lat = china_sample()
    blon, blat = gcj02_to_bd09_array(lon, lat)
    rlon, rlat = bd09_to_gcj02_array(blon, blat)
    assert np.max(np.hypot(rlon - lon, rlat - lat)) < 1e-8


def test_transform_geometry_goes_gcj02_to_wgs84_vertex_by_vertex() -> None:
    square = box(106.55, 29.55, 106.56, 29.56)
    wgs = transform_geometry(square, "GCJ02", "WGS84")
    expected = [gcj02_to_wgs84(x, y) for x, y in square.exterior.coords]
    assert np.allclose(np.array(wgs.exterior.coords), expected, rtol=0, atol=1e-12)
    again = transform_geometry(wgs, "WGS84", "GCJ02")
    assert np.allclose(np.array(again.exterior.coords), np.array(square.exterior.coords), atol=1e-8)


def test_transform_geometry_uses_pyproj_for_other_epsg_codes() -> None:
    point = Point(106.55, 29.56)
    mercator = transform_geometry(point, "EPSG:4326", "EPSG:3857")
    assert mercator.x == pytest.approx(6378137.0 * np.radians(106.55), abs=1e-3)
    utm = transform_geometry(point, "WGS84", "EPSG:32648")
    # Zone 48N is centred on 105°E: 1.55° further east is ~150 km past the false easting.
    assert 640_000 < utm.x < 660_000 and 3_260_000 < utm.y < 3_280_000
    back = transform_geometry(utm, "EPSG:32648")
    assert back.distance(point) < 1e-9
    # EPSG to GCJ-02 goes through WGS-84.
    via = transform_geometry(utm, "EPSG:32648", "GCJ02")
    assert via.distance(Point(*wgs84_to_gcj02(106.55, 29.56))) < 1e-9


def test_crs_names_are_normalised() -> None:
    assert normalize_crs("epsg:4326") == "WGS84"
    assert normalize_crs("WGS-84") == "WGS84"
    assert normalize_crs("gcj-02") == "GCJ02"
    assert normalize_crs("BD09") == "BD09"
    assert normalize_crs(" EPSG:3857 ") == "EPSG:3857"


@pytest.mark.parametrize("name", ["MARS", "EPSG:999999", "EPSG:", "4326"])
def test_unknown_crs_raises_value_error_naming_it(name: str) -> None:
    with pytest.raises(ValueError, match=name.replace(":", ":?")):
        transform_geometry(Point(106.5, 29.5), name)


def test_geodesic_area_ignores_ring_orientation_and_sums_multipolygon_parts() -> None:
    ccw = box(106.50, 29.50, 106.51, 29.51)
    cw = shapely.reverse(ccw)
    area = geodesic_area_m2(ccw)
    # 0.01° × 0.01° at 29.5°N: ≈ 1.1085 km north–south × 0.9693 km east–west.
    assert area == pytest.approx(1_074_762, rel=1e-4)
    assert geodesic_area_m2(cw) == pytest.approx(area, rel=1e-12)
    other = shapely.reverse(box(106.60, 29.50, 106.61, 29.51))
    assert geodesic_area_m2(MultiPolygon([ccw, other])) == pytest.approx(
        area + geodesic_area_m2(other), rel=1e-12
    )
    holed = Polygon(ccw.exterior.coords, [box(106.502, 29.502, 106.504, 29.504).exterior.coords])
    assert geodesic_area_m2(holed) == pytest.approx(area * (1 - 0.04), rel=1e-4)


def test_local_metric_projection_measures_metres_around_its_centre() -> None:
    proj = local_metric_projection(*JIEFANGBEI)
    east_lon, east_lat, _ = GEOD.fwd(*JIEFANGBEI, 90.0, 1000.0)
    x, y = proj.forward(east_lon, east_lat)
    assert x == pytest.approx(1000.0, abs=1e-6) and y == pytest.approx(0.0, abs=1e-6)
    lon, lat = proj.inverse(x, y)
    assert lon == pytest.approx(east_lon, abs=1e-12) and lat == pytest.approx(east_lat, abs=1e-12)
    square = box(106.57, 29.55, 106.58, 29.56)
    metric = proj.to_metric(square)
    assert metric.area == pytest.approx(geodesic_area_m2(square), rel=1e-5)
    assert proj.to_lonlat(metric).equals_exact(square, tolerance=1e-12)


def test_local_metric_projection_functions_fit_shapely_ops_transform() -> None:
    from shapely.ops import transform

    proj = local_metric_projection(*JIEFANGBEI)
    square = box(106.57, 29.55, 106.58, 29.56)
    with warnings.catch_warnings():
        # shapely 2.2 deprecates ops.transform in favour of shapely.transform.
        warnings.simplefilter("ignore", DeprecationWarning)
        metric = transform(proj.forward, square)
        back = transform(proj.inverse, metric)
    assert metric.equals_exact(proj.to_metric(square), tolerance=1e-9)
    assert back.equals_exact(square, tolerance=1e-12)
