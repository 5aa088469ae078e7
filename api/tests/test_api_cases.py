"""The case API over HTTP: auth, intake, every bad input, conflicts, territory and a whole life."""

import json

import pytest
from django.db import transaction
from django.test import Client

from api.models import ApiToken
from api.schemas import ACTION_SCHEMAS, IntakeOut
from cases import services
from cases.choices import Status
from cases.models import Case, PersonalDataAccess
from cases.workflow import TRANSITIONS

pytestmark = pytest.mark.django_db

API = "/api/v1"
# The case engine's fixtures (users, first_grid, far_grid, make_case) come from conftest.py.


@pytest.fixture
def as_user(users):
    """A client whose requests carry a fresh token of the named demo login (English)."""

    def make(username: str) -> Client:
        _token, raw = ApiToken.issue(name=f"test-{username}", user=users[username])
        return Client(headers={"Authorization": f"Bearer {raw}", "Accept-Language": "en"})

    return make


def post(client: Client, url: str, body=None, **kw):
    return client.post(
        url, json.dumps(body if body is not None else {}), content_type="application/json", **kw
    )


def report(first_grid, **kw):
    body = {
        "title": "楼道里堆满杂物，消防通道被堵",
        "text": "三单元楼道堆放纸箱和旧家具",
        "case_type": "hazard",
        "category": "hazard-fire",
        "lon": first_grid.centroid_lon,
        "lat": first_grid.centroid_lat,
    }
    body.update(kw)
    return body


def act(client, number, action, **body):
    return post(client, f"{API}/cases/{number}/actions/{action}", body)


# -- authentication ----------------------------------------------------------------------------
def test_a_valid_token_lists_the_cases_of_its_users_territory(as_user, make_case):
    case = make_case()
    response = as_user("dispatcher").get(f"{API}/cases")
    assert response.status_code == 200
    assert case.number in [c["number"] for c in response.json()["items"]]


def test_a_missing_token_answers_401_with_the_error_shape(demo_org):
    response = Client().get(f"{API}/cases")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == "unauthenticated" and body["detail"] and body["errors"] == {}
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer pa_not-a-real-token", "Bearer ", "Basic abc", "pa_without-scheme"]
)
def test_a_bad_token_answers_401(demo_org, header):
    response = Client(headers={"Authorization": header}).get(f"{API}/cases")
    assert response.status_code == 401


def test_a_revoked_token_answers_401(users):
    token, raw = ApiToken.issue(name="hotline", user=users["dispatcher"])
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get(f"{API}/inbox").status_code == 200
    token.revoke()
    assert client.get(f"{API}/inbox").status_code == 401


def test_a_token_revoked_behind_the_models_back_holds_after_the_recheck(users, settings):
    """Another process (or raw SQL) revoked it: this process notices at its next look at the
    reference stamp, at most PINGAN_REFERENCE_RECHECK_SECONDS later."""
    from org.models import Generation

    settings.PINGAN_REFERENCE_RECHECK_SECONDS = 3600
    from org import reference

    token, raw = ApiToken.issue(name="hotline", user=users["dispatcher"])
    reference.clear()  # as if that transaction were over (a test's never commits)
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get(f"{API}/inbox").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(is_active=False)  # no signal
    assert client.get(f"{API}/inbox").status_code == 200  # this process's copy, for now
    Generation.objects.filter(name="reference").update(stamp="changed-elsewhere")
    assert client.get(f"{API}/inbox").status_code == 200  # not looked at the stamp yet
    settings.PINGAN_REFERENCE_RECHECK_SECONDS = 0  # the interval has passed
    assert client.get(f"{API}/inbox").status_code == 401


def test_a_token_of_a_deactivated_login_answers_401(users):
    _token, raw = ApiToken.issue(name="hotline", user=users["clerk"])
    users["clerk"].is_active = False
    users["clerk"].save(update_fields=["is_active"])
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get(f"{API}/inbox").status_code == 401


def test_a_logged_in_browser_reads_with_its_session(users, make_case):
    case = make_case()
    client = Client()
    client.force_login(users["dispatcher"])
    assert client.get(f"{API}/cases/{case.number}").json()["number"] == case.number


def test_a_session_write_needs_the_csrf_token(users, first_grid):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["clerk"])
    refused = post(client, f"{API}/cases", report(first_grid, channel="clerk"))
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    client.cookies.load({"csrftoken": "a" * 32})
    made = post(
        client,
        f"{API}/cases",
        report(first_grid, channel="clerk"),
        headers={"X-CSRFToken": "a" * 32},
    )
    assert made.status_code == 201


