"""Concern names: noun phrases from HanTa's tags, names of places and institutions left out, MMR, the guard."""

from __future__ import annotations

import numpy as np
import pytest
import spacy

from nlp.embed import Block, l2_normalise
from nlp.naming import (
    Token,
    candidate_phrases,
    concern_name,
    embedding_features,
    key_phrases,
    mmr,
    name_top1,
    name_words,
    noun_phrases,
    repeats_words,
    tag_texts,
)


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    return spacy.blank("de")


def phrases(text: str, nlp: spacy.language.Language, exclude: set[str] | None = None) -> list[str]:
    return noun_phrases(tag_texts([text], nlp)[0], exclude or set())


def test_noun_phrases_keep_their_modifiers_and_attached_phrase(nlp: spacy.language.Language) -> None:
    assert phrases("Lange Wartezeiten beim Integrationskurs", nlp) == [
        "lange Wartezeiten", "lange Wartezeiten beim Integrationskurs", "Integrationskurs",
    ]
    found = phrases("Fehlende Kitaplätze für Kinder unter drei Jahren", nlp)
    assert found[:2] == ["fehlende Kitaplätze", "fehlende Kitaplätze für Kinder"]


def test_a_phrase_cut_from_its_sentence_names_in_the_nominative(nlp: spacy.language.Language) -> None:
    """A name stands alone: the head's adjectives lose the case the sentence gave them where the
    nominative is sure (plural, feminine); the attached phrase keeps its preposition's case."""
    assert phrases("Es fehlt an der eigentlichen Grünphase für Radfahrer.", nlp)[:2] == [
        "eigentliche Grünphase", "eigentliche Grünphase für Radfahrer"]
    assert "andere parkende Räder" in phrases("Es kommt zu Situationen mit anderen parkenden Rädern.", nlp)
    assert "fehlende Kitaplätze" in phrases("Die fehlenden Kitaplätze sind ein Problem.", nlp)
    assert "lange Fahrtwege" in phrases("Azubis klagen wegen langer Fahrtwege.", nlp)
    assert "wurzelwuchs-bedingte Unebenheiten" in phrases("Asphalt mit wurzelwuchs-bedingten Unebenheiten.", nlp)
    found = phrases("Es gibt Seniorentreffs in den kleinen Ortsteilen.", nlp)
    assert "Seniorentreffs in den kleinen Ortsteilen" in found  # the preposition's dative stays
    assert "kleine Ortsteile" in found  # the lexicon knows "Ortsteilen" as the dative plural
    # the lexicon tells the gender of a masculine or neuter noun where no article does
    assert "sozialer Wohnungsbau" in phrases("Wir brauchen sozialen Wohnungsbau.", nlp)
    assert "öffentlicher Raum" in phrases("Es gibt Müll im öffentlichen Raum.", nlp)
    assert "moderner Unterricht" in phrases("Die Schule braucht Geld für modernen Unterricht.", nlp)
    assert "kostenloses Nahverkehr-Ticket" in phrases("Wir wünschen uns ein kostenloses Nahverkehr-Ticket.", nlp)
    assert "neue Kita-Plätze" in phrases("Es fehlt an neuen Kita-Plätzen.", nlp)  # a compound by its head
    # a form of either number ("Lehrer") and a noun the lexicon lacks keep the old rules
    assert "kompetente Lehrer" in phrases("Wir brauchen kompetente Lehrer.", nlp)
    assert "neuen Flunzel" in phrases("Wir reden über den Bedarf an neuen Flunzel.", nlp)
    # without the lexicon, the article before the phrase tells the gender of a masculine or neuter noun
    assert "größtes Problem" in phrases("Das größte Problem ist die Miete.", nlp)
    assert "öffentlicher Raum" in phrases("Der öffentliche Raum verwahrlost.", nlp)
    assert "sozialer Wohnungsbau" in phrases("Geld für den sozialen Wohnungsbau fehlt.", nlp)
    assert "hohe Geschwindigkeit" in phrases("Autos fahren mit hoher Geschwindigkeit.", nlp)
    idiom = phrases("Dort kommen einem Supermarktbesucher in die Quere.", nlp)
    assert "Supermarktbesucher" in idiom and not any("Quere" in p for p in idiom)


