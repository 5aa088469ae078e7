"""Every figure Pingan reports, defined once (DESIGN §7): base counts over case facts and the
KPIs built from them. The UI shows each definition next to its figure.

A base count (`MEASURES`) is a number of cases: those whose *anchor* day falls in the period
and that satisfy a condition. It is written twice, side by side, and a test holds the two
equal: `test` (Python, on one fact: what the rollups add up) and `q` (SQL, on the fact
table: what a drill-down lists and what the facts path counts).

A KPI (`KPIS`) is a base count, or a ratio numerator ÷ denominator of two base counts with
the same anchor, so its numerator's cases are always among its denominator's.
Current figures (overdue now, backlog by age) are counted on open cases at the moment asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cases.choices import Outcome, Rating
from measures.facts import dispute_type_id
from measures.models import CaseFact, FactState

RECEIVED_ON, DUE_ON, RATED_ON = "received_on", "due_on", "rated_on"
SATISFIED_RATINGS = (Rating.SATISFIED, Rating.BASIC)


@dataclass(frozen=True)
class Measure:
    code: str
    name: Promise
    anchor: str  # the fact's day that puts a case in a period
    test: Callable[[CaseFact], bool]
    q: Callable[[], Q]
    definition: Promise


def _closed(f: CaseFact) -> bool:
    return f.state == FactState.CLOSED


def _q_closed() -> Q:
    return Q(state=FactState.CLOSED)


MEASURES: dict[str, Measure] = {
    m.code: m
    for m in [
        Measure(
            "received",
            _("Received"),
            RECEIVED_ON,
            lambda f: True,
            lambda: Q(),
            _("Cases received in the period (every channel, rejected ones included)."),
        ),
        Measure(
            "due",
            _("Due (应结案)"),
            DUE_ON,
            lambda f: True,
            lambda: Q(),
            _(
                "Cases whose deadline falls in the period, or that were closed in it before "
                "their deadline. Rejected and merged cases are never due."
            ),
        ),
        Measure(
            "closed",
            _("Closed (结案)"),
            DUE_ON,
            _closed,
            _q_closed,
            _("Of the due cases, those closed (as of now)."),
        ),
        Measure(
            "on_time",
            _("Closed on time"),
            DUE_ON,
            lambda f: _closed(f) and f.on_time,
            lambda: _q_closed() & Q(on_time=True),
            _("Of the due cases, those closed on or before their deadline."),
        ),
        Measure(
            "extended",
            _("Extended"),
            DUE_ON,
            lambda f: f.extensions > 0,
            lambda: Q(extensions__gt=0),
            _("Of the due cases, those whose deadline was extended at least once."),
        ),
        Measure(
            "reworked",
            _("Reworked"),
            DUE_ON,
            lambda f: _closed(f) and f.reworks > 0,
            lambda: _q_closed() & Q(reworks__gt=0),
            _("Of the closed cases, those sent back at least once after a failed verification."),
        ),
        Measure(
            "first_time",
            _("Resolved the first time"),
            DUE_ON,
            lambda f: _closed(f) and f.reopens == 0 and f.escalations == 0,
            lambda: _q_closed() & Q(reopens=0, escalations=0),
            _("Of the closed cases, those never reopened and never escalated."),
        ),
        Measure(
            "dispute_closed",
            _("Disputes closed"),
            DUE_ON,
            lambda f: _closed(f) and f.case_type_id == dispute_type_id(),
            lambda: _q_closed() & Q(case_type_id=dispute_type_id()),
            _("Of the closed cases, the disputes (矛盾纠纷)."),
        ),
        Measure(
            "dispute_resolved",
            _("Disputes resolved (化解)"),
            DUE_ON,
            lambda f: (
                _closed(f) and f.case_type_id == dispute_type_id() and f.outcome == Outcome.RESOLVED
            ),
            lambda: _q_closed() & Q(case_type_id=dispute_type_id(), outcome=Outcome.RESOLVED),
            _("Of the closed disputes, those closed with the outcome “resolved”."),
        ),
        Measure(
            "rated",
            _("Rated"),
            RATED_ON,
            lambda f: bool(f.rating),
            lambda: ~Q(rating=""),
            _("Cases whose latest rating by the resident was given in the period."),
        ),
        Measure(
            "satisfied",
            _("Satisfied"),
            RATED_ON,
            lambda f: f.rating in SATISFIED_RATINGS,
            lambda: Q(rating__in=SATISFIED_RATINGS),
            _("Of the rated cases, those whose latest rating is satisfied or basically satisfied."),
        ),
    ]
}


@dataclass(frozen=True)
class Kpi:
    """A figure: a count, or numerator ÷ denominator (both shown, both drill down)."""

    code: str
    name: Promise
    numerator: str
    denominator: str | None
    formula: Promise
    definition: Promise
    higher_is_better: bool = True

    @property
    def is_rate(self) -> bool:
        return self.denominator is not None


@dataclass(frozen=True)
class Figure:
    kpi: Kpi
    numerator: int
    denominator: int | None

    @property
    def value(self) -> float | None:
        """The count, or the rate in percent; None when the denominator is zero."""
        if self.denominator is None:
            return float(self.numerator)
        if not self.denominator:
            return None
        return 100.0 * self.numerator / self.denominator


KPIS: dict[str, Kpi] = {
    k.code: k
    for k in [
        Kpi(
            "received",
            _("Received"),
            "received",
            None,
            _("received"),
            MEASURES["received"].definition,
        ),
        Kpi("due", _("Due (应结案数)"), "due", None, _("due"), MEASURES["due"].definition),
        Kpi(
            "closed",
            _("Closed (结案数)"),
            "closed",
            None,
            _("closed"),
            MEASURES["closed"].definition,
        ),
        Kpi(
            "closure_rate",
            _("Closure rate (结案率)"),
            "closed",
            "due",
            _("closed ÷ due"),
            _("Closure rate = closed ÷ due, as in the 数字城管 bulletins (911 ÷ 972 = 93.72%)."),
        ),
        Kpi(
            "on_time_rate",
            _("On-time rate (按期结案率)"),
            "on_time",
            "due",
            _("closed on time ÷ due"),
            _(
                "On-time rate = cases closed on or before their deadline ÷ due (737 ÷ 972 = "
                "75.82%)."
            ),
        ),
        Kpi(
            "rework_rate",
            _("Rework rate (返工率)"),
            "reworked",
            "closed",
            _("reworked ÷ closed"),
            _("Rework rate = closed cases sent back after a failed verification ÷ closed."),
            higher_is_better=False,
        ),
        Kpi(
            "extension_rate",
            _("Extension rate (延期率)"),
            "extended",
            "due",
            _("extended ÷ due"),
            _("Extension rate = due cases extended at least once ÷ due."),
            higher_is_better=False,
        ),
        Kpi(
            "resolution_rate",
            _("Resolution rate (化解率)"),
            "dispute_resolved",
            "dispute_closed",
            _("disputes resolved ÷ disputes closed"),
            _(
                "Resolution rate (disputes) = disputes closed with the outcome “resolved” ÷ "
                "disputes closed."
            ),
        ),
        Kpi(
            "first_time_rate",
            _("One-time resolution rate (一次性化解率)"),
            "first_time",
            "closed",
            _("closed never reopened nor escalated ÷ closed"),
            _("One-time resolution rate = closed cases never reopened nor escalated ÷ closed."),
        ),
        Kpi(
            "satisfaction",
            _("Satisfaction (满意率)"),
            "satisfied",
            "rated",
            _("(satisfied + basically satisfied) ÷ rated"),
            _(
                "Satisfaction = cases whose latest rating is satisfied or basically satisfied ÷ "
                "cases rated in the period."
            ),
        ),
    ]
}

# The order of the dashboard's cards.
CARD_KPIS = [
    "received",
    "due",
    "closure_rate",
    "on_time_rate",
    "satisfaction",
    "resolution_rate",
    "first_time_rate",
    "rework_rate",
    "extension_rate",
]


def figure(kpi: Kpi | str, counts: dict[str, int]) -> Figure:
    kpi = KPIS[kpi] if isinstance(kpi, str) else kpi
    return Figure(
        kpi,
        counts.get(kpi.numerator, 0),
        counts.get(kpi.denominator, 0) if kpi.denominator else None,
    )


def change(now: float | None, before: float | None) -> float | None:
    """同比 / 环比 = (this − that) ÷ that, in percent; None when `that` is zero or unknown."""
    if now is None or before is None or before == 0:
        return None
    return 100.0 * (now - before) / before


# -- current figures: open cases at the moment asked -----------------------------------
BACKLOG_BANDS = [
    ("d30", _("≤ 30 days"), timedelta(0), timedelta(days=30)),
    ("y1", _("≤ 1 year"), timedelta(days=30), timedelta(days=365)),
    ("y5", _("≤ 5 years"), timedelta(days=365), timedelta(days=5 * 365)),
    ("old", _("> 5 years (积案)"), timedelta(days=5 * 365), None),
]
OVERDUE_DEFINITION = _("Overdue now = open cases whose deadline has passed.")
BACKLOG_DEFINITION = _(
    "Backlog = open cases by age since they were received; older than five years is 积案."
)


def q_open() -> Q:
    return Q(state=FactState.OPEN)


def q_overdue(now: datetime, *, among_open: bool = False) -> Q:
    """Overdue now: open, and the deadline has passed (`among_open`: the second part only,
    for a query already narrowed to open cases)."""
    q = Q(due_at__lt=now)
    return q if among_open else q_open() & q


def q_backlog(band: str, now: datetime, *, among_open: bool = False) -> Q:
    """Backlog band: open, received between the band's ages ago."""
    for code, _name, young, old in BACKLOG_BANDS:
        if code == band:
            q = Q(received_at__lte=now - young)
            if old is not None:
                q &= Q(received_at__gt=now - old)
            return q if among_open else q_open() & q
    raise KeyError(band)
