"""``taten measures`` (the register as a table, CSV or XLSX) and ``taten decisions`` (the decision import)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from models.store import Store
from pipelines.cli import app
from pipelines.review import DecisionInput, MeasureInput, ReviewService

CONFERENCE = "Kleine Konferenz"
FORMULA = "=HYPERLINK(\"http://x.example\";\"Klick\")"


@pytest.fixture
def env(taten_home: Path) -> dict[str, str]:
    return {"TATEN_HOME": str(taten_home), "TATEN_EMBEDDING__MODEL": "hashing"}


def _invoke(env: dict[str, str], *args: str):  # noqa: ANN202
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def register(env: dict[str, str], taten_home: Path, small_conference_csv: Path) -> ReviewService:
    assert _invoke(env, "import", str(small_conference_csv), "-c", CONFERENCE).exit_code == 0
    assert _invoke(env, "analyse", "-c", CONFERENCE).exit_code == 0
    store = Store(f"sqlite:///{taten_home / 'taten.sqlite'}")
    service = ReviewService(store, CONFERENCE, "Frau Albers")
    cluster = service.clusters()[0]
    for title, paper in ((FORMULA, "DS 1/2026"), ("Tagespflege ausbauen", "DS 2/2026")):
        m = service.promote([cluster.id], MeasureInput(title=title, status="im Ausschuss", responsible="Jugendamt"))
        service.record_decision(m.id, DecisionInput(paper=paper), m.version)
    yield service
    store.close()


def test_measures_prints_the_register_and_exports_csv_and_xlsx(
    env: dict[str, str], register: ReviewService, tmp_path: Path
) -> None:
    shown = _invoke(env, "measures", "-c", CONFERENCE)
    assert shown.exit_code == 0, shown.output
    assert "Maßnahmenregister" in shown.stdout and "Tagespflege ausbauen" in shown.stdout

    out = tmp_path / "register.csv"
    exported = _invoke(env, "measures", "-c", CONFERENCE, "--out", str(out))
    assert exported.exit_code == 0, exported.output
    assert "2 Maßnahmen nach" in exported.stdout
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert [r["Titel"] for r in rows] == ["'" + FORMULA, "Tagespflege ausbauen"]
    assert rows[0]["Status"] == "im Ausschuss" and rows[0]["Fortschritt (%)"] == "10"

    xlsx = tmp_path / "register.xlsx"
    assert _invoke(env, "measures", "-c", CONFERENCE, "--out", str(xlsx), "--status", "im Ausschuss").exit_code == 0
    sheet = load_workbook(xlsx).active
    assert sheet.cell(row=2, column=2).value == "'" + FORMULA and sheet.max_row == 3

    refused = _invoke(env, "measures", "-c", CONFERENCE, "--out", str(tmp_path / "register.pdf"))
    assert refused.exit_code == 1 and "Bitte als .csv oder .xlsx exportieren" in refused.stderr
    unknown = _invoke(env, "measures", "-c", CONFERENCE, "--status", "erledigt")
    assert unknown.exit_code == 1 and "Unbekannter Status 'erledigt'" in unknown.stderr


def test_decisions_sets_statuses_and_a_bad_file_writes_nothing(
    env: dict[str, str], register: ReviewService, tmp_path: Path
) -> None:
    bad = tmp_path / "falsch.csv"
    bad.write_text("Drucksachen-Nr.;Ergebnis;Datum\nDS 1/2026;beschlossen;18.03.2026\nDS 2/2026;kaputt;18.03.2026\n",
                   encoding="utf-8")
    refused = _invoke(env, "decisions", "-c", CONFERENCE, str(bad), "--name", "Herr Brandt")
    assert refused.exit_code == 1
    assert "Zeile 3: Unbekanntes Ergebnis „kaputt“" in refused.stderr
    assert "es wurde nichts gespeichert" in refused.stderr
    assert {m.status for m in register.register()} == {"im Ausschuss"}

    good = tmp_path / "beschluesse.csv"
    good.write_bytes("Drucksachen-Nr.;Ergebnis;Datum\nDS 1/2026;beschlossen;18.03.2026\n"
                     "DS 2/2026;zurückgestellt;2026-03-18\n".encode("cp1252"))
    done = _invoke(env, "decisions", "-c", CONFERENCE, str(good), "--name", "Herr Brandt")
    assert done.exit_code == 0, done.output
    assert "2 Beschluss/Beschlüsse eingetragen" in done.stdout
    assert [m.status for m in register.register()] == ["beschlossen", "zurückgestellt"]
    assert {e.actor for e in register.events() if e.action == "measure_decision"} >= {"Herr Brandt"}

    again = _invoke(env, "decisions", "-c", CONFERENCE, str(good), "--name", "Herr Brandt")
    assert again.exit_code == 0 and "0 Beschluss/Beschlüsse eingetragen, 2 schon vorhanden" in again.stdout
