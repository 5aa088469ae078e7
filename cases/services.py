"""The only writers of cases: intake and every lifecycle transition (DESIGN §3).

Each transition is one function: atomic, the case row locked, the actor's role and scope
checked against `workflow.TRANSITIONS`, exactly one CaseEvent written, notifications sent
after commit. Views and API endpoints call these and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import classify, permissions, reference, routing, selectors
from cases.choices import (
    AssignmentRole,
    Channel,
    DeadlineState,
    EventKind,
    FeedbackMethod,
    Location,
    Outcome,
    PartyRole,
    Priority,
    Rating,
    Status,
)
from cases.deadlines import Deadline, DeadlineError, compute_deadline
from cases.deadlines import extend as extend_deadline
from cases.errors import (
    ActionForbidden,
    CaseInputError,
    CaseNotFound,
    IdempotencyConflict,
    TransitionNotAllowed,
    VersionConflict,
)
from cases.groupcommit import GroupCommit
from cases.models import (
    Assignment,
    Case,
    CaseCounter,
    CaseEvent,
    CaseType,
    Category,
    Feedback,
    Notification,
    Party,
    PersonalDataAccess,
    Supervision,
    TrainingExample,
)
from cases.workflow import TRANSITIONS, Transition
from measures.rollups import record_event, record_intakes
from org import access, policy
from org.choices import Role
from org.models import Membership, Unit
from pingan import bulk
from pingan.text import clean_fields, clean_text, refusal, strip_controls
from territory.choices import Level

TITLE_MAX = 200
TEXT_MAX = 5000
ADDRESS_MAX = 300
REASON_MAX = 2000
CLIENT_KEY_MAX = 80  # as the caller sends it; stored with its scope in front
STORED_KEY_MAX = 160  # Case.client_key: scope and key
PUBLIC_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


# -- intake -----------------------------------------------------------------------------
@dataclass
class IntakeResult:
    case: Case
    created: bool
    public_code: str = ""  # shown once to the resident; only its hash is stored
    proposal: classify.Proposal | None = None
    duplicates: list[tuple[Case, float]] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)  # as made (when created)


def intake_case(
    *,
    title: str,
    channel: str,
    case_type: str | CaseType | None = None,
    category: str | Category | None = None,
    text: str = "",
    lon: float | None = None,
    lat: float | None = None,
    address: str = "",
    priority: str = Priority.NORMAL,
    parties: list[dict] | None = None,
    client_key: str | None = None,
    actor=None,
    reporter_grid: str = "",
    received_at: datetime | None = None,
    event_data: dict | None = None,
    due_at: datetime | None = None,
    source: dict | None = None,
) -> IntakeResult:
    """validate → locate → classify → dedupe → route → deadline → one transaction.

    `event_data` (e.g. an Open311 media_url) is kept in the first event's data. `due_at`
    replaces the policy's deadline where a source system set one (imports); `source` (the
    source system's original fields) is kept in the first event's data.

    A `client_key` seen before with the same request gives back the case it made
    (created=False): the unique key refuses the second insert, so a first intake pays no
    look-up for it. The same key with a different request raises IdempotencyConflict (422).
    Keys are global here: callers scope them to who is calling first (`scoped_key`)."""
    ready = None
    try:
        with _group_commit.preparing() if _grouped() else _alone() as submit:
            ready, result = _make_ready(
                title=title,
                channel=channel,
                case_type=case_type,
                category=category,
                text=text,
                lon=lon,
                lat=lat,
                address=address,
                priority=priority,
                parties=parties,
                client_key=client_key,
                actor=actor,
                reporter_grid=reporter_grid,
                received_at=received_at,
                event_data=event_data,
                due_at=due_at,
                source=source,
            )
            submit(ready)
    except IntegrityError:
        # A retry (or a race) with the same client key: the first one won; return it, when
        # it was the same request (the fingerprint made ready with this one's case).
        if client_key and ready is not None:
            existing = Case.objects.filter(client_key=client_key).first()
            if existing is not None:
                if existing.request_hash and existing.request_hash != ready.case.request_hash:
                    raise IdempotencyConflict(
                        _("this idempotency key was already used with a different request"),
                        field="client_key",
                    ) from None
                return IntakeResult(existing, created=False)
        raise
    return result


def scoped_key(scope: str, key: str | None) -> str | None:
    """The key as stored: `scope:key`, so that two callers never meet each other's keys.

    Scopes: `user:<id>` (the API, by token or session, and the staff form),
    `session:<hash>` (the public form), `open311:<user id>` (Open311)."""
    if key is None or key == "":
        return None
    if not isinstance(key, str) or len(key) > CLIENT_KEY_MAX:
        raise CaseInputError({"client_key": _("1 to %d characters") % CLIENT_KEY_MAX})
    try:
        key = clean_text(key, "client_key")
    except ValueError as exc:
        raise CaseInputError({"client_key": str(exc)}) from None
    return f"{scope}:{key}"


def session_scope(session_key: str) -> str:
    """The public form's scope: the browser's own random value (a signed cookie), by a hash."""
    return "session:" + hashlib.sha256(session_key.encode()).hexdigest()[:24]


def _code(value) -> str | None:
    if value is None or value == "":
        return None
    return getattr(value, "code", None) or str(value)


def _request_hash(
    *,
    title,
    channel,
    case_type,
    category,
    text,
    lon,
    lat,
    address,
    priority,
    parties,
    reporter_grid,
) -> str:
    """sha256 of an intake's fields as the caller sent them (canonical JSON)."""

    def s(value):
        return clean_text(value, "").strip() if isinstance(value, str) else value

    def point(value):
        try:
            return None if value is None else round(float(value), 7)
        except (TypeError, ValueError):
            return str(value)

    body = {
        "title": s(title),
        "text": s(text or ""),
        "channel": str(channel),
        "case_type": _code(case_type),
        "category": _code(category),
        "lon": point(lon),
        "lat": point(lat),
        "address": s(address or ""),
        "priority": str(priority),
        "reporter_grid": reporter_grid or "",
        "parties": [
            {k: s(v) for k, v in sorted(p.items())} if isinstance(p, dict) else p
            for p in (parties or [])
        ],
    }
    canonical = json.dumps(
        body, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _make_ready(
    *,
    title,
    channel,
    case_type,
    category,
    text,
    lon,
    lat,
    address,
    priority,
    parties,
    client_key,
    actor,
    reporter_grid,
    received_at,
    event_data,
    due_at,
    source,
) -> tuple[_ReadyIntake, IntakeResult]:
    """Everything intake decides, nothing written yet."""
    data = _validate_intake(
        title=title,
        text=text,
        channel=channel,
        case_type=case_type,
        category=category,
        lon=lon,
        lat=lat,
        address=address,
        priority=priority,
        parties=parties or [],
        client_key=client_key,
        reporter_grid=reporter_grid,
        received_at=received_at,
    )
    received = data["received_at"]
    grid_code, area_code, location = _locate(data["lon"], data["lat"], reporter_grid, actor)
    if actor is not None and not _can_intake(actor, area_code):
        raise CaseNotFound(_("The place of this case lies outside your territory."))

    case_type_obj: CaseType = data["case_type"]
    category_obj: Category | None = data["category"]
    proposal = None
    if category_obj is None:
        proposal = classify.propose(data["title"], data["text"], case_type_id=case_type_obj.pk)
        if proposal.prefill:
            category_obj = proposal.category
    duplicates = selectors.similar_open_cases(
        category_id=category_obj.pk if category_obj else None,
        lon=data["lon"],
        lat=data["lat"],
        text=f"{data['title']} {data['text']}",
        at=received,
    )
    if location == Location.OUTSIDE:
        # Outside every grid: nobody's territory yet, so the district center sorts it out.
        route = routing.Route(routing.center_for(area_code, Level.DISTRICT))
    else:
        route = routing.route(case_type_obj, category_obj, area_code)
    policy = (
        category_obj.effective_policy() if category_obj else None
    ) or case_type_obj.deadline_policy()
    deadline = compute_deadline(received, policy) if policy else None
    if due_at is not None:
        if timezone.is_naive(due_at) or due_at < received:
            raise CaseInputError({"due_at": _("a time with a time zone, after receipt")})
        share = policy.warn_fraction if policy else 0.8
        deadline = Deadline(
            start=received,
            policy=deadline.policy if deadline else None,
            due_at=due_at,
            warn_at=received + (due_at - received) * share,
            calendar_known=True,
        )
    public_code = "".join(secrets.choice(PUBLIC_CODE_ALPHABET) for _ in range(8))

    case = Case(
        case_type=case_type_obj,
        category=category_obj,
        category_confidence=proposal.confidence if proposal else None,
        title=data["title"],
        text=data["text"],
        lon=data["lon"],
        lat=data["lat"],
        address=data["address"],
        grid_code=grid_code,
        area_code=area_code,
        location=location,
        channel=channel,
        priority=data["priority"],
        status=Status.RECEIVED,
        owner_unit=route.unit,
        received_at=received,
        client_key=client_key or None,
        public_code_hash=hash_public_code(public_code),
        request_hash=_request_hash(
            title=title,
            channel=channel,
            case_type=case_type,
            category=category,
            text=text,
            lon=lon,
            lat=lat,
            address=address,
            priority=priority,
            parties=parties,
            reporter_grid=reporter_grid,
        )
        if client_key
        else "",
        created_by=actor if actor is not None and actor.is_authenticated else None,
        escalation_level=routing.level_of(route.unit.area.code) if route.unit else "",
    )
    _apply_deadline(case, deadline, now=received)
    intake_data = {
        **(event_data or {}),  # the channel's own details; the engine's keys win
        "location": location,
        "grid": grid_code,
        "channel": channel,
        "routed_to": route.unit.code if route.unit else None,
        "co_units": [u.code for u in route.co_units],
        "rule": route.rule.pk if route.rule else None,
        "duplicates": [[c.number, round(s, 3)] for c, s in duplicates],
        "deadline": _deadline_data(deadline),
    }
    if source:
        intake_data["source"] = source
    if proposal is not None:
        intake_data["proposal"] = proposal.as_data()
    ready = _ReadyIntake(
        case=case,
        parties=[Party(case=case, **p) for p in data["parties"]],
        event=_event(
            case, 1, EventKind.INTAKE, actor, "", Status.RECEIVED, "", intake_data, at=received
        ),
        notify=route.unit if route.unit is not None and _notifies(received) else None,
        subject=_("New case %(number)s: %(title)s"),  # in the language of this request
    )
    return ready, IntakeResult(case, True, public_code, proposal, duplicates, ready.parties)


@dataclass
class _ReadyIntake:
    """A case made ready by intake, nothing written yet: the case row (without its number),
    its parties, its first event and the unit to tell."""

    case: Case
    parties: list[Party]
    event: CaseEvent
    notify: Unit | None
    subject: str


def _write_intakes(batch: list[_ReadyIntake]) -> None:
    """Write ready intakes in the current transaction, in two round trips on PostgreSQL
    (`bulk.Together`): first the case numbers and the ids of cases, parties and events,
    then one statement that inserts the whole batch into every table (cases, parties,
    events, notifications, the measures' facts) and adds it to the rollups.

    Safe to call again with the same items after a rolled-back attempt (the group commit
    retries a failed batch item by item): the ids and links an attempt gave are reset."""
    for item in batch:
        for obj in (item.case, *item.parties, item.event):
            obj.pk = None
            obj._state.adding = True
    local = timezone.get_default_timezone()
    by_counter: dict[tuple[str, int], list[Case]] = {}
    for item in batch:
        year = item.case.received_at.astimezone(local).year
        by_counter.setdefault((item.case.area_code[:6], year), []).append(item.case)
    counters = sorted(by_counter.items())
    lasts: list[list[tuple]] = []  # each counter's new last number (none: no counter yet)
    first = bulk.Together()
    for (district, year), cases in counters:
        first.execute(_NUMBERS_SQL, [len(cases), district, year], then=lasts.append)
    first.give_ids([item.case for item in batch])
    first.give_ids([p for item in batch for p in item.parties])
    first.give_ids([item.event for item in batch])
    first.send()
    for ((district, year), cases), rows in zip(counters, lasts, strict=True):
        numbers = (
            _numbers(district, year, rows[0][0], len(cases))
            if rows
            else _take_numbers(district, year, len(cases))
        )  # the year's first case
        for case, number in zip(cases, numbers, strict=True):
            case.number = number
    rest = bulk.Together()
    rest.insert([item.case for item in batch])  # elsewhere than PostgreSQL: ids given here
    for item in batch:  # the case's id of this attempt, not of an earlier one
        for party in item.parties:
            party.case = item.case
        item.event.case = item.case
    rest.insert([p for item in batch for p in item.parties])
    rest.insert([item.event for item in batch])
    notices: list[Notification] = []
    for item in batch:
        if item.notify is not None:
            _notify_units([(item.notify, item.case)], item.subject, into=notices)
    rest.insert(notices, returning=False)  # their ids are not wanted here
    # The measures' rollups follow every event, in the same transaction (DESIGN §7).
    record_intakes([(item.event, item.case) for item in batch], into=rest)
    rest.send()


_group_commit = GroupCommit(
    _write_intakes,
    delay=lambda: settings.PINGAN_INTAKE_COMMIT_DELAY_MS / 1000,
    # A lost connection or a database that refuses work is nobody's fault in the batch:
    # writing each case alone would only fail again, once per case.
    retry_alone=lambda exc: not isinstance(exc, (OperationalError, InterfaceError)),
)


@contextmanager
def _alone():
    """Inside the caller's transaction (an import, a test): written right there."""

    def submit(ready: _ReadyIntake) -> None:
        with transaction.atomic():
            _write_intakes([ready])

    yield submit


def _grouped() -> bool:
    """Whether this intake goes through the group commit: not inside a caller's transaction
    (whose all-or-nothing must hold), and not when turned off."""
    return settings.PINGAN_INTAKE_GROUP_COMMIT and not transaction.get_connection().in_atomic_block


def warm_up() -> None:
    """Load what intake keeps in memory (the grid locator, the catalogue and routing rules,
    the triage model and its libraries) before a server process takes requests: otherwise
    its first intakes wait for them (importing scikit-learn alone takes seconds)."""
    from territory.locator import get_locator
    from triage.service import get_model

    get_locator()
    reference.catalogue()
    reference.routing_rules()
    get_model()


# Known codes, as sets (an enum's `values` builds a new list with labels on every call).
_CHANNELS = frozenset(Channel.values)
_PRIORITIES = frozenset(Priority.values)
_PARTY_ROLES = frozenset(PartyRole.values)


def _validate_intake(**kw) -> dict:
    errors: dict[str, str] = {}
    out: dict = {}
    # NUL refused (naming the field), other control characters stripped (pingan/text.py).
    clean_fields(kw, ("title", "text", "address", "client_key", "reporter_grid"), errors)
    if isinstance(kw["parties"], list):
        kw["parties"] = [dict(p) if isinstance(p, dict) else p for p in kw["parties"]]
        for i, p in enumerate(kw["parties"]):
            if isinstance(p, dict):
                clean_fields(
                    p,
                    [k for k in ("role", "name", "phone", "id_number", "email") if k in p],
                    errors,
                    prefix=f"parties[{i}].",
                )
    title = kw["title"]
    if not isinstance(title, str) or not title.strip():
        errors["title"] = _("required")
    elif len(title.strip()) > TITLE_MAX:
        errors["title"] = _("at most %d characters") % TITLE_MAX
    out["title"] = title.strip() if isinstance(title, str) else ""
    text = kw["text"] or ""
    if not isinstance(text, str):
        errors["text"] = _("must be text")
    elif len(text) > TEXT_MAX:
        errors["text"] = _("at most %d characters") % TEXT_MAX
    out["text"] = text.strip() if isinstance(text, str) else ""
    address = kw["address"] or ""
    if not isinstance(address, str) or len(address) > ADDRESS_MAX:
        errors["address"] = _("at most %d characters") % ADDRESS_MAX
    out["address"] = address.strip() if isinstance(address, str) else ""
    if kw["channel"] not in _CHANNELS:
        errors["channel"] = _("unknown channel %s") % kw["channel"]
    if kw["priority"] not in _PRIORITIES:
        errors["priority"] = _("unknown priority %s") % kw["priority"]
    out["priority"] = kw["priority"]
    lon, lat = kw["lon"], kw["lat"]
    out["lon"] = out["lat"] = None
    if (lon is None) != (lat is None):
        errors["lon" if lon is None else "lat"] = _("give both longitude and latitude")
    elif lon is not None:
        try:
            lon, lat = float(lon), float(lat)
        except (TypeError, ValueError):
            errors["lon"] = _("longitude and latitude must be numbers")
        else:
            if not (math.isfinite(lon) and -180 <= lon <= 180):
                errors["lon"] = _("longitude must lie between -180 and 180")
            if not (math.isfinite(lat) and -90 <= lat <= 90):
                errors["lat"] = _("latitude must lie between -90 and 90")
            out["lon"], out["lat"] = lon, lat

    category = kw["category"]
    case_type = kw["case_type"]
    catalogue = reference.catalogue()
    out["category"] = None
    if isinstance(category, Category):
        out["category"] = category
    elif category:
        out["category"] = catalogue.active_category(str(category))
        if out["category"] is None:
            errors["category"] = _("unknown category %s") % category
    if isinstance(case_type, CaseType):
        out["case_type"] = case_type
    elif case_type:
        out["case_type"] = catalogue.active_type(str(case_type))
        if out["case_type"] is None:
            errors["case_type"] = _("unknown case type %s") % case_type
    elif out["category"] is not None:
        out["case_type"] = out["category"].case_type
    else:
        errors["case_type"] = _("give a case type or a category")
    if (
        out.get("category")
        and out.get("case_type")
        and out["category"].case_type_id != out["case_type"].pk
    ):
        errors["category"] = _("category %(category)s is not of case type %(type)s") % {
            "category": out["category"].code,
            "type": out["case_type"].code,
        }

    parties = []
    for i, p in enumerate(kw["parties"]):
        if not isinstance(p, dict):
            errors[f"parties[{i}]"] = _("must be an object")
            continue
        role = p.get("role", PartyRole.REPORTER)
        if role not in _PARTY_ROLES:
            errors[f"parties[{i}].role"] = _("unknown role %s") % role
        clean = {"role": role}
        for name, limit in (("name", 50), ("phone", 30), ("id_number", 18), ("email", 254)):
            value = p.get(name) or ""
            if not isinstance(value, str) or len(value) > limit:
                errors[f"parties[{i}].{name}"] = _("at most %d characters") % limit
            clean[name] = str(value).strip()
        if clean["phone"] and not all(c.isdigit() or c in "+- " for c in clean["phone"]):
            errors[f"parties[{i}].phone"] = _("only digits, spaces, + and -")
        if clean["email"]:
            try:
                validate_email(clean["email"])
            except ValidationError:
                errors[f"parties[{i}].email"] = _("not an e-mail address")
        parties.append(clean)
    out["parties"] = parties
    key = kw["client_key"]
    if (
        key is not None
        and "client_key" not in errors
        and (not isinstance(key, str) or not 1 <= len(key) <= STORED_KEY_MAX)
    ):
        errors["client_key"] = _("1 to %d characters") % STORED_KEY_MAX
    grid = kw["reporter_grid"]
    if grid and (
        not isinstance(grid, str) or len(grid) != 15 or not grid.isascii() or not grid.isdigit()
    ):
        errors["reporter_grid"] = _("a 15-digit grid code")
    received = kw["received_at"] or timezone.now()
    if timezone.is_naive(received):
        errors["received_at"] = _("must carry a time zone")
    out["received_at"] = received
    if errors:
        raise CaseInputError(errors)
    return out


def _locate(lon, lat, reporter_grid: str, actor) -> tuple[str, str, str]:
    """(grid code, area code, how it was located)."""
    from territory.locator import get_locator
    from territory.models import Area

    district = settings.PINGAN_DISTRICT_CODE
    if lon is not None:
        grid = get_locator().locate(lon, lat)
        if grid:
            return grid, grid, Location.LOCATED
        return "", district, Location.OUTSIDE
    if reporter_grid and Area.objects.filter(code=reporter_grid, level=Level.GRID).exists():
        return reporter_grid, reporter_grid, Location.REPORTER_GRID
    if actor is not None and actor.is_authenticated:
        grids = [c for c in access.scope_codes(actor, [Role.GRID_WORKER]) if len(c) == 15]
        if len(grids) == 1:
            return grids[0], grids[0], Location.REPORTER_GRID
    return "", district, Location.NO_POINT


def _can_intake(actor, area_code: str) -> bool:
    if not actor.is_authenticated:
        return True  # a resident or an integration: no territory to check
    roles = set(TRANSITIONS["accept"].roles) | {Role.HANDLER, Role.GRID_WORKER}
    return access.can_see_code(actor, area_code, roles)


def _take_numbers(district_code: str, year: int, count: int = 1) -> list[str]:
    """The next `count` case numbers of the district's year: 500103-2026-000123. One
    statement moves the counter; its row stays locked until the intake commits, so numbers
    never skip."""
    with connection.cursor() as cursor:
        cursor.execute(_NUMBERS_SQL, [count, district_code, year])
        row = cursor.fetchone()
        if row is None:  # the year's first case: make its counter (a racer may beat us)
            with transaction.atomic():
                CaseCounter.objects.get_or_create(district_code=district_code, year=year)
            cursor.execute(_NUMBERS_SQL, [count, district_code, year])
            row = cursor.fetchone()
    return _numbers(district_code, year, row[0], count)


_NUMBERS_SQL = (
    f"UPDATE {CaseCounter._meta.db_table} SET last = last + %s "
    "WHERE district_code = %s AND year = %s RETURNING last"
)


def _numbers(district_code: str, year: int, last: int, count: int) -> list[str]:
    """The `count` numbers up to the counter's new `last`."""
    return [f"{district_code}-{year}-{n:06d}" for n in range(last - count + 1, last + 1)]


def hash_public_code(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), code.upper().encode(), hashlib.sha256).hexdigest()


