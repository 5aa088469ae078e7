"""一表四单: the safety report and four problem lists, graded per area per period.

Each indicator (configured in the admin) is a KPI from `definitions`, over the cases of
its type / category / channel. Its value falls in a grade band A/B/C/D; a list's score is
the weighted mean of its indicators' points (A 100, B 85, C 70, D 50) and its grade comes
from that score (A ≥ 90, B ≥ 80, C ≥ 70, else D). An indicator without cases is not graded
and does not count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from measures import cube
from measures.definitions import KPIS, figure
from measures.models import Direction, Indicator, ScoreList
from measures.periods import Period
from measures.report import Filters, make_slice

POINTS = {"A": 100.0, "B": 85.0, "C": 70.0, "D": 50.0}
LIST_BANDS = [("A", 90.0), ("B", 80.0), ("C", 70.0)]
RULES = _(
    "Indicator points: A 100, B 85, C 70, D 50. A list's score is the weighted mean "
    "of its graded indicators; grade A from 90, B from 80, C from 70, else D. An "
    "indicator without cases is not graded."
)


def grade(indicator: Indicator, value: float | None) -> str:
    """The band a value falls in, in the indicator's direction ('' when there is no value)."""
    if value is None:
        return ""
    bands = [("A", indicator.band_a), ("B", indicator.band_b), ("C", indicator.band_c)]
    for letter, bound in bands:
        if indicator.direction == Direction.HIGHER and value >= bound:
            return letter
        if indicator.direction == Direction.LOWER and value <= bound:
            return letter
    return "D"


def list_grade(score: float | None) -> str:
    if score is None:
        return ""
    for letter, bound in LIST_BANDS:
        if score >= bound:
            return letter
    return "D"


@dataclass
class Line:
    indicator: Indicator
    numerator: int
    denominator: int | None
    value: float | None
    grade: str

    @property
    def kpi(self):
        return KPIS[self.indicator.measure]

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        if self.indicator.direction == Direction.HIGHER:
            return self.value >= self.indicator.target
        return self.value <= self.indicator.target


@dataclass
class ListResult:
    code: str
    name: str
    lines: list[Line] = field(default_factory=list)

    @property
    def score(self) -> float | None:
        graded = [ln for ln in self.lines if ln.grade]
        weight = sum(ln.indicator.weight for ln in graded)
        if not weight:
            return None
        return sum(POINTS[ln.grade] * ln.indicator.weight for ln in graded) / weight

    @property
    def grade(self) -> str:
        return list_grade(self.score)


def indicators() -> list[Indicator]:
    return list(Indicator.objects.filter(is_active=True).select_related("case_type", "category"))


def _filters(ind: Indicator) -> Filters:
    return Filters(ind.case_type, ind.category, ind.channel)


def _line(ind: Indicator, counts: dict) -> Line:
    f = figure(ind.measure, counts)
    value = f.value if KPIS[ind.measure].is_rate or f.numerator else float(f.numerator)
    if KPIS[ind.measure].is_rate and not f.denominator:
        value = None
    return Line(ind, f.numerator, f.denominator, value, grade(ind, value))


def _empty_lists() -> dict[str, ListResult]:
    return {code: ListResult(code, str(name)) for code, name in ScoreList.choices}


def card(area: str, period: Period, using: str = "default") -> list[ListResult]:
    """The five lists for one area and period."""
    lists = _empty_lists()
    for ind in indicators():
        counts = cube.counts(make_slice(area, period, _filters(ind), using))
        lists[ind.score_list].lines.append(_line(ind, counts))
    return list(lists.values())


def children_cards(
    area: str, period: Period, child_codes: list[str], using: str = "default"
) -> dict[str, list[ListResult]]:
    """The five lists for every child area at once (one breakdown query per indicator)."""
    out = {code: _empty_lists() for code in child_codes}
    for ind in indicators():
        by_child = cube.counts(make_slice(area, period, _filters(ind), using), "child")
        for code in child_codes:
            counts = by_child.get(code) or cube.empty()
            out[code][ind.score_list].lines.append(_line(ind, counts))
    return {code: list(lists.values()) for code, lists in out.items()}


# The indicators Pingan starts with (a data migration adds them; the admin changes them).
DEFAULT_INDICATORS = [
    # list, name, measure, case type, category, channel, direction, target, weight, A, B, C
    ("report", "结案率", "closure_rate", None, None, "", "higher", 95, 3, 95, 90, 80),
    ("report", "按期结案率", "on_time_rate", None, None, "", "higher", 90, 2, 90, 85, 75),
    ("report", "满意率", "satisfaction", None, None, "", "higher", 95, 2, 95, 90, 85),
    ("report", "一次性化解率", "first_time_rate", None, None, "", "higher", 90, 1, 90, 85, 75),
    ("report", "返工率", "rework_rate", None, None, "", "lower", 3, 1, 3, 5, 10),
    (
        "stability",
        "矛盾纠纷化解率",
        "resolution_rate",
        "dispute",
        None,
        "",
        "higher",
        98,
        3,
        98,
        95,
        90,
    ),
    (
        "stability",
        "矛盾纠纷按期结案率",
        "on_time_rate",
        "dispute",
        None,
        "",
        "higher",
        95,
        1,
        95,
        90,
        80,
    ),
    (
        "petitions",
        "信访按期办结率",
        "on_time_rate",
        "petition",
        None,
        "",
        "higher",
        95,
        2,
        95,
        90,
        80,
    ),
    ("petitions", "信访满意率", "satisfaction", "petition", None, "", "higher", 90, 1, 90, 85, 80),
    ("petitions", "信访延期率", "extension_rate", "petition", None, "", "lower", 5, 1, 5, 10, 20),
    (
        "safety",
        "安全隐患按期整改率",
        "on_time_rate",
        "hazard",
        None,
        "",
        "higher",
        95,
        2,
        95,
        90,
        80,
    ),
    ("safety", "安全隐患结案率", "closure_rate", "hazard", None, "", "higher", 98, 1, 98, 95, 90),
    ("safety", "边坡地灾隐患数", "received", "hazard", "hazard-slope", "", "lower", 2, 1, 2, 5, 10),
    (
        "online",
        "网络诉求按期办结率",
        "on_time_rate",
        None,
        None,
        "online",
        "higher",
        95,
        2,
        95,
        90,
        80,
    ),
    ("online", "网络诉求满意率", "satisfaction", None, None, "online", "higher", 90, 1, 90, 85, 80),
]


def ensure_default_indicators(apps=None, using: str = "default") -> None:
    """Create the default indicators when there are none (a migration and the demo)."""
    if apps is None:
        from django.apps import apps as registry

        apps = registry
    Model = apps.get_model("measures", "Indicator")
    CaseType = apps.get_model("cases", "CaseType")
    Category = apps.get_model("cases", "Category")
    if Model.objects.using(using).exists():
        return
    for order, row in enumerate(DEFAULT_INDICATORS):
        (lst, name, measure, type_code, cat_code, channel, direction, target, weight, a, b, c) = row
        case_type = (
            CaseType.objects.using(using).filter(code=type_code).first() if type_code else None
        )
        category = Category.objects.using(using).filter(code=cat_code).first() if cat_code else None
        if (type_code and case_type is None) or (cat_code and category is None):
            continue
        Model.objects.using(using).create(
            score_list=lst,
            name=name,
            measure=measure,
            case_type=case_type,
            category=category,
            channel=channel,
            direction=direction,
            target=target,
            weight=weight,
            band_a=a,
            band_b=b,
            band_c=c,
            order=order,
        )
