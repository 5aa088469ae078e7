"""The board pages and their live stream, as a logged-in browser sees them."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django.urls import reverse

from crowd import services
from crowd.models import Alert

from .conftest import T0, at

NOW = T0 + timedelta(hours=1)


def fill_lane(start, end, per_s=20):
    return [{"sensor": "lane-gate", "ts": at(t), "in": per_s, "out": 0} for t in range(start, end)]


def test_the_board_shows_the_venue_its_zones_and_the_live_words(client, venue, operators):
    services.ingest_readings(readings=fill_lane(1, 61), now=NOW)
    client.force_login(operators["crowd"])
    response = client.get(reverse("crowd:board", kwargs={"venue": venue.code}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "测试广场" in html and 'id="board-state"' in html
    state = response.context["state"]
    assert [z["name"] for z in state["zones"]] == ["小巷", "广场"]
    # the lane's gate moved people out of the square into the lane
    assert {s["zone"] for s in state["states"]} == {venue.lane.pk, venue.square.pk}
    assert response.context["can_write"] is True


def test_the_wall_display_is_the_same_board_in_wall_mode(client, venue, operators):
    client.force_login(operators["crowd"])
    url = reverse("crowd:board", kwargs={"venue": venue.code})
    assert 'class="crowd-board wall"' in client.get(url + "?wall=1").content.decode()
    assert 'class="crowd-board"' in client.get(url).content.decode()


def test_with_one_venue_the_list_opens_its_board(client, venue, operators):
    client.force_login(operators["crowd"])
    response = client.get(reverse("crowd:board"))
    assert response.status_code == 302 and response.url.endswith(f"/crowd/{venue.code}/")
    listing = client.get(reverse("crowd:board") + "?all=1")
    assert "测试广场" in listing.content.decode()


def test_a_user_of_another_territory_gets_404_for_board_stream_and_actions(
    client, venue, operators
):
    services.ingest_readings(readings=fill_lane(1, 61), now=NOW)
    alert = Alert.objects.first()
    client.force_login(operators["far"])
    kw = {"venue": venue.code}
    assert client.get(reverse("crowd:board", kwargs=kw)).status_code == 404
    assert client.get(reverse("crowd:stream", kwargs=kw)).status_code == 404
    url = reverse("crowd:acknowledge", kwargs={**kw, "alert_id": alert.pk})
    assert client.post(url).status_code == 404
    assert client.get(reverse("crowd:board") + "?all=1").context["venues"] == []


def test_the_board_acknowledges_an_alert_by_form_or_by_script(client, venue, operators):
    services.ingest_readings(readings=fill_lane(1, 61), now=NOW)
    first, second = Alert.objects.filter(kind__in=["raise", "early_warning"]).order_by("pk")[:2]
    client.force_login(operators["crowd"])
    url = reverse("crowd:acknowledge", kwargs={"venue": venue.code, "alert_id": first.pk})
    assert client.post(url).status_code == 302
    url = reverse("crowd:acknowledge", kwargs={"venue": venue.code, "alert_id": second.pk})
    data = client.post(url, HTTP_ACCEPT="application/json").json()
    assert data["id"] == second.pk and data["acknowledged_at"]
    assert Alert.objects.filter(acknowledged_by=operators["crowd"]).count() == 2


def test_the_stream_starts_with_the_state_and_then_carries_a_new_alert(
    client, venue, operators, django_capture_on_commit_callbacks
):
    client.force_login(operators["crowd"])
    response = client.get(reverse("crowd:stream", kwargs={"venue": venue.code}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    frames = iter(response.streaming_content)
    first = next(frames).decode()
    assert first.startswith("retry: 3000\n\nevent: state\ndata: {")
    with django_capture_on_commit_callbacks(execute=True):
        services.ingest_readings(readings=fill_lane(1, 61), now=NOW)
    seen = []
    while not (seen and seen[-1].startswith("event: zones")):
        seen.append(next(frames).decode())  # zones come after the batch's alerts
    raised = [s for s in seen if s.startswith("event: alert\n") and '"kind":"raise"' in s]
    assert len(raised) == 1 and f'"zone":{venue.lane.pk}' in raised[0]
    assert any(s.startswith("event: zones") for s in seen)
    response.close()


def test_under_asgi_the_stream_is_asynchronous_and_starts_with_the_state(venue, operators):
    async def first_frame():
        client = AsyncClient()
        await client.aforce_login(operators["crowd"])
        response = await client.get(reverse("crowd:stream", kwargs={"venue": venue.code}))
        frames = response.streaming_content.__aiter__()
        first = await frames.__anext__()
        await frames.aclose()
        return response, first

    response, first = async_to_sync(first_frame)()
    assert response.is_async
    assert b"event: state" in first


@pytest.mark.parametrize("name", ["crowd:board", "crowd:stream"])
def test_the_board_and_stream_need_a_login(client, venue, name):
    response = client.get(reverse(name, kwargs={"venue": venue.code}))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_editing_a_zone_in_the_admin_makes_live_processes_rebuild(venue, rf):
    from django.contrib import admin

    from crowd.admin import ZoneAdmin
    from crowd.models import Zone

    services.ingest_readings(readings=fill_lane(1, 11), now=NOW)
    old = services.runtime_for(venue.pk)
    zone = venue.lane
    zone.alert = 3.2
    ZoneAdmin(Zone, admin.site).save_model(rf.post("/"), zone, None, True)
    assert services.runtime_for(venue.pk) is not old
    assert services.runtime_for(venue.pk).engine.config_for(str(zone.pk)).thresholds[2] == 3.2


def test_the_board_dispatches_and_steps_a_responder_and_says_when_nobody_is_free(
    client, venue, operators, street
):
    services.add_responder(
        code="u1",
        name="一号单元",
        kind="unit",
        lon=venue.lane.center_lon,
        lat=venue.lane.center_lat,
        area=street,
    )
    services.ingest_readings(readings=fill_lane(1, 61), now=NOW)
    alert = Alert.objects.filter(kind="raise").first()
    client.force_login(operators["crowd"])
    kw = {"venue": venue.code, "alert_id": alert.pk}
    sent = client.post(
        reverse("crowd:dispatch", kwargs=kw), {"count": 1}, HTTP_ACCEPT="application/json"
    )
    (d,) = sent.json()["dispatches"]
    step = reverse(
        "crowd:step", kwargs={"venue": venue.code, "dispatch_id": d["id"], "step": "acknowledge"}
    )
    assert client.post(step, HTTP_ACCEPT="application/json").json()["acknowledged_at"]
    busy = client.post(reverse("crowd:dispatch", kwargs=kw), HTTP_ACCEPT="application/json")
    assert busy.status_code == 409 and busy.json()["code"] == "conflict"
    assert client.post(reverse("crowd:dispatch", kwargs=kw)).status_code == 409
