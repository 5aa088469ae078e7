"""A fixed-window throttle for the public pages (no login), counted in Django's cache.

Each POST counts once per key (the client address, and what else the view names, e.g. the
case number tried); over the limit in the window, the page answers 429 with a translated
message and `Retry-After`. With the default in-process cache the counts are per process: run
several worker processes and an address gets up to that many times the tries (README).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _


def client_address(request) -> str:
    """The address django-axes counts login failures by (`REMOTE_ADDR`)."""
    return request.META.get("REMOTE_ADDR") or ""


def hit(scope: str, key: str, *, limit: int, window: int) -> bool:
    """Count one try of `key` in `scope`; False once over `limit` tries in `window` seconds."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    name = f"throttle:{scope}:{digest}"
    if cache.add(name, 1, timeout=window):
        return limit >= 1
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.add(name, 1, timeout=window)
        count = 1
    return count <= limit


def throttled(scope: str, *, setting: str, keys: Callable | None = None):
    """Throttle a view's POSTs per client address (and per each of `keys(request)`).

    `setting` names a (tries, seconds) pair in settings, read at each request."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                limit, window = getattr(settings, setting)
                names = [f"addr:{client_address(request)}"]
                names += [f"key:{k}" for k in (keys(request) if keys else []) if k]
                # count every key (no short-circuit), so a blocked try still counts for all
                allowed = [hit(scope, n, limit=limit, window=window) for n in names]
                if not all(allowed):
                    response = render(
                        request,
                        "cases/public/throttled.html",
                        {
                            "message": _(
                                "Too many tries. Please wait %(minutes)s minutes and try again."
                            )
                            % {"minutes": max(1, window // 60)},
                        },
                        status=429,
                    )
                    response["Retry-After"] = str(window)
                    response["Cache-Control"] = "no-store"
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def posted_case_number(request) -> list[str]:
    return [(request.POST.get("number") or "").strip().upper()]
