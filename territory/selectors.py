"""Reads of the area tree for a user, already scoped to their territory."""

from __future__ import annotations

from django.db.models import QuerySet

from org import access
from territory.choices import Level
from territory.models import Area


def visible_areas(user) -> QuerySet[Area]:
    return access.restrict(Area.objects.all(), user, field="code")


def top_areas(user) -> list[Area]:
    """The highest areas the user may see: the roots of their scope."""
    prefixes = access.scope_codes(user)
    if access.ALL in prefixes:
        return list(Area.objects.filter(level=Level.DISTRICT))
    return list(Area.objects.filter(code__in=prefixes))


def get_visible_area(user, code: str) -> Area:
    """The area with this code, or Area.DoesNotExist when absent or outside the user's scope."""
    return visible_areas(user).select_related("parent__parent__parent").get(code=code)


def children_of(area: Area) -> QuerySet[Area]:
    return area.children.order_by("code")


def lineage(area: Area) -> list[Area]:
    """The area's ancestors, district first, then the area itself."""
    chain = [area]
    while chain[0].parent_id is not None:
        chain.insert(0, chain[0].parent)
    return chain
