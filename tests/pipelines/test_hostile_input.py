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


# -- the manifest -------------------------------------------------------------


ALIAS_BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
date: *i
"""


def test_manifest_with_a_yaml_alias_bomb_is_refused_at_once(
    tmp_path: Path, store: Store, vocab: Vocabularies, row_counts
) -> None:
    import time

    folder = tmp_path / "notizen"
    folder.mkdir()
    _good(folder)
    (folder / "taten-manifest.yml").write_text(ALIAS_BOMB, encoding="utf-8")
    assert len(ALIAS_BOMB.encode()) < 600
    before = row_counts(store)
    started = time.perf_counter()

    with pytest.raises(InputError, match=r"^taten-manifest.yml: .*Anker/Aliase"):
        import_files(store, [folder], CONFERENCE, vocab, ImportOptions(strict=False))

    assert time.perf_counter() - started < 2
    assert row_counts(store) == before


def test_manifest_with_a_bad_date_is_a_german_error(tmp_path: Path, sqlite_store: Store, vocab: Vocabularies) -> None:
    folder = tmp_path / "notizen"
    folder.mkdir()
    _good(folder)
    (folder / "taten-manifest.yml").write_text("conference: K\ndate: 18.03.2026\n", encoding="utf-8")

    with pytest.raises(InputError, match="Datum „18.03.2026“ ist ungültig. Bitte als JJJJ-MM-TT"):
        import_files(sqlite_store, [folder], None, vocab)

    assert sqlite_store.conferences() == []


# -- file names, conference names, dates, lengths: the same on both backends ------


def test_file_name_that_is_not_utf8_is_stored_readably_with_the_good_files(
    tmp_path: Path, store: Store, vocab: Vocabularies
) -> None:
    import os

    folder = tmp_path / "notizen"
    folder.mkdir()
    for i in range(5):
        (folder / f"tisch{i}.txt").write_text(f"- Notiz {i}\n", encoding="utf-8")
    raw_name = os.path.join(os.fsencode(folder), b"G\xfcrzenich_Tisch7.txt")  # Windows-1252, as on an old stick
    with open(raw_name, "wb") as handle:
        handle.write("- Spielplatz kaputt\n".encode())

    report = import_files(store, [folder], CONFERENCE, vocab, ImportOptions(strict=False))

    assert sorted(_texts(store)) == [*(f"Notiz {i}" for i in range(5)), "Spielplatz kaputt"]
    odd = next(f for f in report.files if f.file.endswith("Tisch7.txt"))
    assert odd.file == "Gürzenich_Tisch7.txt"
    assert any("nicht UTF-8" in r for r in odd.reasons)
    note = next(c for c in _contributions(store) if c.text == "Spielplatz kaputt")
    assert (note.source_file, note.table_label, note.district) == ("Gürzenich_Tisch7.txt", "7", "Gürzenich")


def test_control_characters_in_metadata_are_removed_on_every_backend(
    tmp_path: Path, store: Store, vocab: Vocabularies
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["text", "Tisch", "Thema", "Gruppe", "Runde"])
    sheet.append(["Kita fehlt", "3NUL", "WohBELnen", "SchNULuleBEL", "1"])
    sheet.append(["OGS voll", "3", "Wohnen", "Schule", "zweiNUL"])  # fails; its reason is stored with the batch
    buffer = io.BytesIO()
    workbook.save(buffer)
    path = tmp_path / "tisch.xlsx"  # Excel writes control characters as _x0000_; the reader decodes them
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w") as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"NUL", b"_x0000_").replace(b"BEL", b"_x0007_")
            target.writestr(member, data)
    csv_path = tmp_path / "tisch.csv"
    csv_path.write_bytes("text;Tisch;Thema;Gruppe\nBus selten;4\x07;Arbeit\x07;Pol\x07izei\n".encode())

    report = import_files(store, [path, csv_path], CONFERENCE, vocab, ImportOptions(strict=False))

    assert "Zeile 3: Runde 'zwei' ist keine Zahl. Bitte z. B. 1, 2 oder 3 eintragen." in report.files[0].reasons
    first, second = _contributions(store)
    assert (first.table_label, first.theme, first.stakeholder_group) == ("3", "Woh nen", "Sch ule")
    assert (second.table_label, second.theme, second.stakeholder_group) == ("4", "Arbeit", "Pol izei")
    note = first
    assert not any(re.search(r"[\x00-\x1f]", str(v)) for v in (note.text, note.source_position, note.heading_path))


@pytest.mark.parametrize(("column", "label", "limit"), [("Gruppe", "Gruppe", 100), ("Tisch", "Tisch", 50),
                                                         ("Thema", "Thema", 100), ("Sozialraum", "Sozialraum", 100)])
def test_overlong_metadata_fails_the_row_in_german_on_every_backend(
    tmp_path: Path, store: Store, vocab: Vocabularies, row_counts, column: str, label: str, limit: int
) -> None:
    path = tmp_path / "tisch.csv"
    path.write_text(f"text;{column}\nKita fehlt;Kurz\nBus selten;{'x' * 300}\n", encoding="utf-8")

    report = import_files(store, [path], CONFERENCE, vocab, ImportOptions(strict=False))

    assert _texts(store) == ["Kita fehlt"]
    (file,) = report.files
    assert (file.imported, file.failed, file.status) == (1, 1, "teilweise")
    assert f"Zeile 3: {label} ist zu lang (300 Zeichen, höchstens {limit})" in file.reasons[-1]

    before = row_counts(store)
    with pytest.raises(InputError, match=f"^tisch.csv, Zeile 3: {label} ist zu lang"):
        import_files(store, [path], CONFERENCE, vocab, ImportOptions(strict=True))
    assert row_counts(store) == before


@pytest.mark.parametrize(
    ("conference", "date", "city", "message"),
    [
        ("K" * 5000, None, None, "Der Konferenzname ist zu lang (5000 Zeichen, höchstens 200)"),
        ("   \u200b ", None, None, "Der Konferenzname ist leer"),
        (CONFERENCE, "2026-03-18x", None, "Datum „2026-03-18x“ ist ungültig"),
        (CONFERENCE, "2026-03-18T1", None, "Datum „2026-03-18T1“ ist ungültig"),  # 12 characters
        (CONFERENCE, "2026-02-30", None, "Datum „2026-02-30“ ist ungültig"),
        (CONFERENCE, "18.3.2026", None, "Datum „18.3.2026“ ist ungültig"),
        (CONFERENCE, None, "D" * 101, "Stadt ist zu lang (101 Zeichen, höchstens 100)"),
    ],
)
def test_bad_conference_name_date_or_city_is_a_german_error_on_every_backend(
    tmp_path: Path, store: Store, vocab: Vocabularies, row_counts, conference: str, date, city, message: str
) -> None:
    before = row_counts(store)

    with pytest.raises(InputError, match=re.escape(message)):
        import_files(store, [_good(tmp_path)], conference, vocab, ImportOptions(date=date, city=city, strict=False))

    assert row_counts(store) == before


def test_conference_names_differing_in_case_spaces_or_zero_width_join_one_conference(
    tmp_path: Path, store: Store, vocab: Vocabularies
) -> None:
    first = tmp_path / "a.txt"
    first.write_text("- Kita fehlt\n", encoding="utf-8")
    second = tmp_path / "b.txt"
    second.write_text("- Bus selten\n", encoding="utf-8")

    import_files(store, [first], " Sozialraumkonferenz  Düren\u00a02026 ", vocab, ImportOptions(date="2026-03-18"))
    for spelling in ("sozialraumkonferenz düren 2026", "Sozialraumkonferenz\u200b Düren 2026", "SOZIALRAUMKONFERENZ DÜREN 2026"):
        report = import_files(store, [first, second], spelling, vocab)
        assert report.conference == CONFERENCE

    (conference,) = store.conferences()
    assert (conference.name, conference.date) == (CONFERENCE, "2026-03-18")
    assert sorted(_texts(store)) == ["Bus selten", "Kita fehlt"]


# -- text that would be stored wrong without a word -------------------------------


def test_csv_mixing_utf8_and_windows_1252_lines_keeps_every_umlaut_and_the_district(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies
) -> None:
    path = tmp_path / "gemischt.csv"
    path.write_bytes(
        "text;Sozialraum\n".encode()
        + "Ältere Menschen brauchen Begegnungsorte;Innenstadt\n".encode("utf-8")
        + "Spielplatz in Gürzenich ist kaputt;Gürzenich\n".encode("cp1252")
    )

    report = import_files(sqlite_store, [path], CONFERENCE, vocab)

    notes = _contributions(sqlite_store)
    assert [n.text for n in notes] == ["Ältere Menschen brauchen Begegnungsorte",
                                        "Spielplatz in Gürzenich ist kaputt"]
    assert [n.district for n in notes] == ["Innenstadt", "Gürzenich"]
    assert notes[1].mentioned_districts == ["Gürzenich"]
    assert any("Zeichenkodierung gemischt" in r for r in report.files[0].reasons)


def test_windows_1252_csv_alone_is_read_without_a_mixed_encoding_note(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies
) -> None:
    path = tmp_path / "ansi.csv"
    path.write_bytes("text;Sozialraum\nÄltere Menschen;Gürzenich\n".encode("cp1252"))

    report = import_files(sqlite_store, [path], CONFERENCE, vocab)

    assert _texts(sqlite_store) == ["Ältere Menschen"]
    assert not any("gemischt" in r for r in report.files[0].reasons)


@pytest.mark.parametrize(
    "body",
    [
        'text;Runde\n"Kita fehlt;1\nBus selten;2\nOGS voll;2\n',  # runs to the end
        'text;Runde\n"Kita fehlt;1\nBus selten;2\n"OGS voll";2\n',  # closed by the next quoted cell
    ],
)
def test_unclosed_quote_does_not_merge_rows_and_is_reported(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies, body: str
) -> None:
    path = tmp_path / "zitat.csv"
    path.write_text(body, encoding="utf-8")

    report = import_files(sqlite_store, [path], CONFERENCE, vocab)

    notes = _contributions(sqlite_store)
    assert [(n.text, n.round, n.source_position) for n in notes] == [
        ("Kita fehlt", 1, "Zeile 2"), ("Bus selten", 2, "Zeile 3"), ("OGS voll", 2, "Zeile 4")]
    assert any(r.startswith("Zeile 2: Anführungszeichen nicht geschlossen") for r in report.files[0].reasons)


def test_quoted_note_with_a_line_break_stays_one_note(tmp_path: Path, sqlite_store: Store, vocab: Vocabularies) -> None:
    path = tmp_path / "umbruch.csv"
    path.write_text('text;Runde\n"Kita fehlt,\nEltern warten";1\nBus selten;2\n', encoding="utf-8")

    report = import_files(sqlite_store, [path], CONFERENCE, vocab)

    assert _texts(sqlite_store) == ["Kita fehlt, Eltern warten", "Bus selten"]
    assert not any("Anführungszeichen" in r for r in report.files[0].reasons)


def test_html_written_as_entities_is_removed_and_counted(tmp_path: Path, sqlite_store: Store, vocab: Vocabularies) -> None:
    path = tmp_path / "html.csv"
    path.write_text(
        "text\n"
        "&lt;script&gt;alert(1)&lt;/script&gt;Kita fehlt\n"
        "&amp;lt;b&amp;gt;Bus&amp;lt;/b&amp;gt; selten\n"
        "Bus &amp; Bahn fahren selten\n",
        encoding="utf-8",
    )

    report = import_files(sqlite_store, [path], CONFERENCE, vocab)

    assert _texts(sqlite_store) == ["Kita fehlt", "Bus selten", "Bus & Bahn fahren selten"]
    assert report.files[0].markup_removed == 2


# -- folders: what is skipped is listed -----------------------------------------------


def test_link_loops_dangling_links_and_special_files_are_listed_in_the_report(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies
) -> None:
    import os

    folder = tmp_path / "notizen"
    (folder / "runde1").mkdir(parents=True)
    (folder / "runde1" / "tisch1.txt").write_text("- Kita fehlt\n", encoding="utf-8")
    (folder / "runde1" / "zurueck").symlink_to("..")
    (folder / "weg.txt").symlink_to("geloescht.txt")
    (folder / "kreis").symlink_to("kreis")
    os.mkfifo(folder / "pipe.txt")  # reading it would block the import for ever

    report = import_files(sqlite_store, [folder], CONFERENCE, vocab, ImportOptions(strict=False))

    assert _texts(sqlite_store) == ["Kita fehlt"]
    reasons = {f.file: f.error for f in report.failed_files}
    assert reasons == {
        "kreis": "kreis: Verknüpfung, die auf sich selbst zeigt (Schleife) – übersprungen.",
        "pipe.txt": "pipe.txt: Keine normale Datei (Gerät, Pipe oder Socket) – übersprungen.",
        "runde1/zurueck": "runde1/zurueck: Verknüpfung auf einen übergeordneten Ordner (Schleife) – übersprungen.",
        "weg.txt": "weg.txt: Verknüpfung ohne Ziel (Ziel gelöscht oder verschoben) – übersprungen.",
    }


def test_a_linked_folder_outside_is_read(tmp_path: Path, sqlite_store: Store, vocab: Vocabularies) -> None:
    elsewhere = tmp_path / "geteilt"
    elsewhere.mkdir()
    (elsewhere / "tisch2.txt").write_text("- Bus selten\n", encoding="utf-8")
    folder = tmp_path / "notizen"
    folder.mkdir()
    (folder / "geteilt").symlink_to(elsewhere)

    report = import_files(sqlite_store, [folder], CONFERENCE, vocab)

    assert _texts(sqlite_store) == ["Bus selten"]
    assert [f.file for f in report.files] == ["geteilt/tisch2.txt"]


_UNREADABLE_IMPORT = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from models.store import Store
from pipelines.ingest import ImportOptions, import_files
from pipelines.resources import load_vocabularies
from pipelines.settings import load_settings

base = Path(sys.argv[2])
store = Store(f"sqlite:///{base / 'taten.sqlite'}")
vocab = load_vocabularies(load_settings(nlp={"pseudonymise": False}))
report = import_files(store, [base / "notizen"], "Konferenz", vocab, ImportOptions(strict=False))
texts = [c.text for c in store.contributions(store.get_conference("Konferenz").id)]
print(json.dumps({"texts": texts, "errors": [f.error for f in report.failed_files]}))
"""


