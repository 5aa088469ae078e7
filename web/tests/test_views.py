"""The territory map page and its area endpoint, in both languages and within scope."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from territory.choices import Level
from territory.models import Area

pytestmark = pytest.mark.django_db


def login(client, username):
    client.force_login(get_user_model().objects.get(username=username))


def test_the_district_lists_its_eleven_streets(client, demo_org, demo_district):
    login(client, "leader")
    data = client.get(reverse("web:area-children", args=[demo_district.code])).json()
    names = {f["properties"]["name"] for f in data["children"]["features"]}
    assert len(names) == 11
    assert "解放碑街道" in names and "朝天门街道" in names
    assert all(f["properties"]["level"] == "street" for f in data["children"]["features"])


def test_a_community_lists_its_grids_with_community_and_street(client, demo_org):
    login(client, "leader")
    community = Area.objects.filter(level=Level.COMMUNITY).order_by("code").first()
    data = client.get(reverse("web:area-children", args=[community.code])).json()
    props = data["children"]["features"][0]["properties"]
    assert props["level"] == "grid"
    assert props["community"] == community.name
    assert props["street"] == community.parent.name
    assert len(props["code"]) == 15 and props["code"].startswith(community.code)
    assert [a["code"] for a in data["lineage"]] == [
        community.code[:6],
        community.code[:9],
        community.code,
    ]


def test_a_user_of_another_territory_gets_404_for_an_area(client, demo_org):
    login(client, "community")  # scope: the first community only
    outside = Area.objects.filter(level=Level.STREET).order_by("-code").first()
    assert client.get(reverse("web:area-children", args=[outside.code])).status_code == 404
    district = outside.parent
    assert client.get(reverse("web:area-children", args=[district.code])).status_code == 404


def test_the_lineage_stops_at_the_top_of_the_users_scope(client, demo_org):
    login(client, "community")
    grid = Area.objects.filter(level=Level.GRID).order_by("code").first()
    data = client.get(reverse("web:area-children", args=[grid.code])).json()
    assert [a["level"] for a in data["lineage"]] == ["community", "grid"]


def test_the_map_page_starts_at_the_users_scope(client, demo_org, demo_district):
    login(client, "street")
    street = Area.objects.filter(parent=demo_district).order_by("code").first()
    response = client.get(reverse("web:map"))
    assert response.status_code == 200
    assert f'["{street.code}"]' in response.content.decode()


def test_the_default_language_is_chinese_and_english_is_one_switch_away(client, demo_org):
    login(client, "leader")
    page = client.get(reverse("web:map")).content.decode()
    assert "辖区地图" in page and 'lang="zh-hans"' in page
    response = client.post(reverse("set_language"), {"language": "en", "next": "/map/"})
    assert response.status_code == 302
    assert response["Location"] == "/en/map/"
    page = client.get(response["Location"]).content.decode()
    assert "Territory map" in page and 'lang="en"' in page
    assert "辖区地图" not in page
