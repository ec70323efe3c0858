"""German messages for failures at the storage boundary.

:func:`storage_error` turns what SQLAlchemy, psycopg, sqlite3, Alembic or the
operating system raise while a database is opened or written into a
:class:`~models.errors.StorageError` that names the problem and its fix. The
password of a URL never appears in a message: URLs are shown through
:func:`display_url`, and driver text is scrubbed of the password as well.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError, OperationalError

from models.errors import StorageError

EXAMPLE_URLS = "sqlite:///pfad/taten.sqlite oder postgresql+psycopg://benutzer@server:5432/taten"
_PASSWORD_IN_URL = re.compile(r"(//[^:/@]*:)[^@]*@")


def display_url(url: str) -> str:
    """``url`` fit for a message: the password replaced by ``***``, even when unparsable."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001  (an unparsable URL still gets masked below)
        return _PASSWORD_IN_URL.sub(r"\1***@", url)


def _password(url: str) -> str | None:
    try:
        return make_url(url).password
    except Exception:  # noqa: BLE001
        match = _PASSWORD_IN_URL.search(url)
        return match.group(0)[len(match.group(1)) : -1] if match else None


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None for other databases and ``:memory:``."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    database = parsed.database
    return Path(database.removeprefix("file:").split("?", 1)[0])


