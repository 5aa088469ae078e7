"""Writes to the area tree: validated, atomic GeoJSON import (and the export beside it)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import shapely
from django.db import transaction
from django.utils.translation import gettext as _

from territory.choices import CODE_LENGTH, LEVEL_FOR_LENGTH, Level
from territory.crs import geodesic_area_m2, normalize_crs, transform_geometry
from territory.locator import invalidate_locator
from territory.models import Area

# A child may stick out of its parent, and siblings may overlap, by this share of the
# smaller area before the import refuses (digitised boundaries rarely match exactly).
DEFAULT_TOLERANCE = 0.005


@dataclass(frozen=True)
class Problem:
    feature: int  # 1-based position in the file
    code: str
    field: str
    message: str

    def __str__(self) -> str:
        return _("feature %(n)d (code %(code)s), field %(field)s: %(msg)s") % {
            "n": self.feature,
            "code": self.code or "?",
            "field": self.field,
            "msg": self.message,
        }


class AreaImportError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    by_level: dict[str, int] = field(default_factory=dict)


@dataclass
class _Row:
    index: int
    code: str
    name: str
    level: str
    geometry: shapely.Geometry


def read_features(text: str) -> list[dict]:
    """The features of a GeoJSON FeatureCollection (or a single Feature)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AreaImportError([Problem(0, "", "file", _("not valid JSON: %s") % exc)]) from exc
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features")
        if isinstance(features, list):
            return features
    if isinstance(data, dict) and data.get("type") == "Feature":
        return [data]
    raise AreaImportError(
        [Problem(0, "", "type", _("expected a GeoJSON FeatureCollection of areas"))]
    )


def import_areas(
    features: list[dict],
    *,
    crs: str = "WGS84",
    tolerance: float = DEFAULT_TOLERANCE,
    progress: Callable[[Iterable], Iterable] = lambda it: it,
) -> ImportResult:
    """Validate every feature, then write them all in one transaction, or nothing.

    Each feature carries `code` and `name` properties; `level` is optional (it follows from
    the code's length) and a parent is the code's prefix, found in the file or the database.
    Existing areas with the same code are updated in place.
    """
    rows, problems = _parse(features, crs, progress)
    problems += _check_tree(rows, tolerance)
    if problems:
        raise AreaImportError(problems)

    result = ImportResult()
    with transaction.atomic():
        existing = {a.code: a for a in Area.objects.filter(code__in=[r.code for r in rows])}
        parents = {a.code: a for a in Area.objects.filter(code__in=_parent_codes(rows))}
        # Parents before children, so every parent row exists when its child is saved.
        for row in sorted(rows, key=lambda r: (len(r.code), r.code)):
            area = existing.get(row.code) or Area(code=row.code)
            is_new = area.pk is None
            _fill(area, row)
            parent_code = _parent_code(row.code)
            area.parent = parents.get(parent_code) if parent_code else None
            area.save()
            parents[area.code] = area
            result.created += is_new
            result.updated += not is_new
            result.by_level[row.level] = result.by_level.get(row.level, 0) + 1
        transaction.on_commit(invalidate_locator)
    return result


def export_areas(*, inside: str = "", level: str | None = None, crs: str = "WGS84") -> dict:
    """The areas at or below `inside` as a GeoJSON FeatureCollection."""
    qs = Area.objects.inside(inside).select_related("parent")
    if level:
        qs = qs.filter(level=level)
    features = []
    for area in qs.iterator(chunk_size=2000):
        geometry = area.geometry
        if normalize_crs(crs) != "WGS84":
            geom = transform_geometry(shapely.geometry.shape(geometry), "WGS84", crs)
            geometry = shapely.geometry.mapping(geom)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": area.code,
                    "name": area.name,
                    "level": area.level,
                    "parent": area.parent.code if area.parent else None,
                    "area_m2": round(area.area_m2, 1),
                },
                "geometry": geometry,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def area_feature_properties(geom: shapely.Geometry) -> dict:
    """Derived fields stored beside a geometry: centroid, bounding box, area in m²."""
    centroid = geom.centroid
    if not geom.contains(centroid):  # a crescent-shaped area: use a point that lies inside
        centroid = geom.representative_point()
    xmin, ymin, xmax, ymax = geom.bounds
    return {
        "centroid_lon": round(centroid.x, 7),
        "centroid_lat": round(centroid.y, 7),
        "area_m2": geodesic_area_m2(geom),
        "min_lon": xmin,
        "min_lat": ymin,
        "max_lon": xmax,
        "max_lat": ymax,
    }


