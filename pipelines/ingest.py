"""Ingest: the table hosts' notes (Word, text, Markdown, Excel, ODS, CSV/TSV) → Contribution rows.

For every file: read its blocks (:mod:`pipelines.documents`), take table, round and
theme from the row, the nearest heading, the file name or the manifest (in that
order: what the notes say wins), cut paragraphs into contributions
(:func:`nlp.structure.split_contributions`), clean them. Then, for all notes of the
batch together: find the districts a note names in its raw text, pseudonymise it,
hash it, and store the new ones – all files in one transaction.

Failures. A file that cannot be used (unsupported, damaged, protected, empty, too
large, no text column) or a row that cannot be used (round not a number) is a
*failure* with a German reason that names file and line.

* ``ImportOptions(strict=True)`` (the default; ``taten import --strict``): the first
  failure raises :class:`InputError` and nothing is stored.
* ``ImportOptions(strict=False)`` (``taten import`` and the workbench's upload): failed
  files and rows are listed in the report and skipped; the good ones are stored.

Either way a database error rolls the whole batch back. Importing the same notes
again adds nothing: the content hash covers the stored (pseudonymised) text, the
metadata and the occurrence number of an identical note within its file.

Every value is checked at this boundary the same way for SQLite and PostgreSQL:
control and zero-width characters are removed from metadata, a value longer than its
column in :mod:`models.records` fails its note, the conference name is normalised and
matched case-insensitively to a stored one, the date must be ``JJJJ-MM-TT``.
"""

from __future__ import annotations

import datetime
import errno
import fnmatch
import glob
import hashlib
import logging
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from models.records import Conference, Contribution
from models.store import Store
from nlp.districts import Gazetteer
from nlp.structure import (
    HeadingStack,
    NoteMeta,
    canonical_table,
    looks_like_heading,
    parse_filename,
    split_contributions,
)
from nlp.text import clean_text, contains_markup, normalise_label, text_hash
from nlp.themes import Taxonomy
from pipelines import documents
from pipelines.documents import COLUMN_ALIASES, SINGLE_COLUMN, Block, decode_bytes, sniff_delimiter  # noqa: F401
from pipelines.auth import LOCAL_OPERATOR, Principal, require
from pipelines.errors import InputError

if TYPE_CHECKING:
    from spacy.language import Language

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = documents.MAX_FILE_BYTES
MAX_TEXT_FILE_BYTES = documents.MAX_TEXT_FILE_BYTES
MAX_TEXT_CHARS = 10_000
TABULAR_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".ods"}
MANIFEST_NAMES = ("taten-manifest.yml", "taten-manifest.yaml")
MAX_MANIFEST_BYTES = 1_000_000
_ROUND_NUMBER = re.compile(r"(\d+)(?:[.,]0+)?(?!\d)")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# the columns a note's metadata goes into, with their German names and the schema's limits
_FIELD_LIMITS = {
    key: (label, Contribution.__table__.c[key].type.length)
    for key, label in (("table_label", "Tisch"), ("theme", "Thema"), ("district", "Sozialraum"),
                       ("stakeholder_group", "Gruppe"))
}
_SKIPPED_SILENTLY = re.compile(r"^(?:\.|~\$|\.~lock\.)|^(?:thumbs\.db|desktop\.ini)$", re.IGNORECASE)


# -- reports ----------------------------------------------------------------


@dataclass
class FileReport:
    """What one file contributed. ``error`` is set when the whole file failed.

    ``rows`` counts the notes read (rows, bullets, sentences of paragraphs);
    ``failed`` the notes that could not be used; ``reasons`` says why, in German.
    """

    file: str
    format: str = ""
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    empty: int = 0
    failed: int = 0
    markup_removed: int = 0
    reasons: list[str] = field(default_factory=list)
    pseudonymised: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    @property
    def status(self) -> str:
        if self.error:
            return "fehlgeschlagen"
        if self.failed:
            return "teilweise"
        return "ok"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status}


