"""The staff pages of the case engine, through Django's test client."""

import io
from datetime import datetime

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from cases import services
from cases.choices import Status
from cases.errors import ActionForbidden, CaseError, CaseNotFound, TransitionNotAllowed
from cases.models import Case, CaseEvent, Notification, Party, PersonalDataAccess
from cases.permissions import available_actions
from cases.workflow import TRANSITIONS
from territory.models import Area

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def default_language(settings):
    """A request under /en/ leaves English active in the thread; start each test afresh."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def login(client, users):
    def as_user(username):
        client.force_login(users[username])
        return client

    return as_user


def street_office(case):
    return f"{case.area_code[:9]}-office"


def detail_url(case):
    return reverse("cases:detail", args=[case.number])


def act_url(case, action):
    return reverse("cases:act", args=[case.number, action])


def shown_actions(page: str) -> set[str]:
    import re

    return set(re.findall(r'data-action="([a-z_]+)"', page))


# -- every page renders for the right role ----------------------------------------------------
@pytest.mark.parametrize(
    "username",
    ["dispatcher", "clerk", "leader", "handler", "community", "gridworker", "street", "admin"],
)
def test_every_staff_page_renders_for_each_role(login, make_case, username):
    case = make_case()
    client = login(username)
    for url in [
        reverse("cases:inbox"),
        reverse("cases:list"),
        reverse("cases:new"),
        detail_url(case),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    assert case.number in client.get(reverse("cases:list")).content.decode()


def test_the_pages_ask_an_anonymous_visitor_to_log_in(client, make_case):
    case = make_case()
    for url in [
        reverse("cases:inbox"),
        reverse("cases:list"),
        reverse("cases:new"),
        detail_url(case),
        reverse("cases:export"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# -- territory ---------------------------------------------------------------------------------
def test_a_user_of_another_territory_gets_404_for_the_case_page_and_its_actions(
    login, make_case, far_grid
):
    case = make_case(grid=far_grid)
    client = login("community")  # the first community only
    response = client.get(detail_url(case))
    assert response.status_code == 404
    assert case.title not in response.content.decode()
    response = client.post(act_url(case, "accept"), {"accept-version": case.version})
    assert response.status_code == 404
    party = Party.objects.create(case=case, role="reporter", name="王小明")
    response = client.post(
        reverse("cases:reveal", args=[case.number, party.pk]), {f"reveal{party.pk}-reason": "回访"}
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == Status.RECEIVED and case.version == 1
    assert not PersonalDataAccess.objects.exists()


def test_a_number_that_does_not_exist_is_the_same_404(login):
    response = login("dispatcher").get(reverse("cases:detail", args=["500103-2026-999999"]))
    assert response.status_code == 404


def test_the_list_and_the_export_leave_out_other_territories(login, make_case, far_grid):
    mine, theirs = make_case(), make_case(grid=far_grid, title="江边护栏损坏")
    client = login("community")
    page = client.get(reverse("cases:list")).content.decode()
    assert mine.number in page and theirs.number not in page
    numbers = [row[0] for row in export_rows(client.get(reverse("cases:export")))[1:]]
    assert numbers == [mine.number]


# -- the inbox -----------------------------------------------------------------------------------
def test_the_dispatchers_inbox_lists_new_cases_to_dispatch(login, make_case):
    case = make_case()
    page = login("dispatcher").get(reverse("cases:inbox")).content.decode()
    assert 'id="box-to_dispatch"' in page and case.number in page
    assert 'id="box-to_handle"' not in page


def test_the_handlers_inbox_lists_what_its_unit_must_handle_and_its_notifications(
    login, make_case, users
):
    case = make_case(category="hazard-storage")
    services.accept_case(case.pk, actor=users["dispatcher"])
    services.assign_case(case.pk, actor=users["dispatcher"], unit=street_office(case))
    client = login("handler")
    page = client.get(reverse("cases:inbox")).content.decode()
    box = page.split('id="box-to_handle"')[1].split("</section>")[0]
    assert case.number in box
    notifications = page.split('id="notifications"')[1]
    assert f"{case.number}" in notifications and 'class="unread"' in notifications


def test_overdue_cases_are_highlighted_in_the_inbox(login, make_case):
    case = make_case()
    Case.objects.filter(pk=case.pk).update(deadline_state="overdue")
    page = login("leader").get(reverse("cases:inbox")).content.decode()
    assert 'id="box-overdue"' in page
    row = page.split(case.number)[0].rsplit("<tr", 1)[1]
    assert "is-overdue" in row


def test_marking_a_notification_read_through_htmx_returns_the_fresh_list(login, make_case, users):
    case = make_case(category="hazard-storage")
    services.accept_case(case.pk, actor=users["dispatcher"])
    services.assign_case(case.pk, actor=users["dispatcher"], unit=street_office(case))
    note = (
        Notification.objects.filter(
            case=case, unit__code=street_office(case), recipient__isnull=True
        )
        .order_by("-pk")
        .first()
    )
    client = login("handler")
    response = client.post(
        reverse("cases:notifications-read"), {"id": note.pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith("<section")
    note.refresh_from_db()
    assert note.read_at is not None
    assert Notification.objects.filter(
        unit__code=street_office(case), read_at__isnull=True
    ).exists()  # the intake one
    response = client.post(reverse("cases:notifications-read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(
        unit__code=street_office(case), read_at__isnull=True
    ).exists()


def test_nobody_marks_another_units_notifications_read(login, make_case, users):
    case = make_case(category="hazard-storage")
    note = Notification.objects.get(case=case, recipient__isnull=True)
    login("gridworker").post(reverse("cases:notifications-read"), {"id": note.pk})
    note.refresh_from_db()
    assert note.read_at is None


# -- the list ----------------------------------------------------------------------------------
def test_the_list_filters_by_status_type_area_and_text(login, make_case, users, far_grid):
    fire = make_case()
    road = make_case(title="小区门口井盖松动", text="", case_type="hazard", category="hazard-road")
    far = make_case(grid=far_grid, title="江边护栏损坏", category="hazard-road")
    services.accept_case(road.pk, actor=users["dispatcher"])
    client = login("dispatcher")

    def listed(**params):
        page = client.get(reverse("cases:list"), params).content.decode()
        return {c.number for c in (fire, road, far) if c.number in page}

    assert listed() == {fire.number, road.number, far.number}
    assert listed(status="accepted") == {road.number}
    assert listed(category="hazard-road") == {road.number, far.number}
    assert listed(area=fire.area_code[:9]) == {fire.number, road.number}
    assert listed(q="井盖") == {road.number}
    assert listed(case_type="dispute") == set()


def test_a_bad_filter_answers_400_naming_the_field(login):
    client = login("dispatcher")
    response = client.get(reverse("cases:list"), {"received_from": "yesterday"})
    assert response.status_code == 400
    assert "received_from" in response.context["form"].errors
    response = client.get(
        reverse("cases:list"), {"received_from": "2026-05-02", "received_to": "2026-05-01"}
    )
    assert response.status_code == 400 and "received_to" in response.context["form"].errors
    response = client.get(reverse("cases:export"), {"status": "lost"})
    assert response.status_code == 400 and "status" in response.context["form"].errors


def test_the_area_filter_offers_only_the_users_own_streets_and_communities(login, far_grid):
    client = login("street")
    response = client.get(reverse("cases:list"), {"area": far_grid.code[:9]})
    assert response.status_code == 400 and "area" in response.context["form"].errors


def test_the_list_is_paginated(login, make_case, monkeypatch):
    monkeypatch.setattr("cases.views.PAGE_SIZE", 2)
    cases = [make_case(title=f"楼道堆放杂物 {i}") for i in range(3)]
    client = login("dispatcher")
    first = client.get(reverse("cases:list"), {"case_type": "hazard"})
    assert first.context["page"].paginator.num_pages == 2
    second = client.get(reverse("cases:list"), {"case_type": "hazard", "page": 2})
    assert second.content.decode().count('class="title"') == 1
    assert cases[0].number in second.content.decode()  # the oldest comes last


# -- the Excel export -----------------------------------------------------------------------------
def export_rows(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(io.BytesIO(response.content))
    return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]


def test_the_export_has_the_filtered_rows_under_a_chinese_header_without_personal_data(
    login, make_case, users
):
    make_case()
    kept = make_case(
        title="小区门口井盖松动",
        category="hazard-road",
        parties=[{"name": "王小明", "phone": "13812341234"}],
    )
    services.accept_case(kept.pk, actor=users["dispatcher"])
    client = login("dispatcher")
    response = client.get(reverse("cases:export"), {"status": "accepted"})
    rows = export_rows(response)
    with translation.override("zh-hans"):
        from cases.exports import columns

        assert rows[0] == [title for title, _w in columns()]
    assert (
        len(rows) - 1
        == client.get(reverse("cases:list"), {"status": "accepted"}).context["page"].paginator.count
        == 1
    )
    number, received = rows[1][0], rows[1][1]
    assert number == kept.number and isinstance(received, datetime)
    flat = " ".join(str(v) for row in rows for v in row)
    assert "王" not in flat and "1234" not in flat.replace(kept.number, "")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert sheet.column_dimensions["E"].width == 40 and sheet.freeze_panes == "A2"
    assert sheet["B2"].number_format == "yyyy-mm-dd hh:mm"


def test_the_export_header_is_english_under_en(login, make_case):
    make_case()
    rows = export_rows(login("dispatcher").get("/en" + reverse("cases:export")))
    assert rows[0][:3] == ["Number", "Received at", "Case type"]


# -- the case page ------------------------------------------------------------------------------
def test_the_case_page_shows_its_timeline_deadline_and_map(login, make_case, users):
    case = make_case()
    services.accept_case(case.pk, actor=users["dispatcher"], reason="情况属实")
    page = login("dispatcher").get(detail_url(case)).content.decode()
    timeline = page.split('id="timeline"')[1].split("</ol>")[0]
    assert timeline.count("data-kind=") == 2 and "情况属实" in timeline
    assert 'data-kind="intake"' in timeline and 'data-kind="accept"' in timeline
    assert 'id="deadline"' in page and case.due_at.astimezone().strftime("%Y-%m-%d") in page
    assert 'id="case-map-data"' in page and str(round(case.lon, 3))[:6] in page


def test_a_case_beyond_the_known_holiday_calendar_says_so(login, make_case):
    case = make_case()
    Case.objects.filter(pk=case.pk).update(calendar_known=False)
    page = login("dispatcher").get(detail_url(case)).content.decode()
    assert 'id="calendar-unknown"' in page


def test_the_actions_shown_are_the_ones_the_roles_allow(login, make_case, users):
    case = make_case(category="hazard-storage")
    assert shown_actions(login("dispatcher").get(detail_url(case)).content.decode()) == {
        "accept",
        "reject",
        "classify",
        "merge",
        "comment",
    }
    assert shown_actions(login("clerk").get(detail_url(case)).content.decode()) == {
        "accept",
        "classify",
        "comment",
    }
    assert shown_actions(login("gridworker").get(detail_url(case)).content.decode()) == {"comment"}
    services.accept_case(case.pk, actor=users["dispatcher"])
    services.assign_case(case.pk, actor=users["dispatcher"])
    assert shown_actions(login("handler").get(detail_url(case)).content.decode()) == {
        "start",
        "return",
        "escalate",
        "request_extension",
        "comment",
    }
    assert shown_actions(login("leader").get(detail_url(case)).content.decode()) == {
        "co_assign",
        "transfer",
        "escalate",
        "supervise",
        "extend",
        "merge",
        "comment",
    }


SAMPLE_KWARGS = {
    "reason": "理由",
    "unit": None,
    "category": "hazard-road",
    "outcome": "resolved",
    "amount": 1,
    "into": None,
    "rating": "satisfied",
    "method": "call",
    "comment": "",
}


def try_action(case, action, user, other_case) -> bool:
    """Whether the service lets `user` take `action` (every change rolled back)."""
    from datetime import timedelta

    from django.utils import timezone

    from cases.forms import ACTION_FIELDS

    kw = {}
    for name, _required in ACTION_FIELDS[action]:
        if name == "unit":
            kw["unit"] = f"{case.area_code[:12]}-committee"
        elif name == "into":
            kw["into"] = other_case.number
        elif name == "due_at":
            kw["due_at"] = timezone.now() + timedelta(days=2)
        else:
            kw[name] = SAMPLE_KWARGS[name]

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            services.ACTIONS[action](case.pk, actor=user, **kw)
            raise Rollback
    except Rollback:
        return True
    except (ActionForbidden, TransitionNotAllowed, CaseNotFound):
        return False  # not allowed, or not even visible (org/policy.py)
    except CaseError:
        return True  # allowed, but these sample inputs did not fit


@pytest.mark.parametrize("stage", ["received", "assigned", "resolved"])
def test_the_actions_offered_are_exactly_those_the_services_allow(make_case, users, stage):
    case = make_case(category="hazard-storage")
    other = make_case(title="另一件事", category="hazard-storage")
    if stage != "received":
        services.accept_case(case.pk, actor=users["dispatcher"])
        services.assign_case(case.pk, actor=users["dispatcher"])
    if stage == "resolved":
        services.start_case(case.pk, actor=users["handler"])
        services.resolve_case(case.pk, actor=users["handler"], reason="已清理")
    for username in [
        "dispatcher",
        "clerk",
        "leader",
        "handler",
        "community",
        "gridworker",
        "street",
        "petition",
        "crowd",
        "admin",
    ]:
        user = users[username]
        case = Case.objects.get(pk=case.pk)
        offered = set(available_actions(user, case))
        allowed = {
            a
            for a, t in TRANSITIONS.items()
            if case.status in t.sources and try_action(case, a, user, other)
        }
        assert offered == allowed, (username, offered ^ allowed)


def test_an_action_moves_the_case_and_returns_to_its_page(login, make_case):
    case = make_case()
    client = login("dispatcher")
    response = client.post(act_url(case, "accept"), {"accept-version": case.version})
    assert response.status_code == 302 and response["Location"] == detail_url(case)
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    event = case.events.order_by("-seq").first()
    assert event.kind == "accept" and event.actor.username == "dispatcher"


def test_assigning_offers_the_units_of_the_cases_own_territory(login, make_case, users):
    case = make_case(category="hazard-storage")
    services.accept_case(case.pk, actor=users["dispatcher"])
    page = login("dispatcher").get(detail_url(case)).content.decode()
    form = page.split('data-action="assign"')[1].split("</form>")[0]
    assert f'value="{case.owner_unit_id}" selected' in form
    assert "区综治中心" in form and "居委会" in form
    far_street = Area.objects.filter(level="street").order_by("-code").first()
    assert far_street.name not in form


def test_an_action_without_its_required_reason_answers_400_naming_the_field(login, make_case):
    case = make_case()
    response = login("dispatcher").post(
        act_url(case, "reject"), {"reject-version": case.version, "reject-reason": ""}
    )
    assert response.status_code == 400
    form = next(f for f in response.context["action_forms"] if f.action == "reject")
    assert "reason" in form.errors
    assert 'id="action-error"' in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.RECEIVED and case.events.count() == 1


def test_a_stale_version_is_refused_with_a_clear_conflict_message(login, make_case, users):
    case = make_case()
    stale = case.version
    services.comment_case(case.pk, actor=users["clerk"], reason="已电话联系")
    response = login("dispatcher").post(act_url(case, "accept"), {"accept-version": stale})
    assert response.status_code == 409
    assert response.context["failed"]["conflict"] is True
    assert case.number in " ".join(response.context["failed"]["errors"])
    notice = translation.gettext("Someone else changed this case while you had it open.")
    assert notice in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.RECEIVED


def test_an_action_the_roles_do_not_allow_is_refused_with_403(login, make_case):
    case = make_case()
    response = login("gridworker").post(
        act_url(case, "reject"), {"reject-version": case.version, "reject-reason": "不归我管"}
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == Status.RECEIVED


def test_an_action_not_allowed_in_this_state_answers_409(login, make_case):
    case = make_case()
    response = login("dispatcher").post(act_url(case, "close"), {"close-version": case.version})
    assert response.status_code == 409


def test_an_unknown_action_is_404(login, make_case):
    case = make_case()
    assert login("dispatcher").post(act_url(case, "explode"), {}).status_code == 404


def test_revealing_a_party_needs_a_reason_shows_the_values_once_and_is_audited(login, make_case):
    case = make_case(parties=[{"name": "王小明", "phone": "13812341234"}])
    party = case.parties.get()
    client = login("dispatcher")
    page = client.get(detail_url(case)).content.decode()
    assert "王*明" in page and "138****1234" in page and "13812341234" not in page
    url = reverse("cases:reveal", args=[case.number, party.pk])
    response = client.post(url, {f"reveal{party.pk}-reason": ""})
    assert response.status_code == 400 and not PersonalDataAccess.objects.exists()
    response = client.post(url, {f"reveal{party.pk}-reason": "需要电话回访"})
    assert response.status_code == 200 and "13812341234" in response.content.decode()
    assert PersonalDataAccess.objects.get(party=party).reason == "需要电话回访"
    assert case.events.filter(kind="reveal").exists()
    assert "13812341234" not in client.get(detail_url(case)).content.decode()


def test_the_case_page_names_duplicates_suggested_at_intake(login, make_case):
    first = make_case()
    second = make_case(title="楼道里堆满杂物，消防通道被堵住了")
    assert second.events.get(kind="intake").data["duplicates"]
    page = login("dispatcher").get(detail_url(second)).content.decode()
    assert f'href="{detail_url(first)}"' in page


# -- intake -----------------------------------------------------------------------------------------
def intake_data(grid, **kw):
    data = {
        "case_type": "hazard",
        "category": "",
        "channel": "hotline",
        "priority": "normal",
        "title": "楼道堆放杂物堵塞消防通道",
        "text": "住改仓，纸箱堆到天花板",
        "address": "",
        "lon": grid.centroid_lon,
        "lat": grid.centroid_lat,
        "client_key": "",
        "party0_role": "reporter",
        "party0_name": "王小明",
        "party0_phone": "13812341234",
        "party0_id_number": "",
        "party1_role": "respondent",
        "party1_name": "",
        "party1_phone": "",
        "party1_id_number": "",
    }
    data.update(kw)
    return data


def test_the_intake_form_registers_a_case_and_opens_its_page(login, first_grid):
    client = login("clerk")
    response = client.post(reverse("cases:new"), intake_data(first_grid))
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(case)
    assert case.channel == "hotline" and case.grid_code == first_grid.code
    assert case.created_by.username == "clerk"
    assert case.parties.get().phone == "13812341234"


def test_intake_form_errors_name_the_field_answer_400_and_write_nothing(login, first_grid):
    client = login("clerk")
    response = client.post(
        reverse("cases:new"), intake_data(first_grid, title="", lat="", party0_phone="call me")
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"title", "lat", "party0_phone"} <= set(errors)
    assert not Case.objects.exists() and not CaseEvent.objects.exists()
    page = response.content.decode()
    assert 'id="id_title_error"' in page


def test_a_category_of_another_case_type_is_refused_by_the_service_on_its_field(login, first_grid):
    response = login("clerk").post(
        reverse("cases:new"), intake_data(first_grid, category="dispute-neighbour")
    )
    assert response.status_code == 400
    assert "category" in response.context["form"].errors
    assert not Case.objects.exists()


def test_a_point_outside_the_clerks_territory_is_refused_and_nothing_written(login, far_grid):
    response = login("gridworker").post(reverse("cases:new"), intake_data(far_grid))
    assert response.status_code == 404
    assert not Case.objects.exists()


def test_a_double_submitted_intake_form_registers_one_case(login, first_grid):
    client = login("clerk")
    data = intake_data(first_grid, client_key="form-abc")
    client.post(reverse("cases:new"), data)
    response = client.post(reverse("cases:new"), data)
    assert response.status_code == 302 and Case.objects.count() == 1


def test_the_proposal_prefills_a_confident_category(login, settings):
    settings.PINGAN_TRIAGE_THRESHOLD = 0.3
    response = login("clerk").post(
        reverse("cases:propose"),
        {
            "title": "小区门口井盖松动",
            "text": "井盖 路面塌陷",
            "case_type": "hazard",
            "category": "",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert '<option value="hazard-road" selected>' in page
    assert 'name="category_prefilled" value="1"' in page
    assert "confidence" in page or "置信" in page


def test_below_the_threshold_the_proposal_asks_the_person_to_pick(login, settings):
    settings.PINGAN_TRIAGE_THRESHOLD = 0.99
    response = login("clerk").post(
        reverse("cases:propose"),
        {"title": "小区门口井盖松动", "text": "", "case_type": "hazard", "category": ""},
    )
    page = response.content.decode()
    assert '" selected>' not in page.split('<option value="" selected>')[1].split("</select>")[0]
    assert response.context["proposal"].category.code == "hazard-road"
    assert response.context["prefilled"] is False


def test_a_category_picked_by_hand_is_kept_whatever_triage_proposes(login, settings):
    settings.PINGAN_TRIAGE_THRESHOLD = 0.1
    response = login("clerk").post(
        reverse("cases:propose"),
        {
            "title": "小区门口井盖松动",
            "case_type": "hazard",
            "category": "hazard-fire",
            "category_prefilled": "",
        },
    )
    assert '<option value="hazard-fire" selected>' in response.content.decode()


def test_locate_names_the_grid_community_and_street_of_a_point(login, first_grid):
    client = login("clerk")
    response = client.get(
        reverse("cases:locate"), {"lon": first_grid.centroid_lon, "lat": first_grid.centroid_lat}
    )
    page = response.content.decode()
    assert response.status_code == 200 and first_grid.code in page
    assert first_grid.parent.name in page and first_grid.parent.parent.name in page
    data = client.get(
        reverse("cases:locate"),
        {"lon": first_grid.centroid_lon, "lat": first_grid.centroid_lat, "format": "json"},
    ).json()
    assert data["grid"]["code"] == first_grid.code and data["in_your_territory"] is True


def test_locate_says_when_a_point_is_outside_every_grid(login):
    response = login("clerk").get(reverse("cases:locate"), {"lon": 116.4, "lat": 39.9})
    assert response.context["info"]["inside"] is False
    response = login("clerk").get(
        reverse("cases:locate"), {"lon": "x", "lat": "1", "format": "json"}
    )
    assert response.status_code == 400 and response.json()["field"] == "lon"


# -- languages --------------------------------------------------------------------------------------
def test_the_pages_are_chinese_by_default_and_english_under_en(login, make_case):
    case = make_case()
    client = login("dispatcher")
    page = client.get(detail_url(case)).content.decode()
    assert 'lang="zh-hans"' in page
    with translation.override("zh-hans"):
        assert str(Status.RECEIVED.label) in page
        assert translation.gettext("Timeline") in page
    page = client.get("/en" + detail_url(case)).content.decode()
    assert 'lang="en"' in page and "Timeline" in page and "Received" in page


# -- the Django admin -------------------------------------------------------------------------------
def test_the_admin_configures_the_catalogue_and_holds_no_case(login, make_case):
    case = make_case(parties=[{"name": "王小明", "phone": "13812341234"}])
    client = login("admin")
    for model in ["casetype", "category", "routingrule"]:
        assert client.get(reverse(f"admin:cases_{model}_changelist")).status_code == 200, model
    for model in ["case", "caseevent", "notification"]:
        assert client.get(f"/admin/cases/{model}/").status_code == 404, model
    assert client.get(f"/admin/cases/case/{case.pk}/change/").status_code == 404
    response = client.post(f"/admin/cases/case/{case.pk}/change/", {"status": "closed"})
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == Status.RECEIVED
    category = client.get(reverse("admin:cases_category_change", args=[case.category_id]))
    assert category.status_code == 200 and "keywords" in category.content.decode()


def test_the_case_type_may_come_from_the_category_but_one_of_them_is_needed(login, first_grid):
    client = login("clerk")
    response = client.post(reverse("cases:new"), intake_data(first_grid, case_type=""))
    assert response.status_code == 400 and "case_type" in response.context["form"].errors
    assert not Case.objects.exists()
    response = client.post(
        reverse("cases:new"), intake_data(first_grid, case_type="", category="hazard-storage")
    )
    assert response.status_code == 302
    assert Case.objects.get().case_type.code == "hazard"


def test_the_case_page_names_only_duplicates_in_the_users_territory(
    login, make_case, far_grid, settings
):
    settings.PINGAN_DUPLICATE_RADIUS_M = 1e9  # the whole district counts as near
    theirs = make_case(grid=far_grid)
    near = make_case()
    mine = make_case()
    assert {n for n, _s in mine.events.get(kind="intake").data["duplicates"]} >= {
        theirs.number,
        near.number,
    }
    page = login("community").get(detail_url(mine)).content.decode()
    assert near.number in page and theirs.number not in page
    page = login("clerk").get(detail_url(mine)).content.decode()
    assert near.number in page and theirs.number in page
