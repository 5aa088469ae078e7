"""Scoped reads for the measures: which area a user may look at, and a figure's own cases."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Case
from cases.selectors import visible_cases
from measures import cube
from measures.cube import Slice
from measures.definitions import BACKLOG_BANDS, MEASURES, q_backlog, q_overdue
from measures.models import CaseFact
from org import access
from territory.models import Area

EVERYWHERE = gettext_lazy("All areas")


@dataclass(frozen=True)
class Place:
    """An area a user may look at; `code` '' means everywhere (a superuser's view)."""

    code: str
    name: str
    level: str
    area: Area | None

    @property
    def parent_code(self) -> str | None:
        if not self.code:
            return None
        for n in (12, 9, 6):
            if len(self.code) > n:
                return self.code[:n]
        return ""


def default_code(user) -> str:
    prefixes = access.scope_codes(user)
    if not prefixes:
        raise Http404(_("You have no territory to measure."))
    if access.ALL in prefixes:
        codes = list(Area.objects.filter(parent__isnull=True).values_list("code", flat=True)[:2])
        return codes[0] if len(codes) == 1 else ""
    return prefixes[0]


def place_for(user, code: str | None) -> Place:
    """The area `code` if it lies inside the user's territory (404 otherwise); none given:
    the user's own territory."""
    if code is None or code == "-":
        code = default_code(user)
    prefixes = access.scope_codes(user)
    if code == "":
        if access.ALL not in prefixes:
            raise Http404(_("No such area in your territory."))
        return Place("", str(EVERYWHERE), "all", None)
    if not access.can_see_code(user, code):
        raise Http404(_("No such area in your territory."))
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise Http404(_("No such area in your territory."))
    return Place(area.code, area.name, area.level, area)


def children(place: Place) -> QuerySet[Area]:
    if place.area is None:
        return Area.objects.filter(parent__isnull=True)
    return Area.objects.filter(parent=place.area)


def may_go_up(user, place: Place) -> bool:
    parent = place.parent_code
    if parent is None:
        return False
    if parent == "":
        return access.ALL in access.scope_codes(user)
    return access.can_see_code(user, parent)


def figure_cases(user, s: Slice, figure: str) -> QuerySet[Case]:
    """Exactly the cases one figure counts (a base count, or a current figure), inside the
    user's territory."""
    if figure in MEASURES:
        facts = cube.drill(s, figure)
    else:
        now = timezone.now()
        base = CaseFact.objects.using(s.using).filter(s.q_facts())
        if figure == "overdue":
            facts = base.filter(q_overdue(now))
        elif figure.startswith("backlog_"):
            facts = base.filter(q_backlog(figure.removeprefix("backlog_"), now))
        else:
            raise KeyError(figure)
    cases = Case.objects.filter(pk__in=facts.values("case_id"))
    return cases.filter(pk__in=visible_cases(user).values("pk"))


def figure_names() -> dict[str, str]:
    names = {code: str(m.name) for code, m in MEASURES.items()}
    names["overdue"] = str(_("Overdue now"))
    backlog = _("Backlog")
    for code, name, *_rest in BACKLOG_BANDS:
        names[f"backlog_{code}"] = f"{backlog} {name}"
    return names
