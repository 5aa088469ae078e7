"""Walk every action from every state: allowed ones pass the state rule, others are refused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases import services
from cases.choices import Status
from cases.errors import TransitionNotAllowed
from cases.models import Case
from cases.workflow import TRANSITIONS, allowed_actions

pytestmark = pytest.mark.django_db


def params(action, case, other):
    p = {"reason": "测试理由"}
    if action in ("assign", "co_assign", "transfer"):
        p["unit"] = "500103-justice"
    if action == "merge":
        p["into"] = other.number
    if action in ("extend", "request_extension"):
        p["amount"] = 1
    if action == "supervise":
        p["due_at"] = timezone.now() + timedelta(days=3)
    if action == "rate":
        p = {"rating": "satisfied"}
    if action == "classify":
        p["category"] = "hazard-gas"
    return p


CASES = [(a, s) for a in TRANSITIONS for s in Status.values]

# Allowed from the state, refused by another rule of the action on a case fresh from
# intake, and by which field: the one place an allowed pair may fail.
OTHER_RULE = {
    ("escalate", Status.ACCEPTED): "escalation_level",  # already at the district center
    ("escalate", Status.ASSIGNED): "escalation_level",
    ("escalate", Status.IN_PROGRESS): "escalation_level",
    ("resume", Status.IN_PROGRESS): "paused_at",  # never paused
    ("close", Status.RESOLVED): "verified_at",  # not verified yet
}


@pytest.mark.parametrize(("action", "status"), CASES, ids=[f"{a}-from-{s}" for a, s in CASES])
def test_every_action_from_every_state(action, status, make_case, users):
    case, other = make_case(), make_case()
    Case.objects.filter(pk=case.pk).update(status=status)
    call = services.ACTIONS[action]
    if (action, status) in OTHER_RULE:
        assert status in TRANSITIONS[action].sources
        events = case.events.count()
        with pytest.raises(TransitionNotAllowed) as caught:
            call(case.pk, actor=users["admin"], **params(action, case, other))
        assert caught.value.field == OTHER_RULE[action, status]
        assert case.events.count() == events  # nothing written
    elif status in TRANSITIONS[action].sources:
        result = call(case.pk, actor=users["admin"], **params(action, case, other))
        expected = TRANSITIONS[action].to or status
        assert result.status == expected
        assert result.events.count() >= 2
    else:
        events = case.events.count()
        with pytest.raises(TransitionNotAllowed) as caught:
            call(case.pk, actor=users["admin"], **params(action, case, other))
        assert caught.value.field == "status"
        assert case.events.count() == events  # nothing written


def test_final_states_allow_only_reopen_from_closed():
    assert allowed_actions(Status.CLOSED) == ["reopen"]
    assert allowed_actions(Status.REJECTED) == []
    assert allowed_actions(Status.MERGED) == []