def test_unreadable_subfolder_is_listed_in_the_report() -> None:
    """Root reads every folder whatever its permissions, so as root the import runs without the
    capabilities that override file permissions (util-linux setpriv)."""
    import json
    import os
    import shutil
    import subprocess
    import sys
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="taten-unlesbar-"))
    try:
        folder = base / "notizen"
        (folder / "gesperrt").mkdir(parents=True)
        (folder / "gesperrt" / "tisch9.txt").write_text("- Geheim\n", encoding="utf-8")
        _good(folder)
        (folder / "gesperrt").chmod(0)
        command = [sys.executable, "-c", _UNREADABLE_IMPORT, str(Path(__file__).resolve().parents[2]), str(base)]
        if os.geteuid() == 0:
            command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
        env = {**os.environ, "TATEN_HOME": str(base / "home"), "HOME": str(base)}
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        result = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        (base / "notizen" / "gesperrt").chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)

    assert result["texts"] == ["Kita fehlt"]
    assert result["errors"] == ["gesperrt: Ordner nicht lesbar (Permission denied) – übersprungen."]


# -- the command line ----------------------------------------------------------


@pytest.fixture
def cli_env(taten_home: Path) -> dict[str, str]:
    return {"TATEN_HOME": str(taten_home), "TATEN_EMBEDDING__MODEL": "hashing", "TATEN_NLP__PSEUDONYMISE": "false"}


