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
from tests.conftest import serve_workbench

pytestmark = pytest.mark.slow


@pytest.fixture
def server(analysed_store: Store, taten_home: Path) -> Iterator[str]:
    with serve_workbench(analysed_store.url, taten_home) as url:
        yield url


def test_reload_keeps_the_app_and_a_hostile_note_stays_text(server: str, browser) -> None:
    dialogs: list[str] = []
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
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
    finally:
        page.close()
    assert dialogs == [], "no script from a note ran"


def test_urls_and_codes_in_labels_stay_text_in_the_committee_view(analysed_store: Store, taten_home: Path,
                                                                   browser) -> None:
    """What AppTest cannot see: Streamlit links bare URLs after parsing Markdown, escapes or not."""
    from pipelines.review import MeasureInput, ReviewService

    service = ReviewService(analysed_store, "Kleine Konferenz", "Anna Amt")
    work = [c for c in service.clusters("Arbeit")][0]
    service.rename(work.id, "Jobcenter https://example.com/info amt@stadt.example :smile:", work.version)
    service.promote([work.id], MeasureInput(title="Servicetelefon www.example.com ![i](http://example.com/a.png)",
                                            status="vorgeschlagen"))
    with serve_workbench(analysed_store.url, taten_home) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{url}/ausschuss")
            page.get_by_text("Servicetelefon", exact=False).first.wait_for(timeout=30_000)
            page.wait_for_timeout(500)
            shown = page.inner_text("body").replace("\u2060", "")
            links = page.locator("a[href*='example'], a[href^='mailto:']").count()
            images = page.locator("img[src*='example']").count()
        finally:
            page.close()
    assert "Jobcenter https://example.com/info amt@stadt.example :smile:" in shown
    assert "![i](http://example.com/a.png)" in shown
    assert links == 0 and images == 0, "no link or picture made from people's text"
    assert "😄" not in shown
