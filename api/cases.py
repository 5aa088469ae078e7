"""Case endpoints: thin — parse, read through cases.selectors, write through cases.services."""

# No `from __future__ import annotations`: the action views are made in a loop and ninja
# must see each one's body schema as an object, not as a name to look up later.

from datetime import UTC

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Header, Query, Router

from api.schemas import (
    ACTION_SCHEMAS,
    ActionGoneOut,
    CaseDetailOut,
    CaseFilters,
    CaseListOut,
    CatalogueOut,
    ErrorOut,
    EventOut,
    InboxOut,
    IntakeIn,
    IntakeOut,
    RevealIn,
    RevealOut,
    UnitListOut,
)
from cases import selectors, services
from cases.choices import (
    Channel,
    EventKind,
    Outcome,
    Priority,
    Rating,
    Status,
)
from cases.errors import CaseInputError, CaseNotFound, IdempotencyConflict
from cases.models import Case, CaseType, Category
from cases.permissions import available_actions
from cases.workflow import TRANSITIONS
from org import access
from org.choices import UnitKind
from org.models import Unit
from pingan.redact import scrub, scrub_data

router = Router()

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
READ_ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut}


# -- serialising ------------------------------------------------------------------------------
def unit_ref(unit: Unit | None) -> dict | None:
    if unit is None:
        return None
    return {"id": unit.pk, "code": unit.code, "name": unit.name, "kind": unit.kind}


def party_out(p) -> dict:
    return {
        "id": p.pk,
        "role": p.role,
        "name": p.masked_name,
        "phone": p.masked_phone,
        "id_number": p.masked_id_number,
        "email": p.masked_email,
    }


def case_summary(case: Case) -> dict:
    return {
        "number": case.number,
        "title": scrub(case.title),
        "case_type": case.case_type.code,
        "category": case.category.code if case.category_id else None,
        "status": case.status,
        "priority": case.priority,
        "channel": case.channel,
        "area_code": case.area_code,
        "grid_code": case.grid_code,
        "owner_unit": unit_ref(case.owner_unit),
        "received_at": case.received_at,
        "due_at": case.due_at,
        "deadline_state": case.deadline_state,
        "version": case.version,
    }


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def event_out(event) -> dict:
    return {
        "seq": event.seq,
        "at": event.at,
        "kind": event.kind,
        "kind_label": _label(EventKind, event.kind),
        "actor": event.actor_label,
        "actor_unit": event.actor_unit.code if event.actor_unit_id else None,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "reason": scrub(event.reason),
        "data": scrub_data(event.data),
    }


def events_out(case: Case, user) -> list[dict]:
    """The case's timeline for `user`: intake's possible duplicates only those the user may see
    (the intake event lists similar cases of any territory)."""
    events = list(case.events.select_related("actor_unit"))
    out = [event_out(e) for e in events]
    numbers = {n for e in out for n, _s in (e["data"] or {}).get("duplicates", [])}
    if numbers:
        allowed = set(
            selectors.visible_cases(user)
            .filter(number__in=numbers)
            .values_list("number", flat=True)
        )
        for e in out:
            if "duplicates" in (e["data"] or {}):
                e["data"] = {
                    **e["data"],
                    "duplicates": [d for d in e["data"]["duplicates"] if d[0] in allowed],
                }
    return out


def _person_label(user) -> str:
    person = getattr(user, "person", None)
    return person.name if person is not None else user.get_username()


def case_detail(case: Case, user) -> dict:
    """Everything about one case the caller may see; personal data only masked."""
    feedback = list(case.feedback.all())
    out = case_summary(case)
    out.update(
        {
            "text": scrub(case.text),
            "case_type": {"code": case.case_type.code, "name": case.case_type.name},
            "category": (
                {"code": case.category.code, "name": case.category.name}
                if case.category_id
                else None
            ),
            "category_confidence": case.category_confidence,
            "status_label": _label(Status, case.status),
            "lon": case.lon,
            "lat": case.lat,
            "address": scrub(case.address),
            "location": case.location,
            "escalation_level": case.escalation_level,
            "warn_at": case.warn_at,
            "calendar_known": case.calendar_known,
            "paused_at": case.paused_at,
            "extensions": [
                scrub_data({k: v for k, v in e.items() if k != "by"}) for e in case.extensions
            ],
            "escalations": case.escalations,
            "reopen_count": case.reopen_count,
            "rework_count": case.rework_count,
            "outcome": case.outcome,
            "verified_at": case.verified_at,
            "rating": case.rating,
            "resolved_at": case.resolved_at,
            "closed_at": case.closed_at,
            "merged_into": case.merged_into.number if case.merged_into_id else None,
            "updated_at": case.updated_at,
            "parties": [party_out(p) for p in case.parties.order_by("pk")],
            "assignments": [
                {
                    "unit": unit_ref(a.unit),
                    "role": a.role,
                    "assigned_at": a.assigned_at,
                    "ended_at": a.ended_at,
                }
                for a in case.assignments.select_related("unit")
            ],
            "supervisions": [
                {
                    "id": s.pk,
                    "leader": _person_label(s.leader),
                    "note": scrub(s.note),
                    "due_at": s.due_at,
                    "created_at": s.created_at,
                    "answered_at": s.answered_at,
                }
                for s in case.supervisions.select_related("leader__person")
            ],
            "feedback": [
                {
                    "rating": f.rating,
                    "comment": scrub(f.comment),
                    "method": f.method,
                    "contact_failed": f.contact_failed,
                    "at": f.at,
                }
                for f in feedback
            ],
            "events": events_out(case, user),
            "allowed_actions": actions_for(user, case, feedback),
        }
    )
    return out


