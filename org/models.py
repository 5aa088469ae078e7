"""Units, people and memberships: who works where, in which role, over which territory."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from org.choices import AccessAction, Role, UnitKind


class Unit(models.Model):
    """An organisation that owns cases: a center, a committee, a department (单位)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=30, choices=UnitKind.choices)
    area = models.ForeignKey(
        "territory.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="units"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    phone = models.CharField(_("duty phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["code"]
        indexes = [models.Index(fields=["kind", "area"], name="unit_kind_area")]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A member of staff. Residents are not people here; they appear only as case parties."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    name = models.CharField(_("name"), max_length=50)
    work_phone = models.CharField(_("work phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A role a person holds in a unit, over a territory scope (an area and all below it)."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    scope = models.ForeignKey(
        "territory.Area",
        verbose_name=_("territory scope"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "unit", "role", "scope"], name="membership_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_role_display()} · {self.unit}"

    def clean(self) -> None:
        unit_area = getattr(self.unit, "area", None)
        scope = getattr(self, "scope", None)
        if (
            unit_area is not None
            and scope is not None
            and not (scope.code.startswith(unit_area.code) or unit_area.code.startswith(scope.code))
        ):
            raise ValidationError(
                {"scope": _("The scope must lie on the unit's own branch of the territory.")}
            )


class Generation(models.Model):
    """The stamp of the reference data that processes keep in memory (units, memberships,
    catalogue, routing rules, tokens — see org/reference.py): replaced by a fresh random value
    in the same transaction as every change, so a process that sees a different stamp knows
    its copy is stale. Random, not a counter: a rolled-back change must never be mistaken
    for a later one that reuses its number."""

    name = models.CharField(max_length=30, primary_key=True)
    stamp = models.CharField(max_length=32)

    class Meta:
        verbose_name = _("reference data generation")
        verbose_name_plural = _("reference data generations")

    def __str__(self) -> str:
        return f"{self.name}: {self.stamp}"


class AccessChange(models.Model):
    """Audit row for every change of who may see what: units, memberships, people and logins'
    rights — who changed it, when, the state before and after, and the area concerned."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("changed by"), max_length=100, blank=True)
    action = models.CharField(_("change"), max_length=30, choices=AccessAction.choices)
    subject_label = models.CharField(_("concerning"), max_length=200)
    person = models.ForeignKey(
        Person,
        verbose_name=_("person"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The area the change concerns (a membership's scope, a unit's area); when a change
    # moves it, the area before too, so both territories' auditors see it.
    area_code = models.CharField(_("area code"), max_length=15, db_index=True)
    previous_area_code = models.CharField(max_length=15, blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)

    class Meta:
        verbose_name = _("access change")
        verbose_name_plural = _("access changes")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.subject_label}"
