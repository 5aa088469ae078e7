"""Group commit (cases/groupcommit.py): concurrent intakes written together, each exactly
once, a bad one failing alone; and a batch written as the same rows as one at a time."""

import contextlib
import threading
import time

import pytest
from django.db import IntegrityError, transaction

from cases import services
from cases.groupcommit import GroupCommit, _Slot
from cases.models import Case, CaseEvent, Notification, Party
from measures import rollups
from measures.models import CaseFact, Rollup


def _group(write, **kw):
    return GroupCommit(write, atomic=contextlib.nullcontext, **kw)


def _run_threads(n, target):
    errors = {}

    def run(i):
        try:
            target(i)
        except Exception as exc:  # noqa: BLE001
            errors[i] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a submitter never returned"
    return errors


def _wait_queued(group, n):
    """Until `n` items wait in the group's queue (it notifies its lock at every arrival)."""
    with group._lock:
        return group._lock.wait_for(lambda: len(group._queue) >= n, timeout=10)


class _HeldFirst:
    """A writer whose first batch is held until `waiting` items queue behind it, so what
    follows is written in full batches however the threads happen to be scheduled."""

    def __init__(self, write, waiting):
        self.write, self.waiting = write, waiting
        self.writing = threading.Event()
        self.group = None
        self.calls = []

    def __call__(self, items):
        self.calls.append(list(items))
        if len(self.calls) == 1:
            self.writing.set()
            assert _wait_queued(self.group, self.waiting), "the others never queued"
        self.write(items)


def _behind_a_held_batch(write, n, **kw):
    """`n` threads submit 0..n-1 while a first item's (-1) batch is being written; the
    group, the writer's calls and each thread's error."""
    held = _HeldFirst(write, waiting=n)
    group = held.group = _group(held, **kw)
    first = threading.Thread(target=group.submit, args=(-1,))
    first.start()
    assert held.writing.wait(10)
    errors = _run_threads(n, group.submit)
    first.join(10)
    assert not first.is_alive()
    return group, held.calls, errors


def test_concurrent_items_are_written_once_each_and_together():
    batches = []
    group, calls, errors = _behind_a_held_batch(batches.append, 40)
    assert errors == {}
    assert batches[0] == [-1] and len(batches) == 2
    assert sorted(batches[1]) == list(range(40))  # all that waited, in one transaction
    assert group.items == 41 and group.batches == 2


def test_a_batch_holds_at_most_the_limit():
    sizes = []
    group, calls, errors = _behind_a_held_batch(lambda items: sizes.append(len(items)), 20, limit=3)
    assert errors == {}
    assert sizes == [1, 3, 3, 3, 3, 3, 3, 2]  # the 20 waiting, three by three


def test_a_bad_item_fails_alone_and_the_rest_are_written():
    written = []

    def write(items):
        if 7 in items:
            raise ValueError("item 7 is bad")
        written.extend(items)

    group, calls, errors = _behind_a_held_batch(write, 20)
    assert list(errors) == [7] and str(errors[7]) == "item 7 is bad"
    assert sorted(calls[1]) == list(range(20))  # 7 spoilt a batch of all twenty …
    assert sorted(calls[2:]) == [[i] for i in range(20)]  # … and each was written alone
    assert sorted(written) == [-1, *(i for i in range(20) if i != 7)]


def test_a_lone_writer_gets_its_own_error_and_the_group_is_usable_again():
    written = []

    def write(items):
        if "x" in items:
            raise ZeroDivisionError("x is bad")
        written.extend(items)

    group = _group(write)
    with pytest.raises(ZeroDivisionError):
        group.submit("x")
    # the same group: a submitter after the error writes at once (in a thread, so that a
    # group left busy fails the test instead of hanging it)
    assert _run_threads(1, lambda i: group.submit("y")) == {}
    assert written == ["y"] and group.batches == 2


def test_a_writer_waits_for_an_intake_still_being_made_ready():
    batches = []
    group = _group(lambda items: batches.append(list(items)), delay=5.0)
    started = threading.Event()

    def sibling():
        with group.preparing() as submit:
            started.set()
            _wait_queued(group, 1)  # still locating, classifying … while "a" waits
            submit("b")

    t = threading.Thread(target=sibling)
    t.start()
    assert started.wait(5)
    t0 = time.monotonic()
    group.submit("a")  # the sibling is preparing: wait for it (not the whole 5 s)
    waited = time.monotonic() - t0
    t.join(5)
    assert batches == [["a", "b"]] and waited < 4


def test_an_intake_that_fails_while_being_made_ready_holds_nobody_up():
    group = _group(lambda items: None, delay=30.0)
    with pytest.raises(ValueError), group.preparing():
        raise ValueError("bad input")
    t = threading.Thread(target=group.submit, args=("next",))
    t.start()
    t.join(5)
    assert not t.is_alive()


def test_a_writer_that_fails_before_writing_hands_over_and_nobody_hangs():
    calls = []

    def delay():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("settings unreadable")
        return 0.0

    group = _group(lambda items: None, delay=delay)
    with pytest.raises(RuntimeError):
        group.submit("first")
    t = threading.Thread(target=group.submit, args=("second",))
    t.start()
    t.join(5)
    assert not t.is_alive() and group.batches == 1


