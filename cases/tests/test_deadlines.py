"""Tests for cases.deadlines: holidays, make-up days, pauses, extensions, petitions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import time_machine
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.deadlines import (
    PETITION_EXTENSION_DAYS,
    PETITION_STAGES,
    SHANGHAI,
    Deadline,
    DeadlineError,
    DeadlinePolicy,
    compute_deadline,
    extend,
    is_workday,
    petition_policy,
    status_at,
)

SH = SHANGHAI


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def end_of(year: int, month: int, day: int) -> datetime:
    return datetime.combine(date(year, month, day), time.max, tzinfo=SH)


def working(amount: int, **kwargs) -> DeadlinePolicy:
    return DeadlinePolicy(amount, "working_days", **kwargs)


def calendar(amount: int, **kwargs) -> DeadlinePolicy:
    return DeadlinePolicy(amount, "calendar_days", **kwargs)


def hours(amount: int, **kwargs) -> DeadlinePolicy:
    return DeadlinePolicy(amount, "hours", **kwargs)


def reference_workday(day: date) -> bool:
    """Independent oracle: the official calendar, weekends only outside its years."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


# --- what the official calendar says (guards the concrete cases below) -----------


def test_the_calendar_knows_the_2025_national_day_make_up_sunday() -> None:
    assert chinese_calendar.is_workday(date(2025, 9, 28))  # Sunday, 调休
    assert not chinese_calendar.is_workday(date(2025, 10, 8))
    assert chinese_calendar.is_workday(date(2025, 10, 11))  # Saturday, 调休


def test_the_calendar_does_not_know_2027_yet() -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))


# --- working days -------------------------------------------------------------------


def test_working_days_start_the_day_after_receipt() -> None:
    # Received Monday 2025-11-03: Tuesday is day 1, so 1 working day ends Tuesday.
    deadline = compute_deadline(at(2025, 11, 3), working(1))
    assert deadline.due_at == end_of(2025, 11, 4)


def test_working_days_skip_national_day_and_count_the_make_up_saturday() -> None:
    # Received Tue 2025-09-30; Oct 1-8 off (National Day + Mid-Autumn); Oct 9, 10,
    # Sat Oct 11 (调休), Mon 13, Tue 14.
    deadline = compute_deadline(at(2025, 9, 30), working(5))
    assert deadline.due_at == end_of(2025, 10, 14)
    assert deadline.calendar_known


def test_a_make_up_sunday_counts_as_a_working_day() -> None:
    # Received Fri 2025-09-26: Sat 27 is off, Sun 28 is a 调休 workday.
    deadline = compute_deadline(at(2025, 9, 26), working(1))
    assert deadline.due_at == end_of(2025, 9, 28)


def test_working_days_cross_the_2026_spring_festival() -> None:
    # Received Fri 2026-02-13: Sat 14 (调休) is day 1, Feb 15-23 off, Feb 24-27 are
    # days 2-5 and Sat Feb 28 (调休) is day 6.
    assert compute_deadline(at(2026, 2, 13), working(5)).due_at == end_of(2026, 2, 27)
    assert compute_deadline(at(2026, 2, 13), working(6)).due_at == end_of(2026, 2, 28)


def test_working_days_cross_the_2026_mid_autumn_and_national_day_holidays() -> None:
    # Received Thu 2026-09-24: Sep 25-27 Mid-Autumn off, 28-30 are days 1-3, Oct 1-7
    # off, Oct 8, 9, Sat Oct 10 (调休) are days 4-6.
    deadline = compute_deadline(at(2026, 9, 24), working(6))
    assert deadline.due_at == end_of(2026, 10, 10)


def test_the_receipt_day_is_the_shanghai_date_whatever_the_input_zone() -> None:
    # 17:00 UTC on Sep 29 is 01:00 on Sep 30 in Beijing: same as receiving on Sep 30.
    start = datetime(2025, 9, 29, 17, tzinfo=UTC)
    deadline = compute_deadline(start, working(5))
    assert deadline.due_at == end_of(2025, 10, 14)
    assert deadline.due_at.tzinfo == SH


