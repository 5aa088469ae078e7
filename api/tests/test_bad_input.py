"""Bad input over HTTP: every one a 4xx naming the field, never a 500 — on SQLite and on
PostgreSQL, which refuses a NUL in text ("A string literal cannot contain NUL")."""

import json

import pytest
from django.test import Client

from api.models import ApiToken
from cases.models import Case
from org.models import Unit

pytestmark = pytest.mark.django_db

API = "/api/v1"
O311 = "/open311/v2"
HUGE = "9" * 30


@pytest.fixture
def as_user(users):
    def make(username: str) -> Client:
        _token, raw = ApiToken.issue(name=f"test-{username}", user=users[username])
        return Client(
            headers={"Authorization": f"Bearer {raw}", "Accept-Language": "en"},
            raise_request_exception=False,
        )

    return make


@pytest.fixture
def api(as_user):
    return as_user("dispatcher")


def post(client, url, body, **kw):
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(url, raw, content_type="application/json", **kw)


def body(first_grid, **kw):
    out = {
        "title": "井盖松动",
        "text": "路口井盖松动",
        "case_type": "hazard",
        "category": "hazard-fire",
        "lon": first_grid.centroid_lon,
        "lat": first_grid.centroid_lat,
    }
    out.update(kw)
    return out


def assert_names(response, field, status=400):
    assert response.status_code == status, response.content[:300]
    data = response.json()
    assert field in data["errors"], data
    assert field in data["detail"]


# -- NUL and lone surrogates in JSON bodies -------------------------------------------------
@pytest.mark.parametrize(
    "kw, field",
    [
        ({"title": "井盖\x00松动"}, "title"),
        ({"text": "\x00"}, "text"),
        ({"address": "民生路\x00"}, "address"),
        ({"client_key": "k\x00"}, "client_key"),
        ({"category": "hazard\x00"}, "category"),
        ({"parties": [{"name": "王\x00"}]}, "parties[0].name"),
    ],
)
def test_nul_in_an_intake_field_is_a_400_naming_it(api, first_grid, kw, field):
    assert_names(post(api, f"{API}/cases", body(first_grid, **kw)), field)
    assert not Case.objects.exists()


def test_a_lone_surrogate_is_a_400_naming_the_field(api, first_grid):
    raw = json.dumps(body(first_grid), ensure_ascii=False).replace('"井盖松动"', '"\\ud800"')
    assert_names(post(api, f"{API}/cases", raw), "title")


def test_nul_in_the_idempotency_key_header_names_the_header(api, first_grid):
    response = post(api, f"{API}/cases", body(first_grid), headers={"Idempotency-Key": "k\x00"})
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["errors"]


def test_control_characters_are_stripped_over_the_api(api, first_grid):
    response = post(
        api, f"{API}/cases", body(first_grid, title="井盖\x1b[0m松动\x07", text="一\n二\t\x85")
    )
    assert response.status_code == 201
    case = Case.objects.get()
    assert (case.title, case.text) == ("井盖[0m松动", "一\n二")


def test_nul_in_a_reason_or_a_comment_is_a_400(api, make_case, users):
    case = make_case()
    assert_names(
        post(api, f"{API}/cases/{case.number}/actions/comment", {"reason": "备注\x00"}), "reason"
    )
    assert_names(
        post(api, f"{API}/cases/{case.number}/actions/merge", {"reason": "重复", "into": "X\x00"}),
        "into",
    )
    assert_names(
        post(
            api, f"{API}/cases/{case.number}/actions/transfer", {"reason": "转办", "unit": "a\x00"}
        ),
        "unit",
    )
    party = case.parties.first()
    if party is not None:
        assert_names(post(api, f"{API}/parties/{party.pk}/reveal", {"reason": "\x00"}), "reason")


# -- NUL in URLs ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url, field",
    [
        (f"{API}/cases?q=%00", "q"),
        (f"{API}/cases?category=a%00", "category"),
        (f"{API}/cases/2026%00", "path"),
        (f"{API}/cases/2026%00/events", "path"),
        (f"{API}/areas/500103%00", "path"),
    ],
)
def test_nul_in_a_url_is_a_400_naming_the_argument(api, url, field):
    assert_names(api.get(url), field)


