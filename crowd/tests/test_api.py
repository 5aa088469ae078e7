"""The crowd API over HTTP: a sensor integration posts readings, an operator works alerts."""

from datetime import timedelta

import pytest
import time_machine

from api.models import ApiToken
from crowd import services
from crowd.models import Alert, Reading, Responder

from .conftest import T0, at

NOW = T0 + timedelta(hours=1)
BASE = "/api/v1/crowd"


@pytest.fixture
def sensors_token(operators):
    """An integration that acts as the district's crowd operator."""
    _token, raw = ApiToken.issue(name="gate counters", user=operators["crowd"])
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def post(client, url, body=None, **headers):
    return client.post(
        url, body if body is not None else {}, content_type="application/json", **headers
    )


def readings(*items):
    return {"readings": list(items)}


def gate(t, n_in, n_out=0, sensor="lane-gate"):
    return {"sensor": sensor, "ts": at(t), "in": n_in, "out": n_out}


@pytest.fixture(autouse=True)
def _in_english(client):
    # The API answers in the caller's language; these tests read English messages.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_a_sensor_integration_posts_a_batch_and_a_resend_is_harmless(client, venue, sensors_token):
    body = readings(*[gate(t, 3, sensor="sq-gate") for t in range(1, 21)])
    first = post(client, f"{BASE}/readings", body, **sensors_token)
    again = post(client, f"{BASE}/readings", body, **sensors_token)
    assert first.status_code == 200, first.content
    assert first.json() == {"accepted": 20, "duplicates": 0, "late": 0, "alerts": []}
    assert again.json()["duplicates"] == 20
    assert Reading.objects.count() == 20


def test_a_bad_reading_answers_400_naming_it_and_nothing_is_stored(client, venue, sensors_token):
    body = readings(gate(1, 3), {"sensor": "lane-gate", "ts": at(2), "in": "many", "out": 0})
    response = post(client, f"{BASE}/readings", body, **sensors_token)
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid_input"
    assert data["errors"] == {"readings[1].in": "must be a whole number ≥ 0"}
    assert "readings[1].in" in data["detail"]
    assert Reading.objects.count() == 0


def test_a_body_that_is_not_a_batch_is_refused_with_the_field(client, venue, sensors_token):
    response = post(client, f"{BASE}/readings", {"readings": "lots"}, **sensors_token)
    assert response.status_code == 400
    assert "readings" in response.json()["errors"]


def test_without_credentials_the_api_answers_401(client, venue):
    assert post(client, f"{BASE}/readings", readings(gate(1, 1))).status_code == 401


def test_an_operator_reads_the_state_acknowledges_and_dispatches(client, venue, operators, street):
    services.add_responder(
        code="u1",
        name="一号单元",
        kind="unit",
        lon=venue.lane.center_lon,
        lat=venue.lane.center_lat,
        area=street,
    )
    services.ingest_readings(readings=[gate(t, 20) for t in range(1, 61)], now=NOW)
    client.force_login(operators["crowd"])

    state = client.get(f"{BASE}/venues/{venue.code}/state").json()
    lane = next(s for s in state["states"] if s["zone"] == venue.lane.pk)
    assert lane["density"] == pytest.approx(2.4) and lane["level"] >= 1
    assert {z["code"] for z in state["zones"]} == {"square", "lane"}
    assert [r["code"] for r in state["responders"]] == ["u1"]
    alert_id = state["alerts"][0]["id"]

    ack = post(client, f"{BASE}/alerts/{alert_id}/acknowledge")
    assert ack.status_code == 200
    assert ack.json()["acknowledged_by"] == operators["crowd"].person.name
    sent = post(client, f"{BASE}/alerts/{alert_id}/dispatch", {"count": 1})
    assert sent.status_code == 200, sent.content
    (d,) = sent.json()["dispatches"]
    assert d["responder_name"] == "一号单元"
    assert post(client, f"{BASE}/dispatches/{d['id']}/on-scene").json()["on_scene_at"]
    assert Responder.objects.get(code="u1").status == "on_scene"
    assert post(client, f"{BASE}/dispatches/{d['id']}/clear").status_code == 200
    again = post(client, f"{BASE}/dispatches/{d['id']}/clear")
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert post(client, f"{BASE}/dispatches/{d['id']}/teleport").status_code == 400


def test_a_user_of_another_territory_gets_404_everywhere(client, venue, operators):
    services.ingest_readings(readings=[gate(t, 20) for t in range(1, 61)], now=NOW)
    alert = Alert.objects.first()
    client.force_login(operators["far"])
    assert client.get(f"{BASE}/venues/{venue.code}/state").status_code == 404
    assert client.get(f"{BASE}/venues/{venue.pk}/coverage").status_code == 404
    assert post(client, f"{BASE}/alerts/{alert.pk}/acknowledge").status_code == 404
    assert post(client, f"{BASE}/alerts/{alert.pk}/dispatch").status_code == 404
    assert client.get(f"{BASE}/venues").json() == []


def test_a_watcher_may_read_but_not_acknowledge(client, venue, operators):
    services.ingest_readings(readings=[gate(t, 20) for t in range(1, 61)], now=NOW)
    alert = Alert.objects.first()
    client.force_login(operators["watcher"])
    assert client.get(f"{BASE}/venues/{venue.code}/state").status_code == 200
    response = post(client, f"{BASE}/alerts/{alert.pk}/acknowledge")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_an_operator_takes_a_responder_off_duty_and_back(client, venue, operators, street):
    r = services.add_responder(
        code="u9",
        name="九号单元",
        kind="unit",
        lon=venue.center_lon,
        lat=venue.center_lat,
        area=street,
    )
    client.force_login(operators["crowd"])
    off = post(client, f"{BASE}/responders/{r.pk}/duty", {"on_duty": False})
    assert off.status_code == 200 and off.json()["status"] == "off_duty"
    assert post(client, f"{BASE}/responders/{r.pk}/duty", {"on_duty": True}).json()["status"] == (
        "available"
    )
    assert post(client, f"{BASE}/responders/{r.pk}/duty", {"on_duty": "maybe"}).status_code == 400
    client.force_login(operators["far"])
    assert post(client, f"{BASE}/responders/{r.pk}/duty", {"on_duty": False}).status_code == 404