def test_beyond_the_known_years_working_days_fall_back_to_weekends_and_say_so() -> None:
    # Dec 29-31 2026 are known; 2027 is not, so Fri Jan 1 2027 counts as a workday
    # (it is surely a holiday) and the case must say the calendar was unknown.
    deadline = compute_deadline(at(2026, 12, 28), working(10))
    assert deadline.due_at == end_of(2027, 1, 11)
    assert deadline.calendar_known is False


def test_a_span_inside_the_known_years_reports_the_calendar_known() -> None:
    assert compute_deadline(at(2026, 12, 1), working(10)).calendar_known is True


def test_calendar_days_without_roll_never_need_the_calendar() -> None:
    deadline = compute_deadline(at(2030, 5, 1), calendar(10, roll_to_workday=False))
    assert deadline.due_at == end_of(2030, 5, 11)
    assert deadline.calendar_known is True


def test_is_workday_falls_back_to_weekdays_outside_the_known_years() -> None:
    assert is_workday(date(2027, 1, 1))  # a Friday, unknown year
    assert not is_workday(date(2027, 1, 2))
    assert not is_workday(date(2025, 10, 1))


# --- calendar days and the roll to the next workday -----------------------------------


def test_calendar_days_ending_on_national_day_roll_to_the_first_workday_after() -> None:
    # 15 days from 2025-09-16 end on Oct 1: rolled to Thu Oct 9.
    assert compute_deadline(at(2025, 9, 16), calendar(15)).due_at == end_of(2025, 10, 9)


def test_calendar_days_without_roll_end_on_the_holiday() -> None:
    policy = calendar(15, roll_to_workday=False)
    assert compute_deadline(at(2025, 9, 16), policy).due_at == end_of(2025, 10, 1)


def test_calendar_days_ending_on_a_make_up_saturday_do_not_roll() -> None:
    # 15 days from 2025-09-26 end on Sat Oct 11, a 调休 workday.
    assert compute_deadline(at(2025, 9, 26), calendar(15)).due_at == end_of(2025, 10, 11)


def test_calendar_days_ending_on_an_ordinary_saturday_roll_to_monday() -> None:
    # 10 days from 2025-11-05 end on Sat Nov 15.
    assert compute_deadline(at(2025, 11, 5), calendar(10)).due_at == end_of(2025, 11, 17)


def test_a_roll_into_an_unknown_year_uses_weekends_and_says_so() -> None:
    # 5 days from Mon 2026-12-28 end on Sat 2027-01-02: rolled to Mon Jan 4.
    deadline = compute_deadline(at(2026, 12, 28), calendar(5))
    assert deadline.due_at == end_of(2027, 1, 4)
    assert deadline.calendar_known is False


# --- hours -------------------------------------------------------------------------------


def test_hours_run_from_the_exact_receipt_instant_through_holidays() -> None:
    deadline = compute_deadline(at(2025, 10, 1, 9, 30), hours(24))
    assert deadline.due_at == at(2025, 10, 2, 9, 30)
    assert deadline.warn_at == deadline.start + timedelta(hours=24) * 0.8


def test_hours_are_elapsed_time_across_a_daylight_saving_change() -> None:
    new_york = ZoneInfo("America/New_York")
    start = datetime(2025, 3, 8, 12, tzinfo=new_york)  # DST starts Mar 9 in New York
    deadline = compute_deadline(start, hours(48))
    assert deadline.due_at - start == timedelta(hours=48)


# --- warning point ------------------------------------------------------------------------


def test_the_warning_comes_after_the_stated_share_of_counted_days() -> None:
    # 15 days, warn at 0.8: after the 12th day, i.e. at the end of Sep 28 when
    # counting from Sep 17 (the 顺延 days after Oct 1 do not count).
    deadline = compute_deadline(at(2025, 9, 16), calendar(15))
    assert deadline.warn_at == end_of(2025, 9, 28)


