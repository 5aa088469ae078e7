"""The access module: a user sees only what lies inside their memberships' scopes."""

import pytest
from django.contrib.auth import get_user_model

from org import access
from org.choices import Role, UnitKind
from org.models import Membership, Person, Unit
from territory.choices import Level
from territory.models import Area
from territory.selectors import get_visible_area, top_areas, visible_areas

pytestmark = pytest.mark.django_db


def make_user(name, *grants):
    """grants: (role, unit, scope area)"""
    user = get_user_model().objects.create_user(username=name, password="x-long-password-1")
    person = Person.objects.create(user=user, name=name)
    for role, unit, scope in grants:
        Membership.objects.create(person=person, unit=unit, role=role, scope=scope)
    return user


@pytest.fixture
def places(demo_district):
    streets = list(Area.objects.filter(parent=demo_district).order_by("code")[:2])
    community = Area.objects.filter(parent=streets[0]).order_by("code").first()
    unit = Unit.objects.create(
        code="u-street", name="街道办", kind=UnitKind.STREET_OFFICE, area=streets[0]
    )
    return {
        "district": demo_district,
        "street": streets[0],
        "other_street": streets[1],
        "community": community,
        "unit": unit,
    }


def test_minimal_prefixes_drops_codes_inside_others():
    assert access.minimal_prefixes(["500103001", "500103001002", "500103002"]) == [
        "500103001",
        "500103002",
    ]


def test_a_street_handler_sees_their_street_and_nothing_of_the_next(places):
    user = make_user("h", (Role.HANDLER, places["unit"], places["street"]))
    codes = set(visible_areas(user).values_list("code", flat=True))
    assert places["street"].code in codes
    assert places["community"].code in codes
    assert places["other_street"].code not in codes
    assert places["district"].code not in codes
    assert all(c.startswith(places["street"].code) for c in codes)
    with pytest.raises(Area.DoesNotExist):
        get_visible_area(user, places["other_street"].code)
    assert [a.code for a in top_areas(user)] == [places["street"].code]


def test_scopes_add_up_across_memberships(places):
    other_unit = Unit.objects.create(
        code="u2", name="另一街道办", kind=UnitKind.STREET_OFFICE, area=places["other_street"]
    )
    user = make_user(
        "two",
        (Role.HANDLER, places["unit"], places["street"]),
        (Role.LEADER, other_unit, places["other_street"]),
    )
    assert access.scope_codes(user) == sorted([places["street"].code, places["other_street"].code])
    assert access.scope_codes(user, [Role.LEADER]) == [places["other_street"].code]
    assert access.has_role(user, Role.LEADER, places["other_street"].code + "001")
    assert not access.has_role(user, Role.LEADER, places["street"].code)


def test_an_inactive_membership_or_person_grants_nothing(places):
    user = make_user("gone", (Role.HANDLER, places["unit"], places["street"]))
    Membership.objects.update(is_active=False)
    assert visible_areas(get_user_model().objects.get(pk=user.pk)).count() == 0
    Membership.objects.update(is_active=True)
    Person.objects.update(is_active=False)
    assert visible_areas(get_user_model().objects.get(pk=user.pk)).count() == 0


def test_a_user_without_memberships_sees_nothing(places):
    user = make_user("nobody")
    assert visible_areas(user).count() == 0
    assert top_areas(user) == []


def test_a_superuser_sees_every_district(places):
    admin = get_user_model().objects.create_superuser("root", password="x-long-password-1")
    assert visible_areas(admin).filter(level=Level.GRID).count() == 879


def test_a_membership_scope_must_lie_on_the_units_branch(places):
    from django.core.exceptions import ValidationError

    person = Person.objects.create(name="p")
    m = Membership(
        person=person, unit=places["unit"], role=Role.HANDLER, scope=places["other_street"]
    )
    with pytest.raises(ValidationError) as caught:
        m.full_clean()
    assert "scope" in caught.value.message_dict
