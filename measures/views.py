"""Dashboard, wall screen, a figure's cases, scorecard and hotspots: thin views over report."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases.choices import Channel
from cases.models import Category
from measures import report, selectors
from measures.definitions import (
    BACKLOG_BANDS,
    BACKLOG_DEFINITION,
    MEASURES,
    OVERDUE_DEFINITION,
    figure,
)
from measures.forms import MeasureForm, first_error
from measures.periods import Period
from measures.selectors import Place


def drill_url(
    figure_code: str, place: Place, period: Period | None, filters: report.Filters
) -> str:
    """The link from a figure to exactly its cases."""
    params = {"figure": figure_code, "area": place.code or "all"}
    if period is not None and figure_code in MEASURES:
        params["period"] = period.spec
    params.update(filters.as_params())
    return reverse("measures:cases") + "?" + urlencode(params)


def page_url(name: str, place_code: str, period: Period, filters: report.Filters) -> str:
    params = {"area": place_code or "all", "period": period.spec, **filters.as_params()}
    return reverse(name) + "?" + urlencode(params)


def case_url(number: str) -> str:
    try:
        return reverse("cases:detail", args=[number])
    except NoReverseMatch:
        return ""


def _parse(request):
    """(form, place, period, filters), or (form, None, None, None) when the query is bad."""
    form = MeasureForm(request.GET)
    if not form.is_valid():
        return form, None, None, None
    place = selectors.place_for(request.user, form.cleaned_data.get("area"))
    return form, place, form.cleaned_data["period_obj"], form.filters()


def _bad(request, form, template="measures/error.html"):
    return render(request, template, {"form": form, "error": first_error(form)}, status=400)


def _fmt(value: float | None, is_rate: bool) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}%" if is_rate else f"{value:,.0f}"


def dashboard_context(request, place: Place, period: Period, filters: report.Filters) -> dict:
    d = report.dashboard(place.code, period, filters)
    cards = []
    for code, card in d["cards"].items():
        kpi = card.figure.kpi
        cards.append(
            {
                "code": code,
                "name": kpi.name,
                "formula": kpi.formula,
                "definition": kpi.definition,
                "is_rate": kpi.is_rate,
                "value": _fmt(card.figure.value, kpi.is_rate),
                "numerator": card.figure.numerator,
                "denominator": card.figure.denominator,
                "numerator_url": drill_url(kpi.numerator, place, period, filters),
                "denominator_url": drill_url(kpi.denominator, place, period, filters)
                if kpi.denominator
                else "",
                "numerator_name": MEASURES[kpi.numerator].name,
                "denominator_name": MEASURES[kpi.denominator].name if kpi.denominator else "",
                "yoy": card.yoy,
                "mom": card.mom,
                "higher_is_better": kpi.higher_is_better,
                "year_before": _fmt(card.year_before.value, kpi.is_rate),
                "previous": _fmt(card.previous.value, kpi.is_rate),
            }
        )
    current = d["current"]
    backlog = [
        {
            "code": f"backlog_{c}",
            "name": name,
            "count": current[f"backlog_{c}"],
            "url": drill_url(f"backlog_{c}", place, None, filters),
        }
        for c, name, *_r in BACKLOG_BANDS
    ]
    cat_names = dict(Category.objects.values_list("pk", "name"))
    cat_codes = dict(Category.objects.values_list("pk", "code"))
    by_category = []
    for pk, counts in sorted(d["by_category"].items(), key=lambda kv: -kv[1]["received"]):
        sub = (
            report.Filters(
                filters.case_type, Category.objects.filter(pk=pk).first(), filters.channel
            )
            if pk
            else filters
        )
        by_category.append(
            {
                "name": cat_names.get(pk, _("No category")),
                "code": cat_codes.get(pk, ""),
                "counts": counts,
                "closure": _fmt(figure("closure_rate", counts).value, True),
                "received_url": drill_url("received", place, period, sub) if pk else "",
                "due_url": drill_url("due", place, period, sub) if pk else "",
                "closed_url": drill_url("closed", place, period, sub) if pk else "",
            }
        )
    channel_names = dict(Channel.choices)
    by_channel = [
        {
            "name": channel_names.get(ch, ch),
            "counts": counts,
            "received_url": drill_url(
                "received", place, period, report.Filters(filters.case_type, filters.category, ch)
            ),
            "closed_url": drill_url(
                "closed", place, period, report.Filters(filters.case_type, filters.category, ch)
            ),
        }
        for ch, counts in sorted(d["by_channel"].items(), key=lambda kv: -kv[1]["received"])
    ]
    kids = list(selectors.children(place).only("code", "name", "level", "geometry"))
    by_child = []
    features = []
    for area in kids:
        counts = d["by_child"].get(area.code) or report.cube.empty()
        child = Place(area.code, area.name, area.level, area)
        row = {
            "code": area.code,
            "name": area.name,
            "counts": counts,
            "closure": _fmt(figure("closure_rate", counts).value, True),
            "received_url": drill_url("received", child, period, filters),
            "due_url": drill_url("due", child, period, filters),
            "closed_url": drill_url("closed", child, period, filters),
            "dashboard_url": page_url("measures:dashboard", area.code, period, filters),
        }
        by_child.append(row)
        features.append(
            {
                "type": "Feature",
                "geometry": area.geometry,
                "properties": {"name": area.code, "label": area.name},
            }
        )
    trend = []
    for month, counts in sorted(d["trend"].items()):
        p = Period(
            "month",
            month,
            month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1),
        )
        trend.append(
            {
                "month": f"{month:%Y-%m}",
                "counts": counts,
                "closure": figure("closure_rate", counts).value,
                "received_url": drill_url("received", place, p, filters),
                "closed_url": drill_url("closed", place, p, filters),
            }
        )
    overdue = [
        {
            "number": c.number,
            "title": c.title,
            "area_code": c.area_code,
            "due_at": c.due_at,
            "url": case_url(c.number),
            "category": c.category.name if c.category else "",
            "days": (timezone.now() - c.due_at).days if c.due_at else None,
        }
        for c in d["overdue"]
    ]
    chart = {
        "trend": {
            "months": [t["month"] for t in trend],
            "received": [t["counts"]["received"] for t in trend],
            "due": [t["counts"]["due"] for t in trend],
            "closed": [t["counts"]["closed"] for t in trend],
            "closure": [None if t["closure"] is None else round(t["closure"], 2) for t in trend],
            "received_urls": [t["received_url"] for t in trend],
            "closed_urls": [t["closed_url"] for t in trend],
            "labels": {
                "received": _("Received"),
                "due": _("Due"),
                "closed": _("Closed"),
                "closure": _("Closure rate %"),
            },
        },
        "category": {
            "names": [r["name"] for r in by_category],
            "values": [r["counts"]["received"] for r in by_category],
            "urls": [r["received_url"] for r in by_category],
        },
        "channel": [
            {"name": r["name"], "value": r["counts"]["received"], "url": r["received_url"]}
            for r in by_channel
        ],
        "map": {
            "geojson": {"type": "FeatureCollection", "features": features},
            "data": [
                {
                    "name": r["code"],
                    "value": r["counts"]["received"],
                    "label": r["name"],
                    "url": r["received_url"],
                }
                for r in by_child
            ],
            "label": _("Received"),
        },
    }
    return {
        "place": place,
        "period": period,
        "filters": filters,
        "cards": cards,
        "overdue_now": current["overdue"],
        "open_now": current["open"],
        "overdue_url": drill_url("overdue", place, None, filters),
        "overdue_definition": OVERDUE_DEFINITION,
        "backlog_definition": BACKLOG_DEFINITION,
        "backlog": backlog,
        "by_category": by_category,
        "by_channel": by_channel,
        "by_child": by_child,
        "trend": trend,
        "overdue": overdue,
        "chart": chart,
        "up_url": page_url(request.resolver_match.view_name, place.parent_code, period, filters)
        if selectors.may_go_up(request.user, place)
        else "",
        "previous_url": page_url(
            request.resolver_match.view_name, place.code, period.previous(), filters
        ),
        "next_url": page_url(
            request.resolver_match.view_name,
            place.code,
            Period(period.kind, period.end, period.end + (period.end - period.start))
            if period.kind in ("day", "week", "custom")
            else _next(period),
            filters,
        ),
        "wall_url": page_url("measures:wall", place.code, period, filters),
        "dashboard_url": page_url("measures:dashboard", place.code, period, filters),
        "scorecard_url": page_url("measures:scorecard", place.code, period, filters),
        "hotspots_url": page_url("measures:hotspots", place.code, period, filters),
    }


def _next(period: Period) -> Period:
    from measures.periods import of_kind

    return of_kind(period.kind, period.end)


@login_required
@require_GET
def dashboard(request):
    form, place, period, filters = _parse(request)
    if place is None:
        return _bad(request, form)
    context = dashboard_context(request, place, period, filters)
    context["form"] = form
    return render(request, "measures/dashboard.html", context)


@login_required
@require_GET
def wall(request):
    """大屏: the same figures, full screen for a command room, refreshed every minute."""
    form, place, period, filters = _parse(request)
    if place is None:
        return _bad(request, form)
    context = dashboard_context(request, place, period, filters)
    return render(request, "measures/wall.html", context)


@login_required
@require_GET
def figure_cases(request):
    """The cases behind one figure: exactly those it counts."""
    form, place, period, filters = _parse(request)
    if place is None:
        return _bad(request, form)
    code = request.GET.get("figure", "")
    names = selectors.figure_names()
    if code not in names:
        form.add_error(None, "")
        return render(
            request,
            "measures/error.html",
            {"error": _("figure: unknown figure %s") % (code or "—")},
            status=400,
        )
    s = report.make_slice(place.code, period, filters)
    qs = selectors.figure_cases(request.user, s, code).select_related("case_type", "category")
    page = Paginator(qs.order_by("-received_at", "-id"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    measure = MEASURES.get(code)
    definition = (
        measure.definition
        if measure
        else (OVERDUE_DEFINITION if code == "overdue" else BACKLOG_DEFINITION)
    )
    rows = [{"case": c, "url": case_url(c.number)} for c in page.object_list]
    return render(
        request,
        "measures/cases.html",
        {
            "place": place,
            "period": period if measure else None,
            "filters": filters,
            "figure": names[code],
            "definition": definition,
            "page": page,
            "rows": rows,
            "count": page.paginator.count,
            "query": query.urlencode(),
            "back_url": page_url("measures:dashboard", place.code, period, filters),
        },
    )


def xlsx_response(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# -- scorecard 一表四单 ---------------------------------------------------------------------
def _scorecard_data(request):
    form, place, period, _filters = _parse(request)
    if place is None:
        return form, None
    from measures import scorecard

    lists = scorecard.card(place.code, period)
    kids = list(selectors.children(place).values_list("code", "name"))
    by_child = scorecard.children_cards(place.code, period, [c for c, _n in kids])
    children = [(name, by_child[code]) for code, name in kids]
    return form, {
        "place": place,
        "period": period,
        "lists": lists,
        "children": children,
        "kid_codes": [c for c, _n in kids],
    }


def _period_label(period: Period) -> str:
    return f"{period.start:%Y-%m-%d} – {period.last:%Y-%m-%d}"


@login_required
@require_GET
def scorecard_page(request):
    form, data = _scorecard_data(request)
    if data is None:
        return _bad(request, form)
    from measures.scorecard import RULES

    place, period = data["place"], data["period"]
    for result in data["lists"]:
        for line in result.lines:
            f = report.Filters(
                line.indicator.case_type, line.indicator.category, line.indicator.channel
            )
            line.numerator_url = drill_url(line.kpi.numerator, place, period, f)
            line.denominator_url = (
                drill_url(line.kpi.denominator, place, period, f) if line.kpi.denominator else ""
            )
    rows = []
    for code, (name, results) in zip(data["kid_codes"], data["children"], strict=True):
        rows.append(
            {
                "name": name,
                "results": results,
                "url": page_url("measures:scorecard", code, period, report.Filters()),
            }
        )
    return render(
        request,
        "measures/scorecard.html",
        {
            **data,
            "rows": rows,
            "form": form,
            "filters": report.Filters(),
            "rules": RULES,
            "xlsx_url": page_url("measures:scorecard-xlsx", place.code, period, report.Filters()),
            "pdf_url": page_url("measures:scorecard-pdf", place.code, period, report.Filters()),
            "dashboard_url": page_url("measures:dashboard", place.code, period, report.Filters()),
        },
    )


@login_required
@require_GET
def scorecard_xlsx(request):
    form, data = _scorecard_data(request)
    if data is None:
        return _bad(request, form)
    from measures import exports

    content = exports.workbook(
        data["place"].name, _period_label(data["period"]), data["lists"], data["children"]
    )
    return xlsx_response(
        content, f"scorecard-{data['place'].code or 'all'}-{data['period'].spec}.xlsx"
    )


@login_required
@require_GET
def scorecard_pdf(request):
    form, data = _scorecard_data(request)
    if data is None:
        return _bad(request, form)
    from measures import exports

    content = exports.pdf(
        data["place"].name, _period_label(data["period"]), data["lists"], data["children"]
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="scorecard-{data["place"].code or "all"}-{data["period"].spec}.pdf"'
    )
    return response


# -- hotspots --------------------------------------------------------------------------------
SPOTS_LISTED = 30


@login_required
@require_GET
def hotspots_page(request):
    form, place, period, filters = _parse(request)
    if place is None:
        return _bad(request, form)
    from measures import hotspots

    s = report.make_slice(place.code, period, filters)
    counts = report.received_by_grid(s)
    result = hotspots.grid_hotspots(place.code, counts)
    features, data, spots = [], [], []
    if result is not None:
        for spot in result["spots"]:
            grid = Place(spot.id, result["names"][spot.id], "grid", None)
            url = drill_url("received", grid, period, filters)
            features.append(
                {
                    "type": "Feature",
                    "geometry": result["geometry"][spot.id],
                    "properties": {"name": spot.id},
                }
            )
            data.append(
                {
                    "name": spot.id,
                    "value": 2 if spot.kind == "hot" else (0 if spot.kind == "cold" else 1),
                    "count": int(spot.value),
                    "z": round(spot.z, 2),
                    "p": round(spot.p, 3),
                    "label": result["names"][spot.id],
                    "url": url,
                }
            )
            if spot.kind:
                spots.append(
                    {
                        "code": spot.id,
                        "name": result["names"][spot.id],
                        "count": int(spot.value),
                        "z": spot.z,
                        "p": spot.p,
                        "kind": spot.kind,
                        "url": url,
                    }
                )
        spots.sort(key=lambda r: (r["kind"] != "hot", -abs(r["z"])))
    busiest = sorted((d for d in data if d["count"]), key=lambda d: (-d["count"], d["name"]))
    series = report.seasonality_by_category(s, period)
    chart = {
        "geojson": {"type": "FeatureCollection", "features": features},
        "data": data,
        "labels": {
            "hot": _("Hot spot (Gi*, p < 0.05)"),
            "cold": _("Cold spot"),
            "none": _("Not significant"),
            "count": _("Received"),
            "z": "z",
            "p": "p",
        },
        "series": [
            {
                "name": r["name"],
                "months": [f"{m:%Y-%m}" for m in r["s"].months],
                "counts": r["s"].counts,
            }
            for r in series[:8]
        ],
    }
    return render(
        request,
        "measures/hotspots.html",
        {
            "form": form,
            "place": place,
            "period": period,
            "filters": filters,
            "result": result,
            "spots": spots[:SPOTS_LISTED],
            "more_spots": max(0, len(spots) - SPOTS_LISTED),
            "chart": chart,
            "series": series,
            "busiest": busiest[:10],
            "hot": sum(1 for d in data if d["value"] == 2),
            "cold": sum(1 for d in data if d["value"] == 0),
            "dashboard_url": page_url("measures:dashboard", place.code, period, filters),
            "months": [
                _("Jan"),
                _("Feb"),
                _("Mar"),
                _("Apr"),
                _("May"),
                _("Jun"),
                _("Jul"),
                _("Aug"),
                _("Sep"),
                _("Oct"),
                _("Nov"),
                _("Dec"),
            ],
        },
    )
