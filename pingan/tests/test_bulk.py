"""pingan.bulk: rows written in few round trips, with the same outcome on every database."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from cases.choices import EventKind, Status
from cases.models import Case, CaseEvent, Notification
from pingan import bulk


def _unsaved_like(case: Case, number: str) -> Case:
    """A new case row with `case`'s fields (not saved, no id)."""
    fields = {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields
              if not f.primary_key}
    return Case(**{**fields, "number": number, "client_key": None})


def _event(case: Case) -> CaseEvent:
    return CaseEvent(case=case, seq=1, at=case.received_at, kind=EventKind.INTAKE,
                     to_status=Status.RECEIVED, data={"n": case.number})


@pytest.mark.django_db
def test_ids_first_then_parents_and_children_in_one_round(make_case):
    model = make_case()
    cases = [_unsaved_like(model, f"T-{i}") for i in range(3)]
    first = bulk.Together()
    first.give_ids(cases)
    first.send()
    rest = bulk.Together()
    rest.insert(cases)
    events = [_event(c) for c in cases]  # linked once the parents have their ids
    rest.insert(events)
    rest.send()
    for case, event in zip(cases, events, strict=True):
        assert case.pk is not None and not case._state.adding
        stored = CaseEvent.objects.get(pk=event.pk)  # the child's id came back from the insert
        assert stored.case_id == case.pk and stored.data == {"n": case.number}
        assert Case.objects.get(pk=case.pk).number == case.number
    assert len({c.pk for c in cases} | {model.pk}) == 4


@pytest.mark.django_db
def test_a_refused_row_raises_djangos_error_and_keeps_nothing_of_its_round(make_case):
    model = make_case()
    before = (Case.objects.count(), Notification.objects.count())
    clash = _unsaved_like(model, model.number)  # the number is unique
    fine = _unsaved_like(model, "T-fine")
    with pytest.raises(IntegrityError), transaction.atomic():
        together = bulk.Together()
        together.give_ids([fine, clash])
        together.send()
        together.insert([fine])
        together.insert([clash])
        together.send()
    assert (Case.objects.count(), Notification.objects.count()) == before
    assert not Case.objects.filter(number="T-fine").exists()


@pytest.mark.django_db
def test_objects_with_and_without_ids_cannot_share_an_insert(make_case):
    model = make_case()
    with_id = _unsaved_like(model, "T-a")
    with_id.pk = 10_000_000
    with pytest.raises(ValueError, match="primary key"):
        bulk.insert([with_id, _unsaved_like(model, "T-b")])


@pytest.mark.django_db
def test_many_rows_split_below_the_parameter_limit(make_case, monkeypatch):
    model = make_case()
    width = len([f for f in Notification._meta.concrete_fields if not f.primary_key])
    monkeypatch.setattr(bulk, "MAX_PARAMETERS", width * 4)  # four rows a statement
    notices = [Notification(case=model, unit=model.owner_unit, subject=f"n{i}")
               for i in range(10)]
    bulk.insert(notices)
    assert len({n.pk for n in notices}) == 10
    assert sorted(Notification.objects.filter(pk__in=[n.pk for n in notices])
                  .values_list("subject", flat=True)) == sorted(f"n{i}" for i in range(10))


@pytest.mark.django_db
def test_execute_returns_rows_on_every_database(make_case):
    model = make_case()
    rows = bulk.execute(connection, f"SELECT number FROM {Case._meta.db_table} WHERE id = %s",
                        [model.pk])
    assert rows == [(model.number,)]
    assert bulk.execute(connection, f"UPDATE {Case._meta.db_table} SET version = version + 1 "
                        "WHERE id = %s", [model.pk]) == []
    model.refresh_from_db()
    assert model.version == 2
