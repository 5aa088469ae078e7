"""Every write of crowd data: venues and their layout, readings, alerts, dispatches.

Readings go through `ingest_readings`: every reading of a batch is validated before
anything is written; then, under the venue's runtime lock and one transaction, the new
readings are stored (a resent (sensor, ts) is ignored), fed to the venue's estimators,
and the resulting alerts and snapshots stored. Boards hear of it after commit. A
failure anywhere rolls the transaction back and drops the venue's in-memory state,
which is rebuilt from the last snapshots on the next batch.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

import numpy as np
import shapely
from django.conf import settings
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crowd import events, selectors
from crowd.alerts import AlertEvent
from crowd.choices import (
    AlertKind,
    DispatchStep,
    LevelChoice,
    Mobility,
    ResponderKind,
    ResponderStatus,
    SensorKind,
    ZoneKind,
)
from crowd.dispatch import DEFAULT_KINDS, Dispatcher
from crowd.dispatch import Responder as DispatchUnit
from crowd.errors import CrowdConflict, CrowdError, CrowdForbidden, CrowdInputError
from crowd.geo import LocalProjection
from crowd.levels import Level, validate_thresholds
from crowd.models import (
    Alert,
    Dispatch,
    Exit,
    Reading,
    Responder,
    Sensor,
    Venue,
    Zone,
    ZoneState,
)
from crowd.runtime import (
    VENUE_KEY,
    CleanReading,
    SensorSpec,
    VenueRuntime,
    ZoneSpec,
    ZoneUpdate,
)
from org import access

log = logging.getLogger(__name__)

MAX_BATCH = 20_000
MAX_POSITIONS = 1_000_000
# No gate passes, and no zone holds, ten million people in one reading.
MAX_COUNT = 10_000_000
# A reading stamped further ahead of the server's clock than this is refused.
MAX_FUTURE_S = 300.0
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
# An early warning nobody acted on lapses after its horizon.
EARLY_WARNING_TTL_S = 15 * 60.0
FIELDS = {
    SensorKind.COUNTER: {"sensor", "ts", "in", "out", "interval_s"},
    SensorKind.HEADCOUNT: {"sensor", "ts", "count", "std"},
    SensorKind.POSITIONS: {"sensor", "ts", "positions"},
}


def _require_write(actor, venue: Venue) -> None:
    if actor is not None and not selectors.can_write(actor, venue):
        raise CrowdForbidden(_("Your role may watch this venue but not act on it."))


def _bump_layout(venue_id: int) -> None:
    Venue.objects.filter(pk=venue_id).update(layout_version=F("layout_version") + 1)


def mark_layout_changed(*, venue_id: int) -> None:
    """Zones, exits or sensors were edited elsewhere (the admin): live processes rebuild."""
    _bump_layout(venue_id)


# ============================================================================ layout


def _polygon(geometry, name: str) -> shapely.Geometry:
    try:
        geom = shapely.geometry.shape(geometry)
    except Exception as exc:  # noqa: BLE001 - any malformed GeoJSON is the caller's error
        raise CrowdInputError({name: _("not a GeoJSON geometry")}) from exc
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty or not geom.is_valid:
        raise CrowdInputError({name: _("must be a valid polygon")})
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise CrowdInputError({name: _("coordinates must be longitude, latitude in WGS-84")})
    return geom


def geodesic_area_m2(geom: shapely.Geometry) -> float:
    c = geom.centroid
    return float(LocalProjection(c.x, c.y).geometry_to_xy(geom).area)


def create_venue(*, code: str, name: str, area, polygon: dict, actor=None) -> Venue:
    geom = _polygon(polygon, "polygon")
    if actor is not None and not access.can_see_code(actor, area.code, selectors.WRITE_ROLES):
        raise CrowdForbidden(_("The area lies outside your territory."))
    if Venue.objects.filter(code=code).exists():
        raise CrowdInputError({"code": _("a venue with this code exists")})
    c = geom.centroid
    return Venue.objects.create(
        code=code,
        name=name,
        area=area,
        polygon=shapely.geometry.mapping(geom),
        center_lon=c.x,
        center_lat=c.y,
    )


def add_zone(
    *,
    venue: Venue,
    code: str,
    name: str,
    polygon: dict,
    kind: str = ZoneKind.SQUARE,
    usable_area_m2: float | None = None,
    thresholds=None,
    exits: list[tuple[str, float]] = (),
) -> Zone:
    """A zone with its thresholds (four increasing p/m² values) and exits (name, width m)."""
    geom = _polygon(polygon, "polygon")
    errors = {}
    try:
        values = validate_thresholds(thresholds or (2.0, 3.0, 4.0, 5.0))
    except ValueError as exc:
        errors["thresholds"] = str(exc)
        values = None
    area = usable_area_m2 if usable_area_m2 is not None else geodesic_area_m2(geom)
    if not (isinstance(area, int | float) and math.isfinite(area) and area > 0):
        errors["usable_area_m2"] = _("must be a positive number")
    if kind not in ZoneKind.values:
        errors["kind"] = _("one of %s") % ", ".join(ZoneKind.values)
    for i, (_name, width) in enumerate(exits):
        if not (math.isfinite(width) and width > 0):
            errors[f"exits[{i}].width_m"] = _("must be a positive number")
    if Zone.objects.filter(venue=venue, code=code).exists():
        errors["code"] = _("this venue has a zone with this code")
    if errors:
        raise CrowdInputError(errors)
    c = geom.representative_point() if not geom.centroid.within(geom) else geom.centroid
    with transaction.atomic():
        zone = Zone.objects.create(
            venue=venue,
            code=code,
            name=name,
            kind=kind,
            polygon=shapely.geometry.mapping(geom),
            center_lon=c.x,
            center_lat=c.y,
            usable_area_m2=float(area),
            attention=values[0],
            caution=values[1],
            alert=values[2],
            serious=values[3],
        )
        Exit.objects.bulk_create([Exit(zone=zone, name=n, width_m=w) for n, w in exits])
        _bump_layout(venue.pk)
    return zone


def add_sensor(
    *,
    venue: Venue,
    code: str,
    kind: str,
    zone: Zone | None = None,
    from_zone: Zone | None = None,
    interval_s: float = 1.0,
    silent_after_s: float | None = None,
    headcount_std_share: float = 0.1,
    sample_share: float = 1.0,
) -> Sensor:
    errors = {}
    if kind not in SensorKind.values:
        errors["kind"] = _("one of %s") % ", ".join(SensorKind.values)
    if kind == SensorKind.COUNTER and zone is None and from_zone is None:
        errors["zone"] = _("a counter is bound to the zone it leads into, or out of")
    if kind == SensorKind.HEADCOUNT and zone is None:
        errors["zone"] = _("a headcount counts one zone")
    if kind == SensorKind.POSITIONS and (zone or from_zone):
        errors["zone"] = _("position samples cover the whole venue")
    for z, name in ((zone, "zone"), (from_zone, "from_zone")):
        if z is not None and z.venue_id != venue.pk:
            errors[name] = _("not a zone of this venue")
    if not 0 < sample_share <= 1:
        errors["sample_share"] = _("must lie in (0, 1]")
    if Sensor.objects.filter(code=code).exists():
        errors["code"] = _("a sensor with this code exists")
    if errors:
        raise CrowdInputError(errors)
    if silent_after_s is None:
        # Silent after missing about 30 reports, at least 30 s.
        silent_after_s = max(30.0, 30 * interval_s)
    with transaction.atomic():
        sensor = Sensor.objects.create(
            venue=venue,
            code=code,
            kind=kind,
            zone=zone,
            from_zone=from_zone,
            interval_s=interval_s,
            silent_after_s=silent_after_s,
            headcount_std_share=headcount_std_share,
            sample_share=sample_share,
        )
        _bump_layout(venue.pk)
    return sensor


def add_responder(
    *,
    code: str,
    name: str,
    kind: str,
    lon: float,
    lat: float,
    mobility: str = Mobility.FOOT,
    team_size: int = 2,
    unit=None,
    area=None,
) -> Responder:
    """A responder at (lon, lat) WGS-84; its area is the grid it stands in unless given."""
    from territory.locator import get_locator
    from territory.models import Area

    errors = {}
    if kind not in ResponderKind.values:
        errors["kind"] = _("one of %s") % ", ".join(ResponderKind.values)
    if mobility not in DEFAULT_KINDS:
        errors["mobility"] = _("one of %s") % ", ".join(DEFAULT_KINDS)
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        errors["lon"] = _("longitude must lie between -180 and 180")
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        errors["lat"] = _("latitude must lie between -90 and 90")
    if area is None and not errors:
        grid = get_locator().locate(lon, lat)
        area = Area.objects.filter(code=grid).first() if grid else None
        if area is None:
            errors["lon"] = _("the position lies in no grid; give its area")
    if not 1 <= team_size <= 100:
        errors["team_size"] = _("between 1 and 100")
    if errors:
        raise CrowdInputError(errors)
    return Responder.objects.create(
        code=code,
        name=name,
        kind=kind,
        mobility=mobility,
        lon=lon,
        lat=lat,
        area=area,
        team_size=team_size,
        unit=unit,
    )


def add_responders(specs: list[dict]) -> int:
    """Many responders at once (a district's 55 stations and 879 units), all or none.

    Each spec has add_responder's fields with `area` given; existing codes are kept
    as they are. Returns how many were created."""
    errors: dict[str, str] = {}
    existing = set(
        Responder.objects.filter(code__in=[s["code"] for s in specs]).values_list("code", flat=True)
    )
    rows = []
    for i, s in enumerate(specs):
        if s["code"] in existing:
            continue
        if s.get("kind") not in ResponderKind.values:
            errors[f"[{i}].kind"] = _("one of %s") % ", ".join(ResponderKind.values)
        if s.get("mobility", Mobility.FOOT) not in DEFAULT_KINDS:
            errors[f"[{i}].mobility"] = _("one of %s") % ", ".join(DEFAULT_KINDS)
        lon, lat = s.get("lon"), s.get("lat")
        if not (_number(lon) and -180 <= lon <= 180 and _number(lat) and -90 <= lat <= 90):
            errors[f"[{i}].lon"] = _("longitude and latitude must be finite and in range")
        if s.get("area") is None:
            errors[f"[{i}].area"] = _("required")
        rows.append(Responder(**{"mobility": Mobility.FOOT, **s}))
    if errors:
        raise CrowdInputError(errors)
    Responder.objects.bulk_create(rows, batch_size=500)
    return len(rows)


# ============================================================================ runtime

_runtimes: dict[int, VenueRuntime] = {}
_registry_lock = threading.Lock()


def _build_runtime(venue_id: int, version: int) -> VenueRuntime:
    venue = Venue.objects.get(pk=venue_id)
    zones = list(venue.zones.prefetch_related("exits"))
    specs = [
        ZoneSpec(
            key=str(z.pk),
            polygon=shapely.geometry.shape(z.polygon),
            usable_area_m2=z.usable_area_m2,
            thresholds=z.thresholds,
            exit_widths_m=tuple(e.width_m for e in z.exits.all()),
        )
        for z in zones
    ]
    sensors = [_sensor_spec(s) for s in venue.sensors.filter(is_active=True)]
    rt = VenueRuntime(venue.pk, version, (venue.center_lon, venue.center_lat), specs, sensors)
    if any(s.kind == SensorKind.POSITIONS for s in sensors):
        rt.zone_index()  # built now rather than on the first snapshot of positions
    # Warm start: each zone from its last snapshot, at the level of its open alert.
    open_levels = dict(
        Alert.objects.filter(
            venue=venue,
            kind__in=(AlertKind.RAISE, AlertKind.ESCALATE, AlertKind.DEESCALATE),
            cleared_at__isnull=True,
        )
        .order_by("raised_at")
        .values_list("zone_id", "level")
    )
    for zone_id, s in selectors.latest_states(venue).items():
        rt.restore(
            str(zone_id),
            s.ts.timestamp(),
            s.occupancy,
            s.occupancy_std,
            open_levels.get(zone_id, 0),
            s.density,
        )
    return rt


def _sensor_spec(s: Sensor) -> SensorSpec:
    return SensorSpec(
        code=s.code,
        pk=s.pk,
        kind=s.kind,
        zone=str(s.zone_id) if s.zone_id else None,
        from_zone=str(s.from_zone_id) if s.from_zone_id else None,
        interval_s=s.interval_s,
        silent_after_s=s.silent_after_s,
        std_share=s.headcount_std_share,
        sample_share=s.sample_share,
    )


def runtime_for(venue_id: int) -> VenueRuntime:
    """This process's live state of a venue, rebuilt when its layout changed."""
    version = Venue.objects.filter(pk=venue_id).values_list("layout_version", flat=True).first()
    if version is None:
        raise CrowdError(_("No such venue."))
    with _registry_lock:
        rt = _runtimes.get(venue_id)
        if rt is None or rt.version != version:
            rt = _runtimes[venue_id] = _build_runtime(venue_id, version)
        return rt


def drop_runtime(venue_id: int) -> None:
    with _registry_lock:
        _runtimes.pop(venue_id, None)


def drop_all_runtimes() -> None:
    with _registry_lock:
        _runtimes.clear()


def live_updates(venue_id: int) -> dict[int, dict]:
    """The running estimates of this process for a venue (newer than its snapshots)."""
    with _registry_lock:
        rt = _runtimes.get(venue_id)
    if rt is None or not rt.started:
        return {}
    with rt.lock:
        out = {}
        for key, zl in rt.zones.items():
            if zl.last_obs_t == -math.inf:
                continue
            out[int(key)] = _update_data(rt.zone_update(key, zl.last_obs_t))
        return out


def _state_values(u: ZoneUpdate) -> tuple:
    """A zone's update as a ZoneState row, in `_STATE_COLUMNS` order."""
    return (
        int(u.key),
        selectors.epoch_to_datetime(u.t),
        u.occupancy,
        u.std,
        u.density,
        u.level,
        u.net_rate,
        u.forecast_min,
    )


_STATE_COLUMNS = (
    "zone_id",
    "ts",
    "occupancy",
    "occupancy_std",
    "density",
    "level",
    "net_rate",
    "forecast_min",
)


def _update_data(u: ZoneUpdate) -> dict:
    return selectors.state_data(*_state_values(u), u.next_level)


# ============================================================================ readings


@dataclass
class IngestResult:
    accepted: int = 0  # new readings stored
    duplicates: int = 0  # (sensor, ts) already stored or repeated in the batch: ignored
    late: int = 0  # stored but too late to change the estimate
    alerts: list[int] = field(default_factory=list)


def _parse_ts(value, now: datetime) -> tuple[datetime | None, str | None]:
    if isinstance(value, bool):
        return None, _("must be a date and time such as 2026-05-01T09:00:00+08:00")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return None, _("must be a finite number of seconds since 1970")
        try:
            ts = datetime.fromtimestamp(round(float(value), 6), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None, _("out of range")
    elif isinstance(value, datetime):
        ts = value
    elif isinstance(value, str):
        try:
            ts = datetime.fromisoformat(value)
        except ValueError:
            return None, _("must be a date and time such as 2026-05-01T09:00:00+08:00")
    else:
        return None, _("must be a date and time such as 2026-05-01T09:00:00+08:00")
    if timezone.is_naive(ts):
        return None, _("must carry a time zone")
    if ts < EARLIEST:
        return None, _("before 2000: not a real reading")
    if (ts - now).total_seconds() > MAX_FUTURE_S:
        return None, _("lies in the future")
    return ts, None


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class _SensorRow(NamedTuple):
    pk: int
    code: str
    kind: str
    venue_id: int
    zone_id: int | None
    from_zone_id: int | None
    interval_s: float
    silent_after_s: float
    headcount_std_share: float
    sample_share: float
    area_code: str


def _insert_rows(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Rows (second column a datetime) in one executemany. Readings and snapshots are the
    hot path — hundreds a second — and model instances cost more than the insert."""
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(r[0], adapt(r[1]), *r[2:]) for r in rows])


def _validate(readings, actor, now: datetime) -> list[tuple[_SensorRow, datetime, CleanReading]]:
    if not isinstance(readings, list):
        raise CrowdInputError({"readings": _("must be a list")})
    if not readings:
        raise CrowdInputError({"readings": _("give at least one reading")})
    if len(readings) > MAX_BATCH:
        raise CrowdInputError({"readings": _("at most %d readings per batch") % MAX_BATCH})
    errors: dict[str, str] = {}
    codes = {
        r["sensor"] for r in readings if isinstance(r, dict) and isinstance(r.get("sensor"), str)
    }
    # Plain rows of the columns needed: hundreds of sensors a second, and a venue's
    # outline and its area's geometry are big JSON.
    sensors = {
        row[1]: _SensorRow(*row)
        for row in Sensor.objects.filter(
            code__in=list(codes), is_active=True, venue__is_active=True
        ).values_list(*_SensorRow._fields[:-1], "venue__area__code")
    }
    if actor is not None:
        sensors = {
            c: s
            for c, s in sensors.items()
            if access.can_see_code(actor, s.area_code, selectors.WRITE_ROLES)
        }
    specs: dict[str, SensorSpec] = {}
    out = []
    for i, r in enumerate(readings):
        at = f"readings[{i}]"
        if not isinstance(r, dict):
            errors[at] = _("must be an object")
            continue
        sensor = sensors.get(r.get("sensor")) if isinstance(r.get("sensor"), str) else None
        if sensor is None:
            # Unknown and outside one's territory read the same.
            errors[f"{at}.sensor"] = _("unknown sensor") if "sensor" in r else _("required")
            continue
        for name in sorted(set(r) - FIELDS[sensor.kind]):
            errors[f"{at}.{name}"] = _("unknown field for a %s sensor") % sensor.kind
        if "ts" not in r:
            errors[f"{at}.ts"] = _("required")
            continue
        ts, problem = _parse_ts(r["ts"], now)
        if problem:
            errors[f"{at}.ts"] = problem
            continue
        spec = specs.get(sensor.code) or specs.setdefault(sensor.code, _sensor_spec(sensor))
        clean = None
        if sensor.kind == SensorKind.COUNTER:
            bad = False
            for name in ("in", "out"):
                if name not in r:
                    errors[f"{at}.{name}"], bad = _("required"), True
                elif not _whole(r[name]):
                    errors[f"{at}.{name}"], bad = _("must be a whole number ≥ 0"), True
                elif r[name] > MAX_COUNT:
                    errors[f"{at}.{name}"], bad = _("at most %s") % MAX_COUNT, True
            interval = r.get("interval_s")
            if interval is not None and not (_number(interval) and 0 < interval <= 3600):
                errors[f"{at}.interval_s"], bad = (
                    _("must be a number of seconds in (0, 3600]"),
                    True,
                )
            if not bad:
                clean = CleanReading(
                    spec, ts.timestamp(), inflow=r["in"], outflow=r["out"], interval_s=interval
                )
        elif sensor.kind == SensorKind.HEADCOUNT:
            std = r.get("std")
            if "count" not in r:
                errors[f"{at}.count"] = _("required")
            elif not _whole(r["count"]):
                errors[f"{at}.count"] = _("must be a whole number ≥ 0")
            elif r["count"] > MAX_COUNT:
                errors[f"{at}.count"] = _("at most %s") % MAX_COUNT
            elif std is not None and not (_number(std) and std >= 0):
                errors[f"{at}.std"] = _("must be a number ≥ 0")
            else:
                clean = CleanReading(spec, ts.timestamp(), count=r["count"], std=std)
        else:
            positions, problem = _positions(r.get("positions"))
            if problem:
                errors[f"{at}.positions"] = problem
            else:
                clean = CleanReading(
                    spec, ts.timestamp(), count=len(positions), positions=positions
                )
        if clean is not None:
            out.append((sensor, ts, clean))
    if errors:
        raise CrowdInputError(errors)
    return out


def _positions(value) -> tuple[np.ndarray | None, str | None]:
    """Anonymous [lon, lat] pairs as an (N, 2) array — nothing else is accepted in them."""
    if value is None:
        return None, _("required")
    if isinstance(value, np.ndarray):
        arr = value
    else:
        if not isinstance(value, list):
            return None, _("must be a list of [longitude, latitude] pairs")
        if len(value) > MAX_POSITIONS:
            return None, _("at most %d positions per reading") % MAX_POSITIONS
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return None, _("must be a list of [longitude, latitude] pairs")
    if arr.size == 0:
        return np.empty((0, 2)), None
    if arr.ndim != 2 or arr.shape[1] != 2:
        return None, _("must be a list of [longitude, latitude] pairs")
    if len(arr) > MAX_POSITIONS:
        return None, _("at most %d positions per reading") % MAX_POSITIONS
    if not np.isfinite(arr).all() or np.abs(arr[:, 0]).max() > 180 or np.abs(arr[:, 1]).max() > 90:
        return None, _("longitude and latitude must be finite and in range")
    return arr, None


def _existing(pairs: set[tuple[int, datetime]]) -> set[tuple[int, datetime]]:
    """Which (sensor id, ts) pairs are stored already."""
    found: set[tuple[int, datetime]] = set()
    by_ts: dict[datetime, set[int]] = defaultdict(set)
    for sid, ts in pairs:
        by_ts[ts].add(sid)
    stamps = sorted(by_ts)
    sids = sorted({sid for sid, _ts in pairs})
    for i in range(0, len(stamps), 500):
        chunk = stamps[i : i + 500]
        for j in range(0, len(sids), 500):
            found.update(
                Reading.objects.filter(sensor_id__in=sids[j : j + 500], ts__in=chunk).values_list(
                    "sensor_id", "ts"
                )
            )
    return found & pairs


def ingest_readings(*, readings, actor=None, now: datetime | None = None) -> IngestResult:
    """Validate a batch whole, then store and apply it in one transaction (or nothing).

    Each reading is a dict: `sensor` (code), `ts` (ISO 8601 with offset, or seconds
    since 1970) and, by the sensor's kind, `in`/`out` (+ optional `interval_s`),
    `count` (+ optional `std`) or `positions` ([[lon, lat], …], counted and dropped).
    """
    now = now or timezone.now()
    items = _validate(readings, actor, now)
    result = IngestResult()
    # First occurrence of each (sensor, ts) wins; a resend is a harmless duplicate.
    seen: set[tuple[int, datetime]] = set()
    unique = []
    for sensor, ts, clean in items:
        if (sensor.pk, ts) in seen:
            result.duplicates += 1
            continue
        seen.add((sensor.pk, ts))
        unique.append((sensor, ts, clean))
    by_venue: dict[int, list] = defaultdict(list)
    for item in unique:
        by_venue[item[0].venue_id].append(item)
    runtimes = [runtime_for(vid) for vid in sorted(by_venue)]
    ensure_ticker()
    with contextlib.ExitStack() as stack:
        for rt in runtimes:
            stack.enter_context(rt.lock)
        try:
            with transaction.atomic():
                # Only a reading not newer than what this process stored last for its
                # sensor can be a resend; the rest skip the lookup (the unique constraint
                # still guards against another process having stored it).
                maybe = set()
                for rt in runtimes:
                    for sensor, ts, clean in by_venue[rt.venue_id]:
                        if clean.t <= rt.stored_until.get(sensor.code, -math.inf):
                            maybe.add((sensor.pk, ts))
                stored = _existing(maybe) if maybe else set()
                result.duplicates += len(stored)
                for rt in runtimes:
                    fresh = [it for it in by_venue[rt.venue_id] if (it[0].pk, it[1]) not in stored]
                    if not fresh:
                        continue
                    outcome = rt.apply([clean for _s, _t, clean in fresh])
                    _insert_rows(
                        Reading,
                        ("sensor_id", "ts", "inflow", "outflow", "count", "applied"),
                        [
                            (s.pk, ts, None, None, c.count, ok)
                            if c.count is not None
                            else (s.pk, ts, c.inflow, c.outflow, None, ok)
                            for (s, ts, c), ok in zip(fresh, outcome.applied, strict=True)
                        ],
                    )
                    for sensor, _ts, clean in fresh:
                        if clean.t > rt.stored_until.get(sensor.code, -math.inf):
                            rt.stored_until[sensor.code] = clean.t
                    result.accepted += len(fresh)
                    result.late += outcome.applied.count(False)
                    created = _store_outcome(rt, outcome.events, outcome.snapshots)
                    result.alerts += [a.pk for a in created]
                    updates = [_update_data(u) for u in outcome.updates.values()]
                    transaction.on_commit(_announcer(rt.venue_id, created, updates))
        except IntegrityError as exc:
            for rt in runtimes:
                drop_runtime(rt.venue_id)
            raise CrowdConflict(
                _(
                    "Some of these readings were stored meanwhile by another process; send the "
                    "batch again (stored ones are then ignored)."
                )
            ) from exc
        except Exception:
            for rt in runtimes:
                drop_runtime(rt.venue_id)
            raise
    return result


def _store_outcome(
    rt: VenueRuntime, evs: list[AlertEvent], snapshots: list[ZoneUpdate]
) -> list[Alert]:
    if snapshots:
        _insert_rows(ZoneState, _STATE_COLUMNS, [_state_values(u) for u in snapshots])
    if not evs:
        return []
    sensors = dict(Sensor.objects.filter(venue_id=rt.venue_id).values_list("code", "pk"))
    return [_record_event(rt.venue_id, e, sensors) for e in evs]


def _record_event(venue_id: int, e: AlertEvent, sensors: dict[str, int]) -> Alert:
    """Store one engine event as an alert, closing the alerts it supersedes."""
    at = selectors.epoch_to_datetime(e.t)
    zone_id = None if e.zone == VENUE_KEY else int(e.zone)
    kind = AlertKind(str(e.kind))
    open_alerts = Alert.objects.filter(venue_id=venue_id, cleared_at__isnull=True)
    case_id = None
    if kind in (AlertKind.RAISE, AlertKind.ESCALATE, AlertKind.DEESCALATE, AlertKind.CLEAR):
        level_open = open_alerts.filter(
            zone_id=zone_id, kind__in=(AlertKind.RAISE, AlertKind.ESCALATE, AlertKind.DEESCALATE)
        )
        # The episode keeps its case from one level to the next.
        case_id = level_open.exclude(case=None).values_list("case_id", flat=True).first()
        level_open.update(cleared_at=at)
        if kind == AlertKind.CLEAR or e.level >= Level.ALERT:
            open_alerts.filter(zone_id=zone_id, kind=AlertKind.EARLY_WARNING).update(cleared_at=at)
    elif kind == AlertKind.SENSOR_RESTORED:
        open_alerts.filter(kind=AlertKind.SENSOR_SILENT, sensor_id=sensors.get(e.sensor)).update(
            cleared_at=at
        )
    closed_now = kind in (AlertKind.CLEAR, AlertKind.SENSOR_RESTORED)
    return Alert.objects.create(
        venue_id=venue_id,
        zone_id=zone_id,
        sensor_id=sensors.get(e.sensor) if e.sensor else None,
        kind=kind,
        level=int(e.level),
        previous_level=int(e.previous_level),
        density=e.density,
        minutes=e.minutes,
        raised_at=at,
        cleared_at=at if closed_now else None,
        case_id=case_id,
    )


def _announcer(venue_id: int, created: list[Alert], updates: list[dict]):
    """After commit: alerts first (the latency that matters), then zones, then cases."""
    ids = [a.pk for a in created]

    def announce() -> None:
        if ids:
            alerts = list(
                Alert.objects.filter(pk__in=ids)
                .select_related("zone", "sensor", "case", "acknowledged_by__person")
                .order_by("raised_at", "pk")
            )
            for alert in alerts:
                events.publish(venue_id, "alert", selectors.alert_data(alert))
            if any(
                a.kind
                in (
                    AlertKind.RAISE,
                    AlertKind.ESCALATE,
                    AlertKind.DEESCALATE,
                    AlertKind.CLEAR,
                    AlertKind.SENSOR_RESTORED,
                )
                for a in alerts
            ):
                # Superseded alerts were closed: boards reload the list.
                events.publish(
                    venue_id,
                    "alerts",
                    [selectors.alert_data(a) for a in selectors.board_alerts(alerts[0].venue)],
                )
        if updates:
            events.publish(
                venue_id, "zones", {"states": updates, "clock": max(u["t"] for u in updates)}
            )
        for alert_id in ids:
            try:
                open_case_for_serious_alert(alert_id=alert_id)
            except Exception:  # noqa: BLE001 - the readings are stored; the sweep retries
                log.exception("crowd: could not open a case for alert %s", alert_id)

    return announce


# ============================================================================ alerts


def acknowledge_alert(*, alert_id: int, actor) -> Alert:
    """The operator has seen it. Acknowledging twice changes nothing."""
    alert = selectors.get_alert(actor, alert_id)
    _require_write(actor, alert.venue)
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.acknowledged_at is not None:
            return alert
        alert.acknowledged_at = timezone.now()
        alert.acknowledged_by = actor
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        transaction.on_commit(lambda: _publish_alert(alert.pk))
    return alert


def _publish_alert(alert_id: int) -> None:
    alert = Alert.objects.select_related("zone", "sensor", "case", "acknowledged_by__person").get(
        pk=alert_id
    )
    events.publish(alert.venue_id, "alert", selectors.alert_data(alert))


def open_case_for_serious_alert(*, alert_id: int):
    """A serious crowd alert becomes an urgent crowd-incident case (once per episode).

    A clear no-op (None) when the alert is below serious or the catalogue lacks the crowd
    category."""
    from cases import services as case_services
    from cases.choices import Channel, Priority
    from cases.errors import CaseError

    alert = Alert.objects.select_related("venue", "zone", "case").get(pk=alert_id)
    if alert.level < LevelChoice.SERIOUS or alert.kind not in (AlertKind.RAISE, AlertKind.ESCALATE):
        return None
    if alert.case_id:
        return alert.case
    zone = alert.zone
    lon, lat = (
        (zone.center_lon, zone.center_lat)
        if zone
        else (alert.venue.center_lon, alert.venue.center_lat)
    )
    place = f"{alert.venue.name} · {zone.name}" if zone else alert.venue.name
    try:
        result = case_services.intake_case(
            title=_("Serious crowd density: %(place)s") % {"place": place},
            text=_("%(density).1f persons/m² at %(time)s (alert %(id)d); threshold %(limit).1f.")
            % {
                "density": alert.density or 0.0,
                "time": timezone.localtime(alert.raised_at).strftime("%Y-%m-%d %H:%M:%S"),
                "id": alert.pk,
                "limit": zone.serious if zone else 5.0,
            },
            channel=Channel.CROWD,
            case_type="crowd",
            category="crowd-density",
            lon=lon,
            lat=lat,
            priority=Priority.URGENT,
            client_key=f"crowd-alert-{alert.pk}",
        )
    except CaseError as exc:
        log.warning("crowd: no case for alert %s: %s", alert.pk, exc)
        return None
    Alert.objects.filter(pk=alert.pk).update(case=result.case)
    # Later alerts of the same episode point at the case too.
    Alert.objects.filter(
        venue=alert.venue,
        zone=alert.zone,
        case__isnull=True,
        raised_at__gte=alert.raised_at,
        kind__in=(AlertKind.ESCALATE, AlertKind.DEESCALATE, AlertKind.CLEAR),
    ).update(case=result.case)
    _publish_alert(alert.pk)
    return result.case


# ============================================================================ dispatch


def dispatch_nearest(
    *, alert_id: int, actor, count: int = 2, mobility: list[str] | None = None
) -> list[Dispatch]:
    """Send the `count` available responders with the shortest travel time to the alert."""
    if not isinstance(count, int) or not 1 <= count <= 20:
        raise CrowdInputError({"count": _("between 1 and 20")})
    if mobility is not None and not set(mobility) <= set(DEFAULT_KINDS):
        raise CrowdInputError({"mobility": _("one of %s") % ", ".join(DEFAULT_KINDS)})
    alert = selectors.get_alert(actor, alert_id)
    venue = alert.venue
    _require_write(actor, venue)
    if alert.zone_id:
        lon, lat = alert.zone.center_lon, alert.zone.center_lat
    else:
        lon, lat = venue.center_lon, venue.center_lat
    pool = Responder.objects.filter(
        area__code__startswith=selectors.district_code(venue), status=ResponderStatus.AVAILABLE
    )
    units = [
        DispatchUnit(code, m, x, y)
        for code, m, x, y in pool.values_list("code", "mobility", "lon", "lat")
    ]
    if not units:
        raise CrowdConflict(_("No responder is available."))
    dispatcher = Dispatcher(units, projection=LocalProjection(lon, lat))
    # A few spare candidates in case another operator takes one meanwhile.
    candidates = dispatcher.nearest(lon, lat, k=count + 5, kinds=mobility)
    with transaction.atomic():
        free = {
            r.code: r
            for r in Responder.objects.select_for_update().filter(
                code__in=[c.responder_id for c in candidates], status=ResponderStatus.AVAILABLE
            )
        }
        now = timezone.now()
        made = []
        for c in candidates:
            r = free.get(c.responder_id)
            if r is None or len(made) == count:
                continue
            r.status, r.status_changed_at = ResponderStatus.DISPATCHED, now
            r.save(update_fields=["status", "status_changed_at"])
            made.append(
                Dispatch.objects.create(
                    alert=alert,
                    venue=venue,
                    case_id=alert.case_id,
                    responder=r,
                    dispatched_by=actor if actor is not None and actor.is_authenticated else None,
                    distance_m=c.distance_m,
                    travel_s=c.travel_s,
                    dispatched_at=now,
                )
            )
        if not made:
            raise CrowdConflict(_("No responder is available."))
        ids = [d.pk for d in made]
        transaction.on_commit(lambda: _publish_dispatches(venue.pk, ids))
    return made


def _publish_dispatches(venue_id: int, ids: list[int]) -> None:
    venue = Venue.objects.select_related("area").get(pk=venue_id)
    for d in Dispatch.objects.filter(pk__in=ids).select_related("responder"):
        events.publish(venue_id, "dispatch", selectors.dispatch_data(d))
        events.publish(venue_id, "responder", selectors.responder_data(d.responder))
    events.publish(venue_id, "coverage", selectors.coverage(venue))
    events.publish(venue_id, "stats", selectors.response_stats(venue))


def step_dispatch(*, dispatch_id: int, step: str, actor) -> Dispatch:
    """acknowledge → on_scene → clear, each timed; clearing frees the responder."""
    if step not in DispatchStep.values:
        raise CrowdInputError({"step": _("one of %s") % ", ".join(DispatchStep.values)})
    dispatch = selectors.get_dispatch(actor, dispatch_id)
    _require_write(actor, dispatch.venue)
    with transaction.atomic():
        d = Dispatch.objects.select_for_update().select_related("responder").get(pk=dispatch.pk)
        now = timezone.now()
        if d.cleared_at is not None:
            raise CrowdConflict(_("This dispatch is already cleared."), field="step")
        if step == DispatchStep.ACKNOWLEDGE:
            if d.acknowledged_at is not None:
                raise CrowdConflict(_("Already acknowledged."), field="step")
            d.acknowledged_at = now
        elif step == DispatchStep.ON_SCENE:
            if d.on_scene_at is not None:
                raise CrowdConflict(_("Already on scene."), field="step")
            d.acknowledged_at = d.acknowledged_at or now
            d.on_scene_at = now
        else:
            d.cleared_at = now
        d.save(update_fields=["acknowledged_at", "on_scene_at", "cleared_at"])
        r = Responder.objects.select_for_update().get(pk=d.responder_id)
        busy = Dispatch.objects.filter(responder=r, cleared_at__isnull=True)
        if busy.filter(on_scene_at__isnull=False).exists():
            status = ResponderStatus.ON_SCENE
        elif busy.exists():
            status = ResponderStatus.DISPATCHED
        else:
            status = ResponderStatus.AVAILABLE
        if r.status != status:
            r.status, r.status_changed_at = status, now
            r.save(update_fields=["status", "status_changed_at"])
        transaction.on_commit(lambda: _publish_dispatches(d.venue_id, [d.pk]))
    return d


def set_responder_duty(*, responder_id: int, on_duty: bool, actor) -> Responder:
    """Available ↔ off duty; a responder out on a dispatch is cleared first."""
    r = selectors.get_responder(actor, responder_id, roles=selectors.WRITE_ROLES)
    with transaction.atomic():
        r = Responder.objects.select_for_update().get(pk=r.pk)
        if r.status in (ResponderStatus.DISPATCHED, ResponderStatus.ON_SCENE):
            raise CrowdConflict(_("Clear the responder's dispatch first."), field="on_duty")
        status = ResponderStatus.AVAILABLE if on_duty else ResponderStatus.OFF_DUTY
        if r.status != status:
            r.status, r.status_changed_at = status, timezone.now()
            r.save(update_fields=["status", "status_changed_at"])
    return r


# ============================================================================ upkeep


def tick(now: float | None = None) -> int:
    """Silent sensors and lapsed early warnings for every venue live in this process.

    `now` defaults to each venue's own clock (its newest reading, running on with the
    wall clock). Returns how many alerts it stored. Harmless to call often: a second
    with nothing to record opens no transaction (on SQLite that would take the lock)."""
    with _registry_lock:
        runtimes = list(_runtimes.values())
    stored = 0
    for rt in runtimes:
        with rt.lock:
            evs = rt.tick(now)
            venue_now = now if now is not None else rt.clock.now()
            lapsing = _lapsing_early_warnings(rt.venue_id, venue_now)
            if not evs and not lapsing.exists():
                continue
            try:
                with transaction.atomic():
                    created = _store_outcome(rt, evs, [])
                    lapsed = lapsing.update(cleared_at=selectors.epoch_to_datetime(venue_now))
                    transaction.on_commit(_announcer(rt.venue_id, created, []))
                    if lapsed and not created:
                        transaction.on_commit(lambda v=rt.venue_id: _publish_board_alerts(v))
            except Exception:
                drop_runtime(rt.venue_id)
                raise
            stored += len(created)
    return stored


def _lapsing_early_warnings(venue_id: int, venue_now: float | None):
    """Open early warnings older than their horizon (none when the venue has no clock)."""
    if venue_now is None:
        return Alert.objects.none()
    cutoff = selectors.epoch_to_datetime(venue_now - EARLY_WARNING_TTL_S)
    return Alert.objects.filter(
        venue_id=venue_id,
        kind=AlertKind.EARLY_WARNING,
        cleared_at__isnull=True,
        raised_at__lt=cutoff,
    )


def _publish_board_alerts(venue_id: int) -> None:
    venue = Venue.objects.get(pk=venue_id)
    events.publish(
        venue_id, "alerts", [selectors.alert_data(a) for a in selectors.board_alerts(venue)]
    )


def pause_venue(venue_id: int) -> None:
    """The feed ended on purpose (a replay's last reading): stop judging silence."""
    with _registry_lock:
        rt = _runtimes.get(venue_id)
    if rt is not None:
        with rt.lock:
            rt.paused = True


def reset_venue_live_data(*, venue: Venue) -> None:
    """Forget a venue's readings, snapshots, alerts and dispatches (a replay starts over)."""
    with transaction.atomic():
        sent = Dispatch.objects.filter(venue=venue, cleared_at__isnull=True)
        Responder.objects.filter(pk__in=sent.values("responder_id")).update(
            status=ResponderStatus.AVAILABLE, status_changed_at=timezone.now()
        )
        Dispatch.objects.filter(venue=venue).delete()
        Alert.objects.filter(venue=venue).delete()
        ZoneState.objects.filter(zone__venue=venue).delete()
        Reading.objects.filter(sensor__venue=venue).delete()
        _bump_layout(venue.pk)
    drop_runtime(venue.pk)
    transaction.on_commit(lambda: events.publish(venue.pk, "resync", {}))


_ticker: threading.Thread | None = None
_ticker_lock = threading.Lock()


def ensure_ticker() -> None:
    """Start this process's once-a-second `tick` (PINGAN_CROWD_TICK_SECONDS; 0 turns it off).

    It runs where readings are ingested, because that is where the venues' live state is."""
    global _ticker
    every = settings.PINGAN_CROWD_TICK_SECONDS
    if every <= 0:
        return
    with _ticker_lock:
        if _ticker is not None and _ticker.is_alive():
            return
        _ticker = threading.Thread(
            target=_tick_forever, args=(every,), name="crowd-ticker", daemon=True
        )
        _ticker.start()


def _tick_forever(every: float) -> None:
    while True:
        time.sleep(every)
        try:
            tick()
        except Exception:  # noqa: BLE001 - a bad second must not stop the watch
            log.exception("crowd: tick failed")
        finally:
            close_old_connections()


def venue_clock(venue_id: int) -> datetime | None:
    with _registry_lock:
        rt = _runtimes.get(venue_id)
    now = rt.clock.now() if rt is not None else None
    return selectors.epoch_to_datetime(now) if now is not None else None
