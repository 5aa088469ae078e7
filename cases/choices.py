"""Choices for the case engine: statuses, channels, priorities, event kinds, ratings."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    MERGED = "merged", _("Merged")


OPEN_STATUSES = (
    Status.RECEIVED,
    Status.ACCEPTED,
    Status.ASSIGNED,
    Status.IN_PROGRESS,
    Status.RESOLVED,
)
FINAL_STATUSES = (Status.REJECTED, Status.CLOSED, Status.MERGED)


class Channel(models.TextChoices):
    RESIDENT_WEB = "resident_web", _("Resident (web)")
    GRID_WORKER = "grid_worker", _("Grid worker")
    CLERK = "clerk", _("Clerk entry")
    RECEPTION_DAY = "reception_day", _("Grid reception day")
    HOTLINE = "hotline", _("Hotline")
    ONLINE = "online", _("Online message")
    PETITION_OFFICE = "petition_office", _("Petition office")
    POLICE = "police", _("Police non-emergency transfer")
    OPEN311 = "open311", _("Open311")
    IMPORT = "import", _("Import")
    CROWD = "crowd", _("Crowd board")  # a serious crowd alert files its own case


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Location(models.TextChoices):
    LOCATED = "located", _("In a grid")
    OUTSIDE = "outside", _("Outside every grid")
    NO_POINT = "no_point", _("No point given")
    REPORTER_GRID = "reporter_grid", _("Reporter's grid")


class DeadlineState(models.TextChoices):
    OK = "ok", _("On time")
    WARNING = "warning", _("Due soon")
    OVERDUE = "overdue", _("Overdue")


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    PARTLY = "partly", _("Partly resolved")
    NOT_RESOLVED = "not_resolved", _("Not resolved")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASIC = "basic", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class FeedbackMethod(models.TextChoices):
    ONLINE = "online", _("Online (by the resident)")
    CALL = "call", _("Phone call")
    VISIT = "visit", _("Visit")


class PartyRole(models.TextChoices):
    REPORTER = "reporter", _("Reporter")
    APPLICANT = "applicant", _("Applicant")
    RESPONDENT = "respondent", _("Respondent")


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("Lead unit")
    CO = "co", _("Co-handling unit")


class EventKind(models.TextChoices):
    INTAKE = "intake", _("Received")
    ACCEPT = "accept", _("Accepted")
    REJECT = "reject", _("Rejected")
    CLASSIFY = "classify", _("Category changed")
    ASSIGN = "assign", _("Assigned")
    CO_ASSIGN = "co_assign", _("Co-handling unit added")
    START = "start", _("Work started")
    RESOLVE = "resolve", _("Resolved")
    RETURN = "return", _("Returned")
    TRANSFER = "transfer", _("Transferred")
    ESCALATE = "escalate", _("Escalated")
    SUPERVISE = "supervise", _("Supervision ordered")
    REQUEST_EXTENSION = "request_extension", _("Extension requested")
    EXTEND = "extend", _("Deadline extended")
    DENY_EXTENSION = "deny_extension", _("Extension refused")
    PAUSE = "pause", _("Waiting on the resident")
    RESUME = "resume", _("Resumed")
    MERGE = "merge", _("Merged")
    REOPEN = "reopen", _("Reopened")
    VERIFY = "verify", _("Verified")
    VERIFY_FAILED = "verify_failed", _("Verification failed")
    RATE = "rate", _("Rated")
    CONTACT_FAILED = "contact_failed", _("Contact failed")
    CLOSE = "close", _("Closed")
    COMMENT = "comment", _("Note")
    DEADLINE_WARNING = "deadline_warning", _("Deadline near")
    OVERDUE = "overdue", _("Overdue")
    REVEAL = "reveal", _("Personal data shown")
