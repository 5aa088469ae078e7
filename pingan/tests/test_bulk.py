"""pingan.bulk: rows written in few round trips, with the same outcome on every database."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import DataError, IntegrityError, connection, transaction

from cases.choices import EventKind, Status
from cases.models import Case, CaseEvent, Notification
from pingan import bulk


def _unsaved_like(case: Case, number: str) -> Case:
    """A new case row with `case`'s fields (not saved, no id)."""
    fields = {
        f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields if not f.primary_key
    }
    return Case(**{**fields, "number": number, "client_key": None})


def _event(case: Case) -> CaseEvent:
    return CaseEvent(
        case=case,
        seq=1,
        at=case.received_at,
        kind=EventKind.INTAKE,
        to_status=Status.RECEIVED,
        data={"n": case.number},
    )


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
def test_values_come_back_exactly(make_case):
    model = make_case()
    shanghai = ZoneInfo("Asia/Shanghai")
    case = _unsaved_like(model, "T-exact")
    case.lon, case.lat = 106.52445712345678, 29.548321000000003
    case.received_at = datetime(2026, 2, 17, 23, 59, 58, 123456, tzinfo=shanghai)
    case.due_at = None
    case.calendar_known = False
    case.pauses = [{"from": "2026-02-18", "reason": '等待居民补充材料 "引号"'}]
    bulk.insert([case])
    event = _event(case)
    event.data = {"text": "楼道堆物\n第二行", "n": 3, "x": 0.1, "ok": True, "none": None}
    bulk.insert([event])
    stored = Case.objects.get(pk=case.pk)
    assert (stored.lon, stored.lat) == (case.lon, case.lat)
    assert stored.received_at == case.received_at and stored.due_at is None
    assert stored.calendar_known is False and stored.pauses == case.pauses
    assert CaseEvent.objects.get(pk=event.pk).data == event.data


@pytest.mark.django_db
def test_a_value_too_long_is_never_cut_short(make_case):
    model = make_case()
    case = _unsaved_like(model, "T-long")
    case.title = "长" * 250  # the column holds 200
    try:
        with transaction.atomic():
            bulk.insert([case])
    except DataError:
        assert not Case.objects.filter(number="T-long").exists()  # PostgreSQL refuses it
    else:  # SQLite keeps what it is given
        assert Case.objects.get(number="T-long").title == case.title


@pytest.mark.django_db
def test_execute_returns_rows_on_every_database(make_case):
    model = make_case()
    rows = bulk.execute(
        connection, f"SELECT number FROM {Case._meta.db_table} WHERE id = %s", [model.pk]
    )
    assert rows == [(model.number,)]
    assert (
        bulk.execute(
            connection,
            f"UPDATE {Case._meta.db_table} SET version = version + 1 WHERE id = %s",
            [model.pk],
        )
        == []
    )
    model.refresh_from_db()
    assert model.version == 2


