"""Demo data: a year of cases through the services, every stage present, history consistent."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from cases import demo_data
from cases.choices import Channel, Location, Status
from cases.models import Case, CaseEvent
from territory.locator import get_locator

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR_END = datetime(2026, 6, 30, 18, 0, tzinfo=SHANGHAI)
TOTAL = sum(demo_data.ANNUAL.values()) + demo_data.RECEPTION_DAY_ISSUES
SMALL = 200 / TOTAL  # a year of about 200 cases


def fingerprint(plan):
    return [
        (
            c.key,
            c.case_type,
            c.category,
            c.channel,
            c.grid,
            c.title,
            c.lon,
            c.lat,
            [(s.at, s.action) for s in c.steps],
        )
        for c in plan
    ]


def test_the_plan_is_the_same_for_the_same_seed_and_differs_for_another(demo_district):
    grids = demo_data.demo_grids()
    first = demo_data.plan_demo_cases(grids, year_end=YEAR_END, seed=7, scale=SMALL)
    again = demo_data.plan_demo_cases(grids, year_end=YEAR_END, seed=7, scale=SMALL)
    other = demo_data.plan_demo_cases(grids, year_end=YEAR_END, seed=8, scale=SMALL)
    assert fingerprint(first) == fingerprint(again)
    assert fingerprint(first) != fingerprint(other)


def test_the_volumes_follow_the_district_scaled_down(demo_district):
    counts = demo_data.annual_counts(1 / 20)
    assert counts["dispute"] == 3_600  # Yuzhong's 72,000 disputes a year at 1/20
    assert counts["reception_day"] == 126  # its 2,517 reception-day issues at 1/20


def test_the_third_wednesday_is_the_reception_day():
    assert demo_data.third_wednesday(2026, 4).isoformat() == "2026-04-15"
    assert demo_data.third_wednesday(2026, 7).isoformat() == "2026-07-15"
    assert demo_data.third_wednesday(2026, 9).isoformat() == "2026-09-16"


def test_a_small_year_has_every_stage_and_a_consistent_history(demo_org):
    # when
    summary = demo_data.generate_demo_cases(year_end=YEAR_END, seed=7, scale=SMALL)

    # then: about 200 cases, every status of the lifecycle present
    cases = Case.objects.filter(client_key__startswith=demo_data.DEMO_KEY_PREFIX)
    assert 190 <= summary.cases == cases.count() <= 230
    assert set(summary.by_status) == set(Status.values)
    assert summary.overdue > 0 and summary.reopened > 0 and summary.escalated > 0
    assert summary.supervised > 0 and summary.rated > 0
    assert summary.events == CaseEvent.objects.filter(case__in=cases).count()
    assert set(summary.by_type) == set(demo_data.ANNUAL)
    assert summary.by_type["dispute"] > summary.by_type["request"] > summary.by_type["hazard"]

    # and every case's history is numbered 1..n, in time order, and real
    events: dict[int, list[CaseEvent]] = {}
    for event in CaseEvent.objects.filter(case__in=cases).order_by("case_id", "seq"):
        events.setdefault(event.case_id, []).append(event)
    for case in cases:
        history = events[case.pk]
        assert [e.seq for e in history] == list(range(1, len(history) + 1))
        assert history[0].kind == "intake" and history[0].at == case.received_at
        assert all(a.at <= b.at for a, b in zip(history, history[1:], strict=False))
        assert case.received_at <= YEAR_END and history[-1].at <= YEAR_END
        # closing needs a verification and a rating or a failed contact since the last result
        for i, event in enumerate(history):
            if event.kind == "close":
                since = [e.kind for e in history[:i]]
                since = since[len(since) - since[::-1].index("resolve") :]
                assert "verify" in since
                assert "rate" in since or "contact_failed" in since
        if case.status == Status.RESOLVED:
            assert history[-1].kind in ("resolve", "verify", "rate")

    # and points lie inside the district's grids; reception days are third Wednesdays
    locator = get_locator()
    for case in cases.exclude(lon=None):
        assert case.location == Location.LOCATED
        assert locator.locate(case.lon, case.lat) == case.grid_code
    reception = cases.filter(channel=Channel.RECEPTION_DAY)
    assert reception.exists()
    for case in reception:
        local = case.received_at.astimezone(SHANGHAI)
        assert local.date() == demo_data.third_wednesday(local.year, local.month)
        assert time(9) <= local.time() <= time(11, 30)

    # and a second run leaves the demo cases as they are
    again = demo_data.generate_demo_cases(year_end=YEAR_END, seed=7, scale=SMALL)
    assert again.skipped and again.cases == summary.cases
