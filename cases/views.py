"""Staff pages of the case engine: parse, select through cases.selectors, call one service.

Every page answers 404 for a case outside the user's territory, exactly as for a number
that does not exist. A service's error comes back as the same page with the error on the
field it names and the service's HTTP status (400 bad input, 403 role, 409 state/conflict).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import classify, exports, selectors, services
from cases.choices import EventKind, Rating, Status
from cases.errors import CaseError, CaseNotFound
from cases.forms import (
    ACTION_FIELDS,
    ActionForm,
    CaseFilterForm,
    IntakeForm,
    RevealForm,
    add_case_error,
    error_summary,
)
from cases.models import Case, CaseEvent, CaseType
from cases.permissions import available_actions, working_unit_ids
from cases.workflow import TRANSITIONS
from org import access, policy
from org.models import Unit
from territory import selectors as territory_selectors
from territory.choices import Level
from territory.locator import get_locator
from territory.models import Area

PAGE_SIZE = 50
BOX_SIZE = 20
BOX_LABELS = {
    "to_dispatch": gettext_lazy("To accept and dispatch"),
    "to_handle": gettext_lazy("To handle"),
    "to_verify": gettext_lazy("To verify on site"),
    "to_close": gettext_lazy("Resolved: to close"),
    "overdue": gettext_lazy("Overdue"),
}
INTAKE_ROLES = set(TRANSITIONS["accept"].roles) | {"handler", "grid_worker"}


# -- helpers that read for a page ---------------------------------------------------------------
def _case_or_404(user, number: str) -> Case:
    try:
        return selectors.get_case(user, number=number)
    except CaseNotFound as exc:
        raise Http404(_("No such case in your territory.")) from exc


def _with_places(cases) -> list[Case]:
    """Attach grid/community/street names (one query for the whole page)."""
    cases = list(cases)
    names = exports.area_names(c.area_code for c in cases)
    for c in cases:
        code = c.grid_code or c.area_code
        c.grid_name = names.get(c.grid_code, "")
        c.community_name = names.get(code[:12], "") if len(code) >= 12 else ""
        c.street_name = names.get(code[:9], "") if len(code) >= 9 else ""
    return cases


# -- my work --------------------------------------------------------------------------------
@login_required
@require_GET
def inbox(request):
    boxes = []
    for key, qs in selectors.inbox(request.user).items():
        boxes.append(
            {
                "key": key,
                "label": BOX_LABELS.get(key, key),
                "count": qs.count(),
                "cases": _with_places(qs.order_by("due_at", "-received_at")[:BOX_SIZE]),
            }
        )
    return render(
        request, "cases/inbox.html", {"boxes": boxes, **_notification_context(request.user)}
    )


def _notification_context(user) -> dict:
    qs = selectors.unit_notifications(user)
    return {"notifications": list(qs[:20]), "unread": qs.filter(read_at__isnull=True).count()}


@login_required
@require_POST
def notifications_read(request):
    ids = None
    if request.POST.get("id"):
        try:
            ids = [int(request.POST["id"])]
        except ValueError:
            return HttpResponse(_("id: must be a number"), status=400)
    services.mark_notifications_read(user=request.user, ids=ids)
    if request.headers.get("HX-Request"):
        return render(request, "cases/_notifications.html", _notification_context(request.user))
    return redirect("cases:inbox")


# -- the list and its export ------------------------------------------------------------------
def _filtered(request):
    form = CaseFilterForm(request.GET or None, user=request.user)
    qs = selectors.visible_cases(request.user).select_related("case_type", "category", "owner_unit")
    if form.is_bound and not form.is_valid():
        return form, None
    return form, selectors.filter_cases(qs, form.params() if form.is_bound else {})


@login_required
@require_GET
def case_list(request):
    form, qs = _filtered(request)
    if qs is None:
        return render(
            request, "cases/list.html", {"form": form, "errors": error_summary(form)}, status=400
        )
    page = Paginator(qs.order_by("-received_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/list.html",
        {
            "form": form,
            "page": page,
            "cases": _with_places(page.object_list),
            "query": query.urlencode(),
        },
    )


@login_required
@require_GET
def export(request):
    form, qs = _filtered(request)
    if qs is None:
        return render(
            request, "cases/list.html", {"form": form, "errors": error_summary(form)}, status=400
        )
    response = HttpResponse(
        exports.cases_workbook(qs),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"cases-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# -- one case ----------------------------------------------------------------------------------
def _event_detail(event: CaseEvent) -> str:
    """A few words from the event's data worth showing in the timeline."""
    d = event.data or {}
    parts = []
    if d.get("unit_name"):
        parts.append(d["unit_name"])
    if event.kind == EventKind.CLASSIFY and d.get("to"):
        parts.append(f"{d.get('from') or '—'} → {d['to']}")
    for key in ("to_unit", "into", "merged"):
        if d.get(key):
            parts.append(str(d[key]))
    if d.get("to_level"):
        parts.append(str(Level(d["to_level"]).label))
    if d.get("amount"):
        parts.append(_("+%(amount)s") % {"amount": d["amount"]})
    if d.get("rating"):
        parts.append(str(Rating(d["rating"]).label))
    if event.kind == EventKind.INTAKE and d.get("routed_to"):
        unit = Unit.objects.filter(code=d["routed_to"]).values_list("name", flat=True).first()
        parts.append(_("routed to %(unit)s") % {"unit": unit or d["routed_to"]})
    return " · ".join(parts)


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _detail_context(
    request,
    case: Case,
    *,
    bound: ActionForm | None = None,
    reveal_forms: dict | None = None,
    revealed: dict | None = None,
) -> dict:
    user = request.user
    units = working_unit_ids(case)
    actions = available_actions(user, case)
    forms = [
        bound
        if bound is not None and bound.action == a
        else ActionForm(a, case, working_units=units)
        for a in actions
    ]
    if bound is not None and bound.action not in actions:
        forms.insert(0, bound)  # keep the failed form (and its errors) on screen
    events = list(case.events.select_related("actor_unit").order_by("seq"))
    for e in events:
        e.kind_label = _label(EventKind, e.kind)
        e.from_label = _label(Status, e.from_status) if e.from_status else ""
        e.to_label = _label(Status, e.to_status) if e.to_status else ""
        e.detail = _event_detail(e)
        if e.kind == EventKind.INTAKE and not e.actor_label:
            e.actor_label = case.get_channel_display()
    intake = next((e for e in events if e.kind == EventKind.INTAKE), None)
    intake_data = intake.data if intake else {}
    duplicate_scores = dict((n, s) for n, s in intake_data.get("duplicates", []))
    duplicates = [
        (c, duplicate_scores[c.number])
        for c in selectors.visible_cases(user)
        .filter(number__in=list(duplicate_scores))
        .only("number", "title", "status")
    ]
    places = _with_places([case])[0]
    grid = (
        Area.objects.filter(code=case.grid_code).values("geometry").first()
        if case.grid_code
        else None
    )
    map_data = (
        {"lon": case.lon, "lat": case.lat, "grid": grid["geometry"] if grid else None}
        if case.lon is not None or grid
        else None
    )
    reveal_forms = reveal_forms or {}
    parties = list(case.parties.all())
    for p in parties:
        p.reveal_form = reveal_forms.get(p.pk) or RevealForm(prefix=f"reveal{p.pk}")
        p.revealed = (revealed or {}).get(p.pk)
    return {
        "case": places,
        "events": events,
        "parties": parties,
        "assignments": case.assignments.select_related("unit").order_by("assigned_at"),
        "supervisions": case.supervisions.order_by("-created_at"),
        "feedback": case.feedback.order_by("-at"),
        "action_forms": forms,
        "duplicates": duplicates,
        "proposal": intake_data.get("proposal"),
        "map_data": map_data,
        "may_reveal": bool(parties) and selectors.holds(user, case, policy.UNMASK),
        "close_blocked": case.status == Status.RESOLVED
        and "close" not in actions
        and access.can_see_code(user, case.area_code, TRANSITIONS["close"].roles),
    }


