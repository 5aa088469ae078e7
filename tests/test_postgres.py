"""On PostgreSQL: the run really is on PostgreSQL, and scoping by code prefix uses an index."""

import pytest
from django.db import connection

from conftest import skip_or_fail
from territory.models import Area

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _on_postgres():
    if connection.vendor != "postgresql":
        skip_or_fail("this run is not on PostgreSQL (set PINGAN_TEST_DATABASE_URL)")


def test_the_suite_runs_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("select version()")
        assert "PostgreSQL" in cursor.fetchone()[0]


def test_a_code_prefix_filter_can_use_the_pattern_index(demo_district):
    with connection.cursor() as cursor:
        cursor.execute("set local enable_seqscan = off")
        sql, params = Area.objects.inside("500103001").values("id").query.sql_with_params()
        cursor.execute("explain " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "territory_area_code" in plan and "_like" in plan, plan
    assert Area.objects.inside("500103001").count() > 1


def test_the_duplicate_search_reads_only_the_box_around_the_point(make_case):
    """Intake's duplicate search, as the driver prepares it (a generic plan), takes the
    search box from index case_dedupe_near, before and after the table is analysed: its
    cost must not grow with every case of the category in the window."""
    from cases.models import Case
    from cases.selectors import similar_sql
    from territory.choices import Level
    from territory.models import Area

    grids = list(Area.objects.filter(level=Level.GRID).order_by("code")) * 4  # 3,516 cases
    model = make_case()
    fields = {
        f.attname: getattr(model, f.attname)
        for f in Case._meta.concrete_fields
        if not f.primary_key
    }
    Case.objects.bulk_create(
        [
            Case(
                **{
                    **fields,
                    "number": f"T-near-{i}",
                    "client_key": None,
                    "lon": g.centroid_lon,
                    "lat": g.centroid_lat,
                }
            )
            for i, g in enumerate(grids)
        ]
    )
    numbered = similar_sql(True)
    for i in range(1, numbered.count("%s") + 1):
        numbered = numbered.replace("%s", f"${i}", 1)
    args = [
        model.category_id,
        "received",
        "accepted",
        "assigned",
        "in_progress",
        "resolved",
        0,
        model.lat - 0.003,
        model.lat + 0.003,
        model.lon - 0.003,
        model.lon + 0.003,
        "2000-01-01",
        "2100-01-01",
    ]
    with connection.cursor() as cursor:
        cursor.execute("set local plan_cache_mode = force_generic_plan")
        for analysed in (False, True):
            if analysed:
                cursor.execute("analyze cases_case")
            else:  # as a new database knows it: nothing
                cursor.execute("delete from pg_statistic where starelid = 'cases_case'::regclass")
            cursor.execute(f"prepare near_dupes as {numbered}")
            cursor.execute(
                "explain execute near_dupes(" + ", ".join(["%s"] * len(args)) + ")", args
            )
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("deallocate near_dupes")
            assert "case_dedupe_near" in plan, (analysed, plan)
