"""Free text coming in: one rule for every write path (docs/api.md, "Text").

- NUL (U+0000) and lone surrogates are refused with a message naming the field: PostgreSQL
  cannot store them ("A string literal cannot contain NUL") and UTF-8 cannot carry a lone
  surrogate, so a silent change would store something else than what was sent.
- Every other control character — C0 except tab, newline and carriage return, DEL, and C1
  (U+0080–U+009F) — is stripped: they are invisible, break XML (Open311) and terminals, and
  arrive mostly from pasted text.

`clean_text(value, field)` applies both and raises `TextError` (a ValueError naming the
field); `RefuseNulMiddleware` refuses a NUL in a URL's path or query string for every page.
"""

from __future__ import annotations

import json
import re

from django.http import HttpResponse
from django.utils.translation import gettext as _

# Stripped: C0 without \t \n \r, DEL, C1.
CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Refused: NUL and lone surrogates.
REFUSED = re.compile("[\x00\ud800-\udfff]")


class TextError(ValueError):
    """A text field holds a character that is refused (not stripped)."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(message)


def refusal(value: str) -> str | None:
    """What is wrong with `value` (a message), or None when it may be stored."""
    m = REFUSED.search(value)
    if m is None:
        return None
    if m.group() == "\x00":
        return _("must not contain a NUL character (U+0000)")
    return _("must not contain a lone surrogate (not valid Unicode)")


def strip_controls(value: str) -> str:
    """`value` without the control characters that are stripped (NUL is not among them)."""
    return CONTROL.sub("", value) if CONTROL.search(value) else value


def clean_text(value, field: str):
    """`value` with control characters stripped; TextError(field) on NUL or a lone
    surrogate. Anything not a str comes back unchanged (callers check types)."""
    if not isinstance(value, str):
        return value
    problem = refusal(value)
    if problem is not None:
        raise TextError(field, problem)
    return strip_controls(value)


def clean_fields(values: dict, fields, errors: dict[str, str], prefix: str = "") -> None:
    """clean_text on each of `fields` of `values` in place; refusals go into `errors`."""
    for name in fields:
        try:
            values[name] = clean_text(values.get(name), prefix + name)
        except TextError as exc:
            errors.setdefault(exc.field, exc.message)


# -- URLs ------------------------------------------------------------------------------------
def querydict_refusal(qd) -> tuple[str, str] | None:
    """(argument, message) for the first NUL or lone surrogate in a QueryDict's names or
    values; a NUL in a name is shown as \\0."""
    for name, values in qd.lists():
        if (problem := refusal(name)) is not None:
            return name.replace("\x00", "\\0"), problem
        for value in values:
            if (problem := refusal(value)) is not None:
                return name, problem
    return None


def url_refusal(request) -> tuple[str, str] | None:
    """(field, message) for a NUL or lone surrogate in the path or a query argument."""
    if (problem := refusal(request.path)) is not None:
        return "path", problem
    return querydict_refusal(request.GET)


class RefuseNulMiddleware:
    """A NUL in a URL answers 400 naming the argument, before any view or query runs it.

    /api/ answers the API's error shape, /open311/ the GeoReport error format, other pages
    plain text."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        found = url_refusal(request)
        if found is None:
            return self.get_response(request)
        field, message = found
        detail = f"{field}: {message}"
        path = request.path_info
        if path.startswith("/api/"):
            body = {"detail": detail, "code": "invalid_input", "errors": {field: message}}
            return HttpResponse(
                json.dumps(body, ensure_ascii=False),
                status=400,
                content_type="application/json; charset=utf-8",
            )
        if path.startswith("/open311/"):
            from api.open311.render import Open311Error, error_response

            fmt = "json" if path.endswith(".json") else "xml"
            return error_response(fmt, Open311Error(400, detail))
        return HttpResponse(detail, status=400, content_type="text/plain; charset=utf-8")