def test_tags_come_from_hanta(nlp: spacy.language.Language) -> None:
    tags = [(t.text, t.tag) for t in tag_texts(["Lange Wartezeiten beim Integrationskurs"], nlp)[0]]

    assert tags == [("Lange", "ADJ(A)"), ("Wartezeiten", "NN"), ("beim", "APPRART"), ("Integrationskurs", "NN")]


def test_institution_names_quotes_and_places_stay_out(nlp: spacy.language.Language) -> None:
    found = phrases("Es fehlen Kitaplätze in der Kita Regenbogen in Nord-Düren.", nlp, {"nord-düren"})
    assert found == ["Kitaplätze"]  # "Kita Regenbogen" is an institution with its name, Nord-Düren a place

    quoted = phrases("Der Jugendtreff „Sonnenschein“ hat zu wenig Personal.", nlp)
    assert not any("Sonnenschein" in p for p in quoted)
    assert "Personal" in quoted

    gazetteer = phrases("Im Kunterbunt gibt es keine freien Plätze mehr.", nlp, {"kunterbunt"})
    assert gazetteer == ["freie Plätze"]

    place = phrases("Wir brauchen mehr Fahrradparkplätze in Ehrenfeld.", nlp)
    assert place == ["Fahrradparkplätze"]  # a place's ending after "in" with no article: a district
    assert "Umfeld" in phrases("Die Kinder im Umfeld der Schule.", nlp)  # a common noun takes an article
    assert "Pflegeheim" in phrases("Umzug in Pflegeheim zu teuer.", nlp)  # a home, as notes write it

    person = phrases("Herr Schmidt vom Jugendamt sagt, die Busverbindung nach Merken ist schlecht.", nlp, {"merken"})
    assert not any("Schmidt" in p or "Merken" in p or "Herr" in p for p in person)
    assert "Busverbindung" in person


def test_a_noun_right_after_a_noun_is_a_name() -> None:
    tokens = [Token("Kita", "Kita", "NN"), Token("Pusteblume", "Pusteblume", "NN"), Token("schließt", "schließen", "VV(FIN)")]

    assert name_words(tokens) == {"pusteblume"}
    assert noun_phrases(tokens) == []


def test_mmr_adds_no_phrase_the_cluster_is_hardly_about() -> None:
    centre = np.array([1.0, 0.0, 0.0])
    candidates = l2_normalise(np.array([
        [1.0, 0.2, 0.0],   # the concern
        [0.2, 0.0, 1.0],   # different, but hardly about the concern (cosine 0.2 against 0.98)
    ]))

    assert mmr(candidates, centre, top_n=2) == [0]
    assert mmr(candidates, centre, top_n=2, least_share=0.1) == [0, 1]


def test_mmr_takes_the_nearest_first_and_never_a_near_duplicate() -> None:
    centre = l2_normalise(np.array([[1.0, -0.1, 0.1]]))[0]
    candidates = l2_normalise(np.array([
        [1.0, 0.0, 0.0],   # nearest to the centre
        [0.99, 0.05, 0.0],  # nearly the same as the first
        [0.5, 0.0, 0.86],  # farther, but says something else
        [0.5, 0.86, 0.0],
    ]))

    chosen = mmr(candidates, centre, top_n=3)

    assert chosen[0] == 0
    assert 1 not in chosen
    assert sorted(chosen[1:]) == [2, 3]
    pairwise = candidates[chosen] @ candidates[chosen].T
    assert pairwise[~np.eye(len(chosen), dtype=bool)].max() < 0.85


def test_mmr_stops_when_only_duplicates_are_left() -> None:
    candidates = l2_normalise(np.array([[1.0, 0.0], [0.999, 0.01], [0.998, 0.02]]))

    assert mmr(candidates, candidates[0], top_n=3) == [0]
    assert mmr(np.zeros((0, 2)), np.array([1.0, 0.0])) == []


def test_key_phrases_follow_the_vectors() -> None:
    vectors = l2_normalise(np.array([[0.0, 1.0], [1.0, 0.0], [0.7, 0.7]]))

    assert key_phrases(["Hundekot", "Spielplatz", "Bolzplatz"], vectors, np.array([1.0, 0.0]), top_n=1) == ["Spielplatz"]


