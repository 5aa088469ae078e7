"""The case engine's tables: every resident problem is a Case with an append-only event log."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.choices import (
    AssignmentRole,
    Channel,
    DeadlineState,
    EventKind,
    FeedbackMethod,
    Location,
    Outcome,
    PartyRole,
    Priority,
    Rating,
    Status,
)
from cases.crypto import (
    EncryptedTextField,
    mask_email,
    mask_id_number,
    mask_name,
    mask_phone,
)
from cases.deadlines import CALENDAR_DAYS, HOURS, WORKING_DAYS, DeadlinePolicy
from org.choices import UnitKind
from territory.choices import Level

DEADLINE_UNITS = [
    (CALENDAR_DAYS, _("calendar days")),
    (WORKING_DAYS, _("working days")),
    (HOURS, _("hours")),
]


class DeadlineFields(models.Model):
    """A deadline policy stored on a row (a case type's, or a category's override)."""

    deadline_amount = models.PositiveIntegerField(_("deadline"), null=True, blank=True)
    deadline_unit = models.CharField(
        _("deadline unit"), max_length=20, choices=DEADLINE_UNITS, blank=True
    )
    warn_fraction = models.FloatField(_("warn at share of the time"), default=0.8)
    max_extension = models.PositiveIntegerField(_("longest extension"), null=True, blank=True)
    max_extensions = models.PositiveSmallIntegerField(_("extensions allowed"), default=1)

    class Meta:
        abstract = True

    def deadline_policy(self) -> DeadlinePolicy | None:
        if not self.deadline_amount or not self.deadline_unit:
            return None
        return DeadlinePolicy(
            self.deadline_amount,
            self.deadline_unit,
            warn_fraction=self.warn_fraction,
            max_extension=self.max_extension if self.max_extensions else None,
            max_extensions=self.max_extensions if self.max_extension else 0,
        )


class CaseType(DeadlineFields):
    """A kind of case on the one engine: dispute, petition, hazard, request, ..."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=50)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("case type")
        verbose_name_plural = _("case types")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Category(DeadlineFields):
    """A node of the category catalogue (tree), with keywords for rule-based classification."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=60)
    case_type = models.ForeignKey(
        CaseType,
        verbose_name=_("case type"),
        on_delete=models.PROTECT,
        related_name="categories",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    keywords = models.TextField(
        _("keywords"), blank=True, help_text=_("Words that suggest this category, one per line.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def keyword_list(self) -> list[str]:
        return [w.strip() for w in self.keywords.replace(",", "\n").splitlines() if w.strip()]

    def effective_policy(self) -> DeadlinePolicy | None:
        node: Category | None = self
        while node is not None:
            policy = node.deadline_policy()
            if policy:
                return policy
            node = node.parent
        return self.case_type.deadline_policy()


class RoutingRule(models.Model):
    """(case type, category, area level) → the kind of unit that owns the case there."""

    case_type = models.ForeignKey(
        CaseType, verbose_name=_("case type"), null=True, blank=True, on_delete=models.CASCADE
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Matches this category and every category below it."),
    )
    area_level = models.CharField(
        _("area level"),
        max_length=10,
        choices=Level.choices,
        blank=True,
        help_text=_("Level at which the owning unit is looked for; blank: the case's grid."),
    )
    unit_kind = models.CharField(_("unit kind"), max_length=30, choices=UnitKind.choices)
    co_unit_kinds = models.CharField(
        _("co-handling unit kinds"),
        max_length=200,
        blank=True,
        help_text=_("Comma-separated unit kinds that co-handle (多跨协同)."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.case_type or '*'} / {self.category or '*'} → {self.unit_kind}"


class CaseCounter(models.Model):
    """The last case number given out per district and year."""

    district_code = models.CharField(max_length=6)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district_code", "year"], name="counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.district_code}-{self.year}: {self.last}"


class Case(models.Model):
    """One resident problem, whatever its type or channel (DESIGN §3)."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    case_type = models.ForeignKey(
        CaseType, verbose_name=_("case type"), on_delete=models.PROTECT, related_name="cases"
    )
    category = models.ForeignKey(  # indexed with received_at below
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,
    )
    category_confidence = models.FloatField(_("category confidence"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("description"), max_length=5000, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    grid_code = models.CharField(_("grid"), max_length=15, blank=True)
    # The case's territory: its grid, or the district when it lies outside every grid.
    area_code = models.CharField(_("area code"), max_length=15, db_index=True)
    location = models.CharField(_("location"), max_length=15, choices=Location.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=15, choices=Status.choices, default=Status.RECEIVED
    )
    owner_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("owning unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_cases",
    )
    received_at = models.DateTimeField(_("received at"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    deadline_state = models.CharField(
        _("deadline state"),
        max_length=10,
        choices=DeadlineState.choices,
        default=DeadlineState.OK,
    )
    calendar_known = models.BooleanField(_("holiday calendar known"), default=True)
    pauses = models.JSONField(_("pauses"), default=list, blank=True)
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    extensions = models.JSONField(_("extensions"), default=list, blank=True)
    escalation_level = models.CharField(_("handled at level"), max_length=10, blank=True)
    escalations = models.PositiveSmallIntegerField(_("escalations"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    rework_count = models.PositiveSmallIntegerField(_("failed verifications"), default=0)
    outcome = models.CharField(_("outcome"), max_length=15, choices=Outcome.choices, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    rating = models.CharField(_("rating"), max_length=12, choices=Rating.choices, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
    )
    # NULL, not "", when absent: the unique constraint must allow many cases without a key.
    # The caller's scope and key (`user:12:retry-7`, see services.scoped_key): a key is only
    # ever met again by the caller who sent it.
    client_key = models.CharField(  # noqa: DJ001
        _("client key"), max_length=160, null=True, blank=True
    )
    # sha256 of the intake's fields as sent with the key: the same key with another request
    # is refused (422), never answered with this case.
    request_hash = models.CharField(max_length=64, blank=True, default="", db_default="")
    public_code_hash = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["client_key"], name="case_client_key_unique"),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="case_status_due"),
            models.Index(fields=["area_code", "status"], name="case_area_status"),
            models.Index(fields=["received_at"], name="case_received"),
            # intake's duplicate search: one category, the last days (and the foreign key's)
            models.Index(fields=["category", "received_at"], name="case_category_received"),
            # ... and near a point: the box of the search radius is read from the index, so
            # the rows fetched are those near it, not every case of the category in the
            # window (13.6 ms → 0.3 ms with 4,000 cases of the category, `pingan bench
            # intake`; a cost that grew with the district's volume)
            models.Index(fields=["category", "lat", "lon", "received_at"], name="case_dedupe_near"),
            models.Index(fields=["deadline_state", "warn_at"], name="case_deadline_sweep"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        from cases.choices import OPEN_STATUSES

        return self.status in OPEN_STATUSES

    @property
    def district_code(self) -> str:
        return self.area_code[:6]


class CaseEvent(models.Model):
    """One change of a case. Append-only: the audit trail and the source of every measure."""

    # indexed by event_seq_unique (case, seq), which serves the foreign key too
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", db_index=False)
    seq = models.PositiveIntegerField()
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    from_status = models.CharField(max_length=15, blank=True)
    to_status = models.CharField(max_length=15, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["case_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="event_seq_unique")]
        indexes = [models.Index(fields=["kind", "at"], name="event_kind_at")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("case events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("case events are append-only")


class Party(models.Model):
    """A person in a case. Name, phone, e-mail and ID number are encrypted and shown masked."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("role"), max_length=12, choices=PartyRole.choices)
    name = EncryptedTextField(_("name"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    id_number = EncryptedTextField(_("ID number"), blank=True)
    email = EncryptedTextField(_("e-mail"), blank=True)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.masked_name}"

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_email(self) -> str:
        return mask_email(self.email)


class PersonalDataAccess(models.Model):
    """Audit row for every unmasking of a party's personal data."""

    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    fields = models.CharField(max_length=60)
    reason = models.CharField(max_length=200)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user_id} → party {self.party_id} ({self.fields})"


class Assignment(models.Model):
    """A unit working the case: the lead unit, or a co-handling unit (多跨协同)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(_("role"), max_length=5, choices=AssignmentRole.choices)
    assigned_at = models.DateTimeField(_("assigned at"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["assigned_at"]
        indexes = [models.Index(fields=["unit", "ended_at"], name="assignment_unit_open")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.unit_id} ({self.role})"


class Supervision(models.Model):
    """督办: a leader's supervision order with its own deadline."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supervisions")
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("instruction"), max_length=2000)
    due_at = models.DateTimeField(_("due at"))
    created_at = models.DateTimeField(_("created at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("supervision")
        verbose_name_plural = _("supervisions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"督办 {self.case_id} by {self.due_at:%Y-%m-%d}"


class Feedback(models.Model):
    """The resident's rating of the result, or a recorded failed attempt to reach them."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="feedback")
    rating = models.CharField(_("rating"), max_length=12, choices=Rating.choices, blank=True)
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    method = models.CharField(_("method"), max_length=10, choices=FeedbackMethod.choices)
    contact_failed = models.BooleanField(_("could not be reached"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.rating or self.method}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"cases/{instance.case.number}/{filename}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path)
    name = models.CharField(_("name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class Notification(models.Model):
    """The outbox: a message to a person or unit; in-app always, other channels pluggable."""

    class Medium(models.TextChoices):
        IN_APP = "in_app", _("In the app")
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        WEBHOOK = "webhook", _("Webhook")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    unit = models.ForeignKey(
        "org.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    medium = models.CharField(max_length=10, choices=Medium.choices, default=Medium.IN_APP)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["medium", "sent_at"], name="notification_outbox")]

    def __str__(self) -> str:
        return self.subject


class TrainingExample(models.Model):
    """A person's category choice for a case: labelled data for the next triage training."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    text = models.TextField(blank=True)
    proposed = models.CharField(max_length=60, blank=True)
    chosen = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.title} → {self.chosen_id}"
