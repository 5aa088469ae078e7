"""The authorization matrix, generated from the routes (issue 12).

Every URL of the web pages, the REST API and Open311 is requested by every demo role (and
by nobody), against objects in the role's own territory, a sibling's territory and another
role's domain. The status each request must answer is written below as data, one string per
route and target, one status per role in ROLES order. A new route without a row fails
`test_every_route_has_a_row`.

When a route or the policy changes on purpose, print what the code answers now with

    PINGAN_MATRIX_PRINT=1 pytest tests/test_authorization_matrix.py -s

and read every changed cell before copying it here: the point of the table is that a person
decided each one. The targets:

- ``own``: a hazard case (and, for area routes, the area) in the first grid, the grid
  worker's; inside every demo role's territory.
- ``worked``: a hazard case in the first grid assigned to the first community's committee
  (the unit of the community handler and the grid worker): only the working unit moves it.
- ``sibling``: the same as ``own`` in the district's last grid, in another street: outside the street's,
  the street handler's, the community's and the grid worker's territory.
- ``domain``: a petition in the first grid: another role's domain (petition parties only for
  petition officers, leaders and the units working it; crowd operators see crowd cases only).
  For area routes: the district itself.
- ``venue`` routes (crowd): ``own`` is a venue in the first street, ``sibling`` one in the
  last street.
- ``-``: the route takes no object.

Each request runs in a transaction that is rolled back, so no request changes what the next
one sees.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.signals import request_finished
from django.db import close_old_connections, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

ROLES = [
    "admin",
    "leader",
    "dispatcher",
    "clerk",
    "petition",
    "crowd",
    "street",
    "handler",
    "community",
    "gridworker",
    "anonymous",
]
TARGETS = {
    "case": ("own", "worked", "sibling", "domain"),
    "area": ("own", "sibling", "domain"),
    "venue": ("own", "sibling"),
    None: ("-",),
}

API_ACTIONS = [
    "accept",
    "reject",
    "classify",
    "assign",
    "co_assign",
    "start",
    "resolve",
    "return",
    "transfer",
    "escalate",
    "supervise",
    "request_extension",
    "extend",
    "pause",
    "resume",
    "merge",
    "verify",
    "verify_failed",
    "rate",
    "contact_failed",
    "reopen",
    "close",
    "comment",
]


@dataclass
class Route:
    """How to request one route: method, which client, the path's arguments and the body."""

    name: str
    method: str = "GET"
    kind: str = "web"  # web (session login), api (bearer token), open311 (api_key)
    obj: str | None = None  # what the path or body names: a case, an area, a venue, or none
    kwargs: dict = field(default_factory=dict)  # static path arguments
    query: str = ""
    url: str = ""  # a route without a name is requested by its path

    @property
    def targets(self) -> tuple[str, ...]:
        return TARGETS[self.obj]


def case_route(name, method="GET", kind="web", **kw):
    return Route(name, method, kind, "case", **kw)


