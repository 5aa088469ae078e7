"""Walk every action from every state: allowed ones pass the state rule, others are refused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases import services
from cases.choices import Status
from cases.errors import CaseError, TransitionNotAllowed
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


@pytest.mark.parametrize(("action", "status"), CASES, ids=[f"{a}-from-{s}" for a, s in CASES])
def test_every_action_from_every_state(action, status, make_case, users):
    case, other = make_case(), make_case()
    Case.objects.filter(pk=case.pk).update(status=status)
    call = services.ACTIONS[action]
    if status in TRANSITIONS[action].sources:
        try:
            result = call(case.pk, actor=users["admin"], **params(action, case, other))
        except CaseError as exc:  # a different rule (e.g. close needs a rating), never the state
            assert not (isinstance(exc, TransitionNotAllowed) and exc.field == "status"), exc
        else:
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