def test_the_warning_of_a_working_day_period_falls_on_a_counted_day() -> None:
    # 5 working days from Sep 30 2025: the 4th is Mon Oct 13.
    deadline = compute_deadline(at(2025, 9, 30), working(5))
    assert deadline.warn_at == end_of(2025, 10, 13)


def test_a_period_too_short_to_split_warns_from_the_start() -> None:
    deadline = compute_deadline(at(2025, 11, 3), working(1))
    assert deadline.warn_at == deadline.start


# --- status for the sweep -----------------------------------------------------------------


@pytest.fixture
def five_working_days() -> Deadline:
    # Due end of Tue 2025-10-14, warning from end of Mon 2025-10-13.
    return compute_deadline(at(2025, 9, 30), working(5))


@time_machine.travel(at(2025, 10, 13, 12), tick=False)
def test_a_case_before_its_warning_point_is_ok(five_working_days: Deadline) -> None:
    assert status_at(five_working_days) == "ok"


@time_machine.travel(at(2025, 10, 14, 9), tick=False)
def test_a_case_past_its_warning_point_is_in_warning(five_working_days: Deadline) -> None:
    assert status_at(five_working_days) == "warning"
    assert five_working_days.status_at() == "warning"


@time_machine.travel(end_of(2025, 10, 14), tick=False)
def test_a_case_at_the_last_instant_of_its_last_day_is_not_yet_overdue(
    five_working_days: Deadline,
) -> None:
    assert status_at(five_working_days) == "warning"


@time_machine.travel(at(2025, 10, 15, 0, 0), tick=False)
def test_a_case_is_overdue_from_midnight_after_its_last_day(five_working_days: Deadline) -> None:
    assert status_at(five_working_days) == "overdue"


def test_status_accepts_an_explicit_now_in_any_zone(five_working_days: Deadline) -> None:
    assert status_at(five_working_days, datetime(2025, 10, 14, 16, 1, tzinfo=UTC)) == "overdue"


# --- pauses --------------------------------------------------------------------------------


def test_a_pause_moves_a_working_day_due_by_the_working_days_paused() -> None:
    # 5 working days from Mon 2025-11-03 end Mon Nov 10. Paused Wed Nov 5 to Mon
    # Nov 10: Nov 6, 7, 10 are paused workdays (the resumption day counts as paused,
    # like the receipt day), so the due moves three working days to Thu Nov 13.
    deadline = compute_deadline(at(2025, 11, 3), working(5))
    assert deadline.due_at == end_of(2025, 11, 10)
    paused = deadline.with_pause(at(2025, 11, 5, 10), at(2025, 11, 10, 9))
    assert paused.due_at == end_of(2025, 11, 13)
    assert paused.pauses == ((at(2025, 11, 5, 10), at(2025, 11, 10, 9)),)


def test_a_pause_within_one_day_does_not_move_a_day_period() -> None:
    deadline = compute_deadline(at(2025, 11, 3), working(5))
    paused = deadline.with_pause(at(2025, 11, 5, 9), at(2025, 11, 5, 17))
    assert paused.due_at == deadline.due_at


def test_a_pause_over_a_holiday_costs_no_working_days() -> None:
    # Paused Sep 30 to Oct 8 2025: every day in between is off, nothing moves.
    deadline = compute_deadline(at(2025, 9, 29), working(5))
    paused = deadline.with_pause(at(2025, 9, 30, 10), at(2025, 10, 8, 10))
    assert paused.due_at == deadline.due_at


def test_a_pause_moves_a_calendar_day_due_by_the_midnights_it_spans() -> None:
    policy = calendar(10, roll_to_workday=False)
    deadline = compute_deadline(at(2025, 11, 3), policy)
    paused = deadline.with_pause(at(2025, 11, 5, 23), at(2025, 11, 8, 1))
    assert paused.due_at == deadline.due_at + timedelta(days=3)


def test_a_pause_moves_an_hours_due_by_its_exact_duration() -> None:
    deadline = compute_deadline(at(2025, 11, 3, 9), hours(48))
    paused = deadline.with_pause(at(2025, 11, 3, 10), at(2025, 11, 3, 13, 30))
    assert paused.due_at == deadline.due_at + timedelta(hours=3, minutes=30)


