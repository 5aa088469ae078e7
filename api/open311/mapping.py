"""Our model as GeoReport v2 sees it: services, requests, updates — a view, not the model.

Every Open311 field is computed here from a case, a category or an event; nothing else in
the Open311 layer knows our field names. Personal data (parties) is never read here, and
free text is shown scrubbed (pingan.redact.scrub: phones, ID numbers, e-mails, names masked).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.choices import FINAL_STATUSES, EventKind, Priority, Status
from cases.models import DEADLINE_UNITS, Case, CaseEvent, CaseType, Category
from pingan.redact import scrub

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# Sortable: bump when the shape of what this API publishes changes.
CHANGESET = "2026-11-23 00:00"

# Only these case types are services and only their cases are published. Disputes and
# petitions concern named people and their conflicts; crowd incidents are operational.
PUBLIC_CASE_TYPES = ("request", "hazard", "rental")

# Our states → Open311's two. A resolved case still waits for verification and the
# resident's rating, so it is open until we close it.
CLOSED_STATUSES = frozenset(FINAL_STATUSES)

# Events whose text is written for the resident: the last one is the request's status_notes.
NOTE_KINDS = (
    EventKind.RESOLVE,
    EventKind.REJECT,
    EventKind.CLOSE,
    EventKind.MERGE,
    EventKind.REOPEN,
)
# Events published as request updates (the FixMyStreet extension).
UPDATE_KINDS = (
    EventKind.INTAKE,
    EventKind.ACCEPT,
    EventKind.REJECT,
    EventKind.ASSIGN,
    EventKind.TRANSFER,
    EventKind.ESCALATE,
    EventKind.START,
    EventKind.RESOLVE,
    EventKind.REOPEN,
    EventKind.CLOSE,
    EventKind.MERGE,
)

PRIORITY_ATTRIBUTE = "priority"
PLACE_ATTRIBUTE = "place_detail"
PLACE_DETAIL_MAX = 100
HAZARD_NOTICE_ATTRIBUTE = "emergency_notice"


def open311_status(status: str) -> str:
    return "closed" if status in CLOSED_STATUSES else "open"


def statuses_for(open311: str) -> list[str]:
    if open311 == "closed":
        return sorted(CLOSED_STATUSES)
    return [s for s in Status.values if s not in CLOSED_STATUSES]


def w3c(value: datetime | None) -> str | None:
    """2026-11-23T13:41:50+08:00: w3c datetime with the offset of our time zone."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


# -- services ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Service:
    """A category (or, for "not sure which", a case type) offered as an Open311 service."""

    code: str
    name: str
    case_type: CaseType
    category: Category | None

    @property
    def group(self) -> str:
        return self.case_type.name


def public_services() -> list[Service]:
    types = CaseType.objects.filter(code__in=PUBLIC_CASE_TYPES, is_active=True)
    found = [Service(t.code, t.name, t, None) for t in types]
    categories = Category.objects.filter(case_type__in=types, is_active=True).select_related(
        "case_type", "parent__parent"
    )
    found += [Service(c.code, c.name, c.case_type, c) for c in categories]
    return sorted(found, key=lambda s: (s.case_type.code, s.category is not None, s.code))


def find_service(code: str) -> Service | None:
    """The public service with this code; category codes win over case-type codes."""
    if not code:
        return None
    category = (
        Category.objects.filter(
            code=code,
            is_active=True,
            case_type__code__in=PUBLIC_CASE_TYPES,
            case_type__is_active=True,
        )
        .select_related("case_type", "parent__parent")
        .first()
    )
    if category is not None:
        return Service(category.code, category.name, category.case_type, category)
    case_type = CaseType.objects.filter(
        code=code, code__in=PUBLIC_CASE_TYPES, is_active=True
    ).first()
    if case_type is not None:
        return Service(case_type.code, case_type.name, case_type, None)
    return None


def _deadline_text(service: Service) -> str:
    policy = (
        service.category.effective_policy()
        if service.category
        else service.case_type.deadline_policy()
    )
    if policy is None:
        return ""
    unit = dict(DEADLINE_UNITS).get(policy.unit, policy.unit)
    return _("Usually handled within %(amount)d %(unit)s.") % {
        "amount": policy.amount,
        "unit": unit,
    }


def service_row(service: Service) -> dict:
    if service.category is None:
        description = _(
            "Not sure which service fits: describe the problem and we will classify it."
        )
        keywords = ""
    else:
        description = _("%(name)s (%(group)s).") % {"name": service.name, "group": service.group}
        keywords = ", ".join(service.category.keyword_list())
    deadline = _deadline_text(service)
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": f"{description} {deadline}".strip(),
        "metadata": True,
        "type": "realtime",
        "keywords": keywords,
        "group": service.group,
    }