def test_mmr_prefers_a_phrase_that_fits_no_neighbouring_concern() -> None:
    centre = l2_normalise(np.array([[1.0, 1.0, 0.0]]))[0]
    rival = l2_normalise(np.array([[1.0, 0.0, 1.0]]))  # the theme's other concern
    candidates = l2_normalise(np.array([
        [1.0, 0.9, 0.5],  # closest to the centre, but close to the rival too
        [0.3, 1.0, -0.2],  # a little farther, and says what sets this concern apart
    ]))

    assert mmr(candidates, centre, top_n=1) == [0]
    assert mmr(candidates, centre, top_n=1, rivals=rival) == [1]
    assert key_phrases(["Radweg", "Radweg mit Wurzelschäden"], candidates, centre, top_n=1, rivals=rival) == [
        "Radweg mit Wurzelschäden"
    ]


def test_adjectives_used_as_nouns_head_phrases_and_lower_case_words_do_not(nlp: spacy.language.Language) -> None:
    assert "Alleinerziehende" in phrases("Alleinerziehende brauchen Kinderbetreuung am Abend.", nlp)
    assert "Jugendliche ohne Tagesstruktur" in phrases("Jugendliche ohne Tagesstruktur fallen auf.", nlp)
    # "die Jugendlichen" is no place adjective, "Homberger Straße" is a place
    assert "Treff für die Jugendlichen" in phrases("Der Treff für die Jugendlichen an der Homberger Straße fehlt.", nlp)
    assert phrases("Jugendliche trampen abends.", nlp) == []  # "trampen" is tagged NN, but it is no noun


def test_a_name_does_not_say_the_same_noun_twice() -> None:
    centre = np.array([1.0, 0.0, 0.0])
    vectors = l2_normalise(np.array([[0.8, 0.6, 0.0], [0.8, -0.6, 0.0], [0.3, 0.0, 0.95]]))
    names = ["niedriges Einkommen", "Einkommen", "Hälfte der Miete"]

    assert mmr(vectors, centre, top_n=2) == [0, 1]  # the vectors alone would take both
    assert key_phrases(names, vectors, centre, top_n=2) == ["niedriges Einkommen", "Hälfte der Miete"]
    assert repeats_words("Ehrenamt", "Ehrenamtskoordination in der Flüchtlingshilfe")
    assert not repeats_words("Schule", "offene Ausbildungsstellen")


def test_streets_and_place_adjectives_stay_out_of_names(nlp: spacy.language.Language) -> None:
    found = phrases("Der Radweg an der Homberger Str. hat tiefe Schlaglöcher.", nlp)
    assert "Radweg" in found and "tiefe Schlaglöcher" in found
    assert not any("Homberger" in p or "homberger" in p or "Str." in p for p in found)

    street = phrases("Auf der Venloer Straße parken Autos auf dem Radweg.", nlp)
    assert not any("Venloer" in p or "Straße" in p for p in street)
    assert "Radweg" in street

    one_word = phrases("Die Gutenbergstraße braucht eine Einbahnstraße in Gegenrichtung.", nlp)
    assert not any("Gutenberg" in p for p in one_word)
    assert "Einbahnstraße in Gegenrichtung" in one_word  # a kind of street, not a name

    assert "Weg zur Schule" in phrases("Der Weg zur Schule ist abends dunkel.", nlp)  # "Der" names no street

    # one word naming one school, not a kind of school (the noun lexicon knows the kinds)
    school = phrases("Snackautomaten an der Tännichtschule wären toll.", nlp)
    assert "Snackautomaten" in school and not any("Tännicht" in p for p in school)
    assert "Snackautomaten an der Grundschule" in phrases("Snackautomaten an der Grundschule wären toll.", nlp)
    assert "Gemeinschaftsgrundschule" in phrases("Die Gemeinschaftsgrundschule braucht Platz.", nlp)

    # a capital at the start of a sentence is no place name
    assert "fehlende Radwege" in phrases("Fehlende Radwege sind das größte Problem.", nlp)


