"""Only the working unit and its supervisors move a case; verification and the resident's
rating come from someone other than the unit that resolved it (issue 12, hole 4)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from cases import selectors, services
from cases.choices import Rating, Status
from cases.errors import ActionForbidden
from cases.models import Case
from cases.permissions import available_actions

pytestmark = pytest.mark.django_db


def committee(case) -> str:
    return f"{case.area_code[:12]}-committee"


@pytest.fixture
def worked(make_case, users):
    """A neighbours' dispute in the first grid (a community-level case), assigned to the
    first community's committee (where the 'community' handler and the grid worker work)."""
    case = make_case(case_type="dispute", category="dispute-neighbour", title="楼上漏水纠纷")
    services.accept_case(case.pk, actor=users["dispatcher"])
    services.assign_case(case.pk, actor=users["dispatcher"], unit=committee(case))
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def resolved(worked, users):
    services.start_case(worked.pk, actor=users["community"])
    services.resolve_case(worked.pk, actor=users["community"], reason="已清理")
    return Case.objects.get(pk=worked.pk)


def test_a_handler_outside_the_working_unit_cannot_escalate(worked, users):
    outsider = users["handler"]  # the street office: same territory, not working the case
    assert "escalate" not in available_actions(outsider, worked)
    with pytest.raises(ActionForbidden):
        services.escalate_case(worked.pk, actor=outsider, reason="上报街道")
    worked.refresh_from_db()
    assert (
        worked.status == Status.ASSIGNED
        and worked.assignments.filter(ended_at__isnull=True, unit__code=committee(worked)).exists()
    )


def test_the_working_unit_and_the_dispatcher_can_escalate(worked, users, make_case):
    assert "escalate" in available_actions(users["community"], worked)
    services.escalate_case(worked.pk, actor=users["community"], reason="社区无法解决")
    other = make_case(case_type="dispute", category="dispute-neighbour", title="噪音纠纷")
    services.accept_case(other.pk, actor=users["dispatcher"])
    services.escalate_case(other.pk, actor=users["dispatcher"], reason="需要街道协调")
    assert Case.objects.get(pk=other.pk).escalation_level != ""


@pytest.mark.parametrize("username", ["community", "gridworker"])
def test_the_resolving_unit_cannot_verify_rate_or_record_a_failed_call(resolved, users, username):
    user = users[username]  # the resolver, and a colleague of the same unit
    offered = set(available_actions(user, resolved))
    assert not offered & {"verify", "verify_failed", "rate", "contact_failed"}
    for attempt in (
        lambda: services.verify_case(resolved.pk, actor=user),
        lambda: services.verify_case(resolved.pk, actor=user, passed=False, reason="没修好"),
        lambda: services.rate_case(resolved.pk, actor=user, rating=Rating.SATISFIED, method="call"),
        lambda: services.record_contact_failed(resolved.pk, actor=user, reason="无人接听"),
    ):
        with translation.override("en"), pytest.raises(ActionForbidden) as caught:
            attempt()
        assert "the unit that resolved this case" in caught.value.message
    resolved.refresh_from_db()
    assert resolved.verified_at is None and not resolved.rating


def test_someone_else_verifies_and_records_the_rating(resolved, users):
    assert {"verify", "rate"} <= set(available_actions(users["dispatcher"], resolved))
    services.verify_case(resolved.pk, actor=users["handler"])  # the street office checks
    services.rate_case(resolved.pk, actor=users["clerk"], rating=Rating.SATISFIED, method="call")
    resolved.refresh_from_db()
    assert resolved.verified_at is not None and resolved.rating == Rating.SATISFIED


def test_the_resolver_is_barred_even_from_another_unit(resolved, users, first_grid):
    """A person who resolved for one unit cannot verify for another they also belong to."""
    from org.models import Membership, Unit

    office = Unit.objects.get(code=f"{first_grid.code[:9]}-office")
    person = users["community"].person
    Membership.objects.create(person=person, unit=office, role="handler", scope=office.area)
    user = type(users["community"]).objects.get(pk=users["community"].pk)  # fresh caches
    with pytest.raises(ActionForbidden):
        services.verify_case(resolved.pk, actor=user)


def test_the_verify_inbox_leaves_out_the_own_units_resolutions(resolved, users):
    mine = selectors.inbox(users["gridworker"])["to_verify"]
    assert resolved.pk not in set(mine.values_list("pk", flat=True))
    theirs = selectors.inbox(users["handler"])["to_verify"]
    assert resolved.pk in set(theirs.values_list("pk", flat=True))


def test_the_page_refuses_a_verification_by_the_resolving_unit(resolved, users, client):
    client.force_login(users["community"])
    response = client.post(
        reverse("cases:act", args=[resolved.number, "verify"]), {"verify-version": resolved.version}
    )
    assert response.status_code == 403
    resolved.refresh_from_db()
    assert resolved.verified_at is None
