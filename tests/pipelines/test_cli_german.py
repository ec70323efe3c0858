"""The command line speaks German to the end: help, usage errors, progress, early errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.cli_german import german_error

COMMANDS = ["setup", "import", "analyse", "concerns", "export", "cluster", "demo", "ui"]
ENGLISH = ["Show this message", "Usage:", "Options", "Commands", "Arguments", "[default:", "[required]",
           "Missing", "Try '", "Error", "[OPTIONS]"]


@pytest.fixture
def env(taten_home: Path) -> dict[str, str]:
    return {"TATEN_HOME": str(taten_home), "TATEN_EMBEDDING__MODEL": "hashing", "COLUMNS": "200"}


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_help_of_every_command_is_german(command: list[str], env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env=env)
    assert result.exit_code == 0, result.output
    assert "Diese Hilfe anzeigen und beenden." in result.output
    assert "Aufruf: " in result.output and "Optionen" in result.output
    assert [word for word in ENGLISH if word in result.output] == []


@pytest.mark.parametrize(("args", "german"), [
    (["concerns"], "Es fehlt die Option '--conference' / '-c'."),
    (["concerns", "-c", "x", "--top", "viele"], "Ungültiger Wert für '--top': Bitte eine ganze Zahl angeben."),
    (["concerns", "--conferenz", "x"], "Die Option --conferenz gibt es nicht. Meinten Sie --conference?"),
    (["analyse", "-c", "x", "--k"], "Die Option '--k' braucht einen Wert."),
    (["export", "-c", "x", "--out", "a.csv", "zuviel"], "Unerwartete zusätzliche Angabe (zuviel)."),
    (["analysieren"], "Den Befehl 'analysieren' gibt es nicht."),
    (["analyze"], "Den Befehl 'analyze' gibt es nicht. Meinten Sie 'analyse'?"),
])
def test_usage_errors_are_german(args: list[str], german: str, env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 2
    assert german in result.output
    assert "Fehler" in result.output
    assert [word for word in ENGLISH if word in result.output] == []


def test_an_unknown_usage_error_stays_as_it_was() -> None:
    assert german_error("Something new went wrong.") == "Something new went wrong."


def test_analyse_reports_an_unknown_conference_before_loading_a_model(taten_home: Path) -> None:
    """A model path that does not exist: had the models loaded first, that would be the error."""
    env = {"TATEN_HOME": str(taten_home), "TATEN_EMBEDDING__MODEL": str(taten_home / "kein-modell")}
    result = CliRunner().invoke(app, ["analyse", "--conference", "Gibt es nicht"], env=env)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Fehler: Konferenz 'Gibt es nicht' gibt es nicht")
    assert "kein-modell" not in result.output


def test_analyse_shows_embedding_progress_with_a_rate_on_stderr(env: dict[str, str],
                                                                small_conference_csv: Path) -> None:
    runner = CliRunner()
    imported = runner.invoke(app, ["import", str(small_conference_csv), "-c", "Kleine Konferenz"], env=env)
    assert imported.exit_code == 0, imported.output
    result = runner.invoke(app, ["analyse", "-c", "Kleine Konferenz"], env=env)
    assert result.exit_code == 0, result.output
    progress = [line for line in result.stderr.splitlines() if "einbetten" in line]
    assert progress and progress[-1].startswith("Analyse: einbetten 30 von 30 Beiträgen, ")
    assert progress[-1].endswith(" Beiträge/s")
    assert "einbetten" not in result.stdout, "progress goes to stderr, the results to stdout"