ROUTES = [
    # -- web pages ---------------------------------------------------------------------------
    Route("web:home"),
    Route("web:map"),
    Route("web:area-children", obj="area"),
    Route("set_language", "POST"),
    Route("login"),
    Route("logout", "POST"),
    Route("password_change"),
    Route("password_change_done"),
    Route("password_reset"),
    Route("password_reset_done"),
    Route("password_reset_confirm", kwargs={"uidb64": "MQ", "token": "set-password"}),
    Route("password_reset_complete"),
    Route("cases:list"),
    Route("cases:inbox"),
    Route("cases:export"),
    Route("cases:new"),
    Route("cases:new", "POST", obj="case"),
    Route("cases:propose", "POST"),
    Route("cases:locate", obj="area"),
    Route("cases:notifications-read", "POST"),
    case_route("cases:detail"),
    case_route("cases:act", "POST", kwargs={"action": "comment"}),
    case_route("cases:act", "POST", kwargs={"action": "escalate"}),
    case_route("cases:reveal", "POST"),
    Route("public:report"),
    Route("public:report", "POST", obj="case"),
    Route("public:received"),
    Route("public:track"),
    case_route("public:track", "POST"),
    case_route("public:rate", "POST"),
    Route("crowd:board"),
    Route("crowd:board", obj="venue"),
    Route("crowd:stream", obj="venue"),
    Route("crowd:acknowledge", "POST", obj="venue"),
    Route("crowd:dispatch", "POST", obj="venue"),
    Route("crowd:step", "POST", obj="venue", kwargs={"step": "acknowledge"}),
    Route("measures:dashboard"),
    Route("measures:dashboard", obj="area"),
    Route("measures:wall"),
    Route("measures:cases"),
    Route("measures:cases", obj="area"),
    Route("measures:scorecard"),
    Route("measures:scorecard-xlsx"),
    Route("measures:scorecard-pdf"),
    Route("measures:hotspots"),
    Route("org:audit"),
    Route("org:audit-export"),
    # -- the REST API --------------------------------------------------------------------------
    Route("api:api-root", kind="api"),
    Route("api:openapi-json", kind="api"),
    Route("api:openapi-view", kind="api"),
    Route("api:list_cases", kind="api"),
    Route("api:intake", "POST", "api", "case"),
    case_route("api:get_case", kind="api"),
    case_route("api:case_events", kind="api"),
    *[case_route(f"api:case-action-{a}", "POST", "api") for a in API_ACTIONS],
    case_route("api:unknown_action", "POST", "api", kwargs={"action": "fly"}),
    case_route("api:reveal", "POST", "api"),
    Route("api:inbox", kind="api"),
    Route("api:catalogue", kind="api"),
    Route("api:units", kind="api"),
    Route("api:get_area", kind="api", obj="area"),
    Route("api:area_children", kind="api", obj="area"),
    Route("api:locate", kind="api", obj="area"),
    Route("api:post_readings", "POST", "api"),
    Route("api:list_venues", kind="api"),
    Route("api:venue_state", kind="api", obj="venue"),
    Route("api:venue_coverage", kind="api", obj="venue"),
    Route("api:acknowledge", "POST", "api", "venue"),
    Route("api:dispatch", "POST", "api", "venue"),
    Route("api:dispatch_step", "POST", "api", "venue", {"step": "acknowledge"}),
    Route("api:responder_duty", "POST", "api", "venue"),
    # -- Open311 ---------------------------------------------------------------------------------
    Route("open311:root", kind="open311"),
    Route("open311:discovery", kind="open311", kwargs={"fmt": "json"}),
    Route("open311:services", kind="open311", kwargs={"fmt": "json"}),
    Route("open311:service", kind="open311", kwargs={"fmt": "json", "service_code": "hazard-fire"}),
    Route("open311:requests", kind="open311", kwargs={"fmt": "json"}),
    Route("open311:requests", "POST", "open311", "case", {"fmt": "json"}),
    Route("open311:request", kind="open311", obj="case", kwargs={"fmt": "json"}),
    Route("open311:updates", kind="open311", kwargs={"fmt": "json"}),
    Route("open311:token", kind="open311", kwargs={"fmt": "json", "token_id": "nothing"}),
    Route("open311:", kind="open311", url="/open311/v2/nothing.json"),  # the catch-all
]