def _first_line(exc: BaseException) -> str:
    """The driver's own message, without SQLAlchemy's background link."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0].strip() if text else type(exc).__name__


def _scrub(text: str, url: str) -> str:
    password = _password(url)
    return text.replace(password, "***") if password else text


def _file_in_the_way(path: Path) -> Path | None:
    """The existing file that stands where a folder of ``path`` should be."""
    for candidate in [path, *path.parents]:
        if candidate.exists() or candidate.is_symlink():
            return None if candidate.is_dir() else candidate
    return None


def _os_error(exc: OSError, url: str) -> str:
    path = sqlite_path(url)
    where = f"„{exc.filename}“" if exc.filename else (f"„{path}“" if path else "die Datenbank")
    if exc.errno == errno.ENOSPC:
        return (f"Kein Speicherplatz mehr für {where}. Bitte auf dem Laufwerk Platz schaffen "
                "oder eine Datenbank auf einem anderen Laufwerk angeben (--database).")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (f"Keine Schreibrechte für {where}. Bitte Schreibrechte geben oder einen anderen Ort wählen "
                "(TATEN_HOME oder --database).")
    if exc.errno in (errno.EEXIST, errno.ENOTDIR):
        blocking = _file_in_the_way(Path(exc.filename)) if exc.filename else None
        where = f"„{blocking}“" if blocking else where
        return (f"Der Ordner für die Datenbank kann nicht angelegt werden: {where} ist eine Datei, kein Ordner. "
                "Bitte einen anderen Pfad angeben (TATEN_HOME oder --database).")
    return f"Die Datenbank {display_url(url)} ist nicht erreichbar: {exc.strerror or exc}."


def _sqlite_message(exc: DBAPIError, url: str) -> str | None:
    path = sqlite_path(url)
    text = _first_line(exc).lower()
    name = f"„{path}“" if path else "Die SQLite-Datenbank"
    if "file is not a database" in text or "malformed" in text:
        return (f"{name} ist keine SQLite-Datenbank (oder beschädigt). Bitte eine andere Datei angeben "
                "(--database sqlite:///pfad/taten.sqlite) oder diese Datei umbenennen.")
    if "unable to open database file" in text:
        if path is not None and path.is_dir():
            return (f"{name} ist ein Ordner, keine Datei. Bitte den Pfad einer Datei angeben, "
                    "z. B. --database sqlite:///pfad/taten.sqlite.")
        folder = path.parent if path is not None else None
        if path is not None and path.exists():
            return (f"{name} kann nicht geöffnet werden: die Datei oder ihr Ordner „{folder}“ ist nicht "
                    "beschreibbar (SQLite braucht beide). Bitte Schreibrechte geben oder eine andere "
                    "Datenbank wählen (--database).")
        return (f"{name} kann nicht angelegt werden: der Ordner „{folder}“ ist nicht beschreibbar. Bitte "
                "Schreibrechte geben oder einen anderen Ort wählen (TATEN_HOME oder --database).")
    if "readonly" in text or "read-only" in text:
        return (f"{name} ist schreibgeschützt. Bitte Schreibrechte für die Datei und ihren Ordner geben "
                "oder eine andere Datenbank wählen (--database).")
    if "locked" in text or "busy" in text:
        return (f"{name} ist gesperrt: ein anderes Programm schreibt gerade hinein. Bitte warten und es "
                "erneut versuchen, oder das andere Programm beenden.")
    if "disk is full" in text or "disk full" in text:
        return (f"Kein Speicherplatz mehr für {name}. Bitte auf dem Laufwerk Platz schaffen "
                "oder eine Datenbank auf einem anderen Laufwerk angeben (--database).")
    if "disk i/o error" in text:
        return f"Lese- oder Schreibfehler bei {name}. Bitte Laufwerk und freien Platz prüfen."
    return None


def _postgres_message(exc: DBAPIError, url: str) -> str | None:
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001
        return None
    host, port = parsed.host or "localhost", parsed.port or 5432
    text = _first_line(exc)
    lower = text.lower()
    if "connection refused" in lower:
        return (f"PostgreSQL auf {host}:{port} nimmt keine Verbindung an. Bitte prüfen, ob der Server läuft "
                "und Host und Port in der Datenbank-URL stimmen.")
    if "resolve host" in lower or "translate host name" in lower or "name or service not known" in lower:
        return f"Den Datenbankserver „{host}“ gibt es nicht. Bitte den Servernamen in der Datenbank-URL prüfen."
    if "timeout" in lower or "timed out" in lower:
        return (f"PostgreSQL auf {host}:{port} antwortet nicht. Bitte Netzwerk, Firewall und Host in der "
                "Datenbank-URL prüfen.")
    database = re.search(r'database "([^"]+)" does not exist', text)
    if database:
        return (f"Die Datenbank „{database.group(1)}“ gibt es auf {host}:{port} nicht. Bitte den Namen in der "
                f"Datenbank-URL prüfen oder sie anlegen (createdb {database.group(1)}).")
    role = re.search(r'role "([^"]+)" does not exist', text)
    if role or "authentication failed" in lower or "no pg_hba.conf entry" in lower:
        user = role.group(1) if role else parsed.username
        return (f"PostgreSQL auf {host}:{port} lässt den Benutzer „{user}“ nicht zu. Bitte Benutzer und "
                "Passwort in der Datenbank-URL prüfen.")
    if "permission denied" in lower:
        return (f"Dem Benutzer „{parsed.username}“ fehlen Rechte in der Datenbank {display_url(url)}. "
                "Bitte Rechte geben lassen oder einen anderen Benutzer verwenden.")
    return None


def _rolled_back_for_retry(exc: DBAPIError) -> bool:
    """Deadlocks and serialisation failures (SQLSTATE class 40): the caller may retry them."""
    return str(getattr(getattr(exc, "orig", None), "sqlstate", "") or "").startswith("40")


def storage_error(exc: BaseException, url: str, *, opening: bool = False) -> StorageError | None:
    """A German :class:`StorageError` for ``exc`` raised while using the database at ``url``.

    Args:
        exc: what the driver, SQLAlchemy, Alembic or the operating system raised.
        url: the database URL (shown without its password).
        opening: True while the store is opened; then URL, file system and any
            database error count. Inside a transaction only operational failures
            (locked, full, read-only, connection lost) and known driver messages do;
            constraint violations, deadlocks and programming errors pass unchanged.

    Returns:
        The error to raise, or None when ``exc`` is not a storage failure.
    """
    if isinstance(exc, StorageError):
        return exc
    if opening and isinstance(exc, (ArgumentError, NoSuchModuleError, ValueError)) and not isinstance(exc, DBAPIError):
        if isinstance(exc, NoSuchModuleError):
            detail = f"unbekannte Datenbankart „{display_url(url).split(':', 1)[0]}“"
        else:
            detail = _scrub(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, url)
        return StorageError(f"Die Datenbank-URL „{display_url(url)}“ ist ungültig ({detail}). "
                            f"Beispiele: {EXAMPLE_URLS}.")
    if opening and isinstance(exc, OSError):
        return StorageError(_scrub(_os_error(exc, url), url))
    if isinstance(exc, DBAPIError):
        if isinstance(exc, IntegrityError) or _rolled_back_for_retry(exc):
            return None
        message = _sqlite_message(exc, url) if sqlite_path(url) else _postgres_message(exc, url)
        if message is None and (opening or isinstance(exc, OperationalError)):
            message = f"Fehler der Datenbank {display_url(url)}: {_first_line(exc)}"
        return StorageError(_scrub(message, url)) if message else None
    return None
