"""The case lifecycle as data: which action moves a case from which states, and who may act.

`services.py` looks every action up here; a parametrised test walks every allowed and
every forbidden (action, state) pair. `to` is None where the action keeps the state.
"""

from __future__ import annotations

from dataclasses import dataclass

from cases.choices import Status as S
from org.choices import Role as R

OPEN = frozenset({S.RECEIVED, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED})
WORKING = frozenset({S.ASSIGNED, S.IN_PROGRESS})

DISPATCH = frozenset({R.DISPATCHER, R.LEADER, R.PETITION_OFFICER, R.ADMINISTRATOR})
INTAKE = DISPATCH | {R.INTAKE_CLERK}
HANDLE = frozenset({R.HANDLER, R.GRID_WORKER})
VERIFY = frozenset({R.GRID_WORKER, R.HANDLER, R.DISPATCHER, R.LEADER})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    to: str | None
    roles: frozenset[str]
    # Handlers act only for a unit working the case (the lead or a co-handling unit).
    own_unit: bool = False
    needs_reason: bool = False
    # Never by the unit that resolved the case, nor the person: verification and the
    # resident's rating feed the figures that unit is judged by (issue 12, hole 4).
    not_resolver: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        Transition("accept", frozenset({S.RECEIVED}), S.ACCEPTED, INTAKE),
        Transition("reject", frozenset({S.RECEIVED}), S.REJECTED, DISPATCH, needs_reason=True),
        Transition("classify", frozenset({S.RECEIVED, S.ACCEPTED}), None, INTAKE),
        Transition("assign", frozenset({S.ACCEPTED}), S.ASSIGNED, DISPATCH),
        Transition("co_assign", WORKING, None, DISPATCH),
        Transition("start", frozenset({S.ASSIGNED}), S.IN_PROGRESS, HANDLE, own_unit=True),
        Transition(
            "resolve",
            frozenset({S.IN_PROGRESS}),
            S.RESOLVED,
            HANDLE,
            own_unit=True,
            needs_reason=True,
        ),
        Transition("return", WORKING, S.ACCEPTED, HANDLE, own_unit=True, needs_reason=True),
        Transition("transfer", WORKING, S.ASSIGNED, DISPATCH, needs_reason=True),
        Transition(
            "escalate",
            frozenset({S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS}),
            S.ACCEPTED,
            DISPATCH | HANDLE,
            own_unit=True,
            needs_reason=True,
        ),
        Transition("supervise", OPEN, None, frozenset({R.LEADER}), needs_reason=True),
        Transition("request_extension", WORKING, None, HANDLE, own_unit=True, needs_reason=True),
        Transition(
            "extend", WORKING, None, frozenset({R.LEADER, R.PETITION_OFFICER}), needs_reason=True
        ),
        Transition(
            "pause", frozenset({S.IN_PROGRESS}), None, HANDLE, own_unit=True, needs_reason=True
        ),
        Transition("resume", frozenset({S.IN_PROGRESS}), None, HANDLE, own_unit=True),
        Transition("merge", OPEN - {S.RESOLVED}, S.MERGED, DISPATCH, needs_reason=True),
        Transition("verify", frozenset({S.RESOLVED}), None, VERIFY, not_resolver=True),
        Transition(
            "verify_failed",
            frozenset({S.RESOLVED}),
            S.IN_PROGRESS,
            VERIFY,
            needs_reason=True,
            not_resolver=True,
        ),
        Transition(
            "rate", frozenset({S.RESOLVED}), None, INTAKE | HANDLE | {R.RESIDENT}, not_resolver=True
        ),
        Transition(
            "contact_failed", frozenset({S.RESOLVED}), None, INTAKE | HANDLE, not_resolver=True
        ),
        Transition(
            "reopen", frozenset({S.RESOLVED, S.CLOSED}), S.IN_PROGRESS, DISPATCH, needs_reason=True
        ),
        Transition("close", frozenset({S.RESOLVED}), S.CLOSED, INTAKE),
        Transition("comment", OPEN, None, INTAKE | HANDLE | VERIFY),
    ]
}


def allowed_actions(status: str) -> list[str]:
    return [name for name, t in TRANSITIONS.items() if status in t.sources]
