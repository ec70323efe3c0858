"""The noun lexicon that puts names in the nominative (Wiktionary via german-nouns, read offline)."""

from __future__ import annotations

from nlp.nouns import is_compound, known, lookup


def test_a_noun_has_its_gender_and_the_forms_of_each_number() -> None:
    raum = lookup("Raum")
    assert raum is not None and raum.genus == "m"
    assert raum.number("Räumen") == "plural" and raum.nominative("Räumen") == "Räume"
    assert raum.number("Raumes") == "singular" and raum.nominative("Raumes") == "Raum"
    assert lookup("Angebot").genus == "n" and lookup("Grünphase").genus == "f"


def test_a_compound_the_lexicon_lacks_takes_its_head() -> None:
    pflege = lookup("Kindertagespflege")
    assert pflege is not None and pflege.genus == "f"
    plaetze = lookup("Kita-platz")  # as HanTa writes the lemma
    assert plaetze is not None and plaetze.genus == "m"
    assert plaetze.nominative("Kita-Plätzen") == "Kita-Plätze"
    stellen = lookup("Schulsozialarbeitsstelle")
    assert stellen.number("Schulsozialarbeitsstellen") == "plural"


def test_a_form_of_either_number_and_an_unknown_word_stay_undecided() -> None:
    lehrer = lookup("Lehrer")
    assert lehrer.number("Lehrer") is None and lehrer.nominative("Lehrer") == "Lehrer"
    assert lehrer.number("Lehrern") == "plural"
    assert lookup("Flunzel") is None


def test_a_word_made_of_known_nouns_is_a_compound() -> None:
    assert known("Grundschule") and not known("Tännichtschule")
    assert is_compound("Gemeinschaftsgrund") and is_compound("Stadtteil")
    assert not is_compound("Tännicht") and not is_compound("Herder")
