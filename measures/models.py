"""The measures' own tables: one fact row per case, the rollups, and the scorecard's indicators.

Nothing here is typed in by hand except the scorecard's configuration: `CaseFact` is folded
from each case's events and `Rollup` is a sum of facts; both are rebuilt from the events by
`pingan rebuild-rollups`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# Rollup.grain
DAY, MONTH = "d", "m"


class FactState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged")


class CaseFact(models.Model):
    """One case as the measures see it: its dimensions (from the case row) and the moments
    that count (folded from its events). Dates (`*_on`) are local calendar days."""

    # No database constraint: the fact table is a projection rebuilt in bulk (COPY), and a
    # deferred foreign-key check on millions of rows would only slow the rebuild.
    case = models.OneToOneField(
        "cases.Case",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    area_code = models.CharField(max_length=15)
    case_type_id = models.IntegerField()
    category_id = models.IntegerField(default=0)  # 0: no category
    channel = models.CharField(max_length=20)
    state = models.CharField(max_length=10, choices=FactState.choices, default=FactState.OPEN)
    received_at = models.DateTimeField()
    received_on = models.DateField()
    due_at = models.DateTimeField(null=True)
    # The day the case falls due for the measures (应结案): its deadline, or the day it was
    # closed if that came first; none for rejected or merged cases (see definitions.due).
    due_on = models.DateField(null=True)
    closed_at = models.DateTimeField(null=True)
    on_time = models.BooleanField(default=False)
    outcome = models.CharField(max_length=15, blank=True)
    reopens = models.PositiveSmallIntegerField(default=0)
    escalations = models.PositiveSmallIntegerField(default=0)
    reworks = models.PositiveSmallIntegerField(default=0)
    extensions = models.PositiveSmallIntegerField(default=0)
    rating = models.CharField(max_length=12, blank=True)
    rated_at = models.DateTimeField(null=True)
    rated_on = models.DateField(null=True)
    last_seq = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["area_code", "received_on"], name="fact_area_received"),
            # a few days anywhere, then the area inside the index: odd days at either end
            # of a period for a large area
            models.Index(fields=["received_on", "area_code"], name="fact_received_area"),
            models.Index(fields=["due_on", "area_code"], name="fact_due_area"),
            models.Index(fields=["rated_on", "area_code"], name="fact_rated_area"),
            models.Index(
                fields=["area_code", "due_at"],
                name="fact_open_due",
                condition=models.Q(state="open"),
            ),
            # open cases now (overdue, backlog by age) answered from the index alone
            models.Index(
                fields=["area_code", "received_at"],
                name="fact_open_age",
                include=["due_at"],
                condition=models.Q(state="open"),
            ),
            models.Index(
                fields=["due_at"], name="fact_open_due_at", condition=models.Q(state="open")
            ),
        ]

    def __str__(self) -> str:
        return f"fact {self.case_id} ({self.state})"


MEASURE_COLUMNS = (
    "received",
    "due",
    "closed",
    "on_time",
    "extended",
    "reworked",
    "first_time",
    "dispute_closed",
    "dispute_resolved",
    "rated",
    "satisfied",
)


class Rollup(models.Model):
    """Sums of case facts per area, day or month, and case type × category × channel.

    `area_code` is the area itself ('' = everywhere), not its grids: one row answers for the
    whole area. Rows with `detail=False` carry the totals over every type, category and
    channel. Which (grain, level, detail) combinations are kept is `rollups.MATERIALISED`;
    every other question is answered from the facts."""

    grain = models.CharField(max_length=1)
    detail = models.BooleanField()
    level = models.PositiveSmallIntegerField()  # length of area_code: 0, 6, 9, 12, 15
    area_code = models.CharField(max_length=15)
    bucket = models.DateField()
    case_type_id = models.IntegerField(default=0)
    category_id = models.IntegerField(default=0)
    channel = models.CharField(max_length=20, blank=True)
    received = models.IntegerField(default=0)
    due = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    extended = models.IntegerField(default=0)
    reworked = models.IntegerField(default=0)
    first_time = models.IntegerField(default=0)
    dispute_closed = models.IntegerField(default=0)
    dispute_resolved = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "grain",
                    "detail",
                    "level",
                    "area_code",
                    "bucket",
                    "case_type_id",
                    "category_id",
                    "channel",
                ],
                name="rollup_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.grain}:{self.area_code or '*'}:{self.bucket}"


class ScoreList(models.TextChoices):
    """一表四单: the report and the four problem lists."""

    REPORT = "report", _("Safety report (平安报表)")
    STABILITY = "stability", _("Stability problems (维稳)")
    PETITIONS = "petitions", _("Petition problems (信访)")
    SAFETY = "safety", _("Work safety and natural disasters (安全生产与自然灾害)")
    ONLINE = "online", _("Online complaints (网络舆情诉求)")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class Indicator(models.Model):
    """One line of the scorecard: a KPI from the definitions module, or a count of cases of
    a type or category; graded A/B/C/D against its bands."""

    score_list = models.CharField(_("list"), max_length=12, choices=ScoreList.choices)
    name = models.CharField(_("name"), max_length=80)
    measure = models.CharField(
        _("measure"),
        max_length=30,
        help_text=_("A KPI from the definitions module (rates and counts alike)."),
    )
    case_type = models.ForeignKey(
        "cases.CaseType",
        verbose_name=_("case type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    category = models.ForeignKey(
        "cases.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    direction = models.CharField(
        _("direction"), max_length=6, choices=Direction.choices, default=Direction.HIGHER
    )
    target = models.FloatField(_("target"))
    weight = models.FloatField(_("weight"), default=1.0)
    band_a = models.FloatField(_("grade A from"))
    band_b = models.FloatField(_("grade B from"))
    band_c = models.FloatField(_("grade C from"))
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("scorecard indicator")
        verbose_name_plural = _("scorecard indicators")
        ordering = ["score_list", "order", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from measures.definitions import MEASURES

        errors = {}
        if self.measure not in MEASURES:
            errors["measure"] = _("unknown measure %s") % self.measure
        bands = [self.band_a, self.band_b, self.band_c]
        if None not in bands:
            ordered = sorted(bands, reverse=self.direction == Direction.HIGHER)
            if bands != ordered:
                errors["band_b"] = _(
                    "grade bands must run from A to C in the indicator's direction"
                )
        if self.weight is not None and self.weight <= 0:
            errors["weight"] = _("must be positive")
        if (
            self.category_id
            and self.case_type_id
            and self.category.case_type_id != self.case_type_id
        ):
            errors["category"] = _("the category is not of this case type")
        if errors:
            raise ValidationError(errors)
