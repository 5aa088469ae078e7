"""The crowd board pages: venue list, the live board, its SSE stream and its actions.

Thin like every view: parse, fetch through crowd.selectors, call one crowd.services
function, render. The stream sends the whole board state first, then every change as
it is committed (alerts, zone levels, responders), with a keep-alive comment every 15 s.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crowd import events, selectors, services
from crowd.choices import (
    AlertKind,
    DispatchStep,
    LevelChoice,
    Mobility,
    ResponderKind,
    ResponderStatus,
    ZoneKind,
)
from crowd.errors import CrowdError, CrowdNotFound

KEEPALIVE_S = 15.0
# A stream ends after this long and the browser reconnects (EventSource does so by
# itself): no connection lives for ever through proxies and restarts.
STREAM_MAX_S = 600.0


def _venue_or_404(request, venue: str):
    try:
        return selectors.get_venue(request.user, venue)
    except CrowdNotFound as exc:
        raise Http404(_("No such venue in your territory.")) from exc


@login_required
@require_GET
def venue_list(request):
    venues = list(selectors.visible_venues(request.user))
    if len(venues) == 1 and "all" not in request.GET:
        return redirect("crowd:board", venue=venues[0].code)
    return render(request, "crowd/venues.html", {"venues": venues})


def labels() -> dict:
    """Every word the board's script shows, translated here."""
    return {
        "level": {str(v): str(label) for v, label in LevelChoice.choices},
        "kind": {k: str(label) for k, label in AlertKind.choices},
        "status": {k: str(label) for k, label in ResponderStatus.choices},
        "responder_kind": {k: str(label) for k, label in ResponderKind.choices},
        "mobility": {k: str(label) for k, label in Mobility.choices},
        "zone_kind": {k: str(label) for k, label in ZoneKind.choices},
        "acknowledge": _("Acknowledge"),
        "acknowledged": _("Acknowledged"),
        "dispatch": _("Dispatch nearest"),
        "on_scene": _("On scene"),
        "clear": _("Clear"),
        "no_alerts": _("No open alerts."),
        "no_dispatches": _("Nobody dispatched."),
        "case": _("Case"),
        "persons": _("persons"),
        "per_m2": _("p/m²"),
        "min": _("min"),
        "to": _("to"),
        "live": _("live"),
        "reconnecting": _("reconnecting…"),
        "available": _("available"),
        "within_1": _("within 1 min"),
        "within_3": _("within 3 min"),
        "ack_median": _("median acknowledgement"),
        "on_scene_median": _("median time to scene"),
        "seconds": _("s"),
        "travel": _("travel"),
        "sensor": _("sensor"),
        "filling": _("filling"),
        "draining": _("draining"),
        "steady": _("steady"),
        "failed": _("The action failed."),
        "zone": _("zone"),
        "density": _("density"),
        "occupancy": _("occupancy"),
        "forecast": _("forecast"),
        "dispatched_at": _("dispatched"),
    }


@login_required
@require_GET
def board(request, venue: str):
    v = _venue_or_404(request, venue)
    state = selectors.venue_state(v, live=services.live_updates(v.pk))
    return render(
        request,
        "crowd/board.html",
        {
            "venue": v,
            "state": state,
            "labels": labels(),
            "wall": request.GET.get("wall") == "1",
            "time_zone": settings.TIME_ZONE,
            "can_write": selectors.can_write(request.user, v),
        },
    )


def _frames(sub: events.Subscription, first: bytes):
    try:
        yield b"retry: 3000\n\n" + first
        end = time.monotonic() + STREAM_MAX_S
        while time.monotonic() < end:
            frame = sub.get(timeout=KEEPALIVE_S)
            yield frame if frame is not None else b": keep-alive\n\n"
    finally:
        sub.close()


async def _aframes(sub: events.Subscription, first: bytes):
    try:
        yield b"retry: 3000\n\n" + first
        end = time.monotonic() + STREAM_MAX_S
        while time.monotonic() < end:
            frame = await sub.aget(timeout=KEEPALIVE_S)
            yield frame if frame is not None else b": keep-alive\n\n"
    finally:
        sub.close()


@login_required
@require_GET
def stream(request, venue: str):
    """text/event-stream: `state` first, then `alert`, `alerts`, `zones`, `responder`,
    `dispatch`, `coverage`, `stats` and `resync` events as they happen."""
    v = _venue_or_404(request, venue)
    # Subscribe before reading the state, so nothing falls between the two.
    sub = events.subscribe(v.pk)
    try:
        first = events.encode("state", selectors.venue_state(v, live=services.live_updates(v.pk)))
    except Exception:
        sub.close()
        raise
    # Under ASGI (uvicorn) the stream must be asynchronous or Django would read it whole
    # before sending; under WSGI (tests' live server, runserver) it must be a plain one.
    frames = _aframes(sub, first) if isinstance(request, ASGIRequest) else _frames(sub, first)
    response = StreamingHttpResponse(frames, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response


def _answer(request, v, data: dict | None = None, error: CrowdError | None = None):
    wants_json = "application/json" in request.headers.get("Accept", "")
    if error is not None:
        if wants_json:
            return JsonResponse(
                {"detail": error.message, "code": error.code, "errors": error.errors},
                status=error.status,
                json_dumps_params={"ensure_ascii": False},
            )
        if error.status == 404:
            raise Http404(error.message)
        return HttpResponse(error.message, status=error.status, content_type="text/plain")
    if wants_json:
        return JsonResponse(data or {}, json_dumps_params={"ensure_ascii": False})
    return redirect("crowd:board", venue=v.code)


@login_required
@require_POST
def acknowledge(request, venue: str, alert_id: int):
    v = _venue_or_404(request, venue)
    try:
        if selectors.get_alert(request.user, alert_id).venue_id != v.pk:
            raise CrowdNotFound()
        alert = services.acknowledge_alert(alert_id=alert_id, actor=request.user)
    except CrowdError as exc:
        return _answer(request, v, error=exc)
    return _answer(request, v, selectors.alert_data(selectors.get_alert(request.user, alert.pk)))


@login_required
@require_POST
def dispatch(request, venue: str, alert_id: int):
    v = _venue_or_404(request, venue)
    try:
        count = int(request.POST.get("count", "2"))
    except ValueError:
        return _answer(request, v, error=CrowdError(_("must be a whole number"), field="count"))
    try:
        if selectors.get_alert(request.user, alert_id).venue_id != v.pk:
            raise CrowdNotFound()
        made = services.dispatch_nearest(alert_id=alert_id, actor=request.user, count=count)
    except CrowdError as exc:
        return _answer(request, v, error=exc)
    return _answer(request, v, {"dispatches": [selectors.dispatch_data(d) for d in made]})


@login_required
@require_POST
def step(request, venue: str, dispatch_id: int, step: str):
    v = _venue_or_404(request, venue)
    step = step.replace("-", "_")
    try:
        if step not in DispatchStep.values:
            raise CrowdError(_("one of %s") % ", ".join(DispatchStep.values), field="step")
        if selectors.get_dispatch(request.user, dispatch_id).venue_id != v.pk:
            raise CrowdNotFound()
        d = services.step_dispatch(dispatch_id=dispatch_id, step=step, actor=request.user)
    except CrowdError as exc:
        return _answer(request, v, error=exc)
    return _answer(request, v, selectors.dispatch_data(d))
