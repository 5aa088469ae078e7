"""Errors the crowd services raise; the API and the views map them to 4xx answers."""

from __future__ import annotations

from django.utils.translation import gettext as _


class CrowdError(Exception):
    """Base: `status` is the HTTP status an interface answers with; `errors` names fields."""

    status = 400
    code = "invalid"

    def __init__(
        self, message: str = "", *, field: str = "", errors: dict[str, str] | None = None
    ) -> None:
        self.message = str(message)
        self.field = field
        self.errors = errors or ({field: self.message} if field else {})
        super().__init__(self.message)


class CrowdInputError(CrowdError):
    """Bad input, nothing applied: `errors` maps each field (`readings[3].in`) to its fault."""

    status = 400
    code = "invalid_input"

    def __init__(self, errors: dict[str, str]) -> None:
        shown = list(errors.items())[:20]
        message = "; ".join(f"{k}: {v}" for k, v in shown)
        if len(errors) > len(shown):
            message += " " + _("(and %d more)") % (len(errors) - len(shown))
        super().__init__(message, errors=errors, field=next(iter(errors), ""))


class CrowdNotFound(CrowdError):
    """No such thing — or not in the caller's territory, which must look the same."""

    status = 404
    code = "not_found"

    def __init__(self, message: str = "") -> None:
        super().__init__(message or _("Not found in your territory."))


class CrowdForbidden(CrowdError):
    """The caller may watch this venue but holds no role that may act on it."""

    status = 403
    code = "forbidden"


class CrowdConflict(CrowdError):
    """The action does not fit the current state (already cleared, nobody available…)."""

    status = 409
    code = "conflict"
