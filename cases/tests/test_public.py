"""The public pages: a resident reports, follows the case with number + code, and rates it."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cases import services
from cases.choices import Status
from cases.models import Case, CaseEvent, Party

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def default_language(settings):
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


def report_data(grid=None, **kw):
    data = {
        "category": "hazard-storage",
        "title": "楼道堆放杂物堵塞消防通道",
        "text": "三单元一楼纸箱堆到天花板",
        "address": "民生路 1 号",
        "lon": "",
        "lat": "",
        "name": "王小明",
        "phone": "138 1234 1234",
        "client_key": "",
    }
    if grid is not None:
        data.update(lon=grid.centroid_lon, lat=grid.centroid_lat)
    data.update(kw)
    return data


def report(client, data) -> tuple[str, str]:
    response = client.post(reverse("public:report"), data)
    assert response.status_code == 302 and response["Location"] == reverse("public:received")
    page = client.get(response["Location"]).content.decode()
    number = re.search(r'id="case-number">([^<]+)<', page).group(1)
    code = re.search(r'id="case-code">([^<]+)<', page).group(1)
    return number, code


def walk_to_resolved(case, users):
    services.accept_case(case.pk, actor=users["dispatcher"])
    services.assign_case(case.pk, actor=users["dispatcher"])
    services.start_case(case.pk, actor=users["handler"])
    services.resolve_case(case.pk, actor=users["handler"], reason="已由王经理清理楼道，处理人张三")


def test_the_report_page_offers_only_request_hazard_and_rental_categories(client):
    response = client.get(reverse("public:report"))
    assert response.status_code == 200
    codes = {
        v
        for v, _l in (
            c
            for _g, group in response.context["form"].fields["category"].choices[1:]
            for c in group
        )
    }
    assert "hazard-storage" in codes and "request-env-noise" in codes and "rental-noise" in codes
    assert not any(c.startswith(("dispute", "petition", "crowd")) for c in codes)


def test_a_resident_reports_and_gets_a_number_and_a_private_code_once(client, first_grid):
    number, code = report(client, report_data(first_grid))
    case = Case.objects.get(number=number)
    assert case.channel == "resident_web" and case.grid_code == first_grid.code
    assert services.check_public_code(case, code)
    assert case.parties.get().phone == "138 1234 1234"
    # a reload shows the code no more
    assert client.get(reverse("public:received")).status_code == 302


def test_a_bad_report_answers_400_naming_each_field_and_writes_nothing(client):
    response = client.post(
        reverse("public:report"),
        report_data(category="dispute-neighbour", title="", lon="106.5", phone="call me"),
    )
    assert response.status_code == 400
    assert {"category", "title", "lat", "phone"} <= set(response.context["form"].errors)
    assert not Case.objects.exists() and not Party.objects.exists()
    assert not CaseEvent.objects.exists()


def test_a_report_without_a_point_is_accepted(client):
    number, _code = report(client, report_data(name="", phone=""))
    case = Case.objects.get(number=number)
    assert case.location == "no_point" and not case.parties.exists()


def test_a_resent_report_registers_one_case(client, first_grid):
    data = report_data(first_grid, client_key="tab-1")
    report(client, data)
    response = client.post(reverse("public:report"), data)
    page = client.get(response["Location"]).content.decode()
    assert Case.objects.count() == 1 and 'id="case-code"' not in page


def test_a_key_known_to_a_stranger_never_shows_anothers_case(client, first_grid, users):
    """Hole 1: the resident form's key is the browser session's own."""
    from django.test import Client

    from api.models import ApiToken

    mine, _code = report(client, report_data(first_grid, client_key="hotline-20261124-0042"))
    stranger = Client()
    response = stranger.post(
        reverse("public:report"),
        report_data(first_grid, title="别人的问题", client_key="hotline-20261124-0042"),
    )
    assert response.status_code == 302
    page = stranger.get(response["Location"]).content.decode()
    assert mine not in page and 'id="case-code"' in page  # a case of its own, new
    assert Case.objects.count() == 2
    # ... and the API caller with the same key gets a case of its own too.
    _token, raw = ApiToken.issue(name="hotline", user=users["clerk"])
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    body = {
        "title": "热线来电",
        "case_type": "hazard",
        "category": "hazard-fire",
        "lon": first_grid.centroid_lon,
        "lat": first_grid.centroid_lat,
    }
    answer = api.post(
        "/api/v1/cases",
        body,
        content_type="application/json",
        headers={"Idempotency-Key": "hotline-20261124-0042"},
    )
    assert answer.status_code == 201 and answer.json()["created"] is True
    assert mine not in answer.content.decode()


def test_the_same_key_with_another_report_is_refused_in_the_same_session(client, first_grid):
    report(client, report_data(first_grid, client_key="tab-2"))
    response = client.post(
        reverse("public:report"), report_data(first_grid, title="另一个问题", client_key="tab-2")
    )
    assert response.status_code == 422 and Case.objects.count() == 1


def test_control_characters_are_stripped_and_nul_refused_on_the_public_form(client, first_grid):
    response = client.post(reverse("public:report"), report_data(first_grid, title="楼道\x00堆物"))
    assert response.status_code == 400 and not Case.objects.exists()
    assert "title" in response.context["form"].errors
    number, _code = report(client, report_data(first_grid, title="楼道\x1b[31m堆物\x7f"))
    assert Case.objects.get(number=number).title == "楼道[31m堆物"


def test_tracking_shows_progress_without_staff_names_or_personal_data(client, first_grid, users):
    number, code = report(client, report_data(first_grid))
    case = Case.objects.get(number=number)
    services.accept_case(case.pk, actor=users["dispatcher"], reason="派遣员李四受理")
    services.comment_case(case.pk, actor=users["clerk"], reason="内部备注：联系王小明")
    response = client.post(reverse("public:track"), {"number": number, "code": code.lower()})
    assert response.status_code == 200
    page = response.content.decode()
    assert str(Status.ACCEPTED.label) in page and 'id="progress"' in page
    assert case.due_at.astimezone().strftime("%Y-%m-%d") in page
    for secret in [
        "李四",
        "王小明",
        "内部备注",
        "138",
        "渝中区综治中心",
        users["dispatcher"].person.name,
    ]:
        assert secret not in page, secret
    assert len(response.context["timeline"]) == 2  # received, accepted; not the note


def test_a_wrong_number_and_a_wrong_code_get_the_same_not_found(client, first_grid):
    number, code = report(client, report_data(first_grid))
    wrong_code = client.post(reverse("public:track"), {"number": number, "code": "AAAAAAAA"})
    wrong_number = client.post(
        reverse("public:track"), {"number": "500103-2026-999999", "code": code}
    )
    assert wrong_code.status_code == wrong_number.status_code == 404

    def strip(response):
        return (
            response.content.decode()
            .replace(number, "")
            .replace("500103-2026-999999", "")
            .replace(code, "")
            .replace("AAAAAAAA", "")
        )

    no_csrf = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert no_csrf.sub("", strip(wrong_code)) == no_csrf.sub("", strip(wrong_number))
    assert 'id="not-found"' in wrong_code.content.decode()


def test_an_empty_track_form_names_its_fields(client):
    response = client.post(reverse("public:track"), {"number": "", "code": ""})
    assert response.status_code == 400
    assert {"number", "code"} <= set(response.context["form"].errors)


def test_report_track_and_rate_satisfied(client, first_grid, users):
    number, code = report(client, report_data(first_grid))
    case = Case.objects.get(number=number)
    walk_to_resolved(case, users)
    page = client.post(reverse("public:track"), {"number": number, "code": code})
    assert page.context["rate_form"] is not None
    assert "王经理" not in page.content.decode() and "张三" not in page.content.decode()
    response = client.post(
        reverse("public:rate"),
        {"number": number, "code": code, "rating": "satisfied", "comment": "很及时"},
    )
    assert response.status_code == 200 and response.context["message"]
    case.refresh_from_db()
    assert case.rating == "satisfied" and case.feedback.get().method == "online"
    assert "rate_form" not in response.context  # rated once


def test_an_unsatisfied_rating_sends_the_case_back_to_work(client, first_grid, users):
    number, code = report(client, report_data(first_grid))
    case = Case.objects.get(number=number)
    walk_to_resolved(case, users)
    client.post(
        reverse("public:rate"),
        {"number": number, "code": code, "rating": "unsatisfied", "comment": "没清理干净"},
    )
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and case.reopen_count == 1


def test_rating_needs_the_right_code_and_a_known_rating(client, first_grid, users):
    number, code = report(client, report_data(first_grid))
    case = Case.objects.get(number=number)
    walk_to_resolved(case, users)
    response = client.post(
        reverse("public:rate"), {"number": number, "code": "WRONG234", "rating": "satisfied"}
    )
    assert response.status_code == 404
    response = client.post(
        reverse("public:rate"), {"number": number, "code": code, "rating": "delighted"}
    )
    assert response.status_code == 400 and "rating" in response.context["rate_form"].errors
    case.refresh_from_db()
    assert case.rating == "" and not case.feedback.exists()


def test_a_case_not_yet_resolved_cannot_be_rated(client, first_grid):
    number, code = report(client, report_data(first_grid))
    response = client.post(
        reverse("public:rate"), {"number": number, "code": code, "rating": "satisfied"}
    )
    assert response.status_code == 409
    assert response.context["rate_errors"]
    assert not Case.objects.get(number=number).rating


def test_the_public_pages_are_chinese_by_default_and_english_under_en(client):
    page = client.get(reverse("public:report")).content.decode()
    assert 'lang="zh-hans"' in page
    assert translation.gettext("Report a problem") in page
    assert "消防隐患" in page  # the catalogue's own names
    page = client.get("/en/report/").content.decode()
    assert 'lang="en"' in page and "Report a problem" in page and "Send the report" in page


# -- throttles ------------------------------------------------------------------------------------
def test_tracking_is_throttled_per_address(client, first_grid, settings):
    settings.PINGAN_PUBLIC_TRACK_THROTTLE = (3, 600)
    number, code = report(client, report_data(first_grid))
    url = reverse("public:track")
    for i in range(3):
        response = client.post(
            url, {"number": f"500103-2026-99999{i}", "code": "AAAAAAAA"}, REMOTE_ADDR="10.1.1.1"
        )
        assert response.status_code == 404
    # the fourth try, even with the right number and code, waits
    response = client.post(url, {"number": number, "code": code}, REMOTE_ADDR="10.1.1.1")
    assert response.status_code == 429 and response["Retry-After"] == "600"
    assert "请稍等" in response.content.decode() and number not in response.content.decode()
    # another address may still follow its case
    assert (
        client.post(url, {"number": number, "code": code}, REMOTE_ADDR="10.1.1.2").status_code
        == 200
    )
    # showing the form is not a try
    assert client.get(url, REMOTE_ADDR="10.1.1.1").status_code == 200


def test_tracking_is_throttled_per_case_number_from_any_address(client, first_grid, settings):
    settings.PINGAN_PUBLIC_TRACK_THROTTLE = (3, 600)
    number, code = report(client, report_data(first_grid))
    url = reverse("public:track")
    for i in range(3):
        client.post(url, {"number": number, "code": f"AAAAAAA{i}"}, REMOTE_ADDR=f"10.2.0.{i}")
    response = client.post("/en" + url, {"number": number, "code": code}, REMOTE_ADDR="10.2.0.9")
    assert response.status_code == 429 and "Too many tries" in response.content.decode()
    # rating counts with tracking: it checks the code too
    response = client.post(
        reverse("public:rate"),
        {"number": number, "code": code, "rating": "satisfied"},
        REMOTE_ADDR="10.2.1.1",
    )
    assert response.status_code == 429


def test_reporting_is_throttled_per_address(client, settings):
    settings.PINGAN_PUBLIC_REPORT_THROTTLE = (2, 3600)
    url = reverse("public:report")
    for i in range(2):
        response = client.post(url, report_data(client_key=f"k{i}"), REMOTE_ADDR="10.3.0.1")
        assert response.status_code == 302
    response = client.post(url, report_data(client_key="k3"), REMOTE_ADDR="10.3.0.1")
    assert response.status_code == 429 and Case.objects.count() == 2
    assert client.post(url, report_data(client_key="k4"), REMOTE_ADDR="10.3.0.2").status_code == 302


def test_looking_at_the_form_leaves_no_session_row(client, first_grid):
    """The form's scope is a signed cookie: bots and visitors who only look store nothing."""
    from django.contrib.sessions.models import Session

    for _ in range(3):
        assert Client().get(reverse("public:report")).status_code == 200
    assert Session.objects.count() == 0
    page = client.get(reverse("public:report"))
    assert page.cookies["pingan_report"]["httponly"]
    number, _code = report(client, report_data(first_grid, client_key="tab-1"))
    again = client.post(reverse("public:report"), report_data(first_grid, client_key="tab-1"))
    assert again.status_code == 302 and Case.objects.count() == 1  # the same scope: a repeat
