"""Shared fixtures for the crowd tests: PedPy data, a small venue, its operators."""

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import shapely

REPO_ROOT = Path(__file__).resolve().parents[2]
PEDPY_DIR = REPO_ROOT.parent / "shared" / "data" / "pedpy"
# Data time of the tests: New Year's Eve, 23:00 in Chongqing.
T0 = datetime(2025, 12, 31, 23, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="session")
def pedpy_dir() -> Path:
    if not (PEDPY_DIR / "corner" / "traj.txt").exists():
        pytest.skip(
            f"PedPy reference data not found at {PEDPY_DIR} (repo_root/../shared/data/pedpy)"
        )
    return PEDPY_DIR


@pytest.fixture(autouse=True)
def _quiet_live_state(settings):
    """No background ticker, no Redis, a fresh in-memory state, messages in English."""
    from django.utils import translation

    from crowd import services

    settings.PINGAN_CROWD_TICK_SECONDS = 0
    settings.REDIS_URL = ""
    services.drop_all_runtimes()
    with translation.override("en"):
        yield
    services.drop_all_runtimes()


def at(t: float) -> str:
    """The ISO time `t` seconds after T0."""
    return (T0 + timedelta(seconds=t)).isoformat()


def box_lonlat(projection, x0: float, y0: float, x1: float, y1: float) -> dict:
    """A rectangle given in metres around the projection's origin, as GeoJSON lon/lat."""
    ring = projection.to_lonlat([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)])
    return shapely.geometry.mapping(shapely.Polygon(ring))


@pytest.fixture
def street(demo_district):
    from territory.models import Area

    return Area.objects.get(parent=demo_district, name="解放碑街道")


@pytest.fixture
def venue(street):
    """A 100 × 50 m square (5,000 m²) and a 100 × 5 m lane (stricter) off it.

    Sensors: `sq-gate` counts into the square from outside, `lane-gate` from the square
    into the lane, `sq-cam` counts heads in the square, `pos` sends position samples."""
    from crowd import services
    from crowd.geo import LocalProjection

    p = LocalProjection(street.centroid_lon, street.centroid_lat)
    v = services.create_venue(
        code="test-square", name="测试广场", area=street, polygon=box_lonlat(p, -60, -60, 60, 60)
    )
    square = services.add_zone(
        venue=v,
        code="square",
        name="广场",
        polygon=box_lonlat(p, -50, -25, 50, 25),
        usable_area_m2=5000,
        exits=[("东口", 4.0), ("西口", 4.0)],
    )
    lane = services.add_zone(
        venue=v,
        code="lane",
        name="小巷",
        kind="lane",
        polygon=box_lonlat(p, -50, 30, 50, 35),
        usable_area_m2=500,
        thresholds=(1.5, 2.5, 3.0, 4.0),
        exits=[("巷口", 2.0)],
    )
    services.add_sensor(venue=v, code="sq-gate", kind="counter", zone=square, interval_s=1)
    services.add_sensor(venue=v, code="lane-gate", kind="counter", zone=lane, from_zone=square)
    services.add_sensor(
        venue=v,
        code="sq-cam",
        kind="headcount",
        zone=square,
        interval_s=60,
        headcount_std_share=0.05,
        silent_after_s=600,
    )
    services.add_sensor(
        venue=v,
        code="pos",
        kind="positions",
        interval_s=10,
        silent_after_s=120,
        headcount_std_share=0.01,
    )
    v.refresh_from_db()
    v.projection = p
    v.square, v.lane = square, lane
    return v


@pytest.fixture
def operators(demo_org, street, demo_district):
    """`crowd`: the demo district's crowd operator; `far`: a crowd operator of another
    street; `watcher`: a dispatcher of the district (may watch, not act)."""
    from django.contrib.auth import get_user_model

    from org.models import Membership, Person, Unit
    from territory.models import Area

    User = get_user_model()
    other = Area.objects.filter(parent=demo_district).exclude(pk=street.pk).order_by("code")[0]
    unit = Unit.objects.filter(area=other).first()
    far = User.objects.create_user(username="far-crowd", password="x")
    Membership.objects.create(
        person=Person.objects.create(user=far, name="远方"),
        unit=unit,
        role="crowd_operator",
        scope=other,
    )
    watcher = User.objects.create_user(username="watcher", password="x")
    Membership.objects.create(
        person=Person.objects.create(user=watcher, name="看板"),
        unit=Unit.objects.filter(area=demo_district).first(),
        role="dispatcher",
        scope=demo_district,
    )
    return {
        "crowd": User.objects.get(username="crowd"),
        "far": far,
        "watcher": watcher,
        "admin": User.objects.get(username="admin"),
    }