# -- the expected statuses: route (name, method) -> target -> one status per role ---------------
#    admin leader dispatcher clerk petition crowd street handler community gridworker anonymous
EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("web:home", "GET"): {
        "-": "302 302 302 302 302 302 302 302 302 302 302",
    },
    ("web:map", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 302",
    },
    ("web:area-children", "GET"): {
        "own": "200 200 200 200 200 200 200 200 200 200 302",
        "sibling": "200 200 200 200 200 200 404 404 404 404 302",
        "domain": "200 200 200 200 200 200 404 404 404 404 302",
    },
    ("set_language", "POST"): {
        "-": "302 302 302 302 302 302 302 302 302 302 302",
    },
    ("login", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 200",
    },
    ("logout", "POST"): {
        "-": "302 302 302 302 302 302 302 302 302 302 302",
    },
    ("password_change", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 302",
    },
    ("password_change_done", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 302",
    },
    ("password_reset", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 200",
    },
    ("password_reset_done", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 200",
    },
    ("password_reset_confirm", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 200",
    },
    ("password_reset_complete", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 200",
    },
    ("cases:list", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 302",
    },
    ("cases:inbox", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 302",
    },
    ("cases:export", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 302",
    },
    ("cases:new", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 302",
    },
    ("cases:new", "POST"): {
        "own": "302 302 302 302 302 404 302 302 302 302 302",
        "worked": "302 302 302 302 302 404 302 302 302 302 302",
        "sibling": "302 302 302 302 302 404 404 404 404 404 302",
        "domain": "302 302 302 302 302 404 302 302 302 302 302",
    },
    ("cases:propose", "POST"): {
        "-": "200 200 200 200 200 200 200 200 200 200 302",
    },
    ("cases:locate", "GET"): {
        "own": "200 200 200 200 200 200 200 200 200 200 302",
        "sibling": "200 200 200 200 200 200 200 200 200 200 302",
        "domain": "200 200 200 200 200 200 200 200 200 200 302",
    },
    ("cases:notifications-read", "POST"): {
        "-": "302 302 302 302 302 302 302 302 302 302 302",
    },
    ("cases:detail", "GET"): {
        "own": "200 200 200 200 200 404 200 200 200 200 302",
        "worked": "200 200 200 200 200 404 200 200 200 200 302",
        "sibling": "200 200 200 200 200 404 404 404 404 404 302",
        "domain": "200 200 200 200 200 404 200 404 404 404 302",
    },
    ("cases:act", "POST"): {
        "own[action=comment]": "302 302 302 302 302 404 302 302 302 302 302",
        "worked[action=comment]": "302 302 302 302 302 404 302 302 302 302 302",
        "sibling[action=comment]": "302 302 302 302 302 404 404 404 404 404 302",
        "domain[action=comment]": "302 302 302 302 302 404 302 404 404 404 302",
        "own[action=escalate]": "409 409 409 403 409 404 409 403 403 403 302",
        "worked[action=escalate]": "409 409 409 403 409 404 409 403 409 409 302",
        "sibling[action=escalate]": "409 409 409 403 409 404 404 404 404 404 302",
        "domain[action=escalate]": "409 409 409 403 409 404 409 404 404 404 302",
    },
    ("cases:reveal", "POST"): {
        "own": "200 200 200 200 403 404 200 403 403 403 302",
        "worked": "200 200 200 200 403 404 200 403 200 200 302",
        "sibling": "200 200 200 200 403 404 404 404 404 404 302",
        "domain": "200 200 403 403 200 404 200 404 404 404 302",
    },
    ("public:report", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 200",
    },
    ("public:report", "POST"): {
        "own": "302 302 302 302 302 302 302 302 302 302 302",
        "worked": "302 302 302 302 302 302 302 302 302 302 302",
        "sibling": "302 302 302 302 302 302 302 302 302 302 302",
        "domain": "400 400 400 400 400 400 400 400 400 400 400",
    },
    ("public:received", "GET"): {
        "-": "302 302 302 302 302 302 302 302 302 302 302",
    },
    ("public:track", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 200",
    },
    ("public:track", "POST"): {
        "own": "404 404 404 404 404 404 404 404 404 404 404",
        "worked": "404 404 404 404 404 404 404 404 404 404 404",
        "sibling": "404 404 404 404 404 404 404 404 404 404 404",
        "domain": "404 404 404 404 404 404 404 404 404 404 404",
    },
    ("public:rate", "POST"): {
        "own": "404 404 404 404 404 404 404 404 404 404 404",
        "worked": "404 404 404 404 404 404 404 404 404 404 404",
        "sibling": "404 404 404 404 404 404 404 404 404 404 404",
        "domain": "404 404 404 404 404 404 404 404 404 404 404",
    },
    ("crowd:board", "GET"): {
        "-": "200 200 200 200 200 200 302 200 200 200 302",
        "own": "200 200 200 404 404 200 200 404 404 404 302",
        "sibling": "200 200 200 404 404 200 404 404 404 404 302",
    },
    ("crowd:stream", "GET"): {
        "own": "200 200 200 404 404 200 200 404 404 404 302",
        "sibling": "200 200 200 404 404 200 404 404 404 404 302",
    },
    ("crowd:acknowledge", "POST"): {
        "own": "302 302 403 404 404 302 302 404 404 404 302",
        "sibling": "302 302 403 404 404 302 404 404 404 404 302",
    },
    ("crowd:dispatch", "POST"): {
        "own": "409 409 403 404 404 409 409 404 404 404 302",
        "sibling": "409 409 403 404 404 409 404 404 404 404 302",
    },
    ("crowd:step", "POST"): {
        "own[step=acknowledge]": "302 302 403 404 404 302 302 404 404 404 302",
        "sibling[step=acknowledge]": "302 302 403 404 404 302 404 404 404 404 302",
    },
    ("measures:dashboard", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 302",
        "own": "200 200 200 200 200 200 200 200 200 200 302",
        "sibling": "200 200 200 200 200 200 404 404 404 404 302",
        "domain": "200 200 200 200 200 200 404 404 404 404 302",
    },
    ("measures:wall", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 302",
    },
    ("measures:cases", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 302",
        "own": "200 200 200 200 200 200 200 200 200 200 302",
        "sibling": "200 200 200 200 200 200 404 404 404 404 302",
        "domain": "200 200 200 200 200 200 404 404 404 404 302",
    },
    ("measures:scorecard", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 302",
    },
    ("measures:scorecard-xlsx", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 302",
    },
    ("measures:scorecard-pdf", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 302",
    },
    ("measures:hotspots", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 302",
    },
    ("org:audit", "GET"): {
        "-": "200 200 403 403 403 403 200 403 403 403 302",
    },
    ("org:audit-export", "GET"): {
        "-": "200 200 403 403 403 403 200 403 403 403 302",
    },
    ("api:api-root", "GET"): {
        "-": "404 404 404 404 404 404 404 404 404 404 404",
    },
    ("api:openapi-json", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 200",
    },
    ("api:openapi-view", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 200",
    },
    ("api:list_cases", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 401",
    },
    ("api:intake", "POST"): {
        "own": "201 201 201 201 201 404 201 201 201 201 401",
        "worked": "201 201 201 201 201 404 201 201 201 201 401",
        "sibling": "201 201 201 201 201 404 404 404 404 404 401",
        "domain": "201 201 201 201 201 404 201 201 201 201 401",
    },
    ("api:get_case", "GET"): {
        "own": "200 200 200 200 200 404 200 200 200 200 401",
        "worked": "200 200 200 200 200 404 200 200 200 200 401",
        "sibling": "200 200 200 200 200 404 404 404 404 404 401",
        "domain": "200 200 200 200 200 404 200 404 404 404 401",
    },
    ("api:case_events", "GET"): {
        "own": "200 200 200 200 200 404 200 200 200 200 401",
        "worked": "200 200 200 200 200 404 200 200 200 200 401",
        "sibling": "200 200 200 200 200 404 404 404 404 404 401",
        "domain": "200 200 200 200 200 404 200 404 404 404 401",
    },
    ("api:case-action-accept", "POST"): {
        "own": "200 200 200 200 200 404 200 403 403 403 401",
        "worked": "409 409 409 409 409 404 409 403 403 403 401",
        "sibling": "200 200 200 200 200 404 404 404 404 404 401",
        "domain": "200 200 200 200 200 404 200 404 404 404 401",
    },
    ("api:case-action-reject", "POST"): {
        "own": "200 200 200 403 200 404 200 403 403 403 401",
        "worked": "409 409 409 403 409 404 409 403 403 403 401",
        "sibling": "200 200 200 403 200 404 404 404 404 404 401",
        "domain": "200 200 200 403 200 404 200 404 404 404 401",
    },
    ("api:case-action-classify", "POST"): {
        "own": "200 200 200 200 200 404 200 403 403 403 401",
        "worked": "409 409 409 409 409 404 409 403 403 403 401",
        "sibling": "200 200 200 200 200 404 404 404 404 404 401",
        "domain": "400 400 400 400 400 404 400 404 404 404 401",
    },
    ("api:case-action-assign", "POST"): {
        "own": "409 409 409 403 409 404 409 403 403 403 401",
        "worked": "409 409 409 403 409 404 409 403 403 403 401",
        "sibling": "409 409 409 403 409 404 404 404 404 404 401",
        "domain": "409 409 409 403 409 404 409 404 404 404 401",
    },
    ("api:case-action-co_assign", "POST"): {
        "own": "409 409 409 403 409 404 409 403 403 403 401",
        "worked": "200 200 200 403 200 404 200 403 403 403 401",
        "sibling": "409 409 409 403 409 404 404 404 404 404 401",
        "domain": "409 409 409 403 409 404 409 404 404 404 401",
    },
    ("api:case-action-start", "POST"): {
        "own": "409 403 403 403 403 404 403 403 403 403 401",
        "worked": "200 403 403 403 403 404 403 403 200 200 401",
        "sibling": "409 403 403 403 403 404 404 404 404 404 401",
        "domain": "409 403 403 403 403 404 403 404 404 404 401",
    },
    ("api:case-action-resolve", "POST"): {
        "own": "409 403 403 403 403 404 403 403 403 403 401",
        "worked": "409 403 403 403 403 404 403 403 409 409 401",
        "sibling": "409 403 403 403 403 404 404 404 404 404 401",
        "domain": "409 403 403 403 403 404 403 404 404 404 401",
    },
    ("api:case-action-return", "POST"): {
        "own": "409 403 403 403 403 404 403 403 403 403 401",
        "worked": "200 403 403 403 403 404 403 403 200 200 401",
        "sibling": "409 403 403 403 403 404 404 404 404 404 401",
        "domain": "409 403 403 403 403 404 403 404 404 404 401",
    },
    ("api:case-action-transfer", "POST"): {
        "own": "409 409 409 403 409 404 409 403 403 403 401",
        "worked": "200 200 200 403 200 404 200 403 403 403 401",
        "sibling": "409 409 409 403 409 404 404 404 404 404 401",
        "domain": "409 409 409 403 409 404 409 404 404 404 401",
    },
    ("api:case-action-escalate", "POST"): {
        "own": "409 409 409 403 409 404 409 403 403 403 401",
        "worked": "409 409 409 403 409 404 409 403 409 409 401",
        "sibling": "409 409 409 403 409 404 404 404 404 404 401",
        "domain": "409 409 409 403 409 404 409 404 404 404 401",
    },
    ("api:case-action-supervise", "POST"): {
        "own": "200 200 403 403 403 404 200 403 403 403 401",
        "worked": "200 200 403 403 403 404 200 403 403 403 401",
        "sibling": "200 200 403 403 403 404 404 404 404 404 401",
        "domain": "200 200 403 403 403 404 200 404 404 404 401",
    },
    ("api:case-action-request_extension", "POST"): {
        "own": "409 403 403 403 403 404 403 403 403 403 401",
        "worked": "200 403 403 403 403 404 403 403 200 200 401",
        "sibling": "409 403 403 403 403 404 404 404 404 404 401",
        "domain": "409 403 403 403 403 404 403 404 404 404 401",
    },
    ("api:case-action-extend", "POST"): {
        "own": "409 409 403 403 409 404 409 403 403 403 401",
        "worked": "200 200 403 403 200 404 200 403 403 403 401",
        "sibling": "409 409 403 403 409 404 404 404 404 404 401",
        "domain": "409 409 403 403 409 404 409 404 404 404 401",
    },
    ("api:case-action-pause", "POST"): {
        "own": "409 403 403 403 403 404 403 403 403 403 401",
        "worked": "409 403 403 403 403 404 403 403 409 409 401",
        "sibling": "409 403 403 403 403 404 404 404 404 404 401",
        "domain": "409 403 403 403 403 404 403 404 404 404 401",
    },
    ("api:case-action-resume", "POST"): {
        "own": "409 403 403 403 403 404 403 403 403 403 401",
        "worked": "409 403 403 403 403 404 403 403 409 409 401",
        "sibling": "409 403 403 403 403 404 404 404 404 404 401",
        "domain": "409 403 403 403 403 404 403 404 404 404 401",
    },
    ("api:case-action-merge", "POST"): {
        "own": "200 200 200 403 200 404 400 403 403 403 401",
        "worked": "200 200 200 403 200 404 400 403 403 403 401",
        "sibling": "200 200 200 403 200 404 404 404 404 404 401",
        "domain": "200 200 200 403 200 404 400 404 404 404 401",
    },
    ("api:case-action-verify", "POST"): {
        "own": "409 409 409 403 403 404 409 409 409 409 401",
        "worked": "409 409 409 403 403 404 409 409 409 409 401",
        "sibling": "409 409 409 403 403 404 404 404 404 404 401",
        "domain": "409 409 409 403 403 404 409 404 404 404 401",
    },
    ("api:case-action-verify_failed", "POST"): {
        "own": "409 409 409 403 403 404 409 409 409 409 401",
        "worked": "409 409 409 403 403 404 409 409 409 409 401",
        "sibling": "409 409 409 403 403 404 404 404 404 404 401",
        "domain": "409 409 409 403 403 404 409 404 404 404 401",
    },
    ("api:case-action-rate", "POST"): {
        "own": "409 409 409 409 409 404 409 409 409 409 401",
        "worked": "409 409 409 409 409 404 409 409 409 409 401",
        "sibling": "409 409 409 409 409 404 404 404 404 404 401",
        "domain": "409 409 409 409 409 404 409 404 404 404 401",
    },
    ("api:case-action-contact_failed", "POST"): {
        "own": "409 409 409 409 409 404 409 409 409 409 401",
        "worked": "409 409 409 409 409 404 409 409 409 409 401",
        "sibling": "409 409 409 409 409 404 404 404 404 404 401",
        "domain": "409 409 409 409 409 404 409 404 404 404 401",
    },
    ("api:case-action-reopen", "POST"): {
        "own": "409 409 409 403 409 404 409 403 403 403 401",
        "worked": "409 409 409 403 409 404 409 403 403 403 401",
        "sibling": "409 409 409 403 409 404 404 404 404 404 401",
        "domain": "409 409 409 403 409 404 409 404 404 404 401",
    },
    ("api:case-action-close", "POST"): {
        "own": "409 409 409 409 409 404 409 403 403 403 401",
        "worked": "409 409 409 409 409 404 409 403 403 403 401",
        "sibling": "409 409 409 409 409 404 404 404 404 404 401",
        "domain": "409 409 409 409 409 404 409 404 404 404 401",
    },
    ("api:case-action-comment", "POST"): {
        "own": "200 200 200 200 200 404 200 200 200 200 401",
        "worked": "200 200 200 200 200 404 200 200 200 200 401",
        "sibling": "200 200 200 200 200 404 404 404 404 404 401",
        "domain": "200 200 200 200 200 404 200 404 404 404 401",
    },
    ("api:unknown_action", "POST"): {
        "own[action=fly]": "404 404 404 404 404 404 404 404 404 404 401",
        "worked[action=fly]": "404 404 404 404 404 404 404 404 404 404 401",
        "sibling[action=fly]": "404 404 404 404 404 404 404 404 404 404 401",
        "domain[action=fly]": "404 404 404 404 404 404 404 404 404 404 401",
    },
    ("api:reveal", "POST"): {
        "own": "200 200 200 200 403 404 200 403 403 403 401",
        "worked": "200 200 200 200 403 404 200 403 200 200 401",
        "sibling": "200 200 200 200 403 404 404 404 404 404 401",
        "domain": "200 200 403 403 200 404 200 404 404 404 401",
    },
    ("api:inbox", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 401",
    },
    ("api:catalogue", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 401",
    },
    ("api:units", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 401",
    },
    ("api:get_area", "GET"): {
        "own": "200 200 200 200 200 200 200 200 200 200 401",
        "sibling": "200 200 200 200 200 200 404 404 404 404 401",
        "domain": "200 200 200 200 200 200 404 404 404 404 401",
    },
    ("api:area_children", "GET"): {
        "own": "200 200 200 200 200 200 200 200 200 200 401",
        "sibling": "200 200 200 200 200 200 404 404 404 404 401",
        "domain": "200 200 200 200 200 200 404 404 404 404 401",
    },
    ("api:locate", "GET"): {
        "own": "200 200 200 200 200 200 200 200 200 200 401",
        "sibling": "200 200 200 200 200 200 200 200 200 200 401",
        "domain": "200 200 200 200 200 200 200 200 200 200 401",
    },
    ("api:post_readings", "POST"): {
        "-": "200 200 400 400 400 200 200 400 400 400 401",
    },
    ("api:list_venues", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 401",
    },
    ("api:venue_state", "GET"): {
        "own": "200 200 200 404 404 200 200 404 404 404 401",
        "sibling": "200 200 200 404 404 200 404 404 404 404 401",
    },
    ("api:venue_coverage", "GET"): {
        "own": "200 200 200 404 404 200 200 404 404 404 401",
        "sibling": "200 200 200 404 404 200 404 404 404 404 401",
    },
    ("api:acknowledge", "POST"): {
        "own": "200 200 403 404 404 200 200 404 404 404 401",
        "sibling": "200 200 403 404 404 200 404 404 404 404 401",
    },
    ("api:dispatch", "POST"): {
        "own": "409 409 403 404 404 409 409 404 404 404 401",
        "sibling": "409 409 403 404 404 409 404 404 404 404 401",
    },
    ("api:dispatch_step", "POST"): {
        "own[step=acknowledge]": "200 200 403 404 404 200 200 404 404 404 401",
        "sibling[step=acknowledge]": "200 200 403 404 404 200 404 404 404 404 401",
    },
    ("api:responder_duty", "POST"): {
        "own": "409 409 404 404 404 409 409 404 404 404 401",
        "sibling": "409 409 404 404 404 409 404 404 404 404 401",
    },
    ("open311:root", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 200",
    },
    ("open311:discovery", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 200",
    },
    ("open311:services", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 200",
    },
    ("open311:service", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 200",
    },
    ("open311:requests", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 200",
    },
    ("open311:requests", "POST"): {
        "own": "201 201 201 201 201 403 201 201 201 201 403",
        "worked": "201 201 201 201 201 403 201 201 201 201 403",
        "sibling": "201 201 201 201 201 403 403 403 403 403 403",
        "domain": "400 400 400 400 400 400 400 400 400 400 403",
    },
    ("open311:request", "GET"): {
        "own": "200 200 200 200 200 200 200 200 200 200 200",
        "worked": "200 200 200 200 200 200 200 200 200 200 200",
        "sibling": "200 200 200 200 200 200 200 200 200 200 200",
        "domain": "404 404 404 404 404 404 404 404 404 404 404",
    },
    ("open311:updates", "GET"): {
        "-": "200 200 200 200 200 200 200 200 200 200 200",
    },
    ("open311:token", "GET"): {
        "-": "404 404 404 404 404 404 404 404 404 404 404",
    },
    ("open311:", "GET"): {
        "-": "404 404 404 404 404 404 404 404 404 404 404",
    },
}


