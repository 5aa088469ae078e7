"""Every read of crowd data for a user, scoped by territory (org.access), and the board's data.

A venue belongs to an area: whoever holds a crowd role over that area sees the venue,
its zones, alerts and the responders around it. Anything else answers "not found".
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

import shapely
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from crowd.choices import ACK_KINDS, ResponderStatus
from crowd.errors import CrowdNotFound
from crowd.models import Alert, Dispatch, Responder, Venue, Zone, ZoneState
from org import access
from org.choices import Role

# Who works the board (acknowledge, dispatch, ingest) and who may also watch it.
WRITE_ROLES = (Role.CROWD_OPERATOR, Role.LEADER, Role.ADMINISTRATOR)
READ_ROLES = (*WRITE_ROLES, Role.DISPATCHER)
# Responders drawn on a venue's board: those within this distance of its centre.
BOARD_RADIUS_M = 1500.0
# Coverage is recomputed at most this often (seconds) unless a responder changed.
COVERAGE_TTL_S = 30.0


def visible_venues(user, roles=READ_ROLES):
    return access.restrict(
        Venue.objects.filter(is_active=True).select_related("area"),
        user,
        field="area__code",
        roles=roles,
    )


def get_venue(user, key: str | int, roles=READ_ROLES) -> Venue:
    """A venue by code or id inside the user's territory, else CrowdNotFound."""
    qs = visible_venues(user, roles)
    key = str(key)
    numeric = (
        key.isascii() and key.isdigit() and len(key) < 19
    )  # int() would read '²' or Arabic-Indic digits
    venue = qs.filter(Q(code=key) | Q(pk=int(key)) if numeric else Q(code=key)).first()
    if venue is None:
        raise CrowdNotFound()
    return venue


def get_alert(user, alert_id: int, roles=READ_ROLES) -> Alert:
    alert = (
        Alert.objects.select_related("venue__area", "zone", "sensor", "case")
        .filter(access.scope_q("venue__area__code", access.scope_codes(user, roles)))
        .filter(pk=alert_id)
        .first()
    )
    if alert is None:
        raise CrowdNotFound()
    return alert


def get_dispatch(user, dispatch_id: int, roles=READ_ROLES) -> Dispatch:
    dispatch = (
        Dispatch.objects.select_related("venue__area", "responder", "alert")
        .filter(access.scope_q("venue__area__code", access.scope_codes(user, roles)))
        .filter(pk=dispatch_id)
        .first()
    )
    if dispatch is None:
        raise CrowdNotFound()
    return dispatch


def get_responder(user, responder_id: int, roles=READ_ROLES) -> Responder:
    responder = (
        Responder.objects.select_related("area")
        .filter(access.scope_q("area__code", access.scope_codes(user, roles)))
        .filter(pk=responder_id)
        .first()
    )
    if responder is None:
        raise CrowdNotFound()
    return responder


def can_write(user, venue: Venue) -> bool:
    return access.can_see_code(user, venue.area.code, WRITE_ROLES)


# ---------------------------------------------------------------------------- data


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def epoch_to_datetime(t: float) -> datetime:
    return datetime.fromtimestamp(round(t, 6), tz=UTC)


def zone_data(zone: Zone) -> dict:
    return {
        "id": zone.pk,
        "code": zone.code,
        "name": zone.name,
        "kind": zone.kind,
        "geometry": zone.polygon,
        "center": [zone.center_lon, zone.center_lat],
        "usable_area_m2": zone.usable_area_m2,
        "thresholds": list(zone.thresholds),
        "exits": [
            {"name": e.name, "width_m": e.width_m, "lon": e.lon, "lat": e.lat}
            for e in zone.exits.all()
        ],
    }


def state_data(
    zone_id: int,
    ts: datetime,
    occupancy: float,
    std: float,
    density: float,
    level: int,
    net_rate: float,
    forecast_min: float | None,
    next_level: int | None = None,
) -> dict:
    return {
        "zone": zone_id,
        "t": iso(ts),
        "occupancy": round(occupancy),
        "std": round(std, 1),
        "density": round(density, 2),
        "level": level,
        "net_rate": round(net_rate, 2),
        "forecast_min": None if forecast_min is None else round(forecast_min, 1),
        "next_level": next_level,
    }


