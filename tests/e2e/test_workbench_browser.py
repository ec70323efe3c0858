"""The workbench in a real browser: ``streamlit run ui/app.py`` on loopback, Debian's
Chromium driven by Playwright, against a SQLite database holding the analysed demo
conference (hashing embedder, so set-up takes seconds).

One person's main flow: enter a name, read the overview, open a cluster, rename it,
merge two, move a note, promote a cluster to a measure, find the measure in the
committee view, reload, and find everything still there — in the browser and in
the database.

Screenshots of every page go to ``$TATEN_SCREENSHOT_DIR`` (the README's come from
``TATEN_SCREENSHOT_DIR=docs/screenshots pytest tests/e2e/test_workbench_browser.py``),
else into the test's temp folder.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.conftest import serve_workbench

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
DEMO_CSV = REPO / "data" / "demo" / "sozialraumkonferenz_2026.csv"
CONFERENCE = "Sozialraumkonferenz 2026"
ACTOR = "Erika Mustermann"
VIEWPORT = {"width": 1400, "height": 900}
TIMEOUT_MS = 20_000  # one Streamlit rerun on this database takes well under a second


@dataclass(frozen=True)
class Workbench:
    url: str
    database_url: str
    log: Path


def _analysed_demo(home: Path) -> str:
    """A SQLite database with the demo conference imported and analysed (hashing embedder)."""
    from models.store import Store
    from nlp.embed import HashingEmbedder
    from pipelines.analyse import analyse_conference
    from pipelines.ingest import ImportOptions, import_files
    from pipelines.resources import build_resources
    from pipelines.settings import load_settings

    url = f"sqlite:///{home / 'taten.sqlite'}"
    settings = load_settings(embedding={"model": "hashing", "cache_dir": str(home / "cache")}, database_url=url)
    resources = build_resources(settings, embedder=HashingEmbedder())
    store = Store(url)
    try:
        import_files(store, [DEMO_CSV], CONFERENCE, resources.vocab, ImportOptions(date="2026-03-12", city="Düren"))
        analyse_conference(store, CONFERENCE, resources, settings)
    finally:
        store.close()
    return url


@pytest.fixture(scope="session")
def workbench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workbench]:
    """``streamlit run ui/app.py`` on a free loopback port over a freshly analysed demo conference."""
    home = tmp_path_factory.mktemp("workbench-home")
    database_url = _analysed_demo(home)
    with serve_workbench(database_url, home) as url:
        yield Workbench(url=url, database_url=database_url, log=home / "streamlit.log")


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("TATEN_SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# -- helpers that wait on what a person sees -------------------------------------------------

_IDLE_JS = """() => {
    const running = [...document.querySelectorAll('[data-testid="stStatusWidget"]')]
        .some(e => /Running|Läuft/i.test(e.innerText));
    return !running && !document.querySelector('[data-testid="stSkeleton"]')
        && !document.querySelector('[data-stale="true"]');
}"""


def settle(page: Any) -> None:
    """Wait until Streamlit has finished the current run (no 'Running', no placeholders, nothing stale)."""
    page.wait_for_function(_IDLE_JS, timeout=TIMEOUT_MS, polling=100)


def see(page: Any, text: str, *, exact: bool = False) -> None:
    """Wait until ``text`` is visible on the page."""
    page.get_by_text(text, exact=exact).first.wait_for(state="visible", timeout=TIMEOUT_MS)


def open_page(page: Any, title: str, marker: str) -> None:
    """Follow the sidebar's link to the page called ``title``; wait for ``marker`` on it."""
    page.get_by_test_id("stSidebarNav").get_by_role("link").filter(has_text=title).click()
    see(page, marker)
    settle(page)


