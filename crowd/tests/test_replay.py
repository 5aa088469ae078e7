"""The New Year's Eve demo: its venue on the demo streets, its responders, its evening."""

from datetime import date

import pytest
import shapely

from crowd import replay, selectors
from crowd.demo import ZONES, ensure_demo_responders, ensure_nye_venue
from crowd.models import Alert, Responder
from territory.models import Area


@pytest.fixture
def nye(demo_org):
    return ensure_nye_venue()


def test_the_venue_has_eight_separate_zones_each_on_its_own_street(nye):
    zones = {z.code: z for z in nye.zones.all()}
    assert set(zones) == {p.code for p in ZONES}
    shapes = {code: shapely.geometry.shape(z.polygon) for code, z in zones.items()}
    for plan in ZONES:
        street = Area.objects.get(name=plan.street, level="street")
        assert shapely.geometry.shape(street.geometry).buffer(1e-9).contains(shapes[plan.code])
    codes = sorted(shapes)
    assert not any(shapes[a].intersects(shapes[b]) for a in codes for b in codes if a < b)
    assert zones["bayi-lane"].thresholds == (1.5, 2.5, 3.0, 4.0)
    assert ensure_nye_venue() == nye  # a second call changes nothing


def test_the_district_has_55_stations_and_879_units_covering_it_in_three_minutes(nye):
    assert ensure_demo_responders() == 934
    assert ensure_demo_responders() == 0
    assert Responder.objects.filter(kind="station").count() == 55
    assert Responder.objects.filter(kind="unit").count() == 879
    cov = selectors.coverage(nye)
    assert cov["available"] == 934
    assert 0.5 < cov["within_60s"] < 0.9 and cov["within_180s"] > 0.99


def test_at_the_midnight_countdown_192000_people_are_in_the_zones(nye):
    evening = replay.Evening(nye, date(2025, 12, 31))
    midnight = replay.hours("00:00")
    next(evening.ticks(midnight - 1 / 720, midnight))
    assert sum(s.people for s in evening.sims) == pytest.approx(192_000, rel=0.01)


def test_the_lane_touches_serious_opens_a_case_and_flow_control_relieves_it(
    nye, django_capture_on_commit_callbacks
):
    lines = []
    with django_capture_on_commit_callbacks(execute=True):
        replay.run(start="23:38", end="00:10", speed=0, say=lines.append, day=date(2025, 12, 31))
    lane = nye.zones.get(code="bayi-lane")
    serious = Alert.objects.get(zone=lane, level=4, kind="escalate")
    assert serious.case is not None and serious.case.category.code == "crowd-density"
    steps = list(
        Alert.objects.filter(zone=lane, raised_at__gt=serious.raised_at)
        .order_by("raised_at")
        .values_list("kind", "level")
    )
    assert steps[0] == ("deescalate", 3)  # relieved: serious lasted minutes, not the night
    assert any("flow control" in line for line in lines)
    assert Alert.objects.filter(level=4).count() == 1  # no other zone turned serious
