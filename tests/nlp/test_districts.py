"""District recognition with the real Düren gazetteer (data/districts/dueren.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacy.language import Language

from nlp.districts import Gazetteer
from nlp.lemmatize import build_pipeline, process_texts

GAZETTEER = Path(__file__).resolve().parents[2] / "data" / "districts" / "dueren.yml"


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.from_yaml(GAZETTEER)


@pytest.fixture(scope="module")
def pipeline(gazetteer: Gazetteer) -> Language:
    return build_pipeline(gazetteer.entries)


def districts(text: str, pipeline: Language) -> tuple[str, ...]:
    return process_texts([text], pipeline)[0].districts


def test_gazetteer_loads_districts_and_kinds(gazetteer: Gazetteer) -> None:
    assert gazetteer.city == "Düren"
    assert {"Innenstadt", "Nord-Düren", "Merken", "Birkesdorf"} <= set(gazetteer.districts)
    assert gazetteer.entries["Veldener Straße"] == "Nord-Düren"
    assert gazetteer.kinds["Veldener Straße"] == "streets"
    assert gazetteer.kinds["Bahnhof"] == "landmarks"
    assert gazetteer.kinds["Düren-Nord"] == "variants"


def test_gazetteer_canonical_maps_variants_any_case(gazetteer: Gazetteer) -> None:
    assert gazetteer.canonical("Düren-Nord") == "Nord-Düren"
    assert gazetteer.canonical("  düren-nord ") == "Nord-Düren"
    assert gazetteer.canonical("Atlantis") is None
    assert gazetteer.canonical("") is None
    assert gazetteer.canonical(None) is None


@pytest.mark.parametrize("name", ["Innenstadt", "Nord-Düren", "Birkesdorf", "Gürzenich", "Süd-Ost", "Merken"])
def test_detects_canonical_names(name: str, pipeline: Language) -> None:
    assert districts(f"Zu wenig Angebote in {name} für Jugendliche.", pipeline) == (name,)


@pytest.mark.parametrize(
    ("variant", "district"),
    [("Düren-Nord", "Nord-Düren"), ("Nordstadt", "Nord-Düren"), ("Stadtmitte", "Innenstadt"), ("Düren-Ost", "Ost")],
)
def test_detects_variants_as_their_district(variant: str, district: str, pipeline: Language) -> None:
    assert districts(f"In {variant} fehlt ein Treffpunkt", pipeline) == (district,)


def test_detects_street(pipeline: Language) -> None:
    assert districts("In der Veldener Straße fehlen Sitzbänke", pipeline) == ("Nord-Düren",)


def test_detects_landmark_after_preposition(pipeline: Language) -> None:
    assert districts("Abends viel Müll am Bahnhof", pipeline) == ("Innenstadt",)
    assert districts("Dealer im Holzbendenpark", pipeline) == ("Ost",)


def test_detects_institution(pipeline: Language) -> None:
    assert districts("Die Kita Regenbogen hat lange Wartelisten", pipeline) == ("Nord-Düren",)


def test_detects_lowercase_village_names(pipeline: Language) -> None:
    assert districts("bus von lendersdorf nach birkesdorf fährt selten", pipeline) == ("Lendersdorf", "Birkesdorf")
    assert districts("in gürzenich fehlt ein arzt", pipeline) == ("Gürzenich",)


def test_lowercase_verb_merken_is_not_district(pipeline: Language) -> None:
    assert districts("Das sollten wir uns merken.", pipeline) == ()
    assert districts("Kinder können sich die Busverbindung nicht merken", pipeline) == ()


def test_capitalised_merken_is_district(pipeline: Language) -> None:
    assert districts("Der Spielplatz in Merken ist kaputt", pipeline) == ("Merken",)


def test_text_without_district_gives_empty_tuple(pipeline: Language) -> None:
    assert districts("Wartezeiten für Integrationskurse sind zu lang.", pipeline) == ()
    assert districts("", pipeline) == ()


def test_districts_in_order_of_first_mention(pipeline: Language) -> None:
    text = "Erst Birkesdorf, dann Düren-Nord, dann wieder Birkesdorf und die Innenstadt"
    assert districts(text, pipeline) == ("Birkesdorf", "Nord-Düren", "Innenstadt")
    reversed_text = "Innenstadt und Nordstadt, dann Birkesdorf"
    assert districts(reversed_text, pipeline) == ("Innenstadt", "Nord-Düren", "Birkesdorf")


def test_district_mentioned_twice_is_listed_once(pipeline: Language) -> None:
    assert districts("Merken, Merken und nochmal Düren-Merken", pipeline) == ("Merken",)


def test_districts_do_not_change_lemmas(gazetteer: Gazetteer, pipeline: Language) -> None:
    text = "Spielplätze in Birkesdorf fehlen"
    assert process_texts([text], pipeline)[0].lemmas == process_texts([text], build_pipeline())[0].lemmas


def test_longest_overlapping_match_wins(pipeline: Language) -> None:
    # "Süd Ost" (variant of Süd-Ost) contains "Ost", itself a district name.
    assert districts("In Süd Ost fehlt ein Jugendtreff", pipeline) == ("Süd-Ost",)
    assert districts("Die Realschule Nord und Düren Ost", pipeline) == ("Nord-Düren", "Ost")
