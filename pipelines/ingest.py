"""Ingest: tabular exports (CSV, TSV, Excel) → validated, deduplicated Contribution rows.

German office exports come as UTF-8, UTF-8 with BOM or Windows-1252, delimited by
``;``, ``,`` or tabs. Every problem becomes an :class:`InputError` with a German
message that names the file and the fix. All files of one call are stored in one
transaction: a bad file leaves the database as it was.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from models.store import Store
from nlp.districts import Gazetteer
from nlp.text import clean_text, contains_markup, text_hash
from nlp.themes import Taxonomy
from pipelines.errors import InputError

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_TEXT_CHARS = 10_000
TABULAR_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xlsm"}
_ROUND_NUMBER = re.compile(r"(\d+)(?:[.,]0+)?(?!\d)")
SINGLE_COLUMN = "\x1f"  # "delimiter" of a one-column file: a control character no note keeps

# Accepted header names (case-insensitive) for each field.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "text": ("text", "beitrag", "notiz", "anmerkung", "inhalt", "aussage"),
    "table": ("table", "tisch", "thementisch", "tisch_nr", "tischnummer"),
    "theme": ("theme", "thema", "themenfeld"),
    "district": ("district", "sozialraum", "stadtteil", "bezirk", "quartier"),
    "round": ("round", "runde"),
    "stakeholder_group": ("stakeholder_group", "stakeholder", "gruppe", "akteursgruppe", "institution"),
    "id": ("id",),
}


@dataclass(frozen=True)
class FileReport:
    """What one file contributed."""

    file: str
    rows: int
    imported: int
    duplicates: int
    empty: int
    markup_removed: int


@dataclass
class ImportReport:
    conference: str
    files: list[FileReport] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return sum(f.imported for f in self.files)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)


@dataclass(frozen=True)
class Vocabularies:
    """Canonical names that free-text columns are mapped onto."""

    taxonomy: Taxonomy | None = None
    gazetteer: Gazetteer | None = None
    stakeholder_aliases: dict[str, str] = field(default_factory=dict)

    def stakeholder(self, value: str | None) -> str | None:
        if not value:
            return None
        return self.stakeholder_aliases.get(value.strip().casefold(), value.strip())


def decode_bytes(raw: bytes, name: str) -> str:
    """Text of a file in UTF-8 (with or without BOM) or Windows-1252.

    Raises:
        InputError: the bytes are binary or in no supported encoding.
    """
    if b"\x00" in raw[:65536]:
        raise InputError(
            f"{name}: Die Datei ist keine Textdatei (Binärdaten). "
            "Bitte als CSV (UTF-8) oder Excel-Datei exportieren."
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(
        f"{name}: Die Zeichenkodierung ist unbekannt. Bitte als CSV in UTF-8 speichern."
    )


def sniff_delimiter(text: str) -> str:
    """``;``, ``,`` or tab, whichever splits the first lines most consistently.

    Only delimiters found in the header line count: a header without any is a
    single column, whose notes may well hold ``,`` or ``;`` (``&amp;``).
    """
    sample = "\n".join(text.splitlines()[:50])
    header = sample.splitlines()[0] if sample else ""
    candidates = "".join(d for d in ";,\t" if d in header)
    if not candidates:
        return SINGLE_COLUMN
    if len(candidates) == 1:
        return candidates
    try:
        return csv.Sniffer().sniff(sample, delimiters=candidates).delimiter
    except csv.Error:
        return max(candidates, key=header.count)


def read_table(path: Path) -> pd.DataFrame:
    """A file as a DataFrame of strings, columns renamed to the canonical field names.

    Raises:
        InputError: empty, too large, unreadable, or without a text column.
    """
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{name}: Datei nicht gefunden oder nicht lesbar ({exc.strerror}).") from exc
    if size == 0:
        raise InputError(f"{name}: Die Datei ist leer. Bitte eine Datei mit Beiträgen wählen.")
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"{name}: Die Datei ist zu groß ({size / 1e6:.0f} MB, höchstens "
            f"{MAX_FILE_BYTES / 1e6:.0f} MB). Bitte in mehrere Dateien aufteilen."
        )
    suffix = path.suffix.lower()
    if suffix not in TABULAR_SUFFIXES:
        raise InputError(
            f"{name}: Dateityp {suffix or '(ohne Endung)'} wird nicht unterstützt. "
            "Erlaubt sind CSV, TSV und Excel (.xlsx)."
        )
    try:
        if suffix in {".xlsx", ".xlsm"}:
            frame = pd.read_excel(path, dtype=str, engine="openpyxl").fillna("")
        else:
            text = decode_bytes(path.read_bytes(), name)
            if not text.strip():
                raise InputError(f"{name}: Die Datei ist leer. Bitte eine Datei mit Beiträgen wählen.")
            frame = pd.read_csv(
                io.StringIO(text), sep=sniff_delimiter(text), dtype=str, keep_default_na=False,
                engine="python", skip_blank_lines=True,
            ).fillna("")  # rows with fewer fields than the header
    except InputError:
        raise
    except Exception as exc:  # pandas/openpyxl raise many kinds; all mean "unreadable"
        raise InputError(
            f"{name}: Die Datei ist nicht lesbar ({type(exc).__name__}). "
            "Bitte als CSV (UTF-8, Trennzeichen ; oder ,) oder als Excel-Datei speichern."
        ) from exc
    return _canonical_columns(frame, name)


def _canonical_columns(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    lookup = {str(c).strip().lstrip("\ufeff").casefold(): c for c in frame.columns}
    renamed = {}
    for field_name, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in lookup:
                renamed[lookup[alias]] = field_name
                break
    if "text" not in renamed.values():
        found = ", ".join(str(c) for c in frame.columns) or "keine"
        raise InputError(
            f"{name}: Spalte 'text' fehlt (gefunden: {found}). "
            "Bitte die Spalte mit den Beiträgen 'text' nennen."
        )
    frame = frame.rename(columns=renamed)[list(dict.fromkeys(renamed.values()))]
    return frame.astype(str).apply(lambda col: col.str.strip())


def _parse_round(value: str, name: str, line: int) -> int | None:
    """The one whole number in ``value``: ``"Runde 2"``, ``"2."`` and ``"2,0"`` are 2."""
    if not value:
        return None
    numbers = _ROUND_NUMBER.findall(value)
    if len(numbers) != 1:
        raise InputError(f"{name}, Zeile {line}: Runde '{value}' ist keine Zahl. Bitte z. B. 1, 2 oder 3 eintragen.")
    return int(numbers[0])


def contribution_rows(
    frame: pd.DataFrame, source: str, vocab: Vocabularies
) -> tuple[list[dict[str, Any]], int, int]:
    """Rows ready for the store, the count of empty rows and of rows whose markup was removed.

    The content hash covers text and metadata plus the occurrence number of an
    identical row within the file, so a note written twice at a table stays twice,
    while importing the same file again adds nothing.
    """
    rows, empty, markup, seen = [], 0, 0, {}
    for position, record in enumerate(frame.to_dict("records"), start=2):
        raw = record.get("text", "")
        text = clean_text(raw)
        if contains_markup(raw):
            markup += 1
        if not text:
            empty += 1
            continue
        if len(text) > MAX_TEXT_CHARS:
            text = text[:MAX_TEXT_CHARS]
        row = {
            "text": text,
            "table_label": record.get("table") or None,
            "round": _parse_round(record.get("round", ""), source, position),
            "theme": vocab.taxonomy.canonical(record.get("theme")) if vocab.taxonomy else (record.get("theme") or None),
            "district": (vocab.gazetteer.canonical(record.get("district")) or record.get("district") or None)
            if vocab.gazetteer else (record.get("district") or None),
            "stakeholder_group": vocab.stakeholder(record.get("stakeholder_group")),
            "source_file": source,
            "source_position": f"Zeile {position}",
        }
        identity = "\x1f".join(str(row[k]) for k in ("text", "table_label", "round", "theme", "district", "stakeholder_group"))
        occurrence = seen.get(identity, 0)
        seen[identity] = occurrence + 1
        row["content_hash"] = text_hash(f"{identity}\x1f{occurrence}")
        rows.append(row)
    return rows, empty, markup


def import_files(
    store: Store,
    paths: Sequence[Path],
    conference: str,
    vocab: Vocabularies,
    *,
    date: str | None = None,
    city: str | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import tabular files into ``conference`` in one transaction.

    Raises:
        InputError: any file is unusable; nothing is stored then.
    """
    report = ImportReport(conference=conference)
    parsed = []
    for path in paths:
        path = Path(path)
        frame = read_table(path)
        rows, empty, markup = contribution_rows(frame, path.name, vocab)
        if not rows:
            raise InputError(f"{path.name}: Keine Beiträge gefunden – alle Zeilen der Spalte 'text' sind leer.")
        parsed.append((path, frame, rows, empty, markup))
    with store.transaction() as session:
        record = store.ensure_conference(session, conference, date=date, city=city)
        known = store.known_hashes(session, record.id)
        for path, frame, rows, empty, markup in parsed:
            fresh = [r for r in rows if r["content_hash"] not in known]
            known.update(r["content_hash"] for r in fresh)
            report.files.append(
                FileReport(path.name, len(frame), len(fresh), len(rows) - len(fresh), empty, markup)
            )
            if fresh and not dry_run:
                batch = {
                    "source_file": path.name,
                    "file_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                    "n_rows": len(frame), "n_imported": len(fresh),
                    "n_duplicates": len(rows) - len(fresh), "n_empty": empty,
                }
                store.add_batch(session, record.id, batch, fresh)
        if dry_run:
            session.rollback()
    logger.info("Imported %d contributions into %r (%d duplicates)", report.imported, conference, report.duplicates)
    return report
