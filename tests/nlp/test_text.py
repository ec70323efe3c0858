"""Cleaning raw note text: markup, entities, whitespace, spreadsheet formulas, hashes."""

from __future__ import annotations

import pytest

from nlp.text import clean_text, contains_markup, neutralise_formula, text_hash


def test_clean_text_strips_tags_and_script_blocks() -> None:
    raw = '<p>Mehr <b>Spielplätze</b></p><script type="text/javascript">alert("x")</script> bitte'
    cleaned = clean_text(raw)
    assert cleaned == "Mehr Spielplätze bitte"
    assert "alert" not in cleaned


def test_clean_text_removes_style_blocks_case_insensitively() -> None:
    assert clean_text("<STYLE>p { color: red }</STYLE>Kita fehlt") == "Kita fehlt"


def test_clean_text_decodes_entities() -> None:
    assert clean_text("Eltern &amp; Kinder &quot;vergessen&quot; &uuml;berall") == 'Eltern & Kinder "vergessen" überall'


def test_clean_text_collapses_whitespace_and_nbsp() -> None:
    assert clean_text("  Bus\t\tfährt\n\n  nicht&nbsp;&nbsp;abends  ") == "Bus fährt nicht abends"


def test_clean_text_replaces_control_characters() -> None:
    assert clean_text("Kita\x00\x07fehlt") == "Kita fehlt"


def test_clean_text_normalises_to_nfc() -> None:
    decomposed = "Bu\u0308rger"  # "Bürger" with a combining diaeresis
    assert clean_text(decomposed) == "Bürger"
    assert len(clean_text(decomposed)) == len("Bürger")


def test_clean_text_keeps_plain_text_unchanged() -> None:
    text = "Angsträume am Bahnhof: Beleuchtung fehlt (3 < 5)!"
    assert clean_text(text) == text


def test_contains_markup_detects_tags_only() -> None:
    assert contains_markup("<b>fett</b>")
    assert not contains_markup("3 < 5 und 7 > 2")


@pytest.mark.parametrize("value", ["=SUMME(A1:A9)", "+49 2421 123", "-1+1", "@SUM(A1)", "\t=1", "\r=1"])
def test_neutralise_formula_prefixes_apostrophe(value: str) -> None:
    assert neutralise_formula(value) == "'" + value


@pytest.mark.parametrize("value", ["Kita fehlt", "", "5 = 5", "'=schon neutral"])
def test_neutralise_formula_leaves_harmless_values(value: str) -> None:
    assert neutralise_formula(value) == value


def test_text_hash_is_stable_and_content_sensitive() -> None:
    assert text_hash("Kita fehlt") == text_hash("Kita fehlt")
    assert text_hash("Kita fehlt") != text_hash("Kita fehlt!")
    # sha256 of the UTF-8 bytes: a fixed value, so hashes survive a restart.
    assert text_hash("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert len(text_hash("Bürger")) == 64


def test_summary_sentence_is_the_first_sentence_without_list_marks() -> None:
    from nlp.text import summary_sentence

    assert summary_sentence("• Zu wenig Kitaplätze in Nord.  Eltern warten ein Jahr.") == "Zu wenig Kitaplätze in Nord."
    assert summary_sentence("z.B. Busse fahren selten") == "z.B. Busse fahren selten"


def test_a_long_summary_sentence_is_cut_at_a_word() -> None:
    from nlp.text import summary_sentence

    text = "Eltern " + "warten sehr lange " * 30
    summary = summary_sentence(text, max_chars=60)

    assert len(summary) <= 60 and summary.endswith("…")
    assert text.startswith(summary[:-1])
