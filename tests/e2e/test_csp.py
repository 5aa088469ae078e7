"""In a real browser: every kind of page works under the Content-Security-Policy — no
script, style, image or request of ours is refused — and an injected inline script is."""

import pytest

from cases.catalogue import ensure_catalogue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def test_every_page_runs_under_the_policy(live_server, page, demo_org, make_case):
    ensure_catalogue()  # a transactional test before this one may have flushed it
    case = make_case()
    refused = []
    page.on(
        "console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None
    )
    page.add_init_script(RECORD)

    page.goto(live_server.url + "/report/")
    page.wait_for_selector(".leaflet-overlay-pane path")  # the picker's map drew
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "pingan-demo-2026")
    page.click("button[type=submit]")
    pages = {
        "/map/": "#children button",
        "/cases/": "table",
        "/cases/inbox/": "main",
        "/cases/new/": ".leaflet-overlay-pane path",
        f"/cases/{case.number}/": ".leaflet-overlay-pane path",
        "/measures/": "canvas",
        "/measures/hotspots/": "main",
        "/measures/scorecard/": "table",
        "/audit/": "main",
        "/crowd/": "main",
        "/admin/": "#content",
        "/admin/cases/category/add/": "#content",
        "/api/v1/docs": ".swagger-ui .info",
    }
    for path, ready in pages.items():
        page.goto(live_server.url + path)
        page.wait_for_selector(ready)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__csp") == [], path
    assert refused == []

    # the language switch is a script from this site, not an inline handler
    page.goto(live_server.url + "/cases/")
    page.select_option("#language", "en")
    page.wait_for_selector("html[lang=en]")

    # what the policy is for: markup that got in cannot run
    page.evaluate("""() => {
        const s = document.createElement("script");
        s.textContent = "window.pwned = 1";
        document.body.appendChild(s);
        const img = document.createElement("img");
        img.setAttribute("onerror", "window.pwned = 2");
        img.src = "/missing.png";
        document.body.appendChild(img);
    }""")
    page.wait_for_function("window.__csp.length >= 2")
    assert page.evaluate("window.pwned === undefined")
    assert all(v.startswith("script-src") for v in page.evaluate("window.__csp"))
