"""/api/v1/crowd/: readings in, board state out, alerts acknowledged, responders dispatched.

Thin: parse, read through crowd.selectors (scoped by territory), write through
crowd.services. Authentication is the API's (a bearer token acting as its user, or the
web session); writes need a crowd operator, leader or administrator role over the venue.
"""

from functools import wraps
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from crowd import selectors, services
from crowd.choices import DispatchStep
from crowd.errors import CrowdError, CrowdInputError

router = Router()


class ErrorOut(Schema):
    detail: str
    code: str
    errors: dict[str, str] = Field(default_factory=dict)


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class ReadingsIn(Strict):
    readings: list[dict[str, Any]] = Field(
        description=(
            "Each reading: `sensor` (code) and `ts` (ISO 8601 with offset, or seconds since "
            "1970), then by the sensor's kind: counter `in`, `out` (+ `interval_s`); "
            "headcount `count` (+ `std`); positions `positions` [[lon, lat], …] — counted "
            "per zone and dropped. Validated whole: one bad reading and nothing is applied. "
            "A (sensor, ts) already stored is ignored."
        )
    )


class IngestOut(Schema):
    accepted: int
    duplicates: int
    late: int = Field(description="Stored, but too late to change the estimate.")
    alerts: list[int]


class DispatchIn(Strict):
    count: int = Field(2, ge=1, le=20)
    mobility: list[str] | None = Field(None, description="foot, bicycle, vehicle; all if empty")


class DutyIn(Strict):
    on_duty: bool


class VenueOut(Schema):
    id: int
    code: str
    name: str
    area: str


def _actor(request: HttpRequest):
    return getattr(request, "auth", None) or request.user


def answers(view):
    """CrowdError → the API's error shape `{"detail", "code", "errors"}` with its status."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except CrowdError as exc:
            return JsonResponse(
                {"detail": exc.message, "code": exc.code, "errors": exc.errors},
                status=exc.status,
                json_dumps_params={"ensure_ascii": False},
            )

    return wrapper


@router.post("/readings", response={200: IngestOut, **ERRORS}, summary="Ingest a batch of readings")
@answers
def post_readings(request: HttpRequest, payload: ReadingsIn):
    result = services.ingest_readings(readings=payload.readings, actor=_actor(request))
    return {
        "accepted": result.accepted,
        "duplicates": result.duplicates,
        "late": result.late,
        "alerts": result.alerts,
    }


@router.get("/venues", response={200: list[VenueOut], **ERRORS}, summary="Venues you may watch")
@answers
def list_venues(request: HttpRequest):
    return [
        {"id": v.pk, "code": v.code, "name": v.name, "area": v.area.code}
        for v in selectors.visible_venues(_actor(request))
    ]


@router.get(
    "/venues/{venue}/state",
    response={200: dict, **ERRORS},
    summary="Zones, levels, alerts, responders and coverage of a venue",
)
@answers
def venue_state(request: HttpRequest, venue: str):
    v = selectors.get_venue(_actor(request), venue)
    return selectors.venue_state(v, live=services.live_updates(v.pk))


@router.get(
    "/venues/{venue}/coverage",
    response={200: dict, **ERRORS},
    summary="Share of the district reachable within 1 and 3 minutes",
)
@answers
def venue_coverage(request: HttpRequest, venue: str):
    return selectors.coverage(selectors.get_venue(_actor(request), venue))


@router.post(
    "/alerts/{alert_id}/acknowledge", response={200: dict, **ERRORS}, summary="Acknowledge an alert"
)
@answers
def acknowledge(request: HttpRequest, alert_id: int):
    alert = services.acknowledge_alert(alert_id=alert_id, actor=_actor(request))
    return selectors.alert_data(selectors.get_alert(_actor(request), alert.pk))


@router.post(
    "/alerts/{alert_id}/dispatch",
    response={200: dict, **ERRORS},
    summary="Dispatch the nearest available responders by travel time",
)
@answers
def dispatch(request: HttpRequest, alert_id: int, payload: DispatchIn | None = None):
    payload = payload or DispatchIn()
    made = services.dispatch_nearest(
        alert_id=alert_id, actor=_actor(request), count=payload.count, mobility=payload.mobility
    )
    return {"dispatches": [selectors.dispatch_data(d) for d in made]}


@router.post(
    "/dispatches/{dispatch_id}/{step}",
    response={200: dict, **ERRORS},
    summary="A dispatched responder's step: acknowledge, on_scene or clear",
)
@answers
def dispatch_step(request: HttpRequest, dispatch_id: int, step: str):
    step = step.replace("-", "_")
    if step not in DispatchStep.values:
        raise CrowdInputError({"step": _("one of %s") % ", ".join(DispatchStep.values)})
    d = services.step_dispatch(dispatch_id=dispatch_id, step=step, actor=_actor(request))
    return selectors.dispatch_data(d)


@router.post(
    "/responders/{responder_id}/duty",
    response={200: dict, **ERRORS},
    summary="Put a responder on or off duty",
)
@answers
def responder_duty(request: HttpRequest, responder_id: int, payload: DutyIn):
    r = services.set_responder_duty(
        responder_id=responder_id, on_duty=payload.on_duty, actor=_actor(request)
    )
    return selectors.responder_data(r)
