"""Shared pytest fixtures. With CI=true a missing browser or database is a failure, not a skip."""

from __future__ import annotations

import os
import shutil
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
SHARED_DATA = ROOT.parent / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip where a component is missing; in CI the same absence fails the run."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def shared_data(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        skip_or_fail(f"shared data {path} is absent")
    return path


@lru_cache(maxsize=1)
def _demo_features() -> list[dict]:
    from territory.demo import demo_features

    return demo_features()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the demo district and its units and logins once for the whole session (tests
    roll back around it; transactional tests reload it through the fixtures below)."""
    from org.demo import ensure_demo_org
    from territory.models import Area
    from territory.services import import_areas

    with django_db_blocker.unblock():
        import_areas(_demo_features())
        ensure_demo_org(Area.objects.get(code="500103"))


@pytest.fixture
def demo_district(db):
    """The demo district, reloaded if a transactional test flushed it."""
    from territory.demo import DEMO_DIVISION, demo_district_loaded
    from territory.locator import invalidate_locator
    from territory.models import Area
    from territory.services import import_areas

    if not demo_district_loaded():
        import_areas(_demo_features())
    invalidate_locator()
    return Area.objects.get(code=DEMO_DIVISION)


@pytest.fixture
def demo_org(demo_district):
    from org.demo import ensure_demo_org

    return {login.username: login for login in ensure_demo_org(demo_district)}


@pytest.fixture(autouse=True)
def _fresh_reference_data():
    """Reference data cached in memory (org/reference.py) is read afresh in every test: a
    test's rows are rolled back after it, and must not be served to the next."""
    from org import reference

    reference.clear()
    yield
    reference.clear()


@pytest.fixture(autouse=True)
def _empty_cache():
    """The cache (the public pages' throttle counts) starts empty in every test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language: a request under /en/ in one test must not
    leave English active for the next."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("PINGAN_CHROMIUM") or shutil.which("chromium")
    if not path:
        skip_or_fail("Debian's chromium is not installed (apt-get install -y chromium)")
    return path


# -- the case engine's fixtures, shared by every app's tests ---------------------------------
@pytest.fixture
def users(demo_org):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    return {u.username: u for u in User.objects.filter(username__in=list(demo_org))}


@pytest.fixture
def first_grid(demo_org):
    """The gridworker's grid (the first grid of the first community of the first street)."""
    from territory.choices import Level
    from territory.models import Area

    return Area.objects.filter(level=Level.GRID).order_by("code").first()


@pytest.fixture
def far_grid(demo_org):
    from territory.choices import Level
    from territory.models import Area

    return Area.objects.filter(level=Level.GRID).order_by("-code").first()


@pytest.fixture
def make_case(first_grid, users):
    from cases import services

    def make(grid=None, **kw):
        grid = grid or first_grid
        params = {
            "title": "楼道里堆满杂物，消防通道被堵",
            "text": "三单元楼道堆放纸箱和旧家具",
            "channel": "grid_worker",
            "case_type": "hazard",
            "category": "hazard-fire",
            "lon": grid.centroid_lon,
            "lat": grid.centroid_lat,
        }
        params.update(kw)
        return services.intake_case(**params).case

    return make