def test_a_bad_token_is_refused_even_beside_a_valid_session(users):
    client = Client(headers={"Authorization": "Bearer pa_wrong"})
    client.force_login(users["dispatcher"])
    assert client.get(f"{API}/cases").status_code == 401


def test_a_token_records_when_it_was_last_used(users):
    token, raw = ApiToken.issue(name="hotline", user=users["leader"])
    assert token.last_used_at is None
    Client(headers={"Authorization": f"Bearer {raw}"}).get(f"{API}/inbox")
    token.refresh_from_db()
    assert token.last_used_at is not None


# -- intake ------------------------------------------------------------------------------------
def test_intake_answers_201_with_the_case_its_public_code_and_the_triage(as_user, first_grid):
    response = post(
        as_user("clerk"),
        f"{API}/cases",
        report(
            first_grid,
            category=None,
            case_type="hazard",
            title="小区燃气管道漏气，闻到煤气味",
            text="请尽快处理",
        ),
    )
    assert response.status_code == 201
    body = response.json()
    IntakeOut.model_validate(body)  # the schema the OpenAPI document promises
    assert body["created"] is True and len(body["public_code"]) == 8
    case = body["case"]
    assert case["status"] == "received" and case["channel"] == "online"
    assert case["grid_code"] == first_grid.code and case["version"] == 1
    assert body["proposal"]["category"] == "hazard-gas" and "燃气" in body["proposal"]["reasons"]
    assert case["category"] == "hazard-gas" and case["owner_unit"]["code"]
    assert case["due_at"] and case["location"] == "located"
    # The 201 is built from what intake held: it must agree with the stored case.
    stored = as_user("clerk").get(f"{API}/cases/{case['number']}").json()
    for name in (
        "status",
        "grid_code",
        "area_code",
        "owner_unit",
        "due_at",
        "warn_at",
        "version",
        "received_at",
        "deadline_state",
        "escalation_level",
        "address",
        "text",
        "category_confidence",
        "parties",
    ):
        assert case[name] == stored[name], name
    assert stored["events"][0]["kind"] == "intake"
    assert "accept" in stored["allowed_actions"]


def test_a_retry_with_the_same_key_answers_200_with_the_same_case_and_no_code(as_user, first_grid):
    client = as_user("clerk")
    first = post(client, f"{API}/cases", report(first_grid, client_key="hotline-0001"))
    again = post(client, f"{API}/cases", report(first_grid, client_key="hotline-0001"))
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["case"]["number"] == first.json()["case"]["number"]
    assert again.json()["public_code"] is None and again.json()["created"] is False
    assert Case.objects.filter(client_key__endswith=":hotline-0001").count() == 1