def test_a_pause_after_the_due_does_not_rescue_an_overdue_case() -> None:
    deadline = compute_deadline(at(2025, 11, 3), working(5))
    paused = deadline.with_pause(at(2025, 11, 12), at(2025, 11, 20))
    assert paused.due_at == deadline.due_at
    hourly = compute_deadline(at(2025, 11, 3, 9), hours(4))
    assert hourly.with_pause(at(2025, 11, 3, 13), at(2025, 11, 3, 18)).due_at == hourly.due_at


def test_overlapping_pauses_are_not_counted_twice() -> None:
    deadline = compute_deadline(
        at(2025, 11, 3, 9),
        hours(10),
        pauses=[
            (at(2025, 11, 3, 10), at(2025, 11, 3, 12)),
            (at(2025, 11, 3, 11), at(2025, 11, 3, 13)),
        ],
    )
    assert deadline.due_at == at(2025, 11, 3, 22)


def test_a_pause_that_resumes_before_it_starts_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"pauses\[0\] resumed_at"):
        compute_deadline(at(2025, 11, 3), working(5), pauses=[(at(2025, 11, 5), at(2025, 11, 4))])


# --- extensions ------------------------------------------------------------------------------


def test_a_petition_may_be_extended_once_by_thirty_days() -> None:
    # Accepted 2025-08-02: 60 days end Oct 1, rolled to Oct 9; +30 from there ends
    # Sat Nov 8, rolled to Mon Nov 10.
    deadline = compute_deadline(at(2025, 8, 2), petition_policy("handle"))
    assert deadline.due_at == end_of(2025, 10, 9)
    extended = extend(deadline, PETITION_EXTENSION_DAYS, extensions_so_far=0)
    assert extended.due_at == end_of(2025, 11, 10)
    assert extended.extensions == (30,)


def test_a_second_petition_extension_is_refused_with_a_clear_message() -> None:
    deadline = compute_deadline(at(2025, 8, 2), petition_policy("handle"))
    extended = extend(deadline, 10, extensions_so_far=0)
    with translation.override("en"), pytest.raises(DeadlineError) as refused:
        extend(extended, 10, extensions_so_far=1)
    assert refused.value.code == "too_many_extensions"
    assert "already been extended 1 time(s)" in str(refused.value)
    assert "at most 1 extension(s)" in str(refused.value)


def test_the_extension_count_of_the_deadline_itself_also_stops_a_second_extension() -> None:
    deadline = compute_deadline(at(2025, 8, 2), petition_policy("handle"), extensions=[30])
    with pytest.raises(DeadlineError) as refused:
        extend(deadline, 5, extensions_so_far=0)
    assert refused.value.code == "too_many_extensions"


def test_an_extension_longer_than_the_policy_allows_is_refused() -> None:
    deadline = compute_deadline(at(2025, 8, 2), petition_policy("handle"))
    with translation.override("en"), pytest.raises(DeadlineError) as refused:
        extend(deadline, 31, extensions_so_far=0)
    assert refused.value.code == "extension_too_long"
    assert "31 days is too long; at most 30 days" in str(refused.value)


def test_a_policy_without_extension_refuses_any() -> None:
    deadline = compute_deadline(at(2025, 8, 2), petition_policy("register"))
    with translation.override("en"), pytest.raises(DeadlineError) as refused:
        extend(deadline, 1, extensions_so_far=0)
    assert refused.value.code == "extension_not_allowed"
    assert "cannot be extended" in str(refused.value)


def test_an_extended_deadline_keeps_its_pauses() -> None:
    policy = working(5, max_extension=3, max_extensions=2)
    deadline = compute_deadline(at(2025, 11, 3), policy).with_pause(
        at(2025, 11, 5, 10), at(2025, 11, 10, 9)
    )
    extended = extend(deadline, 2, extensions_so_far=0)
    assert extended.due_at == end_of(2025, 11, 17)  # Nov 13 + Fri 14 + Mon 17
    assert extended.pauses == deadline.pauses


