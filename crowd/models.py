"""Venues, zones, sensors and their anonymous readings; alerts, responders and dispatches.

Geometry is GeoJSON in WGS-84 lon/lat, like territory's areas. Nothing here identifies a
person: readings are counts, position samples are counted and dropped on arrival.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crowd.choices import (
    ACK_KINDS,
    AlertKind,
    LevelChoice,
    Mobility,
    ResponderKind,
    ResponderStatus,
    SensorKind,
    ZoneKind,
)
from crowd.levels import DEFAULT_THRESHOLDS


class Venue(models.Model):
    """A place where crowds gather for an event: a square, a pedestrian quarter, a riverside."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    area = models.ForeignKey(
        "territory.Area",
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="crowd_venues",
        help_text=_("Whoever may see this area may see the venue."),
    )
    polygon = models.JSONField(_("outline"), help_text=_("GeoJSON geometry, WGS-84."))
    center_lon = models.FloatField(_("centre longitude"))
    center_lat = models.FloatField(_("centre latitude"))
    # Bumped by every service that changes zones, exits or sensors: a live process
    # rebuilds its estimators when the number it holds is behind.
    layout_version = models.PositiveIntegerField(_("layout version"), default=1)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Zone(models.Model):
    """A part of a venue whose density is watched, with its own thresholds (p/m²)."""

    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.CASCADE, related_name="zones"
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=10, choices=ZoneKind.choices, default=ZoneKind.SQUARE
    )
    polygon = models.JSONField(_("outline"), help_text=_("GeoJSON polygon, WGS-84."))
    center_lon = models.FloatField(_("centre longitude"))
    center_lat = models.FloatField(_("centre latitude"))
    usable_area_m2 = models.FloatField(
        _("usable area (m²)"),
        help_text=_("The outline's area minus stages, barriers, stalls and water."),
    )
    attention = models.FloatField(_("attention from (p/m²)"), default=DEFAULT_THRESHOLDS[0])
    caution = models.FloatField(_("caution from (p/m²)"), default=DEFAULT_THRESHOLDS[1])
    alert = models.FloatField(_("alert from (p/m²)"), default=DEFAULT_THRESHOLDS[2])
    serious = models.FloatField(_("serious from (p/m²)"), default=DEFAULT_THRESHOLDS[3])

    class Meta:
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        ordering = ["venue", "code"]
        constraints = [
            models.UniqueConstraint(fields=["venue", "code"], name="crowd_zone_code_unique"),
            models.CheckConstraint(
                condition=Q(usable_area_m2__gt=0), name="crowd_zone_area_positive"
            ),
            models.CheckConstraint(
                condition=Q(
                    attention__gt=0,
                    caution__gt=F("attention"),
                    alert__gt=F("caution"),
                    serious__gt=F("alert"),
                ),
                name="crowd_zone_thresholds_increasing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.venue.code}/{self.code} {self.name}"

    @property
    def thresholds(self) -> tuple[float, float, float, float]:
        return (self.attention, self.caution, self.alert, self.serious)


class Exit(models.Model):
    """A way out of a zone; the widths cap how fast a zone can drain (forecasts)."""

    zone = models.ForeignKey(
        Zone, verbose_name=_("zone"), on_delete=models.CASCADE, related_name="exits"
    )
    name = models.CharField(_("name"), max_length=100)
    width_m = models.FloatField(_("width (m)"))
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)

    class Meta:
        verbose_name = _("exit")
        verbose_name_plural = _("exits")
        ordering = ["zone", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(width_m__gt=0), name="crowd_exit_width_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.width_m} m)"


class Sensor(models.Model):
    """A source of anonymous counts. `code` is the installation's name, never a person's.

    * counter: passages over a line; `zone` is entered by a forward passage, `from_zone`
      left by it (empty: the outside);
    * headcount: a camera estimate or an operator's count of `zone`;
    * positions: anonymous position samples over the whole venue, counted per zone on
      arrival and dropped; `sample_share` is the share of the crowd the samples cover.
    """

    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.CASCADE, related_name="sensors"
    )
    code = models.SlugField(_("code"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=SensorKind.choices)
    zone = models.ForeignKey(
        Zone,
        verbose_name=_("zone"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sensors",
    )
    from_zone = models.ForeignKey(
        Zone,
        verbose_name=_("from zone"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="outgoing_sensors",
    )
    interval_s = models.FloatField(
        _("reporting interval (s)"),
        default=1.0,
        help_text=_("A counter reading without interval_s covers this long."),
    )
    silent_after_s = models.FloatField(_("silent after (s)"), default=30.0)
    headcount_std_share = models.FloatField(
        _("headcount uncertainty (share)"),
        default=0.1,
        help_text=_("1-σ error as a share of the count: cameras ~0.05, an operator 0.2–0.3."),
    )
    sample_share = models.FloatField(
        _("sampled share of the crowd"),
        default=1.0,
        help_text=_("Position samples: the share of the people they cover."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("sensor")
        verbose_name_plural = _("sensors")
        ordering = ["venue", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    interval_s__gt=0,
                    silent_after_s__gt=0,
                    headcount_std_share__gte=0,
                    sample_share__gt=0,
                    sample_share__lte=1,
                ),
                name="crowd_sensor_settings_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Reading(models.Model):
    """One report of a sensor at `ts`; unique per (sensor, ts), so a resend is harmless.

    counter: `inflow`/`outflow` over the interval ending at `ts`; headcount: `count`;
    positions: `count` = how many samples arrived (the positions themselves are dropped).
    `applied` is false for a reading that came too late to change the estimate.
    """

    sensor = models.ForeignKey(
        Sensor, verbose_name=_("sensor"), on_delete=models.CASCADE, related_name="readings"
    )
    ts = models.DateTimeField(_("time"))
    inflow = models.PositiveIntegerField(_("in"), null=True, blank=True)
    outflow = models.PositiveIntegerField(_("out"), null=True, blank=True)
    count = models.PositiveIntegerField(_("count"), null=True, blank=True)
    applied = models.BooleanField(_("applied"), default=True)

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        constraints = [
            models.UniqueConstraint(fields=["sensor", "ts"], name="crowd_reading_once"),
        ]

    def __str__(self) -> str:
        return f"{self.sensor_id}@{self.ts.isoformat()}"


class ZoneState(models.Model):
    """A snapshot of a zone's estimate (every few seconds of data, and at level changes)."""

    zone = models.ForeignKey(
        Zone, verbose_name=_("zone"), on_delete=models.CASCADE, related_name="states"
    )
    ts = models.DateTimeField(_("time"))
    occupancy = models.FloatField(_("occupancy"))
    occupancy_std = models.FloatField(_("occupancy uncertainty"))
    density = models.FloatField(_("density (p/m²)"))
    level = models.PositiveSmallIntegerField(_("level"), choices=LevelChoice.choices)
    net_rate = models.FloatField(_("net inflow (p/s)"), default=0.0)
    forecast_min = models.FloatField(_("minutes to the next level"), null=True, blank=True)

    class Meta:
        verbose_name = _("zone state")
        verbose_name_plural = _("zone states")
        indexes = [models.Index(fields=["zone", "-ts"], name="crowd_zonestate_latest")]

    def __str__(self) -> str:
        return f"{self.zone_id}@{self.ts.isoformat()} {self.density:.2f}"


class Alert(models.Model):
    """One event of the alert engine as the operators see it.

    Level kinds (raise, escalate, deescalate) stay open until the zone's next level
    event supersedes them, so an alerting zone has exactly one open level alert.
    Early warnings stay open until the zone reaches the level, clears or the horizon
    passes; a silent sensor's alert until it reports again. clear, deescalate and
    sensor_restored need no acknowledgement.
    """

    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.CASCADE, related_name="alerts"
    )
    zone = models.ForeignKey(
        Zone,
        verbose_name=_("zone"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alerts",
    )
    sensor = models.ForeignKey(
        Sensor,
        verbose_name=_("sensor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=LevelChoice.choices)
    previous_level = models.PositiveSmallIntegerField(
        _("previous level"), choices=LevelChoice.choices, default=LevelChoice.NORMAL
    )
    density = models.FloatField(_("density (p/m²)"), null=True, blank=True)
    minutes = models.FloatField(_("forecast minutes"), null=True, blank=True)
    raised_at = models.DateTimeField(_("raised at"), help_text=_("The reading's time."))
    created_at = models.DateTimeField(_("shown at"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crowd_alerts",
    )

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-raised_at", "-pk"]
        indexes = [
            models.Index(fields=["venue", "cleared_at"], name="crowd_alert_open"),
            models.Index(fields=["venue", "-raised_at"], name="crowd_alert_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_level_display()}"

    @property
    def needs_ack(self) -> bool:
        return self.kind in ACK_KINDS


class Responder(models.Model):
    """A safety station, a minimum emergency unit (最小应急单元) or a patrol."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=ResponderKind.choices)
    mobility = models.CharField(
        _("moves"), max_length=10, choices=Mobility.choices, default=Mobility.FOOT
    )
    lon = models.FloatField(_("longitude"), help_text=_("WGS-84"))
    lat = models.FloatField(_("latitude"), help_text=_("WGS-84"))
    area = models.ForeignKey(
        "territory.Area",
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        related_name="crowd_responders",
        help_text=_("Where it is based: who may see it."),
    )
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crowd_responders",
    )
    team_size = models.PositiveSmallIntegerField(_("team size"), default=2)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ResponderStatus.choices,
        default=ResponderStatus.AVAILABLE,
    )
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("responder")
        verbose_name_plural = _("responders")
        ordering = ["code"]
        indexes = [models.Index(fields=["status", "area"], name="crowd_responder_status")]

    def __str__(self) -> str:
        return self.name


class Dispatch(models.Model):
    """A responder sent to an alert (and its case): each step is timed."""

    alert = models.ForeignKey(
        Alert,
        verbose_name=_("alert"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dispatches",
    )
    venue = models.ForeignKey(
        Venue, verbose_name=_("venue"), on_delete=models.CASCADE, related_name="dispatches"
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crowd_dispatches",
    )
    responder = models.ForeignKey(
        Responder,
        verbose_name=_("responder"),
        on_delete=models.PROTECT,
        related_name="dispatches",
    )
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("dispatched by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    distance_m = models.FloatField(_("distance (m)"))
    travel_s = models.FloatField(_("estimated travel time (s)"))
    dispatched_at = models.DateTimeField(_("dispatched at"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    on_scene_at = models.DateTimeField(_("on scene at"), null=True, blank=True)
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        ordering = ["-dispatched_at", "-pk"]
        indexes = [models.Index(fields=["venue", "cleared_at"], name="crowd_dispatch_open")]

    def __str__(self) -> str:
        return f"{self.responder_id} → {self.alert_id}"

    @property
    def acknowledge_s(self) -> float | None:
        if self.acknowledged_at is None:
            return None
        return (self.acknowledged_at - self.dispatched_at).total_seconds()

    @property
    def response_s(self) -> float | None:
        if self.on_scene_at is None:
            return None
        return (self.on_scene_at - self.dispatched_at).total_seconds()
