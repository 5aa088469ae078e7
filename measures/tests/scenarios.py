"""Drive cases through the real services along varied lives, at historical times."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.utils import timezone

from cases import services
from cases.models import Case

CATEGORIES = [
    ("hazard", "hazard-storage"),
    ("hazard", "hazard-road"),
    ("dispute", "dispute-neighbour"),
    ("dispute", "dispute-property"),
    ("request", "request-env-noise"),
    ("request", "request-traffic"),
    ("petition", "petition-other"),
]
CHANNELS = ["grid_worker", "hotline", "resident_web", "online", "reception_day"]
PATHS = [
    "ok",
    "ok",
    "late",
    "unsatisfied",
    "rework",
    "escalate",
    "reject",
    "open",
    "extended",
    "merge",
    "contact",
    "partly",
]


def live(
    actor,
    grid,
    *,
    received: datetime,
    path: str,
    case_type: str,
    category: str,
    channel: str,
    title: str = "楼道堆放杂物",
) -> Case:
    """One case from intake along `path`; every step at its own time after `received`."""
    r = services.intake_case(
        title=title,
        channel=channel,
        case_type=case_type,
        category=category,
        lon=grid.centroid_lon,
        lat=grid.centroid_lat,
        received_at=received,
    )
    case = r.case
    pk = case.pk
    t = received
    hop = timedelta(hours=5)

    def step():
        nonlocal t
        t = t + hop
        return t

    if path == "reject":
        services.reject_case(pk, actor=actor, reason="不属于受理范围", at=step())
        return Case.objects.get(pk=pk)
    services.accept_case(pk, actor=actor, at=step())
    if path == "merge":
        other = services.intake_case(
            title=title,
            channel=channel,
            case_type=case_type,
            category=category,
            lon=grid.centroid_lon,
            lat=grid.centroid_lat,
            received_at=t,
        ).case
        services.merge_case(pk, actor=actor, into=other.number, reason="同一问题", at=step())
        return Case.objects.get(pk=pk)
    if path == "escalate" and Case.objects.get(pk=pk).escalation_level != "district":
        services.escalate_case(pk, actor=actor, reason="调解不成", at=step())
    services.assign_case(pk, actor=actor, unit=f"{grid.code[:9]}-office", at=step())
    services.start_case(pk, actor=actor, at=step())
    if path == "open":
        return Case.objects.get(pk=pk)
    if path == "extended":
        services.extend_case(pk, actor=actor, amount=3, reason="需协调", at=step())
    if path == "late":
        due = Case.objects.get(pk=pk).due_at
        t = max(t, due) + timedelta(days=2)
    outcome = "partly" if path == "partly" else "resolved"
    services.resolve_case(pk, actor=actor, reason="已处理", outcome=outcome, at=step())
    if path == "rework":
        services.verify_case(pk, actor=actor, passed=False, reason="未处理完", at=step())
        services.resolve_case(pk, actor=actor, reason="再次处理", at=step())
    services.verify_case(pk, actor=actor, reason="核查", at=step())
    if path == "contact":
        services.record_contact_failed(pk, actor=actor, reason="无人接听", at=step())
    elif path == "unsatisfied":
        services.rate_case(pk, rating="unsatisfied", public_code=r.public_code, at=step())
        services.resolve_case(pk, actor=actor, reason="重新处理", at=step())
        services.verify_case(pk, actor=actor, reason="核查", at=step())
        services.rate_case(pk, rating="basic", public_code=r.public_code, at=step())
    else:
        services.rate_case(pk, rating="satisfied", public_code=r.public_code, at=step())
    services.close_case(pk, actor=actor, at=step())
    return Case.objects.get(pk=pk)


def populate(
    actor, grids, n: int, *, seed: int = 7, start: datetime | None = None, days: int = 400
) -> list[Case]:
    rng = random.Random(seed)
    start = start or timezone.make_aware(datetime(2025, 1, 1, 9))
    out = []
    for i in range(n):
        case_type, category = rng.choice(CATEGORIES)
        received = start + timedelta(days=rng.randrange(days), hours=rng.randrange(10))
        out.append(
            live(
                actor,
                rng.choice(grids),
                received=received,
                path=PATHS[i % len(PATHS)],
                case_type=case_type,
                category=category,
                channel=rng.choice(CHANNELS),
            )
        )
    return out
