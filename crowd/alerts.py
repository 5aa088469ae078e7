"""Per-zone alert state machine: sustained raise, immediate escalation, hysteresis, cooldown.

Pure and deterministic: feed it readings with their timestamps, get `AlertEvent`s back.
Nothing here reads a clock, so replaying a night's data gives the same alerts.

Rules for a zone whose thresholds are (attention, caution, alert, serious):

* raise: from NORMAL, the highest level L ≥ `min_level` whose threshold the density has
  stayed at or above for `raise_after_s` (a single spike from one camera frame is not an
  alert);
* escalate: once an alert is active, a reading at or above a higher level's threshold
  moves to that level at once (danger grows fast; waiting costs lives);
* clear: only when the density has stayed below (1 − hysteresis) × the active level's
  threshold for `clear_after_s`. The zone then drops to the highest lower level whose
  own hysteresis band still holds the density: NORMAL ends the alert (kind "clear"),
  a level still ≥ `min_level` is a step-down (kind "deescalate"; the alert goes on);
* cooldown: a level cleared at t_c is not raised or escalated to again before
  t_c + `cooldown_s`, except levels ≥ `cooldown_exempt_level` (serious by default: a
  crush-risk density is never muted);
* early warning: `forecast()` with the forecast minutes until the warn level; one
  warning while the forecast stays within the horizon, re-armed when it moves beyond
  the horizon plus the hysteresis margin;
* sensor silent: a registered sensor that has reported nothing for its silence timeout
  raises "sensor_silent" once; its next report emits "sensor_restored".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

from crowd.levels import DEFAULT_THRESHOLDS, Level, level_for, threshold_for, validate_thresholds


class AlertKind(StrEnum):
    RAISE = "raise"
    ESCALATE = "escalate"
    DEESCALATE = "deescalate"
    CLEAR = "clear"
    EARLY_WARNING = "early_warning"
    SENSOR_SILENT = "sensor_silent"
    SENSOR_RESTORED = "sensor_restored"


@dataclass(frozen=True)
class AlertEvent:
    kind: AlertKind
    zone: str
    level: Level  # the level in force after the event (for early warnings: the level forecast)
    t: float
    density: float | None  # the reading behind the event; None if the zone has no reading yet
    previous_level: Level = Level.NORMAL
    minutes: float | None = None  # early warnings: forecast minutes to `level`
    sensor: str | None = None  # sensor events: which sensor


@dataclass(frozen=True)
class AlertConfig:
    thresholds: tuple[float, float, float, float] = DEFAULT_THRESHOLDS
    min_level: Level = Level.ATTENTION
    raise_after_s: float = 10.0
    clear_after_s: float = 60.0
    hysteresis: float = 0.10
    cooldown_s: float = 300.0
    cooldown_exempt_level: Level | None = Level.SERIOUS
    silent_after_s: float = 30.0
    early_warning_level: Level = Level.ALERT
    early_warning_horizon_min: float = 15.0

    def __post_init__(self) -> None:
        validate_thresholds(self.thresholds)
        if self.min_level == Level.NORMAL:
            raise ValueError("min_level must be above NORMAL")
        if not 0 <= self.hysteresis < 1:
            raise ValueError("hysteresis must be in [0, 1)")
        for name in ("raise_after_s", "clear_after_s", "cooldown_s", "silent_after_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be ≥ 0")

    def clear_threshold(self, level: Level) -> float:
        return (1.0 - self.hysteresis) * threshold_for(level, self.thresholds)


@dataclass
class _ZoneState:
    level: Level = Level.NORMAL
    # Per level (index 1..4): since when the density has been continuously at/above it.
    above_since: list[float | None] = field(default_factory=lambda: [None] * 5)
    # Per level: since when the density has been continuously below its clear threshold.
    below_since: list[float | None] = field(default_factory=lambda: [None] * 5)
    cleared_at: dict[Level, float] = field(default_factory=dict)
    last_t: float | None = None
    last_density: float | None = None
    warned: bool = False
    warned_at: float | None = None


@dataclass
class _SensorState:
    zone: str
    last_seen: float
    silent_after_s: float | None  # None: the zone's config decides
    silent: bool = False


class AlertEngine:
    """Alert state for many zones. Readings per zone must come in time order."""

    def __init__(
        self,
        config: AlertConfig | None = None,
        zone_configs: dict[str, AlertConfig] | None = None,
        sweep_every_s: float = 1.0,
    ) -> None:
        self.config = config or AlertConfig()
        self.zone_configs: dict[str, AlertConfig] = dict(zone_configs or {})
        self.zones: dict[str, _ZoneState] = {}
        self.sensors: dict[str, _SensorState] = {}
        self.sweep_every_s = sweep_every_s
        self._last_sweep: float | None = None

    # ------------------------------------------------------------------ configuration

    def config_for(self, zone_id: str) -> AlertConfig:
        return self.zone_configs.get(zone_id, self.config)

    def configure_zone(self, zone_id: str, config: AlertConfig) -> None:
        self.zone_configs[zone_id] = config

    def register_sensor(
        self, sensor_id: str, zone_id: str, t: float, silent_after_s: float | None = None
    ) -> None:
        """Watch a sensor from `t`; headcount sensors reporting every few minutes need a
        longer `silent_after_s` than 1 Hz counters."""
        self.sensors[sensor_id] = _SensorState(zone_id, t, silent_after_s)

    def restore(self, zone_id: str, level: Level, t: float, density: float | None = None) -> None:
        """Resume a zone at `level` as of `t` (a restarted process, from the open alert),
        so the next high reading escalates or holds instead of raising a second alert."""
        st = self.zones.setdefault(zone_id, _ZoneState())
        st.level = Level(level)
        st.last_t, st.last_density = t, density

    def level(self, zone_id: str) -> Level:
        st = self.zones.get(zone_id)
        return st.level if st else Level.NORMAL

    # ------------------------------------------------------------------ inputs

    def observe(
        self, zone_id: str, t: float, density: float, sensor_id: str | None = None
    ) -> list[AlertEvent]:
        """A density reading for a zone at `t` (seconds). Returns the events it causes."""
        if math.isnan(density):
            raise ValueError("density is NaN")
        # Heartbeat before the sweep: the reporting sensor is evidently not silent now.
        events = self.heartbeat(sensor_id or zone_id, t, zone_id)
        events += self._maybe_sweep(t)
        cfg = self.config_for(zone_id)
        st = self.zones.setdefault(zone_id, _ZoneState())
        if st.last_t is not None and t < st.last_t:
            return events  # out of order: the state already reflects newer data
        gap = st.last_t is not None and t - st.last_t > cfg.silent_after_s
        st.last_t, st.last_density = t, density

        thresholds = cfg.thresholds
        for lv in range(1, 5):
            if density >= thresholds[lv - 1]:
                # After a data gap we cannot claim the density stayed high in between.
                if st.above_since[lv] is None or gap:
                    st.above_since[lv] = t
            else:
                st.above_since[lv] = None
            if density < cfg.clear_threshold(Level(lv)):
                if st.below_since[lv] is None or gap:
                    st.below_since[lv] = t
            else:
                st.below_since[lv] = None

        current = level_for(density, thresholds)
        if st.level == Level.NORMAL:
            for lv in range(Level.SERIOUS, cfg.min_level - 1, -1):
                since = st.above_since[lv]
                if since is not None and t - since >= cfg.raise_after_s:
                    if self._cooling(cfg, st, Level(lv), t):
                        continue
                    st.level = Level(lv)
                    events.append(AlertEvent(AlertKind.RAISE, zone_id, st.level, t, density))
                    break
            return events

        if current > st.level:
            for lv in range(current, st.level, -1):
                if not self._cooling(cfg, st, Level(lv), t):
                    previous, st.level = st.level, Level(lv)
                    events.append(
                        AlertEvent(AlertKind.ESCALATE, zone_id, st.level, t, density, previous)
                    )
                    break
            return events

        # Step down through every level whose own hysteresis band the density has left
        # for `clear_after_s`: after 60 s below 4.5 but not below 3.6, a SERIOUS zone
        # drops to ALERT, not to wherever one noisy reading happens to point.
        target = st.level
        while target >= cfg.min_level:
            since = st.below_since[target]
            if since is None or t - since < cfg.clear_after_s:
                break
            target = Level(target - 1)
        if target < cfg.min_level:
            target = Level.NORMAL
        if target < st.level:
            for lv in range(target + 1, st.level + 1):
                st.cleared_at[Level(lv)] = t
            previous, st.level = st.level, target
            kind = AlertKind.CLEAR if target == Level.NORMAL else AlertKind.DEESCALATE
            events.append(AlertEvent(kind, zone_id, target, t, density, previous))
        return events

    def forecast(self, zone_id: str, t: float, minutes: float | None) -> list[AlertEvent]:
        """Forecast minutes until the zone reaches its early-warning level (None: never)."""
        cfg = self.config_for(zone_id)
        st = self.zones.setdefault(zone_id, _ZoneState())
        horizon = cfg.early_warning_horizon_min
        if minutes is None or minutes > horizon * (1.0 + cfg.hysteresis):
            st.warned = False
            return []
        already_there = st.level >= cfg.early_warning_level or (
            st.last_density is not None
            and level_for(st.last_density, cfg.thresholds) >= cfg.early_warning_level
        )
        if st.warned or already_there or minutes > horizon:
            return []
        if st.warned_at is not None and t - st.warned_at < cfg.cooldown_s:
            return []
        st.warned, st.warned_at = True, t
        return [
            AlertEvent(
                AlertKind.EARLY_WARNING,
                zone_id,
                cfg.early_warning_level,
                t,
                st.last_density,
                st.level,
                minutes=minutes,
            )
        ]

    def heartbeat(self, sensor_id: str, t: float, zone_id: str | None = None) -> list[AlertEvent]:
        """A sensor reported (a flow count, a headcount, a keep-alive)."""
        sensor = self.sensors.get(sensor_id)
        if sensor is None:
            if zone_id is None:
                raise KeyError(f"unknown sensor {sensor_id!r}; register it or give its zone")
            self.sensors[sensor_id] = _SensorState(zone_id, t, None)
            return []
        sensor.last_seen = max(sensor.last_seen, t)
        if not sensor.silent:
            return []
        sensor.silent = False
        return [
            AlertEvent(
                AlertKind.SENSOR_RESTORED,
                sensor.zone,
                self.level(sensor.zone),
                t,
                self._last_density(sensor.zone),
                sensor=sensor_id,
            )
        ]

    def check_silent(self, t: float) -> list[AlertEvent]:
        """Sensors that have said nothing for their timeout; each silence is reported once."""
        self._last_sweep = t
        events = []
        for sensor_id, sensor in self.sensors.items():
            timeout = sensor.silent_after_s
            if timeout is None:
                timeout = self.config_for(sensor.zone).silent_after_s
            if not sensor.silent and t - sensor.last_seen >= timeout:
                sensor.silent = True
                events.append(
                    AlertEvent(
                        AlertKind.SENSOR_SILENT,
                        sensor.zone,
                        self.level(sensor.zone),
                        t,
                        self._last_density(sensor.zone),
                        sensor=sensor_id,
                    )
                )
        return events

    # ------------------------------------------------------------------ helpers

    def _maybe_sweep(self, t: float) -> list[AlertEvent]:
        # Sweeping every sensor on every reading would cost O(sensors²) per second at
        # 500 zones × 1 Hz; once per `sweep_every_s` of data time is enough.
        if self._last_sweep is None:
            self._last_sweep = t
            return []
        if t - self._last_sweep < self.sweep_every_s:
            return []
        return self.check_silent(t)

    def _last_density(self, zone_id: str) -> float | None:
        st = self.zones.get(zone_id)
        return st.last_density if st else None

    @staticmethod
    def _cooling(cfg: AlertConfig, st: _ZoneState, level: Level, t: float) -> bool:
        if cfg.cooldown_exempt_level is not None and level >= cfg.cooldown_exempt_level:
            return False
        cleared = st.cleared_at.get(level)
        return cleared is not None and t - cleared < cfg.cooldown_s
