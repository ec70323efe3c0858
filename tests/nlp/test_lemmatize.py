"""German lemmatisation: hand-checked lemmas, gendered forms, abbreviations, stop words."""

from __future__ import annotations

import pytest
from spacy.language import Language

from nlp.lemmatize import STOP_WORDS, build_pipeline, lemmatize_texts, process_texts, ungender
from nlp.text import clean_text


@pytest.fixture(scope="module")
def pipeline() -> Language:
    return build_pipeline()


def lemmas(text: str, pipeline: Language) -> tuple[str, ...]:
    return process_texts([text], pipeline)[0].lemmas


@pytest.mark.parametrize(
    ("text", "lemma"),
    [("Spielplätze", "Spielplatz"), ("Angsträume", "Angstraum"), ("Kitas", "Kita"), ("Bürgerinnen", "Bürgerin")],
)
def test_lemmatizes_design_examples(text: str, lemma: str, pipeline: Language) -> None:
    assert lemmas(f"Es fehlen {text}", pipeline) == ("fehlen", lemma)


@pytest.mark.parametrize("form", ["Bürger*innen", "Bürger:innen", "BürgerInnen", "Bürger_innen", "Bürger/-innen"])
def test_gendered_forms_lemmatize_to_base_noun(form: str, pipeline: Language) -> None:
    assert lemmas(f"{form} beschweren sich", pipeline) == ("Bürger", "beschweren")


def test_ungender_rewrites_singular_forms_and_leaves_plain_words() -> None:
    assert ungender("Ansprechpartner*in und SozialarbeiterIn") == "Ansprechpartner und Sozialarbeiter"
    assert ungender("Innenstadt und Berlin") == "Innenstadt und Berlin"


@pytest.mark.parametrize(
    "text",
    [
        "Wir brauchen z.B. mehr Spielplatz",
        "Wir brauchen z. B. mehr Spielplatz",
        "Wir brauchen ggf. mehr Spielplatz",
        "Ggf. mehr Spielplatz",
        "Z.B. mehr Spielplatz",
        "Evtl. mehr Spielplatz",
        "Wir brauchen u. a. mehr Spielplatz",
        "D.h. mehr Spielplatz",
        "Usw. mehr Spielplatz",
    ],
)
def test_function_abbreviations_are_not_content_lemmas(text: str, pipeline: Language) -> None:
    assert set(lemmas(text, pipeline)) <= {"brauchen", "Spielplatz"}
    assert "Spielplatz" in lemmas(text, pipeline)


def test_domain_abbreviations_are_kept_in_canonical_form(pipeline: Language) -> None:
    assert lemmas("kita ogs öpnv jc", pipeline) == ("Kita", "OGS", "ÖPNV", "Jobcenter")
    assert lemmas("Kita, OGS und ÖPNV", pipeline) == ("Kita", "OGS", "ÖPNV")


def test_stop_words_and_numbers_are_removed(pipeline: Language) -> None:
    result = lemmas("Wir haben es und die 20 Kinder sind immer noch da", pipeline)
    assert result == ("Kind",)
    assert all(lemma.lower() not in STOP_WORDS for lemma in result)


def test_hyphenated_compound_lemmatizes_last_part(pipeline: Language) -> None:
    assert lemmas("Kita-Plätze fehlen", pipeline) == ("Kita-Platz", "fehlen")


def test_emoji_are_dropped(pipeline: Language) -> None:
    assert lemmas("Mehr Spielplätze 😀🚌!! 👍", pipeline) == ("Spielplatz",)


def test_cleaned_html_text_is_lemmatized(pipeline: Language) -> None:
    text = clean_text("<p>Viele dunkle <b>Angsträume</b> am&nbsp;Bahnhof</p><script>alert(1)</script>")
    assert lemmas(text, pipeline) == ("dunkel", "Angstraum", "Bahnhof")


def test_very_long_text_is_lemmatized(pipeline: Language) -> None:
    sentence = "Spielplätze fehlen im Viertel. "
    text = sentence * (10_000 // len(sentence) + 1)
    assert len(text) >= 10_000
    result = lemmas(text, pipeline)
    assert result.count("Spielplatz") == text.count("Spielplätze")
    assert set(result) == {"Spielplatz", "fehlen", "Viertel"}


def test_empty_and_blank_texts_give_no_lemmas(pipeline: Language) -> None:
    assert [p.lemmas for p in process_texts(["", "   ", "!!!"], pipeline)] == [(), (), ()]


def test_results_are_aligned_with_inputs(pipeline: Language) -> None:
    texts = ["Kitas fehlen", "", "Spielplätze fehlen"]
    result = lemmatize_texts(texts, pipeline)
    assert result == [["Kita", "fehlen"], [], ["Spielplatz", "fehlen"]]


def test_districts_are_empty_without_gazetteer(pipeline: Language) -> None:
    assert process_texts(["Probleme in der Innenstadt"], pipeline)[0].districts == ()
