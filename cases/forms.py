"""Forms of the case pages: they parse and check shapes; the services decide the rest.

A service's `CaseError` is put back on the form (`add_case_error`) so a page shows the
services' own message next to the field it names.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.choices import (
    Channel,
    FeedbackMethod,
    Outcome,
    PartyRole,
    Priority,
    Rating,
    Status,
)
from cases.errors import CaseError
from cases.models import Case, CaseType, Category
from cases.services import scoped_key
from org import access
from org.models import Unit
from pingan.text import strip_controls
from territory.choices import Level
from territory.models import Area

REASON_MAX = 2000
PHONE_CHARS = set("0123456789+- ")
# Channels a member of staff enters by hand (the others arrive by their own interfaces).
STAFF_CHANNELS = [
    Channel.CLERK,
    Channel.HOTLINE,
    Channel.RECEPTION_DAY,
    Channel.GRID_WORKER,
    Channel.ONLINE,
    Channel.PETITION_OFFICE,
    Channel.POLICE,
]
# What a resident may report on the public page.
PUBLIC_CASE_TYPES = ("request", "hazard", "rental")
PARTY_ROWS = 2
DATE_INPUT = forms.DateInput(attrs={"type": "date"})


class TextField(forms.CharField):
    """A CharField whose text loses its control characters (pingan/text.py); a NUL is
    refused by Django's own validator, naming the field."""

    def to_python(self, value):
        return strip_controls(super().to_python(value))


def add_case_error(form: forms.Form, exc: CaseError, aliases: dict[str, str] | None = None):
    """Put a service's error on the form: on the field it names, else on the whole form."""
    aliases = aliases or {}
    errors = exc.errors or {"": exc.message}
    for key, message in errors.items():
        name = aliases.get(key, key)
        if name.startswith("parties["):  # parties[0].phone → party0_phone
            index, _dot, attr = name[len("parties[") :].partition("].")
            name = f"party{index}_{attr or 'role'}"
        form.add_error(name if name in form.fields else None, message)


def error_summary(form: forms.Form) -> list[str]:
    """Every error with the name of its field in front: '标题: required'."""
    lines = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        lines += [f"{label}: {e}" if label else str(e) for e in errors]
    return lines


def _phone(value: str) -> str:
    value = value.strip()
    if value and not set(value) <= PHONE_CHARS:
        raise forms.ValidationError(_("Only digits, spaces, + and - please."))
    return value


def category_choices(case_types=None, *, blank=None) -> list:
    """Categories grouped by case type, children under their parents, by code."""
    qs = Category.objects.filter(is_active=True, case_type__is_active=True).select_related(
        "case_type", "parent"
    )
    if case_types is not None:
        qs = qs.filter(case_type__in=case_types)
    groups: dict[str, list] = {}
    for c in qs.order_by("case_type__code", "code"):
        groups.setdefault(c.case_type.name, []).append(
            (c.code, f"{c.parent.name} › {c.name}" if c.parent_id else c.name)
        )
    choices = list(groups.items())
    return ([("", blank)] + choices) if blank is not None else choices