def alert_data(alert: Alert) -> dict:
    case = alert.case if alert.case_id else None
    by = alert.acknowledged_by
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "level": alert.level,
        "previous_level": alert.previous_level,
        "zone": alert.zone_id,
        "zone_name": alert.zone.name if alert.zone_id else None,
        "sensor": alert.sensor.code if alert.sensor_id else None,
        "density": None if alert.density is None else round(alert.density, 2),
        "minutes": None if alert.minutes is None else round(alert.minutes, 1),
        "raised_at": iso(alert.raised_at),
        "created_at": iso(alert.created_at),
        "acknowledged_at": iso(alert.acknowledged_at),
        "acknowledged_by": (getattr(getattr(by, "person", None), "name", None) or by.get_username())
        if by is not None
        else None,
        "cleared_at": iso(alert.cleared_at),
        "needs_ack": alert.needs_ack,
        "case": {"id": case.pk, "number": case.number} if case is not None else None,
    }


def responder_data(r: Responder) -> dict:
    return {
        "id": r.pk,
        "code": r.code,
        "name": r.name,
        "kind": r.kind,
        "mobility": r.mobility,
        "lon": r.lon,
        "lat": r.lat,
        "status": r.status,
        "team_size": r.team_size,
    }


def dispatch_data(d: Dispatch) -> dict:
    return {
        "id": d.pk,
        "alert": d.alert_id,
        "case": d.case_id,
        "responder": d.responder_id,
        "responder_name": d.responder.name,
        "distance_m": round(d.distance_m),
        "travel_s": round(d.travel_s),
        "dispatched_at": iso(d.dispatched_at),
        "acknowledged_at": iso(d.acknowledged_at),
        "on_scene_at": iso(d.on_scene_at),
        "cleared_at": iso(d.cleared_at),
        "acknowledge_s": d.acknowledge_s,
        "response_s": d.response_s,
    }


def latest_states(venue: Venue) -> dict[int, ZoneState]:
    latest = ZoneState.objects.filter(zone=OuterRef("zone")).order_by("-ts").values("pk")[:1]
    rows = ZoneState.objects.filter(zone__venue=venue, pk=Subquery(latest))
    return {s.zone_id: s for s in rows}


def board_alerts(venue: Venue, limit: int = 50) -> list[Alert]:
    """Open alerts and those still waiting for an acknowledgement, newest first."""
    return list(
        Alert.objects.filter(venue=venue)
        .filter(Q(cleared_at__isnull=True) | Q(kind__in=ACK_KINDS, acknowledged_at__isnull=True))
        .select_related("zone", "sensor", "case", "acknowledged_by__person")
        .order_by("-raised_at", "-pk")[:limit]
    )


def district_code(venue: Venue) -> str:
    return venue.area.code[:6]


def board_responders(venue: Venue) -> list[Responder]:
    """Responders near the venue, and any sent to it from further away."""
    dlat = BOARD_RADIUS_M / 111_195.0
    dlon = dlat / max(0.2, math.cos(math.radians(venue.center_lat)))
    near = Q(
        lon__range=(venue.center_lon - dlon, venue.center_lon + dlon),
        lat__range=(venue.center_lat - dlat, venue.center_lat + dlat),
    )
    sent = Q(dispatches__venue=venue, dispatches__cleared_at__isnull=True)
    return list(
        Responder.objects.filter(area__code__startswith=district_code(venue))
        .filter(near | sent)
        .distinct()
        .order_by("code")
    )


def open_dispatches(venue: Venue) -> list[Dispatch]:
    return list(
        Dispatch.objects.filter(venue=venue, cleared_at__isnull=True)
        .select_related("responder")
        .order_by("-dispatched_at")
    )