def test_an_error_nobody_in_particular_caused_is_not_retried_item_by_item():
    attempts = []

    def write(items):
        attempts.append(list(items))
        raise ConnectionError("the database went away")

    group = _group(write, retry_alone=lambda exc: not isinstance(exc, ConnectionError))
    slots = [_Slot(i) for i in range(3)]
    group._write_batch(slots)
    assert attempts == [[0, 1, 2]]
    assert all(isinstance(s.error, ConnectionError) for s in slots)


def test_a_lone_writer_does_not_wait():
    group = _group(lambda items: None, delay=30.0)
    t = threading.Thread(target=group.submit, args=("alone",))
    t.start()
    t.join(5)
    assert not t.is_alive() and group.batches == 1


def _ready_intakes(monkeypatch, grids, users):
    """Intakes made ready as requests would make them, not written."""
    ready = []

    class Collect:
        @contextlib.contextmanager
        def preparing(self):
            yield ready.append

    with monkeypatch.context() as m:
        m.setattr(services, "_group_commit", Collect())
        m.setattr(services, "_grouped", lambda: True)
        for i, grid in enumerate(grids):
            services.intake_case(
                title=f"楼道堆放杂物第{i}次",
                text="消防通道被占用",
                case_type="hazard",
                channel="hotline",
                lon=grid.centroid_lon,
                lat=grid.centroid_lat,
                actor=users["clerk"],
                parties=[{"name": "张三丰", "phone": "13812345678"}] * (i % 2 + 1),
            )
    return ready


@pytest.mark.django_db
def test_a_failed_batch_written_again_item_by_item_links_each_row_to_its_own_case(
    first_grid, far_grid, users, monkeypatch
):
    ready = _ready_intakes(monkeypatch, [first_grid, far_grid, first_grid], users)
    real = services.record_intakes

    def fussy(pairs, into):  # the batch fails after its cases, parties and events went in
        if len(pairs) > 1:
            into.send()
            raise IntegrityError("a batch-only failure")
        real(pairs, into=into)

    monkeypatch.setattr(services, "record_intakes", fussy)
    slots = [_Slot(r) for r in ready]
    GroupCommit(services._write_intakes, atomic=transaction.atomic)._write_batch(slots)
    assert [s.error for s in slots] == [None, None, None]
    cases = {c.pk: c for c in Case.objects.all()}
    assert len(cases) == 3 and {r.case.pk for r in ready} == set(cases)
    for r in ready:
        assert r.event.case_id == r.case.pk
        assert CaseEvent.objects.get(pk=r.event.pk).case_id == r.case.pk
        assert {p.case_id for p in Party.objects.filter(pk__in=[p.pk for p in r.parties])} == {
            r.case.pk
        }
    assert Party.objects.count() == 4 and CaseEvent.objects.count() == 3


@pytest.mark.django_db
def test_a_batch_is_written_as_the_same_rows_as_one_at_a_time(
    first_grid, far_grid, users, monkeypatch
):
    """Intakes made ready by several requests and written in one batch: consecutive numbers,
    their parties, first events, notifications, facts and the rollups a rebuild gives."""
    ready = []

    class Collect:
        @contextlib.contextmanager
        def preparing(self):
            yield ready.append

    monkeypatch.setattr(services, "_group_commit", Collect())
    monkeypatch.setattr(services, "_grouped", lambda: True)
    results = []
    for i, grid in enumerate([first_grid, far_grid, first_grid, far_grid, first_grid]):
        lon, lat = grid.centroid_lon, grid.centroid_lat
        results.append(
            services.intake_case(
                title=f"楼道堆放杂物第{i}次",
                text="消防通道被占用",
                case_type="hazard",
                channel="hotline",
                lon=lon,
                lat=lat,
                actor=users["clerk"],
                parties=[{"name": "张三丰", "phone": "13812345678"}] * (i % 2),
            )
        )
    assert len(ready) == 5 and not Case.objects.exists()
    with transaction.atomic():
        services._write_intakes(ready)
    cases = list(Case.objects.order_by("number"))
    assert [c.pk for c in cases] == [r.case.pk for r in results]
    numbers = [int(c.number.rsplit("-", 1)[1]) for c in cases]
    assert numbers == list(range(numbers[0], numbers[0] + 5))
    assert Party.objects.count() == 2 and all(p.case_id for p in Party.objects.all())
    assert list(CaseEvent.objects.order_by().values_list("seq", "kind").distinct()) == [
        (1, "intake")
    ]
    assert CaseEvent.objects.count() == 5 and CaseFact.objects.count() == 5
    assert Notification.objects.filter(case__in=cases).count() == 5
    kept = sorted(Rollup.objects.values_list(*rollups.KEY_COLUMNS, *rollups.MEASURE_COLUMNS))
    rollups.rebuild()
    assert (
        sorted(Rollup.objects.values_list(*rollups.KEY_COLUMNS, *rollups.MEASURE_COLUMNS)) == kept
    )
