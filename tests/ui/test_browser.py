"""The workbench in a real browser: Debian's Chromium driven by Playwright against
`streamlit run ui/app.py` on the analysed small conference."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.store import Store
from tests.ui.conftest import APP

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def server(analysed_store: Store, taten_home: Path) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "TATEN_DATABASE_URL": analysed_store.url}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.port", str(port), "--server.address", "127.0.0.1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail("streamlit did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_reload_keeps_the_app_and_a_hostile_note_stays_text(server: str) -> None:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--headless", "--no-sandbox", "--disable-gpu",
                                          "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{server}/cluster")  # straight to a page, as after a reload
        name = page.get_by_role("textbox", name="Ihr Name (für das Änderungsprotokoll)")
        name.fill("Anna Amt")
        name.press("Enter")
        page.get_by_role("combobox", name="Thema").click()
        page.get_by_role("option", name="Bildung und Erziehung").click()
        page.locator("[data-testid=stExpander] summary").filter(has_text="Kita").first.click()
        page.get_by_text("<script>alert(1)</script>", exact=False).first.wait_for(timeout=20_000)
        page.wait_for_timeout(500)
        browser.close()
    assert dialogs == [], "no script from a note ran"
