"""Per-integration API tokens: each acts as a (service) user, so it has that user's scope."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    name = models.CharField(_("integration"), max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("acts as"), on_delete=models.CASCADE,
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
        token = cls.objects.create(name=name, user=user, prefix=raw[:8],
                                   token_hash=hash_token(raw))
        return token, raw

    @classmethod
    def authenticate(cls, raw: str):
        """The user a raw token acts as, or None."""
        if not raw:
            return None
        token = cls.objects.select_related("user").filter(
            token_hash=hash_token(raw), is_active=True, user__is_active=True
        ).first()
        if token is None:
            return None
        cls.objects.filter(pk=token.pk).update(last_used_at=models.functions.Now())
        return token.user
