"""The alert state machine raises on sustained density, escalates at once and never flaps."""

import numpy as np
import pytest

from crowd.alerts import AlertConfig, AlertEngine, AlertEvent, AlertKind
from crowd.levels import Level


def feed(engine: AlertEngine, readings, zone: str = "z", start: float = 0.0) -> list[AlertEvent]:
    events: list[AlertEvent] = []
    for i, d in enumerate(readings):
        events += engine.observe(zone, start + i, float(d))
    return events


def kinds(events: list[AlertEvent]) -> list[tuple[str, str]]:
    return [(e.kind.value, e.level.name) for e in events]


def test_noisy_density_around_four_raises_once_and_never_clears() -> None:
    rng = np.random.default_rng(20241231)
    readings = 4.0 + rng.normal(0.0, 0.3, size=3600)  # one hour at 1 Hz
    cfg = AlertConfig()
    events = feed(AlertEngine(cfg), readings)
    assert sum(e.kind == AlertKind.RAISE for e in events) == 1
    assert not any(e.kind == AlertKind.CLEAR for e in events)
    # Every escalation is backed by a reading at/above the level it escalates to, and a
    # step-down only follows a sustained quiet period: no reading-to-reading bouncing.
    for e in events:
        if e.kind == AlertKind.ESCALATE:
            assert e.density >= cfg.thresholds[e.level - 1]
    changes = [e.t for e in events]
    assert all(b - a >= 1 for a, b in zip(changes, changes[1:], strict=False))
    steps = [e for e in events if e.kind == AlertKind.DEESCALATE]
    assert len(steps) <= 3
    assert all(e.level >= Level.ALERT for e in steps)


def test_noisy_density_across_every_seed_tried_never_oscillates_between_raise_and_clear() -> None:
    for seed in range(10):
        rng = np.random.default_rng(seed)
        events = feed(AlertEngine(), 4.0 + rng.normal(0.0, 0.3, size=3600))
        assert [e.kind for e in events].count(AlertKind.RAISE) == 1
        assert AlertKind.CLEAR not in [e.kind for e in events]


def test_a_raise_needs_the_density_sustained() -> None:
    engine = AlertEngine(AlertConfig(raise_after_s=10))
    # 9 s above caution then a dip: nothing; then 10 s above: raise.
    assert feed(engine, [3.5] * 9 + [1.0]) == []
    events = feed(engine, [3.5] * 11, start=10)
    assert kinds(events) == [("raise", "CAUTION")]
    assert events[0].t == 20.0


def test_escalation_to_a_higher_level_is_immediate() -> None:
    engine = AlertEngine()
    feed(engine, [3.5] * 11)
    events = engine.observe("z", 11.0, 5.2)
    assert kinds(events) == [("escalate", "SERIOUS")]
    assert events[0].previous_level == Level.CAUTION


def test_clearing_needs_ten_percent_below_the_threshold_for_the_clear_period() -> None:
    engine = AlertEngine(AlertConfig(clear_after_s=60))
    feed(engine, [3.5] * 11)  # caution, threshold 3.0 → clears below 2.7
    assert feed(engine, [2.8] * 200, start=11) == []  # below 3 but inside the band
    assert feed(engine, [1.5] * 60, start=211) == []  # 59 s below 2.7
    events = engine.observe("z", 271.0, 1.5)
    assert kinds(events) == [("clear", "NORMAL")]
    assert events[0].previous_level == Level.CAUTION


def test_a_quiet_spell_interrupted_by_one_reading_restarts_the_clear_period() -> None:
    engine = AlertEngine(AlertConfig(clear_after_s=60))
    feed(engine, [3.5] * 11)
    feed(engine, [2.0] * 50 + [2.9] + [2.0] * 50, start=11)
    assert engine.level("z") == Level.CAUTION


def test_a_step_down_keeps_the_alert_open_at_the_level_still_in_force() -> None:
    engine = AlertEngine(AlertConfig(clear_after_s=30))
    feed(engine, [4.5] * 11)
    assert engine.level("z") == Level.ALERT
    events = feed(engine, [3.2] * 31, start=11)
    assert kinds(events) == [("deescalate", "CAUTION")]


def test_cooldown_stops_a_re_raise_of_the_same_level_until_it_expires() -> None:
    cfg = AlertConfig(raise_after_s=10, clear_after_s=30, cooldown_s=300)
    engine = AlertEngine(cfg)
    feed(engine, [3.5] * 11)
    cleared = feed(engine, [1.0] * 31, start=11)
    assert kinds(cleared) == [("clear", "NORMAL")]
    t_clear = cleared[0].t
    # Caution again right away: held back for the cooldown …
    again = feed(engine, [3.5] * 200, start=t_clear + 1)
    assert again == []
    # … and raised once the cooldown has passed while the density is still high.
    later = feed(engine, [3.5] * 150, start=t_clear + 201)
    assert kinds(later) == [("raise", "CAUTION")]
    assert later[0].t == t_clear + cfg.cooldown_s


