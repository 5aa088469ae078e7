"""Encryption at rest for parties' personal data, and the masks used to show it."""

from __future__ import annotations

import base64
import hashlib
import logging
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from pingan.redact import mask_email, mask_id_number, mask_name, mask_phone

# The masks live in pingan/redact.py (one place for every redaction); re-exported here.
__all__ = [
    "EncryptedTextField",
    "decrypt",
    "encrypt",
    "mask_email",
    "mask_id_number",
    "mask_name",
    "mask_phone",
]
log = logging.getLogger(__name__)
PREFIX = "enc1:"


@lru_cache(maxsize=4)
def _fernet(keys: str, secret: str) -> MultiFernet:
    """Fernet keys from PINGAN_FIELD_KEY (comma-separated; the first encrypts, all decrypt)."""
    material = [k.strip() for k in keys.split(",") if k.strip()]
    if not material:
        # Embedded default only: derive a key from SECRET_KEY so a laptop demo works.
        material = [base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()).decode()]
    try:
        return MultiFernet([Fernet(k.encode()) for k in material])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "PINGAN_FIELD_KEY must be Fernet keys (32 url-safe base64 bytes), comma-separated"
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(settings.PINGAN_FIELD_KEY, settings.SECRET_KEY)


def encrypt(value: str) -> str:
    if not value:
        return ""
    return PREFIX + fernet().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    if not value:
        return ""
    if not value.startswith(PREFIX):
        return value
    try:
        return fernet().decrypt(value[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        log.error("a personal-data field could not be decrypted: wrong PINGAN_FIELD_KEY?")
        return ""


class EncryptedTextField(models.TextField):
    """Text stored encrypted (Fernet); Python code sees plain text."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else ""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else ""
