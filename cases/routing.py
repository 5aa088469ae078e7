"""Routing: (case type, category, area level) → the unit kind that owns a case, found in
the case's own territory (the grid's community, its street, or the district department).
Rules and units are read from memory (org/reference.py): routing reads nothing per case."""

from __future__ import annotations

from dataclasses import dataclass, field

from cases import reference
from cases.models import CaseType, Category, RoutingRule
from org.choices import UnitKind
from org.models import Unit
from org.reference import Cached
from territory.choices import CODE_LENGTH, Level

# The center that takes what a level cannot solve (escalation goes one step up).
CENTER_KIND = {
    Level.GRID: UnitKind.COMMUNITY_COMMITTEE,
    Level.COMMUNITY: UnitKind.COMMUNITY_COMMITTEE,
    Level.STREET: UnitKind.STREET_CENTER,
    Level.DISTRICT: UnitKind.DISTRICT_CENTER,
}
LEVEL_UP = {
    Level.GRID: Level.COMMUNITY,
    Level.COMMUNITY: Level.STREET,
    Level.STREET: Level.DISTRICT,
    Level.DISTRICT: None,
}


@dataclass
class Route:
    unit: Unit | None
    co_units: list[Unit] = field(default_factory=list)
    rule: RoutingRule | None = None


def level_of(code: str) -> str:
    return {n: lvl for lvl, n in CODE_LENGTH.items()}[len(code)]


def prefix_at(code: str, level: str) -> str:
    return code[: CODE_LENGTH[level]]


def _load_units() -> dict[tuple[str, str], Unit]:
    """(kind, area code) → the active unit of that kind attached to that area (the first
    made, when there are several)."""
    index: dict[tuple[str, str], Unit] = {}
    for unit in Unit.objects.filter(is_active=True).select_related("area").order_by("-pk"):
        index[(unit.kind, unit.area.code)] = unit
    return index


_units: Cached[dict[tuple[str, str], Unit]] = Cached("units by kind and area", _load_units)


def find_unit(kind: str, area_code: str, *, at_level: str | None = None) -> Unit | None:
    """The active unit of this kind attached to the area or its nearest ancestor."""
    index = _units.get()
    for n in sorted(CODE_LENGTH.values(), reverse=True):
        if n > len(area_code) or (at_level and n > CODE_LENGTH[at_level]):
            continue
        unit = index.get((kind, area_code[:n]))
        if unit is not None:
            return unit
    return None


def center_for(area_code: str, level: str) -> Unit | None:
    """The governance center for the area's ancestor at `level`."""
    return find_unit(CENTER_KIND[level], prefix_at(area_code, level), at_level=level)


def route(case_type: CaseType, category: Category | None, area_code: str) -> Route:
    """First matching active rule (by order); the district center when nothing matches."""
    category_ids = reference.catalogue().ancestors(category.pk if category else None)
    for rule in reference.routing_rules():
        if rule.case_type_id and rule.case_type_id != case_type.pk:
            continue
        if rule.category_id and rule.category_id not in category_ids:
            continue
        level = rule.area_level or level_of(area_code)
        if CODE_LENGTH[level] > len(area_code):
            level = level_of(area_code)
        unit = find_unit(rule.unit_kind, prefix_at(area_code, level))
        if unit is None:
            continue
        co = [
            u
            for k in rule.co_unit_kinds.split(",")
            if k.strip()
            if (u := find_unit(k.strip(), area_code)) is not None and u != unit
        ]
        return Route(unit, co, rule)
    return Route(center_for(area_code, Level.DISTRICT))
