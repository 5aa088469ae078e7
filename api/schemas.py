"""What goes in and out of /api/v1/: the schemas behind the OpenAPI document.

Limits repeat the services' own (imported, not copied) so a client sees them in the
document; the services validate again, so nothing depends on this layer alone.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict

from cases.choices import Channel, FeedbackMethod, Outcome, PartyRole, Priority, Rating, Status
from cases.services import ADDRESS_MAX, CLIENT_KEY_MAX, REASON_MAX, TEXT_MAX, TITLE_MAX
from pingan.text import clean_text


def _clean(value: str) -> str:
    return clean_text(value, "")  # the field's name comes from where pydantic found it


# Free text in: a NUL or a lone surrogate is refused (400 naming the field), other control
# characters are stripped (pingan/text.py).
Text = Annotated[str, AfterValidator(_clean)]
# The largest offset a page may start at (a database takes no more than 64-bit numbers).
OFFSET_MAX = 1_000_000_000


class Strict(Schema):
    """Inputs: an unexpected field is a mistake worth naming, not something to ignore."""

    model_config = ConfigDict(extra="forbid")


# -- errors -------------------------------------------------------------------------------
class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, in the caller's language.")
    code: str = Field(
        description="A stable machine code: invalid_input, not_found, "
        "forbidden, conflict, transition_not_allowed, "
        "unauthenticated, unknown_action."
    )
    errors: dict[str, str] = Field(
        default_factory=dict, description="Each field at fault and what is wrong with it."
    )


# -- small shared pieces --------------------------------------------------------------------
class Choice(Schema):
    value: str
    label: str


class Ref(Schema):
    code: str
    name: str


class UnitRef(Schema):
    id: int
    code: str
    name: str
    kind: str


class Page(Schema):
    count: int
    limit: int
    offset: int


# -- cases: reads -------------------------------------------------------------------------
class Ordering(StrEnum):
    RECEIVED_DESC = "-received_at"
    RECEIVED = "received_at"
    DUE = "due_at"
    DUE_DESC = "-due_at"
    UPDATED_DESC = "-updated_at"
    UPDATED = "updated_at"
    NUMBER = "number"
    NUMBER_DESC = "-number"


class CaseFilters(Strict):
    """The filters of `cases.selectors.filter_cases`, plus paging and ordering."""

    status: list[Status] | None = Field(None, description="One or more statuses.")
    case_type: Text | None = Field(None, max_length=30)
    category: Text | None = Field(
        None, max_length=60, description="A category code; includes its sub-categories."
    )
    area: str | None = Field(
        None, pattern=r"^[0-9]{6}([0-9]{3}){0,3}$", description="An area code: cases inside it."
    )
    channel: Channel | None = None
    priority: Priority | None = None
    overdue: bool | None = None
    received_from: date | None = None
    received_to: date | None = None
    q: Text | None = Field(None, max_length=100, description="Number, title or address contains.")
    ordering: Ordering = Ordering.RECEIVED_DESC
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=OFFSET_MAX)


class CaseSummaryOut(Schema):
    number: str
    title: str
    case_type: str
    category: str | None
    status: Status
    priority: Priority
    channel: Channel
    area_code: str
    grid_code: str
    owner_unit: UnitRef | None
    received_at: datetime
    due_at: datetime | None
    deadline_state: str
    version: int


class CaseListOut(Page):
    items: list[CaseSummaryOut]


class PartyOut(Schema):
    """A party with personal data masked (138****1234); unmask with POST /parties/{id}/reveal."""

    id: int
    role: PartyRole
    name: str
    phone: str
    id_number: str
    email: str = ""


class AssignmentOut(Schema):
    unit: UnitRef
    role: str
    assigned_at: datetime
    ended_at: datetime | None


class SupervisionOut(Schema):
    id: int
    leader: str
    note: str
    due_at: datetime
    created_at: datetime
    answered_at: datetime | None


class FeedbackOut(Schema):
    rating: str
    comment: str
    method: str
    contact_failed: bool
    at: datetime


class EventOut(Schema):
    seq: int
    at: datetime
    kind: str
    kind_label: str
    actor: str
    actor_unit: str | None
    from_status: str
    to_status: str
    reason: str
    data: dict[str, Any]


class CaseDetailOut(Schema):
    number: str
    title: str
    text: str
    case_type: Ref
    category: Ref | None
    category_confidence: float | None
    status: Status
    status_label: str
    channel: Channel
    priority: Priority
    lon: float | None
    lat: float | None
    address: str
    grid_code: str
    area_code: str
    location: str
    owner_unit: UnitRef | None
    escalation_level: str
    received_at: datetime
    due_at: datetime | None
    warn_at: datetime | None
    deadline_state: str
    calendar_known: bool
    paused_at: datetime | None
    extensions: list[dict[str, Any]]
    escalations: int
    reopen_count: int
    rework_count: int
    outcome: str
    verified_at: datetime | None
    rating: str
    resolved_at: datetime | None
    closed_at: datetime | None
    merged_into: str | None
    version: int
    updated_at: datetime
    parties: list[PartyOut]
    assignments: list[AssignmentOut]
    supervisions: list[SupervisionOut]
    feedback: list[FeedbackOut]
    events: list[EventOut]
    allowed_actions: list[str] = Field(
        description="Actions this caller may take now (POST /cases/{number}/actions/{action})."
    )


class ActionGoneOut(Schema):
    """The action succeeded but took the case out of the caller's sight (e.g. returned)."""

    number: str
    status: Status
    version: int
    visible: Literal[False] = False


