"""``taten concerns --district`` (indicators beside the city, voices and data) and ``taten report`` with the map."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.cli import app

CONFERENCE = "Kleine Konferenz"


@pytest.fixture
def analysed(taten_home: Path, small_conference_csv: Path) -> dict[str, str]:
    env = {"TATEN_HOME": str(taten_home), "TATEN_EMBEDDING__MODEL": "hashing"}
    runner = CliRunner()
    for args in (["import", str(small_conference_csv), "--conference", CONFERENCE], ["analyse", "-c", CONFERENCE]):
        result = runner.invoke(app, args, env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    return env


def test_concerns_for_a_district_show_indicators_and_the_demo_has_no_divergence_there(analysed) -> None:
    result = CliRunner().invoke(app, ["concerns", "-c", CONFERENCE, "--district", "Nord-Düren"], env=analysed,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())  # Rich wraps long lines
    assert "Indikatoren – Nord-Düren" in out and "SGB-II-Quote" in out and "21,6 %" in out and "12,3 %" in out
    assert "Stimmen und Daten – Nord-Düren" in out
    assert ("Blinde Flecken: Ein Indikator zu einem Thema der Konferenz liegt mindestens 1,5-mal so hoch wie in "
            "der Stadt") in out and "weniger als 5 % der Beiträge nennen den Sozialraum" in out
    # 7 of 30 notes name Nord-Düren, and its indicators show what they raise
    assert "→ Nord-Düren ist kein blinder Fleck." in out
    assert "→ Kein Anliegen für Nord-Düren ohne Beleg in den Daten." in out
    assert "Beispieldaten – fiktiv" in out and "Indikatoren" in out.split("Beispieldaten – fiktiv")[-1]


def test_concerns_for_a_district_name_the_blind_spot_and_unsupported_concerns_under_other_rules(
        analysed, tmp_path: Path, city_data_dir: Path) -> None:
    # Income now mapped to the share of people over 65 (lower in Nord-Düren than in the city),
    # and a district counts as seldom named below half of all notes.
    (city_data_dir / "indicators" / "themes.yml").write_text("themes:\n  Einkommen: [Anteil über 65 Jahren]\n"
                                                             "  Arbeit: [Arbeitslosenquote]\n", encoding="utf-8")
    config = tmp_path / "taten.yml"
    config.write_text(f"nlp:\n  data_dir: {city_data_dir}\ncomparison:\n  few_notes: 0.5\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(config), "concerns", "-c", CONFERENCE, "--district",
                                      "Nord-Düren"], env=analysed, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert "weniger als 50 % der Beiträge nennen den Sozialraum" in out
    assert ("→ Blinder Fleck: 7 Beiträge (23,3 %) nennen Nord-Düren, aber Arbeitslosenquote 12,9 % "
            "(Stadt 8,3 %).") in out
    assert "→ Ohne Beleg in den Daten: „" in out and "(Einkommen, " in out
    assert "Anteil über 65 Jahren 14,7 % (Stadt 20,1 %)" in out


def test_report_with_a_broken_map_file_stops_with_one_german_line(analysed, tmp_path: Path,
                                                                  city_data_dir: Path) -> None:
    (city_data_dir / "districts" / "dueren.geojson").write_text('{"type": "FeatureCollection", "features": [',
                                                                encoding="utf-8")
    config = tmp_path / "taten.yml"
    config.write_text(f"nlp:\n  data_dir: {city_data_dir}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--config", str(config), "report", "-c", CONFERENCE, "--out",
                                      str(tmp_path / "b.html")], env=analysed)
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("Fehler: Karte dueren.geojson ist kein gültiges GeoJSON (Zeile 1")
    assert "Traceback" not in result.output and not (tmp_path / "b.html").exists()


def test_report_from_the_command_line_carries_the_demo_map(analysed, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["report", "-c", CONFERENCE, "--out", str(tmp_path / "b.html")], env=analysed,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    html = (tmp_path / "b.html").read_text(encoding="utf-8")
    assert "<h3>Karte der Sozialräume</h3>" in html
    assert "<figcaption>Beispieldaten – fiktiv: schematische Flächen (dueren.geojson)" in html
