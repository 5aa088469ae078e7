"""Reference data in memory (org/reference.py): read once, reloaded when it changes, here at
once and elsewhere within the recheck interval; never a rolled-back copy."""

import pytest
from django.db import transaction

from cases import routing
from cases.models import CaseType, RoutingRule
from cases.reference import catalogue, routing_rules
from org import reference
from org.choices import UnitKind
from org.models import Generation

pytestmark = pytest.mark.django_db


def loads(monkeypatch, cached):
    calls = []
    real = cached.load
    monkeypatch.setattr(cached, "load", lambda: calls.append(1) or real())
    return calls


def test_a_set_is_read_once_while_nothing_changes(django_assert_num_queries, settings):
    settings.PINGAN_REFERENCE_RECHECK_SECONDS = 3600
    first = routing_rules()
    with django_assert_num_queries(0):
        for _ in range(50):
            assert routing_rules() is first


def test_a_saved_rule_routes_the_next_case_at_once(first_grid, settings):
    settings.PINGAN_REFERENCE_RECHECK_SECONDS = 3600
    request = CaseType.objects.get(code="request")
    before = routing.route(request, None, first_grid.code)
    assert before.unit is not None and before.unit.kind != UnitKind.POLICE_STATION
    RoutingRule.objects.create(case_type=request, unit_kind=UnitKind.POLICE_STATION, order=0)
    after = routing.route(request, None, first_grid.code)
    assert after.unit is not None and after.unit.kind == UnitKind.POLICE_STATION


def test_a_closed_unit_is_no_longer_routed_to(first_grid, settings):
    settings.PINGAN_REFERENCE_RECHECK_SECONDS = 3600
    request = CaseType.objects.get(code="request")
    unit = routing.route(request, None, first_grid.code).unit
    unit.is_active = False
    unit.save()
    assert routing.route(request, None, first_grid.code).unit != unit


def test_another_process_change_is_seen_after_the_recheck_interval(settings, first_grid):
    settings.PINGAN_REFERENCE_RECHECK_SECONDS = 3600
    request = CaseType.objects.get(code="request")
    seen = catalogue().types_by_code["request"]
    # Another process renamed it: its save wrote a new stamp; this one has not looked yet.
    CaseType.objects.filter(pk=request.pk).update(name="群众诉求（改）")
    Generation.objects.filter(name=reference.NAME).update(stamp="from-another-process")
    assert catalogue().types_by_code["request"] is seen
    settings.PINGAN_REFERENCE_RECHECK_SECONDS = 0
    assert catalogue().types_by_code["request"].name == "群众诉求（改）"


def test_a_rolled_back_change_is_not_kept(settings, first_grid):
    settings.PINGAN_REFERENCE_RECHECK_SECONDS = 0
    request = CaseType.objects.get(code="request")
    before = [r.pk for r in routing_rules()]
    with pytest.raises(RuntimeError), transaction.atomic():
        rule = RoutingRule.objects.create(
            case_type=request, unit_kind=UnitKind.POLICE_STATION, order=0
        )
        assert routing_rules()[0].pk == rule.pk  # inside the transaction: seen
        raise RuntimeError("the change fails")
    assert [r.pk for r in routing_rules()] == before


def test_a_login_is_not_a_change(django_user_model):
    from django.contrib.auth.models import update_last_login

    user = django_user_model.objects.create_user("someone", password="x")
    stamp = Generation.objects.get(name=reference.NAME).stamp
    update_last_login(None, user)  # what every login does
    assert Generation.objects.get(name=reference.NAME).stamp == stamp
    user.first_name = "某"
    user.save()
    assert Generation.objects.get(name=reference.NAME).stamp != stamp


# What the in-memory sets are read from (the catalogue and routing rules, the units by area,
# the tokens with their users, people and memberships): each must move the stamp when a row
# is saved or deleted.
READ_INTO_MEMORY = (
    "cases.CaseType",
    "cases.Category",
    "cases.RoutingRule",
    "org.Unit",
    "org.Person",
    "org.Membership",
    "api.ApiToken",
    "territory.Area",
    "auth.User",
)


def test_the_watched_models_are_those_read_into_memory():
    assert sorted(reference.WATCHED) == sorted(READ_INTO_MEMORY)


def _stamp():
    return Generation.objects.get(name=reference.NAME).stamp


def _a_row_of(label, users):
    from django.apps import apps

    from api.models import ApiToken

    if label == "api.ApiToken":
        return ApiToken.issue(name="watched", user=users["clerk"])[0]
    if label == "cases.CaseType":  # every one of the catalogue's has categories (protected)
        return CaseType.objects.create(code="watched", name="watched")
    # the newest row: a leaf (a grid, not its street) that nothing else protects
    row = apps.get_model(label)._default_manager.order_by("-pk").first()
    assert row is not None, f"no {label} row to change"
    return row


@pytest.mark.parametrize("label", READ_INTO_MEMORY)
def test_every_watched_model_saved_changes_the_stamp(label, users):
    row = _a_row_of(label, users)
    before = _stamp()
    row.save()
    assert _stamp() != before


@pytest.mark.parametrize("label", READ_INTO_MEMORY)
def test_every_watched_model_deleted_changes_the_stamp(label, users):
    row = _a_row_of(label, users)
    before = _stamp()
    with pytest.raises(RuntimeError), transaction.atomic():
        row.delete()
        assert _stamp() != before
        raise RuntimeError("roll the deletion back")
    assert _stamp() == before


def test_a_stamp_not_yet_committed_is_never_shared_with_the_process(settings):
    """The thread that changed reference data sees its change; the process's shared copy
    must not take that transaction's stamp, or other threads would file committed (old)
    data under it and keep it after the commit."""
    from org.reference import _stamp

    settings.PINGAN_REFERENCE_RECHECK_SECONDS = 0
    shared_before = reference.current_stamp()
    request = CaseType.objects.get(code="request")
    rule = RoutingRule.objects.create(case_type=request, unit_kind=UnitKind.POLICE_STATION, order=0)
    assert routing_rules()[0].pk == rule.pk  # this thread, inside its transaction
    uncommitted = Generation.objects.get(name=reference.NAME).stamp
    assert uncommitted != shared_before
    assert _stamp["value"] != uncommitted
    assert all(
        cached.state is None or cached.state[0] != uncommitted for cached in reference._registry
    )