# -- the world the requests run against -----------------------------------------------------------
@dataclass
class World:
    cases: dict = field(default_factory=dict)  # target -> Case
    areas: dict = field(default_factory=dict)  # target -> Area
    venues: dict = field(default_factory=dict)  # target -> Venue
    alerts: dict = field(default_factory=dict)
    dispatches: dict = field(default_factory=dict)
    responders: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)  # role -> raw token


def _venue(area, code: str, sensor: str):
    from crowd import services
    from crowd.geo import LocalProjection
    from crowd.tests.conftest import box_lonlat

    p = LocalProjection(area.centroid_lon, area.centroid_lat)
    venue = services.create_venue(
        code=code, name=f"{area.name}广场", area=area, polygon=box_lonlat(p, -60, -60, 60, 60)
    )
    lane = services.add_zone(
        venue=venue,
        code=f"{code}-lane",
        name="小巷",
        kind="lane",
        polygon=box_lonlat(p, -50, 30, 50, 35),
        usable_area_m2=500,
        thresholds=(1.5, 2.5, 3.0, 4.0),
        exits=[("巷口", 2.0)],
    )
    services.add_sensor(venue=venue, code=sensor, kind="counter", zone=lane, interval_s=1)
    return venue, lane


@pytest.fixture
def world(demo_org, users, first_grid, far_grid, make_case, demo_district):
    from api.models import ApiToken
    from cases import services as cases
    from cases.models import Case
    from crowd import services as crowd
    from crowd.models import Alert
    from crowd.tests.conftest import T0, at
    from territory.models import Area

    w = World()
    party = [{"name": "王小明", "phone": "13812341234", "id_number": "110101199003071234"}]
    w.cases["own"] = make_case(parties=party)
    w.cases["sibling"] = make_case(grid=far_grid, parties=party)
    worked = make_case(parties=party)
    cases.accept_case(worked.pk, actor=users["admin"])
    cases.assign_case(worked.pk, actor=users["admin"], unit=f"{first_grid.parent.code}-committee")
    w.cases["worked"] = Case.objects.get(pk=worked.pk)
    w.cases["domain"] = make_case(
        case_type="petition", category="petition-other", title="反映拆迁补偿问题", parties=party
    )
    w.areas = {"own": first_grid, "sibling": far_grid, "domain": demo_district}
    streets = Area.objects.filter(parent=demo_district).order_by("code")
    now = T0 + timedelta(hours=1)
    for target, street in (("own", streets.first()), ("sibling", streets.last())):
        venue, lane = _venue(street, f"m-{target}", f"m-{target}-gate")
        w.venues[target] = venue
        w.responders[target] = crowd.add_responder(
            code=f"m-{target}-r1",
            name="一号单元",
            kind="unit",
            lon=lane.center_lon,
            lat=lane.center_lat,
            area=street,
        )
        crowd.ingest_readings(
            readings=[
                {"sensor": f"m-{target}-gate", "ts": at(t), "in": 20, "out": 0}
                for t in range(1, 61)
            ],
            now=now,
        )
        w.alerts[target] = Alert.objects.filter(venue=venue, kind="raise").first()
        w.dispatches[target] = crowd.dispatch_nearest(
            alert_id=w.alerts[target].pk, count=1, actor=users["admin"]
        )[0]
    for role in ROLES[:-1]:
        _token, w.tokens[role] = ApiToken.issue(name=f"matrix-{role}", user=users[role])
    return w