@login_required
@require_GET
def detail(request, number: str):
    case = _case_or_404(request.user, number)
    return render(request, "cases/detail.html", _detail_context(request, case))


@login_required
@require_POST
def act(request, number: str, action: str):
    case = _case_or_404(request.user, number)
    if action not in ACTION_FIELDS or action not in services.ACTIONS:
        raise Http404(_("No such action."))
    form = ActionForm(action, case, request.POST, working_units=working_unit_ids(case))
    status = 400
    if form.is_valid():
        try:
            services.ACTIONS[action](case.pk, actor=request.user, **form.service_kwargs())
        except CaseNotFound as exc:
            raise Http404(exc.message) from exc
        except CaseError as exc:
            add_case_error(form, exc)
            status = exc.status
        else:
            messages.success(request, _("%(action)s: done.") % {"action": form.label})
            return redirect("cases:detail", number=case.number)
    case = _case_or_404(request.user, number)  # fresh: someone may have changed it
    context = _detail_context(request, case, bound=form)
    context["failed"] = {
        "action": form.label,
        "errors": error_summary(form),
        "conflict": status == 409,
    }
    return render(request, "cases/detail.html", context, status=status)


@login_required
@require_POST
def reveal(request, number: str, party_id: int):
    """Show a party's personal data once, with a stated reason (audited by the service)."""
    case = _case_or_404(request.user, number)
    if not case.parties.filter(pk=party_id).exists():
        raise Http404(_("No such party."))
    form = RevealForm(request.POST, prefix=f"reveal{party_id}")
    status, revealed = 400, None
    if form.is_valid():
        try:
            revealed = {
                party_id: services.reveal_party(
                    party_id, actor=request.user, reason=form.cleaned_data["reason"]
                )
            }
            status = 200
        except CaseNotFound as exc:
            raise Http404(exc.message) from exc
        except CaseError as exc:
            add_case_error(form, exc)
            status = exc.status
    context = _detail_context(request, case, reveal_forms={party_id: form}, revealed=revealed)
    response = render(request, "cases/detail.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


# -- intake ------------------------------------------------------------------------------------
def _picker_outlines(user) -> list[dict]:
    """Outlines the map picker draws: the children of the user's top areas."""
    out = []
    for top in territory_selectors.top_areas(user)[:20]:
        children = list(territory_selectors.children_of(top)) or [top]
        out += [{"code": a.code, "name": a.name, "geometry": a.geometry} for a in children]
    return out


@login_required
@require_http_methods(["GET", "POST"])
def new(request):
    form = IntakeForm(request.POST or None)
    status = 200
    if form.is_bound:
        form.limit_categories(_case_type_of(request.POST.get("case_type")))
        if form.is_valid():
            try:
                result = services.intake_case(
                    actor=request.user, **form.service_kwargs(f"user:{request.user.pk}")
                )
            except CaseError as exc:
                add_case_error(form, exc)
                status = exc.status
            else:
                messages.success(
                    request, _("Case %(number)s received.") % {"number": result.case.number}
                )
                return redirect("cases:detail", number=result.case.number)
        else:
            status = 400
    return render(
        request,
        "cases/new.html",
        {
            "form": form,
            "errors": error_summary(form) if form.is_bound else [],
            "outlines": _picker_outlines(request.user),
            "threshold": settings.PINGAN_TRIAGE_THRESHOLD,
        },
        status=status,
    )


def _case_type_of(code) -> CaseType | None:
    return CaseType.objects.filter(code=str(code or ""), is_active=True).first()


@login_required
@require_POST
def propose(request):
    """htmx: the category block of the intake form, with triage's proposal for the text."""
    title = request.POST.get("title", "")[:200]
    text = request.POST.get("text", "")[:5000]
    case_type = _case_type_of(request.POST.get("case_type"))
    chosen = request.POST.get("category", "")
    prefilled = request.POST.get("category_prefilled") == "1"
    proposal = None
    if (title + text).strip():
        proposal = classify.propose(title, text, case_type_id=case_type.pk if case_type else None)
    if not chosen or prefilled:
        # The person has not picked one: the proposal fills in only above the threshold.
        if proposal is not None and proposal.prefill:
            chosen, prefilled = proposal.category.code, True
        else:
            chosen, prefilled = "", False
    form = IntakeForm(
        initial={
            "category": chosen,
            "category_prefilled": "1" if prefilled else "",
            "case_type": case_type,
        }
    )
    form.limit_categories(case_type)
    return render(
        request,
        "cases/_category_block.html",
        {
            "form": form,
            "proposal": proposal,
            "prefilled": prefilled,
            "threshold": settings.PINGAN_TRIAGE_THRESHOLD,
        },
    )


@login_required
@require_GET
def locate(request):
    """Which grid a point falls in (an htmx fragment, or JSON when asked for it)."""
    want_json = (
        "application/json" in request.headers.get("Accept", "")
        or request.GET.get("format") == "json"
    )
    try:
        lon, lat = float(request.GET["lon"]), float(request.GET["lat"])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError
    except (KeyError, ValueError):
        message = _("lon, lat: give both as numbers in range")
        if want_json:
            return JsonResponse({"error": message, "field": "lon"}, status=400)
        return render(request, "cases/_locate.html", {"error": message})
    code = get_locator().locate(lon, lat)
    info: dict = {"lon": lon, "lat": lat, "inside": bool(code)}
    if code:
        names = dict(
            Area.objects.filter(code__in=[code[:9], code[:12], code]).values_list("code", "name")
        )
        info.update(
            grid={"code": code, "name": names.get(code, "")},
            community={"code": code[:12], "name": names.get(code[:12], "")},
            street={"code": code[:9], "name": names.get(code[:9], "")},
        )
    area = code or settings.PINGAN_DISTRICT_CODE
    info["in_your_territory"] = request.user.is_superuser or access.can_see_code(
        request.user, area, INTAKE_ROLES
    )
    if want_json:
        return JsonResponse(info, json_dumps_params={"ensure_ascii": False})
    return render(request, "cases/_locate.html", {"info": info})
