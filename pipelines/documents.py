"""Readers for the files table hosts' notes arrive in: Word, text, Markdown, Excel, ODS, CSV.

Every reader turns the bytes of one file into :class:`Block` values in reading order –
a heading, a bullet, a paragraph or a spreadsheet row – each with its position in
the file ("Zeile 12", "Seite 2, Absatz 5", "Blatt Tisch3, Zeile 4"). What a block
means (metadata, sentences, duplicates) is decided in :mod:`pipelines.ingest`.

Files are checked before a parser sees them: size, zip containers (Word, Excel and
ODS files are zips; a zip bomb is refused by its uncompressed size and compression
ratio), the grid a spreadsheet's cells span and the columns a Word table cell spans
(a few kilobytes can ask for gigabytes), OLE containers (password-protected Office
files and the old .doc/.xls formats), binary data in text files. Every problem is an :class:`InputError` whose
German message starts with the file name.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Literal

from pipelines.errors import InputError

MAX_FILE_BYTES = 100_000_000
MAX_TEXT_FILE_BYTES = 20_000_000  # a whole conference's transcript is well under 1 MB
MAX_UNZIPPED_BYTES = 200_000_000
MAX_ZIP_RATIO = 100
MAX_ZIP_MEMBERS = 10_000
# A spreadsheet is read into a grid of rows × columns: a note sheet has a few thousand
# rows and a dozen columns; two cells at A1 and XFD1048576 would ask for 17 billion.
MAX_SHEET_CELLS = 5_000_000
MAX_DOCX_SPAN = 1_000  # columns one Word table cell may span (Word allows 63)
SINGLE_COLUMN = "\x1f"  # "delimiter" of a one-column file: a control character no note keeps
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))

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
_ALIAS_TO_FIELD = {alias: name for name, aliases in COLUMN_ALIASES.items() for alias in aliases}

FORMATS: dict[str, str] = {
    ".docx": "DOCX", ".txt": "TXT", ".text": "TXT", ".md": "Markdown", ".markdown": "Markdown",
    ".csv": "CSV", ".tsv": "TSV", ".tab": "TSV", ".xlsx": "XLSX", ".xlsm": "XLSX", ".ods": "ODS",
}
_OLD_FORMATS = {".doc": ".docx", ".xls": ".xlsx", ".odt": ".docx", ".rtf": ".docx", ".pages": ".docx"}
_DEFAULT_SHEET = re.compile(r"^(?:tabelle|sheet|blatt|feuil|hoja|foglio)\s*\d+$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•–·+▪►✓→]|\d{1,2}[.)]|[a-z][)])\s+")
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_MD_INLINE = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)"), r"\1"),
    (re.compile(r"`([^`]*)`"), r"\1"),
]

BlockKind = Literal["heading", "bullet", "paragraph", "row"]
HeadingTest = Callable[[str], bool]


@dataclass(frozen=True)
class Block:
    """One unit of a file in reading order.

    ``level`` is the heading level where the file states one (Word style, ``##``),
    None where a heading is recognised by its words. ``fields`` holds the other
    columns of a spreadsheet row, by canonical field name.
    """

    text: str
    kind: BlockKind
    position: str
    level: int | None = None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class Parsed:
    """What a reader found in one file."""

    format: str
    blocks: list[Block]
    notes: list[str] = field(default_factory=list)  # German remarks for the report


def file_format(name: str) -> str | None:
    """The format name of a supported file, else None."""
    return FORMATS.get(_suffix(name))


def _suffix(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[-1].lower() if "." in base else ""


def unsupported_reason(name: str) -> str:
    """German reason why ``name`` is not read."""
    suffix = _suffix(name)
    if suffix in _OLD_FORMATS:
        return (f"Dateityp {suffix} wird nicht unterstützt (altes oder anderes Format). "
                f"Bitte als {_OLD_FORMATS[suffix]} speichern.")
    return (f"Dateityp {suffix or '(ohne Endung)'} wird nicht unterstützt. Erlaubt sind Word (.docx), "
            "Text (.txt, .md), Excel (.xlsx), LibreOffice (.ods), CSV und TSV.")


def check_size(name: str, size: int, *, limit: int = MAX_FILE_BYTES, text_limit: int = MAX_TEXT_FILE_BYTES) -> None:
    """Refuse empty and oversized files before reading them.

    Raises:
        InputError: zero bytes, or over the limit of its format.
    """
    if size == 0:
        raise InputError(f"{name}: Die Datei ist leer. Bitte eine Datei mit Beiträgen wählen.")
    if file_format(name) in {"TXT", "Markdown"}:
        limit = min(limit, text_limit)
    if size > limit:
        raise InputError(
            f"{name}: Die Datei ist zu groß ({size / 1e6:.0f} MB, höchstens {limit / 1e6:.0f} MB). "
            "Bitte prüfen, ob es die richtige Datei ist, oder in mehrere Dateien aufteilen."
        )


def read_blocks(name: str, data: bytes, is_heading: HeadingTest = lambda _: False) -> Parsed:
    """The blocks of one file, by its suffix.

    Args:
        name: file name as shown to people (suffix decides the reader).
        data: the file's bytes.
        is_heading: recognises a heading in a line of plain text ("Runde 2").

    The caller checks the size first (:func:`check_size`), before reading the bytes.

    Raises:
        InputError: the file is unsupported, damaged, protected, binary or empty.
    """
    fmt = file_format(name)
    if fmt is None:
        raise InputError(f"{name}: {unsupported_reason(name)}")
    if data.startswith(OLE_MAGIC):
        raise InputError(
            f"{name}: Die Datei ist passwortgeschützt oder im alten Format (.doc/.xls). "
            "Bitte den Kennwortschutz entfernen und als .docx, .xlsx oder .ods speichern."
        )
    if fmt in {"DOCX", "XLSX", "ODS"}:
        check_zip(name, data)
        if fmt != "DOCX":
            check_sheet_extent(name, data, fmt)
        else:
            check_docx_spans(name, data)
        if fmt == "DOCX":
            return Parsed(fmt, list(_docx_blocks(name, data, is_heading)))
        return _spreadsheet(name, data, fmt)
    text, encoding_note = decode_text(data, name)
    if not text.strip():
        raise InputError(f"{name}: Die Datei ist leer. Bitte eine Datei mit Beiträgen wählen.")
    notes = [encoding_note] if encoding_note else []
    if fmt in {"CSV", "TSV"} or (fmt == "TXT" and _has_text_header(text)):
        return Parsed(fmt, list(_csv_blocks(name, text, notes)), notes)
    if fmt == "Markdown":
        return Parsed(fmt, list(_markdown_blocks(text, is_heading)), notes)
    return Parsed(fmt, list(_text_blocks(text, is_heading)), notes)


# -- checks ----------------------------------------------------------------


def check_zip(name: str, data: bytes) -> None:
    """Refuse a damaged zip, a zip bomb and an encrypted ODS before any parser opens it.

    Raises:
        InputError: not a zip, too many members, too large unpacked, too compressed.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise InputError(f"{name}: Die Datei enthält zu viele Teile ({len(members)}); sie wird nicht geöffnet.")
            unpacked = sum(m.file_size for m in members)
            packed = max(sum(m.compress_size for m in members), 1)
            if unpacked > MAX_UNZIPPED_BYTES or (unpacked > 1_000_000 and unpacked / packed > MAX_ZIP_RATIO):
                raise InputError(
                    f"{name}: Die Datei entpackt sich auf {unpacked / 1e6:.0f} MB (Verhältnis "
                    f"{unpacked / packed:.0f}:1) und wird zum Schutz nicht geöffnet (ZIP-Bombe?). "
                    "Bitte die Datei prüfen oder neu speichern."
                )
            if "META-INF/manifest.xml" in archive.namelist():
                manifest = archive.read("META-INF/manifest.xml")[:1_000_000]
                if b"encryption-data" in manifest:
                    raise InputError(
                        f"{name}: Die Datei ist passwortgeschützt. Bitte den Kennwortschutz entfernen und neu speichern."
                    )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
        raise InputError(
            f"{name}: Die Datei ist beschädigt und nicht lesbar (kein gültiges ZIP-Archiv). "
            "Bitte in Word, Excel oder LibreOffice öffnen und neu speichern."
        ) from exc


# a row or a cell; a cell is empty when it closes at once ("<c r="B2" s="1"/>", "...></c>")
_XLSX_ELEMENT = re.compile(rb"<(?:\w+:)?(row|c)\b([^>]*?)(/>|>\s*</(?:\w+:)?c>|>)")
_XLSX_REF = re.compile(rb'\br="([A-Za-z]{0,3})(\d{0,7})"')
_DOCX_SPAN = re.compile(rb'<w:(?:gridSpan|gridBefore|gridAfter)\b[^>]*?w:val="(\d{1,12})"')
_ODS_ELEMENT = re.compile(rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)\b([^>]*?)(/?)>")
_ODS_REPEAT = re.compile(rb'table:number-(rows|columns)-repeated="(\d{1,12})"')


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def _xml_chunks(archive: zipfile.ZipFile, member: str, overlap: int = 4096) -> Iterator[bytes]:
    """A member's bytes in 1 MB pieces that each start at a ``<``: no element is cut in two."""
    with archive.open(member) as handle:
        rest = b""
        while chunk := handle.read(1 << 20):
            data = rest + chunk
            cut = data.rfind(b"<", max(0, len(data) - overlap))
            if cut <= 0:
                cut = len(data)
            yield data[:cut]
            rest = data[cut:]
        if rest:
            yield rest


def _xlsx_extent(archive: zipfile.ZipFile, member: str) -> tuple[int, int]:
    """Rows and columns a worksheet's cells with content reach (empty, styled cells are not read)."""
    rows = columns = 0
    row = column = 0
    for chunk in _xml_chunks(archive, member):
        for match in _XLSX_ELEMENT.finditer(chunk):
            kind, attributes, closed = match.groups()
            ref = _XLSX_REF.search(attributes)
            if kind == b"row":
                row = int(ref.group(2)) if ref and ref.group(2) else row + 1
                column = 0
                continue
            if ref and ref.group(1):
                column = _column_number(ref.group(1))
                if ref.group(2):
                    row = int(ref.group(2))
            else:
                column += 1
            if closed == b">":
                rows, columns = max(rows, row), max(columns, column)
    return rows, columns


def _ods_extent(archive: zipfile.ZipFile) -> tuple[int, int]:
    """Rows and columns an ODS table's cells with content reach, repetitions counted."""
    rows = columns = 0
    row = column = 0
    row_repeat = 1
    for chunk in _xml_chunks(archive, "content.xml"):
        for match in _ODS_ELEMENT.finditer(chunk):
            end, kind, attributes, closed = match.groups()
            repeat = _ODS_REPEAT.search(attributes)
            times = int(repeat.group(2)) if repeat else 1
            if kind == b"table":
                if not end:
                    row = column = 0
            elif kind == b"table-row":
                if end:
                    row += row_repeat - 1
                elif closed:
                    row += times
                else:
                    row, column, row_repeat = row + 1, 0, times
            elif not end:
                column += times
                if not closed:  # a cell with content (or at least an element inside)
                    rows, columns = max(rows, row + row_repeat - 1), max(columns, column)
    return rows, columns


def check_docx_spans(name: str, data: bytes) -> None:
    """Refuse a Word table cell spanning more than :data:`MAX_DOCX_SPAN` columns before python-docx lays it out.

    python-docx repeats a cell once per grid column it spans; ``gridSpan="100000000"``
    in a 5 KB file would take minutes and gigabytes. Word itself allows 63 columns.

    Raises:
        InputError: a span too wide.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if "word/document.xml" not in archive.namelist():
            return
        widest = max(
            (int(m.group(1)) for chunk in _xml_chunks(archive, "word/document.xml")
             for m in _DOCX_SPAN.finditer(chunk)),
            default=0,
        )
    if widest > MAX_DOCX_SPAN:
        raise InputError(
            f"{name}: Eine Tabellenzelle reicht über {widest} Spalten (höchstens {MAX_DOCX_SPAN}); die Datei wird "
            "zum Schutz nicht geöffnet. Bitte die Tabelle in Word prüfen oder den Text in eine neue Datei kopieren."
        )


def check_sheet_extent(name: str, data: bytes, fmt: str) -> None:
    """Refuse a spreadsheet whose cells span more than :data:`MAX_SHEET_CELLS` before reading it.

    The reader builds a full grid up to the last cell with content, so a file of a few
    kilobytes with values at A1 and XFD1048576 would take hundreds of gigabytes. The
    sheet XML is scanned (its unpacked size is bounded by :func:`check_zip`).

    Raises:
        InputError: a sheet too large to read.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if fmt == "ODS":
            extents = [("", _ods_extent(archive))] if "content.xml" in archive.namelist() else []
        else:
            extents = [
                (member, _xlsx_extent(archive, member)) for member in archive.namelist()
                if member.startswith("xl/worksheets/") and member.endswith(".xml")
            ]
    for _member, (rows, columns) in extents:
        if rows * columns > MAX_SHEET_CELLS:
            cells, limit = f"{rows * columns:,}".replace(",", "."), f"{MAX_SHEET_CELLS:,}".replace(",", ".")
            raise InputError(
                f"{name}: Die Tabelle reicht bis Zeile {rows} und Spalte {columns} ({cells} Zellen, "
                f"höchstens {limit}) und wird zum Schutz nicht geöffnet. "
                "Bitte nur den Bereich mit den Beiträgen in eine neue Datei kopieren."
            )


MIXED_ENCODING_NOTE = (
    "Zeichenkodierung gemischt (UTF-8 und Windows-1252): jede Zeile in ihrer eigenen Kodierung gelesen. "
    "Bitte die Datei als UTF-8 speichern."
)


def decode_bytes(raw: bytes, name: str) -> str:
    """Text of a file in UTF-8 (with or without BOM), UTF-16 with BOM or Windows-1252.

    Raises:
        InputError: the bytes are binary or in no supported encoding.
    """
    return decode_text(raw, name)[0]


def _decode_lines(raw: bytes) -> tuple[str, bool]:
    """UTF-8 line by line, Windows-1252 for a line that is not UTF-8; True when both occur.

    A CSV put together from two exports ("Ältere" in UTF-8, "Gürzenich" in Windows-1252)
    would otherwise turn every UTF-8 umlaut into mojibake ("Ã„ltere").
    """
    lines, utf8, cp1252 = [], False, False
    for line in raw.split(b"\n"):
        try:
            text = line.decode("utf-8")
            utf8 = utf8 or not line.isascii()
        except UnicodeDecodeError:
            text = line.decode("cp1252")  # raises for the five bytes Windows-1252 leaves undefined
            cp1252 = True
        lines.append(text)
    return "\n".join(lines).removeprefix("\ufeff"), utf8 and cp1252


def decode_text(raw: bytes, name: str) -> tuple[str, str | None]:
    """Like :func:`decode_bytes`, with a German note when lines came in different encodings.

    Raises:
        InputError: the bytes are binary or in no supported encoding.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode-Text" export
        try:
            return raw.decode("utf-16"), None
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}: Die Zeichenkodierung ist unbekannt. Bitte als UTF-8 speichern.") from exc
    if b"\x00" in raw[:65536]:
        raise InputError(
            f"{name}: Die Datei ist keine Textdatei (Binärdaten). "
            "Bitte als Text (UTF-8), CSV oder Excel-Datei speichern."
        )
    for encoding in ("utf-8-sig", "lines"):
        mixed = False
        try:
            text, mixed = (raw.decode(encoding), False) if encoding != "lines" else _decode_lines(raw)
        except UnicodeDecodeError:
            continue
        sample = text[:65536]
        controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\r\f\x1f")
        if controls > max(3, len(sample) // 100):
            raise InputError(
                f"{name}: Die Datei ist keine Textdatei (Binärdaten). "
                "Bitte als Text (UTF-8), CSV oder Excel-Datei speichern."
            )
        return text, MIXED_ENCODING_NOTE if mixed else None
    raise InputError(f"{name}: Die Zeichenkodierung ist unbekannt. Bitte als UTF-8 speichern.")


# -- tables ----------------------------------------------------------------


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


def _has_text_header(text: str) -> bool:
    """True when a .txt file starts with a table header naming a text column."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    cells = re.split(r"[;,\t]", first)
    return any(_ALIAS_TO_FIELD.get(c.strip().strip('"').casefold()) == "text" for c in cells)


def header_fields(header: list[str], name: str, where: str = "") -> dict[int, str]:
    """Column index → canonical field name; the first column of an alias wins.

    Raises:
        InputError: no column holds the notes.
    """
    columns: dict[int, str] = {}
    for index, cell in enumerate(header):
        field_name = _ALIAS_TO_FIELD.get(str(cell).strip().lstrip("\ufeff").casefold())
        if field_name and field_name not in columns.values():
            columns[index] = field_name
    if "text" not in columns.values():
        found = ", ".join(str(c) for c in header if str(c).strip()) or "keine"
        raise InputError(
            f"{name}{where}: Spalte 'text' fehlt (gefunden: {found}). "
            "Bitte die Spalte mit den Beiträgen 'text' nennen."
        )
    return columns


def _row_block(row: list[str], columns: dict[int, str], position: str) -> Block | None:
    values = {f: (row[i].strip() if i < len(row) else "") for i, f in columns.items()}
    if not any(v for v in row if str(v).strip()):
        return None  # a blank line, not an empty note
    text = values.pop("text")
    return Block(text=text, kind="row", position=position, fields=values)


def _unclosed_quote(lines: list[str], row: list[str], delimiter: str) -> bool:
    """True when a row read over several lines looks like an unclosed quote, not a note with line breaks.

    The lines hold an odd number of quote characters, or a value holds both a line break
    and the delimiter – the next rows swallowed into one note.
    """
    if "".join(lines).count('"') % 2:
        return True
    return delimiter != SINGLE_COLUMN and any(delimiter in v and ("\n" in v or "\r" in v) for v in row)


def _split_line(line: str, delimiter: str) -> list[str]:
    """One physical line as cells; a stray quote character is dropped rather than opening a quote."""
    line = line.rstrip("\r\n")
    if line.count('"') % 2 == 0:
        return next(csv.reader([line], delimiter=delimiter), [])
    return [cell.strip().strip('"') for cell in line.split(delimiter)]


def _csv_blocks(name: str, text: str, notes: list[str] | None = None) -> Iterator[Block]:
    """Rows under a header naming a text column; an unclosed quote is read line by line, with a note."""
    notes = notes if notes is not None else []
    delimiter = sniff_delimiter(text)
    body = text.lstrip("\ufeff")
    lines = io.StringIO(body, newline="").readlines()  # the physical lines, as the reader counts them
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
        columns = header_fields(header, name)
        line = reader.line_num
        for row in reader:
            start, line = line + 1, reader.line_num
            if line > start and _unclosed_quote(lines[start - 1: line], row, delimiter):
                notes.append(
                    f"Zeile {start}: Anführungszeichen nicht geschlossen – die Zeilen {start} bis {line} "
                    "wurden einzeln gelesen statt als ein Beitrag. Bitte das Anführungszeichen prüfen."
                )
                for number, physical in enumerate(lines[start - 1: line], start=start):
                    block = _row_block(_split_line(physical, delimiter), columns, f"Zeile {number}")
                    if block is not None:
                        yield block
                continue
            block = _row_block(row, columns, f"Zeile {start}")
            if block is not None:
                yield block
    except csv.Error as exc:
        raise InputError(f"{name}, Zeile {reader.line_num}: Die Datei ist nicht lesbar ({exc}).") from exc


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return str(value)


def _spreadsheet(name: str, data: bytes, fmt: str) -> Parsed:
    """Rows of every sheet with a text column; merged cells fill their whole range."""
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for sheet_name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(sheet_name)
            grid = [[_cell(v) for v in row] for row in sheet.to_python(skip_empty_area=False)]
            merged = sheet.merged_cell_ranges or []
            sheets.append((sheet_name, grid, merged))
    except python_calamine.PasswordError as exc:
        raise InputError(f"{name}: Die Datei ist passwortgeschützt. Bitte den Kennwortschutz entfernen.") from exc
    except Exception as exc:  # calamine raises its own and Python errors for broken files
        raise InputError(
            f"{name}: Die Datei ist nicht lesbar ({type(exc).__name__}). "
            "Bitte in Excel oder LibreOffice öffnen und neu speichern."
        ) from exc
    blocks: list[Block] = []
    notes: list[str] = []
    first_error: InputError | None = None
    named = len(sheets) > 1
    for sheet_name, grid, merged in sheets:
        header_row = next((i for i, row in enumerate(grid) if any(c.strip() for c in row)), None)
        if header_row is None:
            continue
        where = f", Blatt '{sheet_name}'" if named else ""
        try:
            columns = header_fields(grid[header_row], name, where)
        except InputError as exc:
            first_error = first_error or exc
            if named:
                notes.append(f"Blatt '{sheet_name}' ohne Spalte 'text' – übersprungen.")
            continue
        text_column = next(i for i, f in columns.items() if f == "text")
        try:
            _fill_merged(grid, merged, skip_column=text_column, below=header_row)
        except InputError as exc:
            raise InputError(f"{name}{where}: {exc}") from None
        if not _DEFAULT_SHEET.match(sheet_name.strip()):
            blocks.append(Block(text=sheet_name, kind="heading", position=f"Blatt {sheet_name}", level=1))
        prefix = f"Blatt {sheet_name}, " if named else ""
        for index in range(header_row + 1, len(grid)):
            block = _row_block(grid[index], columns, f"{prefix}Zeile {index + 1}")
            if block is not None:
                blocks.append(block)
    if not any(b.kind == "row" for b in blocks) and first_error is not None:
        raise first_error
    return Parsed(fmt, blocks, notes)


def _fill_merged(grid: list[list[str]], merged: list, *, skip_column: int, below: int) -> None:
    """Copy a merged range's value (top-left cell) into all its cells, the note column excepted.

    A table number merged over ten rows belongs to all ten notes; a note merged over
    two rows is still one note.
    """
    budget = MAX_SHEET_CELLS  # thousands of ranges over the whole sheet must not take minutes
    for (top, left), (bottom, right) in merged:
        if top >= len(grid) or left >= len(grid[top]):
            continue
        value = grid[top][left]
        for r in range(max(top, below + 1), min(bottom, len(grid) - 1) + 1):
            columns = range(left, min(right, len(grid[r]) - 1) + 1)
            budget -= len(columns)
            if budget < 0:
                raise InputError(
                    "Die Tabelle hat zu viele verbundene Zellen und wird zum Schutz nicht weiter gelesen. "
                    "Bitte die Zellverbindungen aufheben."
                )
            for c in columns:
                if c != skip_column:
                    grid[r][c] = value


# -- text and Markdown -----------------------------------------------------


def _text_blocks(text: str, is_heading: HeadingTest) -> Iterator[Block]:
    """A plain transcript: each non-empty line is a note, a heading or a bullet."""
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        position = f"Zeile {number}"
        if match := _MD_HEADING.match(stripped):
            yield Block(match.group(2), "heading", position, level=len(match.group(1)))
        elif is_heading(stripped):
            yield Block(stripped.rstrip(":"), "heading", position)
        elif _BULLET.match(line):
            yield Block(_BULLET.sub("", line, count=1).strip(), "bullet", position)
        else:
            yield Block(stripped, "paragraph", position)


def _markdown_inline(text: str) -> str:
    for pattern, replacement in _MD_INLINE:
        text = pattern.sub(replacement, text)
    return text


def _markdown_blocks(text: str, is_heading: HeadingTest) -> Iterator[Block]:
    """Markdown: ``#`` headings, list items, paragraphs of consecutive lines."""
    lines = text.lstrip("\ufeff").splitlines()
    pending: list[str] = []
    pending_kind: BlockKind = "paragraph"
    pending_start = 0

    def flush() -> Iterator[Block]:
        nonlocal pending
        if pending:
            yield Block(_markdown_inline(" ".join(pending)), pending_kind, f"Zeile {pending_start}")
        pending = []

    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        following = lines[number] if number < len(lines) else ""
        if not stripped or stripped.startswith(("<!--", "|---", "```")) or re.fullmatch(r"[-*_]{3,}", stripped):
            yield from flush()
            continue
        if match := _MD_HEADING.match(line):
            yield from flush()
            yield Block(_markdown_inline(match.group(2)), "heading", f"Zeile {number}", level=len(match.group(1)))
        elif _MD_SETEXT.match(following) and not pending and not _BULLET.match(line):
            level = 1 if following.strip().startswith("=") else 2
            yield Block(_markdown_inline(stripped), "heading", f"Zeile {number}", level=level)
        elif _MD_SETEXT.match(line) and not pending:
            continue  # the underline of a heading just yielded
        elif _BULLET.match(line):
            yield from flush()
            pending, pending_kind, pending_start = [_BULLET.sub("", line, count=1).strip()], "bullet", number
        elif pending and pending_kind == "bullet" and line[:1].isspace():
            pending.append(stripped)  # continuation of a list item
        elif not pending and is_heading(stripped):
            yield Block(_markdown_inline(stripped).rstrip(":"), "heading", f"Zeile {number}")
        else:
            if pending and pending_kind == "bullet":
                yield from flush()
            if not pending:
                pending_kind, pending_start = "paragraph", number
            pending.append(stripped.lstrip("> ").strip())
    yield from flush()


# -- Word ------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_STYLE = re.compile(r"(?:heading|überschrift|berschrift)\s*(\d)", re.IGNORECASE)
_TITLE_STYLE = re.compile(r"^(?:title|titel)$", re.IGNORECASE)
_LIST_STYLE = re.compile(r"list|liste|aufzählung|aufzaehlung", re.IGNORECASE)


def _docx_blocks(name: str, data: bytes, is_heading: HeadingTest) -> Iterator[Block]:
    """Paragraphs and tables of the body in order; page from page breaks saved in the file."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
        styles = {s.style_id: (s.name or "") for s in document.styles}
        body = document.element.body
        children = list(body.iterchildren())
    except Exception as exc:  # python-docx/lxml raise many kinds for a broken file
        raise InputError(
            f"{name}: Die Word-Datei ist beschädigt und nicht lesbar ({type(exc).__name__}). "
            "Bitte in Word oder LibreOffice öffnen und als .docx neu speichern."
        ) from exc
    page, paragraph_no, table_no = 1, 0, 0
    blocks: list[Block] = []
    for child in children:
        if child.tag == f"{_W}p":
            style_el = child.find(f"{_W}pPr/{_W}pStyle")
            style = styles.get(style_el.get(f"{_W}val"), "") if style_el is not None else ""
            is_list = child.find(f"{_W}pPr/{_W}numPr") is not None or bool(_LIST_STYLE.search(style))
            text = Paragraph(child, document).text
            page_break = _page_break(child)  # None, "before" or "after" the paragraph's text
            if page_break == "before":
                page, paragraph_no = page + 1, 0
            for line in text.split("\n"):
                stripped = line.strip()
                if not stripped:
                    continue
                paragraph_no += 1
                position = f"Seite {page}, Absatz {paragraph_no}"
                if heading := _HEADING_STYLE.search(style):
                    blocks.append(Block(stripped, "heading", position, level=int(heading.group(1))))
                elif _TITLE_STYLE.match(style):
                    blocks.append(Block(stripped, "heading", position, level=0))
                elif is_heading(stripped):
                    blocks.append(Block(stripped.rstrip(":"), "heading", position))
                elif is_list or _BULLET.match(line):
                    blocks.append(Block(_BULLET.sub("", line, count=1).strip(), "bullet", position))
                else:
                    blocks.append(Block(stripped, "paragraph", position))
            if page_break == "after":
                page, paragraph_no = page + 1, 0
        elif child.tag == f"{_W}tbl":
            table_no += 1
            blocks.extend(_docx_table(Table(child, document), f"Seite {page}, Tabelle {table_no}"))
    return iter(blocks)


def _page_break(paragraph: object) -> str | None:
    """Whether a paragraph holds a page break (typed or as Word last laid it out) before or after its text."""
    seen_text = False
    for element in paragraph.iter():  # type: ignore[attr-defined]
        if element.tag == f"{_W}t" and (element.text or "").strip():
            seen_text = True
        elif element.tag == f"{_W}lastRenderedPageBreak" or (
            element.tag == f"{_W}br" and element.get(f"{_W}type") == "page"
        ):
            return "after" if seen_text else "before"
    return None


def _docx_table(table: object, where: str) -> Iterator[Block]:
    """A Word table: rows under a header naming a text column, else each cell a card."""
    rows = [[cell.text for cell in row.cells] for row in table.rows]  # type: ignore[attr-defined]
    if not rows:
        return
    try:
        columns = header_fields(rows[0], "")
    except InputError:
        for r, row in enumerate(rows, start=1):
            seen: set[str] = set()
            for c, value in enumerate(row, start=1):
                if value.strip() and value not in seen:  # a merged cell repeats its text
                    seen.add(value)
                    yield Block(value.strip(), "bullet", f"{where}, Zeile {r}, Spalte {c}")
        return
    for r, row in enumerate(rows[1:], start=2):
        block = _row_block(row, columns, f"{where}, Zeile {r}")
        if block is not None:
            yield block
