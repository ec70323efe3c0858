"""German nouns' gender and case forms, so a phrase cut from a sentence can be named in the nominative.

"im öffentlichen Raum" names a concern as "öffentlicher Raum" only if one knows that
*Raum* is masculine; "in den kleinen Ortsteilen" as "kleine Ortsteile" only if one knows
that *Ortsteilen* is the dative plural of *Ortsteil*. Neither shows in the words
themselves, so they come from a lexicon: ``nouns.csv`` of the ``german-nouns`` package
(about 100,000 nouns from the German Wiktionary, CC BY-SA 4.0), read once, offline, and
kept as one short string per noun (about 30 MB in the process, read in 1.5 s).

Compounds the lexicon lacks take their head's gender and endings
("Kindertagespflege" from "Pflege", "Kita-Plätzen" from "Plätzen").

The package's own lookup module is never imported (it needs lxml < 5, Taten pins
lxml 6), so the Makefile installs the package without its dependencies.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from functools import cache
from importlib import resources

logger = logging.getLogger(__name__)

_CASES = ("nominativ", "genitiv", "dativ", "akkusativ")
#: shortest head a compound is split at ("Jugendamt" → "Amt")
_MIN_HEAD = 3
#: what German puts between the parts of a compound ("Gemeinschaft-s-grund", "Kinder-garten")
_LINKS = ("", "s", "es", "n", "en", "e", "-")


@dataclass(frozen=True)
class Noun:
    """One noun: its gender and the forms of each number (all four cases)."""

    genus: str | None  # "m", "f" or "n"; None where the lexicon gives several
    singular: tuple[str, ...]  # the nominative ("" where the lexicon has none), then every case form
    plural: tuple[str, ...]

    def number(self, word: str) -> str | None:
        """ "singular" or "plural" where ``word`` is a form of only one number, else None ("Lehrer")."""
        in_singular, in_plural = word in self.singular, word in self.plural
        if in_singular == in_plural:
            return None
        return "singular" if in_singular else "plural"

    def nominative(self, word: str) -> str:
        """The nominative of ``word``'s number ("Ortsteilen" → "Ortsteile", "Wohnungsbaus" → "Wohnungsbau")."""
        forms = {"singular": self.singular, "plural": self.plural}.get(self.number(word) or "")
        return forms[0] if forms and forms[0] else word


def lookup(lemma: str) -> Noun | None:
    """The noun ``lemma`` (a nominative singular), or the compound made on its longest known head."""
    table = _table()
    if lemma in table:
        return _noun(table[lemma])
    for start in range(1, len(lemma) - _MIN_HEAD + 1):
        hyphen = lemma[start - 1] == "-"
        tail = lemma[start:]
        head = _capitalised(tail)  # HanTa writes "Kita-platz"
        if head in table:
            front = lemma[:start]
            noun = _noun(table[head])

            def joined(forms: tuple[str, ...]) -> tuple[str, ...]:
                return tuple(front + (f if hyphen else f[:1].lower() + f[1:]) if f else "" for f in forms)

            return Noun(noun.genus, joined(noun.singular), joined(noun.plural))
    return None


def known(word: str) -> bool:
    """Whether the lexicon has ``word`` as a noun of its own (not only by its head)."""
    return word in _table()


def is_compound(word: str) -> bool:
    """Whether ``word`` is made of nouns the lexicon knows, joined as German joins them
    ("Gemeinschaftsgrund" = Gemeinschaft + s + Grund; "Tännicht" is not)."""
    return _segments(word.lower())


@cache
def _segments(rest: str) -> bool:
    if not rest:
        return True
    table = _table()
    for end in range(len(rest), _MIN_HEAD - 1, -1):
        if _capitalised(rest[:end]) in table:
            after = rest[end:]
            if any(after.startswith(link) and _segments(after[len(link):]) for link in _LINKS):
                return True
    return False


def _capitalised(word: str) -> str:
    """A noun as the lexicon writes it: "platz" → "Platz"."""
    return word[:1].upper() + word[1:]


def _noun(row: str) -> Noun:
    genus, singular, plural = row.split("|")
    return Noun(genus or None, tuple(singular.split(",")), tuple(plural.split(",")))


@cache
def _table() -> dict[str, str]:
    """Lemma → "genus|singular forms|plural forms" (forms comma-separated, the nominative first, every
    variant the lexicon lists); empty without the lexicon, and then names keep the case they were cut in."""
    try:
        source = resources.files("german_nouns") / "nouns.csv"
        with source.open(encoding="utf-8", newline="") as handle:
            rows = csv.reader(handle)
            columns = {name: i for i, name in enumerate(next(rows))}
            genus_columns = [i for name, i in columns.items() if name.startswith("genus")]
            # per number: its nominative column, then every column of its forms
            form_columns = [
                (columns[f"nominativ {number}"],
                 [i for case in _CASES for name, i in columns.items() if name.startswith(f"{case} {number}")])
                for number in ("singular", "plural")
            ]
            table: dict[str, str] = {}
            for row in rows:
                genders = {row[i] for i in genus_columns if row[i]}
                genus = genders.pop() if len(genders) == 1 else ""
                forms = [",".join([row[nominative], *dict.fromkeys(row[i] for i in every if row[i])])
                         for nominative, every in form_columns]
                table.setdefault(row[0], "|".join([genus, *forms]))
            return table
    except (ModuleNotFoundError, FileNotFoundError, KeyError, StopIteration) as error:
        logger.warning("German noun lexicon (german-nouns) not readable, names keep their case: %s", error)
        return {}