def check_public_code(case: Case, code: str) -> bool:
    return bool(code) and hmac.compare_digest(case.public_code_hash, hash_public_code(code))


# -- the transition machinery -------------------------------------------------------------
def _transition(
    case_id: int, action: str, actor, *, version: int | None, reason: str, resident: bool = False
) -> tuple[Case, Transition]:
    """Lock the case and check that `actor` may take `action` now. Call inside atomic()."""
    t = TRANSITIONS[action]
    try:
        case = Case.objects.select_for_update().get(pk=case_id)
    except Case.DoesNotExist as exc:
        raise CaseNotFound(_("no such case")) from exc
    if not resident:
        if actor is None or not actor.is_authenticated:
            raise ActionForbidden(_("log in to act on a case"))
        if not selectors.visible_cases(actor).filter(pk=case.pk).exists():
            raise CaseNotFound(_("no such case in your territory"))
        _check_role(case, t, actor)
    if version is not None and version != case.version:
        raise VersionConflict(
            _(
                "case %(number)s was changed by someone else (version %(now)d, you had "
                "%(yours)d): reload it"
            )
            % {"number": case.number, "now": case.version, "yours": version},
            field="version",
        )
    if case.status not in t.sources:
        raise TransitionNotAllowed(
            _("%(action)s is not allowed when the case is %(status)s")
            % {"action": action, "status": case.get_status_display()},
            field="status",
        )
    if (problem := refusal(reason)) is not None:  # every caller, not only the forms
        raise CaseInputError({"reason": problem})
    if t.needs_reason and not reason.strip():
        raise CaseInputError({"reason": _("required for %s") % action})
    if len(reason) > REASON_MAX:
        raise CaseInputError({"reason": _("at most %d characters") % REASON_MAX})
    return case, t


