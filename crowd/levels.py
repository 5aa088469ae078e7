"""Crowd density levels (persons per m²) and the thresholds that separate them."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from enum import IntEnum

from django.utils.translation import gettext_lazy as _

# Lower bounds (p/m²) of attention, caution, alert and serious. Seoul's CCTV crowd system
# uses 3/4/5; we add an "attention" band at 2 so operators see build-up before it matters.
DEFAULT_THRESHOLDS: tuple[float, float, float, float] = (2.0, 3.0, 4.0, 5.0)

Thresholds = tuple[float, float, float, float]


class Level(IntEnum):
    """Ordered density levels; comparisons (`>=`) follow severity."""

    NORMAL = 0
    ATTENTION = 1
    CAUTION = 2
    ALERT = 3
    SERIOUS = 4

    @property
    def label(self) -> str:
        return str(_LABELS[self])

    @property
    def code(self) -> str:
        return self.name.lower()


_LABELS = {
    Level.NORMAL: _("normal"),
    Level.ATTENTION: _("attention"),
    Level.CAUTION: _("caution"),
    Level.ALERT: _("alert"),
    Level.SERIOUS: _("serious"),
}


def validate_thresholds(thresholds: Sequence[float]) -> Thresholds:
    """Return `thresholds` as a tuple after checking there are four finite, increasing values.

    Per-zone configuration comes from operators (narrow or sloped streets get stricter
    values), so a typo must fail loudly instead of silently disabling a level.
    """
    values = tuple(float(v) for v in thresholds)
    if len(values) != 4:
        raise ValueError(
            f"expected 4 thresholds (attention, caution, alert, serious), got {len(values)}"
        )
    if not all(math.isfinite(v) and v > 0 for v in values):
        raise ValueError(f"thresholds must be positive and finite: {values}")
    if any(b <= a for a, b in zip(values, values[1:], strict=False)):
        raise ValueError(f"thresholds must be strictly increasing: {values}")
    return values  # type: ignore[return-value]


def level_for(density: float, thresholds: Sequence[float] = DEFAULT_THRESHOLDS) -> Level:
    """The level of `density`; a value equal to a threshold belongs to the higher level."""
    if math.isnan(density):
        raise ValueError("density is NaN")
    return Level(bisect.bisect_right(thresholds, density))


def threshold_for(level: Level, thresholds: Sequence[float] = DEFAULT_THRESHOLDS) -> float:
    """The density at which `level` starts (0 for NORMAL)."""
    return 0.0 if level == Level.NORMAL else float(thresholds[int(level) - 1])
