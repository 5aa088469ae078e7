"""Open311 GeoReport v2 at /open311/v2/: every endpoint in XML and JSON, checked against the
spec's field rules, its error format, and what the public may and may not see."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from django.test import Client
from django.utils import timezone

from api.models import ApiToken
from api.open311 import mapping
from cases import services
from cases.choices import Channel, Location, Priority, Status
from cases.models import Case, Party
from territory.choices import Level
from territory.models import Area

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
FORMATS = ["xml", "json"]
W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
LIST_TAGS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
    "service_request_updates": "request_update",
}
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
REQUEST_REQUIRED = [
    "service_request_id",
    "status",
    "service_name",
    "service_code",
    "requested_datetime",
    "updated_datetime",
]
SERVICE_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]
ATTRIBUTE_FIELDS = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
]
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
UPDATE_FIELDS = [
    "update_id",
    "service_request_id",
    "status",
    "updated_datetime",
    "description",
    "media_url",
]


# -- fixtures --------------------------------------------------------------------------------
@pytest.fixture
def api_key(users):
    """An integration acting as the district intake clerk."""
    return ApiToken.issue(name="FixMyStreet", user=users["clerk"])[1]


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)  # an integration has no CSRF token


@pytest.fixture
def post(client, api_key, first_grid):
    def send(fmt="xml", headers=None, **fields):
        data = {
            "api_key": api_key,
            "jurisdiction_id": "500103",
            "service_code": "request-urban-works",
            "lat": first_grid.centroid_lat,
            "long": first_grid.centroid_lon,
            "description": "路灯不亮\n小区门口的路灯坏了三天，晚上很黑",
        }
        data.update(fields)
        data = {k: v for k, v in data.items() if v is not None}
        return client.post(f"{BASE}/requests.{fmt}", data, headers=headers or {})

    return send


def walk_to_closed(case, users, reason="已清理楼道杂物，消防通道恢复畅通"):
    services.accept_case(case.pk, actor=users["dispatcher"])
    services.assign_case(case.pk, actor=users["dispatcher"], unit=f"{case.area_code[:9]}-office")
    services.start_case(case.pk, actor=users["handler"])
    services.resolve_case(case.pk, actor=users["handler"], reason=reason)
    services.verify_case(case.pk, actor=users["gridworker"])
    services.record_contact_failed(case.pk, actor=users["clerk"], reason="电话无人接听")
    return services.close_case(case.pk, actor=users["dispatcher"])


# -- a small GeoReport v2 validator ------------------------------------------------------------
def _from_xml(element: ET.Element):
    if element.tag in LIST_TAGS:
        assert all(child.tag == LIST_TAGS[element.tag] for child in element), element.tag
        return [_from_xml(child) for child in element]
    if len(element):
        return {child.tag: _from_xml(child) for child in element}
    return element.text


def document(response, fmt: str, root: str, status: int = 200):
    """The response body as Python, after checking status, content type, encoding and root."""
    assert response.status_code == status, response.content.decode()
    if fmt == "xml":
        assert response["Content-Type"] == "text/xml; charset=utf-8"
        assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
        element = ET.fromstring(response.content)
        assert element.tag == root
        if root in LIST_TAGS:
            return _from_xml(element)
        return {child.tag: _from_xml(child) for child in element}
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content.decode("utf-8"))


def is_true(value) -> bool:
    assert value in (True, False, "true", "false"), value
    return value in (True, "true")


def check_datetime(value, *, required: bool) -> datetime | None:
    if value in (None, ""):
        assert not required
        return None
    assert W3C.match(value), value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def check_float(value, fmt: str) -> float | None:
    if value in (None, ""):
        return None
    if fmt == "json":
        assert isinstance(value, float), value
    return float(value)


def check_requests(rows, fmt: str) -> list[dict]:
    assert isinstance(rows, list)
    for row in rows:
        assert list(row) == REQUEST_FIELDS
        for name in REQUEST_REQUIRED:
            assert row[name], name
        assert row["status"] in ("open", "closed")
        for name in ("requested_datetime", "updated_datetime"):
            check_datetime(row[name], required=True)
        check_datetime(row["expected_datetime"], required=False)
        lat, lon = check_float(row["lat"], fmt), check_float(row["long"], fmt)
        assert (lat is None) == (lon is None)
        if lat is not None:
            assert -90 <= lat <= 90 and -180 <= lon <= 180
    return rows


def check_errors(response, fmt: str, status: int) -> list[str]:
    rows = document(response, fmt, "errors", status)
    assert rows and all(set(row) == {"code", "description"} for row in rows)
    assert all(str(row["code"]) == str(status) and row["description"] for row in rows)
    return [row["description"] for row in rows]


def get_requests(client, fmt="xml", **query):
    return check_requests(
        document(client.get(f"{BASE}/requests.{fmt}", query), fmt, "service_requests"), fmt
    )


# -- discovery and services --------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_georeport_v2_endpoint_and_both_formats(client, fmt):
    doc = document(client.get(f"{BASE}/discovery.{fmt}"), fmt, "discovery")
    assert {"changeset", "contact", "key_service", "endpoints"} <= set(doc)
    [endpoint] = doc["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["type"] in ("production", "test")
    assert endpoint["formats"] == ["text/xml", "application/json"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_categories_of_public_case_types_only(client, fmt):
    rows = document(client.get(f"{BASE}/services.{fmt}"), fmt, "services")
    for row in rows:
        assert list(row) == SERVICE_FIELDS
        assert row["service_code"] and row["service_name"] and row["group"]
        assert is_true(row["metadata"]) and row["type"] == "realtime"
    codes = {row["service_code"] for row in rows}
    assert {"hazard-fire", "request-urban-works", "rental-noise", "request"} <= codes
    assert not {c for c in codes if c.startswith(("petition", "dispute", "crowd"))}
    fire = next(row for row in rows if row["service_code"] == "hazard-fire")
    assert fire["service_name"] == "消防隐患" and fire["group"] == "安全隐患"
    assert "灭火器" in fire["keywords"].split(", ")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_service_definition_offers_a_priority_list_and_a_place_detail(client, fmt):
    doc = document(client.get(f"{BASE}/services/hazard-gas.{fmt}"), fmt, "service_definition")
    assert doc["service_code"] == "hazard-gas"
    attributes = doc["attributes"]
    for attribute in attributes:
        assert set(ATTRIBUTE_FIELDS) <= set(attribute)
        assert attribute["datatype"] in DATATYPES and attribute["code"]
        assert int(attribute["order"]) >= 1
    assert len({int(a["order"]) for a in attributes}) == len(attributes)
    priority = next(a for a in attributes if a["code"] == "priority")
    assert priority["datatype"] == "singlevaluelist" and is_true(priority["variable"])
    assert [v["key"] for v in priority["values"]] == list(Priority.values)
    assert all(v["name"] for v in priority["values"])
    place = next(a for a in attributes if a["code"] == "place_detail")
    assert place["datatype"] == "string" and not is_true(place["required"])
    notice = next(a for a in attributes if a["code"] == "emergency_notice")
    assert not is_true(notice["variable"])  # shown to the user, not asked


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_or_sensitive_service_has_no_definition(client, fmt):
    for code in ("no-such-thing", "petition-land", "dispute-neighbour"):
        [description] = check_errors(client.get(f"{BASE}/services/{code}.{fmt}"), fmt, 404)
        assert description.startswith("service_code:")


# -- GET requests ------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_requests_show_the_public_view_of_a_case(client, make_case, first_grid, fmt):
    case = make_case(address="解放碑步行街88号")
    [row] = get_requests(client, fmt, service_request_id=case.number)
    assert row["service_request_id"] == case.number
    assert (row["status"], row["service_code"], row["service_name"]) == (
        "open",
        "hazard-fire",
        "消防隐患",
    )
    assert row["description"] == "楼道里堆满杂物，消防通道被堵\n三单元楼道堆放纸箱和旧家具"
    assert row["agency_responsible"] == case.owner_unit.name
    assert row["address"] == "解放碑步行街88号" and row["address_id"] == first_grid.code
    assert float(row["lat"]) == pytest.approx(first_grid.centroid_lat)
    assert float(row["long"]) == pytest.approx(first_grid.centroid_lon)
    assert check_datetime(row["requested_datetime"], required=True) == case.received_at.replace(
        microsecond=0
    )
    assert row["requested_datetime"].endswith("+08:00")


@pytest.mark.parametrize("fmt", FORMATS)
def test_expected_datetime_is_our_deadline(client, make_case, fmt):
    case = make_case()
    [row] = get_requests(client, fmt, service_request_id=case.number)
    assert check_datetime(row["expected_datetime"], required=False) == case.due_at.replace(
        microsecond=0
    )
    assert row["service_notice"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_closed_case_is_closed_with_its_resolution_as_status_notes(client, make_case, users, fmt):
    case = walk_to_closed(make_case(), users)
    [row] = get_requests(client, fmt, service_request_id=case.number)
    assert row["status"] == "closed"
    assert row["status_notes"] == "已清理楼道杂物，消防通道恢复畅通"
    assert check_datetime(row["updated_datetime"], required=True) == case.closed_at.replace(
        microsecond=0
    )


def test_our_states_map_to_open_and_closed():
    assert {s: mapping.open311_status(s) for s in Status.values} == {
        "received": "open",
        "accepted": "open",
        "assigned": "open",
        "in_progress": "open",
        "resolved": "open",
        "closed": "closed",
        "rejected": "closed",
        "merged": "closed",
    }


def test_a_rejected_case_is_closed_and_says_why(client, make_case, users):
    case = make_case()
    services.reject_case(case.pk, actor=users["dispatcher"], reason="不属于本区管辖范围")
    [row] = get_requests(client, service_request_id=case.number)
    assert (row["status"], row["status_notes"]) == ("closed", "不属于本区管辖范围")


def test_a_merged_case_is_closed_and_points_to_the_case_it_joined(client, make_case, users):
    target, duplicate = make_case(), make_case(title="消防通道又被堵了")
    services.merge_case(
        duplicate.pk, actor=users["dispatcher"], into=target.number, reason="同一处楼道，重复上报"
    )
    [row] = get_requests(client, service_request_id=duplicate.number)
    assert row["status"] == "closed" and target.number in row["status_notes"]
    assert "重复上报" not in row["status_notes"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_petitions_and_disputes_never_appear(client, make_case, first_grid, fmt):
    petition = make_case(title="征地补偿款未到位", case_type="petition", category="petition-land")
    dispute = make_case(title="楼上漏水", case_type="dispute", category="dispute-neighbour")
    hazard = make_case()
    numbers = [petition.number, dispute.number, hazard.number]
    listed = {r["service_request_id"] for r in get_requests(client, fmt)}
    assert hazard.number in listed and not listed & {petition.number, dispute.number}
    asked = get_requests(client, fmt, service_request_id=",".join(numbers))
    assert [r["service_request_id"] for r in asked] == [hazard.number]
    for case in (petition, dispute):
        check_errors(client.get(f"{BASE}/requests/{case.number}.{fmt}"), fmt, 404)


def test_personal_data_is_never_published(client, make_case):
    case = make_case(
        text="我叫王小明，电话13812341234，身份证500103199001011234",
        parties=[{"name": "王小明", "phone": "13812341234"}],
    )
    for url in (
        f"{BASE}/requests.json",
        f"{BASE}/requests/{case.number}.xml",
        f"{BASE}/servicerequestupdates.json",
    ):
        body = client.get(url).content.decode()
        assert "13812341234" not in body and "500103199001011234" not in body
    [row] = get_requests(client, "json", service_request_id=case.number)
    assert "138****1234" in row["description"]
    assert "500103********1234" in row["description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request_by_its_id(client, make_case, fmt):
    case = make_case()
    rows = check_requests(
        document(client.get(f"{BASE}/requests/{case.number}.{fmt}"), fmt, "service_requests"), fmt
    )
    assert [r["service_request_id"] for r in rows] == [case.number]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_request_id_is_404(client, fmt):
    [description] = check_errors(client.get(f"{BASE}/requests/500103-2026-999999.{fmt}"), fmt, 404)
    assert description.startswith("service_request_id:")


def test_a_case_of_another_jurisdiction_is_404(client, make_case, demo_district):
    case = make_case()
    other = Area.objects.create(
        code="500104",
        name="大渡口区",
        level=Level.DISTRICT,
        geometry=demo_district.geometry,
        centroid_lon=106.48,
        centroid_lat=29.48,
        area_m2=1.0,
        min_lon=106.4,
        min_lat=29.4,
        max_lon=106.5,
        max_lat=29.5,
    )
    response = client.get(f"{BASE}/requests/{case.number}.json", {"jurisdiction_id": other.code})
    check_errors(response, "json", 404)
    assert case.title not in response.content.decode()
    listed = get_requests(
        client, "json", jurisdiction_id=other.code, service_request_id=case.number
    )
    assert listed == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_jurisdiction_is_404(client, fmt):
    for url in ("services", "requests", "services/hazard-fire", "servicerequestupdates"):
        [description] = check_errors(
            client.get(f"{BASE}/{url}.{fmt}", {"jurisdiction_id": "sfgov.org"}), fmt, 404
        )
        assert description.startswith("jurisdiction_id:")


def test_requests_filter_by_service_code_and_status(client, make_case, users):
    fire, road = make_case(), make_case(title="井盖松动", category="hazard-road")
    closed = walk_to_closed(make_case(category="hazard-storage"), users)
    codes = {r["service_request_id"] for r in get_requests(client, service_code="hazard-fire")}
    assert fire.number in codes and road.number not in codes
    both = {
        r["service_request_id"]
        for r in get_requests(client, service_code="hazard-fire,hazard-road")
    }
    assert {fire.number, road.number} <= both
    open_ = {r["service_request_id"] for r in get_requests(client, status="open")}
    assert fire.number in open_ and closed.number not in open_
    done = get_requests(client, status="closed")
    assert [r["service_request_id"] for r in done] == [closed.number]


def test_requests_default_to_the_last_90_days_and_take_a_range(client, make_case):
    now = timezone.now()
    old = make_case(received_at=now - timedelta(days=120))
    new = make_case()
    listed = {r["service_request_id"] for r in get_requests(client)}
    assert new.number in listed and old.number not in listed
    start = (now - timedelta(days=130)).isoformat(timespec="seconds")
    end = (now - timedelta(days=110)).isoformat(timespec="seconds")
    ranged = get_requests(client, start_date=start, end_date=end)
    assert [r["service_request_id"] for r in ranged] == [old.number]
    utc = get_requests(client, start_date=(now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert [r["service_request_id"] for r in utc] == [new.number]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ({"start_date": "2026-01-01"}, "start_date"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-01-01T00:00:00"}, "end_date"),
        ({"start_date": "2026-02-30T00:00:00Z"}, "start_date"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "end_date"),
        ({"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "end_date"),
        ({"status": "pending"}, "status"),
        ({"service_code": "petition-land"}, "service_code"),
        ({"page": "0"}, "page"),
        ({"page_size": "many"}, "page_size"),
        ({"page_size": "5000"}, "page_size"),
        ({"service_request_id": ",".join(str(i) for i in range(1001))}, "service_request_id"),
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_query_arguments_are_400_naming_the_argument(client, query, name, fmt):
    [description] = check_errors(client.get(f"{BASE}/requests.{fmt}", query), fmt, 400)
    assert description.startswith(f"{name}:")


def test_page_and_page_size_walk_the_list_newest_first(client, make_case):
    cases = [make_case(title=f"楼道杂物第{i}处") for i in range(5)]
    newest_first = [c.number for c in reversed(cases)]
    pages = [
        [r["service_request_id"] for r in get_requests(client, page=p, page_size=2)]
        for p in (1, 2, 3, 4)
    ]
    assert pages == [newest_first[:2], newest_first[2:4], newest_first[4:], []]


def test_updated_after_finds_old_requests_changed_lately(client, make_case, users):
    old = make_case(received_at=timezone.now() - timedelta(days=200))
    since = timezone.now()
    assert old.number not in {r["service_request_id"] for r in get_requests(client)}
    services.accept_case(old.pk, actor=users["dispatcher"])
    found = get_requests(client, updated_after=since.isoformat())
    assert [r["service_request_id"] for r in found] == [old.number]


# -- POST requests -----------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_posting_a_request_runs_intake_and_answers_with_our_case_number(post, first_grid, fmt):
    response = post(
        fmt,
        first_name="小明",
        last_name="王",
        phone="(138) 1234-1234",
        email="wang@example.com",
        device_id="tt222111",
        account_id="42",
        **{"attribute[priority]": "high", "attribute[place_detail]": "3单元门口"},
        address_string="解放碑步行街88号",
    )
    [row] = document(response, fmt, "service_requests", 201)
    assert set(row) == {"service_request_id", "service_notice", "account_id"}
    assert row["account_id"] is None and row["service_notice"]
    case = Case.objects.get(number=row["service_request_id"])
    assert case.channel == Channel.OPEN311 and case.category.code == "request-urban-works"
    assert case.location == Location.LOCATED and case.grid_code == first_grid.code
    assert case.priority == "high" and case.address == "解放碑步行街88号 3单元门口"
    assert case.title == "路灯不亮" and case.text.startswith("路灯不亮\n小区门口")
    assert case.owner_unit is not None and case.due_at is not None
    assert case.created_by.username == "clerk"
    party = Party.objects.get(case=case)
    assert (party.role, party.name, party.phone) == ("reporter", "王小明", "138 1234-1234")
    assert party.email == "wang@example.com" and party.masked_email == "w***@example.com"


def test_a_request_without_a_point_is_located_by_its_grid_as_address_id(post, first_grid):
    response = post("json", lat=None, long=None, address_id=first_grid.code)
    [row] = document(response, "json", "service_requests", 201)
    case = Case.objects.get(number=row["service_request_id"])
    assert case.grid_code == first_grid.code and case.location == Location.REPORTER_GRID


def test_an_address_alone_is_accepted_and_goes_to_the_district_center(post):
    response = post("json", lat=None, long=None, address_string="较场口十八梯")
    [row] = document(response, "json", "service_requests", 201)
    case = Case.objects.get(number=row["service_request_id"])
    assert case.location == Location.NO_POINT and case.area_code == "500103"


def test_a_case_type_service_lets_triage_pick_the_category(post):
    response = post("json", service_code="hazard", description="小区里的消防通道被电动车堵住了")
    [row] = document(response, "json", "service_requests", 201)
    case = Case.objects.get(number=row["service_request_id"])
    assert case.case_type.code == "hazard"


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_retried_post_with_the_same_idempotency_key_does_not_duplicate(post, fmt):
    first = post(fmt, headers={"Idempotency-Key": "fms-1001"})
    again = post(fmt, headers={"Idempotency-Key": "fms-1001"})
    [created] = document(first, fmt, "service_requests", 201)
    [replayed] = document(again, fmt, "service_requests", 200)
    assert created["service_request_id"] == replayed["service_request_id"]
    assert Case.objects.filter(channel=Channel.OPEN311).count() == 1
    by_param = post(fmt, idempotency_key="fms-1001")
    assert (
        document(by_param, fmt, "service_requests", 200)[0]["service_request_id"]
        == created["service_request_id"]
    )


def test_idempotency_keys_of_two_integrations_never_meet(post, users):
    other_key = ApiToken.issue(name="another app", user=users["dispatcher"])[1]
    one = document(post("json", headers={"Idempotency-Key": "1"}), "json", "service_requests", 201)
    two = document(
        post("json", api_key=other_key, headers={"Idempotency-Key": "1"}),
        "json",
        "service_requests",
        201,
    )
    assert one[0]["service_request_id"] != two[0]["service_request_id"]


def test_fixmystreets_report_id_serves_as_the_idempotency_key(post):
    first = post("json", **{"attribute[fixmystreet_id]": "1001"})
    again = post("json", **{"attribute[fixmystreet_id]": "1001"})
    assert document(first, "json", "service_requests", 201) == document(
        again, "json", "service_requests", 200
    )
    assert Case.objects.count() == 1


def test_fixmystreets_extended_description_gives_the_title(post):
    text = "title:  路灯不亮\n\ndetail: 小区门口的路灯坏了\n\nSubmitted via FixMyStreet"
    [row] = document(post("json", description=text), "json", "service_requests", 201)
    case = Case.objects.get(number=row["service_request_id"])
    assert case.title == "路灯不亮" and case.text == text


def test_api_key_and_jurisdiction_may_come_in_the_query_string(client, api_key, first_grid):
    response = client.post(
        f"{BASE}/requests.json?api_key={api_key}&jurisdiction_id=500103",
        {
            "service_code": "hazard-road",
            "lat": first_grid.centroid_lat,
            "long": first_grid.centroid_lon,
        },
    )
    document(response, "json", "service_requests", 201)


def test_media_url_is_kept_in_the_first_event_and_published(post, client):
    url = "https://example.org/photos/lamp.jpg"
    [row] = document(post("json", media_url=url), "json", "service_requests", 201)
    case = Case.objects.get(number=row["service_request_id"])
    assert case.events.get(kind="intake").data["media_url"] == url
    [published] = get_requests(client, "json", service_request_id=case.number)
    assert published["media_url"] == url


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_missing_or_invalid_api_key_is_403(post, fmt):
    for key in (None, "", "pa_not-a-key"):
        [description] = check_errors(post(fmt, api_key=key), fmt, 403)
        assert description.startswith("api_key:")
    assert not Case.objects.exists()


def test_a_revoked_api_key_is_403(post, api_key):
    ApiToken.objects.update(is_active=False)
    check_errors(post("json"), "json", 403)


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"service_code": None}, "service_code"),
        ({"service_code": "no-such-service"}, "service_code"),
        ({"service_code": "petition-land"}, "service_code"),
        ({"service_code": "dispute-neighbour"}, "service_code"),
        ({"lat": None, "long": None}, "location"),
        ({"long": None}, "long"),
        ({"lat": "north"}, "lat"),
        ({"lat": "95"}, "lat"),
        ({"address_id": "500103999999999", "lat": None, "long": None}, "address_id"),
        ({"description": "长" * 4001}, "description"),
        ({"phone": "call me maybe"}, "phone"),
        ({"email": "wang at example"}, "email"),
        ({"first_name": "名" * 30, "last_name": "姓" * 30}, "first_name"),
        ({"media_url": "javascript:alert(1)"}, "media_url"),
        ({"attribute[priority]": "whenever"}, "attribute[priority]"),
        ({"attribute[place_detail]": "楼" * 101}, "attribute[place_detail]"),
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_post_arguments_are_400_naming_the_argument_and_write_nothing(post, fields, name, fmt):
    descriptions = check_errors(post(fmt, **fields), fmt, 400)
    assert any(d.startswith(f"{name}:") for d in descriptions), descriptions
    assert not Case.objects.exists()


def test_every_problem_of_a_post_is_reported_at_once(post):
    descriptions = check_errors(
        post("json", service_code="nope", lat=None, long=None, phone="?"), "json", 400
    )
    assert [d.split(":")[0] for d in descriptions] == ["service_code", "location", "phone"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_jurisdiction_in_a_post_is_404(post, fmt):
    [description] = check_errors(post(fmt, jurisdiction_id="sfgov.org"), fmt, 404)
    assert description.startswith("jurisdiction_id:")
    assert not Case.objects.exists()


def test_a_point_in_a_grid_outside_the_integrations_territory_is_refused(client, users, first_grid):
    street_key = ApiToken.issue(name="street app", user=users["handler"])[1]
    far = (
        Area.objects.filter(level=Level.GRID)
        .exclude(code__startswith=first_grid.code[:9])
        .order_by("-code")
        .first()
    )
    response = client.post(
        f"{BASE}/requests.json",
        {
            "api_key": street_key,
            "service_code": "hazard-road",
            "lat": far.centroid_lat,
            "long": far.centroid_lon,
        },
    )
    [description] = check_errors(response, "json", 403)
    assert description.startswith("api_key:")
    assert not Case.objects.exists()


# -- updates, tokens, errors -------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_request_updates_list_the_public_steps_of_each_request(client, make_case, users, fmt):
    case = walk_to_closed(make_case(), users)
    make_case(title="征地补偿", case_type="petition", category="petition-land")
    rows = document(
        client.get(f"{BASE}/servicerequestupdates.{fmt}"), fmt, "service_request_updates"
    )
    for row in rows:
        assert list(row) == UPDATE_FIELDS
        assert row["status"] in ("open", "closed") and row["update_id"]
        check_datetime(row["updated_datetime"], required=True)
    mine = [r for r in rows if r["service_request_id"] == case.number]
    assert [r["status"] for r in mine] == ["open"] * 5 + ["closed"]
    assert mine[4]["description"] == "已清理楼道杂物，消防通道恢复畅通"
    assert {r["service_request_id"] for r in rows} == {case.number}
    assert "电话无人接听" not in json.dumps(rows, ensure_ascii=False)  # internal steps stay in


@pytest.mark.parametrize("fmt", FORMATS)
def test_tokens_are_not_needed_because_every_service_is_realtime(client, fmt):
    [description] = check_errors(client.get(f"{BASE}/tokens/123.{fmt}"), fmt, 404)
    assert description.startswith("token:")


def test_an_unknown_format_or_resource_answers_in_the_error_format(client):
    [description] = check_errors(client.get(f"{BASE}/services.html"), "xml", 400)
    assert description.startswith("format:")
    check_errors(client.get(f"{BASE}/nothing/here"), "xml", 404)


def test_text_xml_cannot_carry_is_left_out_of_the_xml(client, make_case):
    case = make_case(text="井盖\x07松动\x1b了")
    [row] = get_requests(client, "xml", service_request_id=case.number)
    assert row["description"].endswith("井盖松动了")


def test_a_method_the_resource_does_not_take_is_405(client):
    response = client.delete(f"{BASE}/requests.json")
    check_errors(response, "json", 405)
    assert response["Allow"] == "GET, POST, HEAD"
