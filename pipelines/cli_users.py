"""``taten user …``: the built-in accounts (for ``auth.mode = "accounts"``).

The command line acts as :data:`~pipelines.auth.LOCAL_OPERATOR` (Leitung): whoever
has a shell on the server may manage accounts. A password is never an argument (it
would stay in the shell history and the process list): it is asked for twice at a
terminal, or read as one line from stdin (``echo … | taten user add …``).
"""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from pipelines import cli_german
from pipelines.auth import LOCAL_OPERATOR
from pipelines.errors import InputError

user_app = typer.Typer(cls=cli_german.GermanGroup, no_args_is_help=True,
                       help="Konten der eingebauten Anmeldung verwalten (auth.mode: accounts).")


def _command(name: str):  # noqa: ANN202 - a decorator
    return user_app.command(name, cls=cli_german.GermanCommand)


def read_password() -> str:
    """The new password: asked twice at a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        first = getpass.getpass("Neues Passwort: ")
        if getpass.getpass("Passwort wiederholen: ") != first:
            raise InputError("Die beiden Passwörter stimmen nicht überein. Nichts wurde geändert.")
        return first
    line = sys.stdin.readline()
    if not line:
        raise InputError("Kein Passwort erhalten: bitte eingeben oder als eine Zeile über stdin übergeben.")
    return line.rstrip("\r\n")


def _service():  # noqa: ANN202
    from models.store import Store
    from pipelines.accounts import AccountService
    from pipelines.cli import _settings

    settings = _settings()
    return AccountService(Store(settings.db_url), LOCAL_OPERATOR, settings.auth)


def _run(action) -> None:  # noqa: ANN001
    from pipelines.cli import _run as run

    run(action)


def _say(text: str) -> None:
    from pipelines.cli import console

    console.print(text, highlight=False, soft_wrap=True)


@_command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="Benutzername, z. B. a.amt.")],
    role: Annotated[str, typer.Option("--role", "-r", help="Rolle: Leitung, Sachbearbeitung oder Ausschuss.")],
    email: Annotated[str | None, typer.Option(
        help="E-Mail-Adresse: verbindet eine Anmeldung über den Identitätsdienst der Stadt mit dieser Rolle.")] = None,
) -> None:
    """Legt ein Konto an. Das Passwort wird abgefragt (oder als eine Zeile von stdin gelesen)."""

    def action() -> None:
        service = _service()
        account = service.add(name, role, read_password(), email)
        _say(f"Konto {account.name} mit der Rolle {account.role} angelegt.")

    _run(action)


@_command("list")
def list_command() -> None:
    """Zeigt alle Konten mit Rolle und Zustand (nie Passwörter)."""

    def action() -> None:
        accounts = _service().accounts()
        if not accounts:
            _say("Noch keine Konten. Anlegen mit: taten user add NAME --role Leitung")
        for a in accounts:
            state = "deaktiviert" if a.disabled else "aktiv"
            _say(f"{a.name}\t{a.role}\t{a.email or '–'}\t{state}\tangelegt {a.created_at:%d.%m.%Y}")

    _run(action)


@_command("disable")
def disable_command(name: Annotated[str, typer.Argument(help="Benutzername.")]) -> None:
    """Deaktiviert ein Konto; angemeldete Sitzungen enden beim nächsten Klick."""

    def action() -> None:
        account = _service().disable(name)
        _say(f"Konto {account.name} ist deaktiviert.")

    _run(action)


@_command("reset-password")
def reset_password_command(name: Annotated[str, typer.Argument(help="Benutzername.")]) -> None:
    """Setzt ein neues Passwort (abgefragt oder von stdin) und aktiviert das Konto wieder."""

    def action() -> None:
        service = _service()
        account = service.reset_password(name, read_password())
        _say(f"Neues Passwort für {account.name} gesetzt; das Konto ist aktiv.")

    _run(action)
