"""Public pages (no login): a resident reports a problem, follows it with number + code, rates it.

A wrong number and a wrong code give the very same "not found" answer, so the pages cannot
be used to find out which numbers exist. Nothing here shows staff names or personal data.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cases import selectors, services
from cases.choices import Status
from cases.errors import CaseError, CaseNotFound
from cases.forms import PublicRateForm, PublicReportForm, TrackForm, add_case_error, error_summary
from cases.models import Case
from cases.throttle import posted_case_number, throttled
from territory.choices import Level
from territory.models import Area

SESSION_KEY = "pingan_public_received"
# The report form's idempotency scope: a random value in a signed cookie (30 days).
SCOPE_COOKIE, SCOPE_SALT = "pingan_report", "pingan.report-scope"
SCOPE_AGE = 30 * 24 * 3600


def street_outlines() -> list[dict]:
    """The district's streets, drawn on the public map picker so a resident can find home."""
    streets = Area.objects.filter(
        level=Level.STREET, code__startswith=settings.PINGAN_DISTRICT_CODE
    )
    return [
        {"code": a.code, "name": a.name, "geometry": a.geometry} for a in streets.order_by("code")
    ]


@never_cache
@require_http_methods(["GET", "POST"])
@throttled("report", setting="PINGAN_PUBLIC_REPORT_THROTTLE")
def report(request):
    form = PublicReportForm(request.POST or None)
    # The form's key lives in this browser's own scope, a random value in a signed cookie
    # set with the form page (so a double click's second post carries it too): nobody
    # else's key reaches its case. A cookie, not a session: a visitor who only looks at
    # the form leaves no row behind.
    scope_id = request.get_signed_cookie(
        SCOPE_COOKIE, default=None, salt=SCOPE_SALT
    ) or secrets.token_urlsafe(18)
    scope = services.session_scope(scope_id)
    response = _report_response(request, form, scope)
    response.set_signed_cookie(
        SCOPE_COOKIE,
        scope_id,
        salt=SCOPE_SALT,
        max_age=SCOPE_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


def _report_response(request, form, scope: str):
    status = 200
    if form.is_bound:
        if form.is_valid():
            try:
                result = services.intake_case(**form.service_kwargs(scope))
            except CaseError as exc:
                add_case_error(
                    form, exc, aliases={"parties[0].name": "name", "parties[0].phone": "phone"}
                )
                status = exc.status
            else:
                request.session[SESSION_KEY] = {
                    "number": result.case.number,
                    "code": result.public_code,
                    "again": not result.created,
                }
                return redirect("public:received")
        else:
            status = 400
    return render(
        request,
        "cases/public/report.html",
        {
            "form": form,
            "errors": error_summary(form) if form.is_bound else [],
            "outlines": street_outlines(),
        },
        status=status,
    )


@never_cache
def received(request):
    """The number and the private code, shown once (a reload shows them no more)."""
    shown = request.session.pop(SESSION_KEY, None)
    if shown is None:
        return redirect("public:track")
    return render(request, "cases/public/received.html", {"shown": shown})


def _track_page(
    request,
    form,
    case: Case | None,
    *,
    status: int = 200,
    rate_form=None,
    not_found: bool = False,
    message: str = "",
) -> HttpResponse:
    context = {
        "form": form,
        "case": case,
        "not_found": not_found,
        "message": message,
        "errors": error_summary(form) if form.is_bound and form.errors else [],
        "rate_errors": error_summary(rate_form)
        if rate_form is not None and rate_form.is_bound and rate_form.errors
        else [],
    }
    if case is not None:
        context["timeline"] = selectors.public_timeline(case)
        if case.status == Status.RESOLVED and not case.rating:
            context["rate_form"] = rate_form or PublicRateForm(
                initial={"number": case.number, "code": form.cleaned_data["code"]}
            )
    response = render(request, "cases/public/track.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@throttled("track", setting="PINGAN_PUBLIC_TRACK_THROTTLE", keys=posted_case_number)
def track(request):
    """Number + code (posted, so the code never lands in a URL or a log) → the progress."""
    form = TrackForm(request.POST or None)
    if not form.is_bound:
        return _track_page(request, form, None)
    if not form.is_valid():
        return _track_page(request, form, None, status=400)
    case = selectors.get_public_case(form.cleaned_data["number"], form.cleaned_data["code"])
    if case is None:
        return _track_page(request, form, None, status=404, not_found=True)
    return _track_page(request, form, case)


@require_POST
@throttled("track", setting="PINGAN_PUBLIC_TRACK_THROTTLE", keys=posted_case_number)
def rate(request):
    form = PublicRateForm(request.POST)
    track_form = TrackForm(request.POST)
    if not track_form.is_valid():
        return _track_page(request, track_form, None, status=400)
    case = selectors.get_public_case(
        track_form.cleaned_data["number"], track_form.cleaned_data["code"]
    )
    if case is None:
        return _track_page(request, track_form, None, status=404, not_found=True)
    if not form.is_valid():
        return _track_page(request, track_form, case, status=400, rate_form=form)
    try:
        case = services.rate_case(
            case.pk,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
            public_code=track_form.cleaned_data["code"],
        )
    except CaseNotFound:
        return _track_page(request, track_form, None, status=404, not_found=True)
    except CaseError as exc:
        add_case_error(form, exc)
        return _track_page(request, track_form, case, status=exc.status, rate_form=form)
    return _track_page(request, track_form, case, message=_("Thank you: your rating is recorded."))
