"""Headings, file names and sentences of transcribed table notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.districts import Gazetteer
from nlp.structure import (
    canonical_table,
    HeadingStack,
    NoteMeta,
    looks_like_heading,
    parse_filename,
    parse_heading,
    split_contributions,
)
from nlp.themes import Taxonomy

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy.from_yaml(DATA / "themes.yml")


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.from_yaml(DATA / "districts" / "dueren.yml")


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ("Tisch 3 – Wohnen", NoteMeta(table="3", theme="Wohnen")),
        ("Tisch 3: Wohnen, Runde 2", NoteMeta(table="3", round=2, theme="Wohnen")),
        ("Tisch 5 (Bildung)", NoteMeta(table="5", theme="Bildung und Erziehung")),
        ("Runde 2", NoteMeta(round=2)),
        ("2. Runde", NoteMeta(round=2)),
        ("Zweite Runde", NoteMeta(round=2)),
        ("Thementisch Sicherheit", NoteMeta(theme="Sicherheit")),
        ("Thema: Kita", NoteMeta(theme="Bildung und Erziehung")),
        ("Sozialraum: Düren-Nord", NoteMeta(district="Nord-Düren")),
        ("Wohnen", NoteMeta(theme="Wohnen")),
        ("Ergebnisse", NoteMeta()),
    ],
)
def test_headings_name_table_round_theme_and_district(
    taxonomy: Taxonomy, gazetteer: Gazetteer, heading: str, expected: NoteMeta
) -> None:
    assert parse_heading(heading, taxonomy, gazetteer) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Tisch3_Wohnen_Runde2.docx", NoteMeta(table="3", round=2, theme="Wohnen")),
        ("tisch-4-bildung-runde-1.txt", NoteMeta(table="4", round=1, theme="Bildung und Erziehung")),
        ("runde2/Bildung_und_Erziehung_Tisch2.md", NoteMeta(table="2", theme="Bildung und Erziehung")),
        ("Nord-Düren_Tisch1.docx", NoteMeta(table="1", district="Nord-Düren")),
        ("Protokoll.docx", NoteMeta()),
    ],
)
def test_file_names_name_table_round_theme_and_district(
    taxonomy: Taxonomy, gazetteer: Gazetteer, name: str, expected: NoteMeta
) -> None:
    assert parse_filename(name, taxonomy, gazetteer) == expected


@pytest.mark.parametrize(
    ("line", "heading"),
    [("Tisch 3 – Wohnen", True), ("Runde 2", True), ("Wohnen:", True), ("Thema: Arbeit", True),
     ("Tische fehlen in der Mensa.", False), ("Runde Tische mit allen Trägern einrichten", False),
     ("Wohnen ist zu teuer", False), ("Kita fehlt", False)],
)
def test_plain_lines_are_headings_only_when_they_name_metadata(
    taxonomy: Taxonomy, gazetteer: Gazetteer, line: str, heading: bool
) -> None:
    assert looks_like_heading(line, taxonomy, gazetteer) is heading


def test_heading_stack_replaces_headings_of_the_same_kind(taxonomy: Taxonomy) -> None:
    stack = HeadingStack(taxonomy)
    stack.push("Runde 1")
    stack.push("Tisch 3 – Wohnen")
    assert (stack.path, stack.meta) == ("Runde 1 › Tisch 3 – Wohnen", NoteMeta(table="3", round=1, theme="Wohnen"))
    stack.push("Tisch 4")
    assert stack.path == "Runde 1 › Tisch 4"
    stack.push("Runde 2")
    assert (stack.path, stack.meta) == ("Runde 2", NoteMeta(round=2))


def test_explicit_levels_close_deeper_headings(taxonomy: Taxonomy) -> None:
    stack = HeadingStack(taxonomy)
    stack.push("Tisch 1 – Arbeit", 1)
    stack.push("Runde 1", 2)
    stack.push("Ergebnisse", 3)
    stack.push("Tisch 2 – Wohnen", 1)
    assert (stack.path, stack.meta) == ("Tisch 2 – Wohnen", NoteMeta(table="2", theme="Wohnen"))


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("Kita-Plätze fehlen. Der Bus fährt selten.", ["Kita-Plätze fehlen.", "Der Bus fährt selten."]),
        ("Der Spielplatz ist kaputt. Dort trifft sich abends niemand mehr.",
         ["Der Spielplatz ist kaputt. Dort trifft sich abends niemand mehr."]),
        ("Mehr Angebote z.B. Sport bzw. Musik. Linie Nr. 5 fährt nicht. Ca. 20 Kinder warten.",
         ["Mehr Angebote z.B. Sport bzw. Musik.", "Linie Nr. 5 fährt nicht.", "Ca. 20 Kinder warten."]),
        ("Lärm an der Kölner Str. 5 nachts. Jobcenter nicht erreichbar!",
         ["Lärm an der Kölner Str. 5 nachts.", "Jobcenter nicht erreichbar!"]),
        ("Treffpunkte u.a. für Jugendliche fehlen. Es gibt z. B. keinen Jugendtreff.",
         ["Treffpunkte u.a. für Jugendliche fehlen.", "Es gibt z. B. keinen Jugendtreff."]),
        ("Fest am 3. Mai absagen? Schulsozialarbeit fehlt. Dringend!",
         ["Fest am 3. Mai absagen?", "Schulsozialarbeit fehlt. Dringend!"]),
        ("Kita fehlt", ["Kita fehlt"]),
    ],
)
def test_paragraphs_split_into_sentences_about_different_things(paragraph: str, expected: list[str]) -> None:
    assert split_contributions(paragraph) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("Tisch 3", "3"), ("tisch3", "3"), ("Tisch-Nr. 12", "12"), ("3", "3"), ("3.0", "3"), (" 07 ", "7"),
    ("Thementisch 4", "4"), ("Marktplatz", "Marktplatz"), ("", None), (None, None),
])
def test_canonical_table_gives_one_spelling_per_table(value, expected) -> None:
    assert canonical_table(value) == expected