def service_attributes(service: Service) -> list[dict]:
    attributes = [
        {
            "variable": True,
            "code": PRIORITY_ATTRIBUTE,
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": _("Pick one; normal when not given."),
            "order": 1,
            "description": _("How urgent is it?"),
            "values": [{"key": value, "name": str(label)} for value, label in Priority.choices],
        },
        {
            "variable": True,
            "code": PLACE_ATTRIBUTE,
            "datatype": "string",
            "required": False,
            "datatype_description": _("At most %d characters.") % PLACE_DETAIL_MAX,
            "order": 2,
            "description": _("Building, entrance, floor or landmark that helps us find the place."),
        },
    ]
    if service.case_type.code == "hazard":
        attributes.append(
            {
                "variable": False,
                "code": HAZARD_NOTICE_ATTRIBUTE,
                "datatype": "string",
                "required": False,
                "datatype_description": None,
                "order": 3,
                "description": _(
                    "If anyone is in danger now, call 119 (fire) or 110 (police) first."
                ),
            }
        )
    return attributes


def service_definition(service: Service) -> dict:
    return {"service_code": service.code, "attributes": service_attributes(service)}


# -- requests ----------------------------------------------------------------------------------
def service_code_of(case: Case) -> str:
    return case.category.code if case.category_id else case.case_type.code


def service_name_of(case: Case) -> str:
    return case.category.name if case.category_id else case.case_type.name


def service_notice(case: Case) -> str | None:
    if case.status in CLOSED_STATUSES or case.due_at is None:
        return None
    due = timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M")
    if case.owner_unit_id:
        return _("%(unit)s handles this request; expected by %(due)s.") % {
            "unit": case.owner_unit.name,
            "due": due,
        }
    return _("Expected to be handled by %(due)s.") % {"due": due}


def description_of(case: Case) -> str:
    """Title and text as the resident wrote them (the title is often the text's first line)."""
    title, text = case.title.strip(), case.text.strip()
    if not text or text.startswith(title.rstrip("…")):
        return scrub(text or title)
    return scrub(f"{title}\n{text}")


def status_notes(events: list[CaseEvent]) -> str | None:
    for event in reversed(events):
        if event.kind == EventKind.MERGE:
            # The reason is the dispatcher's; the resident needs to know where to look.
            return _("Merged into request %s.") % event.data.get("into", "")
        if event.kind in NOTE_KINDS and event.reason.strip():
            return scrub(event.reason.strip())
    return None


def media_url_of(events: list[CaseEvent]) -> str | None:
    for event in events:
        if event.kind == EventKind.INTAKE:
            return (event.data or {}).get("media_url") or None
    return None


def address_of(case: Case, area_names: dict[str, str]) -> str:
    """The address given, else the case's areas from the most specific to the most general."""
    if case.address.strip():
        return scrub(case.address.strip())
    codes = [case.area_code[:n] for n in (15, 12, 9, 6) if len(case.area_code) >= n]
    return ", ".join(area_names[c] for c in codes if c in area_names)


def area_codes_for(cases: list[Case]) -> set[str]:
    return {
        c.area_code[:n]
        for c in cases
        if not c.address.strip()
        for n in (15, 12, 9, 6)
        if len(c.area_code) >= n
    }


def updated_at_of(case: Case) -> datetime:
    """For a closed request, when it was closed (the spec's rule); else the last change."""
    if case.status in CLOSED_STATUSES and case.closed_at:
        return case.closed_at
    return case.updated_at


def request_row(case: Case, events: list[CaseEvent], area_names: dict[str, str]) -> dict:
    """One service request. `events` are the case's public events (NOTE_KINDS + intake)."""
    return {
        "service_request_id": case.number,
        "status": open311_status(case.status),
        "status_notes": status_notes(events),
        "service_name": service_name_of(case),
        "service_code": service_code_of(case),
        "description": description_of(case),
        "agency_responsible": case.owner_unit.name if case.owner_unit_id else None,
        "service_notice": service_notice(case),
        "requested_datetime": w3c(case.received_at),
        "updated_datetime": w3c(updated_at_of(case)),
        "expected_datetime": w3c(case.due_at),
        "address": address_of(case, area_names) or None,
        "address_id": case.grid_code or None,
        "zipcode": None,
        "lat": case.lat,
        "long": case.lon,
        "media_url": media_url_of(events),
    }


def created_row(case: Case) -> dict:
    """The answer to POST requests: the request id, what happens next, no account."""
    return {
        "service_request_id": case.number,
        "service_notice": service_notice(case),
        "account_id": None,
    }


# -- request updates (the FixMyStreet extension) -----------------------------------------------
def update_description(event: CaseEvent) -> str:
    if event.kind == EventKind.MERGE:
        return _("Merged into request %s.") % event.data.get("into", "")
    if event.kind in NOTE_KINDS and event.reason.strip():
        return scrub(event.reason.strip())
    if event.kind == EventKind.ASSIGN and event.data.get("unit_name"):
        return _("Assigned to %s.") % event.data["unit_name"]
    return str(EventKind(event.kind).label)


def update_row(event: CaseEvent) -> dict:
    return {
        "update_id": f"{event.case.number}.{event.seq}",
        "service_request_id": event.case.number,
        "status": open311_status(event.to_status or event.case.status),
        "updated_datetime": w3c(event.at),
        "description": update_description(event),
        "media_url": (event.data or {}).get("media_url") or None,
    }
