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


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("PINGAN_CHROMIUM") or shutil.which("chromium")
    if not path:
        skip_or_fail("Debian's chromium is not installed (apt-get install -y chromium)")
    return path
