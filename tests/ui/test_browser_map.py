"""The map of the Sozialräume in a real browser: it draws, a click opens a district, and
nothing is fetched from outside (no tiles, no world atlas, no CDN)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.store import Store
from nlp.districts import Gazetteer
from tests.conftest import REPO, serve_workbench
from tests.ui.test_browser import _ENGLISH, _SHOWN_JS, _settle

pytestmark = pytest.mark.slow

MAP = "[data-testid=stVegaLiteChart]:has(g.mark-shape)"


def test_map_draws_offline_and_a_click_on_a_district_opens_it(analysed_store: Store, taten_home: Path,
                                                               browser) -> None:
    with serve_workbench(analysed_store.url, taten_home) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        try:
            page.goto(url)
            page.get_by_text("Karte der Sozialräume").first.wait_for(timeout=30_000)
            _settle(page)
            overview_areas = page.locator(f"{MAP} g.mark-shape path").count()

            page.get_by_test_id("stSidebarNav").get_by_role("link").filter(has_text="Sozialräume").click()
            page.get_by_text("Stimmen und Daten").first.wait_for(timeout=20_000)
            _settle(page)
            areas = page.locator(f"{MAP} g.mark-shape path")
            areas.first.wait_for()
            n_areas = areas.count()
            names = page.locator(f"{MAP} g.mark-text text").all_text_contents()

            # a click on a name opens that district
            page.locator(f"{MAP} g.mark-text text").filter(has_text="Lendersdorf").first.click()
            page.get_by_role("heading", name="Lendersdorf", exact=True).wait_for(timeout=20_000)
            _settle(page)

            # a click inside an area opens the district its tooltip names
            box = page.locator(f"{MAP} g.mark-shape path").nth(2).bounding_box()  # Mariaweiler, top row
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            tooltip = page.locator("#vg-tooltip-element")
            tooltip.wait_for(state="visible")
            hovered = tooltip.inner_text()
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.get_by_role("heading", name="Mariaweiler", exact=True).wait_for(timeout=20_000)
            _settle(page)
            english = {m.group(0) for text in page.evaluate(_SHOWN_JS) for m in _ENGLISH.finditer(text)}
        finally:
            page.close()
    assert overview_areas == 20 and n_areas == 20, "one area per Sozialraum of the demo map on both pages"
    gazetteer = Gazetteer.from_yaml(REPO / "data" / "districts" / "dueren.yml")
    assert set(gazetteer.districts) <= set(names), "every district is named on the map"
    assert "Mariaweiler" in hovered
    local = [r for r in requests if r.startswith(f"{url}/") or r.startswith(("data:", "blob:"))]
    assert len(local) > 10
    assert [r for r in requests if r not in local] == [], "the map asks nothing outside the local server"
    assert english == set(), f"English words beside the map: {english}"