def _check_role(case: Case, t: Transition, actor) -> None:
    # The one role rule, shared with the pages and the API that offer actions.
    if permissions.may_take_role(actor, case, t):
        return
    if (
        t.not_resolver
        and case.status == Status.RESOLVED
        and not actor.is_superuser
        and permissions.resolved_by(actor, case)
    ):
        raise ActionForbidden(
            _("the unit that resolved this case may not %s it: someone else checks its work")
            % t.action,
            field="actor",
        )
    if t.own_unit:
        raise ActionForbidden(
            _("only a unit working this case may %s it") % t.action, field="actor"
        )
    raise ActionForbidden(_("your roles may not %s this case") % t.action, field="actor")


def _working_units(case: Case) -> list[int]:
    units = list(case.assignments.filter(ended_at__isnull=True).values_list("unit_id", flat=True))
    if case.owner_unit_id:
        units.append(case.owner_unit_id)
    return units


def _record(
    case: Case,
    kind: str,
    actor,
    from_status: str,
    to_status: str,
    reason: str,
    data: dict | None = None,
    *,
    at: datetime | None = None,
    actor_label: str = "",
) -> CaseEvent:
    seq = (case.events.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
    event = _event(
        case, seq, kind, actor, from_status, to_status, reason, data, at=at, actor_label=actor_label
    )
    event.save(force_insert=True)
    # The measures' rollups follow every event, in the same transaction (DESIGN §7).
    record_event(event, case)
    return event


def _event(
    case: Case,
    seq: int,
    kind: str,
    actor,
    from_status: str,
    to_status: str,
    reason: str,
    data: dict | None = None,
    *,
    at: datetime | None = None,
    actor_label: str = "",
) -> CaseEvent:
    """An event row, not yet saved: who (and for which unit), when, from, to, why."""
    unit = None
    if actor is not None and getattr(actor, "is_authenticated", False):
        unit, name = access.actor_profile(actor)
        actor_label = actor_label or name
    return CaseEvent(
        case=case,
        seq=seq,
        at=at or timezone.now(),
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_unit=unit,
        actor_label=actor_label,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        reason=strip_controls(reason),
        data=data or {},
    )


def _save(case: Case, fields: list[str]) -> None:
    case.version += 1
    case.save(update_fields=[*fields, "version", "updated_at"])


def _apply_deadline(case: Case, deadline: Deadline | None, *, now: datetime | None = None) -> None:
    """Set the due and warning points, and the deadline state as it stands at `now` (the
    event's time: an imported or replayed history is judged at its own moment)."""
    if deadline is None:
        case.due_at = case.warn_at = None
        case.calendar_known = True
        return
    case.due_at, case.warn_at = deadline.due_at, deadline.warn_at
    case.calendar_known = deadline.calendar_known
    now = now or timezone.now()
    case.deadline_state = (
        (
            DeadlineState.OVERDUE
            if now > deadline.due_at
            else DeadlineState.WARNING
            if now >= deadline.warn_at
            else DeadlineState.OK
        )
        if case.status not in (Status.CLOSED, Status.REJECTED, Status.MERGED)
        else case.deadline_state
    )


def _deadline_data(deadline: Deadline | None) -> dict:
    if deadline is None:
        return {}
    return {
        "due_at": deadline.due_at.isoformat(),
        "warn_at": deadline.warn_at.isoformat(),
        "calendar_known": deadline.calendar_known,
    }


def _policy(case: Case):
    return (
        case.category.effective_policy() if case.category else None
    ) or case.case_type.deadline_policy()


def _recompute_deadline(case: Case) -> Deadline | None:
    policy = _policy(case)
    if policy is None:
        return None
    pauses = [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in case.pauses]
    extensions = [e["amount"] for e in case.extensions]
    return compute_deadline(case.received_at, policy, pauses=pauses, extensions=extensions)


def _unit(unit: Unit | str | int | None, field_name: str = "unit") -> Unit:
    if isinstance(unit, Unit):
        return unit
    found = None
    if isinstance(unit, int) or (isinstance(unit, str) and unit.isascii() and unit.isdigit()):
        found = Unit.objects.filter(pk=int(unit), is_active=True).first()
    elif isinstance(unit, str) and unit:
        found = Unit.objects.filter(code=unit, is_active=True).first()
    if found is None:
        raise CaseInputError({field_name: _("unknown unit %s") % unit})
    return found


HISTORY_AGE = 86_400  # seconds: older events are history (imports, replays) and notify no one


def _notifies(at: datetime | None) -> bool:
    return at is None or (timezone.now() - at).total_seconds() <= HISTORY_AGE


def _notify_unit(unit: Unit, case: Case, subject: str, *, at: datetime | None = None) -> None:
    if _notifies(at):
        _notify_units([(unit, case)], subject)


def _notify_units(
    pairs: list[tuple[Unit, Case]], subject: str, *, into: list[Notification] | None = None
) -> None:
    """An in-app notice to each unit about its case, and one per configured medium to each
    of the unit's active people; written at once, or added to `into` for the caller."""
    rows = [] if into is None else into
    members: dict[int, set[int]] = {}
    if settings.PINGAN_NOTIFY_MEDIA:
        for unit_id, user_id in Membership.objects.filter(
            unit__in={u.pk for u, _c in pairs},
            is_active=True,
            person__is_active=True,
            person__user__isnull=False,
        ).values_list("unit_id", "person__user_id"):
            members.setdefault(unit_id, set()).add(user_id)
    for unit, case in pairs:
        text = (subject % {"number": case.number, "title": case.title})[:200]
        rows.append(Notification(unit=unit, case=case, subject=text))
        for medium in settings.PINGAN_NOTIFY_MEDIA:
            rows.extend(
                Notification(
                    recipient_id=user_id, unit=unit, case=case, medium=medium, subject=text
                )
                for user_id in sorted(members.get(unit.pk, ()))
            )
    if into is None:
        Notification.objects.bulk_create(rows)


# -- transitions: one function each ---------------------------------------------------------
def _simple(
    action: str,
    kind: str,
    case_id: int,
    actor,
    *,
    version,
    reason,
    at=None,
    data=None,
    resident=False,
    before=None,
) -> Case:
    with transaction.atomic():
        case, t = _transition(
            case_id, action, actor, version=version, reason=reason, resident=resident
        )
        if before is not None:
            before(case)
        from_status = case.status
        fields = []
        if t.to is not None:
            case.status = t.to
            fields.append("status")
        extra = data(case) if callable(data) else (data or {})
        fields += extra.pop("_fields", [])
        _save(case, fields)
        _record(
            case,
            kind,
            actor,
            from_status,
            case.status,
            reason,
            extra,
            at=at,
            actor_label=_("resident") if resident else "",
        )
        return case


def accept_case(
    case_id: int, *, actor, version: int | None = None, reason: str = "", at=None
) -> Case:
    return _simple(
        "accept", EventKind.ACCEPT, case_id, actor, version=version, reason=reason, at=at
    )


def reject_case(case_id: int, *, actor, reason: str, version: int | None = None, at=None) -> Case:
    def closing(case):
        case.closed_at = at or timezone.now()
        return {"_fields": ["closed_at"]}

    return _simple(
        "reject",
        EventKind.REJECT,
        case_id,
        actor,
        version=version,
        reason=reason,
        at=at,
        data=closing,
    )


def classify_case(
    case_id: int,
    *,
    actor,
    category: str | Category,
    version: int | None = None,
    reason: str = "",
    at=None,
) -> Case:
    """A person sets the category; their choice is kept as a training example."""
    with transaction.atomic():
        case, _t = _transition(case_id, "classify", actor, version=version, reason=reason)
        new = (
            category
            if isinstance(category, Category)
            else Category.objects.filter(code=str(category), is_active=True).first()
        )
        if new is None:
            raise CaseInputError({"category": _("unknown category %s") % category})
        if new.case_type_id != case.case_type_id:
            raise CaseInputError(
                {
                    "category": _("category %(category)s is not of case type %(type)s")
                    % {"category": new.code, "type": case.case_type.code}
                }
            )
        old = case.category.code if case.category else ""
        case.category = new
        deadline = _recompute_deadline(case)
        _apply_deadline(case, deadline, now=at)
        _save(case, ["category", "due_at", "warn_at", "calendar_known", "deadline_state"])
        first = case.events.filter(kind=EventKind.INTAKE).first()
        proposed = ((first.data.get("proposal") or {}).get("category") or "") if first else ""
        TrainingExample.objects.create(
            case=case, title=case.title, text=case.text, proposed=proposed, chosen=new
        )
        _record(
            case,
            EventKind.CLASSIFY,
            actor,
            case.status,
            case.status,
            reason,
            {"from": old, "to": new.code, "proposed": proposed},
            at=at,
        )
        return case


def assign_case(
    case_id: int,
    *,
    actor,
    unit: Unit | str | int | None = None,
    version: int | None = None,
    reason: str = "",
    at=None,
) -> Case:
    """Give the case to its lead unit (the routed owner unless another is named)."""
    with transaction.atomic():
        case, t = _transition(case_id, "assign", actor, version=version, reason=reason)
        lead = _unit(unit) if unit is not None else case.owner_unit
        if lead is None:
            raise CaseInputError({"unit": _("no unit given and none was routed")})
        now = at or timezone.now()
        case.assignments.filter(role=AssignmentRole.LEAD, ended_at__isnull=True).update(
            ended_at=now
        )
        Assignment.objects.create(
            case=case, unit=lead, role=AssignmentRole.LEAD, assigned_at=now, assigned_by=actor
        )
        from_status = case.status
        case.owner_unit, case.status = lead, t.to
        _save(case, ["owner_unit", "status"])
        _record(
            case,
            EventKind.ASSIGN,
            actor,
            from_status,
            case.status,
            reason,
            {"unit": lead.code, "unit_name": lead.name},
            at=now,
        )
        _notify_unit(lead, case, _("Case %(number)s assigned to your unit: %(title)s"), at=at)
        return case


def co_assign_case(
    case_id: int,
    *,
    actor,
    unit: Unit | str | int,
    version: int | None = None,
    reason: str = "",
    at=None,
) -> Case:
    with transaction.atomic():
        case, _t = _transition(case_id, "co_assign", actor, version=version, reason=reason)
        co = _unit(unit)
        if co.pk in _working_units(case):
            raise CaseInputError({"unit": _("%s already works this case") % co.name})
        now = at or timezone.now()
        Assignment.objects.create(
            case=case, unit=co, role=AssignmentRole.CO, assigned_at=now, assigned_by=actor
        )
        _save(case, [])
        _record(
            case,
            EventKind.CO_ASSIGN,
            actor,
            case.status,
            case.status,
            reason,
            {"unit": co.code, "unit_name": co.name},
            at=now,
        )
        _notify_unit(co, case, _("Your unit co-handles case %(number)s: %(title)s"), at=at)
        return case


def start_case(
    case_id: int, *, actor, version: int | None = None, reason: str = "", at=None
) -> Case:
    return _simple("start", EventKind.START, case_id, actor, version=version, reason=reason, at=at)


def resolve_case(
    case_id: int,
    *,
    actor,
    reason: str,
    outcome: str = Outcome.RESOLVED,
    version: int | None = None,
    at=None,
) -> Case:
    """The handler's result; `reason` is the account of what was done."""
    if outcome not in Outcome.values:
        raise CaseInputError({"outcome": _("unknown outcome %s") % outcome})

    def result(case):
        if case.paused_at:
            raise TransitionNotAllowed(_("resume the case before resolving it"), field="paused_at")
        case.outcome = outcome
        case.resolved_at = at or timezone.now()
        case.verified_at = None
        case.rating = ""
        return {"outcome": outcome, "_fields": ["outcome", "resolved_at", "verified_at", "rating"]}

    return _simple(
        "resolve",
        EventKind.RESOLVE,
        case_id,
        actor,
        version=version,
        reason=reason,
        at=at,
        data=result,
    )


def return_case(case_id: int, *, actor, reason: str, version: int | None = None, at=None) -> Case:
    """The unit hands the case back to dispatch: it is not theirs."""
    with transaction.atomic():
        case, t = _transition(case_id, "return", actor, version=version, reason=reason)
        now = at or timezone.now()
        case.assignments.filter(role=AssignmentRole.LEAD, ended_at__isnull=True).update(
            ended_at=now
        )
        from_status, old = case.status, case.owner_unit
        case.status = t.to
        center = routing.center_for(
            case.area_code, case.escalation_level or Level.DISTRICT
        ) or routing.center_for(case.area_code, Level.DISTRICT)
        case.owner_unit = center
        _save(case, ["status", "owner_unit"])
        _record(
            case,
            EventKind.RETURN,
            actor,
            from_status,
            case.status,
            reason,
            {"from_unit": old.code if old else None, "to_unit": center.code if center else None},
            at=now,
        )
        if center:
            _notify_unit(center, case, _("Case %(number)s was returned: %(title)s"), at=at)
        return case


def transfer_case(
    case_id: int, *, actor, unit: Unit | str | int, reason: str, version: int | None = None, at=None
) -> Case:
    with transaction.atomic():
        case, t = _transition(case_id, "transfer", actor, version=version, reason=reason)
        new = _unit(unit)
        if new.pk == case.owner_unit_id:
            raise CaseInputError({"unit": _("the case is already with %s") % new.name})
        now = at or timezone.now()
        case.assignments.filter(role=AssignmentRole.LEAD, ended_at__isnull=True).update(
            ended_at=now
        )
        Assignment.objects.create(
            case=case, unit=new, role=AssignmentRole.LEAD, assigned_at=now, assigned_by=actor
        )
        from_status, old = case.status, case.owner_unit
        case.owner_unit, case.status = new, t.to
        _save(case, ["owner_unit", "status"])
        _record(
            case,
            EventKind.TRANSFER,
            actor,
            from_status,
            case.status,
            reason,
            {"from_unit": old.code if old else None, "to_unit": new.code},
            at=now,
        )
        _notify_unit(new, case, _("Case %(number)s transferred to your unit: %(title)s"), at=at)
        return case


def escalate_case(case_id: int, *, actor, reason: str, version: int | None = None, at=None) -> Case:
    """One level up: grid → community → street → district (矛盾不上交 until it must)."""
    with transaction.atomic():
        case, t = _transition(case_id, "escalate", actor, version=version, reason=reason)
        current = case.escalation_level or Level.GRID
        up = routing.LEVEL_UP.get(current)
        while up is not None and len(case.area_code) < {
            Level.COMMUNITY: 12,
            Level.STREET: 9,
            Level.DISTRICT: 6,
        }.get(up, 0):
            up = routing.LEVEL_UP.get(up)
        if up is None:
            raise TransitionNotAllowed(
                _("the case is already at the district center"), field="escalation_level"
            )
        center = routing.center_for(case.area_code, up)
        if center is None:
            raise CaseInputError({"unit": _("no center at %s level for this case") % up})
        now = at or timezone.now()
        case.assignments.filter(ended_at__isnull=True).update(ended_at=now)
        from_status, old = case.status, case.owner_unit
        case.status, case.owner_unit, case.escalation_level = t.to, center, up
        case.escalations += 1
        _save(case, ["status", "owner_unit", "escalation_level", "escalations"])
        _record(
            case,
            EventKind.ESCALATE,
            actor,
            from_status,
            case.status,
            reason,
            {
                "from_level": current,
                "to_level": up,
                "from_unit": old.code if old else None,
                "to_unit": center.code,
            },
            at=now,
        )
        _notify_unit(center, case, _("Case %(number)s escalated to your center: %(title)s"), at=at)
        return case


def supervise_case(
    case_id: int, *, actor, reason: str, due_at: datetime, version: int | None = None, at=None
) -> Case:
    """督办: a leader orders the case followed, with its own deadline."""
    now = at or timezone.now()
    if due_at is None or timezone.is_naive(due_at) or due_at <= now:
        raise CaseInputError({"due_at": _("a future time with a time zone")})
    with transaction.atomic():
        case, _t = _transition(case_id, "supervise", actor, version=version, reason=reason)
        s = Supervision.objects.create(
            case=case, leader=actor, note=reason, due_at=due_at, created_at=now
        )
        _save(case, [])
        _record(
            case,
            EventKind.SUPERVISE,
            actor,
            case.status,
            case.status,
            reason,
            {"supervision": s.pk, "due_at": due_at.isoformat()},
            at=now,
        )
        if case.owner_unit:
            _notify_unit(
                case.owner_unit, case, _("Case %(number)s is under supervision: %(title)s"), at=at
            )
        return case


def request_extension(
    case_id: int, *, actor, amount: int, reason: str, version: int | None = None, at=None
) -> Case:
    if not isinstance(amount, int) or amount <= 0:
        raise CaseInputError({"amount": _("a positive whole number")})
    return _simple(
        "request_extension",
        EventKind.REQUEST_EXTENSION,
        case_id,
        actor,
        version=version,
        reason=reason,
        at=at,
        data={"amount": amount},
    )


def extend_case(
    case_id: int, *, actor, amount: int, reason: str, version: int | None = None, at=None
) -> Case:
    """Approve an extension: the new deadline within the policy's limits."""
    if not isinstance(amount, int) or amount <= 0:
        raise CaseInputError({"amount": _("a positive whole number")})
    with transaction.atomic():
        case, _t = _transition(case_id, "extend", actor, version=version, reason=reason)
        current = _recompute_deadline(case)
        if current is None:
            raise TransitionNotAllowed(_("this case has no deadline to extend"), field="deadline")
        try:
            new = extend_deadline(current, amount, extensions_so_far=len(case.extensions))
        except DeadlineError as exc:
            raise CaseInputError({"amount": str(exc)}) from exc
        now = at or timezone.now()
        case.extensions = [
            *case.extensions,
            {"amount": amount, "at": now.isoformat(), "by": actor.pk, "reason": reason},
        ]
        old_due = case.due_at
        _apply_deadline(case, new, now=now)
        _save(case, ["extensions", "due_at", "warn_at", "calendar_known", "deadline_state"])
        _record(
            case,
            EventKind.EXTEND,
            actor,
            case.status,
            case.status,
            reason,
            {
                "amount": amount,
                "from_due": old_due.isoformat() if old_due else None,
                "to_due": new.due_at.isoformat(),
            },
            at=now,
        )
        return case


def pause_case(case_id: int, *, actor, reason: str, version: int | None = None, at=None) -> Case:
    """Waiting on the resident: the deadline clock stops until `resume_case`."""

    def pausing(case):
        if case.paused_at:
            raise TransitionNotAllowed(_("the case is already paused"), field="paused_at")
        case.paused_at = at or timezone.now()
        return {"_fields": ["paused_at"]}

    return _simple(
        "pause",
        EventKind.PAUSE,
        case_id,
        actor,
        version=version,
        reason=reason,
        at=at,
        data=pausing,
    )


def resume_case(
    case_id: int, *, actor, version: int | None = None, reason: str = "", at=None
) -> Case:
    with transaction.atomic():
        case, _t = _transition(case_id, "resume", actor, version=version, reason=reason)
        if not case.paused_at:
            raise TransitionNotAllowed(_("the case is not paused"), field="paused_at")
        now = at or timezone.now()
        case.pauses = [*case.pauses, [case.paused_at.isoformat(), now.isoformat()]]
        paused_from = case.paused_at
        case.paused_at = None
        _apply_deadline(case, _recompute_deadline(case), now=now)
        _save(
            case, ["pauses", "paused_at", "due_at", "warn_at", "calendar_known", "deadline_state"]
        )
        _record(
            case,
            EventKind.RESUME,
            actor,
            case.status,
            case.status,
            reason,
            {
                "paused_from": paused_from.isoformat(),
                "due_at": case.due_at.isoformat() if case.due_at else None,
            },
            at=now,
        )
        return case


def merge_case(
    case_id: int, *, actor, into: str, reason: str, version: int | None = None, at=None
) -> Case:
    """The case is the same problem as `into` (a case number); both histories are kept."""
    with transaction.atomic():
        case, t = _transition(case_id, "merge", actor, version=version, reason=reason)
        try:
            target = selectors.get_case(actor, number=into)
        except CaseNotFound as exc:
            raise CaseInputError({"into": _("no case %s in your territory") % into}) from exc
        if target.pk == case.pk or not target.is_open or target.merged_into_id:
            raise CaseInputError({"into": _("merge into another open case")})
        now = at or timezone.now()
        from_status = case.status
        case.status, case.merged_into, case.closed_at = t.to, target, now
        _save(case, ["status", "merged_into", "closed_at"])
        _record(
            case,
            EventKind.MERGE,
            actor,
            from_status,
            case.status,
            reason,
            {"into": target.number},
            at=now,
        )
        Case.objects.filter(pk=target.pk).update(version=F("version") + 1)
        _record(
            target,
            EventKind.COMMENT,
            actor,
            target.status,
            target.status,
            _("case %s merged into this one") % case.number,
            {"merged": case.number},
            at=now,
        )
        return case


def verify_case(
    case_id: int,
    *,
    actor,
    passed: bool = True,
    reason: str = "",
    version: int | None = None,
    at=None,
) -> Case:
    """核查: on-site check of the result. A failed check sends the case back to work."""
    if passed:

        def verified(case):
            if case.verified_at:
                raise TransitionNotAllowed(_("the case is already verified"), field="verified_at")
            case.verified_at = at or timezone.now()
            return {"passed": True, "_fields": ["verified_at"]}

        return _simple(
            "verify",
            EventKind.VERIFY,
            case_id,
            actor,
            version=version,
            reason=reason,
            at=at,
            data=verified,
        )

    def failed(case):
        case.rework_count += 1
        case.verified_at = None
        case.resolved_at = None
        return {"passed": False, "_fields": ["rework_count", "verified_at", "resolved_at"]}

    return _simple(
        "verify_failed",
        EventKind.VERIFY_FAILED,
        case_id,
        actor,
        version=version,
        reason=reason,
        at=at,
        data=failed,
    )


def rate_case(
    case_id: int,
    *,
    actor=None,
    rating: str,
    comment: str = "",
    method: str = FeedbackMethod.ONLINE,
    public_code: str = "",
    version: int | None = None,
    at=None,
) -> Case:
    """The resident's rating (on the public page with their code, or taken by phone/visit).

    An unsatisfied rating reopens the case: it is closed only when the resident is satisfied
    (or could not be reached)."""
    if rating not in Rating.values:
        raise CaseInputError({"rating": _("one of %s") % ", ".join(Rating.values)})
    if method not in FeedbackMethod.values:
        raise CaseInputError({"method": _("unknown method %s") % method})
    if len(comment) > 2000:
        raise CaseInputError({"comment": _("at most %d characters") % 2000})
    resident = actor is None or not actor.is_authenticated
    with transaction.atomic():
        if resident:
            case = Case.objects.select_for_update().filter(pk=case_id).first()
            if case is None or not check_public_code(case, public_code):
                raise CaseNotFound(_("no case with that number and code"))
        case, _t = _transition(
            case_id, "rate", actor, version=version, reason="", resident=resident
        )
        if case.rating:
            raise TransitionNotAllowed(_("this result is already rated"), field="rating")
        now = at or timezone.now()
        Feedback.objects.create(
            case=case,
            rating=rating,
            comment=comment,
            method=method,
            recorded_by=None if resident else actor,
            at=now,
        )
        case.rating = rating
        _save(case, ["rating"])
        _record(
            case,
            EventKind.RATE,
            None if resident else actor,
            case.status,
            case.status,
            comment,
            {"rating": rating, "method": method},
            at=now,
            actor_label=_("resident") if resident else "",
        )
    if rating == Rating.UNSATISFIED:
        _reopen(
            case.pk,
            actor=None if resident else actor,
            system=True,
            at=at,
            reason=_("the resident is not satisfied: %s") % (comment or "—"),
        )
        case.refresh_from_db()
    return case


def record_contact_failed(
    case_id: int,
    *,
    actor,
    reason: str,
    method: str = FeedbackMethod.CALL,
    version: int | None = None,
    at=None,
) -> Case:
    """回访 failed: the resident could not be reached; recorded so the case can close."""
    if method not in (FeedbackMethod.CALL, FeedbackMethod.VISIT):
        raise CaseInputError({"method": _("call or visit")})
    with transaction.atomic():
        case, _t = _transition(case_id, "contact_failed", actor, version=version, reason=reason)
        now = at or timezone.now()
        Feedback.objects.create(
            case=case, method=method, contact_failed=True, comment=reason, recorded_by=actor, at=now
        )
        _save(case, [])
        _record(
            case,
            EventKind.CONTACT_FAILED,
            actor,
            case.status,
            case.status,
            reason,
            {"method": method},
            at=now,
        )
        return case


def reopen_case(case_id: int, *, actor, reason: str, version: int | None = None, at=None) -> Case:
    return _reopen(case_id, actor=actor, reason=reason, version=version, at=at)


def _reopen(
    case_id: int, *, actor, reason: str, version=None, at=None, system: bool = False
) -> Case:
    def reopening(case):
        case.reopen_count += 1
        case.verified_at = None
        case.resolved_at = None
        case.closed_at = None
        case.rating = ""
        return {"_fields": ["reopen_count", "verified_at", "resolved_at", "closed_at", "rating"]}

    return _simple(
        "reopen",
        EventKind.REOPEN,
        case_id,
        actor,
        version=version,
        reason=reason,
        at=at,
        data=reopening,
        resident=system,
    )


def close_case(
    case_id: int, *, actor, version: int | None = None, reason: str = "", at=None
) -> Case:
    """Closing needs verification and a rating (or a recorded failed contact)."""

    def closing(case):
        if not case.verified_at:
            raise TransitionNotAllowed(_("verify the result before closing"), field="verified_at")
        contact_failed = case.feedback.filter(
            contact_failed=True, at__gte=case.resolved_at
        ).exists()
        if not case.rating and not contact_failed:
            raise TransitionNotAllowed(
                _("record the resident's rating (or a failed contact) before closing"),
                field="rating",
            )
        if case.rating == Rating.UNSATISFIED:
            raise TransitionNotAllowed(_("the resident is not satisfied"), field="rating")
        case.closed_at = at or timezone.now()
        on_time = case.due_at is None or case.closed_at <= case.due_at
        return {"on_time": on_time, "_fields": ["closed_at"]}

    return _simple(
        "close",
        EventKind.CLOSE,
        case_id,
        actor,
        version=version,
        reason=reason,
        at=at,
        data=closing,
    )


def comment_case(case_id: int, *, actor, reason: str, version: int | None = None, at=None) -> Case:
    if not reason.strip():
        raise CaseInputError({"reason": _("required")})
    return _simple(
        "comment", EventKind.COMMENT, case_id, actor, version=version, reason=reason, at=at
    )


def mark_notifications_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the user's units' in-app notifications read (all unread when `ids` is None)."""
    qs = selectors.unit_notifications(user).filter(read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return Notification.objects.filter(pk__in=list(qs.values_list("pk", flat=True))).update(
        read_at=timezone.now()
    )


# -- personal data ----------------------------------------------------------------------------
PERSONAL_FIELDS = ("name", "phone", "id_number", "email")


def reveal_party(
    party_id: int, *, actor, reason: str, fields: tuple[str, ...] = PERSONAL_FIELDS
) -> dict[str, str]:
    """Unmask a party's data on purpose, for a role holding the unmask right on the case's
    type (org/policy.py: in its territory, or for a unit working the case); audited."""
    if not reason.strip():
        raise CaseInputError({"reason": _("say why you need to see it")})
    if any(f not in PERSONAL_FIELDS for f in fields):
        raise CaseInputError({"fields": _("only %s") % ", ".join(PERSONAL_FIELDS)})
    party = Party.objects.select_related("case").filter(pk=party_id).first()
    if party is None or not selectors.visible_cases(actor).filter(pk=party.case_id).exists():
        raise CaseNotFound(_("no such party in your territory"))
    if not selectors.holds(actor, party.case, policy.UNMASK):
        raise ActionForbidden(_("your role may not see personal data here"), field="actor")
    with transaction.atomic():
        PersonalDataAccess.objects.create(
            party=party, user=actor, fields=",".join(fields), reason=reason[:200]
        )
        _record(
            party.case,
            EventKind.REVEAL,
            actor,
            party.case.status,
            party.case.status,
            reason[:200],
            {"party": party.pk, "fields": list(fields)},
        )
    return {f: getattr(party, f) for f in fields}


# -- the deadline sweep ------------------------------------------------------------------------
def sweep_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Mark cases due soon and overdue. A conditional update per case means two sweeps
    running at once never mark (or notify) the same case twice."""
    now = now or timezone.now()
    open_statuses = [Status.RECEIVED, Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS]
    counts = {"warning": 0, "overdue": 0}
    steps = [
        (
            DeadlineState.OVERDUE,
            "overdue",
            EventKind.OVERDUE,
            {"due_at__lt": now},
            [DeadlineState.OK, DeadlineState.WARNING],
        ),
        (
            DeadlineState.WARNING,
            "warning",
            EventKind.DEADLINE_WARNING,
            {"warn_at__lte": now, "due_at__gte": now},
            [DeadlineState.OK],
        ),
    ]
    for state, key, kind, when, from_states in steps:
        ids = list(
            Case.objects.filter(
                status__in=open_statuses,
                deadline_state__in=from_states,
                paused_at__isnull=True,
                **when,
            ).values_list("pk", flat=True)[:5000]
        )
        for pk in ids:
            with transaction.atomic():
                won = Case.objects.filter(pk=pk, deadline_state__in=from_states).update(
                    deadline_state=state, version=F("version") + 1
                )
                if not won:
                    continue  # another sweep got there first
                case = Case.objects.select_related("owner_unit").get(pk=pk)
                _record(
                    case,
                    kind,
                    None,
                    case.status,
                    case.status,
                    "",
                    {"due_at": case.due_at.isoformat() if case.due_at else None},
                    at=now,
                    actor_label=_("deadline sweep"),
                )
                if case.owner_unit:
                    subject = (
                        _("Case %(number)s is overdue: %(title)s")
                        if state == DeadlineState.OVERDUE
                        else _("Case %(number)s is due soon: %(title)s")
                    )
                    _notify_unit(case.owner_unit, case, subject)
                counts[key] += 1
    return counts


ACTIONS: dict[str, Callable[..., Case]] = {
    "accept": accept_case,
    "reject": reject_case,
    "classify": classify_case,
    "assign": assign_case,
    "co_assign": co_assign_case,
    "start": start_case,
    "resolve": resolve_case,
    "return": return_case,
    "transfer": transfer_case,
    "escalate": escalate_case,
    "supervise": supervise_case,
    "request_extension": request_extension,
    "extend": extend_case,
    "pause": pause_case,
    "resume": resume_case,
    "merge": merge_case,
    "verify": verify_case,
    "verify_failed": lambda case_id, **kw: verify_case(case_id, passed=False, **kw),
    "rate": rate_case,
    "contact_failed": record_contact_failed,
    "reopen": reopen_case,
    "close": close_case,
    "comment": comment_case,
}
