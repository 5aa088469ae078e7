"""Territory over the API: areas inside the caller's scope (404 outside), and point → grid."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from api.models import ApiToken
from territory.choices import Level
from territory.models import Area

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def as_user(demo_org):
    def make(username: str) -> Client:
        user = get_user_model().objects.get(username=username)
        _token, raw = ApiToken.issue(name=f"test-{username}", user=user)
        return Client(headers={"Authorization": f"Bearer {raw}", "Accept-Language": "en"})

    return make


def first(level: str) -> Area:
    return Area.objects.filter(level=level).order_by("code").first()


def last(level: str) -> Area:
    return Area.objects.filter(level=level).order_by("-code").first()


def test_an_area_comes_with_its_lineage_and_children_count(as_user):
    community = first(Level.COMMUNITY)
    data = as_user("leader").get(f"{API}/areas/{community.code}").json()
    assert (data["code"], data["name"], data["level"]) == (
        community.code,
        community.name,
        "community",
    )
    assert data["parent"] == community.code[:9]
    assert [a["code"] for a in data["lineage"]] == [
        community.code[:6],
        community.code[:9],
        community.code,
    ]
    assert data["children_count"] == community.children.count() > 0
    assert data["geometry"] is None
    assert data["bbox"][0] <= data["centroid"][0] <= data["bbox"][2]


def test_the_lineage_starts_at_the_top_of_the_callers_scope(as_user):
    grid = first(Level.GRID)
    data = as_user("community").get(f"{API}/areas/{grid.code}").json()
    assert [a["code"] for a in data["lineage"]] == [grid.code[:12], grid.code]


def test_geometry_comes_only_when_asked_for(as_user):
    grid = first(Level.GRID)
    data = as_user("gridworker").get(f"{API}/areas/{grid.code}", {"geometry": "true"}).json()
    assert data["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_the_district_has_eleven_streets(as_user, demo_district):
    data = as_user("leader").get(f"{API}/areas/{demo_district.code}/children").json()
    assert data["area"]["code"] == demo_district.code
    assert len(data["items"]) == 11 and {a["level"] for a in data["items"]} == {"street"}
    assert all(a["geometry"] is None for a in data["items"])


def test_a_grid_has_no_children(as_user):
    grid = first(Level.GRID)
    assert as_user("gridworker").get(f"{API}/areas/{grid.code}/children").json()["items"] == []


@pytest.mark.parametrize("path", ["/areas/{code}", "/areas/{code}/children"])
@pytest.mark.parametrize(
    ("who", "target"),
    [
        ("community", lambda: last(Level.STREET)),
        ("community", lambda: first(Level.STREET)),  # its own street lies above its scope
        ("community", lambda: first(Level.STREET).parent),
        ("gridworker", lambda: Area.objects.filter(level=Level.GRID).order_by("code")[1]),
        ("handler", lambda: last(Level.GRID)),
        ("crowd", lambda: Area(code="999999")),  # no such area at all looks the same
    ],
)
def test_an_area_outside_the_callers_scope_answers_404(as_user, path, who, target):
    area = target()
    response = as_user(who).get(API + path.format(code=area.code))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    if area.pk:
        assert area.name not in response.content.decode()


def test_a_point_inside_a_grid_locates_to_it_with_its_parents(as_user):
    grid = last(Level.GRID)
    data = (
        as_user("gridworker")
        .get(f"{API}/locate", {"lon": grid.centroid_lon, "lat": grid.centroid_lat})
        .json()
    )
    assert data["grid"] == {"code": grid.code, "name": grid.name}
    assert data["community"]["code"] == grid.code[:12]
    assert data["street"]["code"] == grid.code[:9] and data["district"]["code"] == "500103"


def test_a_point_outside_every_grid_locates_to_null(as_user):
    response = as_user("gridworker").get(f"{API}/locate", {"lon": 116.4, "lat": 39.9})
    assert response.status_code == 200 and response.json() is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"lon": 190, "lat": 29.5}, "lon"),
        ({"lon": 106.5, "lat": 95}, "lat"),
        ({"lon": 106.5}, "lat"),
        ({"lon": "east", "lat": 29.5}, "lon"),
    ],
)
def test_bad_coordinates_answer_400_naming_the_field(as_user, query, field):
    response = as_user("gridworker").get(f"{API}/locate", query)
    assert response.status_code == 400 and field in response.json()["errors"]


def test_locate_needs_a_login(demo_org):
    assert Client().get(f"{API}/locate", {"lon": 106.5, "lat": 29.5}).status_code == 401


def test_answers_come_in_the_language_asked_for(as_user, demo_district):
    client = as_user("leader")
    english = client.get(f"{API}/areas/{demo_district.code}").json()
    chinese = client.get(
        f"{API}/areas/{demo_district.code}", headers={"Accept-Language": "zh-hans"}
    )
    assert english["level_label"] == "District"
    assert chinese.json()["level_label"] == "区"
    assert chinese["Content-Language"] == "zh-hans"
