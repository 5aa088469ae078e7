"""Choices for crowd safety: zone and sensor kinds, alert kinds, responders and their status."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from crowd.alerts import AlertKind as EngineAlertKind
from crowd.dispatch import ResponderStatus as EngineResponderStatus
from crowd.levels import Level


class ZoneKind(models.TextChoices):
    SQUARE = "square", _("Square")
    STREET = "street", _("Pedestrian street")
    STEPS = "steps", _("Steps")
    LANE = "lane", _("Narrow lane")
    TERRACE = "terrace", _("Viewing terrace")
    OTHER = "other", _("Other")


class SensorKind(models.TextChoices):
    COUNTER = "counter", _("Entrance/exit line counter")
    HEADCOUNT = "headcount", _("Camera or operator headcount")
    POSITIONS = "positions", _("Anonymous position samples")


class LevelChoice(models.IntegerChoices):
    NORMAL = int(Level.NORMAL), _("normal")
    ATTENTION = int(Level.ATTENTION), _("attention")
    CAUTION = int(Level.CAUTION), _("caution")
    ALERT = int(Level.ALERT), _("alert")
    SERIOUS = int(Level.SERIOUS), _("serious")


class AlertKind(models.TextChoices):
    """The alert engine's seven event kinds (crowd.alerts.AlertKind), with labels."""

    RAISE = EngineAlertKind.RAISE.value, _("Raised")
    ESCALATE = EngineAlertKind.ESCALATE.value, _("Escalated")
    DEESCALATE = EngineAlertKind.DEESCALATE.value, _("De-escalated")
    CLEAR = EngineAlertKind.CLEAR.value, _("Cleared")
    EARLY_WARNING = EngineAlertKind.EARLY_WARNING.value, _("Early warning")
    SENSOR_SILENT = EngineAlertKind.SENSOR_SILENT.value, _("Sensor silent")
    SENSOR_RESTORED = EngineAlertKind.SENSOR_RESTORED.value, _("Sensor restored")


# Kinds an operator must acknowledge; the others are news that needs no answer.
ACK_KINDS = (AlertKind.RAISE, AlertKind.ESCALATE, AlertKind.EARLY_WARNING, AlertKind.SENSOR_SILENT)
# Kinds that carry a zone's alert level (one of them is open while the zone is in alert).
LEVEL_KINDS = (AlertKind.RAISE, AlertKind.ESCALATE, AlertKind.DEESCALATE)


class ResponderKind(models.TextChoices):
    STATION = "station", _("Safety station")
    UNIT = "unit", _("Minimum emergency unit")
    PATROL = "patrol", _("Patrol")


class Mobility(models.TextChoices):
    """How a responder moves; the keys are crowd.dispatch.DEFAULT_KINDS."""

    FOOT = "foot", _("On foot")
    BICYCLE = "bicycle", _("Bicycle")
    VEHICLE = "vehicle", _("Vehicle")


class ResponderStatus(models.TextChoices):
    AVAILABLE = EngineResponderStatus.AVAILABLE.value, _("Available")
    DISPATCHED = EngineResponderStatus.DISPATCHED.value, _("Dispatched")
    ON_SCENE = EngineResponderStatus.ON_SCENE.value, _("On scene")
    OFF_DUTY = EngineResponderStatus.OFF_DUTY.value, _("Off duty")


class DispatchStep(models.TextChoices):
    """A dispatched responder's steps after being sent: each is timed."""

    ACKNOWLEDGE = "acknowledge", _("Acknowledged")
    ON_SCENE = "on_scene", _("On scene")
    CLEAR = "clear", _("Cleared")
