"""The audit page's filter form: bad input is a 400 naming the field."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from org.selectors import CHANGE, UNMASK, AuditFilter


class AuditFilterForm(forms.Form):
    person = forms.CharField(label=_("Person"), max_length=100, required=False)
    area = forms.CharField(
        label=_("Area code"),
        max_length=15,
        required=False,
        validators=[RegexValidator(r"^[0-9]{6,15}$", _("An area code is 6 to 15 digits."))],
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("Everything")), (UNMASK, _("Unmasks")), (CHANGE, _("Access changes"))],
    )

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end comes before the start."))
        return data

    def audit_filter(self) -> AuditFilter:
        d = self.cleaned_data
        return AuditFilter(
            person=d.get("person", "").strip(),
            area=d.get("area", ""),
            since=d.get("since"),
            until=d.get("until"),
            kind=d.get("kind", ""),
        )