def actions_for(user, case: Case, feedback=None) -> list[str]:
    """The actions the user may take on the case now (the pages offer the same ones)."""
    return available_actions(user, case)


def _get_detail(user, *, number: str | None = None, pk: int | None = None) -> Case:
    case = selectors.get_case(user, number=number, pk=pk)
    if case.merged_into_id:
        case.merged_into  # noqa: B018 — one query now rather than a surprise later
    return case


# -- reading --------------------------------------------------------------------------------
@router.get(
    "/cases",
    response={200: CaseListOut, **READ_ERRORS},
    summary="List cases",
    operation_id="cases_list",
)
def list_cases(request: HttpRequest, filters: Query[CaseFilters]):
    """Cases in your territory (and those your units work), filtered like the web list."""
    params = filters.dict(exclude={"ordering", "limit", "offset"}, exclude_none=True)
    if "status" in params:
        params["status"] = [str(s) for s in params["status"]]
    qs = selectors.filter_cases(selectors.visible_cases(request.auth), params)
    order = filters.ordering.value
    items = qs.select_related("case_type", "category", "owner_unit").order_by(
        order, "-id" if order.startswith("-") else "id"
    )
    return {
        "count": qs.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "items": [case_summary(c) for c in items[filters.offset : filters.offset + filters.limit]],
    }


@router.get(
    "/cases/{number}",
    response={200: CaseDetailOut, **READ_ERRORS},
    summary="One case",
    operation_id="cases_get",
)
def get_case(request: HttpRequest, number: str):
    """The case with masked parties, assignments, supervisions, feedback, its timeline and the
    actions you may take now. 404 when absent or outside your territory (no difference)."""
    return case_detail(_get_detail(request.auth, number=number), request.auth)


@router.get(
    "/cases/{number}/events",
    response={200: list[EventOut], **READ_ERRORS},
    summary="A case's timeline",
    operation_id="cases_events",
)
def case_events(request: HttpRequest, number: str):
    case = selectors.get_case(request.auth, number=number)
    return events_out(case, request.auth)


