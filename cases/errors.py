"""Errors the case services raise; the web, API and Open311 layers map them to 4xx."""

from __future__ import annotations


class CaseError(Exception):
    """Base: `status` is the HTTP status an interface should answer with."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str = "", errors: dict[str, str] | None = None):
        self.message = str(message)
        self.field = field
        self.errors = errors or ({field: self.message} if field else {})
        super().__init__(self.message)


class CaseInputError(CaseError):
    """Bad input: `errors` maps each field to what is wrong with it."""

    status = 400
    code = "invalid_input"

    def __init__(self, errors: dict[str, str]):
        message = "; ".join(f"{k}: {v}" for k, v in errors.items())
        super().__init__(message, errors=errors, field=next(iter(errors), ""))


class CaseNotFound(CaseError):
    """No such case — or not in the actor's territory, which must look exactly the same."""

    status = 404
    code = "not_found"


class ActionForbidden(CaseError):
    """The actor may see the case but holds no role that may take this action."""

    status = 403
    code = "forbidden"


class TransitionNotAllowed(CaseError):
    """The action is not allowed from the case's current state."""

    status = 409
    code = "transition_not_allowed"


class VersionConflict(CaseError):
    """Someone else changed the case first; reload and try again."""

    status = 409
    code = "conflict"


class IdempotencyConflict(CaseError):
    """The idempotency key was already used, by the same caller, with a different request."""

    status = 422
    code = "idempotency_key_reused"
