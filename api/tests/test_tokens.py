"""API tokens: issued once by the command, listed and revoked by prefix, never shown again."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from api.models import ApiToken, hash_token

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_the_command_prints_the_raw_token_once_and_keeps_only_its_hash(demo_org):
    raw, note = run("--user", "dispatcher", "--name", "hotline-gateway")
    assert raw.startswith("pa_") and len(raw) > 40
    token = ApiToken.objects.get(name="hotline-gateway")
    assert token.token_hash == hash_token(raw) and raw not in (token.token_hash, token.prefix)
    assert token.prefix == raw[:8] and token.prefix in note and raw not in note
    response = Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/inbox")
    assert response.status_code == 200


def test_the_list_shows_prefixes_and_users_never_a_token(demo_org):
    raw, _note = run("--user", "clerk", "--name", "wechat")
    listing, _ = run("--list")
    assert raw[:8] in listing and "wechat" in listing and "clerk" in listing
    assert raw not in listing and ApiToken.objects.get().token_hash not in listing


def test_a_revoked_token_stops_working_and_stays_listed(demo_org):
    raw, _note = run("--user", "clerk", "--name", "wechat")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get("/api/v1/inbox").status_code == 200
    done, _ = run("--revoke", raw[:8])
    assert "wechat" in done
    assert client.get("/api/v1/inbox").status_code == 401
    assert ApiToken.objects.filter(name="wechat", is_active=False).exists()


@pytest.mark.parametrize(
    "args",
    [
        ("--user", "nobody", "--name", "x"),
        ("--user", "clerk"),
        ("--name", "x"),
        ("--user", "clerk", "--name", " "),
        ("--revoke", "pa_none"),
    ],
)
def test_the_command_refuses_what_it_cannot_do(demo_org, args):
    with pytest.raises(CommandError):
        run(*args)
    assert not ApiToken.objects.exists()


def test_the_admin_shows_prefix_user_and_last_use_but_never_the_hash(demo_org):
    admin = get_user_model().objects.get(username="admin")
    token, raw = ApiToken.issue(name="hotline", user=admin)
    Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/inbox")
    client = Client()
    client.force_login(admin)
    listing = client.get("/en/admin/api/apitoken/")
    page = client.get(f"/en/admin/api/apitoken/{token.pk}/change/")
    assert listing.status_code == page.status_code == 200
    for content in (listing.content.decode(), page.content.decode()):
        assert token.prefix in content
        assert token.token_hash not in content and raw not in content
    assert client.get("/en/admin/api/apitoken/add/").status_code == 403


def test_the_admin_revokes_selected_tokens(demo_org):
    admin = get_user_model().objects.get(username="admin")
    token, raw = ApiToken.issue(name="hotline", user=admin)
    client = Client()
    client.force_login(admin)
    client.post("/en/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.is_active is False
    assert (
        Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/inbox").status_code == 401
    )
