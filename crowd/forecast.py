"""Time-to-threshold forecasts from smoothed zone flows, with outflow capped by exit capacity."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from crowd.levels import DEFAULT_THRESHOLDS, Level, level_for, threshold_for

# Specific flow of a free exit in persons per metre of width per second. Fruin/Weidmann
# and the Jülich bottleneck experiments give 1.2–1.9 p/(m·s); 1.3 is a conservative
# planning value for a dense, mixed crowd (the PedPy bottleneck reaches ~8 p/s through
# 1.06 m only with a young, practised group).
SPECIFIC_FLOW = 1.3


@dataclass(frozen=True)
class ForecastConfig:
    time_constant_s: float = 60.0  # EWMA time constant of the flow rates
    specific_flow: float = SPECIFIC_FLOW  # p/(m·s)
    horizon_min: float = 15.0  # early-warning horizon
    warn_level: Level = Level.ALERT

    def __post_init__(self) -> None:
        if self.time_constant_s <= 0 or self.specific_flow <= 0 or self.horizon_min <= 0:
            raise ValueError("time constant, specific flow and horizon must be positive")


@dataclass(frozen=True)
class EarlyWarning:
    t: float
    level: Level
    minutes: float  # forecast minutes until the zone reaches `level`
    density: float  # density now
    net_rate: float  # persons/s used for the forecast


class FlowForecaster:
    """Forecast for one zone from EWMA-smoothed inflow and outflow rates.

    The inflow and outflow rates (p/s) are smoothed separately with an exponentially
    weighted moving average whose weight adapts to irregular reporting intervals
    (α = 1 − exp(−Δt/τ)). The outflow used for the forecast is capped by what the exits
    can pass (sum of exit widths × specific flow): counters may briefly report more
    (a wave after a blocked door opens), but a zone cannot keep draining faster than its
    exits allow, and an optimistic outflow is exactly the error that hides a crush.
    """

    def __init__(
        self,
        usable_area_m2: float,
        exit_widths_m: Sequence[float] | float,
        config: ForecastConfig | None = None,
    ) -> None:
        if usable_area_m2 <= 0:
            raise ValueError("usable area must be positive")
        widths = [exit_widths_m] if isinstance(exit_widths_m, int | float) else exit_widths_m
        if any(w < 0 for w in widths):
            raise ValueError("exit widths must be ≥ 0")
        self.area = float(usable_area_m2)
        self.config = config or ForecastConfig()
        self.exit_width = float(sum(widths))
        self.inflow_rate: float | None = None
        self.outflow_rate: float | None = None
        self.t: float | None = None

    @property
    def exit_capacity(self) -> float:
        """Persons per second the exits can pass."""
        return self.exit_width * self.config.specific_flow

    def observe(
        self, t: float, inflow: float, outflow: float, interval_s: float | None = None
    ) -> None:
        """Counts over the interval ending at `t`; its length defaults to time since the last."""
        if interval_s is None:
            if self.t is None:
                raise ValueError("the first observation needs interval_s")
            interval_s = t - self.t
        if interval_s <= 0:
            return  # a duplicate or late report carries no rate information
        rate_in, rate_out = inflow / interval_s, outflow / interval_s
        if self.inflow_rate is None or self.outflow_rate is None:
            self.inflow_rate, self.outflow_rate = rate_in, rate_out
        else:
            alpha = 1.0 - math.exp(-interval_s / self.config.time_constant_s)
            self.inflow_rate += alpha * (rate_in - self.inflow_rate)
            self.outflow_rate += alpha * (rate_out - self.outflow_rate)
        self.t = t if self.t is None else max(self.t, t)

    @property
    def net_rate(self) -> float:
        """Smoothed inflow minus the capped smoothed outflow (p/s); 0 before any data."""
        if self.inflow_rate is None or self.outflow_rate is None:
            return 0.0
        return self.inflow_rate - min(self.outflow_rate, self.exit_capacity)

    def minutes_to(self, threshold: float, occupancy: float) -> float | None:
        """Minutes until density reaches `threshold` (p/m²), 0 if already there, None if never."""
        target = threshold * self.area
        if occupancy >= target:
            return 0.0
        net = self.net_rate
        # A trickle of 1 person per 1000 s is noise in the smoothed rates, not a trend.
        if net <= 1e-3:
            return None
        return (target - occupancy) / net / 60.0

    def early_warning(
        self,
        occupancy: float,
        thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
        t: float | None = None,
    ) -> EarlyWarning | None:
        """A warning when the zone is below the warn level but will reach it within the horizon."""
        level = self.config.warn_level
        density = occupancy / self.area
        if level_for(density, thresholds) >= level:
            return None  # already there: the alert engine's raise covers it
        minutes = self.minutes_to(threshold_for(level, thresholds), occupancy)
        if minutes is None or minutes > self.config.horizon_min:
            return None
        return EarlyWarning(
            t=t if t is not None else (self.t or 0.0),
            level=level,
            minutes=minutes,
            density=density,
            net_rate=self.net_rate,
        )
