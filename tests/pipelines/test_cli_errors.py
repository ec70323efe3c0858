"""Broken storage set-ups × ``import``/``concerns``: one German line on stderr, exit code 1.

The set-ups of issue 9 that this machine can make; disk full needs the right to
mount a tmpfs and is skipped without it (tests/models covers its errno).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.store import Store
from pipelines.cli import app
from local_postgres import free_port  # scripts/, put on the path by tests/conftest.py

CONFERENCE = "Kleine Konferenz"
PASSWORD = "Geheim-Passwort-42"


def _not_a_database(tmp: Path) -> str:
    (tmp / "notizen.sqlite").write_text("Nur Text. " * 200)
    return f"sqlite:///{tmp / 'notizen.sqlite'}"


def _folder(tmp: Path) -> str:
    (tmp / "ordner.sqlite").mkdir()
    return f"sqlite:///{tmp / 'ordner.sqlite'}"


def _under_a_file(tmp: Path) -> str:
    (tmp / "datei").write_text("x")
    return f"sqlite:///{tmp / 'datei' / 'taten.sqlite'}"


def _newer_schema(tmp: Path) -> str:
    url = f"sqlite:///{tmp / 'neu.sqlite'}"
    Store(url).close()
    with sqlite3.connect(tmp / "neu.sqlite") as db:
        db.execute("UPDATE alembic_version SET version_num = '0099_aus_der_zukunft'")
    return url


def _read_only(tmp: Path) -> str:
    Store(f"sqlite:///{tmp / 'ro.sqlite'}").close()
    return f"sqlite:///file:{tmp / 'ro.sqlite'}?mode=ro&uri=true"


# name → (make the URL in tmp_path, the words the error line must contain)
SETUPS: dict[str, tuple[Callable[[Path], str], str]] = {
    "closed port": (lambda _: f"postgresql+psycopg://taten:{PASSWORD}@127.0.0.1:{free_port()}/taten",
                    "nimmt keine Verbindung an"),
    "unknown host": (lambda _: f"postgresql+psycopg://taten:{PASSWORD}@gibt-es-nicht.invalid/taten",
                     "Den Datenbankserver „gibt-es-nicht.invalid“ gibt es nicht"),
    "unparsable URL": (lambda _: f"postgresql+psycopg://taten:{PASSWORD}@server:port/taten", "ist ungültig"),
    "SQLite under a file": (_under_a_file, "ist eine Datei, kein Ordner"),
    "not a database": (_not_a_database, "ist keine SQLite-Datenbank"),
    "folder instead of file": (_folder, "ist ein Ordner, keine Datei"),
    "newer schema": (_newer_schema, "einer neueren Taten-Version"),
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _one_error_line(result, words: str) -> str:  # noqa: ANN001
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Fehler: ") and words in lines[0], lines[0]
    assert "Traceback" not in result.output and PASSWORD not in result.output
    return lines[0]


@pytest.mark.parametrize("command", ["import", "concerns"])
@pytest.mark.parametrize("setup", list(SETUPS))
def test_broken_storage_is_one_german_line(runner: CliRunner, taten_home: Path, tmp_path: Path,
                                           small_conference_csv: Path, setup: str, command: str) -> None:
    make, words = SETUPS[setup]
    args = ["--database", make(tmp_path)]
    args += ["import", str(small_conference_csv), "-c", CONFERENCE] if command == "import" else \
            ["concerns", "-c", CONFERENCE]

    _one_error_line(runner.invoke(app, args, env={"TATEN_EMBEDDING__MODEL": "hashing"}), words)


@pytest.mark.postgres
@pytest.mark.parametrize("command", ["import", "concerns"])
@pytest.mark.parametrize("wrong", ["database", "role"])
def test_wrong_database_or_role_is_one_german_line(runner: CliRunner, taten_home: Path, postgres_url: str,
                                                  small_conference_csv: Path, wrong: str, command: str) -> None:
    if wrong == "database":
        url, words = postgres_url.rsplit("/", 1)[0] + "/gibt_es_nicht", "Die Datenbank „gibt_es_nicht“ gibt es"
    else:
        url, words = postgres_url.replace("taten@", f"niemand:{PASSWORD}@"), "lässt den Benutzer „niemand“ nicht zu"
    args = ["import", str(small_conference_csv), "-c", CONFERENCE] if command == "import" else \
           ["concerns", "-c", CONFERENCE]

    _one_error_line(runner.invoke(app, ["--database", url, *args]), words)


def test_read_only_database_refuses_the_import_and_still_shows_concerns(
    runner: CliRunner, taten_home: Path, tmp_path: Path, small_conference_csv: Path
) -> None:
    url = _read_only(tmp_path)
    env = {"TATEN_EMBEDDING__MODEL": "hashing"}

    _one_error_line(runner.invoke(app, ["--database", url, "import", str(small_conference_csv), "-c", CONFERENCE],
                                  env=env), "ist schreibgeschützt")
    _one_error_line(runner.invoke(app, ["--database", url, "concerns", "-c", CONFERENCE], env=env),
                    f"Konferenz '{CONFERENCE}'")


def test_database_locked_by_another_writer_is_one_german_line(
    runner: CliRunner, taten_home: Path, tmp_path: Path, small_conference_csv: Path
) -> None:
    path = tmp_path / "gesperrt.sqlite"
    Store(f"sqlite:///{path}").close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        result = runner.invoke(app, ["--database", f"sqlite:///{path}?timeout=0.2", "import",
                                     str(small_conference_csv), "-c", CONFERENCE],
                               env={"TATEN_EMBEDDING__MODEL": "hashing"})
    finally:
        other.execute("ROLLBACK")
        other.close()
    _one_error_line(result, "ist gesperrt: ein anderes Programm schreibt")


@pytest.mark.parametrize("command", ["import", "concerns"])
def test_unwritable_taten_home_is_one_german_line(runner: CliRunner, tmp_path: Path, small_conference_csv: Path,
                                                  monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    (tmp_path / "datei").write_text("x")
    monkeypatch.setenv("TATEN_HOME", str(tmp_path / "datei" / "taten"))
    monkeypatch.delenv("TATEN_DATABASE_URL", raising=False)
    args = ["import", str(small_conference_csv), "-c", CONFERENCE] if command == "import" else \
           ["concerns", "-c", CONFERENCE]

    line = _one_error_line(runner.invoke(app, args, env={"TATEN_EMBEDDING__MODEL": "hashing"}),
                           "ist eine Datei, kein Ordner")
    assert f"„{tmp_path / 'datei'}“" in line


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "klein"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                      capture_output=True, check=False).returncode != 0:
        pytest.skip("cannot mount a tmpfs here; tests/models covers ENOSPC")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


def test_full_disk_is_one_german_line(runner: CliRunner, taten_home: Path, tiny_disk: Path,
                                      small_conference_csv: Path) -> None:
    result = runner.invoke(app, ["--database", f"sqlite:///{tiny_disk / 'taten.sqlite'}", "import",
                                 str(small_conference_csv), "-c", CONFERENCE],
                           env={"TATEN_EMBEDDING__MODEL": "hashing"})
    _one_error_line(result, "Kein Speicherplatz mehr")


def test_real_process_prints_one_line_for_a_closed_port(taten_home: Path) -> None:
    environment = {**os.environ, "TATEN_HOME": str(taten_home), "TATEN_EMBEDDING__MODEL": "hashing",
                   "TATEN_DATABASE_URL": f"postgresql+psycopg://taten:{PASSWORD}@127.0.0.1:{free_port()}/taten"}

    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "concerns", "-c", CONFERENCE],
                          capture_output=True, text=True, env=environment, timeout=300)

    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("Fehler: PostgreSQL auf 127.0.0.1:") and PASSWORD not in line