@dataclass
class ImportReport:
    """What one batch did, per file; ``to_dict`` is the JSON report."""

    conference: str
    files: list[FileReport] = field(default_factory=list)
    dry_run: bool = False
    strict: bool = False
    pseudonymised: bool = False

    @property
    def imported(self) -> int:
        return sum(f.imported for f in self.files)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)

    @property
    def empty(self) -> int:
        return sum(f.empty for f in self.files)

    @property
    def failed(self) -> int:
        return sum(f.failed for f in self.files)

    @property
    def failed_files(self) -> list[FileReport]:
        return [f for f in self.files if f.error]

    @property
    def pseudonymised_counts(self) -> dict[str, int]:
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(f.pseudonymised)
        return dict(total)

    def to_dict(self) -> dict[str, Any]:
        return {
            "conference": self.conference,
            "dry_run": self.dry_run,
            "strict": self.strict,
            "pseudonymised": self.pseudonymised,
            "totals": {
                "files": len(self.files), "failed_files": len(self.failed_files), "imported": self.imported,
                "duplicates": self.duplicates, "empty": self.empty, "failed": self.failed,
                "pseudonymised": self.pseudonymised_counts,
            },
            "files": [f.to_dict() for f in self.files],
        }


# -- vocabularies, manifest, sources ----------------------------------------


