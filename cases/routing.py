"""Routing: (case type, category, area level) → the unit kind that owns a case, found in
the case's own territory (the grid's community, its street, or the district department)."""

from __future__ import annotations

from dataclasses import dataclass, field

from cases.models import CaseType, Category, RoutingRule
from org.choices import UnitKind
from org.models import Unit
from territory.choices import CODE_LENGTH, Level

# The center that takes what a level cannot solve (escalation goes one step up).
CENTER_KIND = {
    Level.GRID: UnitKind.COMMUNITY_COMMITTEE,
    Level.COMMUNITY: UnitKind.COMMUNITY_COMMITTEE,
    Level.STREET: UnitKind.STREET_CENTER,
    Level.DISTRICT: UnitKind.DISTRICT_CENTER,
}
LEVEL_UP = {Level.GRID: Level.COMMUNITY, Level.COMMUNITY: Level.STREET,
            Level.STREET: Level.DISTRICT, Level.DISTRICT: None}


@dataclass
class Route:
    unit: Unit | None
    co_units: list[Unit] = field(default_factory=list)
    rule: RoutingRule | None = None


def level_of(code: str) -> str:
    return {n: lvl for lvl, n in CODE_LENGTH.items()}[len(code)]


def prefix_at(code: str, level: str) -> str:
    return code[: CODE_LENGTH[level]]


def find_unit(kind: str, area_code: str, *, at_level: str | None = None) -> Unit | None:
    """The active unit of this kind attached to the area or its nearest ancestor."""
    codes = [area_code[:n] for n in sorted(CODE_LENGTH.values()) if n <= len(area_code)]
    if at_level:
        codes = [c for c in codes if len(c) <= CODE_LENGTH[at_level]]
    units = Unit.objects.filter(kind=kind, is_active=True, area__code__in=codes).select_related(
        "area"
    )
    return max(units, key=lambda u: (len(u.area.code), -u.pk), default=None)


def center_for(area_code: str, level: str) -> Unit | None:
    """The governance center for the area's ancestor at `level`."""
    return find_unit(CENTER_KIND[level], prefix_at(area_code, level), at_level=level)


def _ancestors(category: Category | None) -> list[int]:
    ids = []
    while category is not None:
        ids.append(category.pk)
        category = category.parent
    return ids


def route(case_type: CaseType, category: Category | None, area_code: str) -> Route:
    """First matching active rule (by order); the district center when nothing matches."""
    category_ids = _ancestors(category)
    rules = RoutingRule.objects.filter(is_active=True).select_related("category")
    for rule in rules:
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
        co = [u for k in rule.co_unit_kinds.split(",") if k.strip()
              if (u := find_unit(k.strip(), area_code)) is not None and u != unit]
        return Route(unit, co, rule)
    return Route(center_for(area_code, Level.DISTRICT))
