"""Personal data outside the note text: headings, file names, metadata columns, the report."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from models.records import ImportBatch
from models.store import Store
from pipelines.ingest import ImportOptions, Manifest, ManifestFile, import_files
from pipelines.resources import Resources

CONFERENCE = "Sozialraumkonferenz Düren 2026"
RAW = ("Petra", "Hoffmann", "0171", "2345678", "petra.hoffmann", "Yilmaz", "Veldener Str. 12a", "Schmidt", "Kaya")


def _stored(store: Store) -> tuple[list, list[ImportBatch]]:
    record = store.get_conference(CONFERENCE)
    contributions = store.contributions(record.id)
    with store.transaction() as session:
        batches = list(session.scalars(select(ImportBatch)))
        session.expunge_all()
    return contributions, batches


def test_headings_file_names_metadata_and_report_are_pseudonymised(
    tmp_path: Path, sqlite_store: Store, hashing_resources: Resources
) -> None:
    vocab = hashing_resources.vocab
    assert vocab.pseudonymiser is not None
    notes = tmp_path / "Protokoll Frau Yilmaz Veldener Str. 12a.md"
    notes.write_text(
        "# Moderation: Petra Hoffmann, Tel. 0171 2345678, petra.hoffmann@web.de\n\n- Zu wenig Licht am Bahnhof.\n",
        encoding="utf-8",
    )
    table = tmp_path / "Protokoll_Herr_Kaya_Tisch4.csv"
    table.write_text(
        "text;table;gruppe;district\n"
        "Kita-Plätze fehlen;Tisch Frau Schmidt;Frau Schmidt (Tel. 0171 2345678);Nord-Düren\n",
        encoding="utf-8",
    )

    report = import_files(sqlite_store, [notes, table], CONFERENCE, vocab, ImportOptions())

    contributions, batches = _stored(sqlite_store)
    by_text = {c.text: c for c in contributions}
    md, csv = by_text["Zu wenig Licht am Bahnhof."], by_text["Kita-Plätze fehlen"]
    assert md.heading_path == "Moderation: [NAME], Tel. [TELEFON], [E-MAIL]"
    assert md.source_file == "Protokoll [NAME] [ADRESSE].md"  # provenance keeps the masked name
    assert csv.source_file == "Protokoll [NAME] Tisch4.csv"
    assert csv.stakeholder_group == "[NAME] (Tel. [TELEFON])"
    assert csv.table_label == "Tisch [NAME]"
    assert csv.district == "Nord-Düren"  # meaning stays
    assert sorted(b.source_file for b in batches) == ["Protokoll [NAME] Tisch4.csv", "Protokoll [NAME] [ADRESSE].md"]
    stored = json.dumps([b.report for b in batches], ensure_ascii=False) + json.dumps(report.to_dict(), ensure_ascii=False)
    stored += " ".join(str(getattr(c, f)) for c in contributions for f in (
        "text", "heading_path", "source_file", "table_label", "stakeholder_group", "district", "theme"))
    for raw in RAW:
        assert raw not in stored, raw
    assert report.files[0].pseudonymised["NAME"] >= 2  # heading and file name are counted


def test_manifest_values_are_pseudonymised(tmp_path: Path, sqlite_store: Store, hashing_resources: Resources) -> None:
    path = tmp_path / "notizen.txt"
    path.write_text("- Busse fahren zu selten.\n", encoding="utf-8")
    manifest = Manifest(files={"notizen.txt": ManifestFile(table="Frau Schmidt", stakeholder_group="Herr Kaya, 0171 2345678")})

    import_files(sqlite_store, [path], CONFERENCE, hashing_resources.vocab, ImportOptions(manifest=manifest))

    (note,), _ = _stored(sqlite_store)
    assert (note.table_label, note.stakeholder_group) == ("[NAME]", "[NAME], [TELEFON]")
    assert note.source_file == "notizen.txt"  # nothing to mask: the name stays as it was


def test_without_pseudonymiser_metadata_is_stored_as_written(
    tmp_path: Path, sqlite_store: Store, hashing_resources: Resources
) -> None:
    path = tmp_path / "Protokoll_Frau_Yilmaz.txt"
    path.write_text("- Busse fahren zu selten.\n", encoding="utf-8")

    import_files(sqlite_store, [path], CONFERENCE, hashing_resources.vocab, ImportOptions(pseudonymiser=None))

    (note,), _ = _stored(sqlite_store)
    assert note.source_file == "Protokoll_Frau_Yilmaz.txt"
