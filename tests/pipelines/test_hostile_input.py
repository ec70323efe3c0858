"""Hostile and broken input (issue 9, items 1 and 2): no file takes the process down,
every refusal has a German reason, nothing is stored half, and the same limits hold on
SQLite and PostgreSQL. The hostile files are made here, byte by byte."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from models.store import Store
from pipelines.errors import InputError
from pipelines.ingest import ImportOptions, Vocabularies, import_files, import_uploads
from pipelines.resources import Resources

CONFERENCE = "Sozialraumkonferenz Düren 2026"


@pytest.fixture
def vocab(hashing_resources: Resources) -> Vocabularies:
    return hashing_resources.vocab


def _contributions(store: Store, conference: str = CONFERENCE) -> list:
    record = store.get_conference(conference)
    return [] if record is None else store.contributions(record.id)


def _texts(store: Store) -> list[str]:
    return [c.text for c in _contributions(store)]


def _good(tmp_path: Path) -> Path:
    path = tmp_path / "gut.txt"
    path.write_text("- Kita fehlt\n", encoding="utf-8")
    return path


# -- spreadsheets whose grid would not fit in memory --------------------------


def _far_cell_xlsx() -> bytes:
    """About 5 KB: a header at A1, a note at A2 and one value at XFD1048576, the last cell Excel has."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"], sheet["A2"], sheet["XFD1048576"] = "text", "Kita fehlt", "x"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _far_cell_ods() -> bytes:
    """An ODS table whose one note row is repeated a million times over 16,384 columns."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="Tabelle1">'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>text</text:p></table:table-cell>'
        "</table:table-row>"
        '<table:table-row table:number-rows-repeated="1048575">'
        '<table:table-cell table:number-columns-repeated="16384" office:value-type="string">'
        "<text:p>Kita fehlt</text:p></table:table-cell></table:table-row>"
        "</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "make"), [("riesig.xlsx", _far_cell_xlsx), ("riesig.ods", _far_cell_ods)])
def test_spreadsheet_reaching_the_last_cell_is_refused_before_it_is_read(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies, name: str, make
) -> None:
    data = make()
    assert len(data) < 6000

    report = import_uploads(sqlite_store, [("gut.txt", b"- Kita fehlt\n"), (name, data)], CONFERENCE, vocab,
                            ImportOptions(strict=False))

    assert _texts(sqlite_store) == ["Kita fehlt"]
    (failed,) = report.failed_files
    assert failed.file == name
    assert "wird zum Schutz nicht geöffnet" in failed.error and "Zeile 1048576" in failed.error


def test_spreadsheet_with_formatting_far_out_but_values_near_is_read(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"], sheet["A2"] = "text", "Kita fehlt"
    sheet.cell(row=100_000, column=16_000).style = "Good"  # styled, empty: the reader skips it
    path = tmp_path / "formatiert.xlsx"
    workbook.save(path)

    import_files(sqlite_store, [path], CONFERENCE, vocab)

    assert _texts(sqlite_store) == ["Kita fehlt"]