# -- intake ------------------------------------------------------------------------------------
@router.post(
    "/cases",
    response={200: IntakeOut, 201: IntakeOut, 422: ErrorOut, **ERRORS},
    summary="Report a case",
    operation_id="cases_intake",
)
def intake(
    request: HttpRequest,
    payload: IntakeIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
):
    """Intake through the whole pipeline (locate, classify, dedupe, route, deadline).

    201 with the case, the resident's public code (given only now), the triage proposal and
    possible duplicates. A retry with the same `client_key` (or `Idempotency-Key` header)
    and the same body answers 200 with the case already made and no public code; the same
    key with a different body answers 422. Keys are the caller's own: another caller's
    key of the same spelling makes a case of its own."""
    key = payload.client_key
    field = "client_key"
    if idempotency_key is not None:
        if key is not None and key != idempotency_key:
            raise CaseInputError({"client_key": _("differs from the Idempotency-Key header")})
        key, field = idempotency_key, "Idempotency-Key"
        if not 1 <= len(key) <= services.CLIENT_KEY_MAX:
            raise CaseInputError({field: _("1 to %d characters") % services.CLIENT_KEY_MAX})
    user = request.auth
    try:
        result = services.intake_case(
            title=payload.title,
            text=payload.text,
            case_type=payload.case_type,
            category=payload.category,
            lon=payload.lon,
            lat=payload.lat,
            address=payload.address,
            priority=payload.priority.value,
            channel=payload.channel.value,
            parties=[p.dict() for p in payload.parties],
            client_key=services.scoped_key(f"user:{user.pk}", key),
            actor=user,
            reporter_grid=payload.reporter_grid,
        )
    except IdempotencyConflict as exc:
        exc.message = _("this %s was already used with a different request") % field
        exc.errors = {field: exc.message}
        raise
    except CaseInputError as exc:
        if field != "client_key" and "client_key" in exc.errors:
            exc.errors[field] = exc.errors.pop("client_key")
        raise
    case = result.case
    for name in ("received_at", "due_at", "warn_at"):
        # as a read from the database gives them (UTC), whatever zone intake computed in
        value = getattr(case, name)
        if value is not None:
            setattr(case, name, value.astimezone(UTC))
    if not result.created:
        # A retry must not hand out a case the caller can no longer see.
        case = _get_detail(user, pk=case.pk)
    parties = result.parties if result.created else list(case.parties.order_by("pk"))
    visible = selectors.visible_among(user, [c for c, _s in result.duplicates])
    body = {
        # Built from what intake holds in memory: answering reads nothing more.
        "case": {
            **case_summary(case),
            "text": scrub(case.text),
            "category_confidence": case.category_confidence,
            "lon": case.lon,
            "lat": case.lat,
            "address": scrub(case.address),
            "location": case.location,
            "escalation_level": case.escalation_level,
            "warn_at": case.warn_at,
            "parties": [party_out(p) for p in parties],
        },
        "created": result.created,
        "public_code": result.public_code if result.created else None,
        "proposal": result.proposal.as_data() if result.proposal else None,
        "duplicates": [
            {"number": c.number, "title": scrub(c.title), "similarity": round(s, 3)}
            for c, s in result.duplicates
            if c.pk in visible
        ],
    }
    # Rendered as it stands: the body is ours, built to IntakeOut (which the OpenAPI document
    # shows), and checking it again field by field cost a tenth of an intake's CPU.
    from api.main import api  # (api.main imports this module)

    return api.create_response(request, body, status=201 if result.created else 200)


# -- actions -----------------------------------------------------------------------------------
ACTION_SUMMARIES = {
    "accept": gettext_lazy("Accept the case"),
    "reject": gettext_lazy("Reject the case"),
    "classify": gettext_lazy("Set the category"),
    "assign": gettext_lazy("Assign the lead unit"),
    "co_assign": gettext_lazy("Add a co-handling unit"),
    "start": gettext_lazy("Start work"),
    "resolve": gettext_lazy("Resolve"),
    "return": gettext_lazy("Return to dispatch"),
    "transfer": gettext_lazy("Transfer to another unit"),
    "escalate": gettext_lazy("Escalate one level up"),
    "supervise": gettext_lazy("Order supervision (督办)"),
    "request_extension": gettext_lazy("Request an extension"),
    "extend": gettext_lazy("Approve an extension"),
    "pause": gettext_lazy("Pause: waiting on the resident"),
    "resume": gettext_lazy("Resume"),
    "merge": gettext_lazy("Merge into another case"),
    "verify": gettext_lazy("Verify the result (核查)"),
    "verify_failed": gettext_lazy("Verification failed"),
    "rate": gettext_lazy("Record the resident's rating"),
    "contact_failed": gettext_lazy("Record a failed contact (回访)"),
    "reopen": gettext_lazy("Reopen"),
    "close": gettext_lazy("Close"),
    "comment": gettext_lazy("Add a note"),
}


def act(request: HttpRequest, number: str, action: str, payload) -> dict:
    user = request.auth
    case = selectors.get_case(user, number=number)
    params = payload.dict(exclude={"version"})
    services.ACTIONS[action](case.pk, actor=user, version=payload.version, **params)
    try:
        case = _get_detail(user, pk=case.pk)
    except CaseNotFound:
        fresh = Case.objects.only("number", "status", "version").get(pk=case.pk)
        return {
            "number": fresh.number,
            "status": fresh.status,
            "version": fresh.version,
            "visible": False,
        }
    return case_detail(case, user)


def _action_view(action: str, schema):
    def view(request: HttpRequest, number: str, payload: schema):
        return act(request, number, action, payload)

    view.__name__ = f"case_{action}"
    t = TRANSITIONS[action]
    view.__doc__ = (
        f"Allowed from: {', '.join(sorted(t.sources))}. "
        f"Roles: {', '.join(sorted(t.roles))}"
        + (" (for a unit working the case)" if t.own_unit else "")
        + ". "
        "Answers the case as it is now; 409 when the case changed since `version` or the "
        "action is not allowed in its state, 403 when your roles may not take it."
    )
    return view


