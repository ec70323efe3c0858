"""People's text on the command line stays text: Rich markup and emoji codes in a
conference name, a label or a file name are printed as typed, never interpreted."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from models.store import Store
from pipelines.cli import app
from pipelines.review import ReviewService

CONFERENCE = "Treffen [/x] [link=https://example.com]Link[/link] [bold]fett[/bold] :thumbs_up:"
LABEL = "Jobcenter [/x] [link]erreichbar[/link] :smile:"
ENV = {"TATEN_EMBEDDING__MODEL": "hashing"}


def test_markup_in_names_labels_and_files_is_printed_as_typed(
    taten_home: Path, small_conference_csv: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    notes = tmp_path / "Tisch [red]1[i].csv"
    shutil.copy(small_conference_csv, notes)

    imported = runner.invoke(app, ["import", str(notes), "-c", CONFERENCE], env=ENV, catch_exceptions=False)
    assert imported.exit_code == 0, imported.output
    assert "Tisch [red]1[i].csv" in imported.stdout
    assert "[/x] [link=https://example.com]Link[/link] [bold]fett[/bold] :thumbs_up:" in imported.stdout

    analysed = runner.invoke(app, ["analyse", "-c", CONFERENCE], env=ENV, catch_exceptions=False)
    assert analysed.exit_code == 0, analysed.output
    assert "[/x] [link=https://example.com]Link[/link]" in analysed.stdout

    store = Store(f"sqlite:///{taten_home / 'taten.sqlite'}")
    try:
        service = ReviewService(store, CONFERENCE, "Anna [i]Amt[/i]")
        first = service.clusters()[0]
        service.rename(first.id, LABEL, first.version)
    finally:
        store.close()

    concerns = runner.invoke(app, ["concerns", "-c", CONFERENCE, "--top", "40"], env=ENV,
                             catch_exceptions=False, terminal_width=400)
    assert concerns.exit_code == 0, concerns.output
    assert LABEL in concerns.stdout
    assert "👍" not in concerns.stdout and "😄" not in concerns.stdout


def test_markup_in_an_error_line_is_printed_as_typed(taten_home: Path) -> None:
    result = CliRunner().invoke(app, ["concerns", "-c", "[/x] [link]"], env=ENV)

    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("Fehler: Konferenz '[/x] [link]'")
