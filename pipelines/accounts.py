"""Built-in accounts, sign-in and sessions (``auth.mode = "accounts"``), and the role of a
person signed in through the city's identity provider (``auth.mode = "oidc"``).

- Passwords are stored as argon2 hashes, never as text; a password is read with a
  prompt or from stdin, never from the command line.
- Failed sign-ins are rows in the database (:class:`~models.records.SignInFailure`),
  counted per account and per client address over a window, so the limit holds across
  server processes. A refused attempt does not even check the password.
- A :class:`Session` ends after ``auth.idle_minutes`` without a click and
  ``auth.absolute_hours`` after its sign-in. :func:`check_session` re-reads the account
  on every page run, so a disabled account or a changed role takes effect at once,
  also in a session that is already signed in.
- Only :class:`AccountService`, as Leitung, changes accounts.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from collections.abc import Mapping
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from models.records import Account, SignInFailure
from models.store import Store
from pipelines.auth import PERMISSIONS, PUBLIC, Principal, requires
from pipelines.errors import InputError, PermissionDeniedError, SignInError
from pipelines.settings import AuthSettings

logger = logging.getLogger(__name__)

_HASHER = PasswordHasher()
# verified when the account does not exist, so an unknown name takes as long as a wrong password
_DUMMY_HASH = _HASHER.hash("taten-dummy-password")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,99}$")
WRONG = "Benutzername oder Passwort ist falsch."
DISABLED = "Das Konto {name} ist deaktiviert. Bitte die Leitung fragen."


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite returns naive datetimes


@dataclass(frozen=True)
class AccountView:
    """An account as the list shows it (never the hash)."""

    name: str
    role: str
    email: str | None
    disabled: bool
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True)
class Session:
    """Who is signed in in one browser session, and since when."""

    principal: Principal
    signed_in_at: datetime
    last_seen_at: datetime
    source: str  # "accounts" or "oidc"


def _by_name(session: Any, name: str) -> Account | None:
    """The account called ``name``, whatever its case (names are unique regardless of case)."""
    return session.scalar(select(Account).where(func.lower(Account.name) == name.strip().lower()))


def _view(account: Account) -> AccountView:
    return AccountView(account.name, account.role, account.email, account.disabled,
                       _aware(account.created_at), account.created_by)


class AccountService:
    """Accounts, changed by a principal whose role may manage them (Leitung).

    Args:
        store: the database.
        principal: who changes the accounts; the command line is :data:`~pipelines.auth.LOCAL_OPERATOR`.
        settings: the sign-in settings (the minimum password length).
    """

    def __init__(self, store: Store, principal: Principal, settings: AuthSettings | None = None) -> None:
        self.store = store
        self.principal = principal
        self.settings = settings or AuthSettings()

    def _password(self, password: str) -> str:
        if len(password) < self.settings.min_password_length:
            raise InputError(f"Das Passwort ist zu kurz: mindestens {self.settings.min_password_length} Zeichen.")
        if len(password) > 1000:
            raise InputError("Das Passwort ist zu lang (höchstens 1000 Zeichen).")
        return _HASHER.hash(password)

    @requires("accounts")
    def add(self, name: str, role: str, password: str, email: str | None = None) -> AccountView:
        """Create an account.

        Raises:
            InputError: bad name, unknown role, short password, name or e-mail taken.
        """
        name = name.strip()
        if not NAME_PATTERN.match(name):
            raise InputError(f"Ungültiger Benutzername „{name}“: 2–100 Zeichen, Buchstaben, Ziffern und . _ @ -.")
        roles = [r for r in PERMISSIONS if r != PUBLIC]  # the public reads without an account
        role = next((r for r in roles if r.casefold() == role.strip().casefold()), role)
        if role not in roles:
            raise InputError(f"Unbekannte Rolle „{role}“. Erlaubt: {', '.join(roles)}.")
        email = (email or "").strip().lower() or None
        hashed = self._password(password)
        try:
            with self.store.transaction() as session:
                if _by_name(session, name) is not None:
                    raise InputError(f"Ein Konto {name} gibt es schon.")
                account = Account(name=name, role=role, email=email, password_hash=hashed,
                                  created_by=self.principal.name, password_changed_at=datetime.now(UTC))
                session.add(account)
                session.flush()
                view = _view(account)
        except IntegrityError as exc:
            raise InputError(f"Das Konto {name} oder die E-Mail-Adresse {email} gibt es schon.") from exc
        logger.info("%s added account %s (%s)", self.principal.name, name, role)
        return view

    @requires("accounts")
    def accounts(self) -> list[AccountView]:
        with self.store.transaction() as session:
            return [_view(a) for a in session.scalars(select(Account).order_by(Account.name))]

    def _account(self, session: Any, name: str) -> Account:
        account = _by_name(session, name)
        if account is None:
            raise InputError(f"Ein Konto {name} gibt es nicht.")
        return account

    @requires("accounts")
    def disable(self, name: str) -> AccountView:
        """Disable an account; its open sessions end at their next click (see :func:`check_session`)."""
        with self.store.transaction() as session:
            account = self._account(session, name)
            account.disabled = True
            view = _view(account)
        logger.info("%s disabled account %s", self.principal.name, view.name)
        return view

    @requires("accounts")
    def reset_password(self, name: str, password: str) -> AccountView:
        """Set a new password (and enable the account again); the failed sign-ins of the account are forgotten."""
        hashed = self._password(password)
        with self.store.transaction() as session:
            account = self._account(session, name)
            account.password_hash, account.password_changed_at, account.disabled = hashed, datetime.now(UTC), False
            session.execute(delete(SignInFailure).where(SignInFailure.key == _account_key(account.name)))
            view = _view(account)
        logger.info("%s reset the password of account %s", self.principal.name, view.name)
        return view


def _account_key(name: str) -> str:
    return f"account:{name.strip().lower()}"[:250]


def _client_key(client: str | None) -> str:
    return f"client:{client or 'unbekannt'}"[:250]


def sign_in(store: Store, settings: AuthSettings, name: str, password: str, client: str | None,
            now: datetime | None = None) -> Session:
    """Check a name and password; a session on success.

    Raises:
        SignInError: too many failed attempts for the account or the client (checked
            first, before the password), a wrong name or password, a disabled account.
    """
    now = _now(now)
    since = now - timedelta(minutes=settings.failure_window_minutes)
    keys = {_account_key(name): settings.max_failures_per_account, _client_key(client): settings.max_failures_per_client}
    with store.transaction() as session:
        for key, limit in keys.items():
            count = session.scalar(select(func.count()).select_from(SignInFailure).where(
                SignInFailure.key == key, SignInFailure.at >= since))
            if count >= limit:
                logger.warning("Sign-in refused: too many failures for %s", key.split(":", 1)[0])
                raise SignInError(f"Zu viele fehlgeschlagene Anmeldungen. Bitte in "
                                  f"{settings.failure_window_minutes:g} Minuten erneut versuchen.")
        account = _by_name(session, name)
        hashed = account.password_hash if account is not None else None
        if not (_verify(hashed or _DUMMY_HASH, password) and hashed):
            session.add_all(SignInFailure(key=key, at=now) for key in keys)
            failed = True
        else:
            failed = False
            session.execute(delete(SignInFailure).where(SignInFailure.key == _account_key(name)))
            if account.disabled:
                raise SignInError(DISABLED.format(name=account.name))
            principal = Principal(account.name, account.role)
    if failed:  # the failure rows are committed before the refusal
        logger.info("Failed sign-in")
        raise SignInError(WRONG)
    logger.info("Signed in: %s (%s)", principal.name, principal.role)
    return Session(principal, now, now, "accounts")


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def check_session(store: Store, settings: AuthSettings, current: Session, now: datetime | None = None) -> Session:
    """The session after one more click: refreshed, or ended.

    The account is read again (for ``accounts`` and for OIDC people who got their role
    from a Taten account), so disabling it or changing its role takes effect at once.

    Raises:
        SignInError: idle too long, signed in too long ago, or the account is disabled or gone.
    """
    now = _now(now)
    if now - current.last_seen_at > timedelta(minutes=settings.idle_minutes):
        raise SignInError(f"Die Sitzung ist nach {settings.idle_minutes:g} Minuten ohne Aktivität abgelaufen. "
                          "Bitte neu anmelden.")
    if now - current.signed_in_at > timedelta(hours=settings.absolute_hours):
        raise SignInError(f"Die Sitzung ist nach {settings.absolute_hours:g} Stunden abgelaufen. Bitte neu anmelden.")
    principal = current.principal
    if current.source == "accounts":
        with store.transaction() as session:
            account = session.scalar(select(Account).where(Account.name == principal.name))
            if account is None or account.disabled:
                raise SignInError(DISABLED.format(name=principal.name))
            principal = Principal(account.name, account.role)
    return replace(current, principal=principal, last_seen_at=now)


def oidc_principal(store: Store, settings: AuthSettings, user: Mapping[str, Any]) -> Principal:
    """The principal of a person the city's identity provider signed in (``st.user`` as a mapping).

    The role comes from the claim ``settings.oidc_role_claim`` (a string or a list)
    mapped through ``settings.oidc_roles``; the strongest mapped role wins. Without
    one, the role of an enabled Taten account with the same e-mail address.

    Raises:
        PermissionDeniedError: no role for this person, or their Taten account is disabled.
    """
    email = str(user.get("email") or "").strip().lower()
    name = str(user.get("name") or email or user.get("sub") or "").strip()[:100]
    claim = user.get(settings.oidc_role_claim) or []
    values = [claim] if isinstance(claim, str) else [str(v) for v in claim] if isinstance(claim, list) else []
    mapped = {settings.oidc_roles[v] for v in values if v in settings.oidc_roles}
    with store.transaction() as session:
        account = session.scalar(select(Account).where(Account.email == email)) if email else None
        if account is not None and account.disabled:
            raise PermissionDeniedError(DISABLED.format(name=account.name))
        if account is not None:
            name = account.name
    for role in PERMISSIONS:  # strongest first
        if role in mapped:
            return Principal(name or "unbekannt", role)
    if account is not None:
        return Principal(account.name, account.role)
    raise PermissionDeniedError(
        f"Für {email or name or 'diese Anmeldung'} ist in Taten keine Rolle hinterlegt. Bitte die Leitung, "
        "eine Rolle im Identitätsdienst zuzuweisen oder ein Taten-Konto mit dieser E-Mail-Adresse anzulegen.")
