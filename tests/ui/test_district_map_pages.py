"""The map on Übersicht and Sozialräume, and voices beside data on the district page (AppTest, real store)."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from pipelines.district_map import district_notes
from pipelines.review import ReviewService
from pipelines.settings import ComparisonSettings, Settings
from tests.ui.conftest import APP
from tests.ui.test_pages import nodes, open_page, table
from ui.district_map import picked

SCHEMATIC = "Beispieldaten – fiktiv: schematische Flächen (dueren.geojson), keine amtlichen Grenzen"


def map_values(at: AppTest, key: str) -> dict[str, float | None]:
    """District → the value the map colours it by, read from the chart's Vega-Lite spec."""
    (chart,) = [n for n in nodes(at) if n.type == "vega_lite_chart" and n.proto.id.endswith(key)]
    areas = json.loads(chart.proto.spec)["layer"][0]["data"]["values"]
    return {a["Sozialraum"]: a["Wert"] for a in areas}


def shown(text: str) -> str:
    """Markdown text as a person reads it (our captions escape what people typed, see ui.widgets.md)."""
    return text.replace("\\", "")


def captions(at: AppTest) -> str:
    return shown(" ".join(c.value for c in at.caption))


def test_map_on_both_pages_colours_each_district_by_its_notes(make_app, service: ReviewService) -> None:
    notes = district_notes(service.overview(top=None).heatmap)
    at = open_page(make_app(), "uebersicht")
    values = map_values(at, "overview_map")
    assert len(values) == 20 and {d: v for d, v in values.items() if v is not None} == notes
    assert SCHEMATIC in captions(at) and "Ein Klick auf einen Sozialraum wählt ihn als Filter." in captions(at)

    open_page(at, "sozialraeume")
    assert map_values(at, "district_map") == values
    assert SCHEMATIC in captions(at)


def test_map_can_be_coloured_by_concerns_or_an_indicator(make_app, service: ReviewService) -> None:
    at = open_page(make_app(), "sozialraeume")
    at.selectbox(key="district_map_measure").select("Arbeitslosenquote").run()
    values = map_values(at, "district_map")
    assert values["Nord-Düren"] == 12.9 and values["Merken"] is not None  # every district has the indicator
    at.selectbox(key="district_map_measure").select("Anliegen").run()
    concerns = service.overview(top=None).top
    ost = sum("Ost" in c.profile.get("districts", {}) for c in concerns)
    assert ost > 0 and map_values(at, "district_map")["Ost"] == ost


def test_a_click_on_an_area_or_a_name_picks_its_district() -> None:
    assert picked({"selection": {"sozialraum": [{"Sozialraum": "Ost"}], "sozialraum_name": []}}) == "Ost"
    assert picked({"selection": {"sozialraum": [], "sozialraum_name": [{"Sozialraum": "Merken"}]}}) == "Merken"
    assert picked({"selection": {"sozialraum": []}}) is None and picked(None) is None


def test_a_broken_map_file_shows_a_german_message_and_the_page_stays(analysed_store, settings: Settings,
                                                                     city_data_dir: Path) -> None:
    (city_data_dir / "districts" / "dueren.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Atlantis"},
         "geometry": {"type": "Polygon", "coordinates": [[[6.4, 50.8], [6.5, 50.8], [6.5, 50.9], [6.4, 50.8]]]}}]}),
        encoding="utf-8")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["store"] = analysed_store
    at.session_state["settings"] = settings.model_copy(
        update={"nlp": settings.nlp.model_copy(update={"data_dir": city_data_dir})})
    at.run()
    for page, still in (("uebersicht", "Die häufigsten wiederkehrenden Anliegen"), ("sozialraeume", "Stimmen und Daten")):
        open_page(at, page)
        (error,) = [shown(e.value) for e in at.error]
        assert error.startswith("Die Karte der Sozialräume fehlt: Karte dueren.geojson: Diese Namen sind keine "
                                "Sozialräume des Gazetteers: Atlantis.")
        assert still in [s.value for s in at.subheader]
        assert not [n for n in nodes(at) if n.type == "vega_lite_chart" and "_map" in n.proto.id]


def test_district_page_sets_indicators_beside_the_city_and_names_blind_spots(analysed_store, settings: Settings,
                                                                            make_app) -> None:
    at = open_page(make_app(), "sozialraeume")
    at.selectbox(key="district_pick").select("Nord-Düren").run()
    indicators = table(at, "Stadt")
    sgb = indicators[indicators["Indikator"] == "SGB-II-Quote"].iloc[0]
    assert (sgb["Wert"], sgb["Stadt"], sgb["Verlauf"]) == ("21,6", "12,3", "–")
    assert "mindestens 1,5-mal so hoch wie in der Stadt" in captions(at)
    assert "Anliegen ohne Beleg in den Daten: Mindestens 2 Beiträge" in captions(at)
    assert not [w for w in at.warning if "blinder Fleck" in w.value]  # 7 of 30 notes name Nord-Düren

    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["store"] = analysed_store
    at.session_state["settings"] = settings.model_copy(update={"comparison": ComparisonSettings(few_notes=0.5)})
    at.session_state["actor"] = "Anna Amt"
    at.run()
    open_page(at, "sozialraeume")
    at.selectbox(key="district_pick").select("Nord-Düren").run()
    (warning,) = [shown(w.value) for w in at.warning if "blinder Fleck" in w.value]
    assert warning.startswith("Nord-Düren ist ein blinder Fleck: nur 7 Beiträge")
    assert "Nord-Düren" in table(at, "Auffällige Indikatoren")["Sozialraum"].tolist()
    assert "weniger als 50 % der Beiträge nennen den Sozialraum" in captions(at)
