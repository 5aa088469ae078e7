"""The access policy (org/policy.py) walked cell by cell, through the selectors, the
services and the pages: every role × case type, in the role's territory and as a member of
a unit working the case (issue 12, hole 3)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from openpyxl import load_workbook

from cases import selectors, services
from cases.catalogue import CASE_TYPES
from cases.errors import ActionForbidden
from cases.models import Case, PersonalDataAccess
from org import policy
from org.choices import Role
from org.models import Membership, Person, Unit
from territory.models import Area

CATEGORY = {
    "dispute": "dispute-neighbour",
    "petition": "petition-land",
    "hazard": "hazard-fire",
    "request": "request-other",
    "rental": "rental-noise",
    "crowd": "crowd-density",
}
TYPES = [code for code, _name, _deadline in CASE_TYPES]


def make_user(username: str, role: str, unit: Unit, scope: Area):
    user = get_user_model().objects.create_user(username=username, password="x")
    person = Person.objects.create(user=user, name=username)
    Membership.objects.create(person=person, unit=unit, role=role, scope=scope)
    return user


@pytest.fixture
def login_as(client, users):
    def as_user(username):
        client.force_login(users[username])
        return client

    return as_user


@pytest.fixture
def api_client_for(users):
    from django.test import Client

    from api.models import ApiToken

    def make(username: str) -> Client:
        _token, raw = ApiToken.issue(name=f"test-{username}", user=users[username])
        return Client(headers={"Authorization": f"Bearer {raw}", "Accept-Language": "en"})

    return make


@pytest.fixture
def one_of_each(make_case):
    """A case of every type in the first grid, each with a reporter."""
    return {
        t: make_case(
            case_type=t,
            category=CATEGORY[t],
            title=f"{t} 的一件事",
            parties=[{"name": "王小明", "phone": "13812341234"}],
        )
        for t in TYPES
    }


def test_every_case_type_of_the_catalogue_has_a_row_or_the_default():
    assert set(TYPES) <= set(policy.POLICY)
    assert policy.cell(Role.HANDLER, "a-type-added-later") == policy.POLICY["*"][Role.HANDLER]
    for _role, _type, rights in policy.matrix():
        assert set(rights) <= set("SAUsau")


def test_the_defaults_the_issue_names():
    # Petition parties only for petition officers, leaders and the units working the case.
    assert {r for r in Role.values if "U" in policy.cell(r, "petition")} == {
        Role.PETITION_OFFICER,
        Role.LEADER,
    }
    assert policy.allows(Role.HANDLER, "petition", "U", working=True)
    assert not policy.allows(Role.GRID_WORKER, "petition", "S")
    # Crowd operators see crowd cases, and only those; auditors no case at all.
    assert [t for t in TYPES if "S" in policy.cell(Role.CROWD_OPERATOR, t)] == ["crowd"]
    assert not any(policy.cell(Role.AUDITOR, t) for t in TYPES)


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.RESIDENT])
def test_each_role_in_its_territory_holds_exactly_its_cells(
    role, one_of_each, demo_district, client
):
    center = Unit.objects.get(code=f"{demo_district.code}-center")
    user = make_user(f"u-{role}", role, center, demo_district)
    visible = set(selectors.visible_cases(user).values_list("pk", flat=True))
    client.force_login(user)
    for case_type, case in one_of_each.items():
        rights = policy.cell(role, case_type)
        case = Case.objects.get(pk=case.pk)
        assert (case.pk in visible) == ("S" in rights), (role, case_type)
        assert selectors.visible_among(user, [case]) == ({case.pk} if "S" in rights else set())
        assert selectors.holds(user, case, policy.ACT) == ("A" in rights), (role, case_type)
        assert selectors.holds(user, case, policy.UNMASK) == ("U" in rights), (role, case_type)
        page = client.get(reverse("cases:detail", args=[case.number]))
        assert page.status_code == (200 if "S" in rights else 404), (role, case_type)
        party = case.parties.get()
        reveal = client.post(
            reverse("cases:reveal", args=[case.number, party.pk]),
            {f"reveal{party.pk}-reason": "回访"},
        )
        expected = 200 if "U" in rights else 403 if "S" in rights else 404
        assert reveal.status_code == expected, (role, case_type, reveal.status_code)
        assert ("13812341234" in reveal.content.decode()) == ("U" in rights)
    assert PersonalDataAccess.objects.filter(user=user).count() == sum(
        "U" in policy.cell(role, t) for t in TYPES
    )


@pytest.mark.parametrize("role", [Role.HANDLER, Role.GRID_WORKER])
def test_a_unit_working_a_case_holds_the_working_cells_wherever_it_lies(
    role, one_of_each, users, far_grid
):
    far_street = Area.objects.get(code=far_grid.code[:9])
    office = Unit.objects.get(code=f"{far_street.code}-office")
    user = make_user(f"far-{role}", role, office, far_street)
    assert (
        not selectors.visible_cases(user)
        .filter(pk__in=[c.pk for c in one_of_each.values()])
        .exists()
    )
    for case_type, case in one_of_each.items():
        actor = users["petition"] if case_type == "petition" else users["dispatcher"]
        if case_type == "crowd":
            actor = users["leader"]
        services.accept_case(case.pk, actor=actor)
        services.assign_case(case.pk, actor=actor, unit=office)
        case = Case.objects.get(pk=case.pk)
        for right in policy.RIGHTS:
            expected = policy.allows(role, case_type, right, working=True)
            assert selectors.holds(user, case, right) == expected, (case_type, right)
        assert selectors.visible_cases(user).filter(pk=case.pk).exists() == policy.allows(
            role, case_type, policy.SEE, working=True
        )


def test_the_crowd_operator_lists_and_exports_only_crowd_cases(login_as, one_of_each):
    client = login_as("crowd")
    response = client.get(reverse("cases:export"))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    numbers = {r[0] for r in rows[1:]}
    assert numbers == {one_of_each["crowd"].number}
    page = client.get(reverse("cases:list")).content.decode()
    assert one_of_each["petition"].number not in page
    assert one_of_each["dispute"].number not in page


def test_a_grid_worker_cannot_unmask_a_petitioner_but_the_petition_officer_can(users, one_of_each):
    party = one_of_each["petition"].parties.get()
    with pytest.raises(Exception) as caught:
        services.reveal_party(party.pk, actor=users["gridworker"], reason="看看")
    assert caught.type.__name__ == "CaseNotFound"  # not even visible
    # A dispute in their grid: seen, but unmasked only while their unit works it.
    case = one_of_each["dispute"]
    services.accept_case(case.pk, actor=users["dispatcher"])
    services.assign_case(case.pk, actor=users["dispatcher"], unit=f"{case.area_code[:9]}-office")
    dispute = case.parties.get()
    with pytest.raises(ActionForbidden):
        services.reveal_party(dispute.pk, actor=users["gridworker"], reason="回访")
    services.co_assign_case(
        case.pk, actor=users["dispatcher"], unit=f"{case.area_code[:12]}-committee"
    )
    assert services.reveal_party(dispute.pk, actor=users["gridworker"], reason="回访")
    shown = services.reveal_party(party.pk, actor=users["petition"], reason="办理信访")
    assert shown["phone"] == "13812341234"


def test_the_api_applies_the_same_policy(api_client_for, one_of_each, users):
    crowd = api_client_for("crowd")
    listed = crowd.get("/api/v1/cases").json()
    numbers = {c["number"] for c in listed["items"]}
    assert numbers == {one_of_each["crowd"].number}
    petition = one_of_each["petition"]
    assert crowd.get(f"/api/v1/cases/{petition.number}").status_code == 404
    grid = api_client_for("gridworker")
    case = one_of_each["hazard"]
    services.accept_case(case.pk, actor=users["dispatcher"])
    services.assign_case(case.pk, actor=users["dispatcher"], unit=f"{case.area_code[:9]}-office")
    party = case.parties.get()
    response = grid.post(
        f"/api/v1/parties/{party.pk}/reveal", {"reason": "回访"}, content_type="application/json"
    )
    assert response.status_code == 403 and "13812341234" not in response.content.decode()
