"""Concern names a planner would write, and a one-sentence summary.

A name is made of *key phrases*: noun phrases with their modifiers ("fehlende
Kitaplätze", "lange Wartezeiten beim Integrationskurs"), taken from the notes
closest to a cluster's centre and chosen as KeyBERT does with maximal marginal
relevance (MMR): the phrase nearest the centre first, then phrases that are near
the centre but not near the ones already chosen.

Part-of-speech tags come from HanTa (Hanover Tagger, STTS tags, German model inside
the wheel, offline); ``spacy.blank("de")`` only tokenises. Tagging costs about
2 ms a note, so only the few notes that naming needs are tagged.

Places and institutions stay out of names: the district profile and hotspot show
them. A phrase is dropped when a word is a proper noun (NE), in quotes, a
gazetteer word (``exclude``), a name after an institution noun ("Kita
*Regenbogen*": two nouns in a row, the second is a name), or one word naming one
street or school ("Gutenbergstraße", "Tännichtschule").
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from spacy.language import Language

from nlp import nouns
from nlp.embed import Block, l2_normalise

#: STTS tags as HanTa writes them at ``taglevel=1``.
ADJECTIVE = "ADJ(A)"
NOUN = "NN"
NOMINALISED = "NNA"  # an adjective used as a noun: "Ältere", "Jugendliche"
PROPER = "NE"
PREPOSITION = "APPR"
PREP_ARTICLE = "APPRART"
ARTICLE = "ART"

#: weight of a phrase's similarity to the nearest other concern of its theme, against
#: its similarity to its own (see :func:`mmr`)
SPECIFICITY = 0.5
#: a second phrase is as close to the cluster's centre as this share of the first one at least
LEAST_SHARE = 0.3

#: words that make the word before them a street's name ("Venloer Straße", "Homberger Str.")
_STREET_WORDS = frozenset({"straße", "strasse", "str.", "str", "allee", "gasse", "platz", "ring", "ufer", "damm", "weg"})
#: "…straße" compounds that name a kind of street, not one street ("Gutenbergstraße" is one)
_STREET_KINDS = frozenset({
    "anlieger", "ausfall", "bundes", "dorf", "durchgangs", "einbahn", "erschließungs", "fahrrad", "gemeinde",
    "haupt", "hinter", "innen", "kreis", "land", "neben", "quer", "rad", "ring", "sammel", "seiten", "spiel",
    "stadt", "umgehungs", "vorfahrts", "wohn", "zufahrts",
})
_STREET_ENDING = re.compile(r"^(?P<kind>\w+?)-?(straße|strasse|str\.?)$", re.IGNORECASE)


def is_street_name(word: str) -> bool:
    """Whether a one-word street says which street: "Gutenbergstraße", not "Einbahnstraße".

    >>> is_street_name("Gutenbergstraße"), is_street_name("Einbahnstraße"), is_street_name("Straße")
    (True, False, False)
    """
    match = _STREET_ENDING.match(word)
    return bool(match) and match.group("kind").lower() not in _STREET_KINDS

#: the ends of a one-word school's name ("Tännichtschule", "Herder-Gymnasium")
_SCHOOL_ENDINGS = ("schule", "schulen", "gymnasium", "gymnasien")
#: fronts of kinds of school that are neither a noun nor in the noun lexicon
_SCHOOL_KINDS = frozenset({"primar", "sekundar", "sprach"})


def is_school_name(word: str) -> bool:
    """Whether a one-word school says which school: "Tännichtschule", not "Grundschule".

    A kind of school is in the noun lexicon ("Grundschule", "Stadtteilschule") or made
    of nouns it knows ("Gemeinschaftsgrundschule"); a name is neither.

    >>> is_school_name("Tännichtschule"), is_school_name("Grundschulen"), is_school_name("Gemeinschaftsgrundschule")
    (True, False, False)
    """
    ending = next((e for e in _SCHOOL_ENDINGS if word.lower().endswith(e) and len(word) > len(e)), None)
    if ending is None:
        return False
    front = word[: -len(ending)].rstrip("-")
    if not front:
        return False
    whole = front + ("schule" if ending.startswith("schul") else "gymnasium")
    return not (nouns.known(whole) or front.lower() in _SCHOOL_KINDS or nouns.is_compound(front))


#: nouns that end an idiom, not a phrase attached to a noun ("in die Quere kommen", "in Kauf nehmen")
_IDIOM_TAILS = frozenset({"quere", "kauf", "griff", "betracht", "hinsicht", "acht"})
#: of those, the ones that never name anything alone
_IDIOM_ONLY = frozenset({"quere", "betracht", "hinsicht"})
_QUOTES = "\"'„“”‚‘’»«›‹"
_NOT_A_WORD = re.compile(r"[\d\[\]/@#%&+=<>|]")


@dataclass(frozen=True)
class Token:
    text: str
    lemma: str
    tag: str
    quoted: bool = False


@cache
def _hanta() -> object:
    from HanTa import HanoverTagger  # LGPL-3.0, imported only where names are made

    return HanoverTagger.HanoverTagger("morphmodel_ger.pgz")


def tag_texts(texts: Sequence[str], nlp: Language) -> list[list[Token]]:
    """STTS-tagged tokens of each text (spaCy's German tokenizer, HanTa's tags and lemmas).

    A token between quotation marks is marked ``quoted``: quoted words name things.
    """
    tagger = _hanta()
    out = []
    for text in texts:
        words = [t.text for t in nlp.make_doc(text) if not t.is_space]
        tagged = tagger.tag_sent(words, taglevel=1) if words else []  # type: ignore[attr-defined]
        tokens, inside = [], False
        for word, lemma, tag in tagged:
            if word and all(ch in _QUOTES for ch in word):
                inside = not inside
                tokens.append(Token(word, lemma, "$(", False))
                continue
            tokens.append(Token(word, lemma, tag, inside))
        out.append(tokens)
    return out


def name_words(tokens: Sequence[Token], everywhere: bool = False) -> set[str]:
    """Lower-case words that name something.

    Proper nouns, quoted words, a noun right after a noun ("Kita Regenbogen"), a place
    ("in Ehrenfeld", see :func:`_is_place`), an
    adjective in -er written with a capital inside a sentence before a noun (German
    writes only those made from place names so: "Homberger Straße", "Neusser Platz";
    "die Jugendlichen" is an adjective used as a noun), and a street: the street word
    with the capitalised adjective or name before it ("Venloer Straße", "Homberger Str.")
    or one word naming one street ("Gutenbergstraße", see :func:`is_street_name`) or one school
    ("Tännichtschule", see :func:`is_school_name`).

    With ``everywhere``, only the words that name something in any sentence: not a noun
    after a noun (notes drop their "und": "Kinder Jugendliche") nor the street word itself.

    >>> sorted(name_words([Token("Kita", "Kita", "NN"), Token("Regenbogen", "Regenbogen", "NN")]))
    ['regenbogen']
    >>> sorted(name_words([Token("an", "an", "APPR"), Token("Homberger", "homberger", "ADJ(A)"),
    ...                    Token("Str.", "straße", "NN")]))
    ['homberger', 'str.']
    """
    out = set()
    for i, t in enumerate(tokens):
        after_noun = i > 0 and tokens[i - 1].tag in (NOUN, PROPER) and t.tag in (NOUN, PROPER)
        inside = i > 0 and not tokens[i - 1].tag.startswith("$.")
        before_noun = i + 1 < len(tokens) and tokens[i + 1].tag in (NOUN, PROPER)
        place_adjective = (t.tag == ADJECTIVE and inside and before_noun and t.text[:1].isupper()
                           and t.text.endswith("er") and not t.text.isupper())
        street = (t.text.lower() in _STREET_WORDS and i > 0 and tokens[i - 1].tag in (ADJECTIVE, PROPER)
                  and tokens[i - 1].text[:1].isupper())
        if (t.tag == PROPER or t.quoted or place_adjective or is_street_name(t.text) or is_school_name(t.text)
                or _is_place(tokens, i)):
            out.add(t.text.lower())
        if after_noun and not everywhere:
            out.add(t.text.lower())
        if street:
            out.add(tokens[i - 1].text.lower())
            if not everywhere:
                out.add(t.text.lower())
    return out


#: endings of German place names ("Ehrenfeld", "Birkesdorf", "Arnoldsweiler", "Holderberg"); not -heim,
#: which telegraphic notes write without article for a home ("Umzug in Pflegeheim")
_PLACE_ENDING = re.compile(r"\w(dorf|feld|berg|weiler|weiller|hausen|kirchen|burg|bach|rath|hoven|horst|kamp"
                           r"|stedt|stadt|ingen|hagen|born)$", re.IGNORECASE)


def _is_place(tokens: Sequence[Token], i: int) -> bool:
    """A noun with a place name's ending, in the singular, right after "in", "aus" or "nach" with no
    article: "in Ehrenfeld" (a common noun there takes an article: "im Umfeld", "in den Pflegeheimen")."""
    t = tokens[i]
    after = i > 0 and tokens[i - 1].tag == PREPOSITION and tokens[i - 1].text.lower() in ("in", "aus", "nach")
    return after and t.tag == NOUN and t.lemma.lower() == t.text.lower() and bool(_PLACE_ENDING.search(t.text))


def noun_phrases(tokens: Sequence[Token], exclude: Collection[str] = ()) -> list[str]:
    """Noun phrases ``ADJA* NN`` and ``ADJA* NN (APPRART | APPR ART?) ADJA* NN`` of one tagged text.

    A noun is written with a capital ("trampen" tagged NN is a verb); an adjective used
    as a noun ("Alleinerziehende", "Jugendliche ohne Ausbildung") heads a phrase as a
    noun does. A phrase is left out when one of its words names a place or institution (see the
    module docstring); a bare noun phrase stays even when its attached phrase goes.

    Args:
        tokens: one text, as :func:`tag_texts` returns it.
        exclude: lower-case words never to use (gazetteer words).

    Returns:
        The phrases in text order, each once, as written ("lange Wartezeiten beim Integrationskurs"),
        the head's adjectives in the nominative where that is sure (see :func:`nominative`).
    """
    names = name_words(tokens) | {w.lower() for w in exclude}

    def ok(t: Token) -> bool:
        return (t.text.lower() not in names and t.text.lower() not in _IDIOM_ONLY and not _NOT_A_WORD.search(t.text)
                and len(t.text) > 1)

    def nominalised(j: int) -> bool:
        """An adjective used as a noun: capitalised, no noun or adjective after it ("Alleinerziehende")."""
        after = tokens[j + 1].tag if j + 1 < len(tokens) else ""
        return tokens[j].text[:1].isupper() and after not in (NOUN, PROPER, ADJECTIVE)

    def noun_phrase(i: int) -> int | None:
        """End (exclusive) of the noun phrase starting at ``i``, or None."""
        j = i
        while j < len(tokens) and tokens[j].tag == ADJECTIVE and ok(tokens[j]):
            if nominalised(j):
                return j + 1
            j += 1
        if j < len(tokens) and tokens[j].tag in (NOUN, NOMINALISED) and ok(tokens[j]) and tokens[j].text[:1].isupper():
            # a noun followed by a noun is an institution with its name ("Kita Regenbogen")
            if j + 1 < len(tokens) and tokens[j + 1].tag in (NOUN, PROPER):
                return None
            return j + 1
        return None

    phrases: list[str] = []
    for i in range(len(tokens)):
        if i > 0 and tokens[i - 1].tag == ADJECTIVE:
            continue  # the phrase starts at the first adjective
        end = noun_phrase(i)
        if end is None:
            continue
        article = tokens[i - 1].text if i > 0 and tokens[i - 1].tag in (ARTICLE, PREP_ARTICLE) else ""
        head = _join(tokens[i:end], nominative(tokens[i:end], article))
        phrases.append(head)
        j = end
        if j < len(tokens) and tokens[j].tag in (PREP_ARTICLE, PREPOSITION):
            k = j + 1
            if tokens[j].tag == PREPOSITION and k < len(tokens) and tokens[k].tag == ARTICLE:
                k += 1
            tail = noun_phrase(k) if k < len(tokens) else None
            if tail is not None and tokens[tail - 1].text.lower() in _IDIOM_TAILS:
                tail = None  # "Supermarktbesucher in die Quere": the idiom's verb is not in the phrase
            if tail is not None:  # the attached phrase keeps the case its preposition gives it
                phrases.append(" ".join([head, *(t.text for t in tokens[end:tail])]))
    return list(dict.fromkeys(phrases))


#: endings of nouns that are feminine (their adjective takes -e in the nominative singular)
_FEMININE_ENDINGS = ("ung", "heit", "keit", "schaft", "ion", "tät", "ei", "enz", "anz", "ik", "ie", "e")
#: "-e" nouns that are not feminine ("Gebäude", "Ende", "Interesse", "Kunde", "Name")
_NOT_FEMININE = ("gebäude", "gelände", "gebirge", "ende", "interesse", "auge", "junge", "kunde", "name",
                 "kollege", "gedanke", "glaube", "wille", "käse", "experte", "zeuge", "erbe", "image", "finale")
#: the gender an article and an adjective's ending give a singular noun: "der öffentliche Raum",
#: "das größte Problem", "an der eigentlichen Grünphase", "für den sozialen Wohnungsbau"
_ARTICLE_GENDER = {("der", "e"): "m", ("das", "e"): "n", ("der", "en"): "f", ("einer", "en"): "f",
                   ("zur", "en"): "f", ("den", "en"): "m", ("einen", "en"): "m"}
#: the nominative ending of an adjective without an article, by gender (and plural)
_STRONG_NOMINATIVE = {"f": "e", "m": "er", "n": "es", "plural": "e"}
_ADJECTIVE_ENDINGS = ("en", "em", "er", "es", "e")


def nominative(tokens: Sequence[Token], article: str = "") -> list[str]:
    """The words of a head phrase ``ADJA* NN`` with its adjectives in the nominative, where that is sure.

    A name stands alone, but its phrase was cut from a sentence, in whatever case the
    sentence gave it ("an der eigentlichen Grünphase", "mit anderen parkenden Rädern",
    "das größte Problem"). Without an article a German adjective shows the noun's gender
    and number: -e for a feminine noun and for a plural, -er for a masculine, -es for a
    neuter one. Number, nominative and gender come from the noun lexicon
    (:mod:`nlp.nouns`: "Ortsteilen" is the dative plural of the masculine "Ortsteil").
    For a noun it lacks, or a form of either number ("Lehrer"), the number comes from
    HanTa's lemma (it differs from a plural; a dative "-ern"/"-eln" loses its n; a
    plural in -en is taken only where it cannot be a dative) and the gender from the
    ``article`` before the phrase with the adjective's ending (see ``_ARTICLE_GENDER``)
    or, failing that, from a feminine noun's ending. Where nothing tells, the phrase
    stays as written.

    >>> nominative([Token("eigentlichen", "eigentlich", "ADJ(A)"), Token("Grünphase", "Grünphase", "NN")])
    ['eigentliche', 'Grünphase']
    >>> nominative([Token("anderen", "ander", "ADJ(A)"), Token("Rädern", "Rad", "NN")])
    ['andere', 'Räder']
    >>> nominative([Token("Fußgängern", "Fußgänger", "NN")])
    ['Fußgänger']
    >>> nominative([Token("größte", "groß", "ADJ(A)"), Token("Problem", "Problem", "NN")], article="das")
    ['größtes', 'Problem']
    >>> nominative([Token("sozialen", "sozial", "ADJ(A)"), Token("Wohnungsbau", "Wohnungsbau", "NN")])
    ['sozialer', 'Wohnungsbau']
    >>> nominative([Token("kleinen", "klein", "ADJ(A)"), Token("Ortsteilen", "Ortsteil", "NN")])
    ['kleine', 'Ortsteile']
    >>> nominative([Token("neuen", "neu", "ADJ(A)"), Token("Flunzel", "Flunzel", "NN")])
    ['neuen', 'Flunzel']
    """
    words = [t.text for t in tokens]
    noun = tokens[-1]
    if noun.tag != NOUN:
        return words
    adjectives = [i for i, t in enumerate(tokens[:-1]) if t.tag == ADJECTIVE and len(t.text) > 4]
    word, lemma = noun.text, noun.lemma
    feminine = lemma.lower().endswith(_FEMININE_ENDINGS) and not lemma.lower().endswith(_NOT_FEMININE)
    lexicon = nouns.lookup(lemma)
    number = lexicon.number(word) if lexicon is not None else None
    gender: str | None = None
    if lexicon is not None and number is not None:  # the lexicon knows the form: "Ortsteilen" is a plural
        plural = number == "plural"
        word = lexicon.nominative(word)
        gender = "plural" if plural else lexicon.genus
    else:
        plural = word.lower() != lemma.lower() and word.lower() not in (lemma.lower() + "s", lemma.lower() + "es")
        if plural and word.endswith(("ern", "eln")) and not lemma.endswith(("ern", "eln")):
            word = word[:-1]  # dative plural "Rädern" → "Räder"
        elif plural and word.endswith("en") and not (feminine or lemma.endswith("e")):
            return words  # "Ortsteilen" could be a dative of "Ortsteile": not sure
    if not adjectives:
        return words[:-1] + [word]
    first = words[adjectives[0]]
    ending = next(e for e in (*_ADJECTIVE_ENDINGS, "") if first.endswith(e))
    if gender is None:
        gender = "plural" if plural else _ARTICLE_GENDER.get((article.lower(), ending), "f" if feminine else None)
    if gender is None:
        return words
    for i in adjectives:
        ending = next((e for e in _ADJECTIVE_ENDINGS if words[i].endswith(e)), None)
        if ending is not None:
            words[i] = words[i][: -len(ending)] + _STRONG_NOMINATIVE[gender]
    return words[:-1] + [word]


def _join(tokens: Sequence[Token], words: Sequence[str] | None = None) -> str:
    """The phrase (``words``, default as written); an adjective starts lower-case (it is capitalised
    only at a sentence's start)."""
    words = [t.text for t in tokens] if words is None else list(words)
    if tokens and tokens[0].tag == ADJECTIVE and not words[0].isupper():
        words[0] = words[0].lower()
    return " ".join(words)


def embedding_features(vectors: np.ndarray, blocks: Sequence[Block], reference: np.ndarray) -> np.ndarray:
    """Vectors in the clustering's embedding space: each block centred on ``reference`` where asked.

    As :func:`nlp.features.build_features` without the lexical block, but the mean
    that centred blocks subtract comes from ``reference`` (the notes of the group),
    so phrases and names land in the same space as the notes they describe.

    Args:
        vectors: (m, d) raw vectors of one embedder.
        reference: (n, d) raw vectors of the group's notes.

    Returns:
        (m, d') float32, rows of unit length.
    """
    parts = []
    for block in blocks:
        part = vectors[:, block.start : block.stop].astype(np.float32)
        if block.center and len(reference):
            part = part - reference[:, block.start : block.stop].astype(np.float32).mean(axis=0, keepdims=True)
        parts.append(l2_normalise(part) * np.sqrt(block.weight))
    return l2_normalise(np.hstack(parts))


def mmr(candidates: np.ndarray, centre: np.ndarray, top_n: int = 3, diversity: float = 0.5,
        duplicate: float = 0.85, rivals: np.ndarray | None = None, specificity: float = SPECIFICITY,
        repeats: np.ndarray | None = None, least_share: float = LEAST_SHARE) -> list[int]:
    """Maximal marginal relevance: indices of up to ``top_n`` candidates, best first.

    A candidate's relevance is its similarity to ``centre``, less ``specificity`` times
    its similarity to the nearest of ``rivals`` (the other concerns of the theme): a
    phrase that would fit a neighbouring concern as well says little about this one.
    The first is the most relevant candidate; each next one maximises
    ``(1 - diversity) · relevance - diversity · max sim(candidate, chosen)``.
    A candidate at cosine ``duplicate`` or more to a chosen one, or one that ``repeats``
    a chosen one, is never taken, nor one whose similarity to ``centre`` is below
    ``least_share`` of the first one's: diversity alone would add a word the cluster
    is hardly about ("Bus und Tag"). Ties go to the lower index, so the same input
    gives the same choice.

    Args:
        candidates: (m, d) unit-length vectors.
        centre: (d,) unit-length centre of the cluster.
        rivals: (r, d) unit-length centres of the other clusters of the theme, or None.
        repeats: (m, m) bool, True where candidates i and j say the same in words.
    """
    if not len(candidates):
        return []
    closeness = candidates @ centre
    relevance = closeness
    if rivals is not None and len(rivals):
        relevance = closeness - specificity * (candidates @ rivals.T).max(axis=1)
    pairwise = candidates @ candidates.T
    chosen = [int(np.argmax(relevance))]
    too_far = closeness < least_share * max(float(closeness[chosen[0]]), 0.0)
    while len(chosen) < min(top_n, len(candidates)):
        redundancy = pairwise[:, chosen].max(axis=1)
        score = (1 - diversity) * relevance - diversity * redundancy
        score[chosen] = -np.inf
        score[redundancy >= duplicate] = -np.inf
        score[too_far] = -np.inf
        if repeats is not None:
            score[repeats[:, chosen].any(axis=1)] = -np.inf
        best = int(np.argmax(score))
        if not np.isfinite(score[best]):
            break
        chosen.append(best)
    return chosen


def concern_name(phrases: Sequence[str]) -> str:
    """A name from key phrases, the first capitalised: ``["lange Wartezeiten"]`` → "Lange Wartezeiten".

    >>> concern_name(["fehlende Kitaplätze", "lange Wartezeiten"])
    'Fehlende Kitaplätze und lange Wartezeiten'
    """
    if not phrases:
        return ""
    name = " und ".join(phrases)
    return name[:1].upper() + name[1:]


def candidate_phrases(texts: Sequence[str], nlp: Language, exclude: Collection[str] = ()) -> list[str]:
    """The noun phrases of ``texts``, each once, in text order (see :func:`noun_phrases`).

    A bare noun ("Jahr", "Bitte") counts only when at least two of ``texts`` use it, in
    any form ("Kita-Platz", "Kita-Plätze": the same lemma) or inside a compound: alone it
    names a concern only when people share it; a noun with its modifiers says enough
    from one note. Where no phrase passes, all of them do: a name from one note's
    words still reads better than a list of keywords. A vague noun with adjectives only
    ("größtes Problem") is a candidate only where nothing else is.
    """
    tagged = tag_texts(texts, nlp)
    # a word that names something in one note names it in all
    exclude = {w.lower() for w in exclude}.union(*(name_words(tokens, everywhere=True) for tokens in tagged))
    found = list(dict.fromkeys(p for tokens in tagged for p in noun_phrases(tokens, exclude)))
    found = [p for p in found if not _is_vague(p)] or found
    if len(texts) < 2:
        return found
    lowered = [t.lower() for t in texts]
    lemmas = [{t.lemma.lower() for t in tokens} for tokens in tagged]
    lemma_of = {t.text: t.lemma.lower() for tokens in tagged for t in tokens}

    def notes_using(noun: str) -> int:
        lemma = lemma_of.get(noun, noun.lower())
        return sum(noun.lower() in text or lemma in used for text, used in zip(lowered, lemmas, strict=True))

    shared = [p for p in found if " " in p or notes_using(p) >= 2]
    return shared or found


#: nouns that say nothing about a concern on their own ("das größte Problem", "ein wichtiges Thema")
_VAGUE_NOUNS = frozenset({
    "aspekt", "aspekte", "bereich", "bereiche", "beispiel", "ding", "dinge", "fall", "frage", "fragen", "problem",
    "probleme", "punkt", "punkte", "sache", "sachen", "thema", "themen",
})


def _is_vague(phrase: str) -> bool:
    """Whether a phrase is a vague noun with adjectives only: "größtes Problem", not "Problem mit Ratten"."""
    words = phrase.split()
    return words[-1].lower() in _VAGUE_NOUNS and sum(w[:1].isupper() for w in words) == 1


def key_phrases(candidates: Sequence[str], vectors: np.ndarray, centre: np.ndarray, top_n: int = 3,
                rivals: np.ndarray | None = None) -> list[str]:
    """Key phrases of one cluster: ``candidates`` chosen by closeness to ``centre`` with MMR.

    Args:
        candidates: (m,) noun phrases of the cluster's most central notes.
        vectors: (m, d') their unit-length vectors, in the space of ``centre``.
        centre: (d',) unit-length centre of the cluster.
        rivals: (r, d') unit-length centres of the theme's other clusters (see :func:`mmr`).
    """
    repeats = np.array([[repeats_words(a, b) for b in candidates] for a in candidates], dtype=bool)
    return [candidates[i] for i in mmr(vectors, centre, top_n=top_n, rivals=rivals, repeats=repeats)]


def repeats_words(a: str, b: str) -> bool:
    """Whether a noun of one phrase stands in the other: "Einkommen" in "niedriges Einkommen",
    "Flüchtlingshilfe" in "Ehrenamtskoordination in der Flüchtlingshilfe".

    Plural and umlaut do not hide a noun: "Kita-Platz" stands in "Kita-Plätze".

    >>> repeats_words("Einkommen", "niedriges Einkommen"), repeats_words("Schule", "offene Ausbildungsstellen")
    (True, False)
    >>> repeats_words("Kita-Platz", "Kita-Plätze")
    True
    """

    def noun_words(phrase: str) -> list[str]:
        return [w.lower() for w in phrase.split() if w[:1].isupper()]

    def stems(phrase: str) -> set[str]:
        return {_PLURAL_ENDING.sub("", noun.translate(_UMLAUTS)) for noun in noun_words(phrase)}

    contained = any(word in other.lower() for found, other in ((noun_words(a), b), (noun_words(b), a))
                    for word in found)
    return contained or bool(stems(a) & stems(b))


_UMLAUTS = str.maketrans({"ä": "a", "ö": "o", "ü": "u"})
#: an inflection ending, taken off a noun of at least four letters before it
_PLURAL_ENDING = re.compile(r"(?<=\w{4})(en|er|e|n|s)$")


def name_top1(names: np.ndarray, centres: np.ndarray, groups: Sequence[str]) -> float:
    """Share of clusters whose name is nearest to its own centre among the centres of its group.

    A name that says what its cluster is about lies closer to that cluster than to
    the other concerns of its theme. Ties count against the name.

    Args:
        names: (k, d) unit-length vectors of the names, row i naming cluster i.
        centres: (k, d) unit-length cluster centres in the same space.
        groups: (k,) the theme of each cluster; clusters compete only within a theme.
    """
    groups = np.asarray(groups)
    if not len(groups):
        return float("nan")
    hits = 0
    for i in range(len(groups)):
        rivals = np.flatnonzero(groups == groups[i])
        sims = centres[rivals] @ names[i]
        own = float(names[i] @ centres[i])
        hits += int(all(s < own for j, s in zip(rivals, sims, strict=True) if j != i))
    return hits / len(groups)
