"""Batch import of table notes: Word, text, Markdown, Excel, ODS, CSV; bad input; idempotence; provenance."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import docx
import openpyxl
import pytest
from typer.testing import CliRunner

from models.store import Store
from pipelines.errors import InputError
from pipelines.ingest import ImportOptions, ImportReport, Vocabularies, import_files, import_uploads
from pipelines.resources import Resources

CONFERENCE = "Sozialraumkonferenz Düren 2026"


@pytest.fixture
def vocab(hashing_resources: Resources) -> Vocabularies:
    return hashing_resources.vocab


# -- helpers ----------------------------------------------------------------


@dataclass(frozen=True)
class _Masked:
    text: str
    spans: tuple = ()

    @property
    def counts(self) -> dict[str, int]:
        return {kind: self.text.count(f"[{kind}]") for kind in ("NAME", "ADRESSE", "TELEFON")}


class FakePseudonymiser:
    """Stands in for nlp.pseudonymize: masks "Frau X", "Herr X", street addresses and phone numbers."""

    rules = [
        (re.compile(r"\b(Frau|Herr)\s+[A-ZÄÖÜ]\w+"), r"\1 [NAME]"),
        (re.compile(r"\b[A-ZÄÖÜ][\w-]*\s?(?:straße|Straße)\s+\d+\w?"), "[ADRESSE]"),
        (re.compile(r"\b0\d{3,4}[ /-]?\d{4,}"), "[TELEFON]"),
    ]

    def pseudonymise_texts(self, texts):
        results = []
        for text in texts:
            for pattern, replacement in self.rules:
                text = pattern.sub(replacement, text)
            results.append(_Masked(text))
        return results


def _contributions(store: Store, conference: str = CONFERENCE) -> list:
    record = store.get_conference(conference)
    return [] if record is None else store.contributions(record.id)


def _texts(store: Store) -> list[str]:
    return [c.text for c in _contributions(store)]


def _docx(path: Path, parts: list[tuple[str, str]]) -> Path:
    """A Word file from (kind, text): kind is h1, h2, bullet, para, break or table (text: rows joined by |, cells by ;)."""
    document = docx.Document()
    for kind, text in parts:
        if kind in {"h1", "h2", "h3"}:
            document.add_heading(text, level=int(kind[1]))
        elif kind == "bullet":
            document.add_paragraph(text, style="List Bullet")
        elif kind == "break":
            document.add_page_break()
        elif kind == "table":
            rows = [r.split(";") for r in text.split("|")]
            table = document.add_table(rows=len(rows), cols=len(rows[0]))
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    table.cell(r, c).text = value
        else:
            document.add_paragraph(text)
    document.save(path)
    return path


def _ods(path: Path, sheets: dict[str, list[list[str]]]) -> Path:
    """A minimal OpenDocument spreadsheet, written by hand (no ODS writer is installed)."""
    def cell(value: str) -> str:
        if not value:
            return "<table:table-cell/>"
        escaped = value.replace("&", "&amp;").replace("<", "&lt;")
        return f'<table:table-cell office:value-type="string"><text:p>{escaped}</text:p></table:table-cell>'

    tables = "".join(
        f'<table:table table:name="{name}">'
        + "".join("<table:table-row>" + "".join(cell(v) for v in row) + "</table:table-row>" for row in rows)
        + "</table:table>"
        for name, rows in sheets.items()
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


# -- formats, structure, provenance ------------------------------------------


def test_word_file_gives_one_note_per_bullet_and_sentence_with_metadata_and_provenance(
    tmp_path: Path, store: Store, vocab: Vocabularies
) -> None:
    path = _docx(tmp_path / "Protokoll.docx", [
        ("h1", "Tisch 3 – Wohnen"),
        ("h2", "Runde 2"),
        ("bullet", "Mieten in der Innenstadt zu hoch. Keine Sozialwohnungen."),
        ("para", "Spielplatz am Markt kaputt. Dort trifft sich abends niemand. Der Bus z.B. Linie 2 fährt selten."),
        ("break", ""),
        ("h1", "Thementisch Sicherheit"),
        ("bullet", "Angstraum im Rurpark"),
        ("table", "Beitrag;Runde|Beleuchtung fehlt;1"),
    ])

    report = import_files(store, [path], CONFERENCE, vocab)

    stored = _contributions(store)
    assert [(c.text, c.table_label, c.round, c.theme) for c in stored] == [
        ("Mieten in der Innenstadt zu hoch. Keine Sozialwohnungen.", "3", 2, "Wohnen"),
        ("Spielplatz am Markt kaputt. Dort trifft sich abends niemand.", "3", 2, "Wohnen"),
        ("Der Bus z.B. Linie 2 fährt selten.", "3", 2, "Wohnen"),
        ("Angstraum im Rurpark", None, None, "Sicherheit"),
        ("Beleuchtung fehlt", None, 1, "Sicherheit"),
    ]
    assert [(c.source_file, c.source_position, c.heading_path) for c in stored] == [
        ("Protokoll.docx", "Seite 1, Absatz 3", "Tisch 3 – Wohnen › Runde 2"),
        ("Protokoll.docx", "Seite 1, Absatz 4, Satz 1", "Tisch 3 – Wohnen › Runde 2"),
        ("Protokoll.docx", "Seite 1, Absatz 4, Satz 2", "Tisch 3 – Wohnen › Runde 2"),
        ("Protokoll.docx", "Seite 2, Absatz 2", "Thementisch Sicherheit"),
        ("Protokoll.docx", "Seite 2, Tabelle 1, Zeile 2", "Thementisch Sicherheit"),
    ]
    assert stored[0].mentioned_districts == ["Innenstadt"]
    assert stored[3].mentioned_districts == ["Nord-Düren"]
    assert (report.files[0].format, report.files[0].imported, report.files[0].status) == ("DOCX", 5, "ok")


def test_file_name_gives_table_theme_and_round(tmp_path: Path, sqlite_store: Store, vocab: Vocabularies) -> None:
    path = _docx(tmp_path / "Tisch3_Wohnen_Runde2.docx", [("bullet", "Mieten zu hoch")])

    import_files(sqlite_store, [path], CONFERENCE, vocab)

    (note,) = _contributions(sqlite_store)
    assert (note.table_label, note.theme, note.round) == ("3", "Wohnen", 2)


def test_text_file_with_bom_reads_headings_bullets_and_lines(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies
) -> None:
    path = tmp_path / "flipchart.txt"
    path.write_bytes("\ufeffTisch 5 – Bildung\nRunde 1\n- Kita-Plätze fehlen\n\nOGS-Warteliste zu lang\nRunde 2\n• Schulsozialarbeit ausbauen\n".encode())

    import_files(sqlite_store, [path], CONFERENCE, vocab)

    assert [(c.text, c.table_label, c.round, c.theme, c.source_position, c.heading_path)
            for c in _contributions(sqlite_store)] == [
        ("Kita-Plätze fehlen", "5", 1, "Bildung und Erziehung", "Zeile 3", "Tisch 5 – Bildung › Runde 1"),
        ("OGS-Warteliste zu lang", "5", 1, "Bildung und Erziehung", "Zeile 5", "Tisch 5 – Bildung › Runde 1"),
        ("Schulsozialarbeit ausbauen", "5", 2, "Bildung und Erziehung", "Zeile 7", "Tisch 5 – Bildung › Runde 2"),
    ]


def test_markdown_headings_lists_and_paragraphs(tmp_path: Path, sqlite_store: Store, vocab: Vocabularies) -> None:
    path = tmp_path / "notizen.md"
    path.write_text(
        "# Tisch 2: Arbeit\n\n## Runde 1\n\n- **Jobcenter** nicht erreichbar\n- Anerkennung dauert\n  zu lange\n\n"
        "Langzeitarbeitslose finden keinen Einstieg.\nDas liegt an fehlenden Abschlüssen.\n",
        encoding="utf-8",
    )

    import_files(sqlite_store, [path], CONFERENCE, vocab)

    assert [(c.text, c.table_label, c.round, c.theme, c.source_position) for c in _contributions(sqlite_store)] == [
        ("Jobcenter nicht erreichbar", "2", 1, "Arbeit", "Zeile 5"),
        ("Anerkennung dauert zu lange", "2", 1, "Arbeit", "Zeile 6"),
        ("Langzeitarbeitslose finden keinen Einstieg. Das liegt an fehlenden Abschlüssen.", "2", 1, "Arbeit",
         "Zeile 9"),
    ]


def test_ods_sheets_are_read_with_sheet_name_as_heading(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies
) -> None:
    path = _ods(tmp_path / "tische.ods", {
        "Tisch3": [["Beitrag", "Runde"], ["Mieten zu hoch", "1"], ["", ""], ["Wohnungen fehlen", "2"]],
        "Notizen": [["Überschrift ohne Spalten"]],
    })

    report = import_files(sqlite_store, [path], CONFERENCE, vocab)

    assert [(c.text, c.table_label, c.round, c.source_position) for c in _contributions(sqlite_store)] == [
        ("Mieten zu hoch", "3", 1, "Blatt Tisch3, Zeile 2"),
        ("Wohnungen fehlen", "3", 2, "Blatt Tisch3, Zeile 4"),
    ]
    assert report.files[0].format == "ODS"
    assert "Blatt 'Notizen' ohne Spalte 'text' – übersprungen." in report.files[0].reasons


def test_excel_with_formulas_and_merged_cells(tmp_path: Path, store: Store, vocab: Vocabularies) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Beitrag", "Tisch", "Runde"])
    sheet.append(["Kita fehlt", "Tisch 4", 1])
    sheet.append(['=HYPERLINK("http://x.example";"Klick")', None, 1])  # formula without a saved value
    sheet.append(["Bus fährt selten", None, "=1+1"])
    sheet.merge_cells("B2:B4")
    workbook.save(tmp_path / "formeln.xlsx")

    report = import_files(store, [tmp_path / "formeln.xlsx"], CONFERENCE, vocab)

    assert [(c.text, c.table_label) for c in _contributions(store)] == [
        ("Kita fehlt", "4"), ("Bus fährt selten", "4")]
    assert (report.files[0].imported, report.files[0].empty) == (2, 1)
    assert not any(c.text.startswith("=") for c in _contributions(store))


def test_windows_1252_csv_with_semicolons(tmp_path: Path, store: Store, vocab: Vocabularies) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("Beitrag;Tisch;Sozialraum\nStraßen zu laut – Lärmschutz;1;Süd-Ost\n„Grünflächen“ fehlen;2;\n".encode("cp1252"))

    import_files(store, [path], CONFERENCE, vocab)

    assert [(c.text, c.district) for c in _contributions(store)] == [
        ("Straßen zu laut – Lärmschutz", "Süd-Ost"), ("„Grünflächen“ fehlen", None)]


def test_utf16_tab_separated_excel_unicode_text_export(tmp_path: Path, sqlite_store: Store, vocab: Vocabularies) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes("text\tTisch\nÖPNV fehlt\t3\n".encode("utf-16"))

    import_files(sqlite_store, [path], CONFERENCE, vocab)

    assert [(c.text, c.table_label) for c in _contributions(sqlite_store)] == [("ÖPNV fehlt", "3")]


def test_html_script_and_formula_text_is_stored_inert_and_exported_as_neutral_cells(
    tmp_path: Path, sqlite_store: Store, hashing_resources: Resources, settings
) -> None:
    from pipelines.analyse import analyse_conference
    from pipelines.report import export_csv, load_run

    path = tmp_path / "notizen.txt"
    path.write_text(
        '- <b>Kita</b> fehlt<script>alert(1)</script>\n- =HYPERLINK("http://x.example";"Klick")\n'
        "- +SUMME(A1) Bus fährt selten\n- @Jobcenter nicht erreichbar\n",
        encoding="utf-8",
    )

    report = import_files(sqlite_store, [path], CONFERENCE, hashing_resources.vocab)
    analyse_conference(sqlite_store, CONFERENCE, hashing_resources, settings)
    out = tmp_path / "export.csv"
    export_csv(load_run(sqlite_store, CONFERENCE), out)

    assert report.files[0].markup_removed == 1
    assert _texts(sqlite_store) == [
        "Kita fehlt", '=HYPERLINK("http://x.example";"Klick")', "+SUMME(A1) Bus fährt selten", "@Jobcenter nicht erreichbar"]
    with out.open(encoding="utf-8-sig", newline="") as handle:
        cells = [row["text"] for row in csv.DictReader(handle, delimiter=";")]
    assert sorted(cells) == sorted(
        ["Kita fehlt", '\'=HYPERLINK("http://x.example";"Klick")', "'+SUMME(A1) Bus fährt selten",
         "'@Jobcenter nicht erreichbar"])


# -- bad input ----------------------------------------------------------------


def _zip_bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(250):  # 250 MB of zeros, about 250 KB packed
                member.write(chunk)
    return path


def _bad_file(tmp_path: Path, case: str) -> Path:
    if case == "corrupt_docx":
        path = tmp_path / "kaputt.docx"
        good = io.BytesIO()
        docx.Document().save(good)
        path.write_bytes(good.getvalue()[: len(good.getvalue()) // 2])
    elif case == "docx_without_word_content":
        path = tmp_path / "falsch.docx"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("hallo.txt", "kein Word")
    elif case == "password_protected":
        path = tmp_path / "geschuetzt.xlsx"
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000)
    elif case == "zero_bytes":
        path = tmp_path / "leer.docx"
        path.write_bytes(b"")
    elif case == "fifty_megabytes":
        path = tmp_path / "riesig.txt"
        line = "Kita-Plätze fehlen im Norden\n".encode()  # 30 bytes
        with path.open("wb") as handle:
            for _ in range(50):
                handle.write(line * (1_000_000 // len(line)) + b"\n" * (1_000_000 % len(line)))
    elif case == "binary_junk_txt":
        path = tmp_path / "notizen.txt"
        path.write_bytes(bytes(range(256)) * 40)
    elif case == "random_bytes_txt":
        import random

        path = tmp_path / "zufall.txt"
        rng = random.Random(1)
        path.write_bytes(bytes(rng.randrange(1, 256) for _ in range(5000)))
    elif case == "zip_bomb_xlsx":
        path = _zip_bomb(tmp_path / "bombe.xlsx")
    elif case == "unsupported_pdf":
        path = tmp_path / "scan.pdf"
        path.write_bytes(b"%PDF-1.7\n")
    else:
        raise AssertionError(case)
    return path


BAD_INPUT = {
    "corrupt_docx": "beschädigt",
    "docx_without_word_content": "beschädigt",
    "password_protected": "passwortgeschützt oder im alten Format",
    "zero_bytes": "ist leer",
    "fifty_megabytes": "zu groß (50 MB, höchstens 20 MB)",
    "binary_junk_txt": "keine Textdatei",
    "random_bytes_txt": "Zeichenkodierung ist unbekannt",
    "zip_bomb_xlsx": "ZIP-Bombe",
    "unsupported_pdf": "wird nicht unterstützt",
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_file_is_reported_in_german_and_skipped_while_the_good_one_is_stored(
    tmp_path: Path, store: Store, vocab: Vocabularies, case: str
) -> None:
    good = tmp_path / "gut.txt"
    good.write_text("- Kita fehlt\n", encoding="utf-8")
    bad = _bad_file(tmp_path, case)

    report = import_files(store, [good, bad], CONFERENCE, vocab, ImportOptions(strict=False))

    assert _texts(store) == ["Kita fehlt"]
    (failed,) = report.failed_files
    assert failed.file == bad.name
    assert failed.error.startswith(f"{bad.name}: ")
    assert BAD_INPUT[case] in failed.error
    assert failed.status == "fehlgeschlagen" and failed.imported == 0


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_file_in_strict_mode_stores_nothing_at_all(
    tmp_path: Path, store: Store, vocab: Vocabularies, row_counts, case: str
) -> None:
    good = tmp_path / "gut.txt"
    good.write_text("- Kita fehlt\n", encoding="utf-8")
    bad = _bad_file(tmp_path, case)
    before = row_counts(store)

    with pytest.raises(InputError, match=re.escape(bad.name)):
        import_files(store, [good, bad], CONFERENCE, vocab, ImportOptions(strict=True))

    assert row_counts(store) == before


def test_failing_file_in_a_batch_leaves_the_database_as_it_was(
    tmp_path: Path, store: Store, vocab: Vocabularies, row_counts
) -> None:
    first = tmp_path / "alt.txt"
    first.write_text("- Schon da\n", encoding="utf-8")
    import_files(store, [first], CONFERENCE, vocab)
    before = row_counts(store)
    files = []
    for i in range(5):
        path = tmp_path / f"tisch{i}.csv"
        path.write_text(f"text;Runde\nNotiz {i};1\n" + ("Kaputt;zweite\n" if i == 3 else ""), encoding="utf-8")
        files.append(path)

    with pytest.raises(InputError) as error:
        import_files(store, files, CONFERENCE, vocab, ImportOptions(strict=True))

    assert str(error.value).startswith("tisch3.csv, Zeile 3: Runde 'zweite' ist keine Zahl")
    assert row_counts(store) == before


def test_a_bad_row_in_lenient_mode_is_counted_as_failed_and_the_rest_imported(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies
) -> None:
    from sqlalchemy import select

    from models.records import ImportBatch

    path = tmp_path / "runden.csv"
    path.write_text("text;Runde\nKita fehlt;1\nBus selten;zweite\nOGS voll;2\n", encoding="utf-8")

    report = import_files(sqlite_store, [path], CONFERENCE, vocab, ImportOptions(strict=False))

    assert _texts(sqlite_store) == ["Kita fehlt", "OGS voll"]
    file = report.files[0]
    assert (file.imported, file.failed, file.status) == (2, 1, "teilweise")
    assert "Zeile 3: Runde 'zweite' ist keine Zahl. Bitte z. B. 1, 2 oder 3 eintragen." in file.reasons
    with sqlite_store.transaction() as session:
        (batch,) = session.scalars(select(ImportBatch))
        assert (batch.n_failed, batch.report["status"], batch.report["imported"]) == (1, "teilweise", 2)


# -- idempotence, folders, dry run --------------------------------------------


def test_same_files_twice_add_nothing_and_a_changed_file_adds_only_its_new_notes(
    tmp_path: Path, store: Store, vocab: Vocabularies, row_counts
) -> None:
    folder = tmp_path / "notizen"
    folder.mkdir()
    _docx(folder / "Tisch1_Arbeit.docx", [("bullet", "Jobcenter nicht erreichbar"), ("bullet", "Jobcenter nicht erreichbar")])
    (folder / "tisch2.txt").write_text("Tisch 2 – Wohnen\n- Mieten zu hoch\n- Frau Schmitz aus der Veldener Straße 12 sagt: Lärm\n",
                                       encoding="utf-8")
    pseudonymiser = FakePseudonymiser()
    first = import_files(store, [folder], CONFERENCE, vocab, ImportOptions(pseudonymiser=pseudonymiser))
    after_first = row_counts(store)

    again = import_files(store, [folder], CONFERENCE, vocab, ImportOptions(pseudonymiser=pseudonymiser))

    assert (first.imported, again.imported, again.duplicates) == (4, 0, 4)
    assert row_counts(store) == after_first
    (folder / "tisch2.txt").write_text(
        "Tisch 2 – Wohnen\n- Neu: Spielplatz fehlt\n- Mieten zu hoch\n- Frau Schmitz aus der Veldener Straße 12 sagt: Lärm\n",
        encoding="utf-8")
    changed = import_files(store, [folder], CONFERENCE, vocab, ImportOptions(pseudonymiser=pseudonymiser))
    assert (changed.imported, changed.duplicates) == (1, 4)
    assert row_counts(store)["contribution"] == after_first["contribution"] + 1
    assert row_counts(store)["import_batch"] == after_first["import_batch"] + 1


def test_folder_is_read_recursively_globs_expand_and_unsupported_files_are_listed(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies
) -> None:
    folder = tmp_path / "konferenz"
    (folder / "runde2").mkdir(parents=True)
    (folder / "a.txt").write_text("- Kita fehlt\n", encoding="utf-8")
    (folder / "runde2" / "b.md").write_text("- Bus fährt selten\n", encoding="utf-8")
    (folder / "runde2" / "foto.jpg").write_bytes(b"\xff\xd8\xff")
    (folder / "~$a.docx").write_bytes(b"lock")  # Word's lock file: left out silently
    (folder / ".DS_Store").write_bytes(b"\0")
    other = tmp_path / "extra"
    other.mkdir()
    (other / "c.csv").write_text("text\nOGS voll\n", encoding="utf-8")
    (other / "d.csv").write_text("text\nTafel Aufnahmestopp\n", encoding="utf-8")

    report = import_files(sqlite_store, [folder, str(other / "*.csv")], CONFERENCE, vocab, ImportOptions(strict=False))

    assert [f.file for f in report.files] == ["a.txt", "runde2/b.md", "runde2/foto.jpg", "c.csv", "d.csv"]
    assert report.files[2].error == "runde2/foto.jpg: Dateityp .jpg wird nicht unterstützt. Erlaubt sind Word " \
        "(.docx), Text (.txt, .md), Excel (.xlsx), LibreOffice (.ods), CSV und TSV."
    assert _texts(sqlite_store) == ["Kita fehlt", "Bus fährt selten", "OGS voll", "Tafel Aufnahmestopp"]
    assert [c.source_file for c in _contributions(sqlite_store)][:2] == ["a.txt", "runde2/b.md"]


def test_manifest_in_the_folder_sets_conference_date_and_per_file_metadata(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies
) -> None:
    folder = tmp_path / "notizen"
    folder.mkdir()
    (folder / "taten-manifest.yml").write_text(
        'conference: Konferenz aus dem Manifest\ndate: 2026-03-18\ncity: Düren\nfiles:\n'
        '  "nord*.txt": {district: Düren-Nord, round: 1, table: 7}\n', encoding="utf-8")
    (folder / "nord_notizen.txt").write_text("Runde 2\n- Kita fehlt\n", encoding="utf-8")

    report = import_files(sqlite_store, [folder], None, vocab)

    assert report.conference == "Konferenz aus dem Manifest"
    record = sqlite_store.get_conference("Konferenz aus dem Manifest")
    assert (record.date, record.city) == ("2026-03-18", "Düren")
    (note,) = sqlite_store.contributions(record.id)
    assert (note.district, note.round, note.table_label) == ("Nord-Düren", 2, "7")  # the heading wins over the manifest
    assert [f.file for f in report.files] == ["nord_notizen.txt"]


def test_one_options_object_serves_files_and_uploads_alike(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies
) -> None:
    manifest = tmp_path / "manifest.yml"  # a manifest outside the folder, named by path
    manifest.write_text('conference: Aus dem Manifest\nfiles:\n  "*.txt": {table: 7}\n', encoding="utf-8")
    (tmp_path / "notiz.txt").write_text("- Kita fehlt\n", encoding="utf-8")
    options = ImportOptions(date="2026-03-18", city="Düren", manifest=manifest, pseudonymiser=None)

    from_disk = import_files(sqlite_store, [tmp_path / "notiz.txt"], None, vocab, options)
    uploaded = import_uploads(sqlite_store, [("notiz.txt", "- Kita fehlt\n- OGS voll\n".encode())], None, vocab, options)

    record = sqlite_store.get_conference("Aus dem Manifest")
    assert (record.date, record.city) == ("2026-03-18", "Düren")
    assert (from_disk.imported, uploaded.imported, uploaded.duplicates) == (1, 1, 1)
    assert not from_disk.pseudonymised and not uploaded.pseudonymised
    assert {c.table_label for c in sqlite_store.contributions(record.id)} == {"7"}


def test_dry_run_stores_nothing(tmp_path: Path, store: Store, vocab: Vocabularies, row_counts) -> None:
    path = _docx(tmp_path / "a.docx", [("bullet", "Kita fehlt"), ("bullet", "Bus fährt selten")])
    before = row_counts(store)

    report = import_files(store, [path], CONFERENCE, vocab, ImportOptions(dry_run=True))

    assert report.imported == 2 and report.dry_run
    assert row_counts(store) == before


def test_uploads_take_the_same_path_and_skip_a_bad_upload(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies
) -> None:
    document = io.BytesIO()
    docx.Document().save(document)
    word = _docx(tmp_path / "Tisch4_Sicherheit.docx", [("bullet", "Angstraum am Bahnhof")]).read_bytes()

    uploads = [("../../Tisch4_Sicherheit.docx", word), ("kaputt.xlsx", b"PK\x03\x04 kaputt")]

    with pytest.raises(InputError, match="kaputt.xlsx"):  # the default options are strict, as for files
        import_uploads(sqlite_store, uploads, CONFERENCE, vocab)
    assert _contributions(sqlite_store) == []
    # the workbench's upload is lenient
    report = import_uploads(sqlite_store, uploads, CONFERENCE, vocab, ImportOptions(strict=False))

    (note,) = _contributions(sqlite_store)
    assert (note.text, note.table_label, note.theme, note.source_file) == (
        "Angstraum am Bahnhof", "4", "Sicherheit", "Tisch4_Sicherheit.docx")
    assert [f.file for f in report.failed_files] == ["kaputt.xlsx"]


# -- pseudonymisation ----------------------------------------------------------


def test_districts_are_found_in_the_raw_text_before_pseudonymisation_masks_them(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "notizen.txt"
    path.write_text("- Frau Schmitz aus der Veldener Straße 12 beklagt Lärm, Tel. 02421 123456\n", encoding="utf-8")

    with caplog.at_level(logging.INFO):
        report = import_files(sqlite_store, [path], CONFERENCE, vocab, ImportOptions(pseudonymiser=FakePseudonymiser()))

    (note,) = _contributions(sqlite_store)
    assert note.text == "Frau [NAME] aus der [ADRESSE] beklagt Lärm, Tel. [TELEFON]"
    assert note.mentioned_districts == ["Nord-Düren"]
    assert report.pseudonymised and report.files[0].pseudonymised == {"ADRESSE": 1, "NAME": 1, "TELEFON": 1}
    assert "Schmitz" not in caplog.text and "Veldener" not in caplog.text
    with sqlite_store.transaction() as session:
        from sqlalchemy import select

        from models.records import ImportBatch

        (batch,) = session.scalars(select(ImportBatch))
        assert "Schmitz" not in json.dumps(batch.report, ensure_ascii=False)


def test_without_pseudonymiser_the_report_says_texts_are_stored_as_written(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies
) -> None:
    path = tmp_path / "notizen.txt"
    path.write_text("- Frau Schmitz beklagt Lärm\n", encoding="utf-8")

    report = import_files(sqlite_store, [path], CONFERENCE, vocab, ImportOptions(pseudonymiser=None))

    assert _texts(sqlite_store) == ["Frau Schmitz beklagt Lärm"]
    assert not report.pseudonymised
    assert "Nicht pseudonymisiert: Texte wurden unverändert gespeichert." in report.files[0].reasons


def test_report_serialises_to_json(tmp_path: Path, sqlite_store: Store, vocab: Vocabularies) -> None:
    path = tmp_path / "notizen.txt"
    path.write_text("- Kita fehlt\n\n", encoding="utf-8")

    report: ImportReport = import_files(sqlite_store, [path, tmp_path / "fehlt.docx"], CONFERENCE, vocab, ImportOptions(strict=False))

    payload = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert payload["totals"] == {"files": 2, "failed_files": 1, "imported": 1, "duplicates": 0, "empty": 0,
                                 "failed": 0, "pseudonymised": {}}
    assert payload["files"][1]["status"] == "fehlgeschlagen"
    assert payload["files"][1]["reasons"] == ["Datei nicht gefunden oder nicht lesbar."]


# -- command line ----------------------------------------------------------------


@pytest.fixture
def cli_env(taten_home: Path) -> dict[str, str]:
    return {"TATEN_HOME": str(taten_home), "TATEN_EMBEDDING__MODEL": "hashing", "TATEN_NLP__PSEUDONYMISE": "false"}


def _cli(env: dict[str, str], *args: str):
    from pipelines.cli import app

    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def test_cli_lists_skipped_files_and_writes_the_json_report(tmp_path: Path, cli_env: dict[str, str]) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "gut.txt").write_text("- Kita fehlt\n", encoding="utf-8")
    (tmp_path / "in" / "leer.docx").write_bytes(b"")
    out = tmp_path / "bericht.json"

    result = _cli(cli_env, "import", str(tmp_path / "in"), "-c", CONFERENCE, "--report", str(out))

    assert result.exit_code == 0, result.output
    assert "1 Beiträge importiert" in result.stdout
    assert "1 Datei(en) übersprungen" in result.stdout
    assert "Nicht pseudonymisiert" in result.stdout
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert [f["status"] for f in payload["files"]] == ["ok", "fehlgeschlagen"]


def test_cli_strict_gives_one_line_naming_file_and_line(tmp_path: Path, cli_env: dict[str, str]) -> None:
    (tmp_path / "gut.txt").write_text("- Kita fehlt\n", encoding="utf-8")
    (tmp_path / "runde.csv").write_text("text;Runde\nKita fehlt;1\nBus;zweite\n", encoding="utf-8")

    result = _cli(cli_env, "import", str(tmp_path / "gut.txt"), str(tmp_path / "runde.csv"), "-c", CONFERENCE, "--strict")

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Fehler: runde.csv, Zeile 3: Runde 'zweite' ist keine Zahl. Bitte z. B. 1, 2 oder 3 eintragen."]
    assert result.stdout == ""


def test_cli_without_conference_or_manifest_is_a_one_line_error(tmp_path: Path, cli_env: dict[str, str]) -> None:
    (tmp_path / "gut.txt").write_text("- Kita fehlt\n", encoding="utf-8")

    result = _cli(cli_env, "import", str(tmp_path / "gut.txt"))

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Fehler: Kein Konferenzname: Bitte --conference angeben oder 'conference' im Manifest eintragen."]


def test_cli_dry_run_stores_nothing(tmp_path: Path, cli_env: dict[str, str], taten_home: Path) -> None:
    (tmp_path / "gut.md").write_text("# Tisch 1\n- Kita fehlt\n", encoding="utf-8")

    result = _cli(cli_env, "import", str(tmp_path / "gut.md"), "-c", CONFERENCE, "--dry-run")

    assert result.exit_code == 0, result.output
    assert "1 Beiträge würden importiert" in result.stdout
    store = Store(f"sqlite:///{taten_home / 'taten.sqlite'}")
    try:
        assert store.conferences() == []
    finally:
        store.close()


def test_real_pseudonymiser_from_settings_masks_before_storing_and_reimport_adds_nothing(
    tmp_path: Path, store: Store, vocab: Vocabularies, row_counts
) -> None:
    path = _docx(tmp_path / "Tisch2_Wohnen.docx", [
        ("bullet", "Frau Schmitz aus der Veldener Straße 12 beklagt Schimmel, Tel. 02421 123456"),
        ("bullet", "Mieten in Birkesdorf zu hoch"),
    ])

    first = import_files(store, [path], CONFERENCE, vocab)  # no argument: the settings' pseudonymiser
    after = row_counts(store)
    again = import_files(store, [path], CONFERENCE, vocab)

    masked, plain = _contributions(store)
    assert "Schmitz" not in masked.text and "Veldener Straße 12" not in masked.text and "123456" not in masked.text
    assert "[NAME]" in masked.text and "[ADRESSE]" in masked.text and "[TELEFON]" in masked.text
    assert (masked.mentioned_districts, plain.mentioned_districts) == (["Nord-Düren"], ["Birkesdorf"])
    assert plain.text == "Mieten in Birkesdorf zu hoch"
    assert first.files[0].pseudonymised == {"ADRESSE": 1, "NAME": 1, "TELEFON": 1}
    assert (again.imported, again.duplicates) == (0, 2) and row_counts(store) == after


def test_pseudonymisation_switched_off_in_the_settings_stores_the_text_as_written(
    tmp_path: Path, sqlite_store: Store, settings
) -> None:
    from pipelines.resources import load_vocabularies

    off = settings.model_copy(update={"nlp": settings.nlp.model_copy(update={"pseudonymise": False})})
    vocab = load_vocabularies(off)
    path = tmp_path / "notiz.txt"
    path.write_text("- Frau Schmitz, Tel. 02421 123456, wartet auf einen Kita-Platz\n", encoding="utf-8")

    report = import_files(sqlite_store, [path], CONFERENCE, vocab)

    assert vocab.pseudonymiser is None and not report.pseudonymised
    [stored] = _contributions(sqlite_store)
    assert stored.text == "Frau Schmitz, Tel. 02421 123456, wartet auf einen Kita-Platz"
    assert load_vocabularies(settings).pseudonymiser is not None
