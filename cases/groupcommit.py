"""Group commit: intakes from concurrent requests of one process written together.

A server thread that has made a case ready (validated, located, classified, routed — all
without writing) hands it here. The first to arrive writes everything waiting, its own
included, in one transaction; those that arrive meanwhile wait, and the first of them
writes the next batch. So the round trips, the commit and the shared counter and rollup
rows are paid once per batch rather than once per case (DESIGN §11;
docs/decisions/003-intake-group-commit.md).

A writer waits for others only while another intake of this process is still being made
ready (`preparing()`), and at most `delay` seconds — PostgreSQL's commit_delay with
commit_siblings, in small: a lone request is written at once, while under load the few
milliseconds let the batch fill (the waiting thread holds no CPU the others could use).

If a batch fails, each of its items is written again alone, so one bad item (say a
client key that a concurrent retry took first) fails only its own request — unless
`retry_alone` says the error is nobody's fault in particular (a lost connection).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from django.db import transaction


class _Slot:
    __slots__ = ("item", "ready", "lead", "error")

    def __init__(self, item: Any):
        self.item = item
        self.ready = threading.Event()
        self.lead = False
        self.error: BaseException | None = None


class GroupCommit:
    def __init__(
        self,
        write: Callable[[list], None],
        *,
        limit: int = 64,
        delay: float | Callable[[], float] = 0.0,
        retry_alone: Callable[[BaseException], bool] = lambda exc: True,
        atomic: Callable = transaction.atomic,
    ):
        self.write, self.limit, self.atomic = write, limit, atomic
        self.retry_alone = retry_alone
        self._delay = delay
        self._lock = threading.Condition()
        self._queue: list[_Slot] = []
        self._busy = False  # a thread is writing; while False the queue is empty
        self._preparing = 0  # intakes being made ready that will come here
        self.batches = 0  # how many transactions, and how many items (for the benchmark)
        self.items = 0

    @contextmanager
    def preparing(self):
        """Around making an item ready; yields `submit` for the ready item. Until then a
        writer may wait a little for it."""
        with self._lock:
            self._preparing += 1
        handed = []

        def submit(item: Any) -> None:
            handed.append(item)
            return self.submit(item, _prepared=True)

        try:
            yield submit
        finally:
            if not handed:
                with self._lock:
                    self._preparing -= 1
                    self._lock.notify_all()

    def submit(self, item: Any, *, _prepared: bool = False) -> None:
        """Write `item` (with whatever else is waiting); raise its own error, if any."""
        slot = _Slot(item)
        with self._lock:
            if _prepared:  # no longer being prepared, and queued: in one step
                self._preparing -= 1
            self._queue.append(slot)
            lead = not self._busy
            self._busy = True
            self._lock.notify_all()
        if not lead:
            slot.ready.wait()
            if not slot.lead:
                return self._outcome(slot)
        batch = [slot]
        try:
            delay = self._delay() if callable(self._delay) else self._delay
            with self._lock:
                until = time.monotonic() + delay
                while self._preparing and len(self._queue) < self.limit:
                    left = until - time.monotonic()
                    if left <= 0:
                        break
                    self._lock.wait(left)
                batch, self._queue = self._queue[: self.limit], self._queue[self.limit :]
            self._write_batch(batch)
        except BaseException as exc:  # noqa: BLE001 — the batch is not written: say so to all
            for other in batch:
                if other.error is None:
                    other.error = exc
            raise
        finally:
            # Whatever happened, hand over: the next waiting item leads, or nobody is busy.
            with self._lock:
                if self._queue and self._queue[0] is slot:
                    self._queue.pop(0)  # failed before taking its batch
                if self._queue:
                    successor = self._queue[0]
                    successor.lead = True
                    successor.ready.set()
                else:
                    self._busy = False
            for other in batch:
                if other is not slot:
                    other.ready.set()
        return self._outcome(slot)

    def _write_batch(self, batch: list[_Slot]) -> None:
        self.batches += 1
        self.items += len(batch)
        try:
            with self.atomic():
                self.write([s.item for s in batch])
            return
        except BaseException as exc:  # noqa: BLE001 — handed to the item it belongs to
            if len(batch) == 1 or not self.retry_alone(exc):
                for s in batch:
                    s.error = exc
                return
        for s in batch:  # one of them spoilt the batch: each alone, each its own outcome
            try:
                with self.atomic():
                    self.write([s.item])
            except BaseException as exc:  # noqa: BLE001
                s.error = exc

    @staticmethod
    def _outcome(slot: _Slot) -> None:
        if slot.error is not None:
            raise slot.error
