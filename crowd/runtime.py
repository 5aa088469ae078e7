"""The live state of one venue in this process: estimator, forecasters, alert engine, zone index.

No database here: `crowd.services` builds a `VenueRuntime` from the models, feeds it
validated readings under its lock, and stores what comes out (alerts, snapshots).
Times are float seconds since the epoch (the readings' own timestamps).

Late and out-of-order readings (the policy `docs/crowd.md` explains):

* a batch is applied in timestamp order;
* counter flows commute (the occupancy is their sum), so a late counter reading is
  booked at once without rewinding the filter — unless it is not newer than the zone's
  last headcount, which already counted those people: then it is stored but not applied;
* a headcount (or a positions snapshot) up to `LATE_HEADCOUNT_S` older than the filter
  is applied now with its uncertainty widened by what the net flow could have changed
  since; an older one is stored but not applied;
* the alert engine only sees a zone's readings in time order (it ignores older ones).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import shapely

from crowd.alerts import AlertConfig, AlertEngine, AlertEvent
from crowd.forecast import FlowForecaster
from crowd.geo import LocalProjection
from crowd.levels import Level, level_for, threshold_for
from crowd.occupancy import OccupancyEstimator, Zone, ZoneIndex

# A headcount this much older than the zone's filter is still worth applying.
LATE_HEADCOUNT_S = 15.0
# Forecast rates are fed from counts accumulated over at least this long.
FORECAST_STEP_S = 5.0
# A zone's state is stored at most this often (data seconds), and at every level change.
SNAPSHOT_EVERY_S = 10.0
# A zone without a snapshot starts empty with this uncertainty (p/m² of usable area).
START_STD_P_M2 = 0.5
# The pseudo-zone under which whole-venue sensors (positions) are watched for silence.
VENUE_KEY = "venue"


@dataclass(frozen=True)
class ZoneSpec:
    key: str  # str(Zone.pk)
    polygon: shapely.Geometry  # lon/lat
    usable_area_m2: float
    thresholds: tuple[float, float, float, float]
    exit_widths_m: tuple[float, ...] = ()


@dataclass(frozen=True)
class SensorSpec:
    code: str
    pk: int
    kind: str  # counter | headcount | positions
    zone: str | None = None  # counter: entered by a forward passage; headcount: counted
    from_zone: str | None = None
    interval_s: float = 1.0
    silent_after_s: float = 30.0
    std_share: float = 0.1
    sample_share: float = 1.0


@dataclass(frozen=True)
class CleanReading:
    """A validated reading; `positions` are lon/lat samples, never stored."""

    sensor: SensorSpec
    t: float
    inflow: int = 0
    outflow: int = 0
    count: int | None = None
    std: float | None = None
    interval_s: float | None = None
    positions: np.ndarray | None = None


@dataclass(frozen=True)
class ZoneUpdate:
    key: str
    t: float
    occupancy: float
    std: float
    density: float
    level: int
    net_rate: float
    forecast_min: float | None  # minutes to the next level at the current net inflow
    next_level: int | None


@dataclass
class ApplyResult:
    applied: list[bool]
    events: list[AlertEvent] = field(default_factory=list)
    updates: dict[str, ZoneUpdate] = field(default_factory=dict)
    snapshots: list[ZoneUpdate] = field(default_factory=list)


@dataclass
class _ZoneLive:
    spec: ZoneSpec
    forecaster: FlowForecaster
    last_obs_t: float = -math.inf  # last time the alert engine saw this zone
    last_headcount_t: float = -math.inf
    acc_in: float = 0.0
    acc_out: float = 0.0
    acc_since: float | None = None
    last_snapshot_t: float = -math.inf
    last_level: int = 0
    # Counter flows of the last few seconds (t, net, passages): a late headcount is
    # brought forward by what has flowed since it was taken.
    recent: deque = field(default_factory=deque)


class VenueClock:
    """The venue's data time: the newest reading's time, running on with the wall clock.

    A replay feeds last New Year's Eve compressed; live sensors feed the present. Either
    way silence is judged in the venue's own time, and a venue whose sensors all died
    still sees its clock advance."""

    def __init__(self) -> None:
        self.last_t: float | None = None
        self._wall = time.monotonic()

    def see(self, t: float) -> None:
        if self.last_t is None or t > self.last_t:
            self.last_t, self._wall = t, time.monotonic()

    def now(self) -> float | None:
        if self.last_t is None:
            return None
        return self.last_t + (time.monotonic() - self._wall)


class VenueRuntime:
    """One venue's estimators. Callers hold `lock` around `apply`, `tick` and `restore`."""

    def __init__(
        self,
        venue_id: int,
        version: int,
        center: tuple[float, float],
        zones: list[ZoneSpec],
        sensors: list[SensorSpec],
    ) -> None:
        self.venue_id = venue_id
        self.version = version
        self.lock = threading.RLock()
        self.projection = LocalProjection(*center)
        self.zones = {
            z.key: _ZoneLive(z, FlowForecaster(z.usable_area_m2, list(z.exit_widths_m)))
            for z in zones
        }
        self.sensors = {s.code: s for s in sensors}
        self.estimator = OccupancyEstimator({z.key: z.usable_area_m2 for z in zones})
        self.engine = AlertEngine(
            zone_configs={z.key: AlertConfig(thresholds=z.thresholds) for z in zones}
        )
        self.clock = VenueClock()
        self.started = False
        self.paused = False
        self._index: ZoneIndex | None = None
        self._index_keys: list[str] = []
        self._restored: set[str] = set()
        # Per sensor, the newest reading time stored by this process (crowd.services uses
        # it to look up possible resends only).
        self.stored_until: dict[str, float] = {}

    # ------------------------------------------------------------------ state

    def restore(
        self, key: str, t: float, occupancy: float, std: float, level: int, density: float
    ) -> None:
        """Resume a zone from its last snapshot (and its open alert's level)."""
        if key not in self.zones:
            return
        self.estimator.reset(key, t, occupancy, std)
        zl = self.zones[key]
        self._restored.add(key)
        # The snapshot already holds every flow up to t: later-arriving older counts
        # must not be booked on top of it.
        zl.last_headcount_t = zl.last_obs_t = t
        zl.last_snapshot_t, zl.last_level = t, level
        if level > Level.NORMAL:
            self.engine.restore(key, Level(level), t, density)

    def zone_update(self, key: str, t: float | None = None) -> ZoneUpdate:
        zl = self.zones[key]
        est = self.estimator.estimate(key)
        occupancy = float(est.occupancy)
        dens = occupancy / zl.spec.usable_area_m2
        level = int(self.engine.level(key))
        raw_level = level_for(dens, zl.spec.thresholds)
        next_level = int(raw_level) + 1 if raw_level < Level.SERIOUS else None
        minutes = None
        if next_level is not None:
            minutes = zl.forecaster.minutes_to(
                threshold_for(Level(next_level), zl.spec.thresholds), occupancy
            )
        return ZoneUpdate(
            key=key,
            t=est.t if t is None else t,
            occupancy=occupancy,
            std=float(est.std),
            density=dens,
            level=level,
            net_rate=float(zl.forecaster.net_rate),
            forecast_min=minutes,
            next_level=next_level,
        )

    def _start(self, t: float) -> None:
        # A zone without a snapshot starts empty when its feed starts (gates open); the
        # first headcount corrects that if people were already there.
        for key, zl in self.zones.items():
            if key not in self._restored:
                self.estimator.reset(key, t, 0.0, START_STD_P_M2 * zl.spec.usable_area_m2)
        for s in self.sensors.values():
            zone = s.zone or s.from_zone or VENUE_KEY
            self.engine.register_sensor(s.code, zone, t, s.silent_after_s)
        self.started = True

    def zone_index(self) -> ZoneIndex:
        if self._index is None:
            self._index_keys = list(self.zones)
            self._index = ZoneIndex(
                [
                    Zone(k, self.projection.geometry_to_xy(zl.spec.polygon), zl.spec.usable_area_m2)
                    for k, zl in self.zones.items()
                ]
            )
        return self._index

    # ------------------------------------------------------------------ inputs

    def apply(self, readings: list[CleanReading]) -> ApplyResult:
        """Feed validated readings; returns what each did and the alert events."""
        result = ApplyResult(applied=[False] * len(readings))
        if not readings:
            return result
        order = sorted(range(len(readings)), key=lambda i: readings[i].t)
        if not self.started:
            self._start(readings[order[0]].t)
        self.paused = False
        touched: dict[str, float] = {}
        for i in order:
            r = readings[i]
            self.clock.see(r.t)
            if r.sensor.kind == "counter":
                zones = self._apply_counter(r)
            elif r.sensor.kind == "headcount":
                zones = self._apply_headcount(r, r.sensor.zone, r.count or 0, r.std)
            else:
                zones = self._apply_positions(r)
            result.applied[i] = bool(zones)
            result.events += self.engine.heartbeat(r.sensor.code, r.t, r.sensor.zone or VENUE_KEY)
            for key in zones:
                zl = self.zones[key]
                touched[key] = max(touched.get(key, r.t), r.t)
                if r.t >= zl.last_obs_t:
                    zl.last_obs_t = r.t
                    # occupancy.density() is for arrays; one zone is one division.
                    density = max(0.0, self.estimator.zones[key].n) / zl.spec.usable_area_m2
                    result.events += self.engine.observe(key, r.t, density, sensor_id=r.sensor.code)
        for key, t in touched.items():
            result.events += self._forecast(key, t)
            update = self.zone_update(key, t)
            result.updates[key] = update
            zl = self.zones[key]
            if update.level != zl.last_level or t - zl.last_snapshot_t >= SNAPSHOT_EVERY_S:
                zl.last_level, zl.last_snapshot_t = update.level, t
                result.snapshots.append(update)
        return result

    def _apply_counter(self, r: CleanReading) -> list[str]:
        s = r.sensor
        done = []
        for key, inflow, outflow in (
            (s.zone, r.inflow, r.outflow),
            (s.from_zone, r.outflow, r.inflow),
        ):
            if key is None:
                continue
            zl = self.zones[key]
            if r.t <= zl.last_headcount_t:
                continue  # a headcount taken after this interval already counted these people
            self.estimator.flow(key, r.t, inflow, outflow)
            if zl.acc_since is None:
                zl.acc_since = r.t - (r.interval_s or s.interval_s)
            zl.acc_in += inflow
            zl.acc_out += outflow
            zl.recent.append((r.t, inflow - outflow, inflow + outflow))
            while zl.recent and zl.recent[0][0] < r.t - 2 * LATE_HEADCOUNT_S:
                zl.recent.popleft()
            done.append(key)
        return done

    def _apply_headcount(
        self, r: CleanReading, key: str | None, count: float, std: float | None
    ) -> list[str]:
        if key is None:
            return []
        zl = self.zones[key]
        filter_t = self.estimator.zones[key].t
        age = filter_t - r.t
        if age > LATE_HEADCOUNT_S:
            return []
        sigma = std if std is not None else max(1.0, r.sensor.std_share * count)
        at = r.t
        if age > 0:
            # Taken before flows already booked: bring it forward by those flows (and
            # their counting error), then apply it at the filter's time.
            since = [(net, passages) for t, net, passages in zl.recent if t > r.t]
            count = max(0.0, count + sum(net for net, _p in since))
            variance = self.estimator.config.count_variance_per_passage * sum(p for _n, p in since)
            sigma = math.sqrt(sigma**2 + variance)
            at = filter_t
        self.estimator.headcount(key, at, count, sigma)
        zl.last_headcount_t = max(zl.last_headcount_t, r.t)
        return [key]

    def _apply_positions(self, r: CleanReading) -> list[str]:
        assert r.positions is not None
        index = self.zone_index()
        counts = (
            index.count_xy(self.projection.to_xy(r.positions))
            if len(r.positions)
            else (np.zeros(len(self._index_keys), dtype=np.int64))
        )
        share = r.sensor.sample_share
        done = []
        for key, n in zip(self._index_keys, counts.tolist(), strict=True):
            # Sampling error of the share seen, plus the sensor's own.
            std = max(1.0, math.sqrt(n * (1 - share)) / share, r.sensor.std_share * n / share)
            done += self._apply_headcount(r, key, n / share, std)
        return done

    def _forecast(self, key: str, t: float) -> list[AlertEvent]:
        zl = self.zones[key]
        if zl.acc_since is not None and t - zl.acc_since >= FORECAST_STEP_S:
            zl.forecaster.observe(t, zl.acc_in, zl.acc_out, interval_s=t - zl.acc_since)
            zl.acc_in = zl.acc_out = 0.0
            zl.acc_since = t
        if zl.forecaster.inflow_rate is None:
            return []
        cfg = self.engine.config_for(key)
        minutes = zl.forecaster.minutes_to(
            threshold_for(cfg.early_warning_level, cfg.thresholds),
            self.estimator.estimate(key).occupancy,
        )
        return self.engine.forecast(key, t, minutes)

    def tick(self, now: float | None = None) -> list[AlertEvent]:
        """Silent sensors as of `now` (default: the venue clock)."""
        if not self.started or self.paused:
            return []
        now = self.clock.now() if now is None else now
        if now is None:
            return []
        return self.engine.check_silent(now)
