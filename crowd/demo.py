"""The demo: New Year's Eve around 解放碑 and 朝天门, and the district's responders.

Zones are placed on the demo district's own streets (the synthetic street and community
polygons of territory.demo): each zone is a rectangle around the centroid of the
community it is named after, clipped to its street. Responders follow the real counts
of Yuzhong — 55 safety stations (five per street, at community centroids) and 879
minimum emergency units (one at each grid's centroid). Everything is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from django.db import transaction

from crowd import services
from crowd.choices import Mobility, ResponderKind, ZoneKind
from crowd.geo import LocalProjection
from crowd.models import Venue
from territory.choices import Level
from territory.models import Area

VENUE_CODE = "nye"
VENUE_NAME = "解放碑—朝天门跨年夜"
STRICT_LANE = (1.5, 2.5, 3.0, 4.0)  # narrow lanes: people cannot step aside
STRICT_STEPS = (1.5, 2.5, 3.5, 4.5)  # stairs and slopes: a fall takes others down


@dataclass(frozen=True)
class ZonePlan:
    code: str
    name: str
    kind: str
    street: str
    community: str  # the zone sits on this community's centroid
    size_m: tuple[float, float]  # east-west, north-south
    usable_share: float  # of the rectangle: minus monuments, stalls, barriers
    thresholds: tuple[float, float, float, float]
    exits: tuple[tuple[str, float], ...]
    peak_density: float  # p/m² at the midnight countdown
    offset_m: tuple[float, float] = (0.0, 0.0)


ZONES: tuple[ZonePlan, ...] = (
    ZonePlan(
        "jfb-square",
        "解放碑广场",
        ZoneKind.SQUARE,
        "解放碑街道",
        "民权路社区",
        (180, 140),
        0.87,
        (2.0, 3.0, 4.0, 5.0),
        (("民权路口", 12.0), ("邹容路口", 10.0), ("民族路口", 10.0), ("八一路口", 6.0)),
        3.0,
    ),
    ZonePlan(
        "zourong-st",
        "邹容路步行街",
        ZoneKind.STREET,
        "解放碑街道",
        "邹容路社区",
        (420, 30),
        0.87,
        (2.0, 3.0, 4.0, 5.0),
        (("北口", 14.0), ("南口", 14.0)),
        2.6,
    ),
    ZonePlan(
        "minzu-st",
        "民族路步行街",
        ZoneKind.STREET,
        "解放碑街道",
        "民族路社区",
        (400, 28),
        0.89,
        (2.0, 3.0, 4.0, 5.0),
        (("东口", 12.0), ("西口", 12.0)),
        2.4,
    ),
    ZonePlan(
        "bayi-lane",
        "八一路好吃街",
        ZoneKind.LANE,
        "解放碑街道",
        "八一路社区",
        (260, 10),
        0.88,
        STRICT_LANE,
        (("北口", 4.0), ("南口", 4.0)),
        2.8,
    ),
    ZonePlan(
        "ctm-square",
        "朝天门广场",
        ZoneKind.SQUARE,
        "朝天门街道",
        "东水门社区",
        (240, 170),
        0.88,
        (2.0, 3.0, 4.0, 5.0),
        (("朝东路口", 16.0), ("陕西路口", 12.0)),
        1.0,
    ),
    ZonePlan(
        "ctm-steps",
        "朝天门滨江梯道",
        ZoneKind.STEPS,
        "朝天门街道",
        "望龙门社区",
        (200, 24),
        0.875,
        STRICT_STEPS,
        (("上口", 8.0), ("下口", 8.0)),
        2.6,
    ),
    ZonePlan(
        "hyd-terrace",
        "洪崖洞观景平台",
        ZoneKind.TERRACE,
        "朝天门街道",
        "洪崖洞社区",
        (160, 45),
        0.83,
        (2.0, 3.0, 3.5, 4.5),
        (("沧白路口", 6.0), ("梯道口", 4.0)),
        2.8,
    ),
    ZonePlan(
        "xsz-lane",
        "小什字巷",
        ZoneKind.LANE,
        "朝天门街道",
        "小什字社区",
        (220, 8),
        0.9,
        STRICT_LANE,
        (("东口", 3.0), ("西口", 3.0)),
        1.9,
    ),
)
# The zone that nearly turns serious at 23:47 and is relieved by flow control (限流).
CRUSH_ZONE = "bayi-lane"


def _district() -> Area:
    from territory.demo import DEMO_DIVISION

    return Area.objects.get(code=DEMO_DIVISION)


def _zone_polygon(plan: ZonePlan, street: Area, community: Area) -> shapely.Geometry:
    p = LocalProjection(community.centroid_lon, community.centroid_lat)
    w, h = plan.size_m
    dx, dy = plan.offset_m
    rect = shapely.box(dx - w / 2, dy - h / 2, dx + w / 2, dy + h / 2)
    lonlat = shapely.transform(rect, p.to_lonlat)
    clipped = lonlat.intersection(shapely.geometry.shape(street.geometry))
    if clipped.geom_type != "Polygon":  # a sliver cut off by the street's edge: keep the bulk
        clipped = max(shapely.get_parts(clipped), key=lambda g: g.area)
    return clipped


@transaction.atomic
def ensure_nye_venue() -> Venue:
    """The New Year's Eve venue with its zones, exits and sensors (idempotent)."""
    venue = Venue.objects.filter(code=VENUE_CODE).first()
    if venue is not None:
        return venue
    district = _district()
    zones = []
    polygons = []
    for plan in ZONES:
        street = Area.objects.get(parent=district, name=plan.street)
        community = Area.objects.get(parent=street, name=plan.community)
        polygon = _zone_polygon(plan, street, community)
        polygons.append(polygon)
        zones.append((plan, polygon))
    outline = shapely.unary_union(polygons).convex_hull.buffer(0.0006)
    venue = services.create_venue(
        code=VENUE_CODE, name=VENUE_NAME, area=district, polygon=shapely.geometry.mapping(outline)
    )
    for plan, polygon in zones:
        usable = services.geodesic_area_m2(polygon) * plan.usable_share
        zone = services.add_zone(
            venue=venue,
            code=plan.code,
            name=plan.name,
            kind=plan.kind,
            polygon=shapely.geometry.mapping(polygon),
            usable_area_m2=round(usable),
            thresholds=plan.thresholds,
            exits=list(plan.exits),
        )
        services.add_sensor(
            venue=venue,
            code=f"{VENUE_CODE}-{plan.code}-gate",
            kind="counter",
            zone=zone,
            interval_s=5.0,
        )
        services.add_sensor(
            venue=venue,
            code=f"{VENUE_CODE}-{plan.code}-cam",
            kind="headcount",
            zone=zone,
            interval_s=60.0,
            silent_after_s=300.0,
            headcount_std_share=0.05,
        )
    services.add_sensor(
        venue=venue,
        code=f"{VENUE_CODE}-positions",
        kind="positions",
        interval_s=120.0,
        silent_after_s=600.0,
        headcount_std_share=0.05,
        sample_share=0.1,
    )
    venue.refresh_from_db()
    return venue


