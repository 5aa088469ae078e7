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
