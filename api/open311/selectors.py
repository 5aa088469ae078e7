"""The public's reads for Open311: cases of public types inside one jurisdiction, nothing else.

GeoReport v2 GET is public (no api_key), so there is no user to scope by: the scope is the
jurisdiction (a district code prefix) and the case types that may be published
(`mapping.PUBLIC_CASE_TYPES`). Every Open311 read of cases and events goes through here.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet

from api.open311 import mapping
from cases.choices import EventKind
from cases.models import Case, CaseEvent
from territory.choices import Level
from territory.models import Area


def jurisdiction_exists(code: str) -> bool:
    return bool(code) and Area.objects.filter(code=code, level=Level.DISTRICT).exists()


def public_cases(jurisdiction: str) -> QuerySet[Case]:
    return Case.objects.filter(
        area_code__startswith=jurisdiction, case_type__code__in=mapping.PUBLIC_CASE_TYPES
    )


def with_public_events(qs: QuerySet[Case]) -> QuerySet[Case]:
    """Cases ready for `mapping.request_row`: their public events in `public_events`."""
    events = (
        CaseEvent.objects.filter(kind__in=[EventKind.INTAKE, *mapping.NOTE_KINDS])
        .only("id", "case_id", "seq", "kind", "reason", "data", "at")
        .order_by("seq")
    )
    return qs.select_related("case_type", "category", "owner_unit").prefetch_related(
        Prefetch("events", queryset=events, to_attr="public_events")
    )


def public_case(jurisdiction: str, number: str) -> Case | None:
    return with_public_events(public_cases(jurisdiction)).filter(number=number).first()


def area_names(codes: set[str]) -> dict[str, str]:
    return dict(Area.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}


def search_requests(
    jurisdiction: str,
    *,
    numbers: list[str] | None = None,
    services: list[mapping.Service] | None = None,
    statuses: list[str] | None = None,
    requested: tuple[datetime | None, datetime | None] = (None, None),
    updated: tuple[datetime | None, datetime | None] = (None, None),
) -> QuerySet[Case]:
    """Public requests, newest first. `numbers` overrides every other filter (the spec)."""
    qs = public_cases(jurisdiction)
    if numbers is not None:
        return qs.filter(number__in=numbers).order_by("-received_at", "-id")
    if services:
        q = Q()
        for service in services:
            if service.category is not None:
                q |= Q(category=service.category)
            else:
                q |= Q(case_type=service.case_type, category__isnull=True)
        qs = qs.filter(q)
    if statuses:
        qs = qs.filter(status__in=[s for o in statuses for s in mapping.statuses_for(o)])
    start, end = requested
    if start is not None:
        qs = qs.filter(received_at__gte=start)
    if end is not None:
        qs = qs.filter(received_at__lte=end)
    after, before = updated
    if after is not None:
        qs = qs.filter(updated_at__gte=after)
    if before is not None:
        qs = qs.filter(updated_at__lte=before)
    return qs.order_by("-received_at", "-id")


def request_updates(jurisdiction: str, start: datetime, end: datetime) -> QuerySet[CaseEvent]:
    """Public events of public requests in [start, end], oldest first."""
    return (
        CaseEvent.objects.filter(
            case__in=public_cases(jurisdiction),
            kind__in=mapping.UPDATE_KINDS,
            at__gte=start,
            at__lte=end,
        )
        .select_related("case")
        .order_by("at", "id")
    )