_CONTENT_HEIGHT_JS = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    return Math.max(main ? main.scrollHeight : 0, document.documentElement.scrollHeight);
}"""


def shoot(page: Any, folder: Path, name: str, max_height: int = 2400) -> Path:
    """A full-page PNG of the current page, 1400 px wide.

    Streamlit scrolls inside its main block, not the document, so the window is made
    as tall as the content (at most ``max_height``) for the picture, then put back.
    """
    settle(page)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.mouse.move(0, 0)  # no hover tooltips in the picture
    height = min(max(int(page.evaluate(_CONTENT_HEIGHT_JS)), VIEWPORT["height"]), max_height)
    page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
    try:
        settle(page)
        page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]')?.scrollTo(0, 0)")
        page.wait_for_timeout(300)  # charts re-layout to the new size; nothing to wait on in the DOM
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(VIEWPORT)
    return path


def choose_option(page: Any, scope: Any, label: str, option: str) -> None:
    """Pick ``option`` in the select box or multiselect labelled ``label`` inside ``scope``.

    Typing filters the list first: long lists are virtualised, their far options not yet drawn.
    """
    choice = page.get_by_role("option").filter(has_text=option).first
    for attempt in range(3):
        settle(page)
        field = scope.get_by_label(label, exact=True)
        expect(field).to_have_count(1, timeout=TIMEOUT_MS)  # a rerun may briefly show the old widget too
        field.click()
        field.fill("")
        page.keyboard.type(option)
        try:
            choice.click(timeout=5_000)
            break
        except PlaywrightTimeout:
            # the list closed under us (a rerun redrew the widget): close it cleanly and try again
            page.keyboard.press("Escape")
            if attempt == 2:
                raise
    page.keyboard.press("Escape")  # a multiselect keeps its list open


def click_when_settled(page: Any, target: Any) -> None:
    """Click ``target`` once Streamlit is idle; a rerun that redraws it mid-click gets another try."""
    for attempt in range(3):
        settle(page)
        try:
            target.click(timeout=5_000)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise


def tick_first_row(page: Any, box: Any, appears: Any) -> None:
    """Tick the first row of the table in ``box`` until ``appears`` shows (the move's target choice).

    The grid is a canvas, so the tick is a click at the first row's tick box; a click that
    lands while a rerun redraws the grid is lost, and then it is clicked again.
    """
    table = box.get_by_test_id("stDataFrame").first
    for attempt in range(3):
        settle(page)
        table.scroll_into_view_if_needed()
        corner = table.bounding_box()
        page.mouse.click(corner["x"] + 18, corner["y"] + 35 + 34)
        settle(page)
        try:
            appears.first.wait_for(timeout=5_000)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise


def type_text(field: Any, text: str) -> None:
    """Type into a text input and commit it with Enter (Streamlit sends the value on Enter or blur)."""
    field.fill(text)
    field.press("Enter")


def expander(page: Any, title_part: str) -> Any:
    """The cluster expander whose title contains ``title_part``, opened."""
    box = page.get_by_test_id("stExpander").filter(
        has=page.locator("summary").filter(has_text=title_part)).first
    if box.locator("details[open]").count() == 0:
        box.locator("summary").first.click()
    return box


# -- the flow ------------------------------------------------------------------------------------

NEW_LABEL = "Langzeitarbeitslose ohne Abschluss: Qualifizierung fehlt"
MEASURE_TITLE = "Qualifizierungsprogramm für Langzeitarbeitslose ausbauen"


def _service(database_url: str) -> Any:
    from models.store import Store
    from pipelines.review import ReviewService

    return ReviewService(Store(database_url), CONFERENCE, ACTOR)


def test_review_flow_in_the_browser_survives_a_reload(
    workbench: Workbench, browser: Any, screenshot_dir: Path
) -> None:
    before = _service(workbench.database_url)
    theme = before.themes()[0]  # the page opens on the first theme
    first, second, third, fourth = before.clusters(theme, with_members=True)[:4]
    moved = fourth.members[0]

    context = browser.new_context(viewport=VIEWPORT, locale="de-DE")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        # a name for the audit log; the overview needs none
        page.goto(workbench.url)
        see(page, "Die häufigsten wiederkehrenden Anliegen")
        settle(page)
        type_text(page.get_by_label("Ihr Name (für das Änderungsprotokoll)", exact=True), ACTOR)
        see(page, "Keine eigene Änderung zum Rückgängigmachen.")
        settle(page)

        # Cluster prüfen: rename the theme's first cluster
        open_page(page, "Cluster prüfen", "Cluster zusammenführen")
        box = expander(page, first.label)
        type_text(box.get_by_label("Neuer Name", exact=True), NEW_LABEL)
        settle(page)
        box.get_by_role("button", name="Umbenennen", exact=True).click()
        see(page, "Cluster umbenannt.")
        page.get_by_test_id("stExpander").locator("summary").filter(has_text=NEW_LABEL).first.wait_for()

        # merge the second cluster into it; the first keeps its (new) name
        main = page.get_by_test_id("stMain")
        choose_option(page, main, "Cluster (der erste behält Namen und Nummer)", f"(Nr. {first.id})")
        choose_option(page, main, "Cluster (der erste behält Namen und Nummer)", f"(Nr. {second.id})")
        settle(page)
        main.get_by_role("button", name="Zusammenführen", exact=True).click()
        see(page, f"Zusammengeführt zu „{NEW_LABEL}“")
        settle(page)

        # move the fourth cluster's best note (its table's first row) into the merged cluster
        box = expander(page, fourth.label)
        target = box.get_by_role("radio", name=NEW_LABEL, exact=False)
        tick_first_row(page, box, target)
        click_when_settled(page, target)
        settle(page)
        box.get_by_role("button", name="Verschieben", exact=True).click()
        see(page, f"Beitrag verschoben nach „{NEW_LABEL}“")
        settle(page)

        # Maßnahmen: promote the merged cluster
        open_page(page, "Maßnahmen", "Neue Maßnahme aus Clustern")
        form = page.get_by_role("tabpanel").first  # the new-measure fields
        choose_option(page, form, "Aus welchen Clustern?", NEW_LABEL)
        form.get_by_label("Titel", exact=True).fill(MEASURE_TITLE)
        form.get_by_label("Zuständige Stelle", exact=True).fill("Jobcenter und Amt für Wirtschaftsförderung")
        choose_option(page, form, "Status", "vorgeschlagen")  # a draft is not for the committee
        form.get_by_role("button", name="Maßnahme anlegen").click()
        see(page, f"Maßnahme „{MEASURE_TITLE}“ angelegt")

        # the committee sees the measure under its theme
        open_page(page, "Ausschuss", "Ergebnisse der Sozialraumkonferenz")
        see(page, MEASURE_TITLE)
        see(page, NEW_LABEL)
        shoot(page, screenshot_dir, "ausschuss")

        open_page(page, "Sozialräume", "Indikatoren aus dem Sozialraumbericht")
        shoot(page, screenshot_dir, "sozialraeume")
        open_page(page, "Protokoll", "Änderungsprotokoll")
        see(page, f"Maßnahme „{MEASURE_TITLE}“ aus 1 Cluster(n) angelegt")
        shoot(page, screenshot_dir, "protokoll")
        open_page(page, "Import", "Notizen der Tische hochladen")
        shoot(page, screenshot_dir, "import")

        # the committee view keeps no staff name in its address, so a reload there starts without one
        # (a reload on a staff page keeps it: tests/ui/test_browser_workweek.py); the data are still there
        open_page(page, "Ausschuss", "Ergebnisse der Sozialraumkonferenz")
        assert "name=" not in page.url
        page.reload()
        see(page, "Ergebnisse der Sozialraumkonferenz")
        see(page, MEASURE_TITLE)
        see(page, NEW_LABEL)
        open_page(page, "Cluster prüfen", "Bitte links Ihren Namen eingeben")
        type_text(page.get_by_label("Ihr Name (für das Änderungsprotokoll)", exact=True), ACTOR)
        see(page, "Cluster zusammenführen")
        settle(page)
        box = expander(page, NEW_LABEL)
        box.get_by_text(moved.text[:40]).first.wait_for()  # the moved note sits in the merged cluster
        assert page.get_by_test_id("stExpander").locator("summary").filter(has_text=second.label).count() == 0
        shoot(page, screenshot_dir, "cluster")
        open_page(page, "Maßnahmen", "Neue Maßnahme aus Clustern")
        page.get_by_role("tab", name="Maßnahmen ansehen und bearbeiten").click()
        see(page, "Aus diesen Anliegen")
        see(page, MEASURE_TITLE)
        shoot(page, screenshot_dir, "massnahmen")
        open_page(page, "Übersicht", "Die häufigsten wiederkehrenden Anliegen")
        see(page, NEW_LABEL)
        shoot(page, screenshot_dir, "uebersicht")
    except Exception:
        page.screenshot(path=str(screenshot_dir / "failure.png"), full_page=True)
        raise
    finally:
        context.close()

    # and in the database, through the service
    after = _service(workbench.database_url)
    merged = after.cluster(first.id)
    assert merged.label == NEW_LABEL and merged.label_source == "staff" and merged.reviewed
    assert {m.id for m in merged.members} == {*(m.id for m in first.members), *(m.id for m in second.members),
                                                moved.id}
    assert second.id not in {c.id for c in after.clusters()}
    assert moved.id not in {m.id for m in after.cluster(fourth.id).members}
    (measure,) = after.measures()
    assert measure.title == MEASURE_TITLE and measure.cluster_ids == (first.id,)
    assert measure.created_by == ACTOR and measure.theme == theme
    assert [e.action for e in after.events()] == ["promote", "move", "merge", "rename"]
    assert {e.actor for e in after.events()} == {ACTOR}
