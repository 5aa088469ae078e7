"""Proved on real data: the measures equal an independent computation on the same files."""

import csv
import json
from collections import Counter
from datetime import date, datetime

import numpy as np
import pytest
from django.utils import timezone

from conftest import shared_data
from measures import cube, hotspots, report, rollups
from measures.cube import Slice
from measures.definitions import change, figure
from measures.periods import Period, of_kind

pytestmark = pytest.mark.django_db
ALL_TIME = Period("custom", date(2010, 1, 1), date(2027, 1, 1))


# -- NYC 311 through the import path ---------------------------------------------------------
def test_nyc311_closure_on_time_and_time_to_close_equal_pandas_on_the_csv(demo_org):
    pd = pytest.importorskip("pandas")
    from cases import imports
    from cases.models import Case, Category

    path = shared_data("incidents", "nyc311_sample.csv")
    # given the sample imported the way a district would (`pingan import-cases`)
    imports.import_file(path, "nyc311")
    # and the same file read independently
    df = pd.read_csv(path, low_memory=False)
    fmt = imports.NYC_TIME_FORMAT
    for col in ("Created Date", "Closed Date", "Due Date"):
        df[col] = pd.to_datetime(df[col], format=fmt).dt.tz_localize("America/New_York")
    df["key"] = "nyc311:" + df["Unique Key"].astype(str)
    df["closed"] = df["Status"] == "Closed"
    df["category"] = df["Complaint Type"].map(imports.nyc_category_code)
    codes = dict(Category.objects.values_list("code", "pk"))
    key_of = dict(Case.objects.values_list("pk", "client_key"))
    everything = Slice("", ALL_TIME.start, ALL_TIME.end)

    def keys(slice_, measure):
        return {key_of[pk] for pk in cube.drill(slice_, measure).values_list("case_id", flat=True)}

    def hours(rows):
        closed = rows[rows["closed"]]
        return float(
            ((closed["Closed Date"] - closed["Created Date"]).dt.total_seconds() / 3600).median()
        )

    # then the closed cases are exactly the file's closed requests, and the median time to
    # close is the file's, overall and for every complaint type (through the import's
    # mapping of complaint types to our categories)
    assert keys(everything, "closed") == set(df.loc[df["closed"], "key"])
    assert cube.counts(everything)["closed"] == 969
    assert report.median_hours_to_close(everything) == pytest.approx(hours(df), abs=1e-6)
    for code, rows in df.groupby("category"):
        s = Slice("", ALL_TIME.start, ALL_TIME.end, categories=(codes[code],))
        assert keys(s, "closed") == set(rows.loc[rows["closed"], "key"]), code
        assert report.median_hours_to_close(s) == pytest.approx(hours(rows), abs=1e-6), code

    # and where the file gives a Due Date, the due cases (应结案: all of them, over all
    # time) and those closed on time are exactly the file's, for every complaint type
    dated = df[df["Due Date"].notna()]
    on_time = dated[dated["closed"] & (dated["Closed Date"] <= dated["Due Date"])]
    assert keys(everything, "due") & set(dated["key"]) == set(dated["key"])
    assert keys(everything, "on_time") & set(dated["key"]) == set(on_time["key"])
    for code, rows in dated.groupby("category"):
        s = Slice("", ALL_TIME.start, ALL_TIME.end, categories=(codes[code],))
        punctual = rows[rows["closed"] & (rows["Closed Date"] <= rows["Due Date"])]
        assert keys(s, "on_time") & set(rows["key"]) == set(punctual["key"]), code
    rate = figure("on_time_rate", cube.counts(everything))
    assert rate.numerator >= len(on_time) and rate.denominator == 1000


