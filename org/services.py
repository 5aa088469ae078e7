"""The writes that grant or take access: units, memberships, people and logins' rights.

Each is atomic, locks the row it changes and writes one `AccessChange` row with who, when,
the state before and after, and the area concerned (DESIGN §4: every change audited). The
admin calls these too (org/admin.py), so a membership changed there is audited like any
other. Saves go through `Model.save()`, so org/reference.py's stamp moves with each change.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from org import access
from org.choices import AccessAction
from org.models import AccessChange, Membership, Person, Unit

UNIT_FIELDS = ("code", "name", "kind", "area", "parent", "phone", "is_active")
MEMBERSHIP_FIELDS = ("person", "unit", "role", "scope", "is_active")
PERSON_FIELDS = ("name", "user", "work_phone", "is_active")


# -- snapshots: what the audit row keeps (codes and names, never phone numbers) ----------------
def unit_state(unit: Unit) -> dict:
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "area": unit.area.code,
        "parent": unit.parent.code if unit.parent_id else None,
        "is_active": unit.is_active,
    }


def membership_state(m: Membership) -> dict:
    return {
        "person": m.person.name,
        "login": m.person.user.username if m.person.user_id else None,
        "unit": m.unit.code,
        "unit_name": m.unit.name,
        "role": m.role,
        "scope": m.scope.code,
        "is_active": m.is_active,
    }


def person_state(p: Person) -> dict:
    return {
        "name": p.name,
        "login": p.user.username if p.user_id else None,
        "is_active": p.is_active,
    }


def user_state(user) -> dict:
    return {
        "username": user.get_username(),
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "permissions": sorted(user.user_permissions.values_list("codename", flat=True)),
    }


def _record(
    *,
    actor,
    action: str,
    subject: str,
    area_code: str,
    before: dict,
    after: dict,
    person: Person | None = None,
    unit: Unit | None = None,
    previous_area_code: str = "",
) -> AccessChange:
    label = access.actor_profile(actor)[1] if actor is not None else ""
    return AccessChange.objects.create(
        actor=actor,
        actor_label=label[:100],
        action=action,
        subject_label=subject[:200],
        person=person,
        unit=unit,
        area_code=area_code,
        previous_area_code="" if previous_area_code == area_code else previous_area_code,
        before=before,
        after=after,
    )


def _apply(obj, changes: dict, allowed: tuple[str, ...]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise TypeError(f"not changeable here: {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.full_clean()
    obj.save()


# -- units ---------------------------------------------------------------------------------------
def create_unit(*, actor, unit: Unit) -> Unit:
    """Save a new (unsaved) unit."""
    with transaction.atomic():
        unit.full_clean()
        unit.save()
        _record(
            actor=actor,
            action=AccessAction.UNIT_CREATED,
            subject=unit.name,
            area_code=unit.area.code,
            before={},
            after=unit_state(unit),
            unit=unit,
        )
    return unit


def update_unit(*, actor, unit: Unit, **changes) -> Unit:
    with transaction.atomic():
        locked = (
            Unit.objects.select_for_update(of=("self",))
            .select_related("area", "parent")
            .get(pk=unit.pk)
        )
        before = unit_state(locked)
        _apply(locked, changes, UNIT_FIELDS)
        after = unit_state(locked)
        action = (
            AccessAction.UNIT_DEACTIVATED
            if before["is_active"] and not after["is_active"]
            else AccessAction.UNIT_CHANGED
        )
        if before != after:
            _record(
                actor=actor,
                action=action,
                subject=locked.name,
                area_code=after["area"],
                previous_area_code=before["area"],
                before=before,
                after=after,
                unit=locked,
            )
    return locked


def deactivate_unit(*, actor, unit: Unit) -> Unit:
    return update_unit(actor=actor, unit=unit, is_active=False)


def delete_unit(*, actor, unit: Unit) -> None:
    """Delete a unit and (by cascade) its memberships: one row for each of them too."""
    with transaction.atomic():
        locked = Unit.objects.select_for_update(of=("self",)).select_related("area").get(pk=unit.pk)
        for m in list(locked.memberships.select_related("person__user", "unit", "scope")):
            _revoked(actor, m, deleted=True)
        _record(
            actor=actor,
            action=AccessAction.UNIT_DELETED,
            subject=locked.name,
            area_code=locked.area.code,
            before=unit_state(locked),
            after={},
        )
        locked.delete()


# -- memberships -----------------------------------------------------------------------------
def _membership_subject(m: Membership) -> str:
    return f"{m.person.name} · {m.get_role_display()} · {m.unit.name} · {m.scope.code}"


def grant_membership(*, actor, membership: Membership) -> Membership:
    """Save a new (unsaved) membership: a person gets a role in a unit over a scope."""
    with transaction.atomic():
        Person.objects.select_for_update(of=("self",)).filter(pk=membership.person_id).first()
        membership.full_clean()
        membership.save()
        _record(
            actor=actor,
            action=AccessAction.MEMBERSHIP_GRANTED,
            subject=_membership_subject(membership),
            area_code=membership.scope.code,
            before={},
            after=membership_state(membership),
            person=membership.person,
            unit=membership.unit,
        )
    return membership


def change_membership(*, actor, membership: Membership, **changes) -> Membership:
    """Change a membership's role, unit, scope, person or active flag (activating one is a
    grant, deactivating it a revocation)."""
    with transaction.atomic():
        locked = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("person__user", "unit", "scope")
            .get(pk=membership.pk)
        )
        before = membership_state(locked)
        _apply(locked, changes, MEMBERSHIP_FIELDS)
        after = membership_state(locked)
        if before == after:
            return locked
        action = AccessAction.MEMBERSHIP_CHANGED
        if before["is_active"] != after["is_active"]:
            action = (
                AccessAction.MEMBERSHIP_GRANTED
                if after["is_active"]
                else AccessAction.MEMBERSHIP_REVOKED
            )
        _record(
            actor=actor,
            action=action,
            subject=_membership_subject(locked),
            area_code=after["scope"],
            previous_area_code=before["scope"],
            before=before,
            after=after,
            person=locked.person,
            unit=locked.unit,
        )
    return locked


def _revoked(actor, m: Membership, *, deleted: bool) -> None:
    _record(
        actor=actor,
        action=AccessAction.MEMBERSHIP_REVOKED,
        subject=_membership_subject(m),
        area_code=m.scope.code,
        before=membership_state(m),
        after={} if deleted else {**membership_state(m), "is_active": False},
        person=m.person,
        unit=m.unit,
    )


def revoke_membership(*, actor, membership: Membership, delete: bool = False) -> None:
    """End a membership: deactivate it (kept as history), or delete the row."""
    if not delete:
        change_membership(actor=actor, membership=membership, is_active=False)
        return
    with transaction.atomic():
        locked = (
            Membership.objects.select_for_update(of=("self",))
            .select_related("person__user", "unit", "scope")
            .get(pk=membership.pk)
        )
        _revoked(actor, locked, deleted=True)
        locked.delete()


# -- people ----------------------------------------------------------------------------------
def _person_area(person: Person) -> str:
    """A person has no area of their own: the scope of their memberships (the district's
    when they hold none), so the auditors of that territory see the change."""
    codes = access.minimal_prefixes(person.memberships.values_list("scope__code", flat=True))
    return codes[0] if len(codes) == 1 else settings.PINGAN_DISTRICT_CODE


def create_person(*, actor, person: Person) -> Person:
    with transaction.atomic():
        person.full_clean()
        person.save()
        _record(
            actor=actor,
            action=AccessAction.PERSON_CREATED,
            subject=person.name,
            area_code=settings.PINGAN_DISTRICT_CODE,
            before={},
            after=person_state(person),
            person=person,
        )
    return person


def update_person(*, actor, person: Person, **changes) -> Person:
    """Change a person's name, login link or active flag (an inactive person's memberships
    grant nothing: org/access.py)."""
    with transaction.atomic():
        locked = (
            Person.objects.select_for_update(of=("self",)).select_related("user").get(pk=person.pk)
        )
        before = person_state(locked)
        _apply(locked, changes, PERSON_FIELDS)
        after = person_state(locked)
        if before != after:
            _record(
                actor=actor,
                action=AccessAction.PERSON_CHANGED,
                subject=locked.name,
                area_code=_person_area(locked),
                before=before,
                after=after,
                person=locked,
            )
    return locked


def delete_person(*, actor, person: Person) -> None:
    with transaction.atomic():
        locked = (
            Person.objects.select_for_update(of=("self",)).select_related("user").get(pk=person.pk)
        )
        for m in list(locked.memberships.select_related("person__user", "unit", "scope")):
            _revoked(actor, m, deleted=True)
        _record(
            actor=actor,
            action=AccessAction.PERSON_DELETED,
            subject=locked.name,
            area_code=_person_area(locked),
            before=person_state(locked),
            after={},
        )
        locked.delete()


# -- logins' rights (the admin's user pages) ----------------------------------------------------
def lock_user_state(user_pk: int | None) -> dict:
    """The stored rights of a login, its row locked until the transaction ends ({} if new)."""
    if user_pk is None:
        return {}
    User = get_user_model()
    stored = User.objects.select_for_update(of=("self",)).filter(pk=user_pk).first()
    return user_state(stored) if stored is not None else {}


def record_user_change(*, actor, user, before: dict, deleted: bool = False) -> None:
    """Audit a login's superuser/staff/active flags, groups and permissions as saved by the
    admin's own user form (which also hashes passwords): one row when they changed."""
    after = {} if deleted else user_state(user)
    if before == after:
        return
    action = (
        AccessAction.USER_DELETED
        if deleted
        else AccessAction.USER_CHANGED
        if before
        else AccessAction.USER_CREATED
    )
    person = Person.objects.filter(user=user).first() if not deleted else None
    # A superuser or staff flag is a power over the whole district.
    _record(
        actor=actor,
        action=action,
        subject=(before or after)["username"],
        area_code=settings.PINGAN_DISTRICT_CODE,
        before=before,
        after=after,
        person=person,
    )


def delete_user(*, actor, user) -> None:
    with transaction.atomic():
        before = lock_user_state(user.pk)
        record_user_change(actor=actor, user=user, before=before, deleted=True)
        user.delete()