def ensure_demo_responders() -> int:
    """55 safety stations and 879 minimum emergency units of the demo district."""
    from org.models import Unit

    district = _district()
    units = {u.code: u for u in Unit.objects.filter(area__code__startswith=district.code)}
    specs = []
    streets = Area.objects.filter(parent=district, level=Level.STREET).order_by("code")
    for street in streets:
        communities = list(street.children.order_by("code"))
        # Five per street, spread over its communities in code order.
        picks = [communities[round(i * (len(communities) - 1) / 4)] for i in range(5)]
        for n, c in enumerate(picks, start=1):
            lon, lat = c.centroid_lon, c.centroid_lat
            if picks.count(c) > 1:  # a street with fewer than five communities
                lon += 0.0015 * (n - 3)
            specs.append(
                {
                    "code": f"station-{street.code}-{n}",
                    "name": f"{c.name.removesuffix('社区')}平安岗亭",
                    "kind": ResponderKind.STATION,
                    "mobility": Mobility.FOOT,
                    "team_size": 4,
                    "lon": lon,
                    "lat": lat,
                    "area": c,
                    "unit": units.get(f"{street.code}-police"),
                }
            )
    grids = Area.objects.filter(code__startswith=district.code, level=Level.GRID).order_by("code")
    for i, grid in enumerate(grids):
        specs.append(
            {
                "code": f"unit-{grid.code}",
                "name": f"{grid.name}应急单元",
                "kind": ResponderKind.UNIT,
                # One unit in eight rides a bicycle: the hills of Yuzhong favour feet.
                "mobility": Mobility.BICYCLE if i % 8 == 0 else Mobility.FOOT,
                "team_size": 3,
                "lon": grid.centroid_lon,
                "lat": grid.centroid_lat,
                "area": grid,
                "unit": units.get(f"{grid.code[:12]}-committee"),
            }
        )
    return services.add_responders(specs)