# -- cases: intake -------------------------------------------------------------------------
class PartyIn(Strict):
    role: PartyRole = PartyRole.REPORTER
    name: Text = Field("", max_length=50)
    phone: Text = Field("", max_length=30)
    id_number: Text = Field("", max_length=18)
    email: Text = Field("", max_length=254)


class IntakeIn(Strict):
    title: Text = Field(..., min_length=1, max_length=TITLE_MAX)
    text: Text = Field("", max_length=TEXT_MAX)
    case_type: Text | None = Field(
        None, max_length=30, description="Needed unless a category is given."
    )
    category: Text | None = Field(
        None, max_length=60, description="Left out: the triage proposes one."
    )
    lon: float | None = Field(None, ge=-180, le=180, description="WGS-84 longitude.")
    lat: float | None = Field(None, ge=-90, le=90, description="WGS-84 latitude.")
    address: Text = Field("", max_length=ADDRESS_MAX)
    priority: Priority = Priority.NORMAL
    channel: Channel = Channel.ONLINE
    parties: list[PartyIn] = Field(default_factory=list, max_length=20)
    client_key: Text | None = Field(
        None,
        min_length=1,
        max_length=CLIENT_KEY_MAX,
        description="Idempotency key (or the Idempotency-Key header), your own: a retry with "
        "the same key and body answers 200 with the case already made; the same "
        "key with another body answers 422. Another caller's keys never meet "
        "yours.",
    )
    reporter_grid: str = Field(
        "", pattern=r"^([0-9]{15})?$", description="The reporter's grid when there is no point."
    )


class ProposalOut(Schema):
    category: str | None
    confidence: float
    reasons: list[str]
    alternatives: list[tuple[str, float]]
    source: str
    prefilled: bool


class DuplicateOut(Schema):
    number: str
    title: str
    similarity: float


class IntakeCaseOut(CaseSummaryOut):
    """The case as intake made it (GET /cases/{number} gives the whole of it)."""

    text: str
    category_confidence: float | None
    lon: float | None
    lat: float | None
    address: str
    location: str
    escalation_level: str
    warn_at: datetime | None
    parties: list[PartyOut]


class IntakeOut(Schema):
    case: IntakeCaseOut
    created: bool
    public_code: str | None = Field(
        description="The resident's code to follow and rate the case; given once, on creation."
    )
    proposal: ProposalOut | None
    duplicates: list[DuplicateOut]


# -- cases: actions -------------------------------------------------------------------------
REASON = Field(..., min_length=1, max_length=REASON_MAX)
OPTIONAL_REASON = Field("", max_length=REASON_MAX)
VERSION = Field(None, ge=1, description="The version you saw; a newer one answers 409.")
UNIT = Field(..., description="A unit's code or id (see GET /units).")


class ActionIn(Strict):
    version: int | None = VERSION
    reason: Text = OPTIONAL_REASON


class ReasonedActionIn(Strict):
    version: int | None = VERSION
    reason: Text = REASON


class ClassifyIn(ActionIn):
    category: Text = Field(..., min_length=1, max_length=60)


