"""The measures' query parameters: area, period and filters, validated (400 names the field)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.choices import Channel
from cases.models import CaseType, Category
from measures import periods
from measures.report import Filters

KIND_CHOICES = [
    ("day", _("Day")),
    ("week", _("Week")),
    ("month", _("Month")),
    ("quarter", _("Quarter")),
    ("year", _("Year")),
    ("custom", _("Custom")),
]


class MeasureForm(forms.Form):
    """Which figures: an area (code), a period (spec, or kind + a day in it) and filters."""

    area = forms.CharField(label=_("Area"), max_length=15, required=False)
    period = forms.CharField(label=_("Period"), max_length=30, required=False)
    kind = forms.ChoiceField(label=_("Period"), choices=KIND_CHOICES, required=False)
    day = forms.DateField(
        label=_("Day in the period"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    case_type = forms.ChoiceField(label=_("Case type"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        anything = ("", _("any"))
        self.fields["case_type"].choices = [
            anything,
            *CaseType.objects.filter(is_active=True).values_list("code", "name"),
        ]
        self.fields["category"].choices = [
            anything,
            *Category.objects.filter(is_active=True).order_by("code").values_list("code", "name"),
        ]
        self.fields["channel"].choices = [anything, *Channel.choices]

    def clean_area(self) -> str | None:
        code = self.cleaned_data.get("area", "")
        if code in ("", None):
            return None
        if code == "all":
            return ""
        if not (code.isascii() and code.isdigit()) or len(code) not in (6, 9, 12, 15):
            raise forms.ValidationError(_("an area code of 6, 9, 12 or 15 digits"))
        return code

    def clean(self):
        data = super().clean()
        spec = data.get("period")
        try:
            if spec:
                data["period_obj"] = periods.parse(spec)
            else:
                kind = data.get("kind") or "month"
                day = data.get("day") or timezone.localdate()
                if kind == "custom":
                    until = data.get("until") or day
                    data["period_obj"] = periods.parse(f"{day.isoformat()}..{until.isoformat()}")
                else:
                    data["period_obj"] = periods.within_years(periods.of_kind(kind, day))
        except periods.PeriodError as exc:
            self.add_error(
                "until" if data.get("kind") == "custom" and not spec else "period", str(exc)
            )
        return data

    def filters(self) -> Filters:
        d = self.cleaned_data
        return Filters(
            case_type=CaseType.objects.filter(code=d["case_type"]).first()
            if d.get("case_type")
            else None,
            category=Category.objects.filter(code=d["category"]).first()
            if d.get("category")
            else None,
            channel=d.get("channel") or "",
        )


def first_error(form: forms.Form) -> str:
    for field, errors in form.errors.items():
        return f"{field}: {errors[0]}"
    return ""
