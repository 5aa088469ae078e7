"""Fixtures for the case engine: the demo district, its units and logins, a case factory."""

import pytest
from django.contrib.auth import get_user_model

from cases import services
from territory.choices import Level
from territory.models import Area


@pytest.fixture
def users(demo_org):
    User = get_user_model()
    return {u.username: u for u in User.objects.filter(username__in=list(demo_org))}


@pytest.fixture
def first_grid(demo_org):
    """The gridworker's grid (the first grid of the first community of the first street)."""
    return Area.objects.filter(level=Level.GRID).order_by("code").first()


@pytest.fixture
def far_grid(demo_org):
    return Area.objects.filter(level=Level.GRID).order_by("-code").first()


@pytest.fixture
def make_case(first_grid, users):
    def make(grid=None, **kw):
        grid = grid or first_grid
        params = {"title": "楼道里堆满杂物，消防通道被堵", "text": "三单元楼道堆放纸箱和旧家具",
                  "channel": "grid_worker", "case_type": "hazard", "category": "hazard-fire",
                  "lon": grid.centroid_lon, "lat": grid.centroid_lat}
        params.update(kw)
        return services.intake_case(**params).case
    return make
