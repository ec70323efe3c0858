"""District (Sozialraum) recognition over a gazetteer.

A gazetteer maps names, spelling variants, streets, institutions and landmarks to
districts. It is data (``data/districts/<city>.yml``); another city is another file.
Matching runs as a spaCy component with two ``PhraseMatcher``s: exact case for
everything, lower case for entries that are not ordinary German words (so the village
"Merken" is found, the verb "merken" is not).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import simplemma
import yaml
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

KINDS = ("name", "variants", "streets", "institutions", "landmarks")


@dataclass(frozen=True)
class Gazetteer:
    """Entries (surface form → district) of one city."""

    city: str
    districts: tuple[str, ...]
    entries: dict[str, str] = field(hash=False)
    kinds: dict[str, str] = field(hash=False)

    @classmethod
    def from_yaml(cls, path: Path) -> Gazetteer:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        entries: dict[str, str] = {}
        kinds: dict[str, str] = {}
        names = []
        for district in raw["districts"]:
            name = district["name"]
            names.append(name)
            for kind in KINDS:
                values = [district[kind]] if kind == "name" else district.get(kind) or []
                for value in values:
                    entries.setdefault(str(value).strip(), name)
                    kinds.setdefault(str(value).strip(), kind)
        return cls(city=raw.get("city", ""), districts=tuple(names), entries=entries, kinds=kinds)

    def canonical(self, value: str | None) -> str | None:
        """The district a free-text value (e.g. a district column) names, else None."""
        if not value:
            return None
        value = value.strip()
        if value in self.entries:
            return self.entries[value]
        return self._folded.get(value.lower())

    @cached_property
    def _folded(self) -> dict[str, str]:
        """Entries by lower-case surface form, built once (canonical runs once per imported row)."""
        return {k.lower(): v for k, v in self.entries.items()}


class DistrictMatcher:
    """spaCy component that stores the districts a text refers to in ``doc._.districts``.

    Args:
        entries: surface form → district, as in :attr:`Gazetteer.entries`.
    """

    def __init__(self, nlp: Language, entries: dict[str, str]) -> None:
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        for surface, district in entries.items():
            pattern = nlp.make_doc(surface)
            self.exact.add(district, [pattern])
            if len(pattern) > 1 or not simplemma.is_known(surface.lower(), lang="de"):
                self.lower.add(district, [nlp.make_doc(surface.lower())])
        if not Doc.has_extension("districts"):
            Doc.set_extension("districts", default=())

    def __call__(self, doc: Doc) -> Doc:
        matches = {
            (start, end, doc.vocab.strings[match_id])
            for matcher in (self.exact, self.lower)
            for match_id, start, end in matcher(doc)
        }
        # Longest match wins where matches overlap: "Süd Ost" is Süd-Ost, not also Ost.
        taken: set[int] = set()
        found: dict[str, int] = {}
        for start, end, district in sorted(matches, key=lambda m: (m[0] - m[1], m[0], m[2])):
            if taken.isdisjoint(range(start, end)):
                taken.update(range(start, end))
                found[district] = min(start, found.get(district, start))
        doc._.districts = tuple(sorted(found, key=found.__getitem__))
        return doc


@Language.factory("taten_districts", default_config={"entries": {}})
def make_district_matcher(nlp: Language, name: str, entries: dict[str, str]) -> DistrictMatcher:
    return DistrictMatcher(nlp, entries)
