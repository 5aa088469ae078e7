"""Reads of the audit trail for leaders, auditors and superusers, scoped by org/access.py.

Two kinds of row, one list: every unmask of a party's personal data (cases'
PersonalDataAccess, read through the app registry because cases depends on org, not the
other way round) and every change of units, memberships, people and logins' rights
(AccessChange). A reader sees the rows of the areas inside their leader/auditor scopes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.apps import apps
from django.db.models import CharField, Q, QuerySet, Value
from django.utils.translation import gettext as _

from org import access
from org.choices import AccessAction, Role
from org.models import AccessChange

AUDIT_ROLES = (Role.LEADER, Role.AUDITOR)
UNMASK, CHANGE = "unmask", "change"


def audit_scope(user) -> list[str]:
    return access.scope_codes(user, AUDIT_ROLES)


def can_read_audit(user) -> bool:
    return bool(audit_scope(user))


@dataclass(frozen=True)
class AuditFilter:
    person: str = ""  # a login name or a person's name, actor or concerned
    area: str = ""  # an area code inside the reader's scope
    since: date | None = None
    until: date | None = None
    kind: str = ""  # UNMASK, CHANGE or both


@dataclass
class Entry:
    kind: str
    at: datetime
    actor: str
    action: str
    subject: str
    area_code: str
    case_number: str = ""
    fields: str = ""
    reason: str = ""
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        """(key, before, after) for every key that differs."""
        keys = list(dict.fromkeys([*self.before, *self.after]))
        return [
            (k, self.before.get(k), self.after.get(k))
            for k in keys
            if self.before.get(k) != self.after.get(k)
        ]


def _unmasks(user, flt: AuditFilter) -> QuerySet:
    PersonalDataAccess = apps.get_model("cases", "PersonalDataAccess")
    qs = access.restrict(
        PersonalDataAccess.objects.all(), user, field="party__case__area_code", roles=AUDIT_ROLES
    )
    if flt.area:
        qs = qs.filter(party__case__area_code__startswith=flt.area)
    if flt.person:
        qs = qs.filter(
            Q(user__username__icontains=flt.person) | Q(user__person__name__icontains=flt.person)
        )
    return _period(qs, flt)


def _changes(user, flt: AuditFilter) -> QuerySet:
    prefixes = audit_scope(user)
    qs = AccessChange.objects.filter(
        access.scope_q("area_code", prefixes)
        | (access.scope_q("previous_area_code", prefixes) & ~Q(previous_area_code=""))
    )
    if flt.area:
        qs = qs.filter(
            Q(area_code__startswith=flt.area)
            | Q(previous_area_code__startswith=flt.area, previous_area_code__gt="")
        )
    if flt.person:
        qs = qs.filter(
            Q(actor__username__icontains=flt.person)
            | Q(actor_label__icontains=flt.person)
            | Q(subject_label__icontains=flt.person)
            | Q(person__name__icontains=flt.person)
        )
    return _period(qs, flt)


def _period(qs: QuerySet, flt: AuditFilter) -> QuerySet:
    if flt.since:
        qs = qs.filter(at__date__gte=flt.since)
    if flt.until:
        qs = qs.filter(at__date__lte=flt.until)
    return qs


def audit_log(user, flt: AuditFilter) -> QuerySet:
    """(kind, id, at) of every row the user may read under `flt`, newest first: slice it
    (a paginator does) and load the slice with `entries`."""
    parts = []
    if flt.kind in ("", UNMASK):
        parts.append(
            _unmasks(user, flt)
            .annotate(kind=Value(UNMASK, output_field=CharField()))
            .order_by()
            .values_list("kind", "id", "at")
        )
    if flt.kind in ("", CHANGE):
        parts.append(
            _changes(user, flt)
            .annotate(kind=Value(CHANGE, output_field=CharField()))
            .order_by()
            .values_list("kind", "id", "at")
        )
    first, *rest = parts
    qs = first.union(*rest, all=True) if rest else first
    return qs.order_by("-at", "-id")


def entries(rows) -> list[Entry]:
    """The rows of `audit_log` (a page of them) as entries, in the same order."""
    rows = list(rows)
    PersonalDataAccess = apps.get_model("cases", "PersonalDataAccess")
    unmask_ids = [pk for kind, pk, _at in rows if kind == UNMASK]
    change_ids = [pk for kind, pk, _at in rows if kind == CHANGE]
    unmasks = {
        a.pk: a
        for a in PersonalDataAccess.objects.filter(pk__in=unmask_ids).select_related(
            "user__person", "party__case"
        )
    }
    changes = {c.pk: c for c in AccessChange.objects.filter(pk__in=change_ids)}
    result = []
    for kind, pk, _at in rows:
        if kind == UNMASK:
            a = unmasks[pk]
            person = getattr(a.user, "person", None)
            result.append(
                Entry(
                    kind=UNMASK,
                    at=a.at,
                    actor=_who(a.user.get_username(), person.name if person else ""),
                    action=str(_("Personal data unmasked")),
                    subject=str(a.party.get_role_display()),
                    area_code=a.party.case.area_code,
                    case_number=a.party.case.number,
                    fields=a.fields,
                    reason=a.reason,
                )
            )
        else:
            c = changes[pk]
            result.append(
                Entry(
                    kind=CHANGE,
                    at=c.at,
                    actor=c.actor_label,
                    action=_label(c.action),
                    subject=c.subject_label,
                    area_code=c.area_code,
                    before=c.before,
                    after=c.after,
                )
            )
    return result


def _who(username: str, name: str) -> str:
    return f"{name} ({username})" if name and name != username else username


def _label(action: str) -> str:
    try:
        return str(AccessAction(action).label)
    except ValueError:
        return action
