"""Which actions a user may take on a case right now: the workflow table read for one viewer.

The services decide (they check again, under a row lock); this module only decides which
forms a page shows. It mirrors `services._check_role` and the state guards the services
apply, so a page never offers an action the service would refuse for role or state.
"""

from __future__ import annotations

from cases.choices import EventKind, Rating, Status
from cases.models import Case
from cases.selectors import case_type_codes, user_unit_ids, working_unit_ids
from cases.workflow import TRANSITIONS, Transition
from org import access, policy
from org.choices import Role
from org.models import Membership
from territory.choices import Level

UNIT_ROLES = frozenset({Role.HANDLER, Role.GRID_WORKER})


def resolved_by(user, case: Case) -> bool:
    """Whether the user, or a unit of theirs, resolved this case: the lead unit, or the
    unit and the person of its last resolution."""
    # Asked once per action offered on a page: the last resolution is read once per case
    # object (a page's case does not change while it is drawn).
    if "_pingan_last_resolve" not in case.__dict__:
        case.__dict__["_pingan_last_resolve"] = (
            case.events.filter(kind=EventKind.RESOLVE)
            .order_by("-seq")
            .values_list("actor_id", "actor_unit_id")
            .first()
        )
    last = case.__dict__["_pingan_last_resolve"]
    units = {case.owner_unit_id}
    if last:
        if last[0] == user.pk:
            return True
        units.add(last[1])
    return bool(units.intersection(user_unit_ids(user)))


def _unit_roles(user, units: set[int]) -> set[str]:
    """Roles the user holds in a unit working the case (cached on the user per request)."""
    cache = user.__dict__.setdefault("_pingan_unit_roles", {})
    key = frozenset(units)
    if key not in cache:
        cache[key] = set(
            Membership.objects.filter(
                person__user=user, person__is_active=True, is_active=True, unit_id__in=list(units)
            ).values_list("role", flat=True)
        )
    return cache[key]


def may_take_role(user, case: Case, t: Transition, units: set[int] | None = None) -> bool:
    """Whether the user's roles allow `t` on this case (the services' role rule)."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True  # every right, the system users of imports and the demo included
    if t.not_resolver and case.status == Status.RESOLVED and resolved_by(user, case):
        return False
    kind = case_type_codes(user).get(case.case_type_id, "")
    held = {
        r
        for r in t.roles
        if access.can_see_code(user, case.area_code, [r]) and policy.allows(r, kind, policy.ACT)
    }
    if not t.own_unit and held:
        return True
    units = working_unit_ids(case) if units is None else units
    held_for_unit = any(
        policy.allows(r, kind, policy.ACT, working=True)
        for r in _unit_roles(user, units) & set(t.roles)
    )
    if t.own_unit and not held_for_unit and not (held - UNIT_ROLES):
        return False
    return bool(held or held_for_unit)


def state_allows(case: Case, action: str) -> bool:
    """The services' guards beyond the source states (already verified, paused, ...)."""
    t = TRANSITIONS[action]
    if case.status not in t.sources:
        return False
    if action == "verify":
        return case.verified_at is None
    if action == "rate":
        return not case.rating
    if action == "close":
        return ready_to_close(case)
    if action == "pause":
        return case.paused_at is None
    if action == "resume":
        return case.paused_at is not None
    if action == "resolve":
        return case.paused_at is None
    if action in ("extend", "request_extension"):
        return case.due_at is not None
    if action == "escalate":
        return case.escalation_level != Level.DISTRICT
    return True


def ready_to_close(case: Case) -> bool:
    if case.verified_at is None or case.rating == Rating.UNSATISFIED:
        return False
    if case.rating:
        return True
    return (
        case.resolved_at is not None
        and case.feedback.filter(contact_failed=True, at__gte=case.resolved_at).exists()
    )


def available_actions(user, case: Case) -> list[str]:
    """The actions (in workflow order) this user may take on this case now."""
    units = working_unit_ids(case)
    return [
        name
        for name, t in TRANSITIONS.items()
        if state_allows(case, name) and may_take_role(user, case, t, units)
    ]