def _path_kwargs(route: Route, target: str, world: World) -> dict:
    kw = dict(route.kwargs)
    name = route.name
    if target == "-":
        return kw
    if route.obj == "case" and not name.startswith(
        ("cases:new", "public:", "api:intake", "open311:")
    ):
        case = world.cases[target]
        if name.endswith("reveal"):
            party = case.parties.first()
            kw["party_id"] = party.pk
            if name.startswith("cases:"):
                kw["number"] = case.number
        else:
            kw["number"] = case.number
    elif name == "open311:request":
        kw["request_id"] = world.cases[target].number
    elif name in {"web:area-children", "api:get_area", "api:area_children"}:
        kw["code"] = world.areas[target].code
    elif route.obj == "venue":
        venue = world.venues[target]
        kw["venue"] = venue.code
        if name.endswith("acknowledge") or name.endswith("dispatch"):
            kw["alert_id"] = world.alerts[target].pk
        if name.endswith("step"):
            kw["dispatch_id"] = world.dispatches[target].pk
        if name == "api:responder_duty":
            kw["responder_id"] = world.responders[target].pk
        if name.startswith("api:") and name not in {"api:venue_state", "api:venue_coverage"}:
            kw.pop("venue")
    return kw


def _query(route: Route, target: str, world: World) -> str:
    name = route.name
    if name in {"cases:locate", "api:locate"}:
        area = world.areas[target]
        return f"?lon={area.centroid_lon}&lat={area.centroid_lat}"
    if name == "measures:cases":
        return "?figure=received" + (f"&area={world.areas[target].code}" if target != "-" else "")
    if name == "measures:dashboard" and target != "-":
        return f"?area={world.areas[target].code}"
    return route.query


