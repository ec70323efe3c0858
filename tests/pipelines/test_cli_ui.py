"""`taten ui` and `taten demo` start the workbench with the command's database."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines import cli


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict[str, str]]]:
    calls: list[tuple[list[str], dict[str, str]]] = []

    def fake_run(command: list[str], env: dict[str, str], check: bool) -> subprocess.CompletedProcess:
        calls.append((command, env))
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(cli.subprocess, "run", fake_run)
    return calls


def test_ui_starts_streamlit_on_the_chosen_database(started, taten_home: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'werkbank.sqlite'}"
    result = CliRunner().invoke(cli.app, ["--database", url, "ui", "--port", "8765"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    [(command, env)] = started
    assert command[:4] == [sys.executable, "-m", "streamlit", "run"]
    assert Path(command[4]) == cli.UI_APP and cli.UI_APP.is_file()
    assert command[command.index("--server.port") + 1] == "8765"
    assert command[command.index("--server.headless") + 1] == "true"
    assert env["TATEN_DATABASE_URL"] == url
    assert "http://localhost:8765" in result.output


def test_a_failing_workbench_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch, taten_home: Path) -> None:
    monkeypatch.setattr(cli.subprocess, "run", lambda command, env, check: subprocess.CompletedProcess(command, 1))
    result = CliRunner().invoke(cli.app, ["ui"])
    assert result.exit_code == 1
    assert "Fehlercode 1" in result.output


def test_demo_opens_the_workbench_by_default() -> None:
    assert inspect.signature(cli.demo_command).parameters["ui"].default is True
