"""The worker: one round sweeps deadlines and delivers the outbox; twice is harmless."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import translation

from cases.models import Notification
from cases.notify import deliver_outbox

pytestmark = pytest.mark.django_db


def test_a_round_marks_overdue_cases_and_a_second_round_changes_nothing(make_case, capsys):
    case = make_case(category="hazard-fire")  # 24 hours
    with time_machine.travel(case.due_at + timedelta(minutes=5)), translation.override("en"):
        call_command("worker", "--once")
        call_command("worker", "--once")
    out = capsys.readouterr().out
    assert "1 overdue" in out and "0 overdue" in out
    case.refresh_from_db()
    assert case.deadline_state == "overdue"
    assert case.events.filter(kind="overdue").count() == 1


def test_email_notifications_are_sent_once_and_failures_are_kept_for_retry(
    make_case, users, settings
):
    users["handler"].email = "handler@example.org"
    users["handler"].save()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    case = make_case()
    Notification.objects.create(
        recipient=users["handler"], case=case, medium="email", subject="测试通知"
    )
    Notification.objects.create(
        recipient=users["leader"], case=case, medium="email", subject="没有邮箱"
    )
    first = deliver_outbox()
    second = deliver_outbox()
    assert first == {"sent": 1, "failed": 1}
    assert second == {"sent": 0, "failed": 1}
    assert [m.to for m in mail.outbox] == [["handler@example.org"]]
    failed = Notification.objects.get(subject="没有邮箱")
    assert failed.sent_at is None and failed.attempts == 2 and "email" in failed.error
