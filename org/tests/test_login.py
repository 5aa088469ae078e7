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
    assert "Too many failed" in response.content.decode() or "登录失败次数过多" in response.content.decode()
    assert client.get(reverse("web:map")).status_code == 302  # still not logged in


def test_pages_need_a_login(client):
    response = client.get(reverse("web:map"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
