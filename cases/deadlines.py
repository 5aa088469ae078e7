"""Deadline policies for the case engine: due and warning points, pauses, extensions.

Pure computation: no models, no database. Every case's deadline comes from a
``DeadlinePolicy`` and the case's receipt time through ``compute_deadline``; the
result is a ``Deadline`` that the sweep asks ``status_at`` about. See
docs/deadlines.md for the rules and the 信访工作条例 (2022) periods.

Rules in one place (the reasons are in the comments below and in the docs):

- All dates are Asia/Shanghai dates, whatever zone the inputs carry.
- Day periods start counting the day after receipt (期间开始之日不计算在内).
- A day period is due by the end of its last day: 23:59:59.999999 local time.
  A case is overdue only strictly after ``due_at``.
- ``working_days`` count only workdays from ``chinese_calendar`` (official
  holidays off, make-up workdays 调休 on). Outside the years it knows, weekends
  only, and ``Deadline.calendar_known`` is False.
- ``calendar_days`` whose last day is not a workday move to the next workday
  (期间届满日为节假日的顺延) when ``roll_to_workday`` is set (the default).
- ``hours`` run from the exact receipt instant, no end-of-day, no roll.
- Pauses stop the clock: day periods skip the paused days, hours skip the
  paused time exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Final, Literal, get_args
from zoneinfo import ZoneInfo

import chinese_calendar
from django.utils.translation import gettext

__all__ = [
    "CALENDAR_DAYS",
    "HOURS",
    "PETITION_EXTENSION_DAYS",
    "PETITION_POLICIES",
    "PETITION_STAGES",
    "SHANGHAI",
    "WORKING_DAYS",
    "Deadline",
    "DeadlineError",
    "DeadlinePolicy",
    "Status",
    "Unit",
    "compute_deadline",
    "extend",
    "is_workday",
    "petition_policy",
    "status_at",
]

# The rules are defined in Beijing time whatever the server or the input zone is:
# a petition received at 01:00 Beijing time was received "that day" in law.
SHANGHAI: Final = ZoneInfo("Asia/Shanghai")

Unit = Literal["calendar_days", "working_days", "hours"]
Status = Literal["ok", "warning", "overdue"]

CALENDAR_DAYS: Final = "calendar_days"
WORKING_DAYS: Final = "working_days"
HOURS: Final = "hours"
_UNITS: Final = frozenset(get_args(Unit))
_DAY_UNITS: Final = frozenset({CALENDAR_DAYS, WORKING_DAYS})


class DeadlineError(Exception):
    """A deadline operation the policy forbids (e.g. one extension too many).

    ``code`` is stable for the case engine and the API; the message is translated
    and meant for the clerk.
    """

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _is_int(value: object) -> bool:
    # bool is an int subclass; "amount=True" is always a bug, never one day.
    return isinstance(value, int) and not isinstance(value, bool)


def _require_aware(value: object, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(value).__name__}")
    # A naive time would be read in whatever zone the server runs in, and a day
    # off near midnight moves the whole period: refuse rather than guess.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value


@dataclass(frozen=True)
class DeadlinePolicy:
    """How long a case (or one stage of it) may take, and how it may be stretched.

    ``amount`` and ``unit`` may be positional; everything else is keyword-only.
    ``max_extension`` caps each single extension (same unit as ``amount``);
    None means no extension is allowed. ``max_extensions`` caps their number.
    ``roll_to_workday`` only affects ``calendar_days`` periods.
    """

    amount: int
    unit: Unit
    _: KW_ONLY
    warn_fraction: float = 0.8
    max_extension: int | None = None
    max_extensions: int = 0
    roll_to_workday: bool = True

    def __post_init__(self) -> None:
        if not _is_int(self.amount) or self.amount < 1:
            raise ValueError(f"amount must be a positive integer, got {self.amount!r}")
        if self.unit not in _UNITS:
            raise ValueError(f"unit must be one of {', '.join(sorted(_UNITS))}; got {self.unit!r}")
        fraction = self.warn_fraction
        if (
            isinstance(fraction, bool)
            or not isinstance(fraction, int | float)
            or not math.isfinite(fraction)
            or not 0 < fraction <= 1
        ):
            raise ValueError(
                f"warn_fraction must be a number in (0, 1] (share of the period elapsed "
                f"when the warning starts), got {fraction!r}"
            )
        if self.max_extension is not None and (
            not _is_int(self.max_extension) or self.max_extension < 1
        ):
            raise ValueError(
                f"max_extension must be a positive integer or None, got {self.max_extension!r}"
            )
        if not _is_int(self.max_extensions) or self.max_extensions < 0:
            raise ValueError(
                f"max_extensions must be a non-negative integer, got {self.max_extensions!r}"
            )
        # The two extension fields must agree, or a policy would silently allow
        # (or silently forbid) what its author meant the other way round.
        if self.max_extension is None and self.max_extensions > 0:
            raise ValueError(
                "max_extension must be set when max_extensions > 0 "
                f"(got max_extensions={self.max_extensions}, max_extension=None)"
            )
        if self.max_extension is not None and self.max_extensions == 0:
            raise ValueError(
                "max_extensions must be at least 1 when max_extension is set "
                f"(got max_extension={self.max_extension}, max_extensions=0)"
            )
        if not isinstance(self.roll_to_workday, bool):
            raise ValueError(f"roll_to_workday must be a bool, got {self.roll_to_workday!r}")


Pause = tuple[datetime, datetime]


@dataclass(frozen=True)
class Deadline:
    """The computed deadline of one case: build it with ``compute_deadline``.

    It keeps its inputs (start, policy, pauses, extensions) so that a pause or an
    extension is a recomputation from scratch, never a drift-prone delta.
    """

    start: datetime
    policy: DeadlinePolicy
    due_at: datetime
    warn_at: datetime
    # False when some day whose workday status mattered lies outside the years
    # chinese_calendar knows, so weekends-only was used and the case must say so.
    calendar_known: bool
    pauses: tuple[Pause, ...] = field(default=())
    extensions: tuple[int, ...] = field(default=())

    def with_pause(self, paused_at: datetime, resumed_at: datetime) -> Deadline:
        """This deadline with one more span of waiting on the resident."""
        return compute_deadline(
            self.start,
            self.policy,
            pauses=(*self.pauses, (paused_at, resumed_at)),
            extensions=self.extensions,
        )

    def status_at(self, now: datetime | None = None) -> Status:
        """Shortcut for ``status_at(self, now)``."""
        return status_at(self, now)


# --- workdays -----------------------------------------------------------------


@lru_cache(maxsize=8192)
def _workday(day: date) -> tuple[bool, bool]:
    """(is it a workday, did the official calendar know the year)."""
    try:
        return chinese_calendar.is_workday(day), True
    except NotImplementedError:
        # chinese_calendar only has the years the State Council has published
        # (it raises outside them). Weekends-only is the best guess we have; the
        # caller records that the calendar was unknown so the case can say so.
        return day.weekday() < 5, False


def is_workday(day: date) -> bool:
    """Workday per the official calendar, or Monday-Friday outside its years."""
    return _workday(day)[0]


# --- computation ----------------------------------------------------------------


def _local_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def _end_of_day(day: date) -> datetime:
    # "Within 15 days" means the whole 15th day is still in time, so the due is the
    # last representable instant of it, not midnight (which would read as the next day).
    return datetime.combine(day, time.max, tzinfo=SHANGHAI)


def _paused_days(pauses: Sequence[Pause]) -> frozenset[date]:
    # The day a pause begins still counts (the unit had part of it); the day the
    # resident answers does not, just as the receipt day does not. So a pause
    # costs one day per midnight it spans, and a pause within one day costs none.
    days: set[date] = set()
    for paused_at, resumed_at in pauses:
        day = _local_date(paused_at) + timedelta(days=1)
        last = _local_date(resumed_at)
        while day <= last:
            days.add(day)
            day += timedelta(days=1)
    return frozenset(days)


def _walk_days(
    start_day: date,
    segments: Sequence[int],
    policy: DeadlinePolicy,
    paused: frozenset[date],
) -> tuple[date, list[date], bool]:
    """Count day periods: returns (due day, counted days in order, calendar known).

    ``segments`` is the base amount then each extension; each extension counts
    from the day after the (rolled) previous due day, as an extended period
    starts where the original one legally ended.
    """
    known = True
    counted: list[date] = []
    day = start_day
    roll = policy.unit == CALENDAR_DAYS and policy.roll_to_workday
    for segment in segments:
        remaining = segment
        while remaining:
            day += timedelta(days=1)
            if day in paused:
                continue
            if policy.unit == WORKING_DAYS:
                workday, day_known = _workday(day)
                known = known and day_known
                if not workday:
                    continue
            counted.append(day)
            remaining -= 1
        if roll:
            # Roll to the next workday that is not paused: a 调休 Saturday is a
            # working day and ends the period; a paused day is not time in hand.
            while True:
                workday, day_known = _workday(day)
                known = known and day_known
                if workday and day not in paused:
                    break
                day += timedelta(days=1)
    return day, counted, known


def _merge(pauses: Iterable[Pause], floor: datetime) -> list[Pause]:
    """Pauses clipped to start at ``floor`` or later, sorted, overlaps merged."""
    merged: list[Pause] = []
    for paused_at, resumed_at in sorted(pauses):
        paused_at = max(paused_at, floor)
        if resumed_at <= paused_at:
            continue
        if merged and paused_at <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], resumed_at))
        else:
            merged.append((paused_at, resumed_at))
    return merged


def _after_running(start: datetime, running: timedelta, pauses: Sequence[Pause]) -> datetime:
    """The instant at which the clock, stopped during ``pauses``, has run ``running``."""
    moment, remaining = start, running
    for paused_at, resumed_at in pauses:
        if paused_at > moment:
            stretch = paused_at - moment
            # ">=": a pause beginning exactly at the due instant is too late to help.
            if stretch >= remaining:
                return moment + remaining
            remaining -= stretch
        moment = max(moment, resumed_at)
    return moment + remaining


def _warn_units(policy: DeadlinePolicy, total: int) -> int:
    # Floor, so the warning never comes later than the stated share; round first
    # so 0.7 * 10 = 7.000000000000001 does not become 7 by luck and 0.29 * 100 =
    # 28.999999999999996 does not become 28.
    return math.floor(round(policy.warn_fraction * total, 9))


def compute_deadline(
    start: datetime,
    policy: DeadlinePolicy,
    *,
    pauses: Iterable[Pause] = (),
    extensions: Iterable[int] = (),
) -> Deadline:
    """The deadline of a case received at ``start`` under ``policy``.

    ``pauses`` are (paused_at, resumed_at) spans waiting on the resident;
    ``extensions`` are the amounts already granted, in order (normally built by
    ``extend``, passed here when the engine rebuilds a deadline from its events).
    """
    _require_aware(start, "start")
    if not isinstance(policy, DeadlinePolicy):
        raise ValueError(f"policy must be a DeadlinePolicy, got {type(policy).__name__}")
    pause_list: list[Pause] = []
    for index, pause in enumerate(pauses):
        paused_at, resumed_at = pause
        _require_aware(paused_at, f"pauses[{index}] paused_at")
        _require_aware(resumed_at, f"pauses[{index}] resumed_at")
        if resumed_at < paused_at:
            raise ValueError(
                f"pauses[{index}] resumed_at ({resumed_at.isoformat()}) is before "
                f"paused_at ({paused_at.isoformat()})"
            )
        pause_list.append((paused_at, resumed_at))
    extension_list = list(extensions)
    for index, amount in enumerate(extension_list):
        if not _is_int(amount) or amount < 1:
            raise ValueError(f"extensions[{index}] must be a positive integer, got {amount!r}")

    total = policy.amount + sum(extension_list)
    warn_units = _warn_units(policy, total)
    start_local = start.astimezone(SHANGHAI)

    if policy.unit in _DAY_UNITS:
        due_day, counted, known = _walk_days(
            start_local.date(),
            [policy.amount, *extension_list],
            policy,
            _paused_days(pause_list),
        )
        due_at = _end_of_day(due_day)
        warn_at = _end_of_day(counted[warn_units - 1]) if warn_units else start_local
    else:
        # Hours are elapsed time: do the arithmetic in UTC so that an input in a
        # zone with daylight saving cannot add or lose an hour.
        start_utc = start.astimezone(UTC)
        merged = _merge(((p.astimezone(UTC), r.astimezone(UTC)) for p, r in pause_list), start_utc)
        due_at = _after_running(start_utc, timedelta(hours=total), merged).astimezone(SHANGHAI)
        warn_at = _after_running(
            start_utc, timedelta(hours=total) * policy.warn_fraction, merged
        ).astimezone(SHANGHAI)
        known = True  # the calendar plays no part in an hours period

    return Deadline(
        start=start,
        policy=policy,
        due_at=due_at,
        warn_at=min(warn_at, due_at),
        calendar_known=known,
        pauses=tuple(sorted(pause_list)),
        extensions=tuple(extension_list),
    )


def extend(deadline: Deadline, amount: int, *, extensions_so_far: int) -> Deadline:
    """``deadline`` extended by ``amount`` (policy unit), or DeadlineError if refused.

    ``extensions_so_far`` is the count from the case's events; the deadline's own
    record is checked too and the larger count wins, so a deadline rebuilt without
    its extensions cannot be extended past the limit. Approval and the stated
    reason (petitions: art. 34) are recorded by the case service, not here.
    """
    policy = deadline.policy
    if not _is_int(amount) or amount < 1:
        raise ValueError(f"amount must be a positive integer, got {amount!r}")
    if not _is_int(extensions_so_far) or extensions_so_far < 0:
        raise ValueError(
            f"extensions_so_far must be a non-negative integer, got {extensions_so_far!r}"
        )
    unit = _unit_label(policy.unit)
    if policy.max_extension is None:
        raise DeadlineError(
            gettext("This deadline cannot be extended."), code="extension_not_allowed"
        )
    done = max(extensions_so_far, len(deadline.extensions))
    if done >= policy.max_extensions:
        raise DeadlineError(
            gettext(
                "This deadline has already been extended %(done)d time(s); "
                "at most %(limit)d extension(s) are allowed."
            )
            % {"done": done, "limit": policy.max_extensions},
            code="too_many_extensions",
        )
    if amount > policy.max_extension:
        raise DeadlineError(
            gettext(
                "An extension of %(amount)d %(unit)s is too long; "
                "at most %(limit)d %(unit)s are allowed."
            )
            % {"amount": amount, "unit": unit, "limit": policy.max_extension},
            code="extension_too_long",
        )
    return compute_deadline(
        deadline.start,
        policy,
        pauses=deadline.pauses,
        extensions=(*deadline.extensions, amount),
    )


def _unit_label(unit: Unit) -> str:
    labels = {
        CALENDAR_DAYS: gettext("days"),
        WORKING_DAYS: gettext("working days"),
        HOURS: gettext("hours"),
    }
    return labels[unit]


def status_at(deadline: Deadline, now: datetime | None = None) -> Status:
    """The sweep's verdict: ok, warning (from ``warn_at`` on), overdue (after ``due_at``).

    ``now`` defaults to the current time. A case that is paused right now should
    be checked with ``deadline.with_pause(paused_at, now)`` or skipped by the sweep.
    """
    moment = datetime.now(UTC) if now is None else _require_aware(now, "now")
    if moment > deadline.due_at:
        return "overdue"
    if moment >= deadline.warn_at:
        return "warning"
    return "ok"


# --- petitions (信访工作条例, 2022) ------------------------------------------------

# The regulation counts in "日" (calendar days) with the general rule that a period
# ending on a holiday ends on the next workday; only the objection of a wrongly
# assigned unit is in 工作日. Article references: docs/deadlines.md.
PETITION_EXTENSION_DAYS: Final = 30

PETITION_POLICIES: Final[Mapping[str, DeadlinePolicy]] = MappingProxyType(
    {
        # Art. 22: register and route (转送/交办) within 15 days of receipt.
        "register": DeadlinePolicy(15, CALENDAR_DAYS),
        # Art. 23: written notice to the petitioner within 15 days.
        "notify": DeadlinePolicy(15, CALENDAR_DAYS),
        # A unit that is not competent objects within 5 working days of receipt.
        "object": DeadlinePolicy(5, WORKING_DAYS),
        # Art. 34: finish within 60 days of acceptance; once, with approval and a
        # reason told to the petitioner, at most 30 days more.
        "handle": DeadlinePolicy(
            60,
            CALENDAR_DAYS,
            max_extension=PETITION_EXTENSION_DAYS,
            max_extensions=1,
        ),
        # Art. 35: 复查 requested within 30 days of the written reply, answered
        # within 30 days of the request.
        "recheck_request": DeadlinePolicy(30, CALENDAR_DAYS),
        "recheck_answer": DeadlinePolicy(30, CALENDAR_DAYS),
        # Art. 36: 复核 the same, on the recheck answer.
        "review_request": DeadlinePolicy(30, CALENDAR_DAYS),
        "review_answer": DeadlinePolicy(30, CALENDAR_DAYS),
    }
)
PETITION_STAGES: Final = tuple(PETITION_POLICIES)


def petition_policy(stage: str) -> DeadlinePolicy:
    """The legal period of one petition stage (see ``PETITION_STAGES``)."""
    if stage == "extension":
        # Not a period of its own: it stretches "handle", so asking for it as a
        # stage is a misunderstanding worth a precise message.
        raise ValueError(
            "stage 'extension' is not a period of its own: call extend() on the "
            f"'handle' deadline (at most {PETITION_EXTENSION_DAYS} days, once)"
        )
    try:
        return PETITION_POLICIES[stage]
    except KeyError:
        raise ValueError(
            f"stage must be one of {', '.join(PETITION_STAGES)}; got {stage!r}"
        ) from None
