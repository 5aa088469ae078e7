"""In a real browser: a leader clicks a figure (card, chart, scorecard, hotspot) and lands on
exactly the cases it counts."""

import os
from datetime import datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from territory.choices import Level
from territory.models import Area

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
MARCH = "2025-03"


@pytest.fixture
def page(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context.new_page()
        browser.close()


@pytest.fixture
def cases(demo_org):
    from cases.catalogue import ensure_catalogue
    from measures.scorecard import ensure_default_indicators
    from measures.tests.scenarios import live

    ensure_catalogue()  # a transactional test before this one flushed the migrations' rows
    ensure_default_indicators()
    admin = get_user_model().objects.get(username="admin")
    grid = Area.objects.filter(level=Level.GRID).order_by("code").first()
    made = []
    for day, path in [(3, "ok"), (4, "late"), (5, "open"), (6, "ok")]:
        made.append(
            live(
                admin,
                grid,
                received=timezone.make_aware(datetime(2025, 3, day, 9)),
                path=path,
                case_type="hazard",
                category="hazard-storage",
                channel="hotline",
            )
        )
    return made


def log_in(page, live_server, path):
    page.goto(live_server.url + path)
    page.fill("#id_username", "leader")
    page.fill("#id_password", "pingan-demo-2026")
    page.click("button[type=submit]")


def numbers_listed(page) -> set[str]:
    page.wait_for_selector("#figure-cases")
    return set(page.locator("#figure-cases tbody tr td:first-child").all_inner_texts())


def test_clicking_a_kpi_figure_lands_on_exactly_its_cases(live_server, page, cases):
    log_in(page, live_server, f"/measures/?period={MARCH}")
    page.wait_for_selector(".kpi[data-kpi=closure_rate]")
    card = page.locator(".kpi[data-kpi=closure_rate]")
    assert card.locator("[data-figure=closure_rate-numerator]").inner_text() == "3"
    assert card.locator("[data-figure=closure_rate-denominator]").inner_text() == "4"
    card.locator("[data-figure=closure_rate-numerator]").click()
    closed = {c.number for c in cases if c.status == "closed"}
    assert numbers_listed(page) == closed
    page.go_back()
    page.click("[data-figure=overdue]")
    assert numbers_listed(page) == {cases[2].number}


def test_the_charts_draw_and_a_click_on_the_map_opens_the_cases(live_server, page, cases):
    log_in(page, live_server, f"/measures/?period={MARCH}")
    page.wait_for_selector("#map-chart canvas")
    page.wait_for_selector("#trend-chart canvas")
    # the table beside the map carries the same figure: the street with the cases
    page.locator("#map-chart").scroll_into_view_if_needed()
    link = page.locator("a[data-figure^=child-]").filter(has_text="4")
    link.first.click()
    assert numbers_listed(page) == {c.number for c in cases}


def test_the_wall_screen_and_the_scorecard_link_figures_to_cases(live_server, page, cases):
    log_in(page, live_server, f"/measures/wall/?period={MARCH}")
    page.wait_for_selector("body.wall .kpi[data-kpi=received]")
    page.click(".kpi[data-kpi=received] [data-figure=received]")
    assert numbers_listed(page) == {c.number for c in cases}
    page.goto(live_server.url + f"/measures/scorecard/?period={MARCH}")
    page.wait_for_selector(".grade")
    page.locator("a.figure", has_text="3").first.click()
    assert numbers_listed(page) == {c.number for c in cases if c.status == "closed"}


def test_the_hotspot_page_draws_the_grids_and_a_grid_opens_its_cases(live_server, page, cases):
    log_in(page, live_server, f"/measures/hotspots/?period={MARCH}")
    page.wait_for_selector("#hotspot-map canvas")
    assert "Moran" in page.locator("#moran").inner_text()
    assert page.locator("#season-chart canvas").count() == 1
    page.click(f"[data-figure=grid-{cases[0].area_code}]")
    assert numbers_listed(page) == {c.number for c in cases}