def test_the_idempotency_key_header_works_like_the_client_key(as_user, first_grid):
    client = as_user("clerk")
    headers = {"Idempotency-Key": "9b1f7c1e-retry"}
    first = post(client, f"{API}/cases", report(first_grid), headers=headers)
    again = post(client, f"{API}/cases", report(first_grid), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert Case.objects.filter(client_key__endswith=":9b1f7c1e-retry").count() == 1
    clash = post(client, f"{API}/cases", report(first_grid, client_key="other"), headers=headers)
    assert clash.status_code == 400 and "client_key" in clash.json()["errors"]


def test_another_callers_key_of_the_same_spelling_never_reaches_the_case(as_user, far_grid):
    first = post(as_user("clerk"), f"{API}/cases", report(far_grid, client_key="k-far"))
    response = post(as_user("community"), f"{API}/cases", report(far_grid, client_key="k-far"))
    assert first.status_code == 201
    assert response.status_code == 404  # outside the community's territory: its own refusal
    assert first.json()["case"]["number"] not in response.content.decode()


def test_keys_are_scoped_to_their_caller(as_user, first_grid):
    """Hole 1: a stranger's key of the same spelling makes an independent case."""
    first = post(
        as_user("clerk"),
        f"{API}/cases",
        report(first_grid),
        headers={"Idempotency-Key": "hotline-20261124-0042"},
    )
    other = post(
        as_user("dispatcher"),
        f"{API}/cases",
        report(first_grid),
        headers={"Idempotency-Key": "hotline-20261124-0042"},
    )
    assert (first.status_code, other.status_code) == (201, 201)
    assert other.json()["created"] is True
    assert other.json()["case"]["number"] != first.json()["case"]["number"]


def test_the_same_key_with_another_body_answers_422_never_the_old_case(as_user, first_grid):
    client = as_user("clerk")
    headers = {"Idempotency-Key": "retry-77"}
    first = post(client, f"{API}/cases", report(first_grid), headers=headers)
    clash = post(client, f"{API}/cases", report(first_grid, title="另一件事"), headers=headers)
    assert first.status_code == 201 and clash.status_code == 422
    body = clash.json()
    assert body["code"] == "idempotency_key_reused" and "Idempotency-Key" in body["errors"]
    assert "different request" in body["detail"]
    assert first.json()["case"]["number"] not in clash.content.decode()
    by_field = post(client, f"{API}/cases", report(first_grid, title="又一件", client_key="f-1"))
    again = post(client, f"{API}/cases", report(first_grid, title="再一件", client_key="f-1"))
    assert by_field.status_code == 201 and again.status_code == 422
    assert "client_key" in again.json()["errors"]


def test_duplicates_are_offered_on_intake(as_user, first_grid):
    client = as_user("clerk")
    first = post(client, f"{API}/cases", report(first_grid)).json()["case"]["number"]
    body = post(client, f"{API}/cases", report(first_grid)).json()
    assert first in [d["number"] for d in body["duplicates"]]


LONG = "长" * 5001


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": None}, "title"),
        ({"title": ""}, "title"),
        ({"title": 123}, "title"),
        ({"title": "标" * 201}, "title"),
        ({"text": LONG}, "text"),
        ({"lon": "east"}, "lon"),
        ({"lon": 200}, "lon"),
        ({"lat": -91}, "lat"),
        ({"lat": None}, "lat"),  # a longitude without its latitude
        ({"category": "no-such-category"}, "category"),
        ({"category": None, "case_type": "no-such-type"}, "case_type"),
        ({"category": None, "case_type": None}, "case_type"),
        ({"category": "dispute-family"}, "category"),  # not of case type hazard
        ({"channel": "carrier-pigeon"}, "channel"),
        ({"priority": "asap"}, "priority"),
        ({"parties": [{"name": "张三", "phone": "call me"}]}, "parties[0].phone"),
        ({"parties": [{"name": "张三", "email": "not-an-address"}]}, "parties[0].email"),
        ({"parties": [{"role": "judge"}]}, "parties[0].role"),
        ({"parties": "张三"}, "parties"),
        ({"reporter_grid": "12"}, "reporter_grid"),
        ({"client_key": "k" * 81}, "client_key"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_intake_answers_400_naming_the_field_and_writes_nothing(
    as_user, first_grid, change, field
):
    body = report(first_grid)
    for key, value in change.items():
        if value is None:
            body.pop(key, None)  # left out
        else:
            body[key] = value
    before = Case.objects.count()
    response = post(as_user("clerk"), f"{API}/cases", body)
    assert response.status_code == 400, response.content
    data = response.json()
    assert data["code"] == "invalid_input"
    assert field in data["errors"], data
    assert field in data["detail"]
    assert Case.objects.count() == before


def test_a_body_that_is_not_json_answers_400(as_user):
    response = as_user("clerk").post(f"{API}/cases", "{not json", content_type="application/json")
    assert response.status_code == 400 and "body" in response.json()["errors"]


def test_intake_outside_the_callers_territory_answers_404(as_user, far_grid):
    before = Case.objects.count()
    response = post(as_user("gridworker"), f"{API}/cases", report(far_grid))
    assert response.status_code == 404 and Case.objects.count() == before


# -- reading -----------------------------------------------------------------------------------
def test_the_detail_masks_personal_data_and_reveal_shows_it_audited(as_user, first_grid):
    client = as_user("clerk")
    made = post(
        client,
        f"{API}/cases",
        report(
            first_grid,
            parties=[
                {
                    "name": "张三丰",
                    "phone": "13812345678",
                    "id_number": "500103199001011234",
                    "email": "zhang@example.com",
                }
            ],
        ),
    )
    number = made.json()["case"]["number"]
    detail = client.get(f"{API}/cases/{number}")
    text = detail.content.decode() + made.content.decode()
    for secret in ("张三丰", "13812345678", "500103199001011234", "zhang@"):
        assert secret not in text
    party = detail.json()["parties"][0]
    assert (party["name"], party["phone"]) == ("张*丰", "138****5678")
    assert party["id_number"] == "500103********1234"
    assert party["email"] == "z***@example.com"
    response = post(client, f"{API}/parties/{party['id']}/reveal", {"reason": "回访核实"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert response.json()["phone"] == "13812345678" and response.json()["name"] == "张三丰"
    assert response.json()["email"] == "zhang@example.com"
    assert PersonalDataAccess.objects.filter(party_id=party["id"]).count() == 1
    assert client.get(f"{API}/cases/{number}/events").json()[-1]["kind"] == "reveal"


def test_reveal_needs_a_reason(as_user, first_grid):
    client = as_user("clerk")
    made = post(client, f"{API}/cases", report(first_grid, parties=[{"name": "李四"}]))
    party = made.json()["case"]["parties"][0]["id"]
    response = post(client, f"{API}/parties/{party}/reveal", {"reason": ""})
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    assert not PersonalDataAccess.objects.exists()


def test_the_list_filters_pages_and_orders(as_user, make_case):
    fire = make_case(priority="urgent")
    make_case(category="hazard-gas")
    make_case(category="hazard-gas")
    client = as_user("dispatcher")
    urgent = client.get(f"{API}/cases", {"priority": "urgent"}).json()
    assert [c["number"] for c in urgent["items"]] == [fire.number]
    gas = client.get(f"{API}/cases", {"category": "hazard-gas", "limit": 1}).json()
    assert gas["count"] == 2 and len(gas["items"]) == 1 and gas["limit"] == 1
    second = client.get(f"{API}/cases", {"category": "hazard-gas", "limit": 1, "offset": 1})
    assert second.json()["items"][0]["number"] != gas["items"][0]["number"]
    oldest = client.get(f"{API}/cases", {"ordering": "received_at", "limit": 1}).json()
    assert oldest["items"][0]["number"] == fire.number
    both = client.get(f"{API}/cases?status=received&status=accepted").json()
    assert both["count"] == 3


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": 201}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"status": "lost"}, "status"),
        ({"received_from": "yesterday"}, "received_from"),
        ({"ordering": "title"}, "ordering"),
        ({"area": "5001"}, "area"),
    ],
)
def test_bad_list_parameters_answer_400_naming_the_field(as_user, query, field):
    response = as_user("dispatcher").get(f"{API}/cases", query)
    assert response.status_code == 400 and field in response.json()["errors"]


def test_allowed_actions_follow_the_callers_roles(as_user, make_case):
    case = make_case()
    dispatcher = as_user("dispatcher").get(f"{API}/cases/{case.number}").json()
    assert {"accept", "reject", "classify", "merge"} <= set(dispatcher["allowed_actions"])
    gridworker = as_user("gridworker").get(f"{API}/cases/{case.number}").json()
    assert "accept" not in gridworker["allowed_actions"]


def test_the_inbox_counts_what_each_role_does_next(as_user, make_case):
    make_case()
    make_case()
    boxes = {b["key"]: b for b in as_user("dispatcher").get(f"{API}/inbox").json()["boxes"]}
    assert boxes["to_dispatch"]["count"] == 2 and len(boxes["to_dispatch"]["items"]) == 2
    assert boxes["to_dispatch"]["label"] == "To dispatch"
    handler = {b["key"] for b in as_user("handler").get(f"{API}/inbox").json()["boxes"]}
    assert "to_handle" in handler and "to_dispatch" not in handler


def test_the_catalogue_lists_types_a_category_tree_and_choices(as_user):
    data = as_user("clerk").get(f"{API}/catalogue").json()
    assert "hazard" in [t["code"] for t in data["case_types"]]
    urban = next(c for c in data["categories"] if c["code"] == "request-urban")
    assert "request-urban-property" in [c["code"] for c in urban["children"]]
    assert "online" in [c["value"] for c in data["channels"]]
    assert set(data["actions"]) == set(services.ACTIONS)


def test_units_are_those_in_the_callers_territory(as_user, first_grid):
    community = as_user("community").get(f"{API}/units").json()
    assert [u["code"] for u in community["items"]] == [f"{first_grid.code[:12]}-committee"]
    offices = as_user("dispatcher").get(f"{API}/units", {"kind": "street_office"}).json()
    assert offices["count"] == 11 and all(u["kind"] == "street_office" for u in offices["items"])
    street = as_user("dispatcher").get(f"{API}/units", {"area": first_grid.code[:9]}).json()
    assert all(u["area_code"].startswith(first_grid.code[:9]) for u in street["items"])
    assert as_user("dispatcher").get(f"{API}/units", {"kind": "spaceport"}).status_code == 400


# -- actions -----------------------------------------------------------------------------------
def test_every_service_action_has_an_endpoint_and_a_schema_that_matches_the_workflow():
    assert set(ACTION_SCHEMAS) == set(services.ACTIONS)
    for action, schema in ACTION_SCHEMAS.items():
        fields = schema.model_fields
        if TRANSITIONS[action].needs_reason or action == "comment":
            assert fields["reason"].is_required(), action
        assert "version" in fields


def test_an_unknown_action_answers_404_with_a_message(as_user, make_case):
    case = make_case()
    response = act(as_user("dispatcher"), case.number, "teleport")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_action" and "teleport" in response.json()["detail"]
    assert "action" in response.json()["errors"]


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("reject", {}, "reason"),
        ("reject", {"reason": ""}, "reason"),
        ("reject", {"reason": "重复", "unit": "x"}, "unit"),
        ("accept", {"version": "one"}, "version"),
        ("classify", {}, "category"),
        ("classify", {"category": "no-such-category"}, "category"),
        ("classify", {"category": "dispute-family"}, "category"),
        ("supervise", {"reason": "尽快"}, "due_at"),
        ("supervise", {"reason": "尽快", "due_at": "tomorrow"}, "due_at"),
        ("supervise", {"reason": "尽快", "due_at": "2020-01-01T00:00:00+08:00"}, "due_at"),
        ("merge", {"reason": "同一问题", "into": "500103-2026-999999"}, "into"),
    ],
)
def test_wrong_action_parameters_answer_400_naming_the_field(
    as_user, make_case, action, body, field
):
    case = make_case()
    response = act(as_user("leader"), case.number, action, **body)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert Case.objects.get(pk=case.pk).version == case.version


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("assign", {"unit": "no-such-unit"}, "unit"),
        ("assign", {"unit": ["a"]}, "unit"),
        ("rate", {"rating": "great"}, "rating"),
        ("extend", {"reason": "需协调", "amount": "x"}, "amount"),
        ("extend", {"reason": "需协调", "amount": 0}, "amount"),
        ("resolve", {"reason": "已处理", "outcome": "maybe"}, "outcome"),
        ("contact_failed", {"reason": "无人接听", "method": "letter"}, "method"),
    ],
)
def test_wrong_parameters_of_later_actions_answer_400(
    as_user, make_case, users, action, body, field
):
    case = make_case()
    services.accept_case(case.pk, actor=users["dispatcher"])
    response = act(as_user("leader"), case.number, action, **body)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_an_action_not_allowed_in_the_state_answers_409_naming_the_rule(as_user, make_case):
    case = make_case()
    response = act(as_user("dispatcher"), case.number, "close")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "transition_not_allowed" and "status" in body["errors"]
    assert "close" in body["detail"] and "Received" in body["detail"]