def _body(route: Route, target: str, world: World) -> dict:
    name = route.name
    if route.method == "GET":
        return {}
    if (
        name in {"cases:new", "public:report", "api:intake", "open311:requests"}
        and route.method == "POST"
    ):
        area = world.areas["sibling" if target == "sibling" else "own"]
        petition = target == "domain"
        body = {
            "title": "反映拆迁补偿问题" if petition else "路灯不亮",
            "text": "晚上路灯一直不亮，行人看不清路",
            "lon": area.centroid_lon,
            "lat": area.centroid_lat,
            "case_type": "petition" if petition else "hazard",
            "category": "petition-other" if petition else "hazard-fire",
            "channel": "hotline",
            "address": "解放碑路1号",
        }
        if name == "open311:requests":
            return {
                "service_code": body["category"],
                "description": body["text"],
                "lat": body["lat"],
                "long": body["lon"],
                "address_string": body["address"],
            }
        if name == "public:report":
            body.update(name="王小明", phone="13812341234", client_key=f"matrix-{target}")
        if name == "cases:new":
            body.update(
                priority="normal",
                party0_role="reporter",
                party1_role="respondent",
                party0_name="王小明",
                party0_phone="13812341234",
            )
        return body
    if name == "cases:reveal":
        return {f"reveal{world.cases[target].parties.first().pk}-reason": "回访核实"}
    if name == "api:reveal":
        return {"reason": "回访核实", "fields": ["phone"]}
    if name.startswith("api:case-action-"):
        return _action_body(name.removeprefix("api:case-action-"), target, world)
    if name == "cases:act":
        action = route.kwargs["action"]
        return {f"{action}-version": world.cases[target].version, f"{action}-reason": "矩阵测试"}
    if name in {"public:track", "public:rate"}:
        case = world.cases[target]
        return {"number": case.number, "code": "WRONG0", "rating": "satisfied"}
    if name == "cases:propose":
        return {"title": "路灯不亮", "text": "晚上路灯一直不亮"}
    if name == "set_language":
        return {"language": "en", "next": "/"}
    if name == "api:dispatch":
        return {"count": 1}
    if name == "api:responder_duty":
        return {"on_duty": False}
    if name == "api:post_readings":
        from crowd.tests.conftest import at

        return {"readings": [{"sensor": "m-own-gate", "ts": at(120), "in": 1, "out": 0}]}
    return {}


