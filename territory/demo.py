"""Load the demo district (real Yuzhong outline, synthetic streets/communities/grids)."""

from __future__ import annotations

import shapely

from territory.choices import Level
from territory.models import Area
from territory.services import ImportResult, import_areas

DEMO_DIVISION = "500103"
DEMO_COUNTS = {Level.STREET: 11, Level.COMMUNITY: 79, Level.GRID: 879}


def demo_features() -> list[dict]:
    """The demo district as GeoJSON features, WGS-84 (the outline is converted from GCJ-02)."""
    from territory.subdivide import build_demo_district, load_yuzhong_outline

    specs = build_demo_district(load_yuzhong_outline(), division_code=DEMO_DIVISION)
    return [
        {
            "type": "Feature",
            "properties": {"code": s.code, "name": s.name, "level": s.level},
            "geometry": shapely.geometry.mapping(s.geometry),
        }
        for s in specs
    ]


def demo_district_loaded() -> bool:
    qs = Area.objects.filter(code__startswith=DEMO_DIVISION)
    return all(qs.filter(level=level).count() == n for level, n in DEMO_COUNTS.items())


def ensure_demo_district(progress=lambda it: it) -> ImportResult | None:
    """Import the demo district through the ordinary validated import, unless already there."""
    if demo_district_loaded():
        return None
    return import_areas(demo_features(), crs="WGS84", progress=progress)
