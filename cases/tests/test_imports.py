"""Bulk import: NYC 311 CSV and the 台账 ledger, through the case services, all or nothing."""

import csv
import io
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from cases import imports, services
from cases.choices import Channel, EventKind, Location, Status
from cases.errors import CaseInputError
from cases.imports import CaseImportError
from cases.models import Case, CaseEvent, Feedback
from conftest import shared_data
from territory.choices import Level
from territory.models import Area

pytestmark = pytest.mark.django_db

NYC = ("incidents", "nyc311_sample.csv")
NY = ZoneInfo("America/New_York")


def nyc_time(text: str) -> datetime:
    return datetime.strptime(text, "%m/%d/%Y %I:%M:%S %p").replace(tzinfo=NY)


def nyc_rows() -> list[dict]:
    with open(shared_data(*NYC), encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def csv_text(rows: list[dict]) -> list[str]:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().splitlines(keepends=True)


def test_the_real_nyc_sample_imports_with_the_counts_an_independent_reading_gives(demo_org):
    # given: an independent count of the CSV
    rows = nyc_rows()
    closed = [r for r in rows if r["Status"] == "Closed"]
    by_category = Counter()
    for r in rows:
        by_category[imports.nyc_category_code(r["Complaint Type"])] += 1
    with_point = sum(1 for r in rows if r["Latitude"] and r["Longitude"])

    # when
    summary = imports.import_file(shared_data(*NYC), "nyc311")

    # then: one case per row, every one through intake with channel "import"
    cases = Case.objects.filter(channel=Channel.IMPORT, client_key__startswith="nyc311:")
    assert summary.created == cases.count() == len(rows) == 1000
    assert cases.filter(status=Status.CLOSED).count() == len(closed) == 969
    assert Counter(cases.values_list("category__code", flat=True)) == by_category
    assert by_category["request-traffic"] > 0 and by_category[imports.CATCH_ALL_CATEGORY] > 0
    # NYC lies in no grid of the demo district: accepted, flagged, sent to its center
    assert cases.filter(location=Location.OUTSIDE).count() == with_point
    assert cases.filter(location=Location.NO_POINT).count() == len(rows) - with_point
    assert set(cases.values_list("area_code", flat=True)) == {"500103"}

    # and each case carries the file's times
    sample = closed[0]
    case = cases.get(client_key=f"nyc311:{sample['Unique Key']}")
    assert case.received_at == nyc_time(sample["Created Date"])
    assert case.closed_at == nyc_time(sample["Closed Date"])
    assert case.title.startswith(sample["Complaint Type"])
    kinds = list(case.events.order_by("seq").values_list("kind", flat=True))
    assert kinds == [
        "intake",
        "accept",
        "assign",
        "start",
        "resolve",
        "verify",
        "contact_failed",
        "close",
    ]
    assert case.events.get(kind="intake").at == case.received_at
    assert case.events.get(kind="close").at == case.closed_at
    assert case.due_at == nyc_time(sample["Due Date"])
    assert (
        case.events.get(kind="intake").data["source"]["complaint_type"] == sample["Complaint Type"]
    )

    # and every event of every case is numbered 1..n without a gap
    seqs: dict[int, list[int]] = {}
    for case_id, seq in CaseEvent.objects.filter(case__in=cases).values_list("case_id", "seq"):
        seqs.setdefault(case_id, []).append(seq)
    assert all(sorted(s) == list(range(1, len(s) + 1)) for s in seqs.values())

    # and importing the same file again changes nothing
    again = imports.import_file(shared_data(*NYC), "nyc311")
    assert (again.created, again.existing) == (0, 1000)
    assert Case.objects.count() == 1000


def test_a_bad_nyc_file_reports_each_problem_by_row_and_column_and_writes_nothing(demo_org):
    rows = nyc_rows()[:6]
    rows[1]["Created Date"] = "2018-06-26 10:58"  # row 3
    rows[2]["Latitude"] = "123.4"  # row 4
    rows[3]["Status"] = "Lost"  # row 5
    rows[4]["Status"], rows[4]["Closed Date"] = "Closed", ""  # row 6
    before = Case.objects.count()

    with pytest.raises(CaseImportError) as caught:
        imports.import_records(imports.read_nyc311(csv_text(rows)))

    where = {(p.row, p.column) for p in caught.value.problems}
    assert where == {(3, "Created Date"), (4, "Latitude"), (5, "Status"), (6, "Closed Date")}
    assert Case.objects.count() == before


def test_a_file_without_a_needed_column_is_refused_naming_the_column(demo_org):
    rows = [{k: v for k, v in r.items() if k != "Status"} for r in nyc_rows()[:2]]
    with pytest.raises(CaseImportError) as caught:
        imports.read_nyc311(csv_text(rows))
    assert [(p.row, p.column) for p in caught.value.problems] == [(1, "Status")]


def test_a_row_the_services_refuse_rolls_back_every_row_before_it(demo_org, monkeypatch):
    records = imports.read_nyc311(csv_text(nyc_rows()[:5]))
    closing = services.close_case
    calls = {"n": 0}

    def close_but_fail_the_third(case_id, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise CaseInputError({"closed_at": "refused for the test"})
        return closing(case_id, **kw)

    monkeypatch.setattr(services, "close_case", close_but_fail_the_third)
    closed_rows = [r.row for r in records if r.status == Status.CLOSED]

    with pytest.raises(CaseImportError) as caught:
        imports.import_records(records)

    assert [(p.row, p.column) for p in caught.value.problems] == [(closed_rows[2], "Closed Date")]
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0


def grid_points(n: int) -> list[tuple[float, float]]:
    grids = Area.objects.filter(level=Level.GRID).order_by("code")[:n]
    return [(g.centroid_lon, g.centroid_lat) for g in grids]


def test_a_ledger_round_trips_every_status_rating_and_time(demo_org, tmp_path):
    # given: the sample ledger, points at grid centres
    path = tmp_path / "台账.xlsx"
    rows = imports.write_sample_ledger(path, rows=22, seed=3, points=grid_points(4))

    # when
    summary = imports.import_file(path, "xlsx")

    # then: every row is a case in the state and with the times the ledger says
    assert summary.created == 22
    zone = ZoneInfo("Asia/Shanghai")
    expected_status = {**imports.LEDGER_STATUS}
    for row in rows:
        case = Case.objects.get(client_key=f"ledger:{row['编号']}")
        assert case.received_at == row["受理时间"].replace(tzinfo=zone)
        assert (case.category.name, case.case_type.name) == (row["类别"], row["类型"])
        assert case.title == row["标题"] and case.text == row["内容"]
        want = expected_status[row["状态"]]
        if row["满意度"] == "不满意":
            want = Status.IN_PROGRESS  # the engine reopens what the resident rejects
        assert case.status == want, row
        if row["经度"] is None:
            assert case.location == Location.NO_POINT
        else:
            assert case.location == Location.LOCATED and case.grid_code
        if want in (Status.CLOSED, Status.REJECTED):
            assert case.closed_at == row["办结时间"].replace(tzinfo=zone)
        if want == Status.CLOSED:
            kinds = list(case.events.order_by("seq").values_list("kind", flat=True))
            assert kinds[-3:-1] in (["verify", "rate"], ["verify", "contact_failed"])
            assert kinds[-1] == "close"
            rating = imports.LEDGER_RATING.get(row["满意度"], "")
            if rating in ("satisfied", "basic"):
                assert case.rating == rating
            else:
                assert Feedback.objects.get(case=case).contact_failed
    assert {imports.LEDGER_STATUS[r["状态"]] for r in rows} >= {
        Status.RECEIVED,
        Status.ACCEPTED,
        Status.ASSIGNED,
        Status.IN_PROGRESS,
        Status.RESOLVED,
        Status.CLOSED,
        Status.REJECTED,
    }


def test_a_ledger_with_bad_cells_names_each_row_and_header(demo_org, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "bad.xlsx"
    imports.write_sample_ledger(path, rows=12, points=grid_points(2))
    book = load_workbook(path)
    sheet = book.active
    sheet["B3"] = "yesterday"  # 受理时间, row 3
    sheet["D4"] = "外星人入侵"  # 类别, row 4
    sheet["H5"] = 361  # 经度, row 5
    sheet["L6"] = "搁置"  # 状态, row 6
    sheet["P8"] = "不满意"  # 满意度 on a closed case, row 8 (已办结)
    sheet["A9"] = sheet["A2"].value  # 编号 repeated, row 9
    book.save(path)

    with pytest.raises(CaseImportError) as caught:
        imports.import_file(path, "xlsx")

    where = {(p.row, p.column) for p in caught.value.problems}
    assert where == {
        (3, "受理时间"),
        (4, "类别"),
        (5, "经度"),
        (6, "状态"),
        (8, "满意度"),
        (9, "编号"),
    }
    assert Case.objects.count() == 0


def test_the_command_checks_only_on_a_dry_run_and_reports_problems_by_row(demo_org, tmp_path):
    path = tmp_path / "ledger.xlsx"
    imports.write_sample_ledger(path, rows=11)
    out = io.StringIO()
    with translation.override("en"):
        call_command("import_cases", str(path), "--format", "xlsx", "--dry-run", stdout=out)
    assert "Checked 11 rows" in out.getvalue() and Case.objects.count() == 0

    bad = tmp_path / "bad.csv"
    rows = nyc_rows()[:3]
    rows[2]["Created Date"] = "soon"
    bad.write_text("".join(csv_text(rows)), encoding="utf-8")
    with translation.override("en"), pytest.raises(CommandError) as caught:
        call_command("import_cases", str(bad), "--format", "nyc311", verbosity=0)
    assert "row 4, column Created Date" in str(caught.value)
    assert Case.objects.count() == 0

    out = io.StringIO()
    with translation.override("en"):
        call_command("import_cases", str(path), "--format", "xlsx", verbosity=0, stdout=out)
    assert "Imported 11 cases" in out.getvalue()
    assert Case.objects.filter(created_by__username=imports.IMPORT_USERNAME).count() == 11
    assert not Case.objects.first().created_by.has_usable_password()
    assert (
        CaseEvent.objects.filter(kind=EventKind.INTAKE, actor__username="pingan-import").count()
        == 11
    )
