"""Screenshots of every workbench page at 1024 and 1440 pixels wide, on the demo conference.

Imports and analyses the demo conference (invented notes) into a throwaway
database with the *hashing* embedder (seconds, no language model; its clusters are
coarser than the real model's), promotes three clusters into proposed measures,
starts the workbench as ``taten ui`` does and photographs each page with Debian's
Chromium driven by Playwright. Every picture carries a band "Beispieldaten –
fiktiv", so nobody takes it for a city's results.

Usage:  python scripts/screenshots.py [--out docs/screenshots] [--widths 1024 1440]

Writes ``<out>/<width>/<page>.png``.
"""

from __future__ import annotations

import re

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from local_postgres import free_port  # noqa: E402  (scripts/ is on the path when run as a script)

from pipelines.example_data import EXAMPLE_MARK  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CONFERENCE = "Sozialraumkonferenz Düren 2026"
ACTOR = "Erika Mustermann"
# sidebar title -> (file name, a text that shows the page has arrived)
PAGES = {
    "Übersicht": ("uebersicht", "Die häufigsten wiederkehrenden Anliegen"),
    "Cluster prüfen": ("cluster", "Cluster zusammenführen"),
    "Maßnahmen": ("massnahmen", "Neue Maßnahme aus Clustern"),
    "Sozialräume": ("sozialraeume", "Indikatoren aus dem Sozialraumbericht"),
    "Ausschuss": ("ausschuss", "Ergebnisse der Sozialraumkonferenz"),
    "Protokoll": ("protokoll", "Änderungsprotokoll"),
    "Import": ("import", "Dateien mit Beiträgen"),
}
HEIGHT = 900
MAX_HEIGHT = 3000
_IDLE_JS = """() => !document.querySelector('[data-testid=stSkeleton], [data-stale=true]')
    && ![...document.querySelectorAll('[data-testid=stStatusWidget]')].some(e => e.innerText.trim())"""
_CONTENT_HEIGHT_JS = """() => Math.max(document.querySelector('[data-testid=stMain]')?.scrollHeight || 0,
                                       document.documentElement.scrollHeight)"""
_BAND_JS = """(text) => {
  if (document.getElementById('taten-example-band')) return;
  const band = document.createElement('div');
  band.id = 'taten-example-band';
  band.textContent = text;
  band.style.cssText = 'position:fixed;right:0;bottom:0;z-index:999999;padding:6px 14px;font:600 15px sans-serif;'
    + 'background:#fde68a;color:#78350f;border-top-left-radius:6px;';
  document.body.appendChild(band);
}"""


UNDO_READY = re.compile(r"Keine eigene Änderung zum Rückgängigmachen|Rückgängig: ")

def analysed_demo(home: Path) -> str:
    """A SQLite database with the demo conference analysed and three proposed measures."""
    from models.store import Store
    from nlp.embed import HashingEmbedder
    from pipelines.analyse import analyse_conference
    from pipelines.cli import DEMO_FILE
    from pipelines.ingest import ImportOptions, import_files
    from pipelines.resources import build_resources
    from pipelines.review import MeasureInput, ReviewService
    from pipelines.settings import load_settings

    url = f"sqlite:///{home / 'taten.sqlite'}"
    settings = load_settings(embedding={"model": "hashing", "cache_dir": str(home / "cache")}, database_url=url)
    resources = build_resources(settings, embedder=HashingEmbedder())
    store = Store(url)
    try:
        import_files(store, [DEMO_FILE], CONFERENCE, resources.vocab, ImportOptions(date="2026-03-18", city="Düren"))
        analyse_conference(store, CONFERENCE, resources, settings)
        service = ReviewService(store, CONFERENCE, ACTOR)
        for theme, title, office, cost in (
            ("Bildung und Erziehung", "Kita-Plätze im Norden ausbauen", "Jugendamt", "1,2 Mio. € (Schätzung)"),
            ("Arbeit", "Servicetelefon des Jobcenters mit Rückruf", "Jobcenter", "80.000 € jährlich"),
            ("Wohnen", "Runder Tisch bezahlbarer Wohnraum", "Amt für Stadtentwicklung", "keine Sachkosten"),
        ):
            clusters = service.clusters(theme)
            if clusters:
                service.promote([clusters[0].id], MeasureInput(
                    title=title, status="vorgeschlagen", priority="hoch", responsible=office, cost_estimate=cost,
                    description="Beispiel einer Maßnahme, aus dem wichtigsten Anliegen des Themas abgeleitet."))
    finally:
        store.close()
    return url


def serve(database_url: str, home: Path) -> tuple[subprocess.Popen[bytes], str]:
    from pipelines.cli import streamlit_command

    port = free_port()
    env = {**os.environ, "TATEN_HOME": str(home), "TATEN_DATABASE_URL": database_url,
           "TATEN_EMBEDDING__MODEL": "hashing"}
    log = (home / "streamlit.log").open("wb")
    process = subprocess.Popen([*streamlit_command(port), "--server.fileWatcherType", "none"], cwd=REPO, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return process, url
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if process.poll() is not None:
                break
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"Die Werkbank ist nicht gestartet, siehe {home / 'streamlit.log'}")


def settle(page) -> None:  # noqa: ANN001  (a Playwright page)
    page.wait_for_function(_IDLE_JS, timeout=30_000, polling=100)
    page.wait_for_timeout(500)  # the chrome script and Vega finish after the last message


def shoot(page, path: Path, width: int) -> None:  # noqa: ANN001
    settle(page)
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.mouse.move(0, 0)
    height = min(max(int(page.evaluate(_CONTENT_HEIGHT_JS)), HEIGHT), MAX_HEIGHT)
    page.set_viewport_size({"width": width, "height": height})
    settle(page)
    page.evaluate(_BAND_JS, f"{EXAMPLE_MARK}: Demo-Konferenz, Bildschirmbreite {width} px")
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": width, "height": HEIGHT})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--widths", type=int, nargs="+", default=[1024, 1440])
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        os.environ["TATEN_HOME"] = str(home)
        process, url = serve(analysed_demo(home), home)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                for width in args.widths:
                    out = args.out / str(width)
                    out.mkdir(parents=True, exist_ok=True)
                    page = browser.new_page(viewport={"width": width, "height": HEIGHT}, locale="de-DE")
                    page.goto(url)
                    page.get_by_text(PAGES["Übersicht"][1]).first.wait_for(timeout=30_000)
                    name = page.get_by_role("textbox", name="Ihr Name (für das Änderungsprotokoll)")
                    name.fill(ACTOR)
                    name.press("Enter")
                    page.get_by_text(UNDO_READY).first.wait_for()  # the name is taken: the undo area shows
                    for title, (file_name, marker) in PAGES.items():
                        page.get_by_test_id("stSidebarNav").get_by_role("link").filter(has_text=title).click()
                        page.get_by_text(marker).first.wait_for(timeout=30_000)
                        shoot(page, out / f"{file_name}.png", width)
                        print(out / f"{file_name}.png")
                    page.close()
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=20)


if __name__ == "__main__":
    main()
