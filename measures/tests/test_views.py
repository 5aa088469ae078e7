"""The pages: figures with their parts, drill-downs to exactly their cases, scope, exports."""

import io
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django.utils import timezone

from measures.tests.scenarios import live
from territory.choices import Level
from territory.models import Area

pytestmark = pytest.mark.django_db
MARCH = "2025-03"


def at(day: int, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime(2025, 3, day, hour))


@pytest.fixture
def march(users, first_grid):
    """Four cases received in March 2025 in the first grid: two closed, one rejected, one
    still open (overdue), plus one from another street."""
    admin = users["admin"]
    grid = first_grid
    other = (
        Area.objects.filter(level=Level.GRID)
        .exclude(code__startswith=grid.code[:9])
        .order_by("code")
        .first()
    )
    kw = {"case_type": "hazard", "category": "hazard-storage", "channel": "hotline"}
    return {
        "ok": live(admin, grid, received=at(3), path="ok", **kw),
        "late": live(admin, grid, received=at(4), path="late", **kw),
        "reject": live(admin, grid, received=at(5), path="reject", **kw),
        "open": live(admin, grid, received=at(6), path="open", **kw),
        "elsewhere": live(admin, other, received=at(7), path="ok", **kw),
        "grid": grid,
        "other": other,
    }


def login(client, users, who):
    client.force_login(users[who])
    return client


def dashboard(client, **params):
    return client.get(reverse("measures:dashboard"), params)


def test_the_dashboard_shows_each_figure_with_its_numerator_and_denominator(client, users, march):
    response = dashboard(login(client, users, "leader"), period=MARCH)
    assert response.status_code == 200
    cards = {c["code"]: c for c in response.context["cards"]}
    assert cards["received"]["numerator"] == 5
    # due in March: the closed ones (early or on the deadline) and the open one; the late
    # one is due in March too (its deadline is in March). Rejected is never due.
    assert cards["due"]["numerator"] == 4
    assert (cards["closure_rate"]["numerator"], cards["closure_rate"]["denominator"]) == (3, 4)
    assert cards["closure_rate"]["value"] == "75.00%"
    assert (cards["on_time_rate"]["numerator"], cards["on_time_rate"]["denominator"]) == (2, 4)
    assert "closed ÷ due" in response.content.decode() or "结案" in response.content.decode()


def test_a_figure_drills_down_to_exactly_the_cases_it_counts(client, users, march):
    response = dashboard(login(client, users, "leader"), period=MARCH)
    card = next(c for c in response.context["cards"] if c["code"] == "closure_rate")
    listing = client.get(card["numerator_url"])
    assert listing.status_code == 200
    shown = {r["case"].number for r in listing.context["rows"]}
    assert shown == {march[k].number for k in ("ok", "late", "elsewhere")}
    due = client.get(card["denominator_url"])
    assert {r["case"].number for r in due.context["rows"]} == shown | {march["open"].number}


def test_overdue_now_and_the_backlog_drill_down_to_the_open_case(client, users, march):
    response = dashboard(login(client, users, "leader"), period=MARCH)
    assert response.context["overdue_now"] == 1
    listing = client.get(response.context["overdue_url"])
    assert [r["case"].number for r in listing.context["rows"]] == [march["open"].number]


def test_a_street_user_sees_only_their_street_and_gets_404_for_another(client, users, march):
    login(client, users, "street")
    own = dashboard(client, period=MARCH)
    assert own.status_code == 200
    assert own.context["cards"][0]["numerator"] == 4  # not the case of the other street
    assert dashboard(client, period=MARCH, area=march["other"].code).status_code == 404
    assert dashboard(client, period=MARCH, area="all").status_code == 404
    drill = client.get(
        reverse("measures:cases"),
        {"figure": "received", "period": MARCH, "area": march["other"].code},
    )
    assert drill.status_code == 404


def test_bad_input_is_a_400_naming_the_field(client, users):
    login(client, users, "leader")
    bad = dashboard(client, period="2025-13")
    assert bad.status_code == 400 and "period" in bad.context["error"]
    assert dashboard(client, area="12x").status_code == 400
    unknown = client.get(reverse("measures:cases"), {"figure": "nonsense", "period": MARCH})
    assert unknown.status_code == 400 and "figure" in unknown.context["error"]


def test_yoy_and_mom_compare_with_the_same_period_last_year_and_the_one_before(
    client, users, march, first_grid
):
    live(
        users["admin"],
        first_grid,
        received=at(10) - timedelta(days=365),
        path="ok",
        case_type="hazard",
        category="hazard-storage",
        channel="hotline",
    )
    response = dashboard(login(client, users, "leader"), period=MARCH)
    received = response.context["cards"][0]
    assert received["year_before"] == "1" and received["yoy"] == pytest.approx(400.0)
    assert received["mom"] is None  # nothing in February: no ratio


def test_the_wall_screen_shows_the_same_figures(client, users, march):
    response = login(client, users, "leader").get(reverse("measures:wall"), {"period": MARCH})
    assert response.status_code == 200
    assert response.context["cards"][0]["numerator"] == 5
    assert b'http-equiv="refresh"' in response.content


def test_the_scorecard_grades_each_list_and_exports_excel_and_pdf(client, users, march):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    login(client, users, "leader")
    page = client.get(reverse("measures:scorecard"), {"period": MARCH})
    assert page.status_code == 200
    report_list = page.context["lists"][0]
    closure = next(ln for ln in report_list.lines if ln.indicator.measure == "closure_rate")
    assert (closure.numerator, closure.denominator, closure.grade) == (3, 4, "D")
    xlsx = client.get(page.context["xlsx_url"])
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.content))
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert any("平安报表" in c for c in cells) and "结案率" in cells and "3 ÷ 4" in cells
    pdf = client.get(page.context["pdf_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "平安报表" in text and "结案率" in text and "3 ÷ 4" in text


def test_the_hotspot_page_maps_gi_star_over_the_grids(client, users, march):
    login(client, users, "leader")
    page = client.get(reverse("measures:hotspots"), {"period": MARCH})
    assert page.status_code == 200
    result = page.context["result"]
    assert result["n"] == Area.objects.filter(level=Level.GRID).count()
    counts = {d["name"]: d["count"] for d in page.context["chart"]["data"]}
    assert counts[march["grid"].code] == 4 and counts[march["other"].code] == 1
    url = next(d["url"] for d in page.context["chart"]["data"] if d["name"] == march["grid"].code)
    listing = client.get(url)
    assert parse_qs(urlparse(url).query)["area"] == [march["grid"].code]
    assert len(listing.context["rows"]) == 4