def test_a_stale_version_answers_409_and_changes_nothing(as_user, make_case):
    case = make_case()
    client = as_user("dispatcher")
    assert act(client, case.number, "accept", version=case.version).status_code == 200
    response = act(as_user("leader"), case.number, "reject", version=case.version, reason="重复")
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert "reload" in response.json()["detail"] and "version" in response.json()["errors"]
    assert Case.objects.get(pk=case.pk).status == Status.ACCEPTED


def test_a_role_without_the_right_gets_403(as_user, make_case):
    case = make_case()
    response = act(as_user("gridworker"), case.number, "accept")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_a_whole_life_through_the_api(as_user, first_grid):
    clerk, dispatcher = as_user("clerk"), as_user("dispatcher")
    handler, gridworker = as_user("handler"), as_user("gridworker")
    made = post(
        clerk,
        f"{API}/cases",
        report(
            first_grid,
            category="hazard-storage",
            title="楼道堆放杂物堵塞消防通道",
            channel="hotline",
        ),
    )
    assert made.status_code == 201
    number = made.json()["case"]["number"]
    office = f"{first_grid.code[:9]}-office"
    steps = [
        (dispatcher, "accept", {}, "accepted"),
        (dispatcher, "assign", {"unit": office}, "assigned"),
        (handler, "start", {}, "in_progress"),
        (handler, "resolve", {"reason": "已清理楼道杂物", "outcome": "resolved"}, "resolved"),
        (gridworker, "verify", {"reason": "现场核查已清理"}, "resolved"),
        (
            clerk,
            "rate",
            {"rating": "satisfied", "comment": "处理及时", "method": "call"},
            "resolved",
        ),
        (dispatcher, "close", {}, "closed"),
    ]
    version = 1
    for client, action, body, status in steps:
        before = client.get(f"{API}/cases/{number}").json()
        assert action in before["allowed_actions"], (action, before["allowed_actions"])
        response = act(client, number, action, version=version, **body)
        assert response.status_code == 200, (action, response.content)
        assert response.json()["status"] == status
        version = response.json()["version"]
    case = dispatcher.get(f"{API}/cases/{number}").json()
    assert case["closed_at"] and case["rating"] == "satisfied"
    assert case["allowed_actions"] == ["reopen"]
    assert [e["kind"] for e in case["events"]] == [
        "intake",
        "accept",
        "assign",
        "start",
        "resolve",
        "verify",
        "rate",
        "close",
    ]
    assert case["assignments"][0]["unit"]["code"] == office
    assert case["feedback"][0]["method"] == "call"


