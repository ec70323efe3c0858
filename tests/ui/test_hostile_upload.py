"""The Import page under hostile uploads (issue 9): the workbench stays up, says why in
German, and stores the good files only."""

from __future__ import annotations

from tests.pipelines.test_hostile_input import _far_cell_ods, _far_cell_xlsx


def test_upload_of_a_spreadsheet_reaching_the_last_cell_is_refused_and_the_page_stays_up(
    make_app, analysed_store
) -> None:
    at = make_app()
    at.switch_page("views/import_.py").run()
    at.text_input(key="import_conference").input("  neue\u200b  Konferenz ").run()
    at.file_uploader(key="import_files").set_value([
        ("gut.md", "- Mieten in Birkesdorf steigen\n".encode(), "text/markdown"),
        ("riesig.xlsx", _far_cell_xlsx(), "application/octet-stream"),
        ("riesig.ods", _far_cell_ods(), "application/octet-stream"),
    ]).run()
    at.button(key="import_btn").click().run()

    assert not at.exception
    [table] = [d.value for d in at.dataframe if "Datei" in d.value.columns]
    assert list(table["Status"]) == ["ok", "fehlgeschlagen", "fehlgeschlagen"]
    assert all("zum Schutz nicht geöffnet" in h for h in table["Hinweise"].iloc[1:])
    record = analysed_store.get_conference("neue Konferenz")
    assert [c.text for c in analysed_store.contributions(record.id)] == ["Mieten in Birkesdorf steigen"]


def test_bad_date_on_the_import_page_is_a_german_message_and_stores_nothing(make_app, analysed_store) -> None:
    before = len(analysed_store.conferences())
    at = make_app()
    at.switch_page("views/import_.py").run()
    at.text_input(key="import_conference").input("Neue Konferenz").run()
    at.text_input(key="import_date").input("2026-13-01").run()
    at.file_uploader(key="import_files").set_value([("gut.md", b"- Kita fehlt\n", "text/markdown")]).run()
    at.button(key="import_btn").click().run()

    assert not at.exception
    shown = [e.value.replace("\\", "") for e in at.error]  # the page escapes Markdown
    assert any("Datum „2026-13-01“ ist ungültig. Bitte als JJJJ-MM-TT angeben" in s for s in shown), shown
    assert len(analysed_store.conferences()) == before
