"""Structure of transcribed table notes: metadata in headings and file names, sentences.

Pure text, no file formats (those are read in ``pipelines/documents.py``).

Headings and file names name the World-Café table, round and theme::

    "Tisch 3 – Wohnen"           table "3", theme "Wohnen"
    "Runde 2", "2. Runde"        round 2
    "Thementisch Sicherheit"     theme "Sicherheit"
    "Sozialraum: Birkesdorf"     district "Birkesdorf"
    "Tisch3_Wohnen_Runde2.docx"  table "3", theme "Wohnen", round 2

Theme words are mapped onto the taxonomy's names (``Taxonomy.canonical``), districts
onto the gazetteer's.

Sentence splitting (:func:`split_contributions`) serves paragraphs only: a bullet, a
line of a list or a spreadsheet row is one contribution whatever it holds. The rule:

1. A paragraph is cut after ``.``, ``!``, ``?`` or ``…`` followed by a space and an
   upper-case letter, a digit or an opening quote, except after an abbreviation
   ("z.B.", "bzw.", "Nr.", "ca.", "u.a.", "Str." …, see :data:`ABBREVIATIONS`), a
   single letter ("z. B.", initials) or a number of one or two digits ("am 3. Mai").
2. A sentence stays with the one before it when it refers back to it – it starts
   with a pronoun or connective such as "Das", "Dort", "Deshalb", "Auch", "Aber"
   (:data:`BACK_REFERENCES`) – or when it is too short to stand alone (a single
   word: "Dringend!").

So "Kita-Plätze fehlen. Der Bus fährt selten." gives two contributions, while
"Der Spielplatz ist kaputt. Dort trifft sich abends niemand mehr." stays one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nlp.districts import Gazetteer
    from nlp.themes import Taxonomy

HEADING_SEPARATOR = " › "

_NUMBER_WORDS = {
    "eins": 1, "ein": 1, "erste": 1, "ersten": 1, "zwei": 2, "zweite": 2, "zweiten": 2,
    "drei": 3, "dritte": 3, "dritten": 3, "vier": 4, "vierte": 4, "vierten": 4,
    "fünf": 5, "fünfte": 5, "fünften": 5, "sechs": 6, "sechste": 6, "sechsten": 6,
}
_NUMBER_WORD = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_TABLE = re.compile(r"\b(?:thementisch|tisch|table)\s*(?:nr\.?\s*)?(\d{1,3})\b", re.IGNORECASE)
_THEME_TABLE = re.compile(r"\b(?:thementisch|themenfeld|thema)\b\s*[:–—-]?\s*(?P<theme>[^\d\W][^()\[\]]*)", re.IGNORECASE)
_ROUND = re.compile(
    rf"\b(?:runde|gesprächsrunde|durchgang)\s*(?:nr\.?\s*)?(?P<num>\d{{1,2}}|{_NUMBER_WORD})\b"
    rf"|\b(?:(?P<ord>\d{{1,2}})\.|(?P<word>{_NUMBER_WORD}))\s*(?:gesprächs)?runde\b",
    re.IGNORECASE,
)
_DISTRICT = re.compile(r"\b(?:sozialraum|stadtteil|quartier|ortsteil)\b\s*[:–—-]?\s*(?P<name>[^\d\W][^()\[\]]*)", re.IGNORECASE)
# "Tisch 3 – Wohnen", "Tisch 3: Wohnen", "Tisch 3 (Wohnen)": the words after the number
_AFTER_TABLE = re.compile(r"^\s*[:–—\-(,/|]*\s*(?:thema\s*[:–—-]?\s*)?(?P<rest>.*?)[\s)]*$", re.IGNORECASE)
_FILE_SPLIT = re.compile(r"[_\s.,;+\-–]+")
_CAMEL = re.compile(r"(?<=[a-zäöüß])(?=\d)|(?<=\d)(?=[A-Za-zÄÖÜäöü])")

ABBREVIATIONS = frozenset(
    a.casefold()
    for a in (
        "z.B.", "z. B.", "bzw.", "Nr.", "ca.", "u.a.", "u. a.", "Str.", "ggf.", "evtl.", "inkl.", "d.h.",
        "d. h.", "v.a.", "v. a.", "usw.", "etc.", "bspw.", "sog.", "insb.", "Dr.", "Hr.", "Fr.", "Frau.",
        "Prof.", "St.", "Abs.", "Art.", "Tel.", "Mio.", "Mrd.", "Std.", "Min.", "gem.", "ggü.", "vgl.",
        "u.ä.", "o.ä.", "z.T.", "z.Zt.", "i.d.R.", "max.", "min.", "mind.", "ehem.", "Jh.", "Kap.", "Bd.",
        "Jan.", "Feb.", "Apr.", "Aug.", "Sep.", "Sept.", "Okt.", "Nov.", "Dez.", "Mo.", "Di.", "Mi.",
        "Do.", "Sa.", "So.", "allg.", "bzgl.", "zzgl.", "abzgl.", "incl.", "u.U.", "o.g.", "s.o.",
        "s.u.", "m.E.", "Hbf.", "Pl.", "Kl.", "Gr.", "Ev.", "kath.", "evang.", "e.V.",
    )
)
BACK_REFERENCES = frozenset(
    w.casefold()
    for w in (
        "Das", "Dies", "Diese", "Dieser", "Dieses", "Dort", "Da", "Dabei", "Dafür", "Dadurch", "Dagegen",
        "Daher", "Darum", "Deshalb", "Deswegen", "Denn", "Damit", "Dazu", "Davon", "Darauf", "Daran",
        "Er", "Sie", "Ihr", "Ihre", "Sein", "Seine", "Trotzdem", "Also", "Dann", "Hier", "Auch",
        "Aber", "Sondern", "Oder", "Und", "Jedoch", "Allerdings", "Zudem", "Sonst", "Somit", "Dadurch",
        "Stattdessen", "Ebenso", "Genauso", "Beispielsweise", "Insbesondere",
    )
)
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'»«“”)\]]*\s+(?=[\"'„“»(]?[A-ZÄÖÜ0-9])")
_LAST_WORD = re.compile(r"(\S+)$")
_SPACED_ABBREVIATION = re.compile(r"\b(?:[a-zA-ZäöüÄÖÜ]\.\s?){2,}$")
_MIN_WORDS = 2


@dataclass(frozen=True)
class NoteMeta:
    """World-Café metadata of a note; None where the source says nothing."""

    table: str | None = None
    round: int | None = None
    theme: str | None = None
    district: str | None = None

    def over(self, fallback: NoteMeta) -> NoteMeta:
        """These values, each missing one taken from ``fallback``."""
        return NoteMeta(
            table=self.table or fallback.table,
            round=self.round if self.round is not None else fallback.round,
            theme=self.theme or fallback.theme,
            district=self.district or fallback.district,
        )

    @property
    def empty(self) -> bool:
        return self == NoteMeta()


_TABLE_VALUE = re.compile(r"^(?:(?:thementisch|tisch|table)\s*[-_:#.]?\s*(?:nr\.?\s*)?)?(\d{1,3})$", re.IGNORECASE)


def canonical_table(value: object) -> str | None:
    """One spelling of a table however a source wrote it: "Tisch 3", "tisch3", "3", "3.0" → "3".

    Labels that are not a table number ("Marktplatz") stay as written.
    """
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    text = re.sub(r"(?<=\d)[.,]0+$", "", text)
    match = _TABLE_VALUE.match(text)
    return str(int(match.group(1))) if match else text


def _number(value: str) -> int:
    return int(value) if value.isdigit() else _NUMBER_WORDS[value.casefold()]


def _theme_name(value: str, taxonomy: Taxonomy | None, *, known_only: bool) -> str | None:
    value = value.strip(" \t:–—-()[]\"'„“")
    if not value or len(value) > 60:
        return None
    if taxonomy is None:
        return None if known_only else value
    canonical = taxonomy.canonical(value)
    if canonical in taxonomy.names:
        return canonical
    return None if known_only else canonical


def _district_name(value: str, gazetteer: Gazetteer | None) -> str | None:
    value = value.strip(" \t:–—-()[]\"'„“")
    if not value or len(value) > 60:
        return None
    return (gazetteer.canonical(value) if gazetteer else None) or value


def parse_heading(
    text: str, taxonomy: Taxonomy | None = None, gazetteer: Gazetteer | None = None
) -> NoteMeta:
    """Table, round, theme and district that a heading names.

    >>> parse_heading("Tisch 3 – Wohnen, Runde 2")
    NoteMeta(table='3', round=2, theme='Wohnen', district=None)
    """
    text = text.strip().rstrip(":")
    table = theme = district = None
    round_ = None
    if match := _ROUND.search(text):
        value = match.group("num") or match.group("ord") or match.group("word")
        round_ = _number(value)
        text = (text[: match.start()] + " " + text[match.end():]).strip(" ,;–—-")
    if match := _TABLE.search(text):
        table = str(int(match.group(1)))
        rest = _AFTER_TABLE.match(text[match.end():])
        if rest and rest.group("rest"):
            theme = _theme_name(rest.group("rest"), taxonomy, known_only=False)
    elif match := _THEME_TABLE.search(text):
        theme = _theme_name(match.group("theme"), taxonomy, known_only=False)
    elif match := _DISTRICT.search(text):
        district = _district_name(match.group("name"), gazetteer)
    elif text and taxonomy is not None:
        theme = _theme_name(text, taxonomy, known_only=True)
    return NoteMeta(table=table, round=round_, theme=theme, district=district)


def looks_like_heading(line: str, taxonomy: Taxonomy | None = None, gazetteer: Gazetteer | None = None) -> bool:
    """True for a line of plain text that is a heading rather than a note.

    A heading names table, round, theme or district ("Tisch 3 – Wohnen", "Runde 2",
    "Thema: Arbeit", "Wohnen:") in at most eight words and does not end like a sentence.
    """
    line = line.strip()
    if not line or len(line.split()) > 8 or line.endswith((".", "!", "?", "…")):
        return False
    starts = re.match(
        r"(?:(?:thementisch|tisch|table|runde|gesprächsrunde|durchgang|thema|themenfeld|sozialraum|stadtteil)\b"
        rf"|(?:\d{{1,2}}\.|{_NUMBER_WORD})\s*runde\b)",
        line, re.IGNORECASE,
    )
    if starts:
        return not parse_heading(line, taxonomy, gazetteer).empty
    if line.endswith(":") and taxonomy is not None:
        return _theme_name(line.rstrip(":"), taxonomy, known_only=True) is not None
    return False


def parse_filename(name: str, taxonomy: Taxonomy | None = None, gazetteer: Gazetteer | None = None) -> NoteMeta:
    """Metadata in a file name such as ``Tisch3_Wohnen_Runde2.docx``.

    >>> parse_filename("Tisch3_Runde2.docx")
    NoteMeta(table='3', round=2, theme=None, district=None)
    """
    stem = name.rsplit("/", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    tokens = [t for part in _FILE_SPLIT.split(stem) for t in _CAMEL.sub(" ", part).split() if t]
    spaced = " ".join(tokens)
    table = round_ = theme = None
    if match := _ROUND.search(spaced):
        round_ = _number(match.group("num") or match.group("ord") or match.group("word"))
        spaced = spaced[: match.start()] + " " + spaced[match.end():]
    if match := _TABLE.search(spaced):
        table = str(int(match.group(1)))
        spaced = spaced[: match.start()] + " " + spaced[match.end():]
    words = spaced.split()
    if taxonomy is not None:
        # longest run of words that names a theme: "Bildung und Erziehung" before "Bildung"
        for size in (3, 2, 1):
            for start in range(len(words) - size + 1):
                if (found := _theme_name(" ".join(words[start:start + size]), taxonomy, known_only=True)):
                    theme = found
                    break
            if theme:
                break
    district = None
    if gazetteer is not None:
        for size in (2, 1):
            for start in range(len(words) - size + 1):
                candidate = " ".join(words[start:start + size])
                if candidate.casefold() not in {"tisch", "runde", "thema"} and (
                    found := gazetteer.canonical(candidate) or gazetteer.canonical(candidate.replace(" ", "-"))
                ):
                    district = found
                    break
            if district:
                break
    return NoteMeta(table=table, round=round_, theme=theme, district=district)


@dataclass(frozen=True)
class _Heading:
    text: str
    level: int
    kind: str
    meta: NoteMeta


class HeadingStack:
    """The headings above the current line of a document, nearest last.

    A heading with an explicit level (a Word heading style, Markdown ``##``) closes
    all headings of that level and below. A heading found by its words alone
    ("Runde 2" in a text file) replaces the open heading of the same kind (table,
    round, theme, district) and what lies below it; a new kind opens one level deeper.
    """

    def __init__(self, taxonomy: Taxonomy | None = None, gazetteer: Gazetteer | None = None) -> None:
        self.taxonomy = taxonomy
        self.gazetteer = gazetteer
        self._open: list[_Heading] = []

    def push(self, text: str, level: int | None = None) -> None:
        meta = parse_heading(text, self.taxonomy, self.gazetteer)
        kind = (
            "table" if meta.table else "round" if meta.round is not None else "theme" if meta.theme
            else "district" if meta.district else "other"
        )
        if level is None:
            same = next((i for i, h in enumerate(self._open) if h.kind == kind and kind != "other"), None)
            if same is not None:
                level = self._open[same].level
                del self._open[same:]
            else:
                level = (self._open[-1].level + 1) if self._open else 1
        self._open = [h for h in self._open if h.level < level]
        self._open.append(_Heading(text.strip(), level, kind, meta))

    @property
    def path(self) -> str:
        return HEADING_SEPARATOR.join(h.text for h in self._open)

    @property
    def meta(self) -> NoteMeta:
        """Metadata of the open headings, the nearest winning."""
        result = NoteMeta()
        for heading in self._open:
            result = heading.meta.over(result)
        return result


def _is_protected(before: str) -> bool:
    """True when the text before a candidate boundary ends in an abbreviation or ordinal."""
    match = _LAST_WORD.search(before)
    if not match:
        return False
    word = match.group(1).lstrip("(\"'„“»")
    folded = word.casefold()
    if folded in ABBREVIATIONS or _SPACED_ABBREVIATION.search(before[-12:]):
        return True
    core = word.rstrip(".")
    if len(core) == 1 and core.isalpha():  # "z. B.", initials
        return True
    if core.isdigit() and len(core) <= 2 and word.endswith("."):  # "am 3. Mai"
        return True
    # "u.a." and the like not in the list: letters with inner dots
    return bool(re.fullmatch(r"(?:[^\W\d_]{1,3}\.){2,}", word))


def split_sentences(text: str) -> list[str]:
    """The sentences of a paragraph, cut by rule 1 of the module docstring."""
    sentences, start = [], 0
    for match in _BOUNDARY.finditer(text):
        if _is_protected(text[: match.start()]):
            continue
        sentence = text[start: match.start()].strip()
        if sentence:
            sentences.append(sentence)
        start = match.end()
    if tail := text[start:].strip():
        sentences.append(tail)
    return sentences


def split_contributions(paragraph: str) -> list[str]:
    """A paragraph as contributions: sentences about different things apart, the rest together."""
    result: list[str] = []
    for sentence in split_sentences(paragraph):
        first = re.match(r"[\"'„“»(]*([^\W\d_]+)", sentence)
        refers_back = bool(first and first.group(1).casefold() in BACK_REFERENCES)
        if result and (refers_back or len(sentence.split()) < _MIN_WORDS):
            result[-1] = f"{result[-1]} {sentence}"
        elif result and len(result[-1].split()) < _MIN_WORDS:
            result[-1] = f"{result[-1]} {sentence}"
        else:
            result.append(sentence)
    return result


def with_meta(meta: NoteMeta, **values: object) -> NoteMeta:
    """``meta`` with the given non-empty values set."""
    return replace(meta, **{k: v for k, v in values.items() if v not in (None, "")})
