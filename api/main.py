"""The one NinjaAPI behind /api/v1/: authentication, the error shape and the routers."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer

from api.auth import session_auth, token_auth
from cases.errors import CaseError, VersionConflict


class Utf8JSONRenderer(JSONRenderer):
    """Chinese text as itself, not as \\u escapes: readable in curl and a third smaller."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="Pingan API",
    version="1",
    description=(
        "REST API of Pingan (平安). Authenticate with a per-integration token "
        "(`Authorization: Bearer pa_…`, made by `pingan create-token`) or, from the web app, "
        "with the session cookie and the `X-CSRFToken` header. Every error answers "
        '`{"detail", "code", "errors": {field: message}}`.'
    ),
    urls_namespace="api",
    auth=[token_auth, session_auth],
    renderer=Utf8JSONRenderer(),
)

# Ninja's own messages, in our words and through translation.
_STATUS_CODES = {
    400: "invalid_input",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    429: "throttled",
}


def error_response(
    request: HttpRequest, status: int, detail: str, code: str, errors: dict[str, str] | None = None
) -> HttpResponse:
    response = api.create_response(
        request, {"detail": detail, "code": code, "errors": errors or {}}, status=status
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="pingan"'
    return response


@api.exception_handler(CaseError)
def case_error(request: HttpRequest, exc: CaseError) -> HttpResponse:
    errors = exc.errors
    if not errors and isinstance(exc, VersionConflict):
        errors = {"version": exc.message}  # the field a client resends after reloading
    return error_response(request, exc.status, exc.message, exc.code, errors)


@api.exception_handler(AuthenticationError)
def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request,
        401,
        _("Log in, or send a valid token: Authorization: Bearer pa_…"),
        "unauthenticated",
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = exc.status_code
    detail = exc.message
    if detail.startswith("Cannot parse request body"):
        detail = _("The request body is not valid JSON.")
        return error_response(request, 400, detail, "invalid_input", {"body": detail})
    return error_response(request, status, detail, _STATUS_CODES.get(status, "error"))


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    detail = str(exc) if exc.args else _("Not found.")
    return error_response(request, 404, detail, "not_found")


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Ninja's 422 becomes our 400, naming each field (`parties[0].phone`)."""
    errors: dict[str, str] = {}
    for error in exc.errors:
        name = field_name(error.get("loc", ()))
        errors.setdefault(name, error_message(error))
    detail = "; ".join(f"{k}: {v}" for k, v in errors.items())
    return error_response(request, 400, detail, "invalid_input", errors)


_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}
# Names our endpoints give their parameter schemas: not part of a field's name.
_PARAM_NAMES = {"payload", "filters"}


def field_name(loc) -> str:
    parts = list(loc)
    if parts and parts[0] == "query":
        parts = [p for p in parts if not isinstance(p, int)]  # ?status=a&status=b: "status"
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    if parts and parts[0] in _PARAM_NAMES:
        parts = parts[1:]
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        elif name and (
            part in ("str", "int", "float", "bool", "list[str]", "list[int]")
            or part.startswith("function-")
        ):
            continue  # pydantic names the arm of a union it tried (`unit.str`)
        else:
            name += f".{part}" if name else str(part)
    return name or "body"


def error_message(error: dict) -> str:
    """A pydantic error in words a person reads, through translation."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("required")
    if kind == "extra_forbidden":
        return _("unknown field")
    if kind in ("string_too_long", "too_long"):
        return (
            _("at most %d characters") % ctx.get("max_length", 0)
            if kind == "string_too_long"
            else _("at most %d items") % ctx.get("max_length", 0)
        )
    if kind == "string_too_short":
        return (
            _("required")
            if ctx.get("min_length") == 1
            else _("at least %d characters") % ctx.get("min_length", 0)
        )
    if kind == "string_pattern_mismatch":
        return _("not in the expected form")
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = {
            "greater_than_equal": _("at least %s"),
            "greater_than": _("more than %s"),
            "less_than_equal": _("at most %s"),
            "less_than": _("less than %s"),
        }[kind]
        limit = next(iter(ctx.values()), "")
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)  # "at most 180", not "at most 180.0"
        return bound % limit
    if kind in ("enum", "literal_error"):
        return _("one of %s") % ctx.get("expected", "")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _("must be a whole number")
    if kind in ("float_type", "float_parsing", "finite_number"):
        return _("must be a number")
    if kind in ("bool_type", "bool_parsing"):
        return _("must be true or false")
    if kind in ("string_type", "string_unicode"):
        return _("must be text")
    if kind in ("list_type", "tuple_type"):
        return _("must be a list")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("must be an object")
    if kind.startswith("datetime") or kind.startswith("date") or kind.startswith("time"):
        return (
            _("must be a date and time such as 2026-05-01T09:00:00+08:00")
            if kind.startswith("datetime")
            else _("must be a date such as 2026-05-01")
        )
    if kind == "value_error" and isinstance(ctx.get("error"), ValueError):
        return str(ctx["error"])  # our own validators' words (pingan/text.py)
    if kind == "json_invalid":
        return _("not valid JSON")
    return str(error.get("msg", _("invalid")))


api.add_router("/", "api.cases.router", tags=["cases"])
api.add_router("/", "api.territory.router", tags=["territory"])
api.add_router("/crowd/", "crowd.api.router", tags=["crowd"])
