"""The point → grid locator: exact against shapely, fast paths agree with slow ones."""

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from territory.locator import Locator, get_locator, invalidate_locator


def two_by_two() -> Locator:
    # Four unit squares around (0, 0), and a fifth square far away.
    boxes = [
        box(-1, -1, 0, 0),
        box(0, -1, 1, 0),
        box(-1, 0, 0, 1),
        box(0, 0, 1, 1),
        box(5, 5, 6, 6),
    ]
    return Locator(["a", "b", "c", "d", "e"], boxes)


def voronoi_city(n: int = 400, seed: int = 1) -> tuple[Locator, list[shapely.Geometry]]:
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 1, (n, 2)) * [0.1, 0.08] + [106.5, 29.5]
    env = shapely.box(106.5, 29.5, 106.6, 29.58)
    cells = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=env)), env
    )
    return Locator([f"g{i}" for i in range(len(cells))], list(cells)), list(cells)


def test_a_point_inside_a_grid_returns_that_grid():
    loc = two_by_two()
    assert loc.locate(0.5, 0.5) == "d"
    assert loc.locate(-0.5, -0.5) == "a"
    assert loc.locate(5.5, 5.5) == "e"


def test_a_point_outside_every_grid_returns_none():
    loc = two_by_two()
    assert loc.locate(3, 3) is None
    assert loc.locate(-50, 80) is None
    assert loc.locate_many([3, 0.5, 100], [3, 0.5, 100]) == [None, "d", None]


def test_a_point_on_a_shared_boundary_gets_the_same_grid_every_time():
    loc = two_by_two()
    single = loc.locate(0.0, 0.5)
    assert single in {"c", "d"}
    assert loc.locate_many([0.0] * 3, [0.5] * 3) == [single] * 3


def test_batch_lookup_matches_a_plain_shapely_contains_loop():
    loc, cells = voronoi_city()
    rng = np.random.default_rng(7)
    lon = rng.uniform(106.49, 106.61, 5000)
    lat = rng.uniform(29.49, 29.59, 5000)
    got = loc.locate_indices(lon, lat)
    for i in range(0, 5000, 7):
        p = shapely.Point(lon[i], lat[i])
        owners = [j for j, c in enumerate(cells) if c.intersects(p)]
        assert got[i] == (min(owners) if owners else -1)


def test_most_points_are_answered_from_the_raster():
    loc, _ = voronoi_city()
    labels = loc.raster.labels
    assert (labels >= 0).mean() > 0.6


@settings(max_examples=200, deadline=None)
@given(st.floats(106.49, 106.61), st.floats(29.49, 29.59))
def test_single_and_batch_lookups_agree(lon, lat):
    loc = _CITY[0]
    assert loc.locate(lon, lat) == loc.locate_many([lon], [lat])[0]


_CITY = voronoi_city(200, seed=3)


def test_an_empty_locator_finds_nothing():
    loc = Locator([], [])
    assert loc.locate(1, 1) is None
    assert loc.locate_many([1], [1]) == [None]


@pytest.mark.django_db
def test_the_stored_locator_finds_demo_grids_and_is_rebuilt_when_grids_change(demo_district):
    from territory.choices import Level
    from territory.models import Area

    grid = Area.objects.filter(level=Level.GRID).order_by("-code").first()
    assert get_locator().locate(grid.centroid_lon, grid.centroid_lat) == grid.code
    assert len(get_locator()) == 879

    # given a grid is removed (its area becomes nobody's)
    lon, lat = grid.centroid_lon, grid.centroid_lat
    grid.delete()
    invalidate_locator()
    # then the next lookup uses a rebuilt index
    assert get_locator().locate(lon, lat) is None
    assert len(get_locator()) == 878
