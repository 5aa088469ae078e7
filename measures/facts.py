"""Fold a case's events into its fact row: the one function both the live hook and the rebuild use.

A fact's dimensions (area, case type, category, channel) and its deadline are the case row's
as they stand; every moment that counts (received, closed, reopened, rated, …) comes from
the events. Folding the events one by one (as they are written) and folding them all at
once (a rebuild) give the same row, so the rollups built from facts agree either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache

from django.utils import timezone

from cases.choices import EventKind, Status
from measures.models import CaseFact, FactState

_STATE_OF_STATUS = {
    Status.CLOSED: FactState.CLOSED,
    Status.REJECTED: FactState.REJECTED,
    Status.MERGED: FactState.MERGED,
}


def local_day(moment: datetime | None) -> date | None:
    """The calendar day of a moment in the platform's time zone (settings.TIME_ZONE)."""
    return moment.astimezone(_zone()).date() if moment is not None else None


@lru_cache(maxsize=1)
def _zone():
    return timezone.get_default_timezone()


FACT_FIELDS = [f.attname for f in CaseFact._meta.concrete_fields]


class Fact:
    """A CaseFact's fields without the model machinery: the rebuild folds millions."""

    __slots__ = (*FACT_FIELDS, "on_time_known")

    def __init__(self, case_id: int):
        for name in FACT_FIELDS:
            setattr(self, name, None)
        self.case_id = case_id
        self.state = FactState.OPEN
        self.category_id = 0
        self.on_time = False
        self.outcome = self.rating = ""
        self.reopens = self.escalations = self.reworks = self.extensions = 0
        self.last_seq = 0
        self.on_time_known = True

    def row(self) -> list:
        return [getattr(self, name) for name in FACT_FIELDS]

    def model(self) -> CaseFact:
        return CaseFact(**{name: getattr(self, name) for name in FACT_FIELDS})


def new_fact(case_id: int) -> CaseFact:
    return Fact(case_id).model()


def apply_event(
    fact: CaseFact, kind: str, at: datetime, to_status: str, data: dict, seq: int
) -> None:
    """Fold one event into the fact (the dimensions are set afterwards by `finish`)."""
    if kind == EventKind.INTAKE:
        fact.received_at = at
    if to_status:
        fact.state = _STATE_OF_STATUS.get(to_status, FactState.OPEN)
    if kind == EventKind.CLOSE:
        fact.closed_at = at
        fact.on_time = bool(data.get("on_time", True)) if data else True
        fact.on_time_known = "on_time" in (data or {})
    elif kind == EventKind.REOPEN:
        fact.reopens += 1
    elif kind == EventKind.RESOLVE:
        fact.outcome = (data or {}).get("outcome", "") or ""
    elif kind == EventKind.ESCALATE:
        fact.escalations += 1
    elif kind == EventKind.VERIFY_FAILED:
        fact.reworks += 1
    elif kind == EventKind.EXTEND:
        fact.extensions += 1
    elif kind == EventKind.RATE:
        fact.rating = (data or {}).get("rating", "") or ""
        fact.rated_at = at
    if fact.state != FactState.CLOSED:
        fact.closed_at = None
        fact.on_time = False
    fact.last_seq = max(fact.last_seq, seq)


def finish(
    fact: CaseFact,
    *,
    area_code: str,
    case_type_id: int,
    category_id: int | None,
    channel: str,
    due_at: datetime | None,
    received_at: datetime | None = None,
) -> None:
    """Set the dimensions and deadline from the case row, then the days the measures use."""
    fact.area_code = area_code
    fact.case_type_id = case_type_id
    fact.category_id = category_id or 0
    fact.channel = channel
    fact.due_at = due_at
    if fact.received_at is None:
        fact.received_at = received_at
    fact.received_on = local_day(fact.received_at)
    fact.rated_on = local_day(fact.rated_at)
    if fact.state == FactState.CLOSED and not getattr(fact, "on_time_known", True):
        fact.on_time = due_at is None or fact.closed_at <= due_at
    fact.due_on = due_day(fact)


def due_day(fact: CaseFact) -> date | None:
    """应结案 day: the deadline's day, or the closing day when it closed before its deadline;
    none for a rejected or merged case, or an open case without a deadline."""
    if fact.state in (FactState.REJECTED, FactState.MERGED):
        return None
    if (
        fact.state == FactState.CLOSED
        and fact.closed_at is not None
        and (fact.due_at is None or fact.closed_at < fact.due_at)
    ):
        return local_day(fact.closed_at)
    return local_day(fact.due_at)


def fold(case, events: Iterable) -> CaseFact:
    """A case's fact from all its events (CaseEvent rows or tuples kind, at, to_status, data,
    seq), in order."""
    fact = new_fact(case.pk)
    for e in events:
        if isinstance(e, tuple):
            apply_event(fact, *e)
        else:
            apply_event(fact, e.kind, e.at, e.to_status, e.data, e.seq)
    finish(
        fact,
        area_code=case.area_code,
        case_type_id=case.case_type_id,
        category_id=case.category_id,
        channel=case.channel,
        due_at=case.due_at,
        received_at=case.received_at,
    )
    return fact


_DATABASE = ["default"]


def set_database(alias: str) -> None:
    """Which database the catalogue look-ups below read (a rebuild of another database)."""
    _DATABASE[0] = alias


@lru_cache(maxsize=8)
def _dispute_type_id(db_alias: str) -> int:
    from cases.models import CaseType

    found = CaseType.objects.using(db_alias).filter(code="dispute").values_list("pk", flat=True)
    return found.first() or -1


def dispute_type_id() -> int:
    """The dispute case type's id: 化解率 counts disputes only."""
    return _dispute_type_id(_DATABASE[0])


def clear_caches() -> None:
    _dispute_type_id.cache_clear()
