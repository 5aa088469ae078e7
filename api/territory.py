"""Territory endpoints: areas inside the caller's scope, and point → grid for anyone logged in."""

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from api.schemas import AreaChildrenOut, AreaDetailOut, ErrorOut, LocateOut
from org import access
from territory import selectors
from territory.choices import Level
from territory.locator import get_locator
from territory.models import Area

router = Router()

CODE = r"^[0-9]{6}([0-9]{3}){0,3}$"


def area_out(area: Area, *, geometry: bool = False) -> dict:
    return {
        "code": area.code,
        "name": area.name,
        "level": area.level,
        "level_label": str(Level(area.level).label),
        "parent": area.code[:-3] if len(area.code) > 6 else None,
        "centroid": (area.centroid_lon, area.centroid_lat),
        "bbox": (area.min_lon, area.min_lat, area.max_lon, area.max_lat),
        "area_m2": area.area_m2,
        "geometry": area.geometry if geometry else None,
    }


def _visible_area(user, code: str) -> Area:
    try:
        return selectors.get_visible_area(user, code)
    except Area.DoesNotExist as exc:
        raise Http404(_("No such area in your territory.")) from exc


@router.get(
    "/areas/{code}",
    response={200: AreaDetailOut, 401: ErrorOut, 404: ErrorOut},
    summary="One area",
    operation_id="areas_get",
)
def get_area(request: HttpRequest, code: str, geometry: bool = False):
    """An area of your territory, with its lineage from the top of your scope. 404 outside it."""
    area = _visible_area(request.auth, code)
    top = access.scope_codes(request.auth)
    lineage = [
        a for a in selectors.lineage(area) if any(a.code.startswith(prefix) for prefix in top)
    ]
    return {
        **area_out(area, geometry=geometry),
        "lineage": [{"code": a.code, "name": a.name} for a in lineage],
        "children_count": selectors.children_of(area).count(),
    }


@router.get(
    "/areas/{code}/children",
    response={200: AreaChildrenOut, 401: ErrorOut, 404: ErrorOut},
    summary="An area's children",
    operation_id="areas_children",
)
def area_children(request: HttpRequest, code: str, geometry: bool = False):
    """The streets of a district, communities of a street, grids of a community."""
    area = _visible_area(request.auth, code)
    qs = selectors.children_of(area)
    if not geometry:
        qs = qs.defer("geometry")
    return {
        "area": {"code": area.code, "name": area.name},
        "items": [area_out(a, geometry=geometry) for a in qs],
    }


@router.get(
    "/locate",
    response={200: LocateOut | None, 400: ErrorOut, 401: ErrorOut},
    summary="Which grid a point lies in",
    operation_id="locate",
)
def locate(
    request: HttpRequest,
    lon: float = Query(..., ge=-180, le=180),
    lat: float = Query(..., ge=-90, le=90),
):
    """The grid (with its community, street and district) containing a WGS-84 point, or
    null outside every grid. Any logged-in caller may ask: it reveals no case."""
    grid = get_locator().locate(lon, lat)
    if not grid:
        return None
    codes = [grid[:n] for n in (6, 9, 12, 15)]
    names = dict(Area.objects.filter(code__in=codes).values_list("code", "name"))

    def ref(code: str):
        return {"code": code, "name": names[code]} if code in names else None

    return {
        "grid": ref(grid) or {"code": grid, "name": ""},
        "community": ref(codes[2]),
        "street": ref(codes[1]),
        "district": ref(codes[0]),
    }