def _action_body(action: str, target: str, world: World) -> dict:
    """A body the action's schema accepts, so that what answers is the access check (or the
    case's state), not the body's validation."""
    other = world.cases["sibling" if target != "sibling" else "own"]
    body = {"reason": "矩阵测试"}
    body.update(
        {
            "classify": {"category": "hazard-fire"},
            "co_assign": {"unit": "500103-center"},
            "transfer": {"unit": "500103-center"},
            "supervise": {"due_at": "2030-01-01T12:00:00+08:00"},
            "request_extension": {"amount": 1},
            "extend": {"amount": 1},
            "merge": {"into": other.number},
            "rate": {"rating": "satisfied", "method": "call"},
        }.get(action, {})
    )
    if action == "rate":
        body.pop("reason")
    return body


def _request(route: Route, target: str, role: str, world: World, users) -> int:
    url = (route.url or reverse(route.name, kwargs=_path_kwargs(route, target, world))) + _query(
        route, target, world
    )
    body = _body(route, target, world)
    client = Client(headers={"Accept-Language": "en"})
    if role != "anonymous":
        if route.kind == "web":
            client.force_login(users[role])
        elif route.kind == "api":
            client = Client(
                headers={"Accept-Language": "en", "Authorization": f"Bearer {world.tokens[role]}"}
            )
        elif route.kind == "open311":
            body = {**body, "api_key": world.tokens[role]} if route.method == "POST" else body
    cache.clear()
    with transaction.atomic():
        if route.method == "GET":
            response = client.get(url)
        elif route.kind == "api":
            response = client.post(url, json.dumps(body), content_type="application/json")
        else:
            response = client.post(url, body)
        status = response.status_code
        if os.environ.get("PINGAN_MATRIX_DEBUG") and status == 400:
            print(route.name, role, target, response.content.decode()[:3000].replace("\n", " "))
        if response.streaming:
            # as Django's test client does: closing sends request_finished, which would
            # close the connection inside the test's transaction
            request_finished.disconnect(close_old_connections)
            try:
                response.close()
            finally:
                request_finished.connect(close_old_connections)
        transaction.set_rollback(True)
    from crowd import services as crowd

    crowd.drop_all_runtimes()
    return status


