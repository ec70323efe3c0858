"""Cleaning raw note text before anything else reads it."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata

_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^<>]*>")
_SCRIPT = re.compile(r"<\s*(script|style)[^>]*>.*?<\s*/\s*\1\s*>", re.IGNORECASE | re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACE = re.compile(r"\s+")
# zero-width and invisible formatting characters: "Konferenz\u200b 2026" looks like "Konferenz 2026"
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _unescape(text: str) -> str:
    """Entities decoded until none is left (at most three rounds: ``&amp;lt;`` is ``<`` too)."""
    for _ in range(3):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def contains_markup(text: str) -> bool:
    """True when ``text`` holds HTML tags or a script block, written as such or as entities."""
    return bool(_TAG.search(_unescape(text)))


def clean_text(text: str) -> str:
    """Plain, single-spaced, NFC text: entities decoded, then HTML tags and script blocks removed.

    Decoding comes first, so markup written as entities (``&lt;script&gt;``) is removed
    as well instead of turning into a live tag.

    >>> clean_text("<b>Kita</b>&nbsp;fehlt <script>alert(1)</script>!")
    'Kita fehlt !'
    >>> clean_text("&lt;script&gt;alert(1)&lt;/script&gt;Bus &amp;amp; Bahn")
    'Bus & Bahn'
    """
    text = _unescape(text)
    text = _SCRIPT.sub(" ", text)
    text = _TAG.sub(" ", text)
    text = _CONTROL.sub(" ", text)
    text = unicodedata.normalize("NFC", text)
    return _SPACE.sub(" ", text).strip()


def normalise_label(text: str) -> str:
    r"""A name or label as one spelling: NFKC, no control or zero-width characters, single spaces.

    >>> normalise_label(" Sozialraum\u200bkonferenz\u00a0 2026\x00 ")
    'Sozialraumkonferenz 2026'
    """
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def text_hash(text: str) -> str:
    """Stable content hash of a text (sha256 hex)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def neutralise_formula(value: str) -> str:
    """Make a cell value that a spreadsheet would execute inert by prefixing an apostrophe."""
    if value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


_BULLET = re.compile(r"^[\s\-–—•*·>]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ\"„])")
_ABBREVIATIONS = {"ca.", "bzw.", "evtl.", "ggf.", "nr.", "str.", "bspw.", "inkl.", "vgl.", "max.", "min.", "mind.", "tel."}


def summary_sentence(text: str, max_chars: int = 200) -> str:
    """One sentence from a note: its first sentence, without list marks, at most ``max_chars`` long.

    Notes are stored pseudonymised (see :mod:`nlp.pseudonymize`), so a sentence
    from a stored note is too.

    >>> summary_sentence("- Zu wenig Kitaplätze in Nord.  Eltern warten ein Jahr.")
    'Zu wenig Kitaplätze in Nord.'
    """
    cleaned = _BULLET.sub("", " ".join(text.split()))
    sentence = cleaned
    for end in _SENTENCE_END.finditer(cleaned):
        word = cleaned[: end.start()].rsplit(" ", 1)[-1]
        if "." in word[:-1] or word.lower() in _ABBREVIATIONS:  # "z.B.", "ca." end no sentence
            continue
        sentence = cleaned[: end.start()]
        break
    sentence = sentence.strip()
    if len(sentence) > max_chars:
        cut = sentence[: max_chars - 1].rsplit(" ", 1)[0].rstrip(",;:–- ")
        sentence = cut + "…"
    return sentence
