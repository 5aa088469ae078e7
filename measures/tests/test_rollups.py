"""Rollups kept live by the events equal a rebuild from the events, and every source agrees."""

from datetime import date

import pytest

from cases.models import CaseType, Category
from measures import cube, rollups
from measures.cube import Slice
from measures.definitions import MEASURES
from measures.models import CaseFact, Rollup
from measures.tests.scenarios import populate
from territory.choices import Level
from territory.models import Area

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(users):
    grids = list(Area.objects.filter(level=Level.GRID).order_by("code")[::97])
    return populate(users["admin"], grids, 36)


def test_live_rollups_equal_a_rebuild_from_the_events(history):
    # given rollups kept in step event by event
    live_rows, live_facts = rollups.rollup_snapshot(), rollups.fact_snapshot()
    assert len(live_facts) == CaseFact.objects.count() >= len(history)
    # when they are thrown away and rebuilt from the events alone
    rollups.rebuild()
    # then every row is the same
    assert rollups.rollup_snapshot() == live_rows
    assert rollups.fact_snapshot() == live_facts


def test_the_python_and_sql_definitions_of_each_count_agree(history):
    for fact in CaseFact.objects.all():
        for m in MEASURES.values():
            in_sql = CaseFact.objects.filter(pk=fact.pk).filter(m.q()).exists()
            assert m.test(fact) == in_sql, (m.code, fact.pk)


SPANS = [("2025-01-01", "2026-03-01"), ("2025-02-11", "2025-07-20"), ("2025-03-03", "2025-03-10")]


def test_rollups_and_facts_give_the_same_counts_for_any_area_and_period(history):
    hazard = CaseType.objects.get(code="hazard").pk
    cat = Category.objects.get(code="dispute-neighbour").pk
    for area_level in (0, 6, 9, 12, 15):
        code = history[0].area_code[:area_level]
        for first, end in SPANS:
            s = Slice(code, date.fromisoformat(first), date.fromisoformat(end))
            assert cube.counts(s) == cube.facts_only(s), (code, first)
            assert cube.counts(s)["received"] > 0 or area_level or first != SPANS[0][0]
            for by in ("child", "month", "day", "category", "channel"):
                assert cube.counts(s, by) == cube.facts_only(s, by), (code, first, by)
            others = [
                Slice(code, date(2025, 1, 1), date(2025, 2, 1)),
                Slice(code, s.start.replace(year=2024), s.end.replace(year=2024)),
            ]
            assert cube.counts_many([s, *others]) == [cube.facts_only(x) for x in [s, *others]]
            for filtered in (
                Slice(code, s.start, s.end, case_types=(hazard,)),
                Slice(code, s.start, s.end, categories=(cat,), channel="hotline"),
            ):
                assert cube.counts(filtered) == cube.facts_only(filtered), (code, first)


def test_the_rollups_are_actually_used_where_materialised(history):
    assert Rollup.objects.filter(level=0, grain="m", detail=False).exists()
    assert not Rollup.objects.filter(level=15).exists()


def test_a_drill_down_lists_exactly_the_cases_counted(history):
    s = Slice("", date(2025, 1, 1), date(2026, 3, 1))
    totals = cube.counts(s)
    for code in MEASURES:
        assert cube.drill(s, code).count() == totals[code], code
