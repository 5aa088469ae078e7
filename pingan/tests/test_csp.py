"""The Content-Security-Policy header: every page carries it, and a tile server is allowed."""

import pytest

from pingan.settings import tile_origin

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d}


@pytest.mark.parametrize(
    "path", ["/report/", "/accounts/login/", "/api/v1/docs", "/open311/v2/discovery.json"]
)
def test_every_response_carries_the_policy(client, path):
    policy = directives(client.get(path))
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["default-src"] + policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]


def test_no_template_carries_an_inline_script_or_handler():
    """json_script blocks are data, not code; anything else inline would be refused."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in root.glob("*/templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(f"{path.relative_to(root)}: {match.group(0)}")
        for match in re.finditer(r"\son[a-z]+\s*=\s*[\"']", text):
            offenders.append(f"{path.relative_to(root)}: {match.group(0)}")
        if "javascript:" in text:
            offenders.append(f"{path.relative_to(root)}: javascript:")
    assert offenders == []


@pytest.mark.parametrize(
    "template, origin",
    [
        ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
        (
            "https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&x={x}&y={y}&l={z}",
            "https://*.tianditu.gov.cn",
        ),
        ("https://tiles.example.org:8443/{z}/{x}/{y}.png", "https://tiles.example.org:8443"),
        ("/tiles/{z}/{x}/{y}.png", ""),
        ("", ""),
        ("https://a.{s}.example.org/{z}.png", ""),
    ],
)
def test_the_tile_server_origin(template, origin):
    assert tile_origin(template) == origin
