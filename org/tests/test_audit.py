"""The audit page: unmasks and access changes, filtered, scoped to the reader's territory."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from cases import services as case_services
from org import services
from org.choices import AccessAction
from org.models import AccessChange, Membership
from territory.models import Area

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(users, make_case, first_grid, far_grid):
    """An unmask and a membership change in the first street, the same in the last one."""
    near = make_case(parties=[{"name": "王小明", "phone": "13812341234"}])
    far = make_case(grid=far_grid, parties=[{"name": "赵六", "phone": "13912345678"}])
    case_services.reveal_party(near.parties.get().pk, actor=users["leader"], reason="回访核实近处")
    case_services.reveal_party(far.parties.get().pk, actor=users["leader"], reason="回访核实远处")
    handler = Membership.objects.get(person__user__username="handler")
    services.change_membership(actor=users["admin"], membership=handler, is_active=False)
    far_street = Area.objects.get(code=far_grid.code[:9])
    far_unit = handler.unit.__class__.objects.get(code=f"{far_street.code}-office")
    services.grant_membership(
        actor=users["admin"],
        membership=Membership(
            person=handler.person, unit=far_unit, role="handler", scope=far_street
        ),
    )
    return {
        "near": near,
        "far": far,
        "near_street": first_grid.code[:9],
        "far_street": far_street.code,
    }


def get(client, user, **params):
    client.force_login(user)
    return client.get(reverse("org:audit"), params)


def test_a_district_leader_reads_every_unmask_and_access_change(client, users, trail):
    page = get(client, users["leader"])
    assert page.status_code == 200
    text = page.content.decode()
    assert "回访核实近处" in text and "回访核实远处" in text
    assert trail["near"].number in text and trail["far"].number in text
    assert page.context["page"].paginator.count == 4
    kinds = [e.kind for e in page.context["entries"]]
    assert sorted(kinds) == ["change", "change", "unmask", "unmask"]
    revoked = next(
        e for e in page.context["entries"] if e.action == str(AccessAction.MEMBERSHIP_REVOKED.label)
    )
    assert ("is_active", True, False) in revoked.changes
    assert "13812341234" not in text and "王小明" not in text


def test_a_street_leader_sees_only_their_streets_rows(client, users, trail):
    page = get(client, users["street"])
    assert page.status_code == 200
    text = page.content.decode()
    assert "回访核实近处" in text and trail["near"].number in text
    assert "回访核实远处" not in text and trail["far"].number not in text
    assert {e.area_code[:9] for e in page.context["entries"]} == {trail["near_street"]}
    assert get(client, users["street"], area=trail["far_street"]).status_code == 404


@pytest.mark.parametrize("username", ["handler", "gridworker", "dispatcher", "crowd"])
def test_other_roles_may_not_read_the_audit(client, users, trail, username):
    assert get(client, users[username]).status_code == 403
    client.force_login(users[username])
    assert client.get(reverse("org:audit-export")).status_code == 403


def test_the_audit_filters_by_person_area_period_and_kind(client, users, trail):
    leader = users["leader"]
    by_admin = get(client, leader, person="admin").context["entries"]
    assert {e.kind for e in by_admin} == {"change"} and len(by_admin) == 2
    far = get(client, leader, area=trail["far_street"]).context["entries"]
    assert {e.area_code[:9] for e in far} == {trail["far_street"]} and len(far) == 2
    unmasks = get(client, leader, kind="unmask").context["entries"]
    assert [e.kind for e in unmasks] == ["unmask", "unmask"]
    assert (
        get(client, leader, since="2001-01-01", until="2001-12-31").context["page"].paginator.count
        == 0
    )
    bad = get(client, leader, since="yesterday")
    assert bad.status_code == 400 and "since" in bad.context["form"].errors
    bad = get(client, leader, area="12ab")
    assert bad.status_code == 400 and "area" in bad.context["form"].errors


def test_the_audit_is_paginated(client, users, trail):
    handler = Membership.objects.filter(person__user__username="handler").order_by("pk").first()
    for i in range(60):
        services.change_membership(actor=users["admin"], membership=handler, is_active=i % 2 == 0)
    first = get(client, users["leader"])
    assert len(first.context["entries"]) == 50 and first.context["page"].paginator.count == 64
    assert len(get(client, users["leader"], page=2).context["entries"]) == 14


def test_the_export_opens_and_holds_the_readers_rows(client, users, trail):
    client.force_login(users["street"])
    response = client.get(reverse("org:audit-export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 2
    text = repr(rows)
    assert "回访核实近处" in text and "回访核实远处" not in text
    assert all(isinstance(v, str) for row in rows[1:] for v in row if v is not None)


def test_the_nav_links_to_the_audit_for_its_readers_only(client, users):
    client.force_login(users["leader"])
    assert reverse("org:audit") in client.get(reverse("cases:list")).content.decode()
    assert "审计记录" in client.get(reverse("org:audit")).content.decode()
    assert "Audit trail" in client.get("/en" + reverse("org:audit")).content.decode()
    client.force_login(users["handler"])
    assert reverse("org:audit") not in client.get(reverse("cases:list")).content.decode()


def test_an_auditor_reads_the_trail_of_their_scope(client, users, trail):
    from org.choices import Role

    street_leader = Membership.objects.get(person__user__username="street")
    Membership.objects.filter(pk=street_leader.pk).update(role=Role.AUDITOR)
    page = get(client, users["street"])
    assert page.status_code == 200 and "回访核实近处" in page.content.decode()
    assert AccessChange.objects.count() == 2
