"""Broken storage set-ups raise one German StorageError that names the problem and the fix.

Each set-up of issue 9 that this machine can make is made for real: a closed port,
an unknown host, a wrong database or role on the test PostgreSQL server, unparsable
URLs, a SQLite path under a file, a file that is no database, a folder instead of a
file, a read-only database, a schema from a newer release, a full disk (a tiny
tmpfs where mounting works) and a database locked by a second writer.
"""

from __future__ import annotations

import errno
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from models.errors import StorageError, TatenError
from models.records import Conference
from models.storage_errors import display_url, storage_error
from models.store import Store
from local_postgres import free_port  # scripts/, put on the path by tests/conftest.py

PASSWORD = "Geheim-Passwort-42"


def _open_fails(url: str) -> str:
    with pytest.raises(StorageError) as error:
        Store(url)
    message = str(error.value)
    assert isinstance(error.value, TatenError)
    assert "\n" not in message, "one line"
    assert PASSWORD not in message, "never the password"
    return message


# -- URLs ---------------------------------------------------------------------


@pytest.mark.parametrize("url", [
    f"postgresql+psycopg://taten:{PASSWORD}@server:port/taten",
    "keine-url",
    f"postgres://taten:{PASSWORD}@localhost/taten",
])
def test_unparsable_url_is_named_without_its_password(url: str) -> None:
    message = _open_fails(url)
    assert message.startswith("Die Datenbank-URL „")
    assert "ist ungültig" in message and "postgresql+psycopg://" in message  # an example of a valid one


def test_display_url_hides_the_password() -> None:
    assert PASSWORD not in display_url(f"postgresql+psycopg://taten:{PASSWORD}@db:5432/taten")
    assert PASSWORD not in display_url(f"postgresql+psycopg://taten:{PASSWORD}@db:nope/taten")


# -- PostgreSQL -----------------------------------------------------------------


def test_closed_port_says_the_server_takes_no_connection() -> None:
    port = free_port()
    message = _open_fails(f"postgresql+psycopg://taten:{PASSWORD}@127.0.0.1:{port}/taten")
    assert message.startswith(f"PostgreSQL auf 127.0.0.1:{port} nimmt keine Verbindung an")


def test_unknown_host_fails_fast_and_names_the_host() -> None:
    started = time.monotonic()
    message = _open_fails(f"postgresql+psycopg://taten:{PASSWORD}@gibt-es-nicht.invalid/taten")
    assert time.monotonic() - started < 15
    assert "„gibt-es-nicht.invalid“" in message and "Servernamen" in message


def test_server_that_does_not_answer_times_out_after_a_few_seconds() -> None:
    """A port that accepts TCP but never speaks PostgreSQL (a hung server, a wrong service)."""
    import socket

    from models.store import CONNECT_TIMEOUT_S

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # never accepted: the handshake completes, no answer ever comes
        port = silent.getsockname()[1]
        started = time.monotonic()
        message = _open_fails(f"postgresql+psycopg://taten:{PASSWORD}@127.0.0.1:{port}/taten")
        waited = time.monotonic() - started
    assert message.startswith(f"PostgreSQL auf 127.0.0.1:{port} antwortet nicht")
    assert CONNECT_TIMEOUT_S <= 10 and waited < CONNECT_TIMEOUT_S * 3


@pytest.mark.postgres
def test_wrong_database_is_named_with_how_to_create_it(postgres_url: str) -> None:
    message = _open_fails(postgres_url.rsplit("/", 1)[0] + "/gibt_es_nicht")
    assert "Die Datenbank „gibt_es_nicht“ gibt es auf 127.0.0.1:" in message
    assert "createdb gibt_es_nicht" in message


@pytest.mark.postgres
def test_wrong_role_is_refused_without_showing_the_password(postgres_url: str) -> None:
    url = postgres_url.replace("taten@", f"niemand:{PASSWORD}@")
    message = _open_fails(url)
    assert "Benutzer „niemand“" in message and "Passwort" in message


# -- SQLite ---------------------------------------------------------------------


def test_sqlite_path_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "datei").write_text("x")
    message = _open_fails(f"sqlite:///{tmp_path / 'datei' / 'unter' / 'taten.sqlite'}")
    assert f"„{tmp_path / 'datei'}“ ist eine Datei, kein Ordner" in message


