"""Thin views: parse, fetch through a selector, render."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from org import access
from territory import selectors
from territory.choices import Level
from territory.models import Area


@login_required
def home(request):
    return redirect("web:map")


@login_required
@require_GET
def territory_map(request):
    tops = selectors.top_areas(request.user)
    return render(
        request,
        "web/map.html",
        {
            "top_codes": [a.code for a in tops],
            "labels": {
                "code": _("Code"),
                "name": _("Name"),
                "community": _("Community"),
                "street": _("Street"),
                "district": _("District"),
                "area": _("Area"),
                "grids": _("grids"),
                "back": _("Up one level"),
                "km2": _("km²"),
                "loading": _("Loading…"),
                "error": _("Could not load the areas."),
                "level": {k: str(v) for k, v in Level.choices},
            },
        },
    )


@login_required
@require_GET
def area_children(request, code: str):
    """GeoJSON of an area's children, with the area's own lineage; 404 outside one's scope."""
    try:
        area = selectors.get_visible_area(request.user, code)
    except Area.DoesNotExist as exc:
        raise Http404(_("No such area in your territory.")) from exc
    chain = selectors.lineage(area)
    names = {a.level: a.name for a in chain}
    features = []
    children = list(selectors.children_of(area))
    subject = children or [area]  # a grid has no children: draw the grid itself
    for child in subject:
        props = {
            "code": child.code,
            "name": child.name,
            "level": child.level,
            "level_label": str(Level(child.level).label),
            "area_km2": round(child.area_m2 / 1e6, 3),
            "district": names.get(Level.DISTRICT, ""),
            "street": names.get(Level.STREET, ""),
            "community": names.get(Level.COMMUNITY, ""),
        }
        if child.level == Level.COMMUNITY:
            props["community"] = child.name
        elif child.level == Level.STREET:
            props["street"] = child.name
        features.append({"type": "Feature", "properties": props, "geometry": child.geometry})
    visible_chain = [
        {"code": a.code, "name": a.name, "level": a.level}
        for a in chain
        if access.can_see_code(request.user, a.code)
    ]
    return JsonResponse(
        {
            "area": {
                "code": area.code,
                "name": area.name,
                "level": area.level,
                "level_label": str(Level(area.level).label),
            },
            "lineage": visible_chain,
            "children": {"type": "FeatureCollection", "features": features},
        },
        json_dumps_params={"ensure_ascii": False},
    )
