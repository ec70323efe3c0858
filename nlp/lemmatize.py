"""German lemmatisation: ``spacy.blank("de")`` with a simplemma lemmatizer component.

The pipeline normalises what German notes are full of before lemmatising:

* gendered forms: ``Bürger*innen``, ``Bürger:innen``, ``Bürger_innen``, ``BürgerInnen``
  and ``Bürger/-innen`` all lemmatise to ``Bürger``;
* abbreviations: ``z.B.``, ``ggf.``, ``bzw.`` … become their full words (stop words),
  domain abbreviations such as ``Kita``, ``OGS``, ``ÖPNV``, ``JC`` keep or get a
  canonical form.

``Doc`` objects never leave this package: callers get lemma strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import simplemma
import spacy
from spacy.language import Language
from spacy.lang.de.stop_words import STOP_WORDS as SPACY_STOP_WORDS
from spacy.tokens import Doc

import nlp.districts  # noqa: F401  (registers the taten_districts factory)

GENDER_PATTERN = re.compile(
    r"\b(\w{3,}?)(?:[*:_/]-?innen|Innen)\b|\b(\w{3,}?)(?:[*:_/]-?in|In)\b(?!\w)"
)

# Abbreviation -> lemma. Function-word abbreviations map to stop words.
ABBREVIATIONS: dict[str, str] = {
    "z.b.": "zum beispiel",
    "z. b.": "zum beispiel",
    "ggf.": "gegebenenfalls",
    "bzw.": "beziehungsweise",
    "u.a.": "unter anderem",
    "v.a.": "vor allem",
    "usw.": "und so weiter",
    "etc.": "et cetera",
    "evtl.": "eventuell",
    "inkl.": "inklusive",
    "ca.": "circa",
    "d.h.": "das heißt",
    "bspw.": "beispielsweise",
    "sog.": "sogenannt",
    "insb.": "insbesondere",
    "kitas": "Kita",
    "kita": "Kita",
    "ogs": "OGS",
    "öpnv": "ÖPNV",
    "jc": "Jobcenter",
    "but": "Bildung und Teilhabe",
    "sgb": "SGB",
    "str.": "Straße",
}

EXTRA_STOP_WORDS = {
    "zum beispiel", "gegebenenfalls", "beziehungsweise", "unter anderem", "vor allem",
    "und so weiter", "et cetera", "eventuell", "inklusive", "circa", "das heißt",
    "beispielsweise", "sogenannt", "insbesondere", "mehr", "gibt", "geben", "sollen",
    "müssen", "können", "werden", "sein", "haben", "wäre", "viele", "wenig", "gut",
    "schon", "immer", "mal", "bitte", "ja", "nein", "z", "b", "u", "a", "v", "d", "h",
}
STOP_WORDS = frozenset(w.lower() for w in SPACY_STOP_WORDS | EXTRA_STOP_WORDS)

# Kept as one token by the tokenizer. Not "sog.": capitalised it would swallow the noun "Sog".
SPECIAL_CASES = (
    "z.B.", "u.a.", "v.a.", "d.h.", "ggf.", "bzw.", "evtl.", "bspw.", "insb.", "usw.", "etc.",
    "inkl.", "ca.",
)
_SPACED_ABBREVIATION_PART = re.compile(r"[^\W\d_]\.")


def ungender(text: str) -> str:
    """Rewrite gender-star, colon, underscore, slash and Binnen-I forms to the base noun.

    >>> ungender("Bürger*innen und SozialarbeiterInnen")
    'Bürger und Sozialarbeiter'
    """
    return GENDER_PATTERN.sub(lambda m: m.group(1) or m.group(2), text)


def lemmatize_token(token: str) -> str:
    """Lemma of one token; hyphenated compounds are lemmatised on their last part."""
    abbreviation = ABBREVIATIONS.get(token.lower())
    if abbreviation is not None:
        return abbreviation
    if _SPACED_ABBREVIATION_PART.fullmatch(token):
        # "z." and "B." of "z. B.": the bare letters are stop words.
        return token[0].lower()
    if "-" in token.strip("-") and not token[0].isdigit():
        head, _, last = token.rpartition("-")
        lemma = simplemma.lemmatize(last, lang="de") if last else last
        return f"{head}-{lemma}" if lemma else head
    lemma = simplemma.lemmatize(token, lang="de")
    # simplemma lowercases nouns it does not know when they arrive in lower case;
    # keep the capitalisation the writer used for nouns.
    if token[:1].isupper() and lemma[:1].islower() and not simplemma.is_known(lemma, lang="de"):
        lemma = lemma[:1].upper() + lemma[1:]
    return lemma


@Language.component("taten_simplemma")
def simplemma_component(doc: Doc) -> Doc:
    """spaCy component that sets ``token.lemma_`` from simplemma."""
    for token in doc:
        if not token.is_punct and not token.is_space:
            token.lemma_ = lemmatize_token(token.text)
    return doc


def build_pipeline(district_entries: dict[str, str] | None = None) -> Language:
    """``spacy.blank("de")`` with abbreviation exceptions, the simplemma lemmatizer and,
    given gazetteer entries (surface form → district), the district matcher."""
    nlp = spacy.blank("de")
    for abbreviation in SPECIAL_CASES:
        # Capitalised too: notes often start a sentence with "Ggf." or "D.h.".
        for form in {abbreviation, abbreviation[:1].upper() + abbreviation[1:]}:
            nlp.tokenizer.add_special_case(form, [{"ORTH": form}])
    nlp.add_pipe("taten_simplemma")
    if district_entries:
        nlp.add_pipe("taten_districts", config={"entries": district_entries})
    return nlp


@dataclass(frozen=True)
class ProcessedText:
    """What the German pipeline learns from one text."""

    lemmas: tuple[str, ...]
    districts: tuple[str, ...]


def process_texts(
    texts: Sequence[str], nlp: Language, batch_size: int = 256
) -> list[ProcessedText]:
    """Content lemmas and named districts of each text, in one pass.

    Args:
        texts: (n,) cleaned contribution texts.
        nlp: a pipeline from :func:`build_pipeline`.

    Returns:
        (n,) results aligned with ``texts``; ``districts`` is empty without a gazetteer.
    """
    has_districts = "taten_districts" in nlp.pipe_names
    return [
        ProcessedText(
            lemmas=tuple(content_lemmas(doc)),
            districts=tuple(doc._.districts) if has_districts else (),
        )
        for doc in nlp.pipe(_prepared(texts), batch_size=batch_size)
    ]


def content_lemmas(doc: Doc) -> list[str]:
    """Lemmas of a ``Doc`` that carry meaning: no stop words, punctuation or numbers."""
    lemmas = []
    for token in doc:
        if token.is_punct or token.is_space or token.like_num or not token.text.strip():
            continue
        lemma = token.lemma_ or token.text
        if lemma.lower() in STOP_WORDS or len(lemma) < 2 or not any(c.isalpha() for c in lemma):
            continue
        lemmas.append(lemma)
    return lemmas


def lemmatize_texts(texts: Sequence[str], nlp: Language | None = None) -> list[list[str]]:
    """Content lemmas of each text, (n,) lists aligned with ``texts``."""
    return [list(p.lemmas) for p in process_texts(texts, nlp or build_pipeline())]


def _prepared(texts: Iterable[str]) -> Iterable[str]:
    for text in texts:
        yield ungender(text)
