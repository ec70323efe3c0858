"""`taten ui` and `taten demo` start the workbench with the command's database."""

from __future__ import annotations

import inspect
import os
import signal
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


def _option(command: list[str], name: str) -> str:
    return command[command.index(f"--{name}") + 1]


def test_ui_listens_only_on_this_machine_unless_asked(started, taten_home: Path) -> None:
    CliRunner().invoke(cli.app, ["ui"], catch_exceptions=False)
    CliRunner().invoke(cli.app, ["ui", "--address", "0.0.0.0"], catch_exceptions=False)
    [(local, _), (opened, _)] = started
    assert _option(local, "server.address") == "127.0.0.1"
    assert _option(opened, "server.address") == "0.0.0.0"


def test_demo_listens_only_on_this_machine(started, taten_home: Path) -> None:
    result = CliRunner().invoke(cli.app, ["demo"], env={"TATEN_EMBEDDING__MODEL": "hashing"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    [(command, _)] = started
    assert _option(command, "server.address") == "127.0.0.1"


def test_workbench_asks_nothing_of_the_internet_and_shows_no_developer_menu(started, taten_home: Path) -> None:
    CliRunner().invoke(cli.app, ["ui"], catch_exceptions=False)
    [(command, _)] = started
    # Streamlit's greeting looks the public address up online (checkip.amazonaws.com) when headless.
    assert _option(command, "logger.hideWelcomeMessage") == "true"
    assert _option(command, "browser.gatherUsageStats") == "false"
    assert _option(command, "client.toolbarMode") == "minimal"


def test_streamlit_config_file_matches_the_options_of_taten_ui() -> None:
    import tomllib

    config = tomllib.loads((cli.UI_APP.parent.parent / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    flat = {f"{section}.{key}": value for section, values in config.items() for key, value in values.items()}
    as_text = {key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in flat.items()}
    assert as_text == {**cli.STREAMLIT_OPTIONS, "server.address": cli.LOOPBACK}


def test_streamlit_knows_every_option_we_pass() -> None:
    from streamlit import config

    assert set(cli.STREAMLIT_OPTIONS) <= set(config._config_options_template)


@pytest.mark.slow
def test_real_workbench_answers_on_loopback_only_and_prints_no_network_url(taten_home: Path) -> None:
    import socket
    import time
    import urllib.request

    from tests.conftest import free_port

    port = free_port()
    env = {**os.environ, "TATEN_HOME": str(taten_home), "TATEN_EMBEDDING__MODEL": "hashing"}
    process = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "ui", "--port", str(port)], env=env,
                               cwd=cli.UI_APP.parent.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)  # Strg+C reaches taten and Streamlit, as in a terminal
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "the workbench did not start"
                time.sleep(0.3)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:  # sends nothing: only picks a route
                probe.connect(("192.0.2.1", 9))
                own_address = probe.getsockname()[0]
        except OSError:  # no network at all: nothing else could reach it either
            own_address = "127.0.0.1"
        if own_address != "127.0.0.1":
            with pytest.raises(OSError):
                socket.create_connection((own_address, port), timeout=2).close()
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            output = process.communicate(timeout=30)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    assert f"http://localhost:{port}" in output
    assert "Network URL" not in output and "External URL" not in output
