"""Sign-in to the workbench, before any page is drawn (see :mod:`pipelines.auth`).

:func:`gate` runs at the top of every run of ``ui/app.py``:

- ``auth.mode = "off"`` (the default, ``taten demo``): nobody signs in; the sidebar
  says so on every page, and the name field of the sidebar names the audit log's actor.
- ``"accounts"``: a sign-in form until a built-in account has signed in
  (:func:`pipelines.accounts.sign_in`); every later run checks the session again
  (idle and absolute timeouts, account disabled), so a disabled account is out at its next click.
- ``"oidc"``: the city's identity provider through ``st.login``; the role comes from
  a claim or a Taten account with the same e-mail (:func:`pipelines.accounts.oidc_principal`).

Until someone is signed in, the run stops here: no page, no sidebar, no conference name.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import streamlit as st

from pipelines.accounts import Session, check_session, oidc_principal, sign_in
from pipelines.auth import Principal
from pipelines.errors import PermissionDeniedError, SignInError
from pipelines.settings import AuthSettings
from ui import context as ctx
from ui.widgets import md

SESSION = "_auth_session"
NOTICE = "_auth_notice"
OFF_NOTICE = ("Anmeldung ist ausgeschaltet: Wer diese Seite erreicht, kann alles lesen und ändern. "
              "Für den Betrieb im Netz bitte die Anmeldung einschalten (auth.mode, siehe README).")

logger = logging.getLogger(__name__)


def gate() -> Principal | None:
    """The signed-in person, or None with sign-in off; otherwise draws the sign-in and stops the run."""
    settings = ctx.settings().auth
    if settings.mode == "off":
        return None
    principal = _accounts(settings) if settings.mode == "accounts" else _oidc(settings)
    st.session_state[ctx.PRINCIPAL] = principal
    st.session_state["actor"] = principal.name  # the audit log's name is the account's, never typed
    if "name" in st.query_params:  # a link from a workbench without sign-in names nobody here
        del st.query_params["name"]
    return principal


def _end(message: str) -> None:
    """Forget everything this browser session holds (what a page showed, its widgets); keep what tests injected."""
    for key in list(st.session_state):
        if key not in ("store", "settings"):
            del st.session_state[key]
    st.session_state[NOTICE] = message


def _checked(settings: AuthSettings) -> Session | None:
    current: Session | None = st.session_state.get(SESSION)
    if current is None:
        return None
    try:
        current = check_session(ctx.store(), settings, current)
    except SignInError as exc:
        logger.info("Session of %s ended: %s", current.principal.name, type(exc).__name__)
        _end(str(exc))
        return None
    st.session_state[SESSION] = current
    return current


def _accounts(settings: AuthSettings) -> Principal:
    current = _checked(settings)
    if current is not None:
        return current.principal
    st.title("Taten – Anmeldung")
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.warning(md(notice))
    with st.form("sign_in", clear_on_submit=True):
        name = st.text_input("Benutzername", key="sign_in_name", max_chars=100)
        password = st.text_input("Passwort", type="password", key="sign_in_password", max_chars=1000)
        submitted = st.form_submit_button("Anmelden", type="primary")
    if submitted:
        try:
            st.session_state[SESSION] = sign_in(ctx.store(), settings, name, password, st.context.ip_address)
        except SignInError as exc:
            st.error(md(exc))
        else:
            st.rerun()
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


NO_AUTH_SECTION = ("Die Anmeldung über den Identitätsdienst der Stadt ist eingestellt (auth.mode: oidc), aber in "
                   ".streamlit/secrets.toml fehlt der Abschnitt [auth]. Bitte die IT, ihn einzutragen (README, "
                   "„Sign-in and roles“).")


def _oidc(settings: AuthSettings) -> Principal:
    if "is_logged_in" not in st.user.to_dict():  # Streamlit knows no [auth] section
        st.title("Taten – Anmeldung")
        st.error(md(NO_AUTH_SECTION))
        st.stop()
    if not st.user.is_logged_in:
        st.title("Taten – Anmeldung")
        notice = st.session_state.pop(NOTICE, None)
        if notice:
            st.warning(md(notice))
        st.button("Mit dem Konto der Stadt anmelden", type="primary", key="oidc_login",
                  on_click=st.login, args=(settings.oidc_provider,) if settings.oidc_provider else ())
        st.stop()
    try:
        principal = oidc_principal(ctx.store(), settings, st.user.to_dict())
    except PermissionDeniedError as exc:
        st.error(md(exc))
        st.button("Abmelden", key="oidc_logout", on_click=st.logout)
        st.stop()
        raise
    if st.session_state.get(SESSION) is None:
        now = datetime.now(UTC)
        st.session_state[SESSION] = Session(principal, now, now, "oidc")
    current = _checked(settings)
    if current is None:  # timed out: the provider's cookie goes too, else the next run signs in again
        st.logout()
        st.stop()
    return principal


def signed_in_box(principal: Principal) -> None:
    """In the sidebar: who is signed in, with which role, and the sign-out."""
    st.caption(f"Angemeldet als {md(principal.name)} ({principal.role})")
    mode = ctx.settings().auth.mode
    st.button("Abmelden", key="sign_out", icon=":material/logout:",
              on_click=_sign_out, args=(mode,))


def _sign_out(mode: str) -> None:
    _end("Sie sind abgemeldet.")
    if mode == "oidc":
        st.logout()
