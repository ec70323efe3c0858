"""The Content-Security-Policy of docs/deploy/nginx-taten.conf lets the workbench work.

nginx is not needed: Chromium gets every answer of the real workbench with the
policy's header added (the WebSocket origin put to the test server's), walks the
pages that draw charts and maps, and reports any violation the policy causes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError

from models.store import Store
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, serve_workbench

pytestmark = pytest.mark.slow

NGINX = Path(__file__).resolve().parents[2] / "docs" / "deploy" / "nginx-taten.conf"
#: every page (charts, maps, tables), with a text each shows when drawn
PAGES = {"Cluster prüfen": "Cluster zusammenführen", "Maßnahmen": "Neue Maßnahme aus Clustern",
         "Sozialräume": "Indikatoren aus dem Sozialraumbericht", "Ausschuss": "Ergebnisse der Sozialraumkonferenz",
         "Protokoll": "Änderungsprotokoll", "Import": "Dateien mit Beiträgen"}
_VIOLATIONS = """() => {
  window.__csp = [];
  document.addEventListener('securitypolicyviolation',
    e => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
}"""


def _policy(origin: str) -> str:
    policy = re.search(r'add_header Content-Security-Policy "([^"]+)" always;', NGINX.read_text()).group(1)
    return policy.replace("wss://taten.stadt.example", "ws://" + origin.split("://", 1)[1])


def _fetched(route, attempts: int = 3):  # noqa: ANN001, ANN202 - playwright's Route and APIResponse
    """The server's answer to a routed request. A connection the local server reset while Playwright
    reused it (seen once on a busy machine: ECONNRESET for a static script) is tried again: the
    transport between Playwright and the test server is not what this test checks."""
    for _ in range(attempts - 1):
        try:
            return route.fetch()
        except PlaywrightError as exc:
            if "ECONNRESET" not in str(exc):
                raise
    return route.fetch()


def test_the_workbench_works_under_the_proxys_content_security_policy(
        analysed_store: Store, taten_home: Path, browser) -> None:
    # An answer Playwright hands over counts as from the internet for Chromium's local-network checks,
    # which would then refuse the page's WebSocket to loopback; a proxy's answer comes from the network.
    own = browser.browser_type.launch(executable_path=str(CHROMIUM), args=[
        *CHROMIUM_ARGS, "--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessRespectPreflightResults"])
    with serve_workbench(analysed_store.url, taten_home) as url:
        policy = _policy(url)
        page = own.new_page(viewport={"width": 1400, "height": 1000})
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.add_init_script(f"({_VIOLATIONS})()")

        def with_policy(route) -> None:  # noqa: ANN001 - playwright's Route
            response = _fetched(route)
            route.fulfill(response=response, headers={**response.headers, "content-security-policy": policy})

        page.route("**/*", with_policy)
        seen: dict[str, list[str]] = {}
        try:
            page.goto(url)
            page.get_by_text("Die häufigsten wiederkehrenden Anliegen").first.wait_for(timeout=30_000)
            name = page.get_by_role("textbox", name="Ihr Name (für das Änderungsprotokoll)")
            name.fill("Anna Amt")
            name.press("Enter")
            for title, marker in PAGES.items():
                page.get_by_test_id("stSidebarNav").get_by_role("link").filter(has_text=title).click()
                page.get_by_text(marker).first.wait_for(timeout=30_000)
                if title == "Cluster prüfen":  # the map, drawn by Vega
                    page.locator("[data-testid=stVegaLiteChart] g.mark-symbol path").first.wait_for(timeout=30_000)
                page.wait_for_timeout(1000)  # charts and maps draw after the last message
                seen[title] = page.evaluate("window.__csp")
        finally:
            page.unroute_all(behavior="ignoreErrors")  # answers still in flight when the page closes
            page.close()
            own.close()
    assert {p: v for p, v in seen.items() if v} == {}, "the policy blocks something the workbench needs"
    assert [m for m in console if "Content Security Policy" in m] == []
