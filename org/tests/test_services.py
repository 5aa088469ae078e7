"""The writes that grant access: each one leaves an audit row with before and after."""

import pytest

from org import reference, services
from org.choices import AccessAction, Role, UnitKind
from org.models import AccessChange, Membership, Person, Unit
from territory.models import Area

pytestmark = pytest.mark.django_db


@pytest.fixture
def street(demo_org):
    return Area.objects.filter(parent__code="500103").order_by("code").first()


def test_creating_and_deactivating_a_unit_is_audited(users, street):
    # given / when
    unit = services.create_unit(
        actor=users["admin"],
        unit=Unit(code="u-new", name="新单位", kind=UnitKind.OTHER, area=street),
    )
    services.deactivate_unit(actor=users["admin"], unit=unit)
    # then
    created, deactivated = AccessChange.objects.order_by("pk")
    assert created.action == AccessAction.UNIT_CREATED and created.before == {}
    assert created.after["code"] == "u-new" and created.area_code == street.code
    assert deactivated.action == AccessAction.UNIT_DEACTIVATED
    assert deactivated.before["is_active"] is True and deactivated.after["is_active"] is False
    assert deactivated.actor == users["admin"]


def test_granting_changing_and_revoking_a_membership_writes_one_row_each(users, street):
    person = Person.objects.create(name="张三")
    unit = Unit.objects.get(code=f"{street.code}-office")
    community = Area.objects.filter(parent=street).order_by("code").first()
    m = services.grant_membership(
        actor=users["admin"],
        membership=Membership(person=person, unit=unit, role=Role.HANDLER, scope=street),
    )
    services.change_membership(actor=users["admin"], membership=m, scope=community)
    services.revoke_membership(actor=users["admin"], membership=m)
    granted, changed, revoked = AccessChange.objects.order_by("pk")
    assert granted.action == AccessAction.MEMBERSHIP_GRANTED and granted.person == person
    assert granted.after["role"] == "handler" and granted.after["scope"] == street.code
    assert changed.before["scope"] == street.code and changed.after["scope"] == community.code
    assert changed.area_code == community.code and changed.previous_area_code == street.code
    assert revoked.action == AccessAction.MEMBERSHIP_REVOKED and not revoked.after["is_active"]
    m.refresh_from_db()
    assert not m.is_active


def test_a_membership_outside_the_units_branch_is_refused_and_writes_nothing(users, street):
    from django.core.exceptions import ValidationError

    other = Area.objects.filter(parent__code="500103").order_by("-code").first()
    unit = Unit.objects.get(code=f"{street.code}-office")
    with pytest.raises(ValidationError):
        services.grant_membership(
            actor=users["admin"],
            membership=Membership(
                person=Person.objects.create(name="李四"), unit=unit, role=Role.HANDLER, scope=other
            ),
        )
    assert not AccessChange.objects.exists()


def test_a_persons_active_flag_and_login_are_audited(users):
    person = Person.objects.get(user=users["handler"])
    services.update_person(actor=users["admin"], person=person, is_active=False)
    row = AccessChange.objects.get()
    assert row.action == AccessAction.PERSON_CHANGED and row.person == person
    assert row.before["is_active"] and not row.after["is_active"]
    assert row.before["login"] == "handler"
    assert row.area_code == Membership.objects.get(person=person).scope.code


def test_a_service_change_moves_the_reference_stamp(users, street):
    before = reference._read_stamp()
    person = Person.objects.create(name="王五")
    services.grant_membership(
        actor=users["admin"],
        membership=Membership(
            person=person,
            unit=Unit.objects.get(code=f"{street.code}-office"),
            role=Role.HANDLER,
            scope=street,
        ),
    )
    assert reference._read_stamp() != before
