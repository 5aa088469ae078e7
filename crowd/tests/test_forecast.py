"""Forecasts of time to a density threshold from smoothed flows and exit capacity."""

import pytest

from crowd.forecast import FlowForecaster, ForecastConfig
from crowd.levels import Level


def steady(fc: FlowForecaster, inflow: float, outflow: float, seconds: int = 600) -> None:
    for t in range(10, seconds + 1, 10):
        fc.observe(float(t), inflow * 10, outflow * 10, interval_s=10)


def test_minutes_to_threshold_follow_the_net_inflow() -> None:
    fc = FlowForecaster(usable_area_m2=1000, exit_widths_m=[10.0])
    steady(fc, inflow=5.0, outflow=3.0)
    assert fc.net_rate == pytest.approx(2.0)
    # From 1000 people (1 p/m²) to 4 p/m² (4000 people) at 2 p/s: 1500 s = 25 min.
    assert fc.minutes_to(4.0, occupancy=1000) == pytest.approx(25.0)
    assert fc.minutes_to(0.5, occupancy=1000) == 0.0


def test_a_draining_or_balanced_zone_never_reaches_the_threshold() -> None:
    fc = FlowForecaster(1000, [10.0])
    steady(fc, inflow=3.0, outflow=3.0)
    assert fc.minutes_to(4.0, occupancy=1000) is None
    steady(fc, inflow=1.0, outflow=3.0)
    assert fc.minutes_to(4.0, occupancy=1000) is None


def test_outflow_is_capped_by_the_exit_capacity() -> None:
    # 2 m of exit × 1.3 p/(m·s) = 2.6 p/s, though counters report 6 p/s leaving.
    fc = FlowForecaster(500, [1.2, 0.8])
    steady(fc, inflow=6.0, outflow=6.0)
    assert fc.exit_capacity == pytest.approx(2.6)
    assert fc.net_rate == pytest.approx(3.4)
    custom = FlowForecaster(500, 2.0, ForecastConfig(specific_flow=3.0))
    steady(custom, inflow=6.0, outflow=6.0)
    assert custom.net_rate == pytest.approx(0.0)


def test_smoothing_follows_a_change_of_rate_gradually() -> None:
    fc = FlowForecaster(1000, [10.0], ForecastConfig(time_constant_s=60))
    steady(fc, inflow=2.0, outflow=0.0)
    fc.observe(610.0, 100.0, 0.0)  # one 10 s interval at 10 p/s
    assert 2.0 < fc.inflow_rate < 4.0
    for t in range(620, 1200, 10):
        fc.observe(float(t), 100.0, 0.0)
    assert fc.inflow_rate == pytest.approx(10.0, rel=1e-3)


def test_early_warning_when_alert_is_within_fifteen_minutes() -> None:
    fc = FlowForecaster(1000, [10.0])
    steady(fc, inflow=5.0, outflow=0.5)  # net 4.5 p/s
    # 3000 people (3 p/m², caution) → 4000 (alert) in 1000/4.5 s ≈ 3.7 min.
    warning = fc.early_warning(3000)
    assert warning is not None
    assert warning.level == Level.ALERT
    assert warning.minutes == pytest.approx(1000 / 4.5 / 60)
    # From 1000 people: 3000/4.5 s ≈ 11 min, still inside the horizon.
    assert fc.early_warning(1000) is not None
    slow = FlowForecaster(1000, [10.0])
    steady(slow, inflow=2.0, outflow=0.0)
    assert slow.early_warning(1000) is None  # 3000/2 s = 25 min: beyond the horizon
    assert fc.early_warning(4100) is None  # already in alert: the alert engine raises


def test_per_zone_thresholds_change_the_forecast_target() -> None:
    fc = FlowForecaster(1000, [10.0])
    steady(fc, inflow=2.0, outflow=0.0)
    assert fc.early_warning(1000) is None
    assert fc.early_warning(1000, thresholds=(1.5, 2.0, 2.5, 3.0)) is not None


def test_invalid_inputs_are_rejected() -> None:
    with pytest.raises(ValueError):
        FlowForecaster(0, [1.0])
    with pytest.raises(ValueError):
        FlowForecaster(10, [-1.0])
    with pytest.raises(ValueError):
        FlowForecaster(10, [1.0]).observe(1.0, 1, 1)  # first report without its interval
