"""Bench-only endpoints (served only under bench.settings): a ping, group-commit counters and
the bare insert that `pingan bench intake` measures intake against."""

from __future__ import annotations

import os
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import NinjaAPI

from api.auth import token_auth
from api.main import Utf8JSONRenderer
from api.schemas import IntakeIn
from cases.choices import Location
from cases.models import Case, CaseType

_case_type_id: dict[str, int] = {}


def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def group_commit(request: HttpRequest) -> HttpResponse:
    """How this server process has written intakes: transactions and cases (cumulative)."""
    from cases.services import _group_commit

    return JsonResponse(
        {"pid": os.getpid(), "batches": _group_commit.batches, "items": _group_commit.items}
    )


# The floor under intake: the same server, the same API framework, token check, request
# schema and JSON reply as POST /api/v1/cases — then one INSERT of a case row (no locating,
# classifying, deduplicating, routing, deadline, event, rollups or notification).
bare_api = NinjaAPI(
    urls_namespace="bench",
    auth=[token_auth],
    renderer=Utf8JSONRenderer(),
    docs_url=None,
    openapi_url=None,
)


@bare_api.post("/bare-cases", response={201: dict})
def bare_case(request: HttpRequest, payload: IntakeIn):
    if "id" not in _case_type_id:
        _case_type_id["id"] = CaseType.objects.get(code="request").pk
    case = Case.objects.create(
        number=f"BARE-{uuid.uuid4().hex[:16]}",
        case_type_id=_case_type_id["id"],
        title=payload.title,
        text=payload.text,
        lon=payload.lon,
        lat=payload.lat,
        address=payload.address,
        area_code=settings.PINGAN_DISTRICT_CODE,
        location=Location.NO_POINT,
        channel=payload.channel.value,
        received_at=timezone.now(),
    )
    return 201, {"number": case.number}