def test_an_extension_amount_must_be_positive() -> None:
    deadline = compute_deadline(at(2025, 8, 2), petition_policy("handle"))
    with pytest.raises(ValueError, match="amount"):
        extend(deadline, 0, extensions_so_far=0)


# --- petitions (信访工作条例 2022) -----------------------------------------------------------


def test_petition_stages_have_their_legal_periods() -> None:
    expected = {
        "register": (15, "calendar_days"),
        "notify": (15, "calendar_days"),
        "object": (5, "working_days"),
        "handle": (60, "calendar_days"),
        "recheck_request": (30, "calendar_days"),
        "recheck_answer": (30, "calendar_days"),
        "review_request": (30, "calendar_days"),
        "review_answer": (30, "calendar_days"),
    }
    assert set(PETITION_STAGES) == set(expected)
    for stage, (amount, unit) in expected.items():
        policy = petition_policy(stage)
        assert (policy.amount, policy.unit) == (amount, unit), stage
        assert policy.roll_to_workday


def test_only_the_handling_period_can_be_extended_and_only_once_by_thirty_days() -> None:
    for stage in PETITION_STAGES:
        policy = petition_policy(stage)
        if stage == "handle":
            assert (policy.max_extension, policy.max_extensions) == (30, 1)
        else:
            assert policy.max_extension is None


def test_registration_over_the_2026_spring_festival_rolls_past_the_holiday() -> None:
    # 15 days from 2026-02-01 end on Mon Feb 16 (Spring Festival): rolled to Tue Feb 24.
    deadline = compute_deadline(at(2026, 2, 1), petition_policy("register"))
    assert deadline.due_at == end_of(2026, 2, 24)


def test_an_objection_over_the_2025_spring_festival_counts_make_up_days() -> None:
    # Received Sat 2025-01-25: Sun 26 (调休), Mon 27, Jan 28-Feb 4 off, Feb 5, 6, 7 → day 5.
    deadline = compute_deadline(at(2025, 1, 25), petition_policy("object"))
    assert deadline.due_at == end_of(2025, 2, 7)


def test_asking_for_extension_as_a_stage_explains_how_to_extend() -> None:
    with pytest.raises(ValueError, match="extend\\(\\) on the 'handle' deadline"):
        petition_policy("extension")


def test_an_unknown_petition_stage_is_rejected_naming_the_stages() -> None:
    with pytest.raises(ValueError, match="stage must be one of register"):
        petition_policy("appeal")


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": 0, "unit": "working_days"}, "amount"),
        ({"amount": -3, "unit": "working_days"}, "amount"),
        ({"amount": 1.5, "unit": "working_days"}, "amount"),
        ({"amount": True, "unit": "working_days"}, "amount"),
        ({"amount": 5, "unit": "weeks"}, "unit"),
        ({"amount": 5, "unit": "working_hours"}, "unit"),
        ({"amount": 5, "unit": "hours", "warn_fraction": 0}, "warn_fraction"),
        ({"amount": 5, "unit": "hours", "warn_fraction": 1.2}, "warn_fraction"),
        ({"amount": 5, "unit": "hours", "warn_fraction": float("nan")}, "warn_fraction"),
        ({"amount": 5, "unit": "hours", "warn_fraction": "0.8"}, "warn_fraction"),
        ({"amount": 5, "unit": "hours", "max_extension": 0, "max_extensions": 1}, "max_extension"),
        ({"amount": 5, "unit": "hours", "max_extensions": -1}, "max_extensions"),
        ({"amount": 5, "unit": "hours", "max_extensions": 1}, "max_extension"),
        ({"amount": 5, "unit": "hours", "max_extension": 3}, "max_extensions"),
        ({"amount": 5, "unit": "hours", "roll_to_workday": "yes"}, "roll_to_workday"),
    ],
)
def test_an_invalid_policy_field_is_rejected_by_name(kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=rf"^{field} "):
        DeadlinePolicy(**kwargs)


