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
    # Reads the audit trail of its territory and nothing else: no case, no unmasking
    # (a leader unmasks, so a leader reading only the trail of their own unmasks is weak).
    AUDITOR = "auditor", _("Auditor")


class AccessAction(models.TextChoices):
    UNIT_CREATED = "unit_created", _("Unit created")
    UNIT_CHANGED = "unit_changed", _("Unit changed")
    UNIT_DEACTIVATED = "unit_deactivated", _("Unit deactivated")
    UNIT_DELETED = "unit_deleted", _("Unit deleted")
    MEMBERSHIP_GRANTED = "membership_granted", _("Membership granted")
    MEMBERSHIP_CHANGED = "membership_changed", _("Membership changed")
    MEMBERSHIP_REVOKED = "membership_revoked", _("Membership revoked")
    PERSON_CREATED = "person_created", _("Person created")
    PERSON_CHANGED = "person_changed", _("Person changed")
    PERSON_DELETED = "person_deleted", _("Person deleted")
    USER_CREATED = "user_created", _("Login created")
    USER_CHANGED = "user_changed", _("Login's rights changed")
    USER_DELETED = "user_deleted", _("Login deleted")
