"""`pingan rebuild-rollups` gives back exactly the rows the events kept live."""

import io

import pytest
from django.core.management import call_command

from cases.models import Case
from measures import rollups
from measures.models import Rollup
from measures.tests.scenarios import populate
from territory.models import Area

pytestmark = pytest.mark.django_db


def test_rebuild_rollups_gives_the_same_rows_after_they_were_lost(users):
    populate(users["admin"], list(Area.objects.filter(level="grid")[:5]), 12)
    live = rollups.rollup_snapshot()
    Rollup.objects.all().delete()
    out = io.StringIO()
    call_command("rebuild_rollups", stdout=out, stderr=io.StringIO())
    assert rollups.rollup_snapshot() == live
    assert str(Case.objects.count()) in out.getvalue()