@pytest.mark.postgres
@pytest.mark.django_db
def test_rows_made_fast_equal_the_fields_own_conversion(make_case):
    """Values that skip the fields' conversion come out as the conversion makes them (the
    JSON rows are PostgreSQL's: elsewhere bulk_create converts)."""
    import time_machine

    from conftest import skip_or_fail

    if connection.vendor != "postgresql":
        skip_or_fail("the JSON rows are PostgreSQL's (set PINGAN_TEST_DATABASE_URL)")

    from cases.crypto import EncryptedTextField, decrypt
    from cases.models import Party

    model = make_case()
    case = _unsaved_like(model, "T-fast")
    case.status = Status.RECEIVED  # an enum member in a text column
    case.calendar_known, case.escalations, case.lat = True, 3, 29
    case.extensions = [{"days": 5}]
    party = Party(case=model, role="reporter", name="王小明", phone="13800001234")
    event = _event(model)
    event.at = datetime(2026, 2, 17, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    notice = Notification(unit=model.owner_unit, case=model, subject="新案件")
    with time_machine.travel(datetime(2026, 3, 1, tzinfo=ZoneInfo("UTC")), tick=False):
        for obj in (case, party, event, notice):
            fields, _sql = bulk._statement(type(obj), connection.alias, False)
            slow = [
                bulk._plain(f.get_db_prep_save(f.pre_save(obj, True), connection)) for f in fields
            ]
            fast = bulk._rows([obj], bulk._plan(type(obj), connection.alias, False), connection)[0]
            # Encryption is salted: compare what each decrypts to, not the cipher text.
            for field, a, b in zip(fields, slow, fast, strict=True):
                if isinstance(field, EncryptedTextField):
                    assert decrypt(a) == decrypt(b)
                else:
                    assert json.dumps(a) == json.dumps(b), field.name  # what travels


@pytest.mark.django_db
def test_one_round_gives_ids_of_several_models_and_writes_them_as_one_statement(make_case):
    model = make_case()
    cases = [_unsaved_like(model, f"T-r{i}") for i in range(3)]
    events = [_event(model) for _ in range(2)]
    first = bulk.Together()
    first.give_ids(cases)
    first.give_ids(events)
    first.send()
    if first.queued:  # PostgreSQL: one statement took keys from both sequences
        assert all(o.pk is not None for o in cases + events)
        assert len({c.pk for c in cases}) == 3 and len({e.pk for e in events}) == 2
    rest = bulk.Together()
    rest.insert(cases)  # elsewhere than PostgreSQL: the ids come here
    for case, event in zip(cases, events, strict=False):
        event.case = case
    rest.insert(events)
    notices = [Notification(unit=model.owner_unit, case=c, subject=c.number) for c in cases]
    rest.insert(notices, returning=False)
    if rest.queued:  # PostgreSQL: the three inserts travel as one statement
        assert len(bulk._joined(list(rest._queue))) == 1
    rest.send()
    assert set(Case.objects.filter(number__startswith="T-r").values_list("pk", flat=True)) == {
        c.pk for c in cases
    }
    assert {e.case_id for e in CaseEvent.objects.filter(pk__in=[e.pk for e in events])} == {
        cases[0].pk,
        cases[1].pk,
    }
    assert set(Notification.objects.filter(case__in=cases).values_list("subject", flat=True)) == {
        c.number for c in cases
    }
    assert all(not c._state.adding for c in cases)


@pytest.mark.django_db
def test_a_statement_that_returns_rows_keeps_its_place_among_writes(make_case):
    model = make_case()
    seen = []
    together = bulk.Together()
    together.insert([_unsaved_like(model, "T-w1")], returning=False)
    together.execute(
        f"SELECT count(*) FROM {Case._meta.db_table} WHERE number LIKE %s",
        ["T-w%"],
        then=seen.append,
    )
    together.insert([_unsaved_like(model, "T-w2")], returning=False)
    # A statement not marked to join runs on its own (an UPDATE of a row the inserts
    # around it do not touch), and in its place.
    together.execute(
        f"UPDATE {Case._meta.db_table} SET version = version + 1 WHERE id = %s", [model.pk]
    )
    together.insert([_unsaved_like(model, "T-w3")], returning=False)
    if together.queued:
        # insert; select; insert; update; insert: no two joinable statements in a row
        assert len(bulk._joined(list(together._queue))) == 5
    together.send()
    assert seen == [[(1,)]]  # after the first insert, before the second
    assert Case.objects.filter(number__startswith="T-w").count() == 3
    model.refresh_from_db()
    assert model.version == 2
    with pytest.raises(ValueError, match="cannot join"):
        together.execute("SELECT 1", [], then=seen.append, join=True)


@pytest.mark.django_db
def test_rows_of_plain_values(make_case):
    from datetime import date

    from measures.facts import Fact
    from measures.models import CaseFact

    model = make_case()
    CaseFact.objects.filter(pk=model.pk).delete()
    fact = Fact(model.pk)
    fact.area_code, fact.case_type_id, fact.channel = model.area_code, model.case_type_id, "x"
    fact.received_at = datetime(2026, 2, 17, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    fact.received_on = date(2026, 2, 17)
    together = bulk.Together()
    together.insert_rows(CaseFact, [fact.row()])
    together.send()
    stored = CaseFact.objects.get(pk=model.pk)
    assert (stored.received_at, stored.received_on, stored.channel, stored.on_time) == (
        fact.received_at,
        fact.received_on,
        "x",
        False,
    )
