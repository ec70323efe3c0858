"""The workbench in a real browser: Debian's Chromium driven by Playwright against
`streamlit run ui/app.py` on the analysed small conference."""

from __future__ import annotations

import os
import re
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


UNDO_READY = re.compile(r"Keine eigene Änderung zum Rückgängigmachen|Rückgängig: ")


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


# -- a walk through every page: local only, German only, printable ---------------------------------

# Streamlit's English chrome, as text or as what a screen reader says (aria-label, title, placeholder).
ENGLISH = ["Deploy", "Rerun", "Clear cache", "Choose an option", "Choose options", "Upload", "per file",
           "Download as CSV", "Download as PNG", "Show data", "Copy Vega-Lite spec", "Skip to main content",
           "Drag and drop", "Browse files", "Collapse sidebar", "Expand sidebar", "App pages", "Sidebar",
           "Fullscreen", "Search", "Show/hide columns", "Link to heading", "Help for", "Open", "Close",
           "No results", "Press Enter", "Running", "Stop", "visualization", "X-axis", "Y-axis", "linear scale",
           "Settings", "Print", "Record a screencast", "About", "Made with Streamlit"]
_ENGLISH = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH) + r")\b")

# What a person sees and hears on the page: visible text outside icon ligatures, and the
# labels of visible elements.
_SHOWN_JS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || !n.data.trim() || el.closest('[data-testid=stIconMaterial], script, style, noscript')) continue;
    if (el.checkVisibility({visibilityProperty: true, opacityProperty: false})) out.push(n.data.trim());
  }
  for (const el of document.querySelectorAll('[aria-label], [title], [placeholder]')) {
    if (!el.checkVisibility()) continue;
    for (const a of ['aria-label', 'title', 'placeholder']) if (el.getAttribute(a)) out.push(el.getAttribute(a));
  }
  return out;
}"""

_IDLE_JS = """() => !document.querySelector('[data-testid=stSkeleton], [data-stale=true]')
    && ![...document.querySelectorAll('[data-testid=stStatusWidget]')].some(e => e.innerText.trim())"""

PAGE_MARKERS = {"Übersicht": "Die häufigsten wiederkehrenden Anliegen", "Cluster prüfen": "Cluster zusammenführen",
                "Maßnahmen": "Neue Maßnahme aus Clustern", "Sozialräume": "Indikatoren aus dem Sozialraumbericht",
                "Ausschuss": "Ergebnisse der Sozialraumkonferenz", "Protokoll": "Änderungsprotokoll",
                "Import": "Dateien mit Beiträgen"}


def _settle(page) -> None:
    page.wait_for_function(_IDLE_JS, timeout=20_000, polling=100)
    page.wait_for_timeout(300)  # the chrome script and Vega finish after the last Streamlit message


def _committee_measures(store: Store) -> dict[str, str]:
    """Two proposed measures and a draft; title -> theme."""
    from pipelines.review import MeasureInput, ReviewService

    service = ReviewService(store, "Kleine Konferenz", "Anna Amt")
    work, income, education = (service.clusters(t)[0] for t in ("Arbeit", "Einkommen", "Bildung und Erziehung"))
    service.promote([work.id], MeasureInput(title="Servicetelefon Jobcenter", status="vorgeschlagen",
                                            description="Eine Rufnummer mit Rückrufdienst.", priority="hoch",
                                            responsible="Amt für Soziales", cost_estimate="20.000 €"))
    service.promote([income.id], MeasureInput(title="Energieschuldenfonds", status="beschlossen",
                                              responsible="Stadtwerke", cost_estimate="50.000 €"))
    service.promote([education.id], MeasureInput(title="Kita-Gipfel im Entwurf", status="Entwurf"))
    return {"Servicetelefon Jobcenter": "Arbeit", "Energieschuldenfonds": "Einkommen"}


def test_walk_through_every_page_asks_only_the_local_server_and_shows_no_english(
        analysed_store: Store, taten_home: Path, browser) -> None:
    from pipelines.review import ReviewService
    from ui.widgets import CLUSTER_COLOURS

    _committee_measures(analysed_store)
    with serve_workbench(analysed_store.url, taten_home) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        english: dict[str, set[str]] = {}
        try:
            page.goto(url)
            page.get_by_text(PAGE_MARKERS["Übersicht"]).first.wait_for(timeout=30_000)
            name = page.get_by_role("textbox", name="Ihr Name (für das Änderungsprotokoll)")
            name.fill("Anna Amt")
            name.press("Enter")
            page.get_by_text(UNDO_READY).first.wait_for()  # the name is taken: the undo area shows
            for title, marker in PAGE_MARKERS.items():
                page.get_by_test_id("stSidebarNav").get_by_role("link").filter(has_text=title).click()
                page.get_by_text(marker).first.wait_for(timeout=20_000)
                _settle(page)
                if title == "Cluster prüfen":  # the map's points, coloured as the spec says (not by a theme)
                    page.locator("[data-testid=stVegaLiteChart] g.mark-symbol path").first.wait_for()
                    fills = set(page.evaluate("""() => [...document.querySelectorAll(
                        '[data-testid=stVegaLiteChart] g.mark-symbol path')].map(p => p.getAttribute('fill'))"""))
                if title == "Übersicht":  # an open select box shows its own chrome
                    page.get_by_role("combobox", name="Thema").click()
                    page.get_by_role("option", name="Arbeit").wait_for()
                shown = page.locator("[data-testid=stVegaLiteChart]:visible, [data-testid=stDataFrame]:visible")
                if shown.count():
                    shown.first.hover()  # its toolbar appears on hover
                    page.wait_for_timeout(300)
                found = {m.group(0) for text in page.evaluate(_SHOWN_JS) for m in _ENGLISH.finditer(text)}
                if found:
                    english[title] = found
                page.keyboard.press("Escape")
        finally:
            page.close()
    local = [r for r in requests if r.startswith(f"{url}/") or r.startswith(("data:", "blob:"))]
    assert len(local) > 20, "the walk-through really loaded the pages"
    assert [r for r in requests if r not in local] == [], "every request goes to the local server"
    assert english == {}, f"English words on the pages: {english}"
    service = ReviewService(analysed_store, "Kleine Konferenz", "Bernd Büro")
    first_theme = service.themes()[0]  # the cluster page opens on it
    n_clusters = len({p["cluster_id"] for p in service.map_points(first_theme)})
    assert n_clusters > 1 and fills == set(CLUSTER_COLOURS[:n_clusters]), "the map's own colours, one per cluster"


def test_committee_view_prints_every_theme_and_measure_without_sidebar_and_filters(
        analysed_store: Store, taten_home: Path, browser) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    from pipelines.review import ReviewService

    measures = _committee_measures(analysed_store)
    themes = list(dict.fromkeys(c.theme for c in ReviewService(analysed_store, "Kleine Konferenz", "Bernd Büro")
                                .overview(top=None).top))
    with serve_workbench(analysed_store.url, taten_home) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        try:
            page.goto(f"{url}/ausschuss")
            page.get_by_text("Energieschuldenfonds").first.wait_for(timeout=30_000)
            _settle(page)
            pdf = page.pdf(format="A4", print_background=True)
        finally:
            page.close()
    reader = PdfReader(BytesIO(pdf))
    text = " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)
    assert len(reader.pages) >= 2, "the page runs over several sheets instead of being cut at the screen"
    assert "Ergebnisse der Sozialraumkonferenz" in text
    positions = [text.find(t) for t in themes]
    assert -1 not in positions, f"every theme in the print: {themes}"
    assert positions == sorted(positions), "in the order of their best concern"
    for title in measures:
        assert title in text
    assert "Amt für Soziales" in text and "20.000 €" in text and "Eine Rufnummer mit Rückrufdienst." in text
    assert "Kita-Gipfel" not in text, "a draft is not for the committee"
    for chrome in ("Taten – Werkbank", "Konferenz Kleine Konferenz", "Bitte auswählen", "Zum Inhalt springen"):
        assert chrome not in text, f"sidebar and filters stay off paper: {chrome}"
    assert "Sozialraum Alle" not in text and "Thema Alle" not in text


@pytest.mark.parametrize("size", [(1024, 768), (1920, 1080)])
def test_committee_view_bars_fit_the_screen(analysed_store: Store, taten_home: Path, browser,
                                            size: tuple[int, int]) -> None:
    width, height = size
    with serve_workbench(analysed_store.url, taten_home) as url:
        page = browser.new_page(viewport={"width": width, "height": height})
        try:
            page.goto(f"{url}/ausschuss")
            page.locator("[data-testid=stVegaLiteChart] g.mark-rect path").first.wait_for(timeout=30_000)
            _settle(page)
            charts = page.evaluate("""() => [...document.querySelectorAll('[data-testid=stVegaLiteChart]')].map(c => {
                const box = c.getBoundingClientRect();
                const bars = [...c.querySelectorAll('g.mark-rect path')].map(b => b.getBoundingClientRect());
                const counts = [...c.querySelectorAll('g.mark-text text')].map(t => t.getBoundingClientRect());
                return {left: box.left, right: box.right, bars: bars.map(b => [b.left, b.right]),
                        counts: counts.map(t => [t.left, t.right])};
            })""")
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        finally:
            page.close()
    assert len(charts) == 3 and overflow <= 0
    for chart in charts:
        assert chart["bars"] and chart["right"] <= width
        widest = max(right - left for left, right in chart["bars"])
        assert widest >= 0.3 * (chart["right"] - chart["left"]), "the bars have room beside their labels"
        for left, right in chart["bars"] + chart["counts"]:
            assert chart["left"] - 1 <= left and right <= chart["right"] + 1, "nothing cut off at the edge"
