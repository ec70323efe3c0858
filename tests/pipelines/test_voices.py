"""Voices and data side by side: the two rules on a hand-made city with a known answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.errors import InputError
from pipelines.indicators import load_indicators
from pipelines.settings import ComparisonSettings
from pipelines.voices import (
    ConcernPlaces, blind_spot_rule, blind_spots, load_theme_indicators, readings, unsupported_concerns,
    unsupported_rule,
)

# Three districts. City values, weighted by Einwohner (1000, 1000, 2000):
# SGB-II-Quote 15 (A: 30 = 2×), Arbeitslosenquote 5,25 (B: 6 above, C: 5 below),
# Übergangsquote Gymnasium 35, low stands out (B: 20 ≤ 35/1,5).
CSV_2025 = """district,indicator,value,unit,year
A,Einwohner,1000,Personen,2025
B,Einwohner,1000,Personen,2025
C,Einwohner,2000,Personen,2025
A,SGB-II-Quote,30,%,2025
B,SGB-II-Quote,10,%,2025
C,SGB-II-Quote,10,%,2025
A,Arbeitslosenquote,5,%,2025
B,Arbeitslosenquote,6,%,2025
C,Arbeitslosenquote,5,%,2025
A,Übergangsquote Gymnasium,40,%,2025
B,Übergangsquote Gymnasium,20,%,2025
C,Übergangsquote Gymnasium,40,%,2025
"""
CSV_2023 = "district,indicator,value,unit,year\nA,SGB-II-Quote,\"25,0\",%,2023\n"
THEMES = """themes:
  Arbeit: [Arbeitslosenquote]
  Einkommen: [SGB-II-Quote]
  Bildung und Erziehung:
    - {indikator: Übergangsquote Gymnasium, auffällig: niedrig}
  Sicherheit: []
"""
NOTES = {"A": 1, "B": 10, "C": 40}  # of 100 notes of active concerns
CONCERNS = [
    ConcernPlaces("Jobs fehlen", "Arbeit", {"C": 3, "B": 2, "A": 1}),
    ConcernPlaces("Angsträume", "Sicherheit", {"C": 5}),  # a theme without indicators is not judged
    ConcernPlaces("Armut", "Einkommen", {"C": 4, "A": 2}),
]


@pytest.fixture
def city(tmp_path: Path):
    folder = tmp_path / "indicators"
    folder.mkdir()
    (folder / "stadt.csv").write_text(CSV_2025, encoding="utf-8")
    (folder / "stadt_2023.csv").write_text(CSV_2023, encoding="utf-8")
    (folder / "themes.yml").write_text(THEMES, encoding="utf-8")
    return load_indicators(folder), load_theme_indicators(folder / "themes.yml")


def test_blind_spot_is_the_district_far_above_the_city_that_few_notes_name(city) -> None:
    indicators, themes = city
    (spot,) = blind_spots(NOTES, 100, indicators, themes, ComparisonSettings())
    assert (spot.district, spot.notes, spot.share) == ("A", 1, 0.01)
    assert [r.text() for r in spot.readings] == ["SGB-II-Quote 30,0 % (Stadt 15,0 %)"]
    # B stands out too (Gymnasium 20 against 35), but 10 % of the notes name it: no blind spot
    wider = blind_spots(NOTES, 100, indicators, themes, ComparisonSettings(few_notes=0.2))
    assert [(b.district, [r.series.indicator for r in b.readings]) for b in wider] == [
        ("A", ["SGB-II-Quote"]), ("B", ["Übergangsquote Gymnasium"])]
    assert blind_spots(NOTES, 100, indicators, themes, ComparisonSettings(ratio=2.5)) == []


def test_concern_without_support_is_one_whose_theme_indicators_are_no_worse_than_the_city(city) -> None:
    indicators, themes = city
    found = unsupported_concerns(CONCERNS, indicators, themes, ComparisonSettings())
    assert [(u.concern, u.district, u.notes) for u in found] == [("Jobs fehlen", "C", 3), ("Armut", "C", 4)]
    assert [r.text() for r in found[0].readings] == ["Arbeitslosenquote 5,0 % (Stadt 5,2 %)"]  # 5,25 to one decimal, half to even
    # A single note is not enough: raising min_notes to 4 leaves only Armut in C
    fewer = unsupported_concerns(CONCERNS, indicators, themes, ComparisonSettings(min_notes=4))
    assert [(u.concern, u.district) for u in fewer] == [("Armut", "C")]


def test_readings_show_the_latest_value_the_city_and_the_trend(city) -> None:
    indicators, themes = city
    by_name = {r.series.indicator: r for r in readings("A", indicators, themes, "Einwohner")}
    sgb = by_name["SGB-II-Quote"]
    assert (sgb.series.value, sgb.series.year, sgb.city, sgb.series.source) == (30.0, "2025", 15.0, "stadt.csv")
    assert sgb.series.trend() == "↑ 25,0 → 30,0 (2023–2025)"
    assert by_name["Arbeitslosenquote"].series.trend() == ""
    # the population's city value is the sum, and whole numbers show without decimals
    assert by_name["Einwohner"].text() == "Einwohner 1.000 Personen (Stadt 4.000 Personen)"


def test_rules_are_stated_in_plain_german_with_their_thresholds(city) -> None:
    _, themes = city
    rule = blind_spot_rule(ComparisonSettings(), themes)
    assert "mindestens 1,5-mal so hoch wie in der Stadt" in rule
    assert "bei Übergangsquote Gymnasium, wo ein niedriger Wert auffällt: höchstens 66,7 % des Stadtwerts" in rule
    assert "weniger als 5 % der Beiträge nennen den Sozialraum" in rule
    second = unsupported_rule(ComparisonSettings(min_notes=3), "data/indicators/themes.yml")
    assert second.startswith("Anliegen ohne Beleg in den Daten: Mindestens 3 Beiträge") and "themes.yml" in second


def test_a_broken_theme_mapping_is_refused_in_german(tmp_path: Path) -> None:
    path = tmp_path / "themes.yml"
    path.write_text("themes:\n  Arbeit:\n    - {indikator: Arbeitslosenquote, auffällig: seitlich}\n", encoding="utf-8")
    with pytest.raises(InputError, match="Thema Arbeit: Eintrag .* ist weder ein Indikatorname"):
        load_theme_indicators(path)
    path.write_text("- Arbeit\n", encoding="utf-8")
    with pytest.raises(InputError, match="Erwartet wird „themes:“"):
        load_theme_indicators(path)
    assert load_theme_indicators(tmp_path / "fehlt.yml") == {}


def test_demo_mapping_names_only_indicators_of_the_demo_file() -> None:
    from pipelines.settings import REPO_ROOT

    themes = load_theme_indicators(REPO_ROOT / "data" / "indicators" / "themes.yml")
    names = {i.indicator for i in load_indicators(REPO_ROOT / "data" / "indicators")}
    assert {n.indicator for needs in themes.values() for n in needs} <= names
    assert set(themes) == {"Demographie/Integration", "Arbeit", "Einkommen", "Bildung und Erziehung", "Wohnen",
                           "Sicherheit"}
