"""In a real browser, a whole life of a case: a resident reports it on the public page, the
dispatcher accepts and assigns it, the street handler starts and resolves it, the grid worker
verifies it, the resident follows it with number + code and rates it, the dispatcher closes it.
"""

import pytest
from django.utils import translation

from cases.catalogue import ensure_catalogue
from cases.models import Case
from territory.choices import Level
from territory.models import Area

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pingan-demo-2026"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def person(browser):
    """A fresh phone-sized browser (its own cookies) for each person in the story."""
    contexts = []

    def new_page():
        context = browser.new_context(viewport=PHONE)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


@pytest.fixture
def catalogue(demo_org):
    ensure_catalogue()  # a transactional test before this one may have flushed it


def log_in(page, base: str, username: str, next_path: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{next_path}")


def act(page, action: str, **fields: str) -> None:
    """Take one action on the case page and wait for its event in the timeline."""
    form = page.locator(f"form[data-action={action}]")
    summary = form.locator("summary")
    if summary.count():
        summary.click()
    for name, value in fields.items():
        form.locator(f"[name='{action}-{name}']").fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_selector(f"#timeline [data-kind={action}]")


def click_map_at(page, lon: float, lat: float) -> None:
    """Zoom the picker onto a place and click it, as a resident taps their street."""
    page.locator("#picker-map").scroll_into_view_if_needed()
    x, y = page.evaluate(
        """([lat, lon]) => {
            const map = window.pinganPicker;
            map.setView([lat, lon], 18, { animate: false });
            const p = map.latLngToContainerPoint([lat, lon]);
            const box = document.getElementById("picker-map").getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""",
        [lat, lon],
    )
    page.mouse.click(x, y)


def test_a_whole_life_from_a_residents_report_to_a_rated_close(live_server, person, catalogue):
    base = live_server.url
    grid = Area.objects.filter(level=Level.GRID).order_by("code").first()

    # A resident reports from their phone and keeps the number and the code.
    resident = person()
    resident.goto(f"{base}/report/")
    resident.select_option("#id_category", "hazard-storage")
    resident.fill("#id_title", "楼道堆放杂物堵塞消防通道")
    resident.fill("#id_text", "三单元一楼纸箱堆到天花板，住改仓")
    click_map_at(resident, grid.centroid_lon, grid.centroid_lat)
    assert resident.input_value("#id_lon") and resident.input_value("#id_lat")
    resident.fill("#id_phone", "13812341234")
    resident.click("form.case-form button[type=submit]")
    number = resident.locator("#case-number").inner_text().strip()
    code = resident.locator("#case-code").inner_text().strip()
    case = Case.objects.get(number=number)
    assert case.grid_code == grid.code and case.owner_unit.code == f"{grid.code[:9]}-office"
    case_path = f"/cases/{number}/"

    # The dispatcher accepts it and assigns it to the street office it was routed to.
    dispatcher = person()
    log_in(dispatcher, base, "dispatcher", case_path)
    assert "138****1234" in dispatcher.content() and "13812341234" not in dispatcher.content()
    act(dispatcher, "accept")
    act(dispatcher, "assign")

    # The street handler starts the work and resolves it.
    handler = person()
    log_in(handler, base, "handler", "/cases/inbox/")
    handler.click(f"#box-to_handle a:has-text('{number}')")
    handler.wait_for_url(f"**{case_path}")
    act(handler, "start")
    act(handler, "resolve", reason="已联系住户清理楼道杂物，消防通道畅通")

    # The grid worker checks the result on site.
    gridworker = person()
    log_in(gridworker, base, "gridworker", case_path)
    act(gridworker, "verify", reason="现场查看已清理")

    # The resident follows the case with number and code, and is satisfied.
    resident.goto(f"{base}/report/track/")
    resident.fill("#id_number", number)
    resident.fill("#id_code", code)
    resident.click("form.track-form button[type=submit]")
    resident.wait_for_selector("#progress")
    assert "已联系住户" not in resident.content()  # staff notes stay inside
    resident.check("input[name=rating][value=satisfied]")
    resident.fill("#id_comment", "处理很及时")
    resident.click("form.rate-form button[type=submit]")
    resident.wait_for_selector("p.success")

    # The dispatcher closes it; the timeline tells the whole story.
    dispatcher.reload()
    act(dispatcher, "close")
    kinds = dispatcher.locator("#timeline [data-kind]").evaluate_all(
        "nodes => nodes.map(n => n.dataset.kind)"
    )
    assert kinds == ["intake", "accept", "assign", "start", "resolve", "verify", "rate", "close"]
    case.refresh_from_db()
    assert case.status == "closed" and case.rating == "satisfied"
    with translation.override("zh-hans"):
        assert dispatcher.locator("#case-status").inner_text() == case.get_status_display()