def test_a_policy_is_frozen() -> None:
    policy = working(5)
    with pytest.raises(AttributeError):
        policy.amount = 6  # type: ignore[misc]


def test_a_naive_start_is_rejected() -> None:
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        compute_deadline(datetime(2025, 11, 3, 10), working(5))


def test_a_naive_pause_is_rejected() -> None:
    deadline = compute_deadline(at(2025, 11, 3), working(5))
    with pytest.raises(ValueError, match="paused_at must be timezone-aware"):
        deadline.with_pause(datetime(2025, 11, 4), at(2025, 11, 5))


def test_a_naive_now_is_rejected() -> None:
    deadline = compute_deadline(at(2025, 11, 3), working(5))
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        status_at(deadline, datetime(2025, 11, 4))


# --- properties --------------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2004, 1, 2),
    max_value=datetime(2029, 12, 31),
    timezones=st.sampled_from([SH, UTC, ZoneInfo("America/New_York")]),
)
amounts = st.integers(min_value=1, max_value=90)
units = st.sampled_from(["calendar_days", "working_days", "hours"])
fractions = st.floats(min_value=0.05, max_value=1.0)


@settings(max_examples=80, deadline=None)
@given(start=starts, amount=amounts, unit=units, fraction=fractions)
def test_the_due_is_never_before_the_start_and_the_warning_lies_between(
    start: datetime, amount: int, unit: str, fraction: float
) -> None:
    deadline = compute_deadline(start, DeadlinePolicy(amount, unit, warn_fraction=fraction))
    assert deadline.due_at > start
    assert start <= deadline.warn_at <= deadline.due_at


@settings(max_examples=80, deadline=None)
@given(start=starts, amount=amounts)
def test_adding_working_days_lands_on_a_workday_after_exactly_that_many(
    start: datetime, amount: int
) -> None:
    deadline = compute_deadline(start, working(amount))
    first = start.astimezone(SH).date() + timedelta(days=1)
    due_day = deadline.due_at.date()
    assert reference_workday(due_day)
    span = [first + timedelta(days=n) for n in range((due_day - first).days + 1)]
    assert sum(reference_workday(day) for day in span) == amount


@settings(max_examples=80, deadline=None)
@given(start=starts, amount=amounts)
def test_a_rolled_calendar_period_ends_on_the_first_workday_from_its_last_day(
    start: datetime, amount: int
) -> None:
    deadline = compute_deadline(start, calendar(amount))
    last = start.astimezone(SH).date() + timedelta(days=amount)
    due_day = deadline.due_at.date()
    assert due_day >= last
    assert reference_workday(due_day)
    assert not any(
        reference_workday(last + timedelta(days=n)) for n in range((due_day - last).days)
    )


@settings(max_examples=80, deadline=None)
@given(start=starts, amount=amounts, unit=units)
def test_the_due_is_monotonic_in_the_amount(start: datetime, amount: int, unit: str) -> None:
    shorter = compute_deadline(start, DeadlinePolicy(amount, unit)).due_at
    longer = compute_deadline(start, DeadlinePolicy(amount + 1, unit)).due_at
    # A rolled calendar period may end on the same workday for n and n + 1 days.
    assert shorter <= longer
    if unit != "calendar_days":
        assert shorter < longer


@settings(max_examples=80, deadline=None)
@given(
    start=starts,
    amount=amounts,
    unit=units,
    offset=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=120)),
    length=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)),
)
def test_a_pause_never_brings_the_due_forward(
    start: datetime, amount: int, unit: str, offset: timedelta, length: timedelta
) -> None:
    policy = DeadlinePolicy(amount, unit)
    plain = compute_deadline(start, policy)
    # Do the pause arithmetic in UTC: wall-clock arithmetic in New York would make
    # the real length of the pause differ from ``length`` across a DST change.
    paused_at = start.astimezone(UTC) + offset
    resumed_at = paused_at + length
    paused = plain.with_pause(paused_at, resumed_at)
    assert paused.due_at >= plain.due_at
    if unit == "hours" and resumed_at <= plain.due_at:
        assert paused.due_at - plain.due_at == length
