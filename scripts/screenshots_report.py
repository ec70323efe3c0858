"""Pictures of the reports on the demo conference: the committee report's first pages
and the public HTML report, for the README.

Uses the demo database of :mod:`screenshots` (invented notes, hashing embedder, three
proposed measures). The PDF's pages are typeset to PNG by the same Typst template
(:func:`pipelines.bericht.pdf_writer.page_images`); the public report is photographed
in Debian's Chromium. Both carry the example-data mark, as every report on the demo
gazetteer does.

Usage:  python scripts/screenshots_report.py [--out docs/screenshots/bericht] [--pages 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from screenshots import CHROMIUM, CHROMIUM_ARGS, CONFERENCE, analysed_demo  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots" / "bericht")
    parser.add_argument("--pages", type=int, default=3)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from models.store import Store
    from pipelines.bericht import load_bericht
    from pipelines.bericht.html_writer import write_html
    from pipelines.bericht.pdf_writer import page_images
    from pipelines.example_data import DISTRICTS, example_notice
    from pipelines.settings import load_settings

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="taten-report-shots-") as tmp:
        home = Path(tmp)
        store = Store(analysed_demo(home))
        try:
            bericht = load_bericht(store, CONFERENCE, notice=example_notice(load_settings().nlp, what=(DISTRICTS,)))
        finally:
            store.close()
        for i, png in enumerate(page_images(bericht)[: args.pages], start=1):
            (args.out / f"sitzungsvorlage_seite{i}.png").write_bytes(png)
        html = home / "bericht.html"
        write_html(bericht, html)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1024, "height": 1400})
            page.goto(html.as_uri())
            page.screenshot(path=str(args.out / "oeffentlicher_bericht.png"))
            browser.close()
    print(f"Bilder in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