def _cli(env: dict[str, str], *args: str):
    from typer.testing import CliRunner

    from pipelines.cli import app

    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def test_cli_report_pointing_at_a_folder_fails_before_anything_is_stored(
    tmp_path: Path, cli_env: dict[str, str], taten_home: Path
) -> None:
    good = _good(tmp_path)

    result = _cli(cli_env, "import", str(good), "-c", CONFERENCE, "--report", str(tmp_path))

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Fehler: --report {tmp_path}: Das ist ein Ordner. Bitte einen Dateinamen angeben, z. B. bericht.json."]
    store = Store(f"sqlite:///{taten_home / 'taten.sqlite'}")
    try:
        assert store.conferences() == []
    finally:
        store.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2026-03-18T1"], "Fehler: Datum „2026-03-18T1“ ist ungültig. Bitte als JJJJ-MM-TT angeben, z. B. 2026-03-18."),
        (["-c", "   "], "Fehler: Der Konferenzname ist leer. Bitte einen Namen angeben, z. B. „Sozialraumkonferenz 2026“."),
    ],
)
def test_cli_bad_date_or_blank_conference_is_one_line(
    tmp_path: Path, cli_env: dict[str, str], args: list[str], message: str
) -> None:
    good = _good(tmp_path)

    result = _cli(cli_env, "import", str(good), *(["-c", CONFERENCE] if "-c" not in args else []), *args)

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [message]


