"""The scorecard's indicators are configured here; facts and rollups are never edited."""

from django import forms
from django.contrib import admin

from measures.definitions import KPIS
from measures.models import Indicator


class IndicatorForm(forms.ModelForm):
    measure = forms.ChoiceField(choices=[(k.code, k.name) for k in KPIS.values()])

    class Meta:
        model = Indicator
        fields = [
            "score_list",
            "name",
            "measure",
            "case_type",
            "category",
            "channel",
            "direction",
            "target",
            "weight",
            "band_a",
            "band_b",
            "band_c",
            "order",
            "is_active",
        ]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    form = IndicatorForm
    list_display = [
        "name",
        "score_list",
        "measure",
        "case_type",
        "category",
        "channel",
        "direction",
        "target",
        "weight",
        "band_a",
        "band_b",
        "band_c",
        "is_active",
    ]
    list_filter = ["score_list", "is_active"]
    list_editable = ["target", "weight", "is_active"]
    ordering = ["score_list", "order"]