def test_nul_in_a_page_url_is_a_400_naming_it(client, users):
    client.force_login(users["dispatcher"])
    response = client.get("/cases/?q=%00")
    assert response.status_code == 400 and b"q:" in response.content
    assert client.get("/cases/A%00B/").status_code == 400


# -- numbers --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query, field",
    [
        (f"offset={HUGE}", "offset"),
        ("offset=9223372036854775808", "offset"),
        ("limit=%D9%A3", "limit"),  # Arabic-Indic ٣
        ("limit=%C2%B3", "limit"),  # superscript ³
        ("offset=-1", "offset"),
    ],
)
def test_bad_paging_is_a_400(api, query, field):
    assert_names(api.get(f"{API}/cases?{query}"), field)


def test_huge_or_odd_ids_are_4xx(api):
    for pid in (HUGE, "9223372036854775808", "%D9%A3"):
        response = post(api, f"{API}/parties/{pid}/reveal", {"reason": "核实"})
        assert 400 <= response.status_code < 500, (pid, response.status_code)


def test_a_unit_written_in_other_digits_is_not_read_as_a_number(api, make_case):
    case = make_case()
    unit = Unit.objects.order_by("pk").first()
    other = "".join(chr(0x0660 + int(d)) for d in str(unit.pk))  # Arabic-Indic digits
    response = post(api, f"{API}/cases/{case.number}/actions/assign", {"unit": other})
    assert response.status_code in (400, 409)
    if response.status_code == 400:
        assert "unit" in response.json()["errors"]
    assert not case.assignments.filter(unit=unit).exists()
    response = post(api, f"{API}/cases/{case.number}/actions/assign", {"unit": "²"})
    assert response.status_code in (400, 409)


# -- Open311 --------------------------------------------------------------------------------
@pytest.fixture
def open311_post(users, first_grid):
    key = ApiToken.issue(name="FixMyStreet", user=users["clerk"])[1]
    client = Client(raise_request_exception=False)

    def send(**fields):
        data = {
            "api_key": key,
            "jurisdiction_id": "500103",
            "service_code": "request-urban-works",
            "lat": first_grid.centroid_lat,
            "long": first_grid.centroid_lon,
            "description": "路灯不亮",
        }
        data.update(fields)
        return client.post(f"{O311}/requests.json", data)

    return send


def open311_error(response, field, status=400):
    assert response.status_code == status, response.content[:300]
    descriptions = [e["description"] for e in response.json()]
    assert any(d.startswith(field) for d in descriptions), descriptions


@pytest.mark.parametrize(
    "name", ["description", "address_string", "first_name", "email", "idempotency_key"]
)
def test_open311_post_refuses_nul_naming_the_argument(open311_post, name):
    open311_error(open311_post(**{name: "x\x00y"}), name)
    assert not Case.objects.exists()


def test_open311_post_strips_control_characters(open311_post):
    assert open311_post(description="路灯\x1b不亮\x7f").status_code == 201
    assert Case.objects.get().text == "路灯不亮"


@pytest.mark.parametrize(
    "query, field",
    [
        (f"page={HUGE}", "page"),
        ("page=1000001", "page"),
        ("page=%C2%B3", "page"),
        ("page=%D9%A3", "page"),
        ("page_size=%D9%A3", "page_size"),
        ("page=" + "9" * 5000, "page"),
        ("service_request_id=%00", "service_request_id"),
        ("status=%00", "status"),
    ],
)
def test_open311_bad_query_arguments_are_400(demo_org, query, field):
    open311_error(Client().get(f"{O311}/requests.json?{query}"), field)


def test_open311_nul_in_an_id_is_400(demo_org):
    response = Client().get(f"{O311}/requests/2026%00.json")
    assert response.status_code == 400


# -- measures -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        "period=0001",
        "period=0001-01",
        "period=9999",
        "period=9999-12",
        "period=0001-W01",
        "period=0001-Q1",
        "period=0001-01-01..0001-01-05",
        "kind=year&day=0001-01-01",
        "period=%D9%A2%D9%A0%D9%A2%D9%A6",
        "period=%00",
    ],
)
def test_measures_refuse_periods_they_cannot_compute(client, users, query):
    client.force_login(users["leader"])
    response = client.get(f"/measures/?{query}")
    assert response.status_code == 400
    if "%00" not in query:
        assert "period" in response.context["error"] or "day" in response.context["error"]
