"""Who is calling the API: a per-integration bearer token, or a logged-in browser session."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from api.models import ApiToken


class TokenAuth(HttpBearer):
    """`Authorization: Bearer pa_…`: the token acts as its user, with that user's scope."""

    def authenticate(self, request: HttpRequest, token: str):
        user = ApiToken.authenticate(token.strip())
        if user is None:
            return None
        # Code below the API (services, selectors) reads request.user like any view would.
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The web app's own session. Unsafe methods need the CSRF token, as in any form post.

    A request that carries an Authorization header is judged by its token alone, so a bad
    token answers 401 even from a browser that is also logged in."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest):
        if "Authorization" in request.headers:
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise HttpError(403, _("CSRF check failed: send the X-CSRFToken header."))
        return user

    def authenticate(self, request: HttpRequest, key: str | None):  # pragma: no cover
        return None  # __call__ decides


token_auth = TokenAuth()
session_auth = SessionAuth()