def response_stats(venue: Venue, since: timedelta = timedelta(hours=12)) -> dict:
    """Acknowledgement and response times, measured from the dispatches and alerts."""
    start = timezone.now() - since
    ds = list(Dispatch.objects.filter(venue=venue, dispatched_at__gte=start))
    acks = [d.acknowledge_s for d in ds if d.acknowledge_s is not None]
    ons = [d.response_s for d in ds if d.response_s is not None]
    alert_acks = [
        (a.acknowledged_at - a.created_at).total_seconds()
        for a in Alert.objects.filter(
            venue=venue, created_at__gte=start, acknowledged_at__isnull=False, kind__in=ACK_KINDS
        )
    ]

    def median(values):
        return round(statistics.median(values), 1) if values else None

    return {
        "dispatches": len(ds),
        "dispatch_ack_median_s": median(acks),
        "on_scene_median_s": median(ons),
        "alert_ack_median_s": median(alert_acks),
        "alert_ack_within_60s": (
            round(sum(1 for s in alert_acks if s <= 60) / len(alert_acks), 3)
            if alert_acks
            else None
        ),
    }


_coverage_cache: dict[str, tuple[float, tuple, dict]] = {}
_coverage_lock = threading.Lock()


def coverage(venue: Venue) -> dict:
    """Share of the venue's district reachable within 1 and 3 minutes by available units."""
    from crowd.dispatch import Dispatcher
    from crowd.dispatch import Responder as Unit
    from crowd.geo import LocalProjection
    from territory.models import Area

    code = district_code(venue)
    rows = list(
        Responder.objects.filter(
            area__code__startswith=code, status=ResponderStatus.AVAILABLE
        ).values_list("code", "mobility", "lon", "lat")
    )
    key = (len(rows), hash(tuple(rows)))
    now = time.monotonic()
    with _coverage_lock:
        cached = _coverage_cache.get(code)
        if cached and cached[1] == key and now - cached[0] < COVERAGE_TTL_S:
            return cached[2]
    district = Area.objects.filter(code=code).first()
    if district is None:
        return {"within_60s": None, "within_180s": None, "available": len(rows)}
    if not rows:
        data = {"within_60s": 0.0, "within_180s": 0.0, "available": 0}
        with _coverage_lock:
            _coverage_cache[code] = (now, key, data)
        return data
    geom = shapely.geometry.shape(district.geometry)
    projection = LocalProjection(district.centroid_lon, district.centroid_lat)
    dispatcher = Dispatcher(
        [Unit(c, m, lon, lat) for c, m, lon, lat in rows], projection=projection
    )
    cov = dispatcher.coverage(geom, within_s=(60.0, 180.0), spacing_m=50.0)
    data = {
        "within_60s": round(cov.within[60.0], 4),
        "within_180s": round(cov.within[180.0], 4),
        "available": len(rows),
        "points": cov.points,
    }
    with _coverage_lock:
        _coverage_cache[code] = (now, key, data)
    return data


def venue_state(venue: Venue, *, live: dict | None = None) -> dict:
    """Everything a board shows, as JSON-ready data (the SSE stream's first event too).

    `live` are the running estimates of this process (crowd.services.live_updates), newer
    than the last stored snapshot."""
    zones = list(venue.zones.prefetch_related("exits").order_by("code"))
    stored = latest_states(venue)
    states = {}
    for z in zones:
        if live and z.pk in live:
            states[z.pk] = live[z.pk]
        elif z.pk in stored:
            s = stored[z.pk]
            states[z.pk] = state_data(
                z.pk,
                s.ts,
                s.occupancy,
                s.occupancy_std,
                s.density,
                s.level,
                s.net_rate,
                s.forecast_min,
            )
    return {
        "venue": {
            "id": venue.pk,
            "code": venue.code,
            "name": venue.name,
            "geometry": venue.polygon,
            "center": [venue.center_lon, venue.center_lat],
            "area": venue.area.code,
        },
        "zones": [zone_data(z) for z in zones],
        "states": list(states.values()),
        "alerts": [alert_data(a) for a in board_alerts(venue)],
        "responders": [responder_data(r) for r in board_responders(venue)],
        "dispatches": [dispatch_data(d) for d in open_dispatches(venue)],
        "coverage": coverage(venue),
        "stats": response_stats(venue),
        "clock": max((s["t"] for s in states.values() if s.get("t")), default=None),
    }
