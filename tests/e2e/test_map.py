"""In a real browser: log in, open the map, click into a street and see its communities."""

import pytest

from territory.choices import Level
from territory.models import Area

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_leader_logs_in_and_drills_from_the_district_to_a_street(live_server, page, demo_org):
    street = Area.objects.filter(level=Level.STREET, name="解放碑街道").get()
    communities = set(Area.objects.filter(parent=street).values_list("name", flat=True))

    page.goto(live_server.url + "/map/")
    page.fill("#id_username", "leader")
    page.fill("#id_password", "pingan-demo-2026")
    page.click("button[type=submit]")
    page.wait_for_selector("#children button[data-level=street]")
    assert page.locator("#children button").count() == 11
    assert page.locator(".leaflet-interactive").count() == 11

    page.click("#children button:has-text('解放碑街道')")
    page.wait_for_selector("#children button[data-level=community]")
    shown = set(page.locator("#children button").all_inner_texts())
    assert shown == communities
    assert page.locator("#area-title").inner_text() == "解放碑街道"

    # one more level: a community's grids, and a grid's details
    first = sorted(communities)[0]
    page.click(f"#children button:has-text('{first}')")
    page.wait_for_selector("#children button[data-level=grid]")
    page.locator("#children button").first.click()
    info = page.locator("#grid-info")
    info.wait_for(state="visible")
    assert "解放碑街道" in info.inner_text() and first in info.inner_text()


def test_an_area_name_with_markup_shows_as_text_in_the_map_tooltip(live_server, page, demo_org):
    """Names are entered by administrators: a tooltip shows them, never runs them."""
    street = Area.objects.filter(level=Level.STREET).order_by("code").first()
    street.name = '<img src=x id=injected onerror="window.pwned=1">街道'
    street.save(update_fields=["name"])
    page.goto(live_server.url + "/map/")
    page.fill("#id_username", "leader")
    page.fill("#id_password", "pingan-demo-2026")
    page.click("button[type=submit]")
    page.wait_for_selector("#children button[data-level=street]")
    page.locator(".leaflet-interactive").first.hover()
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for(state="visible")
    shown = [t for t in tooltip.all_inner_texts() if "街道" in t]
    assert shown and any("<img" in t for t in shown), tooltip.all_inner_texts()
    assert page.locator("#injected").count() == 0
    assert page.evaluate("window.pwned === undefined")