def _route_names() -> set[str]:
    def walk(patterns, ns=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "admin":
                    continue
                yield from walk(p.url_patterns, p.namespace or ns)
            elif isinstance(p, URLPattern):
                yield (f"{ns}:" if ns else "") + (p.name or "")

    return set(walk(get_resolver().url_patterns))


def test_every_route_has_a_row():
    """The table is generated from the routes: every route (the admin aside: it holds
    configuration only and is for superusers) is requested, and no row names a route
    that is gone."""
    assert _route_names() == {r.name for r in ROUTES}


@pytest.fixture
def quiet():
    """Two thousand refused requests would log two thousand warnings."""
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def test_every_role_gets_the_status_written_in_the_table(world, users, settings, quiet):
    settings.PINGAN_CROWD_TICK_SECONDS = 0
    settings.REDIS_URL = ""
    actual: dict[tuple[str, str], dict[str, str]] = {}
    for route in ROUTES:
        row = actual.setdefault((route.name, route.method), {})
        for target in route.targets:
            statuses = [str(_request(route, target, role, world, users)) for role in ROLES]
            row[_cell(route, target)] = " ".join(statuses)
    if os.environ.get("PINGAN_MATRIX_PRINT"):
        _print(actual)
    assert not any("500" in s for row in actual.values() for s in row.values()), "a server error"
    mismatches = []
    for key, row in actual.items():
        for target, got in row.items():
            want = EXPECTED.get(key, {}).get(target)
            if want is None or want.split() != got.split():
                mismatches.append(_diff(key, target, want, got))
    assert not mismatches, "\n" + "\n".join(mismatches)


def _cell(route: Route, target: str) -> str:
    """Two rows of one route and method (e.g. cases:act comment and escalate) are told apart
    by their static arguments."""
    extra = ",".join(f"{k}={v}" for k, v in sorted(route.kwargs.items()) if k in {"action", "step"})
    return f"{target}[{extra}]" if extra else target


def _diff(key, target, want, got) -> str:
    lines = [f"{key[0]} {key[1]} {target}:"]
    if want is None:
        return lines[0] + f" no row; the code answers {got}"
    cells = [
        f"{role}: want {w} got {g}"
        for role, w, g in zip(ROLES, want.split(), got.split(), strict=True)
        if w != g
    ]
    return lines[0] + " " + "; ".join(cells)


def _print(actual) -> None:
    print("\nEXPECTED = {")
    for (name, method), row in actual.items():
        print(f"    ({name!r}, {method!r}): {{")
        for target, statuses in row.items():
            print(f"        {target!r}: {statuses!r},")
        print("    },")
    print("}")
