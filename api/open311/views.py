"""Open311 GeoReport v2 endpoints: parse, read through the public selectors or call intake,
render. Reads are public (the spec); creating a request needs an api_key."""

from __future__ import annotations

import functools

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from api.open311 import mapping, params, selectors
from api.open311.render import FORMATS, Open311Error, error_response, respond
from cases import services
from cases.choices import Channel
from cases.errors import CaseError, CaseInputError, CaseNotFound, IdempotencyConflict


def open311(*methods: str):
    """Check the format and method; answer every failure in the spec's error format."""
    allowed = (*methods, "HEAD") if "GET" in methods else methods

    def wrap(view):
        @functools.wraps(view)
        def run(request, *args, fmt: str = "xml", **kwargs):
            try:
                if fmt not in FORMATS:
                    raise params.bad("format", _("xml or json, not %s") % fmt)
                if request.method not in allowed:
                    raise params.bad("method", _("use %s") % " or ".join(methods), 405)
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as error:
                response = error_response(fmt, error)
                if error.status == 405:
                    response["Allow"] = ", ".join(allowed)
                return response

        return run

    return wrap


def _paged(qs, request):
    page, size = params.page(request.GET)
    return list(qs[(page - 1) * size : page * size])


@open311("GET")
def discovery(request, fmt):
    formats = ["text/xml", "application/json"]
    return respond(
        fmt,
        "discovery",
        {
            "changeset": mapping.CHANGESET,
            "contact": _("Contact the district's comprehensive governance center (综治中心)."),
            "key_service": _(
                "API keys are issued by the platform administrator (API tokens in the admin); each key acts as one integration."
            ),
            "endpoints": [
                {
                    "specification": mapping.SPECIFICATION,
                    "url": request.build_absolute_uri(reverse("open311:root")).rstrip("/"),
                    "changeset": mapping.CHANGESET,
                    "type": "test" if settings.DEBUG else "production",
                    "formats": formats,
                }
            ],
        },
    )


@open311("GET")
def service_list(request, fmt):
    params.jurisdiction(request.GET)
    return respond(fmt, "services", [mapping.service_row(s) for s in mapping.public_services()])


@open311("GET")
def service_definition(request, service_code, fmt):
    params.jurisdiction(request.GET)
    service = mapping.find_service(service_code)
    if service is None:
        raise params.bad("service_code", _("no service %s") % service_code, 404)
    return respond(fmt, "service_definition", mapping.service_definition(service))


@csrf_exempt
@open311("GET", "POST")
def service_requests(request, fmt):
    if request.method == "POST":
        return _create_request(request, fmt)
    query = request.GET
    jurisdiction = params.jurisdiction(query)
    numbers = params.request_ids(query)
    if numbers:
        qs = selectors.search_requests(jurisdiction, numbers=numbers)
    else:
        by_update = bool(query.get("updated_after") or query.get("updated_before"))
        qs = selectors.search_requests(
            jurisdiction,
            services=params.services(query),
            statuses=params.statuses(query),
            requested=params.window(query, "start_date", "end_date", default=not by_update),
            updated=params.window(query, "updated_after", "updated_before", default=False),
        )
    return _requests_document(fmt, _paged(selectors.with_public_events(qs), request))


@open311("GET")
def service_request(request, request_id, fmt):
    jurisdiction = params.jurisdiction(request.GET)
    case = selectors.public_case(jurisdiction, request_id)
    if case is None:
        raise params.bad("service_request_id", _("no request %s") % request_id, 404)
    return _requests_document(fmt, [case])


@open311("GET")
def request_updates(request, fmt):
    """The request-updates extension FixMyStreet reads (servicerequestupdates)."""
    jurisdiction = params.jurisdiction(request.GET)
    start, end = params.window(request.GET, "start_date", "end_date", default=True)
    events = _paged(selectors.request_updates(jurisdiction, start, end), request)
    return respond(fmt, "service_request_updates", [mapping.update_row(e) for e in events])


@open311("GET")
def token(request, token_id, fmt):
    params.jurisdiction(request.GET)
    raise params.bad(
        "token",
        _("no token %s: every service is realtime, POST returns the service_request_id") % token_id,
        404,
    )


@open311("GET", "POST")
def not_found(request, path, fmt="xml"):
    raise params.bad("url", _("no such resource: see discovery.xml"), 404)


def _requests_document(fmt, cases):
    names = selectors.area_names(mapping.area_codes_for(cases))
    rows = [mapping.request_row(c, c.public_events, names) for c in cases]
    return respond(fmt, "service_requests", rows)


def _create_request(request, fmt):
    # The spec sends everything in the body; some clients put api_key or jurisdiction_id
    # in the query string. The body wins.
    form = request.GET.copy()
    form.update(request.POST)
    params.clean_form(form)
    user = params.api_user(form)
    jurisdiction = params.jurisdiction(form)
    new = params.new_request(form, jurisdiction)
    new.client_key = params.idempotency_key(request, form, user)
    kwargs = new.intake_kwargs()
    if new.media_url:
        kwargs["event_data"] = {"media_url": new.media_url}
    try:
        result = services.intake_case(channel=Channel.OPEN311, actor=user, **kwargs)
    except IdempotencyConflict as error:
        raise params.bad(
            "idempotency_key",
            _("this %s was already used with a different request") % "idempotency_key",
            422,
        ) from error
    except CaseInputError as error:
        raise Open311Error(400, *params.intake_problems(error.errors)) from error
    except CaseNotFound as error:
        # The key's integration may not report at this place: a key problem, so 403.
        raise params.bad(
            "api_key", _("this api_key may not report requests at this place"), 403
        ) from error
    except CaseError as error:
        raise Open311Error(400, params.problem(error.field or "request", error.message)) from error
    return respond(
        fmt,
        "service_requests",
        [mapping.created_row(result.case)],
        status=201 if result.created else 200,
    )