# -- validation ----------------------------------------------------------------------
def _parse(features: list[dict], crs: str, progress) -> tuple[list[_Row], list[Problem]]:
    rows: list[_Row] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, feature in enumerate(progress(features), start=1):
        if not isinstance(feature, dict):
            problems.append(Problem(i, "", "feature", _("not a GeoJSON feature")))
            continue
        props = feature.get("properties") or {}
        code = str(props.get("code") or "").strip()
        name = str(props.get("name") or "").strip()
        before = len(problems)
        if not code:
            problems.append(Problem(i, code, "code", _("missing")))
        elif not code.isdigit() or len(code) not in LEVEL_FOR_LENGTH:
            problems.append(
                Problem(i, code, "code", _("must be 6, 9, 12 or 15 digits (division + 3 + 3 + 3)"))
            )
        elif code in seen:
            problems.append(Problem(i, code, "code", _("duplicate of feature %d") % seen[code]))
        else:
            seen[code] = i
        if not name:
            problems.append(Problem(i, code, "name", _("missing")))
        elif len(name) > 100:
            problems.append(Problem(i, code, "name", _("longer than 100 characters")))
        level = str(props.get("level") or "").strip()
        if code.isdigit() and len(code) in LEVEL_FOR_LENGTH:
            expected = LEVEL_FOR_LENGTH[len(code)]
            if level and level != expected:
                problems.append(
                    Problem(
                        i,
                        code,
                        "level",
                        _("%(level)s does not match a %(n)d-digit code (%(expected)s)")
                        % {"level": level, "n": len(code), "expected": expected},
                    )
                )
            level = expected
        geom, message = _geometry(feature.get("geometry"), crs)
        if message:
            problems.append(Problem(i, code, "geometry", message))
        if len(problems) == before and geom is not None:
            rows.append(_Row(i, code, name, level, geom))
    return rows, problems


def _geometry(raw, crs: str) -> tuple[shapely.Geometry | None, str]:
    if not isinstance(raw, dict) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        return None, _("must be a Polygon or MultiPolygon")
    try:
        geom = shapely.geometry.shape(raw)
    except (ValueError, TypeError, IndexError, AttributeError) as exc:
        return None, _("cannot be read: %s") % exc
    if geom.is_empty:
        return None, _("is empty")
    coords = shapely.get_coordinates(geom)
    if not all(math.isfinite(v) for v in coords.ravel()):
        return None, _("has a coordinate that is not a number")
    try:
        geom = transform_geometry(geom, crs, "WGS84")
    except ValueError as exc:
        return None, str(exc)
    coords = shapely.get_coordinates(geom)
    if (abs(coords[:, 0]) > 180).any() or (abs(coords[:, 1]) > 90).any():
        return None, _("has coordinates outside longitude ±180 / latitude ±90")
    if not geom.is_valid:
        return None, _("invalid polygon: %s") % shapely.is_valid_reason(geom)
    return geom, ""


def _check_tree(rows: list[_Row], tolerance: float) -> list[Problem]:
    problems: list[Problem] = []
    by_code = {r.code: r for r in rows}
    stored_parents = {
        a.code: a
        for a in Area.objects.filter(code__in=_parent_codes(rows)).exclude(code__in=list(by_code))
    }
    siblings: dict[str, list[_Row]] = {}
    for row in rows:
        parent_code = _parent_code(row.code)
        if parent_code is None:
            continue
        siblings.setdefault(parent_code, []).append(row)
        if parent_code in by_code:
            parent_geom = by_code[parent_code].geometry
        elif parent_code in stored_parents:
            parent_geom = shapely.geometry.shape(stored_parents[parent_code].geometry)
        else:
            problems.append(
                Problem(
                    row.index,
                    row.code,
                    "parent",
                    _("parent %s is neither in the file nor stored") % parent_code,
                )
            )
            continue
        outside = row.geometry.difference(parent_geom).area
        if outside > tolerance * row.geometry.area:
            problems.append(
                Problem(
                    row.index,
                    row.code,
                    "geometry",
                    _("%(pct).1f%% lies outside its parent %(parent)s")
                    % {"pct": 100 * outside / row.geometry.area, "parent": parent_code},
                )
            )
    for group in siblings.values():
        problems += _overlaps(group, tolerance)
    problems.sort(key=lambda p: (p.feature, p.field))
    return problems


def _overlaps(group: list[_Row], tolerance: float) -> list[Problem]:
    geoms = [r.geometry for r in group]
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    problems = []
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i >= j:
            continue
        a, b = group[i], group[j]
        shared = a.geometry.intersection(b.geometry).area
        if shared > tolerance * min(a.geometry.area, b.geometry.area):
            problems.append(
                Problem(
                    b.index,
                    b.code,
                    "geometry",
                    _("overlaps its sibling %(other)s (feature %(n)d)")
                    % {"other": a.code, "n": a.index},
                )
            )
    return problems


def _parent_code(code: str) -> str | None:
    level = LEVEL_FOR_LENGTH[len(code)]
    if level == Level.DISTRICT:
        return None
    lengths = sorted(n for n in CODE_LENGTH.values() if n < len(code))
    return code[: lengths[-1]]


def _parent_codes(rows: list[_Row]) -> list[str]:
    return sorted({p for r in rows if (p := _parent_code(r.code))})


def _fill(area: Area, row: _Row) -> None:
    area.name = row.name
    area.level = row.level
    area.geometry = shapely.geometry.mapping(row.geometry)
    for key, value in area_feature_properties(row.geometry).items():
        setattr(area, key, value)
