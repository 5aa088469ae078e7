"""Density levels follow the default and per-zone thresholds."""

import pytest

from crowd.levels import DEFAULT_THRESHOLDS, Level, level_for, threshold_for, validate_thresholds


@pytest.mark.parametrize(
    ("density", "level"),
    [
        (0.0, Level.NORMAL),
        (1.99, Level.NORMAL),
        (2.0, Level.ATTENTION),
        (2.99, Level.ATTENTION),
        (3.0, Level.CAUTION),
        (4.0, Level.ALERT),
        (4.999, Level.ALERT),
        (5.0, Level.SERIOUS),
        (9.0, Level.SERIOUS),
    ],
)
def test_default_levels_put_a_value_on_a_threshold_in_the_higher_level(
    density: float, level: Level
) -> None:
    assert level_for(density) == level


def test_a_stricter_zone_reaches_alert_earlier() -> None:
    narrow_street = validate_thresholds((1.5, 2.5, 3.0, 4.0))
    assert level_for(3.2, narrow_street) == Level.ALERT
    assert level_for(3.2) == Level.CAUTION


def test_threshold_for_gives_the_lower_bound_of_each_level() -> None:
    assert threshold_for(Level.NORMAL) == 0.0
    assert [threshold_for(lv) for lv in list(Level)[1:]] == list(DEFAULT_THRESHOLDS)


@pytest.mark.parametrize("bad", [(2, 3, 4), (2, 3, 3, 5), (2, -3, 4, 5), (2, 3, 4, float("inf"))])
def test_invalid_thresholds_are_rejected(bad: tuple) -> None:
    with pytest.raises(ValueError):
        validate_thresholds(bad)


def test_levels_have_codes_and_translatable_labels() -> None:
    assert Level.SERIOUS.code == "serious"
    assert isinstance(Level.ALERT.label, str) and Level.ALERT.label


def test_nan_density_is_an_error_not_a_normal_level() -> None:
    with pytest.raises(ValueError):
        level_for(float("nan"))
