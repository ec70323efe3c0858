"""Ingest: encodings, delimiters, aliases, Excel, bad files, deduplication, markup."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from models.store import Store
from nlp.text import clean_text
from pipelines.errors import InputError
from pipelines.ingest import ImportOptions, Vocabularies, import_files
from pipelines.resources import Resources

CONFERENCE = "Sozialraumkonferenz Düren 2026"
EMPTY = {"conference": 0, "import_batch": 0, "contribution": 0, "analysis_run": 0, "cluster": 0, "assignment": 0}


@pytest.fixture
def vocab(hashing_resources: Resources) -> Vocabularies:
    return hashing_resources.vocab


def _texts(store: Store) -> list[str]:
    conference = store.get_conference(CONFERENCE)
    return [] if conference is None else [c.text for c in store.contributions(conference.id)]


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encodings_of_office_exports_are_read_correctly(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies, encoding: str
) -> None:
    path = _write(tmp_path / "notizen.csv", "text;Thema\nSpielplätze sind kaputt;Bildung\nStraße zu laut;Arbeit\n", encoding)

    report = import_files(sqlite_store, [path], CONFERENCE, vocab)

    assert report.imported == 2
    assert _texts(sqlite_store) == ["Spielplätze sind kaputt", "Straße zu laut"]
    assert [c.theme for c in sqlite_store.contributions(sqlite_store.get_conference(CONFERENCE).id)] == [
        "Bildung und Erziehung", "Arbeit"]


@pytest.mark.parametrize(
    ("delimiter", "suffix"), [(";", ".csv"), (",", ".csv"), ("\t", ".tsv"), ("\t", ".txt")]
)
def test_semicolon_comma_and_tab_delimiters_are_detected(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies, delimiter: str, suffix: str
) -> None:
    # The texts hold the other delimiters; a spreadsheet quotes those that hold its own.
    rows = [("Kita fehlt, dringend; sofort", "1"), ("Bus fährt selten", "2"), ("Jobcenter:\tnicht erreichbar", "3")]
    path = tmp_path / f"notizen{suffix}"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(["text", "Tisch"])
        writer.writerows(rows)

    import_files(sqlite_store, [path], CONFERENCE, vocab)

    stored = sqlite_store.contributions(sqlite_store.get_conference(CONFERENCE).id)
    assert [(c.text, c.table_label) for c in stored] == [(clean_text(t), table) for t, table in rows]


def test_single_column_file_keeps_commas_and_semicolons_in_its_notes(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies
) -> None:
    path = _write(tmp_path / "notizen.csv", "text\nKita fehlt, dringend\nKita &amp; Schule\nBus; Bahn\n")

    import_files(sqlite_store, [path], CONFERENCE, vocab)

    assert _texts(sqlite_store) == ["Kita fehlt, dringend", "Kita & Schule", "Bus; Bahn"]


def test_rows_with_missing_trailing_fields_are_read_as_empty(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies
) -> None:
    path = _write(tmp_path / "notizen.csv", "text;Tisch;Thema\nKita fehlt;1\nBus fährt selten;2;Arbeit\n")

    import_files(sqlite_store, [path], CONFERENCE, vocab)

    stored = sqlite_store.contributions(sqlite_store.get_conference(CONFERENCE).id)
    assert [(c.text, c.table_label, c.theme) for c in stored] == [
        ("Kita fehlt", "1", None), ("Bus fährt selten", "2", "Arbeit")]


def test_german_column_aliases_are_mapped(tmp_path: Path, sqlite_store: Store, vocab: Vocabularies) -> None:
    path = _write(
        tmp_path / "weltcafe.csv",
        "Beitrag;Tisch;Runde;Sozialraum;Thema;Gruppe\n"
        "Kita-Plätze fehlen;Tisch 3;Runde 2;Düren-Nord;Kita;Caritas\n"
        "Spielplatz kaputt;4;1;Birkesdorf;Bildung;\n",
    )

    import_files(sqlite_store, [path], CONFERENCE, vocab)

    first, second = sqlite_store.contributions(sqlite_store.get_conference(CONFERENCE).id)
    assert (first.text, first.table_label, first.round, first.district, first.theme, first.stakeholder_group) == (
        "Kita-Plätze fehlen", "3", 2, "Nord-Düren", "Bildung und Erziehung", "Wohlfahrtsverbände")
    assert (second.table_label, second.round, second.district, second.stakeholder_group) == (
        "4", 1, "Birkesdorf", None)
    assert (first.source_file, first.source_position, second.source_position) == (
        "weltcafe.csv", "Zeile 2", "Zeile 3")


def test_excel_workbooks_are_read(tmp_path: Path, sqlite_store: Store, vocab: Vocabularies) -> None:
    path = tmp_path / "tische.xlsx"
    pd.DataFrame(
        {"Beitrag": ["Spielplätze sind kaputt", "Straße zu laut 🚗"], "Tisch": [1, 2], "Runde": [2, 1],
         "Sozialraum": ["Ost", ""]}
    ).to_excel(path, index=False, engine="openpyxl")

    report = import_files(sqlite_store, [path], CONFERENCE, vocab)

    assert report.imported == 2
    stored = sqlite_store.contributions(sqlite_store.get_conference(CONFERENCE).id)
    assert [(c.text, c.table_label, c.round, c.district) for c in stored] == [
        ("Spielplätze sind kaputt", "1", 2, "Ost"), ("Straße zu laut 🚗", "2", 1, None)]


BAD_FILES = {
    "missing_text_column": ("ohne_text.csv", "Tisch;Thema\n1;Arbeit\n".encode(), "Spalte 'text' fehlt"),
    "empty_file": ("leer.csv", b"", "ist leer"),
    "whitespace_only": ("leerzeichen.csv", b"  \n\t\n   \n", "ist leer"),
    "binary_junk": ("bild.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "keine Textdatei"),
    "undecodable": ("kaputt.csv", b"text\nKita \x81\x8d\x8f\x90\x9d fehlt\n", "Zeichenkodierung ist unbekannt"),
    "unsupported_suffix": ("notizen.pdf", b"%PDF-1.7 text\n", "wird nicht unterstützt"),
    "only_empty_texts": ("leere_zeilen.csv", b"text;Tisch\n;1\n  ;2\n", "Keine Beiträge gefunden"),
    "round_not_a_number": ("runde.csv", "text;Runde\nKita fehlt;zweite\n".encode(), "ist keine Zahl"),
    "broken_excel": ("kaputt.xlsx", b"PK\x03\x04 not really a zip archive", "nicht lesbar"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_unusable_file_raises_german_input_error_naming_it_and_stores_nothing(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies, row_counts, case: str
) -> None:
    name, content, german = BAD_FILES[case]
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(InputError) as error:
        import_files(sqlite_store, [path], CONFERENCE, vocab)

    message = str(error.value)
    assert message.startswith(name)
    assert german in message
    assert row_counts(sqlite_store) == EMPTY


def test_missing_file_raises_input_error(tmp_path: Path, sqlite_store: Store, vocab: Vocabularies, row_counts) -> None:
    with pytest.raises(InputError, match="gibtsnicht.csv: Datei nicht gefunden"):
        import_files(sqlite_store, [tmp_path / "gibtsnicht.csv"], CONFERENCE, vocab)
    assert row_counts(sqlite_store) == EMPTY


def test_good_file_with_a_bad_one_stores_nothing(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies, row_counts
) -> None:
    good = _write(tmp_path / "gut.csv", "text\nKita fehlt\nBus fährt selten\n")
    bad = _write(tmp_path / "schlecht.csv", "Tisch\n1\n")  # no text column

    with pytest.raises(InputError, match="schlecht.csv"):
        import_files(sqlite_store, [good, bad], CONFERENCE, vocab)

    assert row_counts(sqlite_store) == EMPTY


def test_reimporting_the_same_file_adds_nothing(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies, row_counts
) -> None:
    path = _write(tmp_path / "notizen.csv", "text;Tisch\nKita fehlt;1\nBus fährt selten;2\n")
    import_files(sqlite_store, [path], CONFERENCE, vocab)
    before = row_counts(sqlite_store)

    report = import_files(sqlite_store, [path], CONFERENCE, vocab)

    assert (report.imported, report.duplicates) == (0, 2)
    assert row_counts(sqlite_store) == before


def test_a_note_written_twice_in_one_file_is_stored_twice(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies
) -> None:
    path = _write(tmp_path / "notizen.csv", "text;Tisch\nKita fehlt;1\nKita fehlt;1\nBus fährt selten;1\n")

    report = import_files(sqlite_store, [path], CONFERENCE, vocab)

    assert report.imported == 3
    assert _texts(sqlite_store) == ["Kita fehlt", "Kita fehlt", "Bus fährt selten"]


def test_html_is_stripped_and_counted(tmp_path: Path, sqlite_store: Store, vocab: Vocabularies) -> None:
    path = _write(
        tmp_path / "notizen.csv",
        'text\n<b>Kita</b>&nbsp;fehlt\n"Bus <script>alert(1)</script>fährt selten"\nOhne Markup & gut\n',
    )

    report = import_files(sqlite_store, [path], CONFERENCE, vocab)

    assert report.files[0].markup_removed == 2
    assert _texts(sqlite_store) == ["Kita fehlt", "Bus fährt selten", "Ohne Markup & gut"]


def test_formula_text_is_stored_as_plain_text(tmp_path: Path, sqlite_store: Store, vocab: Vocabularies) -> None:
    path = _write(tmp_path / "notizen.csv",
                  'text;Tisch\n"=HYPERLINK(""http://x.example"";""Klick"")";1\n=1+1;2\n@SUMME(A1);3\n')

    import_files(sqlite_store, [path], CONFERENCE, vocab)

    assert _texts(sqlite_store) == ['=HYPERLINK("http://x.example";"Klick")', "=1+1", "@SUMME(A1)"]


def test_dry_run_reports_but_stores_nothing(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies, row_counts
) -> None:
    path = _write(tmp_path / "notizen.csv", "text\nKita fehlt\nBus fährt selten\n")

    report = import_files(sqlite_store, [path], CONFERENCE, vocab, ImportOptions(dry_run=True))

    assert report.imported == 2
    assert row_counts(sqlite_store) == EMPTY


def test_empty_rows_are_counted_and_skipped(tmp_path: Path, sqlite_store: Store, vocab: Vocabularies) -> None:
    path = _write(tmp_path / "notizen.csv", "text;Tisch\nKita fehlt;1\n;2\n<br>;3\nBus fährt selten;4\n")

    report = import_files(sqlite_store, [path], CONFERENCE, vocab)

    assert (report.files[0].rows, report.files[0].imported, report.files[0].empty) == (4, 2, 2)
    assert _texts(sqlite_store) == ["Kita fehlt", "Bus fährt selten"]


@pytest.mark.parametrize(("value", "expected"), [("Runde 2", 2), ("2", 2), ("2.0", 2), ("2,0", 2), ("3.", 3), ("12", 12)])
def test_round_values_are_read_as_their_number(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies, value: str, expected: int
) -> None:
    path = _write(tmp_path / "notizen.csv", f"text;Runde\nKita fehlt;{value}\n")

    import_files(sqlite_store, [path], CONFERENCE, vocab)

    (stored,) = sqlite_store.contributions(sqlite_store.get_conference(CONFERENCE).id)
    assert stored.round == expected


@pytest.mark.parametrize("value", ["zweite", "Runde 1 und 2", "2.5"])
def test_ambiguous_round_values_are_refused_with_file_and_line(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies, row_counts, value: str
) -> None:
    path = _write(tmp_path / "notizen.csv", f"text;Runde\nBus fährt selten;1\nKita fehlt;{value}\n")

    with pytest.raises(InputError, match=f"notizen.csv, Zeile 3: Runde '{value}' ist keine Zahl"):
        import_files(sqlite_store, [path], CONFERENCE, vocab)
    assert row_counts(sqlite_store) == EMPTY


def test_file_over_the_size_limit_is_refused_before_reading(
    tmp_path: Path, sqlite_store: Store, vocab: Vocabularies, row_counts, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipelines.ingest as ingest

    monkeypatch.setattr(ingest, "MAX_FILE_BYTES", 1_000)
    path = tmp_path / "riesig.csv"
    path.write_text("text\n" + "Kita-Plätze fehlen\n" * 100, encoding="utf-8")

    with pytest.raises(InputError, match=r"riesig.csv: Die Datei ist zu groß .*aufteilen"):
        import_files(sqlite_store, [path], CONFERENCE, vocab)
    assert row_counts(sqlite_store) == EMPTY


def test_a_large_file_imports_in_one_transaction(tmp_path: Path, sqlite_store: Store, vocab: Vocabularies) -> None:
    path = tmp_path / "gross.csv"
    path.write_text("text;Tisch\n" + "".join(f"Notiz Nummer {i} zum Wohnen;{i % 9 + 1}\n" for i in range(20_000)),
                    encoding="utf-8")

    report = import_files(sqlite_store, [path], CONFERENCE, vocab)

    assert report.imported == 20_000
    assert sqlite_store.count_contributions(sqlite_store.get_conference(CONFERENCE).id) == 20_000


def test_overlong_note_is_cut_to_the_text_limit(tmp_path: Path, sqlite_store: Store, vocab: Vocabularies) -> None:
    from pipelines.ingest import MAX_TEXT_CHARS

    path = tmp_path / "lang.csv"
    path.write_text("text\n" + "Wohnen " * 5_000 + "\n", encoding="utf-8")

    import_files(sqlite_store, [path], CONFERENCE, vocab)

    (stored,) = sqlite_store.contributions(sqlite_store.get_conference(CONFERENCE).id)
    assert len(stored.text) == MAX_TEXT_CHARS
