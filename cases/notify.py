"""Outbox delivery: in-app notifications need nothing; other media go through a sender.

A sender is a function `(notification) -> None` that raises on failure; which sender serves
which medium is the PINGAN_NOTIFY_SENDERS setting (dotted paths), so a district can plug
in its SMS gateway without touching the engine."""

from __future__ import annotations

import json
import logging
import urllib.request

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from cases.models import Notification
from pingan.redact import scrub

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def send_email(notification: Notification) -> None:
    user = notification.recipient
    if user is None or not user.email:
        raise ValueError("recipient has no email address")
    # Out of the system: the case title in the subject is scrubbed (pingan.redact).
    subject = scrub(notification.subject)
    send_mail(subject, scrub(notification.body) or subject, None, [user.email])


def send_sms_log(notification: Notification) -> None:
    """Stand-in SMS sender: logs instead of sending (wire a gateway in production)."""
    log.warning("SMS to user %s: %s", notification.recipient_id, scrub(notification.subject))


def send_webhook(notification: Notification) -> None:
    url = settings.PINGAN_WEBHOOK_URL
    if not url:
        raise ValueError("PINGAN_WEBHOOK_URL is not set")
    body = json.dumps(
        {
            "subject": scrub(notification.subject),
            "case": notification.case.number if notification.case_id else None,
            "unit": notification.unit_id,
            "recipient": notification.recipient_id,
            "created_at": notification.created_at.isoformat(),
        }
    ).encode()
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (configured URL)
        if response.status >= 300:
            raise ValueError(f"webhook answered {response.status}")


def deliver_outbox(limit: int = 200) -> dict[str, int]:
    """Send pending notifications. Each row is claimed with a conditional update first, so
    two workers never send the same message twice."""
    sent = failed = 0
    pending = (
        Notification.objects.exclude(medium=Notification.Medium.IN_APP)
        .filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        .order_by("created_at")
        .values_list("pk", "attempts")[:limit]
    )
    for pk, attempts in list(pending):
        with transaction.atomic():
            claimed = Notification.objects.filter(
                pk=pk, attempts=attempts, sent_at__isnull=True
            ).update(attempts=F("attempts") + 1)
        if not claimed:
            continue
        notification = Notification.objects.select_related("recipient", "case").get(pk=pk)
        try:
            sender = import_string(settings.PINGAN_NOTIFY_SENDERS[notification.medium])
            sender(notification)
        except Exception as exc:  # a sender's failure is recorded and retried, never fatal
            Notification.objects.filter(pk=pk).update(error=str(exc)[:1000])
            failed += 1
        else:
            Notification.objects.filter(pk=pk).update(sent_at=timezone.now(), error="")
            sent += 1
    return {"sent": sent, "failed": failed}
