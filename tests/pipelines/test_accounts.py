"""Built-in accounts: argon2 hashes, sign-in, the rate limit across processes, sessions that
expire, disabled accounts, the role of an OIDC sign-in; and the ``taten user`` commands."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from models.records import Account
from models.store import Store
from pipelines.accounts import AccountService, check_session, oidc_principal, sign_in
from pipelines.auth import LOCAL_OPERATOR, Principal
from pipelines.cli import app
from pipelines.errors import InputError, PermissionDeniedError, SignInError
from pipelines.settings import AuthSettings

PASSWORD = "korrekt-pferd-batterie"
AUTH = AuthSettings(mode="accounts", max_failures_per_account=3, max_failures_per_client=5)
T0 = datetime(2026, 3, 18, 9, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def accounts(store: Store) -> AccountService:
    service = AccountService(store, LOCAL_OPERATOR, AUTH)
    service.add("a.amt", "Sachbearbeitung", PASSWORD, email="Anna.Amt@dueren.example")
    return service


def test_the_password_is_stored_as_an_argon2_hash_never_as_text(accounts: AccountService) -> None:
    with accounts.store.transaction() as session:
        stored = session.scalar(select(Account.password_hash).where(Account.name == "a.amt"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_sign_in_gives_a_session_with_the_accounts_role(accounts: AccountService) -> None:
    session = sign_in(accounts.store, AUTH, "A.Amt", PASSWORD, "10.0.0.1", now=T0)

    assert session.principal == Principal("a.amt", "Sachbearbeitung")
    assert (session.signed_in_at, session.last_seen_at, session.source) == (T0, T0, "accounts")


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(accounts: AccountService) -> None:
    with pytest.raises(SignInError) as wrong:
        sign_in(accounts.store, AUTH, "a.amt", "falsch-falsch-falsch", "10.0.0.1", now=T0)
    with pytest.raises(SignInError) as unknown:
        sign_in(accounts.store, AUTH, "niemand", PASSWORD, "10.0.0.2", now=T0)
    assert str(wrong.value) == str(unknown.value) == "Benutzername oder Passwort ist falsch."


def test_too_many_failures_lock_the_account_even_for_the_right_password_until_the_window_passes(
        accounts: AccountService, store_url: str) -> None:
    for i in range(3):
        with pytest.raises(SignInError, match="falsch"):
            sign_in(accounts.store, AUTH, "a.amt", f"falsch-{i}-xxxxxxx", f"10.0.0.{i}", now=T0)

    other_process = Store(store_url)  # another server process on the same database sees the failures
    try:
        with pytest.raises(SignInError, match="Zu viele fehlgeschlagene Anmeldungen"):
            sign_in(other_process, AUTH, "a.amt", PASSWORD, "10.0.0.9", now=T0 + timedelta(minutes=1))
    finally:
        other_process.close()
    later = T0 + timedelta(minutes=AUTH.failure_window_minutes + 1)
    assert sign_in(accounts.store, AUTH, "a.amt", PASSWORD, "10.0.0.9", now=later).principal.name == "a.amt"


def test_one_client_trying_many_names_is_stopped(accounts: AccountService) -> None:
    for i in range(5):
        with pytest.raises(SignInError, match="falsch"):
            sign_in(accounts.store, AUTH, f"name{i}", "egal-egal-egal", "10.6.6.6", now=T0)
    with pytest.raises(SignInError, match="Zu viele"):
        sign_in(accounts.store, AUTH, "a.amt", PASSWORD, "10.6.6.6", now=T0)
    assert sign_in(accounts.store, AUTH, "a.amt", PASSWORD, "10.0.0.1", now=T0).principal.name == "a.amt"


def test_the_limit_holds_across_processes(accounts: AccountService, store_url: str) -> None:
    code = ("import sys; from datetime import datetime, UTC; from models.store import Store; "
            "from pipelines.accounts import sign_in; from pipelines.settings import AuthSettings; "
            "from pipelines.errors import SignInError\n"
            "s = Store(sys.argv[1])\n"
            "for i in range(3):\n"
            "    try: sign_in(s, AuthSettings(max_failures_per_account=3), 'a.amt', 'falsch-falsch', 'x')\n"
            "    except SignInError: pass\n")
    subprocess.run([sys.executable, "-c", code, store_url], check=True, cwd=REPO, env={"PYTHONPATH": str(REPO)},
                   timeout=120)
    with pytest.raises(SignInError, match="Zu viele"):
        sign_in(accounts.store, AUTH, "a.amt", PASSWORD, "10.0.0.1")


def test_a_session_expires_when_idle_and_after_the_absolute_limit(accounts: AccountService) -> None:
    session = sign_in(accounts.store, AUTH, "a.amt", PASSWORD, "10.0.0.1", now=T0)
    step = timedelta(minutes=AUTH.idle_minutes - 1)

    t = T0
    while t - T0 < timedelta(hours=AUTH.absolute_hours) - step:  # clicks just within the idle time
        t += step
        session = check_session(accounts.store, AUTH, session, now=t)
        assert session.last_seen_at == t
    with pytest.raises(SignInError, match="Stunden abgelaufen"):
        check_session(accounts.store, AUTH, session, now=t + step)
    fresh = sign_in(accounts.store, AUTH, "a.amt", PASSWORD, "10.0.0.1", now=T0)
    with pytest.raises(SignInError, match="ohne Aktivität abgelaufen"):
        check_session(accounts.store, AUTH, fresh, now=T0 + timedelta(minutes=AUTH.idle_minutes + 1))


def test_a_disabled_account_is_refused_at_once_also_in_a_running_session(accounts: AccountService) -> None:
    session = sign_in(accounts.store, AUTH, "a.amt", PASSWORD, "10.0.0.1", now=T0)

    accounts.disable("a.amt")

    with pytest.raises(SignInError, match="deaktiviert"):
        check_session(accounts.store, AUTH, session, now=T0 + timedelta(seconds=1))
    with pytest.raises(SignInError, match="deaktiviert"):
        sign_in(accounts.store, AUTH, "a.amt", PASSWORD, "10.0.0.1", now=T0)
    accounts.reset_password("a.amt", "ein-ganz-neues-passwort")
    assert sign_in(accounts.store, AUTH, "a.amt", "ein-ganz-neues-passwort", "10.0.0.1").principal.name == "a.amt"


def test_a_changed_role_takes_effect_at_the_next_click(accounts: AccountService) -> None:
    session = sign_in(accounts.store, AUTH, "a.amt", PASSWORD, "10.0.0.1", now=T0)
    with accounts.store.transaction() as db:
        db.scalar(select(Account).where(Account.name == "a.amt")).role = "Ausschuss"

    assert check_session(accounts.store, AUTH, session, now=T0).principal.role == "Ausschuss"


def test_account_input_is_checked(accounts: AccountService) -> None:
    with pytest.raises(InputError, match="zu kurz"):
        accounts.add("b.buero", "Leitung", "kurz")
    with pytest.raises(InputError, match="gibt es schon"):
        accounts.add("A.AMT", "Leitung", PASSWORD)
    with pytest.raises(InputError, match="Unbekannte Rolle"):
        accounts.add("b.buero", "Öffentlichkeit", PASSWORD)
    with pytest.raises(InputError, match="Ungültiger Benutzername"):
        accounts.add("<script>", "Leitung", PASSWORD)
    assert accounts.add("b.buero", "leitung", PASSWORD).role == "Leitung"


def test_the_oidc_role_comes_from_the_claim_or_from_the_account_with_the_same_email(accounts: AccountService) -> None:
    settings = AuthSettings(mode="oidc", oidc_role_claim="groups",
                            oidc_roles={"taten-ausschuss": "Ausschuss", "taten-leitung": "Leitung"})
    store = accounts.store

    by_claim = oidc_principal(store, settings, {"email": "x@dueren.example", "name": "Xaver",
                                                "groups": ["andere", "taten-ausschuss", "taten-leitung"]})
    assert by_claim == Principal("Xaver", "Leitung")  # the strongest mapped role
    assert oidc_principal(store, settings, {"email": "y@dueren.example", "groups": "taten-ausschuss"}).role == "Ausschuss"
    by_account = oidc_principal(store, settings, {"email": "anna.amt@DUEREN.example", "name": "Anna"})
    assert by_account == Principal("a.amt", "Sachbearbeitung")
    with pytest.raises(PermissionDeniedError, match="keine Rolle"):
        oidc_principal(store, settings, {"email": "z@dueren.example", "groups": ["andere"]})
    accounts.disable("a.amt")
    with pytest.raises(PermissionDeniedError, match="deaktiviert"):
        oidc_principal(store, settings, {"email": "anna.amt@dueren.example"})


def test_an_unknown_role_in_the_oidc_mapping_fails_loudly() -> None:
    from pipelines.errors import ConfigError
    from pipelines.settings import load_settings

    with pytest.raises(ConfigError, match="unbekannte Rolle"):
        load_settings(auth={"oidc_roles": {"g": "Chef"}})


# -- taten user ------------------------------------------------------------------------


def _user(env: dict[str, str], *args: str, stdin: str | None = None):
    return CliRunner().invoke(app, ["user", *args], env=env, input=stdin, catch_exceptions=False)


def test_taten_user_commands_read_the_password_from_stdin_and_never_print_it(taten_home: Path) -> None:
    env = {"TATEN_HOME": str(taten_home)}

    added = _user(env, "add", "a.amt", "--role", "Sachbearbeitung", stdin=f"{PASSWORD}\n")
    assert added.exit_code == 0, added.output
    assert "Konto a.amt mit der Rolle Sachbearbeitung angelegt." in added.stdout
    listed = _user(env, "list")
    assert "a.amt" in listed.stdout and "aktiv" in listed.stdout and PASSWORD not in listed.stdout
    disabled = _user(env, "disable", "a.amt")
    assert disabled.exit_code == 0 and "deaktiviert" in _user(env, "list").stdout

    store = Store(f"sqlite:///{taten_home / 'taten.sqlite'}")
    try:
        with pytest.raises(SignInError, match="deaktiviert"):
            sign_in(store, AUTH, "a.amt", PASSWORD, "x")
        reset = _user(env, "reset-password", "a.amt", stdin="noch-ein-passwort-1\n")
        assert reset.exit_code == 0 and "Neues Passwort für a.amt" in reset.stdout
        assert sign_in(store, AUTH, "a.amt", "noch-ein-passwort-1", "x").principal.role == "Sachbearbeitung"
    finally:
        store.close()


def test_taten_user_errors_are_one_german_line(taten_home: Path) -> None:
    env = {"TATEN_HOME": str(taten_home)}

    short = _user(env, "add", "a.amt", "--role", "Leitung", stdin="kurz\n")
    assert short.exit_code == 1 and "Fehler: Das Passwort ist zu kurz" in short.stderr
    unknown = _user(env, "disable", "niemand")
    assert unknown.exit_code == 1 and "Ein Konto niemand gibt es nicht." in unknown.stderr
    nothing = _user(env, "add", "a.amt", "--role", "Leitung", stdin="")
    assert nothing.exit_code == 1 and "Kein Passwort erhalten" in nothing.stderr


def test_a_password_is_no_argument_of_taten_user(taten_home: Path) -> None:
    result = CliRunner().invoke(app, ["user", "add", "a.amt", "--role", "Leitung", "--password", PASSWORD],
                                env={"TATEN_HOME": str(taten_home)})
    assert result.exit_code != 0 and "--password" in result.output