def test_concern_name_is_capitalised_and_joins_two_phrases() -> None:
    assert concern_name(["fehlende Kitaplätze"]) == "Fehlende Kitaplätze"
    assert concern_name(["lange Wartezeiten", "Sprachkurse"]) == "Lange Wartezeiten und Sprachkurse"
    assert concern_name([]) == ""


def test_embedding_features_centre_only_centred_blocks_on_the_reference() -> None:
    blocks = [Block("a", 0, 2), Block("b", 2, 4, center=True)]
    reference = np.array([[1.0, 0.0, 1.0, 1.0], [0.0, 1.0, 1.0, 0.0]])
    vector = np.array([[1.0, 0.0, 1.0, 1.5]])

    out = embedding_features(vector, blocks, reference)

    # block b minus the reference mean (1.0, 0.5) is (0, 1); block a stays (1, 0)
    assert out[0] == pytest.approx(np.array([1.0, 0.0, 0.0, 1.0]) / np.sqrt(2))


def test_name_top1_counts_names_nearest_their_own_centre_within_their_theme() -> None:
    centres = np.eye(4)
    names = l2_normalise(np.array([
        [0.9, 0.1, 0.0, 0.0],  # theme A, nearest its own (0): hit
        [0.8, 0.6, 0.0, 0.0],  # theme A, nearer cluster 0 than its own (1): miss
        [0.0, 0.0, 0.6, 0.8],  # theme B: nearer cluster 3 of its own theme: miss
        [0.9, 0.0, 0.0, 0.3],  # theme B: cluster 0 is nearer but in theme A: hit
    ]))

    assert name_top1(names, centres, ["A", "A", "B", "B"]) == pytest.approx(0.5)
    assert name_top1(centres, centres, ["A", "A", "B", "B"]) == 1.0


def test_name_top1_counts_a_tie_against_the_name() -> None:
    centres = np.eye(2)
    names = l2_normalise(np.array([[1.0, 1.0], [0.0, 1.0]]))

    assert name_top1(names, centres, ["A", "A"]) == pytest.approx(0.5)


def test_a_bare_noun_needs_two_notes_in_any_form_and_one_note_names_where_none_is_shared(
        nlp: spacy.language.Language) -> None:
    shared = candidate_phrases(["Kita-Platz in Nord Düren = Lottogewinn", "Kita-Plätze fehlen, v.a. Nord-Düren!!"],
                               nlp, {"nord-düren", "düren", "nord"})
    assert "Kita-Platz" in shared and "Kita-Plätze" in shared  # one lemma, two notes
    assert "Lottogewinn" not in shared  # one note only
    alone = candidate_phrases(["Angsträume am Bahnhof, v.a. Unterführung schlecht beleuchtet",
                               "Obdachlose am Bahnhof, im Winter lebensgefährlich"], nlp, {"bahnhof"})
    assert {"Angsträume", "Unterführung", "Obdachlose"} <= set(alone)  # nothing shared: every phrase counts
    named = candidate_phrases(["Mehr Fahrradparkplätze in Ehrenfeld", "Ehrenfeld braucht Fahrradparkplätze"], nlp)
    assert "Ehrenfeld" not in named  # a place in one note is a place in the other
    kept = candidate_phrases(["Gefährliche Kreuzung an der Venloer Straße", "Die Straße ist zu eng",
                              "Angebote für Kinder Jugendliche", "Jugendliche brauchen Orte"], nlp)
    assert "Straße" in kept and "Jugendliche" in kept  # a street word or a noun after a noun names only there
    assert not any("Venloer" in p for p in kept)


def test_a_vague_noun_names_only_where_nothing_else_does(nlp: spacy.language.Language) -> None:
    found = candidate_phrases(["Energiekosten sind das größte Problem, vor allem Gas.",
                               "Die Energiekosten steigen für alle."], nlp)
    assert "Energiekosten" in found and not any("Problem" in p for p in found)
    assert "Problem mit Ratten" in candidate_phrases(["Es gibt ein Problem mit Ratten.",
                                                      "Das Problem mit Ratten wächst."], nlp)
    assert candidate_phrases(["Das ist ein großes Problem.", "Ein großes Problem!"], nlp) == ["großes Problem"]
