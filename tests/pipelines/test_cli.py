"""The ``taten`` command line: the happy path, one-line errors, the database-free cluster command."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.store import Store
from pipelines.cli import app

CONFERENCE = "Kleine Konferenz"


@pytest.fixture
def env(taten_home: Path) -> dict[str, str]:
    return {"TATEN_HOME": str(taten_home), "TATEN_EMBEDDING__MODEL": "hashing"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _invoke(runner: CliRunner, env: dict[str, str], *args: str):
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


def test_import_analyse_concerns_export_work_end_to_end(
    runner: CliRunner, env: dict[str, str], taten_home: Path, small_conference_csv: Path, tmp_path: Path
) -> None:
    imported = _invoke(runner, env, "import", str(small_conference_csv), "--conference", CONFERENCE,
                       "--date", "2026-03-18")
    assert imported.exit_code == 0, imported.output
    assert "30 Beiträge importiert" in imported.stdout

    analysed = _invoke(runner, env, "analyse", "--conference", CONFERENCE)
    assert analysed.exit_code == 0, analysed.output
    assert "30 Beiträge analysiert" in analysed.stdout
    store = Store(f"sqlite:///{taten_home / 'taten.sqlite'}")
    assert store.count_embedding_vectors() >= 30  # the notes' vectors, and the themes' descriptions
    store.close()

    concerns = _invoke(runner, env, "concerns", "--conference", CONFERENCE, "--theme", "Arbeit", "--top", "5")
    assert concerns.exit_code == 0, concerns.output
    assert "Wiederkehrende Anliegen" in concerns.stdout
    assert "Arbeit" in concerns.stdout and "Einkommen" not in concerns.stdout

    for suffix in (".csv", ".json"):
        out = tmp_path / f"export{suffix}"
        exported = _invoke(runner, env, "export", "--conference", CONFERENCE, "--out", str(out))
        assert exported.exit_code == 0, exported.output
        assert out.stat().st_size > 0
    with (tmp_path / "export.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.DictReader(handle, delimiter=";"))) == 30
    payload = json.loads((tmp_path / "export.json").read_text(encoding="utf-8"))
    assert sum(len(c["members"]) for c in payload["clusters"]) == 30
    # the demo gazetteer is invented: tables and exports say so
    assert payload["hinweis"].startswith("Beispieldaten – fiktiv: Sozialräume")
    assert "Beispieldaten – fiktiv" in concerns.stdout and "Beispieldaten – fiktiv" in exported.stdout

    store = Store(f"sqlite:///{taten_home / 'taten.sqlite'}")
    try:
        assert store.count_contributions(store.get_conference(CONFERENCE).id) == 30
    finally:
        store.close()


def test_analyse_no_themes_clusters_the_conference_as_one_group(
    runner: CliRunner, env: dict[str, str], taten_home: Path, small_conference_csv: Path
) -> None:
    _invoke(runner, env, "import", str(small_conference_csv), "--conference", CONFERENCE)

    analysed = _invoke(runner, env, "analyse", "--conference", CONFERENCE, "--no-themes")

    assert analysed.exit_code == 0, analysed.output
    store = Store(f"sqlite:///{taten_home / 'taten.sqlite'}")
    try:
        run = store.latest_run(store.get_conference(CONFERENCE).id)
        assert {c.theme for c in store.clusters(run.id)} == {"Ohne Thema"}
        assert run.settings["nlp"]["use_themes"] is False
    finally:
        store.close()
    for theme in ("Arbeit", "Einkommen", "Bildung und Erziehung"):
        assert theme not in analysed.stdout


def test_a_city_with_its_own_data_files_gets_exports_without_the_example_mark(
    runner: CliRunner, env: dict[str, str], small_conference_csv: Path, tmp_path: Path, city_data_dir: Path
) -> None:
    env = {**env, "TATEN_NLP__DATA_DIR": str(city_data_dir)}
    _invoke(runner, env, "import", str(small_conference_csv), "--conference", CONFERENCE)
    analysed = _invoke(runner, env, "analyse", "--conference", CONFERENCE)
    exported = _invoke(runner, env, "export", "--conference", CONFERENCE, "--out", str(tmp_path / "export.json"))

    assert exported.exit_code == 0, exported.output
    assert "hinweis" not in json.loads((tmp_path / "export.json").read_text(encoding="utf-8"))
    assert "Beispieldaten" not in analysed.stdout + exported.stdout


def test_import_dry_run_creates_no_contributions(
    runner: CliRunner, env: dict[str, str], taten_home: Path, small_conference_csv: Path
) -> None:
    result = _invoke(runner, env, "import", str(small_conference_csv), "-c", CONFERENCE, "--dry-run")

    assert result.exit_code == 0, result.output
    assert "30 Beiträge würden importiert" in result.stdout
    store = Store(f"sqlite:///{taten_home / 'taten.sqlite'}")
    try:
        assert store.conferences() == []
    finally:
        store.close()


def test_bad_file_gives_one_error_line_and_exit_code_1(
    runner: CliRunner, env: dict[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "kaputt.csv"
    bad.write_text("Tisch;Thema\n1;Arbeit\n", encoding="utf-8")

    result = _invoke(runner, env, "import", str(bad), "--conference", CONFERENCE)

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Fehler: kaputt.csv: Spalte 'text' fehlt")
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_bad_file_with_verbose_shows_a_traceback(runner: CliRunner, env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "kaputt.csv"
    bad.write_text("Tisch;Thema\n1;Arbeit\n", encoding="utf-8")

    result = _invoke(runner, env, "--verbose", "import", str(bad), "--conference", CONFERENCE)

    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert "InputError" in result.stderr
    assert "Fehler: kaputt.csv" in result.stderr


def test_unknown_conference_is_an_error_not_a_crash(runner: CliRunner, env: dict[str, str]) -> None:
    for command in (["analyse", "-c", "Gibt es nicht"], ["concerns", "-c", "Gibt es nicht"],
                    ["export", "-c", "Gibt es nicht", "--out", "x.csv"]):
        result = _invoke(runner, env, *command)
        assert result.exit_code == 1, command
        assert result.stderr.startswith("Fehler: Konferenz 'Gibt es nicht'"), command


def test_export_to_an_unknown_format_is_refused(
    runner: CliRunner, env: dict[str, str], small_conference_csv: Path, tmp_path: Path
) -> None:
    _invoke(runner, env, "import", str(small_conference_csv), "-c", CONFERENCE)
    _invoke(runner, env, "analyse", "-c", CONFERENCE)

    result = _invoke(runner, env, "export", "-c", CONFERENCE, "--out", str(tmp_path / "export.pdf"))

    assert result.exit_code == 1
    assert result.stderr.startswith("Fehler: export.pdf: Bitte als .csv oder .json exportieren.")
    assert not (tmp_path / "export.pdf").exists()


def test_cluster_writes_a_cluster_for_every_id_without_a_database(
    runner: CliRunner, env: dict[str, str], taten_home: Path, tmp_path: Path,
    small_conference_rows: list[dict[str, str]],
) -> None:
    work = tmp_path / "arbeit"
    work.mkdir()
    source = work / "texte.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        writer.writerows((f"b{i}", row["text"]) for i, row in enumerate(small_conference_rows))
    out = work / "cluster.csv"

    result = _invoke(runner, env, "cluster", str(source), "--out", str(out), "--k", "3")

    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["id"] for r in rows] == [f"b{i}" for i in range(len(small_conference_rows))]
    assert {int(r["cluster"]) for r in rows} == {0, 1, 2}
    databases = [p for p in tmp_path.rglob("*") if p.suffix in {".sqlite", ".db"} or "sqlite" in p.name]
    assert databases == []
    assert not (taten_home / "taten.sqlite").exists()
    assert list((taten_home / "cache").rglob("shard-*.npz"))  # without a database, vectors stay on disk


def test_cluster_without_id_column_is_an_error(runner: CliRunner, env: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "texte.csv"
    source.write_text("text\nKita fehlt\n", encoding="utf-8")

    result = _invoke(runner, env, "cluster", str(source), "--out", str(tmp_path / "out.csv"))

    assert result.exit_code == 1
    assert result.stderr.startswith("Fehler: texte.csv: Spalte 'id' fehlt")


def test_invalid_setting_in_environment_is_a_one_line_error(runner: CliRunner, env: dict[str, str]) -> None:
    result = _invoke(runner, {**env, "TATEN_CLUSTERING__K": "null-komma-nix"}, "concerns", "-c", CONFERENCE)

    assert result.exit_code == 1
    assert result.stderr.startswith("Fehler: Ungültige Einstellung")
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "german"),
    [([], "Konferenz"), (["--help"], "Konferenz"), (["import", "--help"], "Name der Konferenz"),
     (["analyse", "--help"], "Feste Anzahl Cluster"), (["cluster", "--help"], "ohne Datenbank"),
     (["export", "--help"], "Zieldatei")],
)
def test_help_texts_are_german(runner: CliRunner, env: dict[str, str], args: list[str], german: str) -> None:
    result = runner.invoke(app, args, env=env, terminal_width=200)

    assert german in result.output


def test_real_process_prints_one_line_on_stderr_for_a_bad_file(taten_home: Path, tmp_path: Path) -> None:
    """Outside CliRunner too: logging and rich must not add lines to stderr."""
    bad = tmp_path / "leer.csv"
    bad.write_bytes(b"")
    environment = {**os.environ, "TATEN_HOME": str(taten_home), "TATEN_EMBEDDING__MODEL": "hashing"}

    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "import", str(bad), "-c", CONFERENCE],
        capture_output=True, text=True, env=environment, timeout=300,
    )

    assert done.returncode == 1
    assert done.stderr.splitlines() == ["Fehler: leer.csv: Die Datei ist leer. Bitte eine Datei mit Beiträgen wählen."]


def test_concerns_show_new_or_recurring_since_the_earlier_conference_of_the_city(
    runner: CliRunner, env: dict[str, str], small_conference_csv: Path, tmp_path: Path
) -> None:
    earlier = tmp_path / "2024.csv"
    earlier.write_text("text;table;theme;round\n" + "".join(
        f"{text};1;Einkommen;1\n" for text in ("Stromsperren nehmen stark zu", "Stromsperren bei vielen Familien",
                                              "Stromsperren bei Familien nehmen zu", "Immer mehr Stromsperren")),
        encoding="utf-8")
    for path, name, date in ((earlier, "Konferenz 2024", "2024-03-20"), (small_conference_csv, CONFERENCE, "2026-03-18")):
        assert _invoke(runner, env, "import", str(path), "--conference", name, "--date", date,
                       "--city", "Düren").exit_code == 0
        assert _invoke(runner, env, "analyse", "--conference", name).exit_code == 0

    shown = _invoke(runner, env, "concerns", "--conference", CONFERENCE, "--theme", "Einkommen")
    earlier_shown = _invoke(runner, env, "concerns", "--conference", "Konferenz 2024")

    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    header = next(line for line in lines if "Rang" in line)
    assert "Status" in header
    strom = next(line for line in lines if "Stromsperren" in line or "Strom" in line)
    assert "wiederkehrend seit 2024" in shown.stdout and "(2024: 4 Beiträge)" in shown.stdout, shown.stdout
    assert "neu" in shown.stdout.replace("Wiederkehrende", "")  # the Tafel concern was not raised in 2024
    assert strom  # the recurring concern is listed in its theme
    assert "wiederkehrend" not in earlier_shown.stdout.replace("Wiederkehrende", "")


def test_demo_loads_2024_then_2026_and_enters_the_2024_measures_once(
    runner: CliRunner, env: dict[str, str], taten_home: Path
) -> None:
    first = _invoke(runner, env, "demo", "--no-ui")
    second = _invoke(runner, env, "demo", "--no-ui")

    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "Frühere Demo-Konferenz (2024): 304 neue Beiträge" in first.stdout
    assert "(304 bereits vorhanden)" in second.stdout
    from pipelines.cli import DEMO_CONFERENCE, DEMO_EARLIER_CONFERENCE
    from pipelines.review import ReviewService

    store = Store(f"sqlite:///{taten_home / 'taten.sqlite'}")
    try:
        earlier = ReviewService(store, DEMO_EARLIER_CONFERENCE, "x")
        measures = earlier.measures()
        assert sorted((m.title, m.status) for m in measures) == [
            ("Schulschwimmen in Nachbarbädern mit Bustransfer", "umgesetzt"),
            ("Schulsozialarbeit an Grundschulen entfristen", "in Umsetzung"),
            ("Spielplätze in Nord-Düren sanieren", "umgesetzt"),
        ]
        assert all(m.cluster_ids for m in measures), "each measure still points at its concern after a re-analysis"
        later = ReviewService(store, DEMO_CONFERENCE, "x")
        assert any(lineage.earlier for lineage in later.lineage().values())
    finally:
        store.close()
