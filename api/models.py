"""Per-integration API tokens: each acts as a (service) user, so it has that user's scope."""

from __future__ import annotations

import hashlib
import secrets
import time

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from org.reference import Cached


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    name = models.CharField(_("integration"), max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acts as"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    prefix = models.CharField(_("prefix"), max_length=8, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, *, name: str, user) -> tuple[ApiToken, str]:
        """Create a token; the raw value is returned once and only its hash is kept."""
        raw = "pa_" + secrets.token_urlsafe(32)
        token = cls.objects.create(name=name, user=user, prefix=raw[:8], token_hash=hash_token(raw))
        return token, raw

    @classmethod
    def authenticate(cls, raw: str):
        """The user a raw token acts as, or None.

        A known token is answered from memory (org/reference.py: a revoked token, a
        deactivated user or a changed membership holds within the recheck interval): each
        request gets its own user object, pre-filled with the memberships and unit it acts
        with. `last_used_at` is written at most once a minute per process."""
        if not raw:
            return None
        digest = hash_token(raw)
        known = _principals.get()
        principal = known.get(digest)
        if principal is None:
            token = (
                cls.objects.select_related("user")
                .filter(token_hash=digest, is_active=True, user__is_active=True)
                .first()
            )
            if token is None:
                return None  # unknown tokens are not remembered: nobody can fill the cache
            principal = known[digest] = _Principal.of(token)
        now = time.monotonic()
        if now - principal.touched >= TOUCH_SECONDS:
            principal.touched = now
            cls.objects.filter(pk=principal.token_id).update(last_used_at=models.functions.Now())
        return principal.user()

    def revoke(self) -> None:
        self.is_active = False
        self.save(update_fields=["is_active"])


TOUCH_SECONDS = 60.0


class _Principal:
    """What a token acts as, kept between requests: the user's row and what access and the
    case services would read about it (memberships, the unit and name its events show)."""

    def __init__(self, token_id: int, user, grants, actor):
        self.token_id = token_id
        self.model = type(user)
        self.db = user._state.db
        self.names = [f.attname for f in self.model._meta.concrete_fields]
        self.values = tuple(getattr(user, n) for n in self.names)
        self.grants, self.actor = grants, actor
        self.touched = float("-inf")

    @classmethod
    def of(cls, token: ApiToken) -> _Principal:
        from org import access

        user = token.user
        access.scope_codes(user)  # reads the memberships once, onto the user object
        return cls(
            token.pk,
            user,
            tuple(user.__dict__.get("_pingan_grants", ())),
            access.actor_profile(user),
        )

    def user(self):
        user = self.model.from_db(self.db, self.names, self.values)
        user.__dict__["_pingan_grants"] = list(self.grants)
        user.__dict__["_pingan_actor"] = self.actor
        return user


_principals: Cached[dict[str, _Principal]] = Cached("api tokens", dict)
