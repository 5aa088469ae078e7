"""Bench-only endpoints (served only under bench.settings): a ping and a bare case insert."""

from __future__ import annotations

import json
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from api.models import ApiToken
from cases.choices import Location
from cases.models import Case, CaseType

_case_type_id: dict[str, int] = {}


def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
@require_POST
def bare_case(request: HttpRequest) -> HttpResponse:
    """The floor under intake: the same token check and JSON, then one INSERT of a case row
    (no locating, classifying, deduplicating, routing, deadline, event or notification)."""
    header = request.headers.get("Authorization", "")
    if ApiToken.authenticate(header.removeprefix("Bearer ").strip()) is None:
        return JsonResponse({"detail": "unauthorised"}, status=401)
    data = json.loads(request.body)
    if "id" not in _case_type_id:
        _case_type_id["id"] = CaseType.objects.get(code="request").pk
    case = Case.objects.create(
        number=f"BARE-{uuid.uuid4().hex[:16]}", case_type_id=_case_type_id["id"],
        title=data["title"], text=data.get("text", ""), lon=data.get("lon"),
        lat=data.get("lat"), address=data.get("address", ""),
        area_code=settings.PINGAN_DISTRICT_CODE, location=Location.NO_POINT,
        channel=data.get("channel", "online"), received_at=timezone.now(),
    )
    return JsonResponse({"number": case.number}, status=201)