class PointFields(forms.Form):
    """Longitude and latitude, both or neither (the map picker fills them)."""

    lon = forms.FloatField(
        label=_("Longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    lat = forms.FloatField(
        label=_("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )

    def clean(self):
        data = super().clean()
        lon, lat = data.get("lon"), data.get("lat")
        if "lon" not in self.errors and "lat" not in self.errors and (lon is None) != (lat is None):
            self.add_error(
                "lon" if lon is None else "lat", _("Give both longitude and latitude, or neither.")
            )
        return data


class IntakeForm(PointFields):
    """A member of staff enters a case (call, walk-in, reception day, patrol...)."""

    case_type = forms.ModelChoiceField(
        label=_("Case type"),
        queryset=CaseType.objects.filter(is_active=True),
        to_field_name="code",
        required=False,
        empty_label=_("— from the category —"),
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    category_prefilled = TextField(required=False, widget=forms.HiddenInput)
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(c.value, c.label) for c in STAFF_CHANNELS],
        initial=Channel.CLERK,
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )
    title = TextField(label=_("Title"), max_length=200)
    text = TextField(
        label=_("Description"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    address = TextField(label=_("Address"), max_length=300, required=False)
    client_key = TextField(required=False, max_length=80, widget=forms.HiddenInput)

    field_order = [
        "case_type",
        "category",
        "channel",
        "priority",
        "title",
        "text",
        "address",
        "lon",
        "lat",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices(blank=_("— decide from the text —"))
        if not self.is_bound:
            self.initial.setdefault("client_key", uuid.uuid4().hex)
        for i in range(PARTY_ROWS):
            self.fields[f"party{i}_role"] = forms.ChoiceField(
                label=_("Role"),
                choices=PartyRole.choices,
                initial=PartyRole.REPORTER if i == 0 else PartyRole.RESPONDENT,
            )
            self.fields[f"party{i}_name"] = TextField(
                label=_("Name"), max_length=50, required=False
            )
            self.fields[f"party{i}_phone"] = TextField(
                label=_("Phone"), max_length=30, required=False
            )
            self.fields[f"party{i}_id_number"] = TextField(
                label=_("ID number"), max_length=18, required=False
            )
            self.fields[f"party{i}_email"] = forms.EmailField(
                label=_("E-mail"), max_length=254, required=False
            )

    def limit_categories(self, case_type: CaseType | None) -> None:
        if case_type is not None:
            self.fields["category"].choices = category_choices(
                [case_type], blank=_("— decide from the text —")
            )

    def clean(self):
        data = super().clean()
        for i in range(PARTY_ROWS):
            key = f"party{i}_phone"
            if data.get(key):
                try:
                    data[key] = _phone(data[key])
                except forms.ValidationError as exc:
                    self.add_error(key, exc)
        return data

    def party_rows(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"party{i}_{f}"] for f in ("role", "name", "phone", "id_number", "email")]
            for i in range(PARTY_ROWS)
        ]

    def parties(self) -> list[dict]:
        rows = []
        for i in range(PARTY_ROWS):
            values = {
                f: self.cleaned_data.get(f"party{i}_{f}", "")
                for f in ("name", "phone", "id_number", "email")
            }
            if any(values.values()):
                rows.append({"role": self.cleaned_data[f"party{i}_role"], **values})
        return rows

    def service_kwargs(self, scope: str) -> dict:
        """intake_case's arguments; the form's key is kept in `scope` (`user:<id>`)."""
        d = self.cleaned_data
        return {
            "case_type": d.get("case_type"),
            "category": d.get("category") or None,
            "channel": d["channel"],
            "priority": d["priority"],
            "title": d["title"],
            "text": d.get("text", ""),
            "address": d.get("address", ""),
            "lon": d.get("lon"),
            "lat": d.get("lat"),
            "parties": self.parties(),
            "client_key": scoped_key(scope, d.get("client_key")),
        }


class PublicReportForm(PointFields):
    """A resident reports a problem: no login, strictly checked."""

    category = forms.ChoiceField(label=_("What kind of problem"))
    title = TextField(label=_("In one sentence"), max_length=200)
    text = TextField(
        label=_("Description"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    address = TextField(label=_("Address"), max_length=300, required=False)
    name = TextField(label=_("Your name (optional)"), max_length=50, required=False)
    phone = TextField(label=_("Your phone (optional)"), max_length=30, required=False)
    client_key = TextField(required=False, max_length=80, widget=forms.HiddenInput)

    field_order = ["category", "title", "text", "address", "lon", "lat", "name", "phone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        types = CaseType.objects.filter(code__in=PUBLIC_CASE_TYPES, is_active=True)
        self.fields["category"].choices = category_choices(types, blank=_("— choose —"))
        if not self.is_bound:
            self.initial.setdefault("client_key", uuid.uuid4().hex)

    def clean_phone(self):
        return _phone(self.cleaned_data.get("phone", ""))

    def service_kwargs(self, scope: str) -> dict:
        """intake_case's arguments; the form's key is kept in the browser session's `scope`,
        so a key known to a stranger never reaches this resident's case, nor theirs."""
        d = self.cleaned_data
        parties = []
        if d.get("name") or d.get("phone"):
            parties.append(
                {"role": PartyRole.REPORTER, "name": d.get("name", ""), "phone": d.get("phone", "")}
            )
        return {
            "category": d["category"],
            "channel": Channel.RESIDENT_WEB,
            "title": d["title"],
            "text": d.get("text", ""),
            "address": d.get("address", ""),
            "lon": d.get("lon"),
            "lat": d.get("lat"),
            "parties": parties,
            "client_key": scoped_key(scope, d.get("client_key")),
        }


class TrackForm(forms.Form):
    number = TextField(label=_("Case number"), max_length=24)
    code = TextField(
        label=_("Private code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_number(self):
        return self.cleaned_data["number"].strip()

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()


class PublicRateForm(TrackForm):
    rating = forms.ChoiceField(
        label=_("How satisfied are you with the result?"),
        choices=Rating.choices,
        widget=forms.RadioSelect,
    )
    comment = TextField(
        label=_("Comment"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CaseFilterForm(forms.Form):
    """The list's filters; `params()` feeds `selectors.filter_cases` (list, export, API)."""

    q = TextField(label=_("Search"), max_length=100, required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    case_type = forms.ChoiceField(label=_("Case type"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    area = forms.ChoiceField(label=_("Area"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    received_from = forms.DateField(label=_("Received from"), required=False, widget=DATE_INPUT)
    received_to = forms.DateField(label=_("Received to"), required=False, widget=DATE_INPUT)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        anything = ("", _("any"))
        self.fields["status"].choices = [anything, *Status.choices]
        self.fields["case_type"].choices = [
            anything,
            *CaseType.objects.filter(is_active=True).values_list("code", "name"),
        ]
        self.fields["category"].choices = category_choices(blank=_("any"))
        self.fields["channel"].choices = [anything, *Channel.choices]
        self.fields["area"].choices = [anything, *area_choices(user)]

    def clean(self):
        data = super().clean()
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", _("The end comes before the start."))
        return data

    def params(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "", False)}


def area_choices(user) -> list:
    """The user's streets and communities (what the area filter may narrow to)."""
    if user is None:
        return []
    areas = (
        access.restrict(
            Area.objects.filter(level__in=[Level.STREET, Level.COMMUNITY]), user, field="code"
        )
        .order_by("code")
        .values_list("code", "name", "level")
    )
    streets: dict[str, str] = {}
    groups: dict[str, list] = {}
    for code, name, level in areas:
        if level == Level.STREET:
            streets[code] = name
            groups.setdefault(code, []).append((code, name))
        else:
            groups.setdefault(code[:9], []).append((code, f"· {name}"))
    if not streets:  # a community-scoped user: just their communities
        return [c for rows in groups.values() for c in rows]
    return [(streets.get(k, k), rows) for k, rows in groups.items()]


class RevealForm(forms.Form):
    reason = TextField(label=_("Why do you need to see it?"), max_length=200)


# -- the action forms on a case page -----------------------------------------------------------
ACTION_LABELS = {
    "accept": _("Accept"),
    "reject": _("Reject"),
    "classify": _("Set the category"),
    "assign": _("Assign"),
    "co_assign": _("Add a co-handling unit"),
    "start": _("Start work"),
    "resolve": _("Resolve"),
    "return": _("Return to dispatch"),
    "transfer": _("Transfer"),
    "escalate": _("Escalate one level"),
    "supervise": _("Order supervision"),
    "request_extension": _("Request an extension"),
    "extend": _("Extend the deadline"),
    "pause": _("Wait on the resident"),
    "resume": _("Resume"),
    "merge": _("Merge into another case"),
    "verify": _("Result verified"),
    "verify_failed": _("Verification failed"),
    "rate": _("Record the resident's rating"),
    "contact_failed": _("Resident could not be reached"),
    "reopen": _("Reopen"),
    "close": _("Close"),
    "comment": _("Add a note"),
}
# (field, required) per action; "reason" is the text every event carries.
ACTION_FIELDS: dict[str, tuple[tuple[str, bool], ...]] = {
    "accept": (("reason", False),),
    "reject": (("reason", True),),
    "classify": (("category", True), ("reason", False)),
    "assign": (("unit", True), ("reason", False)),
    "co_assign": (("unit", True), ("reason", False)),
    "start": (),
    "resolve": (("outcome", True), ("reason", True)),
    "return": (("reason", True),),
    "transfer": (("unit", True), ("reason", True)),
    "escalate": (("reason", True),),
    "supervise": (("due_at", True), ("reason", True)),
    "request_extension": (("amount", True), ("reason", True)),
    "extend": (("amount", True), ("reason", True)),
    "pause": (("reason", True),),
    "resume": (),
    "merge": (("into", True), ("reason", True)),
    "verify": (("reason", False),),
    "verify_failed": (("reason", True),),
    "rate": (("rating", True), ("method", True), ("comment", False)),
    "contact_failed": (("method", True), ("reason", True)),
    "reopen": (("reason", True),),
    "close": (("reason", False),),
    "comment": (("reason", True),),
}
REASON_LABELS = {
    "resolve": _("What was done"),
    "supervise": _("Instruction"),
    "comment": _("Note"),
    "verify": _("What you found"),
    "verify_failed": _("What is still wrong"),
}


def unit_choices(case: Case, *, exclude: set[int] | frozenset = frozenset()) -> list:
    """Active units of the case's own district, street and community, nearest first."""
    codes = [case.area_code[:n] for n in (6, 9, 12) if n <= len(case.area_code)]
    units = (
        Unit.objects.filter(is_active=True, area__code__in=codes)
        .exclude(pk__in=exclude)
        .select_related("area")
        .order_by("-area__code", "kind", "name")
    )
    groups: dict[str, list] = {}
    for u in units:
        groups.setdefault(u.area.name, []).append((u.pk, u.name))
    return list(groups.items())


class ActionForm(forms.Form):
    """One lifecycle action on one case; the fields are those its service takes."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, action: str, case: Case, *args, working_units=frozenset(), **kwargs):
        self.action, self.case = action, case
        kwargs.setdefault("prefix", action)
        kwargs.setdefault("initial", {}).setdefault("version", case.version)
        super().__init__(*args, **kwargs)
        self.label = ACTION_LABELS[action]
        for name, required in ACTION_FIELDS[action]:
            self.fields[name] = self._field(name, required, working_units)

    def _field(self, name: str, required: bool, working_units) -> forms.Field:
        action, case = self.action, self.case
        if name == "reason":
            return TextField(
                label=REASON_LABELS.get(action, _("Reason")),
                max_length=REASON_MAX,
                required=required,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        if name == "unit":
            exclude = (
                set(working_units)
                if action == "co_assign"
                else (
                    {case.owner_unit_id} if action == "transfer" and case.owner_unit_id else set()
                )
            )
            field = forms.TypedChoiceField(
                label=_("Unit"), coerce=int, choices=unit_choices(case, exclude=exclude)
            )
            if action == "assign" and case.owner_unit_id:
                self.initial.setdefault("unit", case.owner_unit_id)
            return field
        if name == "category":
            self.initial.setdefault("category", case.category.code if case.category else "")
            return forms.ChoiceField(
                label=_("Category"), choices=category_choices([case.case_type_id])
            )
        if name == "outcome":
            return forms.ChoiceField(
                label=_("Outcome"), choices=Outcome.choices, initial=Outcome.RESOLVED
            )
        if name == "due_at":
            self.initial.setdefault(
                "due_at",
                (timezone.localtime() + timedelta(days=3))
                .replace(second=0, microsecond=0)
                .strftime("%Y-%m-%dT%H:%M"),
            )
            return forms.DateTimeField(
                label=_("Answer by"),
                input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
            )
        if name == "amount":
            return forms.IntegerField(
                label=_("Extra time (in the deadline's own unit)"), min_value=1, max_value=365
            )
        if name == "into":
            return TextField(label=_("Case number to merge into"), max_length=24)
        if name == "rating":
            return forms.ChoiceField(label=_("Rating"), choices=Rating.choices)
        if name == "method":
            return forms.ChoiceField(
                label=_("How"),
                choices=[(m.value, m.label) for m in (FeedbackMethod.CALL, FeedbackMethod.VISIT)],
            )
        if name == "comment":
            return TextField(
                label=_("Comment"),
                max_length=2000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        raise ValueError(name)

    def service_kwargs(self) -> dict:
        """Keyword arguments for `services.ACTIONS[action]` (besides the case and actor)."""
        d = self.cleaned_data
        kw = {"version": d["version"]}
        names = {n for n, _r in ACTION_FIELDS[self.action]}
        if "reason" in names:
            kw["reason"] = d.get("reason", "")
        if "unit" in names:
            kw["unit"] = d["unit"]
        if "category" in names:
            kw["category"] = d["category"]
        if "outcome" in names:
            kw["outcome"] = d["outcome"]
        if "due_at" in names:
            kw["due_at"] = d["due_at"]
        if "amount" in names:
            kw["amount"] = d["amount"]
        if "into" in names:
            kw["into"] = d["into"].strip()
        if "rating" in names:
            kw.update(rating=d["rating"], method=d["method"], comment=d.get("comment", ""))
        elif "method" in names:
            kw["method"] = d["method"]
        return kw
