"""The lifecycle: the whole closed loop, each rule of closing, conflicts and territory."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases import services
from cases.choices import DeadlineState, Status
from cases.errors import (
    ActionForbidden,
    CaseInputError,
    CaseNotFound,
    TransitionNotAllowed,
    VersionConflict,
)
from cases.models import Case, Notification, PersonalDataAccess

pytestmark = pytest.mark.django_db


def walk_to_resolved(case, users):
    services.accept_case(case.pk, actor=users["dispatcher"])
    services.assign_case(case.pk, actor=users["dispatcher"], unit=f"{case.area_code[:9]}-office")
    services.start_case(case.pk, actor=users["handler"])
    return services.resolve_case(case.pk, actor=users["handler"], reason="已清理楼道杂物")


def test_a_whole_life_from_report_to_a_rated_close(first_grid, users):
    intake = services.intake_case(
        title="楼道堆放杂物堵塞消防通道",
        channel="resident_web",
        case_type="hazard",
        category="hazard-storage",
        lon=first_grid.centroid_lon,
        lat=first_grid.centroid_lat,
    )
    case = walk_to_resolved(intake.case, users)
    assert case.status == Status.RESOLVED and case.outcome == "resolved"
    services.verify_case(case.pk, actor=users["gridworker"], reason="现场核查已清理")
    services.rate_case(
        case.pk, rating="satisfied", comment="处理及时", public_code=intake.public_code
    )
    case = services.close_case(case.pk, actor=users["dispatcher"])
    assert case.status == Status.CLOSED and case.closed_at
    kinds = list(case.events.values_list("kind", flat=True))
    assert kinds == ["intake", "accept", "assign", "start", "resolve", "verify", "rate", "close"]
    assert [e.seq for e in case.events.all()] == list(range(1, 9))
    assert case.events.get(kind="close").data["on_time"] is True
    assert Notification.objects.filter(
        case=case, unit__code=f"{case.area_code[:9]}-office"
    ).exists()


def test_closing_needs_verification_then_a_rating(make_case, users):
    case = walk_to_resolved(make_case(), users)
    with pytest.raises(TransitionNotAllowed) as caught:
        services.close_case(case.pk, actor=users["dispatcher"])
    assert caught.value.field == "verified_at"
    services.verify_case(case.pk, actor=users["gridworker"])
    with pytest.raises(TransitionNotAllowed) as caught:
        services.close_case(case.pk, actor=users["dispatcher"])
    assert caught.value.field == "rating"
    services.record_contact_failed(case.pk, actor=users["clerk"], reason="电话三次无人接听")
    assert services.close_case(case.pk, actor=users["dispatcher"]).status == Status.CLOSED


def test_an_unsatisfied_resident_reopens_the_case(first_grid, users):
    intake = services.intake_case(
        title="楼道堆放杂物",
        channel="resident_web",
        category="hazard-storage",
        lon=first_grid.centroid_lon,
        lat=first_grid.centroid_lat,
    )
    walk_to_resolved(intake.case, users)
    services.verify_case(intake.case.pk, actor=users["gridworker"])
    case = services.rate_case(
        intake.case.pk, rating="unsatisfied", comment="没清理干净", public_code=intake.public_code
    )
    assert case.status == Status.IN_PROGRESS and case.reopen_count == 1
    assert case.rating == "" and case.verified_at is None


def test_a_wrong_public_code_cannot_rate(make_case, users):
    case = walk_to_resolved(make_case(), users)
    with pytest.raises(CaseNotFound):
        services.rate_case(case.pk, rating="satisfied", public_code="WRONG123")


def test_a_failed_verification_sends_the_case_back_to_work(make_case, users):
    case = walk_to_resolved(make_case(), users)
    case = services.verify_case(
        case.pk, actor=users["gridworker"], passed=False, reason="现场仍有杂物"
    )
    assert case.status == Status.IN_PROGRESS and case.rework_count == 1


def test_escalation_goes_one_level_up_at_a_time(make_case, users):
    case = make_case(case_type="dispute", category="dispute-neighbour")
    assert case.owner_unit.kind == "community_committee"
    services.accept_case(case.pk, actor=users["dispatcher"])
    case = services.escalate_case(case.pk, actor=users["dispatcher"], reason="社区调解不成")
    assert (case.escalation_level, case.owner_unit.kind) == ("street", "street_center")
    case = services.escalate_case(case.pk, actor=users["dispatcher"], reason="街道调解不成")
    assert (case.escalation_level, case.owner_unit.code) == ("district", "500103-center")
    with pytest.raises(TransitionNotAllowed):
        services.escalate_case(case.pk, actor=users["dispatcher"], reason="再上交")


def test_a_handler_of_another_unit_may_not_work_the_case(make_case, users, far_grid):
    case = make_case(grid=far_grid, case_type="dispute", category="dispute-neighbour")
    services.accept_case(case.pk, actor=users["dispatcher"])
    services.assign_case(case.pk, actor=users["dispatcher"])
    with pytest.raises(CaseNotFound):  # not in their street, not their unit: invisible
        services.start_case(case.pk, actor=users["handler"])


def test_a_user_of_another_territory_gets_not_found_never_the_case(make_case, users, far_grid):
    case = make_case(grid=far_grid)
    for who in ("community", "street", "gridworker", "handler"):
        with pytest.raises(CaseNotFound):
            services.accept_case(case.pk, actor=users[who])
    assert Case.objects.get(pk=case.pk).status == Status.RECEIVED


def test_a_role_without_the_right_gets_forbidden(make_case, users):
    case = make_case()
    with pytest.raises(ActionForbidden):
        services.accept_case(case.pk, actor=users["gridworker"])


def test_two_people_acting_on_the_same_version_one_wins_the_other_gets_a_conflict(make_case, users):
    case = make_case()
    seen = case.version
    services.accept_case(case.pk, actor=users["dispatcher"], version=seen)
    with pytest.raises(VersionConflict, match=case.number):
        services.reject_case(case.pk, actor=users["leader"], version=seen, reason="重复")
    assert Case.objects.get(pk=case.pk).status == Status.ACCEPTED


def test_pause_stops_the_clock_and_extension_needs_a_leader(make_case, users):
    case = walk_to_resolved(make_case(case_type="request", category="request-env-noise"), users)
    services.reopen_case(case.pk, actor=users["dispatcher"], reason="复查")
    due = Case.objects.get(pk=case.pk).due_at
    t0 = timezone.now()
    services.pause_case(case.pk, actor=users["handler"], reason="等待居民提供材料", at=t0)
    case = services.resume_case(case.pk, actor=users["handler"], at=t0 + timedelta(days=7))
    assert case.due_at > due
    with pytest.raises(ActionForbidden):
        services.extend_case(case.pk, actor=users["handler"], amount=5, reason="需要更多时间")
    case = services.extend_case(case.pk, actor=users["leader"], amount=5, reason="需协调多部门")
    assert len(case.extensions) == 1
    with pytest.raises(CaseInputError, match="amount"):
        services.extend_case(case.pk, actor=users["leader"], amount=5, reason="再延")


def test_merging_keeps_both_histories(make_case, users):
    a, b = make_case(), make_case()
    merged = services.merge_case(b.pk, actor=users["dispatcher"], into=a.number, reason="同一问题")
    assert merged.status == Status.MERGED and merged.merged_into_id == a.pk
    assert a.events.filter(data__merged=b.number).exists()


def test_the_deadline_sweep_marks_once_even_when_run_twice(make_case):
    case = make_case(category="hazard-fire")  # 24 hours
    later = case.due_at + timedelta(hours=1)
    first = services.sweep_deadlines(now=later)
    second = services.sweep_deadlines(now=later)
    assert first["overdue"] == 1 and second == {"warning": 0, "overdue": 0}
    case.refresh_from_db()
    assert case.deadline_state == DeadlineState.OVERDUE
    assert case.events.filter(kind="overdue").count() == 1


def test_revealing_personal_data_is_audited_and_scoped(first_grid, users):
    case = services.intake_case(
        title="噪音扰民",
        channel="hotline",
        case_type="request",
        lon=first_grid.centroid_lon,
        lat=first_grid.centroid_lat,
        parties=[{"name": "李四", "phone": "13900001111"}],
    ).case
    party = case.parties.get()
    with pytest.raises(CaseInputError):
        services.reveal_party(party.pk, actor=users["dispatcher"], reason="")
    shown = services.reveal_party(party.pk, actor=users["dispatcher"], reason="回访核实")
    assert shown["phone"] == "13900001111"
    assert PersonalDataAccess.objects.filter(party=party, user=users["dispatcher"]).count() == 1
    assert case.events.filter(kind="reveal").exists()


def test_a_reason_is_cleaned_by_the_service_itself_whoever_calls_it(make_case, users):
    """The forms and the API clean text before calling; a service called from anywhere else
    (a command, an import, a future app) must not store a NUL or a control character."""
    case = make_case()
    with pytest.raises(CaseInputError) as refused:
        services.comment_case(case.pk, actor=users["dispatcher"], reason="打过电话\x00")
    assert "reason" in refused.value.errors
    assert case.events.count() == 1 and Case.objects.get(pk=case.pk).version == case.version
    services.comment_case(case.pk, actor=users["dispatcher"], reason="打过\x0b电话\x1b")
    assert case.events.order_by("seq").last().reason == "打过电话"