class AssignIn(ActionIn):
    unit: Text | int | None = Field(
        None, description="A unit's code or id; left out: the routed owner."
    )


class CoAssignIn(ActionIn):
    unit: Text | int = UNIT


class ResolveIn(ReasonedActionIn):
    outcome: Outcome = Outcome.RESOLVED


class TransferIn(ReasonedActionIn):
    unit: Text | int = UNIT


class SuperviseIn(ReasonedActionIn):
    due_at: datetime = Field(..., description="The supervision's own deadline, with a zone.")


class AmountIn(ReasonedActionIn):
    amount: int = Field(..., gt=0, le=365, description="In the case's deadline unit.")


class MergeIn(ReasonedActionIn):
    into: Text = Field(..., min_length=1, max_length=24, description="The other case's number.")


class VerifyIn(ActionIn):
    passed: bool = True


class RateIn(Strict):
    version: int | None = VERSION
    rating: Rating
    comment: Text = Field("", max_length=2000)
    method: FeedbackMethod = Field(FeedbackMethod.CALL, description="How the rating was taken.")


class ContactFailedIn(ReasonedActionIn):
    method: Literal["call", "visit"] = "call"


# Each action's body; `api/tests` checks every action of cases.services.ACTIONS is here.
ACTION_SCHEMAS: dict[str, type[Schema]] = {
    "accept": ActionIn,
    "reject": ReasonedActionIn,
    "classify": ClassifyIn,
    "assign": AssignIn,
    "co_assign": CoAssignIn,
    "start": ActionIn,
    "resolve": ResolveIn,
    "return": ReasonedActionIn,
    "transfer": TransferIn,
    "escalate": ReasonedActionIn,
    "supervise": SuperviseIn,
    "request_extension": AmountIn,
    "extend": AmountIn,
    "pause": ReasonedActionIn,
    "resume": ActionIn,
    "merge": MergeIn,
    "verify": VerifyIn,
    "verify_failed": ReasonedActionIn,
    "rate": RateIn,
    "contact_failed": ContactFailedIn,
    "reopen": ReasonedActionIn,
    "close": ActionIn,
    "comment": ReasonedActionIn,
}


class RevealIn(Strict):
    reason: Text = Field(
        ..., min_length=1, max_length=200, description="Why you need to see it (kept in the audit)."
    )
    fields: list[Literal["name", "phone", "id_number", "email"]] = Field(
        default_factory=lambda: ["name", "phone", "id_number", "email"]
    )


class RevealOut(Schema):
    party: int
    name: str | None = None
    phone: str | None = None
    id_number: str | None = None
    email: str | None = None


# -- inbox, catalogue, units ------------------------------------------------------------------
class InboxBoxOut(Schema):
    key: str
    label: str
    count: int
    items: list[CaseSummaryOut]


class InboxOut(Schema):
    boxes: list[InboxBoxOut]


class CaseTypeOut(Schema):
    code: str
    name: str
    deadline_amount: int | None
    deadline_unit: str


class CategoryNode(Schema):
    code: str
    name: str
    case_type: str
    children: list[CategoryNode] = Field(default_factory=list)


class CatalogueOut(Schema):
    case_types: list[CaseTypeOut]
    categories: list[CategoryNode]
    channels: list[Choice]
    priorities: list[Choice]
    statuses: list[Choice]
    outcomes: list[Choice]
    ratings: list[Choice]
    actions: list[str]


class UnitOut(UnitRef):
    kind_label: str
    area_code: str
    area_name: str


class UnitListOut(Schema):
    count: int
    items: list[UnitOut]


# -- territory ---------------------------------------------------------------------------------
class AreaOut(Schema):
    code: str
    name: str
    level: str
    level_label: str
    parent: str | None
    centroid: tuple[float, float] = Field(description="(lon, lat), WGS-84.")
    bbox: tuple[float, float, float, float] = Field(
        description="min lon, min lat, max lon, max lat."
    )
    area_m2: float
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON, when asked for.")


class AreaDetailOut(AreaOut):
    lineage: list[Ref] = Field(description="From the top of your scope down to this area.")
    children_count: int


class AreaChildrenOut(Schema):
    area: Ref
    items: list[AreaOut]


class LocateOut(Schema):
    grid: Ref
    community: Ref | None
    street: Ref | None
    district: Ref | None