# -- LA crimes, bulk-loaded into the rollups' source ----------------------------------------
def load_la_crimes(path, grids) -> dict[str, int]:
    """Each report becomes a police incident case received on its reported day (noon, local)
    with its intake event, written in bulk; the facts and rollups are then rebuilt."""
    from cases.models import Case, CaseEvent, CaseType, Category

    incident, _new = CaseType.objects.get_or_create(code="incident", defaults={"name": "警情"})
    categories: dict[str, int] = {}
    areas: dict[str, str] = {}
    cases, events = [], []
    with open(path, encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            desc = row["Crm Cd Desc"].strip()
            if desc not in categories:
                categories[desc] = Category.objects.create(
                    code=f"incident-{len(categories):03d}", name=desc[:60], case_type=incident
                ).pk
            grid = areas.setdefault(row["AREA NAME"], grids[len(areas) % len(grids)])
            day = date.fromisoformat(row["Date Rptd"])
            received = timezone.make_aware(datetime(day.year, day.month, day.day, 12))
            cases.append(
                Case(
                    number=f"LA-{row['DR_NO']}-{i}",
                    case_type=incident,
                    category_id=categories[desc],
                    title=desc[:200],
                    area_code=grid,
                    grid_code=grid,
                    location="located",
                    channel="police",
                    received_at=received,
                )
            )
    Case.objects.bulk_create(cases, batch_size=1000)
    for case in Case.objects.filter(channel="police", number__startswith="LA-"):
        events.append(
            CaseEvent(
                case=case,
                seq=1,
                at=case.received_at,
                kind="intake",
                to_status="received",
                data={"channel": "police"},
            )
        )
    CaseEvent.objects.bulk_create(events, batch_size=1000)
    rollups.rebuild()
    return categories


def test_la_crimes_year_over_year_by_category_equals_an_independent_count(demo_org):
    from territory.models import Area

    path = shared_data("incidents", "la_crimes_sample.csv")
    grids = list(
        Area.objects.filter(level="grid").order_by("code").values_list("code", flat=True)[:21]
    )
    categories = load_la_crimes(path, grids)
    with open(path, encoding="utf-8") as fh:
        independent = Counter(
            (r["Date Rptd"][:4], r["Crm Cd Desc"].strip()) for r in csv.DictReader(fh)
        )
    this_year, last_year = of_kind("year", date(2023, 1, 1)), of_kind("year", date(2022, 1, 1))
    now = cube.counts(Slice("", this_year.start, this_year.end), "category")
    before = cube.counts(Slice("", last_year.start, last_year.end), "category")
    assert this_year.year_before() == last_year
    checked = 0
    for desc, pk in categories.items():
        a, b = independent[("2023", desc)], independent[("2022", desc)]
        got_a = now.get(pk, {}).get("received", 0)
        got_b = before.get(pk, {}).get("received", 0)
        assert (got_a, got_b) == (a, b), desc
        assert change(got_a, got_b) == (None if b == 0 else pytest.approx(100 * (a - b) / b))
        checked += 1
    assert checked == 73
    assert sum(v["received"] for v in now.values()) == 2213


# -- hotspots on the Columbus reference polygons -------------------------------------------
def columbus():
    data = json.loads(shared_data("hotspots", "columbus", "columbus.json").read_text())
    polygons = [f["geometry"] for f in data["features"]]
    crime = [f["properties"]["CRIME"] for f in data["features"]]
    return polygons, crime


def test_morans_i_from_the_columbus_polygons_equals_esdas_published_value():
    polygons, crime = columbus()
    moran = hotspots.morans_i(crime, hotspots.queen_weights(polygons))
    value = moran.I
    assert value == pytest.approx(0.500189, abs=1e-6)
    assert moran.z_norm == pytest.approx(5.63, abs=0.01)


def test_weights_built_from_the_polygons_equal_the_published_queen_contiguity():
    import libpysal

    polygons, _crime = columbus()
    ours = hotspots.queen_weights(polygons)
    gal = libpysal.io.open(str(shared_data("hotspots", "columbus", "columbus.gal"))).read()
    published = {int(k) - 1: sorted(int(n) - 1 for n in v) for k, v in gal.neighbors.items()}
    assert {k: sorted(v) for k, v in ours.neighbors.items()} == published


def test_gi_star_from_the_polygons_equals_esda_on_the_published_weights():
    import libpysal
    from esda.getisord import G_Local

    polygons, crime = columbus()
    spots = hotspots.gi_star(crime, hotspots.queen_weights(polygons), permutations=99)
    gal = libpysal.io.open(str(shared_data("hotspots", "columbus", "columbus.gal"))).read()
    reference = G_Local(
        np.array(crime), gal, transform="B", star=True, permutations=99, seed=12345, n_jobs=1
    )
    assert [s.z for s in spots] == pytest.approx(list(reference.Zs), abs=1e-9)
    hot = {i for i, s in enumerate(spots) if s.kind == "hot"}
    assert hot == {
        i
        for i, (z, p) in enumerate(zip(reference.Zs, reference.p_sim, strict=True))
        if z > 0 and p < 0.05
    }
    assert hot and any(s.kind == "cold" for s in spots)


def test_seasonality_finds_a_summer_peak_and_the_trend_of_a_rising_series():
    months = [date(2023 + (m // 12), m % 12 + 1, 1) for m in range(24)]
    seasonal = hotspots.seasonality({m: (20 if m.month in (7, 8) else 10) for m in months}, months)
    mean = (20 * 4 + 10 * 20) / 24
    assert seasonal.seasonal_index[6] == pytest.approx(20 / mean, abs=0.01)
    assert seasonal.seasonal_index[0] == pytest.approx(10 / mean, abs=0.01)
    rising = hotspots.seasonality({m: 10 + i for i, m in enumerate(months)}, months)
    assert rising.slope_per_month == pytest.approx(1.0)