def _merged_xlsx(rows: int, merges: list[str]) -> bytes:
    """Notes in column A, table 3 in column B, and ``merges`` (``"B2:XFD100"``) written into the sheet XML."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["text", "Tisch"])
    for r in range(rows):
        sheet.append([f"Notiz {r}", "3"])
    buffer, out = io.BytesIO(), io.BytesIO()
    workbook.save(buffer)
    ranges = "".join(f'<mergeCell ref="{m}"/>' for m in merges).encode()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b"</sheetData><mergeCells>" + ranges + b"</mergeCells>")
            target.writestr(member, data)
    return out.getvalue()


def test_merged_range_to_the_last_column_fills_only_the_cells_that_exist(
    sqlite_store: Store, vocab: Vocabularies
) -> None:
    data = _merged_xlsx(3000, ["B2:XFD3001"])  # 3,000 rows × 16,384 columns if filled as declared

    import_uploads(sqlite_store, [("verbunden.xlsx", data)], CONFERENCE, vocab)

    notes = _contributions(sqlite_store)
    assert len(notes) == 3000 and {n.table_label for n in notes} == {"3"}


def test_thousands_of_merged_ranges_over_the_whole_sheet_are_refused(sqlite_store: Store, vocab: Vocabularies) -> None:
    data = _merged_xlsx(1000, ["B2:XFD1001"] * 6000)

    with pytest.raises(InputError, match="^verbunden.xlsx: Die Tabelle hat zu viele verbundene Zellen"):
        import_uploads(sqlite_store, [("verbunden.xlsx", data)], CONFERENCE, vocab)

    assert sqlite_store.conferences() == []


def test_word_table_cell_spanning_a_hundred_million_columns_is_refused(
    sqlite_store: Store, vocab: Vocabularies
) -> None:
    import docx

    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(1, 0).text = "text", "Kita fehlt"
    buffer, out = io.BytesIO(), io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            data = source.read(member.filename)
            if member.filename == "word/document.xml":
                data = data.replace(b"<w:tcPr>", b'<w:tcPr><w:gridSpan w:val="100000000"/>', 1)
            target.writestr(member, data)

    report = import_uploads(sqlite_store, [("gut.txt", b"- Bus selten\n"), ("breit.docx", out.getvalue())],
                            CONFERENCE, vocab, ImportOptions(strict=False))

    assert _texts(sqlite_store) == ["Bus selten"]
    assert "reicht über 100000000 Spalten" in report.failed_files[0].error