def test_cooldown_never_mutes_a_serious_density() -> None:
    engine = AlertEngine(AlertConfig(raise_after_s=5, clear_after_s=10, cooldown_s=600))
    feed(engine, [5.5] * 6)
    feed(engine, [1.0] * 11, start=6)
    assert engine.level("z") == Level.NORMAL
    events = feed(engine, [5.5] * 6, start=20)
    assert kinds(events) == [("raise", "SERIOUS")]


def test_cooldown_also_holds_back_re_escalation_to_a_recently_stepped_down_level() -> None:
    engine = AlertEngine(AlertConfig(raise_after_s=5, clear_after_s=10, cooldown_s=100))
    feed(engine, [4.5] * 6)  # raise ALERT at t=5
    steps = feed(engine, [3.2] * 11, start=6)  # ALERT → CAUTION at t=16
    assert kinds(steps) == [("deescalate", "CAUTION")]
    assert feed(engine, [4.5] * 50, start=17) == []  # ALERT cooling until t=116
    events = feed(engine, [4.5] * 60, start=67)
    assert kinds(events) == [("escalate", "ALERT")]
    assert events[0].t == 116.0


def test_per_zone_thresholds_make_a_narrow_street_alert_earlier() -> None:
    strict = AlertConfig(thresholds=(1.5, 2.5, 3.0, 4.0))
    engine = AlertEngine(zone_configs={"narrow": strict})
    events = feed(engine, [3.2] * 11, zone="narrow") + feed(engine, [3.2] * 11, zone="square")
    assert kinds(events) == [("raise", "ALERT"), ("raise", "CAUTION")]


def test_a_silent_sensor_is_reported_once_and_its_return_is_reported() -> None:
    engine = AlertEngine(AlertConfig(silent_after_s=30))
    engine.register_sensor("cam-7", "z2", t=0.0)
    events: list[AlertEvent] = []
    for t in range(0, 120):
        events += engine.observe("z1", float(t), 1.0)  # z1's sensor keeps talking
        if t < 10:
            events += engine.heartbeat("cam-7", float(t))
    silent = [e for e in events if e.kind == AlertKind.SENSOR_SILENT]
    assert [(e.sensor, e.zone, e.t) for e in silent] == [("cam-7", "z2", 39.0)]
    back = engine.heartbeat("cam-7", 130.0)
    assert [(e.kind.value, e.sensor) for e in back] == [("sensor_restored", "cam-7")]


def test_readings_after_a_data_gap_do_not_count_as_sustained() -> None:
    engine = AlertEngine(AlertConfig(raise_after_s=10, silent_after_s=30))
    engine.observe("z", 0.0, 3.5)
    assert engine.observe("z", 100.0, 3.5) == []  # 100 s gap: not "above for 100 s"
    assert kinds(engine.observe("z", 110.0, 3.5)) == [("raise", "CAUTION")]


def test_early_warning_is_given_once_while_the_forecast_stays_inside_the_horizon() -> None:
    engine = AlertEngine(AlertConfig(cooldown_s=0))
    engine.observe("z", 0.0, 2.5)
    first = engine.forecast("z", 1.0, minutes=12.0)
    assert [(e.kind.value, e.level.name, e.minutes) for e in first] == [
        ("early_warning", "ALERT", 12.0)
    ]
    assert engine.forecast("z", 2.0, minutes=11.0) == []
    assert engine.forecast("z", 3.0, minutes=16.0) == []  # inside the hysteresis margin
    assert engine.forecast("z", 4.0, minutes=10.0) == []  # still latched
    assert engine.forecast("z", 5.0, minutes=None) == []  # forecast: never → re-armed
    assert len(engine.forecast("z", 6.0, minutes=14.0)) == 1


def test_no_early_warning_when_the_zone_is_already_at_the_warn_level() -> None:
    engine = AlertEngine()
    engine.observe("z", 0.0, 4.2)
    assert engine.forecast("z", 1.0, minutes=0.0) == []


def test_out_of_order_readings_are_ignored() -> None:
    engine = AlertEngine()
    feed(engine, [3.5] * 11)
    assert engine.observe("z", 5.0, 0.1) == []
    assert engine.level("z") == Level.CAUTION


def test_invalid_configuration_is_rejected() -> None:
    with pytest.raises(ValueError):
        AlertConfig(hysteresis=1.5)
    with pytest.raises(ValueError):
        AlertConfig(min_level=Level.NORMAL)
    with pytest.raises(ValueError):
        AlertEngine().observe("z", 0.0, float("nan"))


def test_a_zone_restored_at_alert_escalates_or_holds_instead_of_raising_again() -> None:
    engine = AlertEngine(AlertConfig(raise_after_s=10))
    engine.restore("z", Level.ALERT, 100.0, 4.2)
    held = [e for t in range(101, 130) for e in engine.observe("z", float(t), 4.3)]
    assert held == [] and engine.level("z") == Level.ALERT
    (escalated,) = engine.observe("z", 130.0, 5.1)
    assert (escalated.kind, escalated.previous_level) == (AlertKind.ESCALATE, Level.ALERT)
