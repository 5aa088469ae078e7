"""Reference data kept in each process's memory, reloaded when it changes (DESIGN §11).

Intake reads the same few hundred rows for every case: case types, categories, routing
rules, units, the caller's token and memberships. Each `Cached` set below is loaded once
and kept until the reference stamp (`org.models.Generation`) changes. Every save or delete
of a watched model writes a new random stamp in the same transaction; once it commits,
this process looks again at once, and other processes look at most every
`PINGAN_REFERENCE_RECHECK_SECONDS` (one indexed read of one row). Inside the changing
transaction its own thread reads its own view, which no other thread is given. So a change — a new
routing rule, a unit closed, a membership or token revoked — holds everywhere within that
many seconds, and at once in the process that made it.

Changes that bypass model signals (`QuerySet.update`, `bulk_create`, raw SQL) must call
`changed()` themselves (from the shell:
`pingan shell -c "from org import reference; reference.changed()"`).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

from django.conf import settings
from django.db import transaction

T = TypeVar("T")
NAME = "reference"
_lock = threading.RLock()
_stamp: dict[str, object] = {"value": None, "checked": float("-inf")}
_registry: list[Cached] = []


def current_stamp() -> str:
    """The committed stamp as last read; read again when older than the recheck interval."""
    now = time.monotonic()
    if now - float(_stamp["checked"]) < settings.PINGAN_REFERENCE_RECHECK_SECONDS:
        return str(_stamp["value"])
    value = _read_stamp()
    with _lock:
        if float(_stamp["checked"]) < now:  # a slower reader must not undo a newer read
            _stamp["value"], _stamp["checked"] = value, now
    return value


def _read_stamp() -> str:
    from org.models import Generation

    return Generation.objects.filter(name=NAME).values_list("stamp", flat=True).first() or ""


def recheck() -> None:
    """Look at the stamp again on the next read (a change was committed here)."""
    _stamp["checked"] = float("-inf")


# A transaction that changed reference data sees rows (and a stamp) no one else sees yet:
# what it reads is kept for its own thread only, never shared with the process.
_local = threading.local()


def _changing() -> bool:
    if getattr(_local, "changing", False):
        if transaction.get_connection().in_atomic_block:
            return True
        _local.changing, _local.cache = False, {}
    return False


def changed(using: str = "default") -> None:
    """Record that reference data changed: a new stamp in the current transaction, which
    this process looks at once it is committed (at once, outside a transaction)."""
    from org.models import Generation

    stamp = uuid.uuid4().hex
    if not Generation.objects.using(using).filter(name=NAME).update(stamp=stamp):
        Generation.objects.using(using).create(name=NAME, stamp=stamp)
    if transaction.get_connection(using).in_atomic_block:
        _local.changing = True
        _local.__dict__.setdefault("cache", {})
    transaction.on_commit(recheck, using=using)


def clear() -> None:
    """Forget every cached set (tests: each test's rolled-back rows must not linger)."""
    with _lock:
        for cached in _registry:
            cached.state = None
        recheck()
    _local.changing, _local.cache = False, {}


class Cached(Generic[T]):
    """One set of reference data: `get()` answers from memory while the stamp holds."""

    def __init__(self, name: str, load: Callable[[], T]):
        self.name, self.load = name, load
        self.state: tuple[str, T] | None = None  # (stamp, value), replaced whole
        _registry.append(self)

    def get(self) -> T:
        if _changing():
            # Inside a transaction that changed reference data: its own view, by its own
            # (uncommitted, or rolled back to a savepoint) stamp, for this thread alone.
            stamp = _read_stamp()
            mine = _local.cache.get(self.name)
            if mine is None or mine[0] != stamp:
                mine = _local.cache[self.name] = (stamp, self.load())
            return mine[1]
        stamp = current_stamp()
        state = self.state
        if state is not None and state[0] == stamp:
            return state[1]
        with _lock:
            stamp = current_stamp()  # read before loading: a change during the load shows
            if self.state is None or self.state[0] != stamp:  # as a new stamp next time
                self.state = (stamp, self.load())
            return self.state[1]


# -- which models count as reference data ---------------------------------------------------
WATCHED = (
    "cases.CaseType",
    "cases.Category",
    "cases.RoutingRule",
    "org.Unit",
    "org.Person",
    "org.Membership",
    "api.ApiToken",
    "territory.Area",
    settings.AUTH_USER_MODEL,
)


def _on_save(sender, instance, raw=False, using="default", update_fields=None, **kw):
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login moves no reference data
    changed(using)


def _on_delete(sender, instance, using="default", **kw):
    changed(using)


def connect_signals() -> None:
    from django.apps import apps
    from django.db.models.signals import post_delete, post_save

    for label in WATCHED:
        model = apps.get_model(label)
        post_save.connect(_on_save, sender=model, dispatch_uid=f"reference-save-{label}")
        post_delete.connect(_on_delete, sender=model, dispatch_uid=f"reference-delete-{label}")
