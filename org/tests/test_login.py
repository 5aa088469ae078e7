"""Login: argon2 hashes, and throttling of repeated failures (django-axes)."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return get_user_model().objects.create_user("clerk1", password="correct-horse-9")


def test_passwords_are_hashed_with_argon2(user):
    assert user.password.startswith("argon2$")


def test_a_correct_password_logs_in(client, user):
    response = client.post(reverse("login"), {"username": "clerk1", "password": "correct-horse-9"})
    assert response.status_code == 302
    assert client.get(reverse("web:map")).status_code == 200


def test_five_failures_lock_the_account_even_for_the_right_password(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": "clerk1", "password": "wrong"})
    assert response.status_code == 429
    response = client.post(reverse("login"), {"username": "clerk1", "password": "correct-horse-9"})
    assert response.status_code == 429
    assert (
        "Too many failed" in response.content.decode()
        or "登录失败次数过多" in response.content.decode()
    )
    assert client.get(reverse("web:map")).status_code == 302  # still not logged in


def test_pages_need_a_login(client):
    response = client.get(reverse("web:map"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def _try(client, username, password, address):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_failures_from_many_addresses_lock_the_account(client, user, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _try(client, "clerk1", "wrong", f"10.0.0.{i + 1}")
    # the right password from yet another address: still locked
    assert _try(client, "clerk1", "correct-horse-9", "10.0.1.1").status_code == 429
    assert client.get(reverse("web:map")).status_code == 302


def test_failures_against_many_accounts_lock_the_address(client, user, settings):
    limit = settings.PINGAN_LOGIN_ADDRESS_FAILURE_LIMIT
    assert limit > settings.AXES_FAILURE_LIMIT  # an office may share one address
    for i in range(limit - 1):  # never the same account twice: no account is locked
        assert _try(client, f"guess{i}", "wrong", "10.0.0.9").status_code == 200
    assert _try(client, "clerk1", "wrong", "10.0.0.9").status_code == 429
    # even the right password of an untouched account from that address
    assert _try(client, "clerk1", "correct-horse-9", "10.0.0.9").status_code == 429
    # another address is not locked, and the account was tried only once
    assert _try(client, "clerk1", "correct-horse-9", "10.0.0.10").status_code == 302


def test_a_successful_login_clears_only_its_own_accounts_failures(client, user, settings):
    limit = settings.PINGAN_LOGIN_ADDRESS_FAILURE_LIMIT
    for i in range(limit - 2):
        _try(client, f"guess{i}", "wrong", "10.0.0.9")
    _try(client, "clerk1", "wrong", "10.0.0.9")
    assert _try(client, "clerk1", "correct-horse-9", "10.0.0.9").status_code == 302
    client.logout()
    # the other accounts' failures from the address still count
    assert _try(client, "guess-last", "wrong", "10.0.0.9").status_code == 200
    assert _try(client, "guess-more", "wrong", "10.0.0.9").status_code == 429


def test_the_reset_command_unlocks_an_account(client, user, settings):
    from django.core.management import call_command

    for i in range(settings.AXES_FAILURE_LIMIT):
        _try(client, "clerk1", "wrong", f"10.0.0.{i + 1}")
    assert _try(client, "clerk1", "correct-horse-9", "10.0.1.1").status_code == 429
    call_command("axes_reset_username", "clerk1")
    assert _try(client, "clerk1", "correct-horse-9", "10.0.1.1").status_code == 302