for _action, _schema in ACTION_SCHEMAS.items():
    router.post(
        f"/cases/{{number}}/actions/{_action}",
        response={200: CaseDetailOut | ActionGoneOut, **ERRORS},
        summary=str(ACTION_SUMMARIES.get(_action, _action)),
        operation_id=f"cases_action_{_action}",
        url_name=f"case-action-{_action}",
    )(_action_view(_action, _schema))


class UnknownAction(CaseNotFound):
    code = "unknown_action"


@router.post(
    "/cases/{number}/actions/{action}",
    response={404: ErrorOut},
    include_in_schema=False,
    operation_id="cases_action_unknown",
)
def unknown_action(request: HttpRequest, number: str, action: str):
    raise UnknownAction(
        _("unknown action %(action)s; one of: %(actions)s")
        % {"action": action, "actions": ", ".join(ACTION_SCHEMAS)},
        field="action",
    )


# -- personal data ---------------------------------------------------------------------------
@router.post(
    "/parties/{party_id}/reveal",
    response={200: RevealOut, **ERRORS},
    summary="Show a party's personal data",
    operation_id="parties_reveal",
)
def reveal(request: HttpRequest, response: HttpResponse, party_id: int, payload: RevealIn):
    """Unmask on purpose, with a reason; every reveal is audited on the case's timeline."""
    shown = services.reveal_party(
        party_id, actor=request.auth, reason=payload.reason, fields=tuple(payload.fields)
    )
    response["Cache-Control"] = "no-store"
    return {"party": party_id, **shown}


# -- my work, the catalogue, units -------------------------------------------------------------
INBOX_LABELS = {
    "to_dispatch": gettext_lazy("To dispatch"),
    "to_close": gettext_lazy("To close"),
    "to_handle": gettext_lazy("To handle"),
    "to_verify": gettext_lazy("To verify"),
    "overdue": gettext_lazy("Overdue"),
}


@router.get(
    "/inbox", response={200: InboxOut, **READ_ERRORS}, summary="My work", operation_id="inbox"
)
def inbox(request: HttpRequest, limit: int = Query(10, ge=0, le=50)):
    """Your boxes by what your roles do next, each with its count and its first cases."""
    boxes = []
    for key, qs in selectors.inbox(request.auth).items():
        boxes.append(
            {
                "key": key,
                "label": str(INBOX_LABELS.get(key, key)),
                "count": qs.count(),
                "items": [case_summary(c) for c in qs[:limit]] if limit else [],
            }
        )
    return {"boxes": boxes}


def _choices(choices) -> list[dict]:
    return [{"value": value, "label": str(label)} for value, label in choices.choices]


@router.get(
    "/catalogue",
    response={200: CatalogueOut, 401: ErrorOut},
    summary="Case types, categories and choices",
    operation_id="catalogue",
)
def catalogue(request: HttpRequest):
    nodes: dict[int, dict] = {}
    roots = []
    for c in (
        Category.objects.filter(is_active=True)
        .select_related("case_type")
        .order_by("parent_id", "code")
    ):
        nodes[c.pk] = {
            "code": c.code,
            "name": c.name,
            "case_type": c.case_type.code,
            "children": [],
            "_parent": c.parent_id,
        }
    for node in nodes.values():
        parent = nodes.get(node.pop("_parent"))
        (parent["children"] if parent else roots).append(node)
    return {
        "case_types": [
            {
                "code": t.code,
                "name": t.name,
                "deadline_amount": t.deadline_amount,
                "deadline_unit": t.deadline_unit,
            }
            for t in CaseType.objects.filter(is_active=True)
        ],
        "categories": sorted(roots, key=lambda n: n["code"]),
        "channels": _choices(Channel),
        "priorities": _choices(Priority),
        "statuses": _choices(Status),
        "outcomes": _choices(Outcome),
        "ratings": _choices(Rating),
        "actions": list(ACTION_SCHEMAS),
    }


@router.get(
    "/units",
    response={200: UnitListOut, **READ_ERRORS},
    summary="Units in your territory",
    operation_id="units_list",
)
def units(
    request: HttpRequest,
    kind: UnitKind | None = None,
    area: str | None = Query(None, pattern=r"^[0-9]{6}([0-9]{3}){0,3}$"),
):
    """For assign and transfer pickers: active units whose area lies in your territory."""
    qs = access.restrict(Unit.objects.filter(is_active=True), request.auth, field="area__code")
    if kind is not None:
        qs = qs.filter(kind=kind)
    if area:
        qs = qs.filter(area__code__startswith=area)
    items = [
        {
            **unit_ref(u),
            "kind_label": _label(UnitKind, u.kind),
            "area_code": u.area.code,
            "area_name": u.area.name,
        }
        for u in qs.select_related("area").order_by("code")
    ]
    return {"count": len(items), "items": items}