def test_an_action_that_takes_the_case_out_of_sight_answers_without_its_data(
    as_user, make_case, far_grid, first_grid
):
    case = make_case(grid=far_grid, case_type="dispute", category="dispute-neighbour")
    dispatcher, community = as_user("dispatcher"), as_user("community")
    act(dispatcher, case.number, "accept")
    act(dispatcher, case.number, "assign", unit=f"{first_grid.code[:12]}-committee")
    assert community.get(f"{API}/cases/{case.number}").status_code == 200
    response = act(community, case.number, "return", reason="不属于本社区")
    assert response.status_code == 200
    assert response.json() == {
        "number": case.number,
        "status": "accepted",
        "version": response.json()["version"],
        "visible": False,
    }
    assert community.get(f"{API}/cases/{case.number}").status_code == 404


# -- territory: another territory sees nothing ---------------------------------------------------
VALID_BODIES = {
    "accept": {},
    "reject": {"reason": "r"},
    "classify": {"category": "hazard-gas"},
    "assign": {},
    "co_assign": {"unit": "500103-fire"},
    "start": {},
    "resolve": {"reason": "r"},
    "return": {"reason": "r"},
    "transfer": {"unit": "500103-fire", "reason": "r"},
    "escalate": {"reason": "r"},
    "supervise": {"reason": "r", "due_at": "2099-01-01T00:00:00Z"},
    "request_extension": {"reason": "r", "amount": 1},
    "extend": {"reason": "r", "amount": 1},
    "pause": {"reason": "r"},
    "resume": {},
    "merge": {"reason": "r", "into": "x"},
    "verify": {},
    "verify_failed": {"reason": "r"},
    "rate": {"rating": "satisfied"},
    "contact_failed": {"reason": "r"},
    "reopen": {"reason": "r"},
    "close": {},
    "comment": {"reason": "r"},
}