def test_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notizen.sqlite"
    path.write_text("Das ist eine Textdatei und keine Datenbank. " * 50)
    message = _open_fails(f"sqlite:///{path}")
    assert message.startswith(f"„{path}“ ist keine SQLite-Datenbank")
    assert path.read_text().startswith("Das ist"), "the file is left alone"


def test_folder_instead_of_a_file(tmp_path: Path) -> None:
    (tmp_path / "ordner.sqlite").mkdir()
    message = _open_fails(f"sqlite:///{tmp_path / 'ordner.sqlite'}")
    assert "ist ein Ordner, keine Datei" in message


def test_schema_of_a_newer_release_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'neu.sqlite'}"
    Store(url).close()
    with sqlite3.connect(tmp_path / "neu.sqlite") as db:
        db.execute("UPDATE alembic_version SET version_num = '0099_aus_der_zukunft'")
    message = _open_fails(url)
    assert "„0099_aus_der_zukunft“ einer neueren Taten-Version" in message and "aktualisieren" in message


def test_read_only_database_refuses_writes_with_a_german_message(tmp_path: Path) -> None:
    path = tmp_path / "nur-lesen.sqlite"
    Store(f"sqlite:///{path}").close()
    store = Store(f"sqlite:///file:{path}?mode=ro&uri=true")  # opened read-only, as a read-only file would be
    try:
        assert store.conferences() == []
        with pytest.raises(StorageError, match="ist schreibgeschützt. Bitte Schreibrechte"):
            with store.transaction() as session:
                session.add(Conference(name="Neu"))
    finally:
        store.close()


def test_database_locked_by_another_writer(tmp_path: Path) -> None:
    path = tmp_path / "gesperrt.sqlite"
    store = Store(f"sqlite:///{path}?timeout=0.2")
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StorageError) as error:
            with store.transaction() as session:
                session.add(Conference(name="Neu"))
        assert str(error.value).startswith(f"„{path}“ ist gesperrt: ein anderes Programm schreibt")
    finally:
        other.execute("ROLLBACK")
        other.close()
    with store.transaction() as session:  # usable again once the other writer is done
        session.add(Conference(name="Neu"))
    assert [c.name for c in store.conferences()] == ["Neu"]
    store.close()


def _mount_tmpfs(tmp_path: Path, size: str) -> Iterator[Path]:
    mount = tmp_path / "laufwerk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here; the translation tests of the same errno cover it")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs (needs the right to mount; skipped elsewhere)."""
    yield from _mount_tmpfs(tmp_path, "64k")


@pytest.fixture
def read_only_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs holding a Taten database, then remounted read-only (works for root too)."""
    for mount in _mount_tmpfs(tmp_path, "8m"):
        Store(f"sqlite:///{mount / 'taten.sqlite'}").close()
        done = subprocess.run(["mount", "-o", "remount,ro", str(mount)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip("cannot remount read-only here")
        yield mount


def test_database_on_a_read_only_file_system(read_only_disk: Path) -> None:
    new = _open_fails(f"sqlite:///{read_only_disk / 'neu.sqlite'}")
    assert new.startswith(f"„{read_only_disk / 'neu.sqlite'}“ kann nicht angelegt werden: der Ordner „{read_only_disk}“")
    existing = _open_fails(f"sqlite:///{read_only_disk / 'taten.sqlite'}")
    assert "kann nicht geöffnet werden: die Datei oder ihr Ordner" in existing and "Schreibrechte" in existing


def test_full_disk_says_so(tiny_disk: Path) -> None:
    url = f"sqlite:///{tiny_disk / 'taten.sqlite'}"
    with pytest.raises(StorageError, match="Kein Speicherplatz mehr") as error:
        store = Store(url)  # the schema alone may not fit
        try:
            for n in range(200):
                with store.transaction() as session:
                    session.add(Conference(name=f"Konferenz {n} " + "x" * 2000))
        finally:
            store.close()
    assert "\n" not in str(error.value)


def test_enospc_while_creating_the_folder_is_a_full_disk() -> None:
    error = storage_error(OSError(errno.ENOSPC, "No space left on device", "/daten/taten"),
                          "sqlite:////daten/taten/taten.sqlite", opening=True)
    assert error is not None and str(error).startswith("Kein Speicherplatz mehr für „/daten/taten“")


def test_errors_of_the_body_pass_unchanged(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'ok.sqlite'}")
    try:
        with pytest.raises(ValueError, match="eigener Fehler"):
            with store.transaction():
                raise ValueError("eigener Fehler")
    finally:
        store.close()
