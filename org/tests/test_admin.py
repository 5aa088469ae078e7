"""The Django admin is for configuration only (decision 005), and its changes are audited."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from org.choices import AccessAction, Role
from org.models import AccessChange, Membership, Person, Unit

pytestmark = pytest.mark.django_db

CASE_AND_PERSONAL_RECORDS = [
    "cases/case",
    "cases/caseevent",
    "cases/party",
    "cases/personaldataaccess",
    "cases/assignment",
    "cases/supervision",
    "cases/feedback",
    "cases/notification",
    "cases/attachment",
    "cases/trainingexample",
    "crowd/alert",
    "crowd/dispatch",
    "crowd/reading",
    "crowd/zonestate",
    "measures/casefact",
    "measures/rollup",
    "axes/accessattempt",
    "axes/accesslog",
    "axes/accessfailurelog",
    "org/accesschange",
]
CONFIGURATION = [
    "territory/area",
    "org/unit",
    "org/person",
    "org/membership",
    "cases/casetype",
    "cases/category",
    "cases/routingrule",
    "measures/indicator",
    "crowd/venue",
    "crowd/zone",
    "crowd/sensor",
    "crowd/responder",
    "api/apitoken",
    "auth/user",
    "auth/group",
]


@pytest.fixture
def viewer(demo_org):
    """A staff login holding every view permission there is."""
    user = get_user_model().objects.create_user(
        username="viewer", password="x-long-pass-1", is_staff=True
    )
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return user


@pytest.mark.parametrize("who", ["viewer", "admin"])
def test_case_and_personal_records_are_not_in_the_admin(client, users, viewer, make_case, who):
    make_case(parties=[{"name": "王小明", "phone": "13812341234"}])
    client.force_login(viewer if who == "viewer" else users["admin"])
    for model in CASE_AND_PERSONAL_RECORDS:
        assert client.get(f"/admin/{model}/").status_code == 404, model
        assert client.get(f"/admin/{model}/1/change/").status_code == 404, model
    for model in CONFIGURATION:
        assert client.get(f"/admin/{model}/").status_code == 200, model
    index = client.get("/admin/").content.decode()
    assert "/admin/cases/case/" not in index and "/admin/cases/casetype/" in index


def test_no_admin_page_shows_a_partys_name_or_phone(client, users, make_case):
    case = make_case(parties=[{"name": "王小明", "phone": "13812341234"}])
    client.force_login(users["admin"])
    pages = [f"/admin/{m}/" for m in CONFIGURATION]
    pages += [
        f"/admin/cases/category/{case.category_id}/change/",
        f"/admin/cases/casetype/{case.case_type_id}/change/",
        f"/admin/org/unit/{case.owner_unit_id}/change/",
        "/admin/org/unit/?_popup=1&_to_field=id",
        f"/admin/cases/case/{case.pk}/change/",
        f"/admin/cases/case/?q={case.number}",
    ]
    for url in pages:
        page = client.get(url).content.decode()
        assert "王小明" not in page and "138****1234" not in page, url
        assert "13812341234" not in page, url


def membership_form(m, **changes):
    data = {
        "person": m.person_id,
        "unit": m.unit_id,
        "role": m.role,
        "scope": m.scope_id,
        "is_active": "on" if m.is_active else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_changing_a_membership_in_the_admin_writes_an_audit_row(client, users):
    # given
    m = Membership.objects.get(person__user__username="handler")
    client.force_login(users["admin"])
    # when
    response = client.post(
        f"/admin/org/membership/{m.pk}/change/", membership_form(m, role=Role.LEADER)
    )
    # then
    assert response.status_code == 302
    row = AccessChange.objects.get()
    assert row.action == AccessAction.MEMBERSHIP_CHANGED and row.actor == users["admin"]
    assert row.before["role"] == "handler" and row.after["role"] == "leader"
    assert row.area_code == m.scope.code


def test_deleting_memberships_in_the_admin_bulk_action_is_audited(client, users):
    ids = list(
        Membership.objects.filter(person__user__username__in=["handler", "street"]).values_list(
            "pk", flat=True
        )
    )
    client.force_login(users["admin"])
    response = client.post(
        "/admin/org/membership/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    assert not Membership.objects.filter(pk__in=ids).exists()
    rows = AccessChange.objects.filter(action=AccessAction.MEMBERSHIP_REVOKED)
    assert sorted(r.before["login"] for r in rows) == ["handler", "street"]
    assert all(r.after == {} for r in rows)


def test_a_membership_added_inline_on_a_person_is_audited(client, users):
    person = Person.objects.get(user__username="gridworker")
    existing = person.memberships.get()
    unit = Unit.objects.get(code=f"{existing.scope.code[:9]}-office")
    client.force_login(users["admin"])
    prefix = "memberships"
    response = client.post(
        f"/admin/org/person/{person.pk}/change/",
        {
            "name": person.name,
            "user": person.user_id,
            "is_active": "on",
            f"{prefix}-TOTAL_FORMS": "2",
            f"{prefix}-INITIAL_FORMS": "1",
            f"{prefix}-0-id": existing.pk,
            f"{prefix}-0-person": person.pk,
            f"{prefix}-0-unit": existing.unit_id,
            f"{prefix}-0-role": existing.role,
            f"{prefix}-0-scope": existing.scope_id,
            f"{prefix}-0-is_active": "on",
            f"{prefix}-1-person": person.pk,
            f"{prefix}-1-unit": unit.pk,
            f"{prefix}-1-role": Role.HANDLER,
            f"{prefix}-1-scope": existing.scope_id,
            f"{prefix}-1-is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = AccessChange.objects.get()
    assert row.action == AccessAction.MEMBERSHIP_GRANTED and row.after["unit"] == unit.code
    assert person.memberships.count() == 2


def test_making_a_login_superuser_in_the_admin_is_audited(client, users):
    target = users["handler"]
    client.force_login(users["admin"])
    response = client.post(
        f"/admin/auth/user/{target.pk}/change/",
        {
            "username": target.username,
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    row = AccessChange.objects.get(action=AccessAction.USER_CHANGED)
    assert row.before["is_superuser"] is False and row.after["is_superuser"] is True
    assert row.before["is_staff"] is False and row.after["is_staff"] is True
    assert row.subject_label == "handler" and row.area_code == "500103"
