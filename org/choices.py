"""Choices for the org app: kinds of unit and the roles of DESIGN §1."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    DISTRICT_CENTER = "district_center", _("District governance center")
    STREET_CENTER = "street_center", _("Street governance center")
    COMMUNITY_CENTER = "community_center", _("Community governance center")
    STREET_OFFICE = "street_office", _("Street office")
    COMMUNITY_COMMITTEE = "community_committee", _("Community residents' committee")
    GRID_STATION = "grid_station", _("Grid work station")
    POLICE_STATION = "police_station", _("Police station")
    COURT = "court", _("Court")
    PROCURATORATE = "procuratorate", _("Procuratorate")
    JUSTICE_OFFICE = "justice_office", _("Justice office")
    PETITION_OFFICE = "petition_office", _("Petition office")
    EMERGENCY = "emergency", _("Emergency management")
    HOUSING = "housing", _("Housing and urban-rural development")
    URBAN_MANAGEMENT = "urban_management", _("Urban management")
    MARKET_REGULATION = "market_regulation", _("Market regulation")
    ECOLOGY = "ecology", _("Ecology and environment")
    HEALTH = "health", _("Health commission")
    EDUCATION = "education", _("Education commission")
    HUMAN_RESOURCES = "human_resources", _("Human resources and social security")
    TRANSPORT = "transport", _("Transport")
    FIRE_RESCUE = "fire_rescue", _("Fire and rescue")
    OTHER = "other", _("Other department")


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    GRID_WORKER = "grid_worker", _("Grid worker")
    INTAKE_CLERK = "intake_clerk", _("Intake clerk")
    DISPATCHER = "dispatcher", _("Dispatcher")
    HANDLER = "handler", _("Handler")
    LEADER = "leader", _("Leader")
    PETITION_OFFICER = "petition_officer", _("Petition officer")
    CROWD_OPERATOR = "crowd_operator", _("Crowd operator")
    ADMINISTRATOR = "administrator", _("Administrator")