ENDPOINTS = [
    ("get", "/cases/{number}", None),
    ("get", "/cases/{number}/events", None),
    ("post", "/parties/{party}/reveal", {"reason": "回访"}),
] + [("post", f"/cases/{{number}}/actions/{a}", VALID_BODIES[a]) for a in ACTION_SCHEMAS]


@pytest.mark.parametrize(
    ("method", "path", "body"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _b in ENDPOINTS]
)
def test_a_user_of_another_territory_gets_404_on_every_case_endpoint(
    as_user, far_grid, method, path, body
):
    case = services.intake_case(
        title="噪音扰民",
        channel="hotline",
        case_type="request",
        lon=far_grid.centroid_lon,
        lat=far_grid.centroid_lat,
        parties=[{"name": "王五", "phone": "13900001111"}],
    ).case
    url = API + path.format(number=case.number, party=case.parties.get().pk)
    for who in ("community", "gridworker", "handler", "street"):
        client = as_user(who)
        response = client.get(url) if method == "get" else post(client, url, body)
        assert response.status_code == 404, (who, response.content)
        text = response.content.decode()
        assert case.title not in text and "13900001111" not in text
    assert Case.objects.get(pk=case.pk).version == case.version
    assert not PersonalDataAccess.objects.exists()


def test_the_list_leaves_out_cases_of_another_territory(as_user, make_case, far_grid):
    mine, theirs = make_case(), make_case(grid=far_grid)
    numbers = [c["number"] for c in as_user("community").get(f"{API}/cases").json()["items"]]
    assert mine.number in numbers and theirs.number not in numbers
    inbox = as_user("gridworker").get(f"{API}/inbox").json()
    assert theirs.number not in json.dumps(inbox)


