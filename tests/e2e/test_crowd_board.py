"""In a real browser: a crowd operator watches a lane turn to alert during a short replay
of New Year's Eve, and acknowledges the alert on the live board."""

import pytest

from crowd.models import Alert

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALERT_COLOR = "#d32f2f"


def test_an_operator_sees_the_lane_turn_to_alert_and_acknowledges_it(
    live_server, page, demo_org, settings
):
    from crowd import replay, services
    from crowd.demo import ensure_demo_responders, ensure_nye_venue

    # No background ticker: this test's thread is the only writer while the board watches.
    settings.PINGAN_CROWD_TICK_SECONDS = 0
    settings.REDIS_URL = ""
    services.drop_all_runtimes()
    venue = ensure_nye_venue()
    ensure_demo_responders()
    lane = venue.zones.get(code="bayi-lane")

    page.goto(live_server.url + "/crowd/nye/")
    page.fill("#id_username", "crowd")
    page.fill("#id_password", "pingan-demo-2026")
    page.click("button[type=submit]")
    page.wait_for_selector("#conn[data-state=live]")
    assert page.locator("#zones tbody tr").count() == 8

    # 23:28 → 23:36 of the evening, each batch followed by a moment for the browser.
    replay.run(
        start="23:28",
        end="23:36",
        speed=0,
        say=lambda _line: None,
        on_tick=lambda _h: page.wait_for_timeout(40),
    )

    page.locator(f"#zones tr[data-zone='{lane.pk}'][data-level='3']").wait_for()
    alarm = page.locator("#alerts li[data-kind=escalate][data-level='3']")
    alarm.wait_for()
    assert "八一路好吃街" in alarm.inner_text()
    colors = page.eval_on_selector_all(
        "path.leaflet-interactive", "paths => paths.map(p => p.getAttribute('stroke'))"
    )
    assert ALERT_COLOR in colors

    alarm.locator("button.ack").click()
    alarm.locator(".acked").wait_for()
    alert = Alert.objects.get(pk=int(alarm.get_attribute("data-alert")))
    assert alert.acknowledged_by.username == "crowd"
    assert alert.zone_id == lane.pk and alert.level == 3
