"""The case catalogue and routing rules as intake reads them: from memory, reloaded when the
reference data changes (org/reference.py). The model instances here are shared by every
request of the process: read them, never change them."""

from __future__ import annotations

from dataclasses import dataclass, field

from cases.models import CaseType, Category, RoutingRule
from org.reference import Cached


@dataclass
class Catalogue:
    types_by_code: dict[str, CaseType] = field(default_factory=dict)
    types_by_id: dict[int, CaseType] = field(default_factory=dict)
    categories_by_code: dict[str, Category] = field(default_factory=dict)
    categories_by_id: dict[int, Category] = field(default_factory=dict)
    # Active categories with keywords, per case type id (None: all types), in code order,
    # each with its keyword list: what the keyword rules scan.
    keywords: dict[int | None, list[tuple[Category, list[str]]]] = field(default_factory=dict)
    # (case type id or None, category name) → the active category of that name (first code).
    by_name: dict[tuple[int | None, str], Category] = field(default_factory=dict)

    def active_type(self, code: str) -> CaseType | None:
        found = self.types_by_code.get(code)
        return found if found is not None and found.is_active else None

    def active_category(self, code: str) -> Category | None:
        found = self.categories_by_code.get(code)
        return found if found is not None and found.is_active else None

    def ancestors(self, category_id: int | None) -> list[int]:
        """The category's id and its ancestors' ids, nearest first."""
        ids = []
        node = self.categories_by_id.get(category_id) if category_id else None
        while node is not None and node.pk not in ids:
            ids.append(node.pk)
            node = self.categories_by_id.get(node.parent_id) if node.parent_id else None
        return ids


def _load_catalogue() -> Catalogue:
    cat = Catalogue()
    for t in CaseType.objects.all():
        cat.types_by_code[t.code] = cat.types_by_id[t.pk] = t
    rows = list(Category.objects.order_by("code"))
    for c in rows:
        cat.categories_by_code[c.code] = cat.categories_by_id[c.pk] = c
    for c in rows:
        # Related objects from memory: walking up the tree or to the type reads nothing.
        c.case_type = cat.types_by_id[c.case_type_id]
        c.parent = cat.categories_by_id.get(c.parent_id) if c.parent_id else None
    for c in rows:
        if not c.is_active:
            continue
        cat.by_name.setdefault((c.case_type_id, c.name), c)
        cat.by_name.setdefault((None, c.name), c)
        words = c.keyword_list()
        if words:
            cat.keywords.setdefault(c.case_type_id, []).append((c, words))
            cat.keywords.setdefault(None, []).append((c, words))
    return cat


def _load_rules() -> list[RoutingRule]:
    return list(RoutingRule.objects.filter(is_active=True).order_by("order", "id"))


_catalogue: Cached[Catalogue] = Cached("catalogue", _load_catalogue)
_rules: Cached[list[RoutingRule]] = Cached("routing rules", _load_rules)


def catalogue() -> Catalogue:
    return _catalogue.get()


def routing_rules() -> list[RoutingRule]:
    return _rules.get()