# -- the document ------------------------------------------------------------------------------
def test_the_openapi_document_lists_every_endpoint(demo_org):
    response = Client().get(f"{API}/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["info"]["title"] == "Pingan API"
    paths = set(doc["paths"])
    expected = {
        "/api/v1/cases",
        "/api/v1/cases/{number}",
        "/api/v1/cases/{number}/events",
        "/api/v1/parties/{party_id}/reveal",
        "/api/v1/inbox",
        "/api/v1/catalogue",
        "/api/v1/units",
        "/api/v1/areas/{code}",
        "/api/v1/areas/{code}/children",
        "/api/v1/locate",
    }
    expected |= {f"/api/v1/cases/{{number}}/actions/{a}" for a in services.ACTIONS}
    assert expected <= paths
    schemes = doc["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    supervise = doc["paths"]["/api/v1/cases/{number}/actions/supervise"]["post"]
    assert "requestBody" in supervise and "400" in supervise["responses"]


def test_the_docs_page_loads(demo_org):
    assert Client().get(f"{API}/docs").status_code == 200


class Rollback(Exception):
    pass


def try_action(client, number, action):
    """Take the action inside a savepoint that is then rolled back: the case stays as it was."""
    try:
        with transaction.atomic():
            response = act(client, number, action, **VALID_BODIES[action])
            raise Rollback
    except Rollback:
        return response


@pytest.mark.parametrize("state", ["received", "in_progress", "resolved"])
def test_allowed_actions_are_exactly_those_the_services_let_the_caller_take(
    as_user, make_case, users, first_grid, state
):
    # given a case in the state, in the first grid, with the first street's office working it
    case = make_case()
    if state != "received":
        services.accept_case(case.pk, actor=users["dispatcher"])
        services.assign_case(
            case.pk, actor=users["dispatcher"], unit=f"{first_grid.code[:9]}-office"
        )
        services.start_case(case.pk, actor=users["handler"])
    if state == "resolved":
        services.resolve_case(case.pk, actor=users["handler"], reason="已处理")
    case.refresh_from_db()
    assert case.status == state
    for who in (
        "dispatcher",
        "leader",
        "clerk",
        "petition",
        "handler",
        "community",
        "gridworker",
        "crowd",
    ):
        client = as_user(who)
        # when the caller reads the case and tries every action of the state
        detail = client.get(f"{API}/cases/{case.number}")
        if detail.status_code == 404:
            continue
        listed = detail.json()["allowed_actions"]
        for action in TRANSITIONS:
            if case.status not in TRANSITIONS[action].sources:
                continue
            status = try_action(client, case.number, action).status_code
            # then what is listed goes through, and what is not is refused
            if action in listed:
                assert status in (200, 400), (who, action, status)
            else:
                assert status in (403, 409), (who, action, status)


# -- possible duplicates in the timeline stay inside the caller's territory ----------------------
def test_the_timeline_names_only_duplicates_in_the_callers_territory(
    as_user, make_case, far_grid, settings
):
    settings.PINGAN_DUPLICATE_RADIUS_M = 1e9  # the whole district counts as near
    theirs = make_case(grid=far_grid)
    near = make_case()
    mine = make_case()
    listed = [n for n, _s in mine.events.get(kind="intake").data["duplicates"]]
    assert theirs.number in listed and near.number in listed  # intake looks everywhere

    def duplicates(client, url):
        body = client.get(url).json()
        events = body if isinstance(body, list) else body["events"]
        intake = next(e for e in events if e["kind"] == "intake")
        return {n for n, _s in intake["data"]["duplicates"]}

    for url in (f"{API}/cases/{mine.number}/events", f"{API}/cases/{mine.number}"):
        assert duplicates(as_user("community"), url) == {near.number}
        assert duplicates(as_user("clerk"), url) == {near.number, theirs.number}