@dataclass(frozen=True)
class Vocabularies:
    """Canonical names that free-text columns are mapped onto."""

    taxonomy: Taxonomy | None = None
    gazetteer: Gazetteer | None = None
    stakeholder_aliases: dict[str, str] = field(default_factory=dict)
    # what the settings ask for: masks personal data before storing; None only when switched off
    pseudonymiser: Pseudonymiser | None = None

    def stakeholder(self, value: str | None) -> str | None:
        if not value:
            return None
        return self.stakeholder_aliases.get(value.strip().casefold(), value.strip())

    def theme(self, value: str | None) -> str | None:
        if self.taxonomy is not None:
            return self.taxonomy.canonical(value)
        return value.strip() if value and value.strip() else None

    def district(self, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        return (self.gazetteer.canonical(value) if self.gazetteer else None) or value.strip()


class _AliasError(yaml.YAMLError):
    """A YAML alias in a manifest."""


class _NoAliasLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` without aliases: a 500-byte "billion laughs" expands to gigabytes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise _AliasError(f"alias at {self.peek_event().start_mark}")
        return super().compose_node(parent, index)


class ManifestFile(BaseModel):
    """What the manifest says about the files whose name matches a pattern."""

    model_config = ConfigDict(extra="forbid")

    table: str | int | None = None
    theme: str | None = None
    round: int | None = None
    district: str | None = None
    stakeholder_group: str | None = None


class Manifest(BaseModel):
    """``taten-manifest.yml``: what the notes do not say themselves.

    .. code-block:: yaml

        conference: Sozialraumkonferenz Düren 2026
        date: "2026-03-18"
        city: Düren
        files:
          Tisch3_Wohnen_Runde2.docx: {district: Nord-Düren}
          "runde1/*": {round: 1}
    """

    model_config = ConfigDict(extra="forbid")

    conference: str | None = None
    date: str | None = None
    city: str | None = None
    files: dict[str, ManifestFile] = {}

    @classmethod
    def from_yaml(cls, path: Path) -> Manifest:
        """Raises: InputError: unreadable, too large, with aliases (``*name``), unknown keys."""
        name = _display_name(Path(path).name)
        try:
            if Path(path).stat().st_size > MAX_MANIFEST_BYTES:
                raise InputError(
                    f"{name}: Die Manifest-Datei ist zu groß (höchstens {MAX_MANIFEST_BYTES // 1000} KB)."
                )
            raw = yaml.load(Path(path).read_text(encoding="utf-8-sig"), Loader=_NoAliasLoader) or {}
            if not isinstance(raw, dict):
                raise TypeError("not a mapping")
            if "date" in raw and raw["date"] is not None:
                raw["date"] = str(raw["date"])
            return cls.model_validate(raw)
        except _AliasError as exc:
            raise InputError(
                f"{name}: Die Manifest-Datei enthält Verweise (Anker/Aliase wie *name), die Taten nicht "
                "auflöst. Bitte jeden Wert ausschreiben."
            ) from exc
        except (OSError, UnicodeDecodeError, yaml.YAMLError, ValidationError, TypeError) as exc:
            detail = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else type(exc).__name__
            raise InputError(f"{name}: Die Manifest-Datei ist nicht lesbar ({detail}).") from exc

    def for_file(self, name: str) -> ManifestFile:
        """Settings of the first pattern matching the file's path or name."""
        base = name.rsplit("/", 1)[-1]
        for pattern, settings in self.files.items():
            if fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(base, pattern):
                return settings
        return ManifestFile()


def _display_name(name: str) -> str:
    """A file name as text every database stores.

    A name whose bytes are not UTF-8 (Python keeps them as lone surrogates) is read as
    Windows-1252, as an old Windows zip or USB stick writes it; control characters go.
    """
    if any("\ud800" <= c <= "\udfff" for c in name):
        try:
            raw = name.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raw = name.encode("utf-8", "replace")
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError:
            name = raw.decode("cp1252", "replace")
    return _CONTROL.sub("", name)


@dataclass(frozen=True)
class Source:
    """One file to import: from disk (``path``) or uploaded (``data``); ``name`` is shown to people."""

    name: str
    path: Path | None = None
    data: bytes | None = None
    error: str | None = None  # known before reading: missing, unsupported
    renamed_from: str | None = None  # a name that had to be made readable (bytes not UTF-8)

    @classmethod
    def named(cls, name: str, **values: Any) -> Source:
        """A source whose shown name is made storable (:func:`_display_name`)."""
        shown = _display_name(name)
        return cls(name=shown, renamed_from=None if shown == name else name, **values)

    def size(self) -> int:
        if self.data is not None:
            return len(self.data)
        assert self.path is not None
        try:
            return self.path.stat().st_size
        except OSError as exc:
            raise InputError(f"{self.name}: Datei nicht gefunden oder nicht lesbar ({exc.strerror}).") from exc

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        try:
            return self.path.read_bytes()
        except OSError as exc:
            raise InputError(f"{self.name}: Datei nicht lesbar ({exc.strerror}).") from exc


def collect_sources(paths: Sequence[Path | str]) -> tuple[list[Source], Manifest | None]:
    """Files named, in folders (recursively) and matched by globs, in a stable order.

    A ``taten-manifest.yml`` in a named folder is read, not imported. Hidden files and
    Office lock files (``~$Tisch3.docx``) are left out silently; other files of
    unsupported types come back with their reason, to be listed and skipped.
    """
    sources: list[Source] = []
    manifest: Manifest | None = None
    seen: set[Path] = set()

    def add(path: Path, name: str) -> None:
        resolved = path.resolve()
        if resolved in seen:
            return
        seen.add(resolved)
        error = None if documents.file_format(name) else documents.unsupported_reason(name)
        sources.append(Source.named(name, path=path, error=error))

    for given in paths:
        path = Path(given)
        if path.is_dir():
            for found, problem in _walk(path):
                relative = found.relative_to(path).as_posix()
                if problem is not None:
                    sources.append(Source.named(relative, path=found, error=problem))
                elif found.name in MANIFEST_NAMES:
                    manifest = manifest or Manifest.from_yaml(found)
                else:
                    add(found, relative)
        elif not path.exists() and glob.has_magic(str(given)):
            matches = sorted(Path(m) for m in glob.glob(str(given), recursive=True))
            if not matches:
                sources.append(Source.named(str(given), error="Kein passender Dateiname gefunden."))
            for match in matches:
                if match.is_file() and not _SKIPPED_SILENTLY.search(match.name):
                    add(match, match.name)
        elif not path.exists():
            sources.append(Source.named(path.name, path=path, error="Datei nicht gefunden oder nicht lesbar."))
        else:
            add(path, path.name)
    return sources, manifest


def _walk(folder: Path) -> Iterator[tuple[Path, str | None]]:
    """Files below ``folder`` in name order, and what could not be read there, with a German reason.

    Linked folders are followed once; a link back into a folder being read (a loop), a
    link whose target is gone and a folder without read permission come back as
    ``(path, reason)``, to be listed in the report. Hidden files and folders are left out.
    """
    seen = {folder.resolve()}

    def visit(current: Path, ancestors: tuple[Path, ...]) -> Iterator[tuple[Path, str | None]]:
        try:
            with os.scandir(current) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as exc:
            yield current, f"Ordner nicht lesbar ({exc.strerror}) – übersprungen."
            return
        for entry in entries:
            if _SKIPPED_SILENTLY.search(entry.name):
                continue
            path = Path(entry.path)
            try:
                if entry.is_symlink():
                    try:
                        os.stat(path)
                    except OSError as exc:
                        yield path, (
                            "Verknüpfung, die auf sich selbst zeigt (Schleife) – übersprungen."
                            if exc.errno == errno.ELOOP
                            else "Verknüpfung ohne Ziel (Ziel gelöscht oder verschoben) – übersprungen."
                        )
                        continue
                if entry.is_dir():
                    real = path.resolve(strict=True)
                    if real in ancestors:
                        yield path, "Verknüpfung auf einen übergeordneten Ordner (Schleife) – übersprungen."
                    elif real in seen:
                        yield path, "Verknüpfung auf einen Ordner, der schon gelesen wurde – übersprungen."
                    else:
                        seen.add(real)
                        yield from visit(path, (*ancestors, real))
                elif entry.is_file():
                    yield path, None
                else:
                    yield path, "Keine normale Datei (Gerät, Pipe oder Socket) – übersprungen."
            except (OSError, RuntimeError) as exc:  # RuntimeError: a loop met while resolving
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "Verknüpfungsschleife"
                yield path, f"Nicht lesbar ({reason}) – übersprungen."

    yield from visit(folder, (folder.resolve(),))


# -- parsing one file --------------------------------------------------------


@dataclass
class _Note:
    raw: str  # cleaned, not yet pseudonymised: never logged, never stored
    row: dict[str, Any]


@dataclass
class _ParsedFile:
    source: Source
    report: FileReport
    sha256: str = ""
    notes: list[_Note] = field(default_factory=list)


def _parse_round(value: str, name: str, position: str) -> int | None:
    """The one whole number in ``value``: ``"Runde 2"``, ``"2."`` and ``"2,0"`` are 2."""
    if not value:
        return None
    numbers = _ROUND_NUMBER.findall(value)
    if len(numbers) != 1:
        shown = _shorten(normalise_label(value))  # the reason is stored with the batch: no NUL, no 5,000 characters
        raise InputError(f"{name}, {position}: Runde '{shown}' ist keine Zahl. Bitte z. B. 1, 2 oder 3 eintragen.")
    return int(numbers[0])


def _parse_file(
    source: Source, vocab: Vocabularies, manifest: Manifest | None, *, strict: bool
) -> _ParsedFile:
    """Notes of one file; in lenient mode a failure is recorded in the report instead of raised."""
    name = source.name
    report = FileReport(file=name, format=documents.file_format(name) or "")
    parsed = _ParsedFile(source, report)
    if source.renamed_from is not None:
        report.reasons.append("Der Dateiname enthält Zeichen, die nicht UTF-8 sind; er wird so angezeigt wie hier.")
    try:
        if source.error:
            raise InputError(f"{name}: {source.error}")
        documents.check_size(name, source.size(), limit=MAX_FILE_BYTES, text_limit=MAX_TEXT_FILE_BYTES)
        data = source.read()
        parsed.sha256 = hashlib.sha256(data).hexdigest()
        result = documents.read_blocks(
            name, data, lambda line: looks_like_heading(line, vocab.taxonomy, vocab.gazetteer)
        )
        report.format = result.format
        report.reasons.extend(result.notes)
        _notes_of(parsed, result.blocks, vocab, manifest, strict=strict)
        _check_fields(parsed, strict=strict)
        if not parsed.notes and not report.failed:
            what = "alle Zeilen der Spalte 'text' sind leer" if any(b.kind == "row" for b in result.blocks) \
                else "die Datei enthält nur Überschriften oder leere Zeilen"
            raise InputError(f"{name}: Keine Beiträge gefunden – {what}.")
    except InputError as exc:
        if strict:
            raise
        report.error = str(exc)
        report.reasons.append(str(exc).removeprefix(f"{name}: "))
        parsed.notes = []
    # reasons quote cells and sheet names and are stored with the batch: no control characters
    report.reasons = [_CONTROL.sub(" ", reason) for reason in report.reasons]
    return parsed


def _notes_of(
    parsed: _ParsedFile, blocks: Iterable[Block], vocab: Vocabularies, manifest: Manifest | None, *, strict: bool
) -> None:
    name, report = parsed.source.name, parsed.report
    given = manifest.for_file(name) if manifest else ManifestFile()
    fallback = parse_filename(name, vocab.taxonomy, vocab.gazetteer).over(
        NoteMeta(
            table=None if given.table is None else str(given.table), round=given.round,
            theme=vocab.theme(given.theme), district=vocab.district(given.district),
        )
    )
    headings = HeadingStack(vocab.taxonomy, vocab.gazetteer)
    for block in blocks:
        if block.kind == "heading":
            headings.push(block.text, block.level)
            continue
        meta = headings.meta.over(fallback)
        stakeholder = given.stakeholder_group
        if block.kind == "row":
            fields = block.fields
            try:
                round_ = _parse_round(fields.get("round", ""), name, block.position)
            except InputError as exc:
                if strict:
                    raise
                report.rows += 1
                report.failed += 1
                report.reasons.append(str(exc).removeprefix(f"{name}, "))
                continue
            meta = NoteMeta(
                table=canonical_table(fields.get("table")), round=round_, theme=vocab.theme(fields.get("theme")),
                district=vocab.district(fields.get("district")),
            ).over(meta)
            stakeholder = fields.get("stakeholder_group") or stakeholder
            texts = [block.text]
        elif block.kind == "paragraph":
            texts = split_contributions(block.text)
        else:
            texts = [block.text]
        for index, raw in enumerate(texts, start=1):
            report.rows += 1
            text = clean_text(raw)
            if contains_markup(raw):
                report.markup_removed += 1
            if not text:
                report.empty += 1
                continue
            if len(text) > MAX_TEXT_CHARS:
                text = text[:MAX_TEXT_CHARS]
                report.reasons.append(f"{block.position}: Beitrag auf {MAX_TEXT_CHARS} Zeichen gekürzt.")
            position = block.position if len(texts) == 1 else f"{block.position}, Satz {index}"
            parsed.notes.append(_Note(raw=text, row={
                "table_label": meta.table,
                "round": meta.round,
                "theme": meta.theme,
                "district": meta.district,
                "stakeholder_group": vocab.stakeholder(stakeholder),
                "source_file": name[-500:],
                "source_position": position[:200],
                "heading_path": headings.path[:500] or None,
            }))


def _check_fields(parsed: _ParsedFile, *, strict: bool) -> None:
    """Make every note's metadata storable alike on SQLite and PostgreSQL.

    Control characters (NUL, BEL …) and zero-width characters go, spaces collapse; a
    value longer than its column (``models.records``) fails the note with a German reason.

    Raises:
        InputError: in strict mode, the first value too long.
    """
    name, report = parsed.source.name, parsed.report
    kept: list[_Note] = []
    for note in parsed.notes:
        row = note.row
        problem = None
        for key, (label, limit) in _FIELD_LIMITS.items():
            if isinstance(row.get(key), str):
                row[key] = normalise_label(row[key]) or None
                if row[key] is not None and len(row[key]) > limit:
                    problem = problem or (
                        f"{row['source_position']}: {label} ist zu lang ({len(row[key])} Zeichen, höchstens "
                        f"{limit}): „{row[key][:40]}…“. Bitte kürzen."
                    )
        for key in ("source_position", "heading_path"):  # made here, cut to fit (NFKC may lengthen them)
            if isinstance(row.get(key), str):
                row[key] = normalise_label(row[key])[: _limit(Contribution, key)] or None
        if problem is None:
            kept.append(note)
            continue
        if strict:
            raise InputError(f"{name}, {problem}")
        report.failed += 1
        report.reasons.append(problem)
    parsed.notes = kept


# -- districts and pseudonymisation ------------------------------------------


class Pseudonymiser(Protocol):
    """What ingest needs of :class:`nlp.pseudonymize.Pseudonymiser`."""

    def pseudonymise_texts(self, texts: Sequence[str]) -> list[Any]: ...  # .text, .counts


class _FromVocab:
    """Default of the ``pseudonymiser`` arguments: the one the settings put into the vocabularies."""


FROM_VOCAB = _FromVocab()


@lru_cache(maxsize=4)
def _district_pipeline(gazetteer: Gazetteer) -> Language:
    """Tokenizer and district matcher only: the lemmatizer is not needed at import."""
    from nlp.lemmatize import build_pipeline

    nlp = build_pipeline(gazetteer.entries)
    nlp.remove_pipe("taten_simplemma")
    return nlp


def mentioned_districts(texts: Sequence[str], gazetteer: Gazetteer | None) -> list[list[str] | None]:
    """(n,) districts each raw text names, in order of first mention; None without a gazetteer."""
    if gazetteer is None:
        return [None] * len(texts)
    nlp = _district_pipeline(gazetteer)
    return [list(doc._.districts) for doc in nlp.pipe(texts, batch_size=512)]


def _finish_notes(
    parsed_files: Sequence[_ParsedFile], vocab: Vocabularies, pseudonymiser: Pseudonymiser | None
) -> None:
    """Districts from the raw text, then pseudonymised text, then the content hash."""
    notes = [n for p in parsed_files for n in p.notes]
    raws = [n.raw for n in notes]
    districts = mentioned_districts(raws, vocab.gazetteer)
    results = pseudonymiser.pseudonymise_texts(raws) if pseudonymiser is not None and raws else None
    for i, note in enumerate(notes):
        note.row["mentioned_districts"] = districts[i]
        note.row["text"] = results[i].text if results is not None else note.raw
        note.raw = ""  # the raw text goes no further
    meta_counts = _pseudonymise_metadata(parsed_files, pseudonymiser) if pseudonymiser is not None else {}
    offset = 0
    for parsed in parsed_files:
        if results is not None:
            counts: Counter[str] = Counter(meta_counts.get(id(parsed), {}))
            for result in results[offset: offset + len(parsed.notes)]:
                counts.update(result.counts)
            parsed.report.pseudonymised = {k: v for k, v in sorted(counts.items()) if v}
        offset += len(parsed.notes)
        seen: dict[str, int] = {}
        for note in parsed.notes:
            row = note.row
            identity = "\x1f".join(
                str(row[k]) for k in ("text", "table_label", "round", "theme", "district", "stakeholder_group")
            )
            occurrence = seen.get(identity, 0)
            seen[identity] = occurrence + 1
            row["content_hash"] = text_hash(f"{identity}\x1f{occurrence}")


_MASKED_FIELDS = ("table_label", "theme", "district", "stakeholder_group", "heading_path", "source_position")


def _pseudonymise_metadata(parsed_files: Sequence[_ParsedFile], pseudonymiser: Pseudonymiser) -> dict[int, Counter[str]]:
    """Mask personal data outside the note text like the text itself, before anything is stored.

    Headings, metadata columns (table, group, district, theme, also when the manifest gave
    them), the file name (the report's and each note's provenance) and the report's reasons
    and error. A file name is read with "_" as a space ("Protokoll_Frau_Yilmaz.md"); when
    something is masked the readable form is kept ("Protokoll Frau [NAME].md"), otherwise
    the name stays as it was. Returns the masked spans per file (``id`` of its parsed file),
    each distinct value counted once.
    """
    names = {p.source.name: _readable_file_name(p.source.name) for p in parsed_files}
    values = sorted({v for p in parsed_files for n in p.notes for f in _MASKED_FIELDS if isinstance(v := n.row.get(f), str)}
                    | set(names.values()))
    masked = dict(zip(values, pseudonymiser.pseudonymise_texts(values), strict=True)) if values else {}

    def changed(value: str) -> str:
        return masked[value].text if value in masked else value

    counts: dict[int, Counter[str]] = {}
    for parsed in parsed_files:
        raw_name, readable = parsed.source.name, names[parsed.source.name]
        name = changed(readable) + _suffix(raw_name) if changed(readable) != readable else raw_name
        counted: set[str] = {readable}
        for note in parsed.notes:
            note.row["source_file"] = name[-500:]
            for f in _MASKED_FIELDS:
                value = note.row.get(f)
                if isinstance(value, str):
                    note.row[f] = changed(value)
                    counted.add(value)
        report = parsed.report
        report.file = name
        # reasons quote the file name and, now and then, a cell: masked like everything else
        texts = [r.replace(raw_name, name) for r in report.reasons]
        if report.error:
            texts.append(report.error.replace(raw_name, name))
        results = pseudonymiser.pseudonymise_texts(texts) if texts else []
        report.reasons = [r.text for r in results[: len(report.reasons)]]
        if report.error:
            report.error = results[-1].text
        file_counts: Counter[str] = Counter()
        for value in counted:
            if value in masked:
                file_counts.update(masked[value].counts)
        counts[id(parsed)] = file_counts
    return counts


def _suffix(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[1] if "." in base.strip(".") else ""


def _readable_file_name(name: str) -> str:
    """The file name without its suffix, "_" read as a space: what a pseudonymiser can read."""
    suffix = _suffix(name)
    return (name[: -len(suffix)] if suffix else name).replace("_", " ")


# -- the batch ---------------------------------------------------------------


@dataclass(frozen=True)
class ImportOptions:
    """How a batch is imported; the same for files (:func:`import_files`), uploads
    (:func:`import_uploads`) and sources (:func:`import_sources`).

    Attributes:
        date: date of the conference (``JJJJ-MM-TT``); None takes the manifest's.
        city: city of the conference; None takes the manifest's.
        dry_run: parse, check and count, but store nothing.
        strict: the first failed file or row raises and nothing is stored; otherwise
            failures are listed in the report and skipped (the workbench's upload).
        pseudonymiser: masks names, addresses … before storing; by default the one
            the settings built into the vocabularies; None stores the text as written.
        manifest: a :class:`Manifest` or the path of its YAML file; fills in
            conference, date, city and per-file metadata the notes lack.
    """

    date: str | None = None
    city: str | None = None
    dry_run: bool = False
    strict: bool = True
    pseudonymiser: Pseudonymiser | None | _FromVocab = FROM_VOCAB
    manifest: Manifest | Path | None = None

    def resolved_manifest(self) -> Manifest | None:
        """The manifest, read from its file when a path was given.

        Raises:
            InputError: the manifest file is unreadable.
        """
        if isinstance(self.manifest, (str, Path)):
            return Manifest.from_yaml(Path(self.manifest))
        return self.manifest


def _limit(record: type, column: str) -> int:
    return record.__table__.c[column].type.length


def _shorten(value: str, size: int = 40) -> str:
    return value if len(value) <= size else value[:size] + "…"


def _check_label(value: str | None, label: str, limit: int) -> str | None:
    """``value`` normalised (:func:`nlp.text.normalise_label`); None when empty.

    Raises:
        InputError: longer than ``limit``.
    """
    if value is None:
        return None
    value = normalise_label(str(value))
    if len(value) > limit:
        raise InputError(
            f"{label} ist zu lang ({len(value)} Zeichen, höchstens {limit}): „{_shorten(value)}“. Bitte kürzen."
        )
    return value or None


def check_date(value: str | None) -> str | None:
    """A conference date as ``JJJJ-MM-TT``; None stays None.

    Raises:
        InputError: not a date in that form.
    """
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        if not _DATE.match(text):
            raise ValueError(text)
        datetime.date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"Datum „{_shorten(normalise_label(text))}“ ist ungültig. Bitte als JJJJ-MM-TT angeben, z. B. 2026-03-18."
        ) from None
    return text


def conference_name(store: Store, name: str) -> str:
    """The name a conference is stored under: normalised, and matched to a stored one case-insensitively.

    "sozialraumkonferenz  Düren 2026" and "Sozialraumkonferenz\u200b Düren 2026" are the
    stored "Sozialraumkonferenz Düren 2026", so their notes join it.

    Raises:
        InputError: the name is empty (only spaces) or too long.
    """
    normalised = _check_label(name, "Der Konferenzname", _limit(Conference, "name"))
    if not normalised:
        raise InputError("Der Konferenzname ist leer. Bitte einen Namen angeben, z. B. „Sozialraumkonferenz 2026“.")
    key = normalised.casefold()
    for record in store.conferences():
        if normalise_label(record.name).casefold() == key:
            return record.name
    return normalised


def import_sources(
    store: Store,
    sources: Sequence[Source],
    conference: str | None,
    vocab: Vocabularies,
    options: ImportOptions = ImportOptions(),
    *,
    principal: Principal = LOCAL_OPERATOR,
) -> ImportReport:
    """Import files into ``conference`` in one transaction (see the module docstring).

    Args:
        conference: name of the conference; None takes the manifest's.
        options: date, city, dry run, strictness, pseudonymiser and manifest.
        principal: who imports; the default is the command line (see :mod:`pipelines.auth`).

    Raises:
        InputError: no conference named; in strict mode any failure, naming file and line.
        PermissionDeniedError: ``principal``'s role may not import.
    """
    require(principal, "import")
    manifest = options.resolved_manifest()
    conference = conference or (manifest.conference if manifest else None)
    if not conference:
        raise InputError("Kein Konferenzname: Bitte --conference angeben oder 'conference' im Manifest eintragen.")
    conference = conference_name(store, conference)
    date = check_date(options.date or (manifest.date if manifest else None))
    city = _check_label(options.city or (manifest.city if manifest else None), "Stadt", _limit(Conference, "city"))
    dry_run, strict = options.dry_run, options.strict
    pseudonymiser = options.pseudonymiser
    if isinstance(pseudonymiser, _FromVocab):
        pseudonymiser = vocab.pseudonymiser
    report = ImportReport(conference=conference, dry_run=dry_run, strict=strict, pseudonymised=pseudonymiser is not None)
    parsed_files = [_parse_file(source, vocab, manifest, strict=strict) for source in sources]
    report.files = [p.report for p in parsed_files]
    if pseudonymiser is None:
        for parsed in parsed_files:
            if parsed.notes:
                parsed.report.reasons.append("Nicht pseudonymisiert: Texte wurden unverändert gespeichert.")
    _finish_notes(parsed_files, vocab, pseudonymiser)
    if any(p.notes for p in parsed_files):
        with store.transaction() as session:
            record = store.ensure_conference(session, conference, date=date, city=city)
            known = store.known_hashes(session, record.id)
            for parsed in parsed_files:
                rows = [n.row for n in parsed.notes]
                fresh = [r for r in rows if r["content_hash"] not in known]
                known.update(r["content_hash"] for r in fresh)
                parsed.report.imported = len(fresh)
                parsed.report.duplicates = len(rows) - len(fresh)
                if fresh and not dry_run:
                    batch = {
                        "source_file": parsed.report.file[-500:], "file_sha256": parsed.sha256,
                        "n_rows": parsed.report.rows, "n_imported": len(fresh),
                        "n_duplicates": len(rows) - len(fresh), "n_empty": parsed.report.empty,
                        "n_failed": parsed.report.failed, "report": parsed.report.to_dict(),
                    }
                    store.add_batch(session, record.id, batch, fresh)
            if dry_run:
                session.rollback()
    logger.info(
        "Import into %r: %d new, %d duplicates, %d empty, %d failed notes, %d failed files%s",
        conference, report.imported, report.duplicates, report.empty, report.failed,
        len(report.failed_files), " (dry run)" if dry_run else "",
    )
    return report


def import_files(
    store: Store,
    paths: Sequence[Path | str],
    conference: str | None,
    vocab: Vocabularies,
    options: ImportOptions = ImportOptions(),
    *,
    principal: Principal = LOCAL_OPERATOR,
) -> ImportReport:
    """Import files, folders (recursively) and globs; see :func:`import_sources`.

    A ``taten-manifest.yml`` inside a given folder is used unless ``options.manifest`` is given.
    """
    sources, found = collect_sources(paths)
    if options.manifest is None and found is not None:
        options = replace(options, manifest=found)
    return import_sources(store, sources, conference, vocab, options, principal=principal)


def import_uploads(
    store: Store,
    uploads: Sequence[tuple[str, bytes]],
    conference: str | None,
    vocab: Vocabularies,
    options: ImportOptions = ImportOptions(),
    *,
    principal: Principal = LOCAL_OPERATOR,
) -> ImportReport:
    """Import uploaded files given as ``(file name, bytes)``, e.g. from the workbench's upload view.

    Same path as :func:`import_files`. The workbench passes ``strict=False``, so one
    bad upload is listed in the report while the others are stored.
    """
    sources = []
    for name, data in uploads:
        name = Path(name).name or "upload"
        if name in MANIFEST_NAMES and options.manifest is None:
            continue
        error = None if documents.file_format(name) else documents.unsupported_reason(name)
        sources.append(Source.named(name, data=bytes(data), error=error))
    return import_sources(store, sources, conference, vocab, options, principal=principal)


# -- one table as a DataFrame (the ``cluster`` command) ----------------------


def read_table(path: Path) -> pd.DataFrame:
    """A tabular file as a DataFrame of strings, columns named by their canonical field names.

    Raises:
        InputError: empty, too large, unreadable, or without a text column.
    """
    name = Path(path).name
    suffix = Path(path).suffix.lower()
    if suffix not in TABULAR_SUFFIXES:
        raise InputError(
            f"{name}: Dateityp {suffix or '(ohne Endung)'} wird nicht unterstützt. "
            "Erlaubt sind CSV, TSV, Excel (.xlsx) und LibreOffice (.ods)."
        )
    source = Source(name=name, path=Path(path))
    documents.check_size(name, source.size(), limit=MAX_FILE_BYTES, text_limit=MAX_FILE_BYTES)
    parsed = documents.read_blocks(name, source.read())
    rows = [{"text": b.text, **b.fields} for b in parsed.blocks if b.kind == "row"]
    if not rows:
        raise InputError(f"{name}: Spalte 'text' fehlt oder ist leer. Bitte die Spalte mit den Beiträgen 'text' nennen.")
    columns = list(dict.fromkeys(k for r in rows for k in r))
    return pd.DataFrame(rows, columns=columns).fillna("").astype(str)
