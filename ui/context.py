"""Per-session plumbing of the workbench: settings, store, conference, actor, service.

Pages ask this module for a :class:`ReviewService` and hand their actions to
:func:`action`, which runs one service call as a widget callback and turns its
errors into a German message shown at the top of the next run. A callback's
arguments are bound when the widget is drawn, so a change always names the
version the person saw; when the record moved on meanwhile, the service refuses
it and the page simply shows the fresh state.

Where a person is lives in the URL, so a reload or a shared link opens the same
place: ``?konferenz=…`` (the sidebar), ``?thema=…`` and ``?cluster=…`` (Cluster
prüfen) and, with sign-in off, ``?name=…`` (the name for the audit log; it stays
between this browser and this server). Streamlit keeps the path of the page. With
sign-in on, the signed-in account is the actor and every service call checks its
role (:func:`principal`, :mod:`ui.auth`).

Every change a person submits carries a request key (:func:`request_key`): the
session's random token and what the form showed. A double click sends the same
key twice and the service writes once. Forms that create something draw their
fields under a per-form token (:func:`form_token`) that is replaced after a
success (:func:`new_form`), which empties them.

Tests put a store into ``st.session_state["store"]``; otherwise the database URL
comes from the settings (``TATEN_DATABASE_URL``, ``TATEN_HOME``; ``TATEN_CONFIG``
names a YAML settings file, as ``taten --config`` does).
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from models.store import Store
from pipelines.auth import Principal, as_principal
from pipelines.errors import ReviewConflictError, TatenError
from pipelines.review import ReviewService
from pipelines.settings import Settings, load_settings
from ui.widgets import md

FLASH = "_flash"
TOKEN = "_session_token"
PENDING_CONFERENCE = "_conference_pending"  # the sidebar switches to it on the next run
READ_ONLY_ACTOR = "Ausschuss (nur lesen)"
PRINCIPAL = "_principal"  # set by ui.auth.gate when someone signed in
UNEXPECTED = ("Die Aktion ist wegen eines technischen Fehlers fehlgeschlagen ({kind}). "
              "Bitte die Seite neu laden, prüfen, ob die Änderung gespeichert ist, und sie sonst wiederholen; "
              "bleibt der Fehler, bitte die IT informieren (Details stehen im Protokoll des Servers).")

logger = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def _open_store(url: str) -> Store:
    return Store(url)


def settings() -> Settings:
    """The settings, read once per session."""
    if "settings" not in st.session_state:
        config = os.environ.get("TATEN_CONFIG")  # set by `taten --config … ui`
        st.session_state["settings"] = load_settings(Path(config) if config else None)
    return st.session_state["settings"]


def store() -> Store:
    injected = st.session_state.get("store")
    return injected if injected is not None else _open_store(settings().db_url)


def actor() -> str:
    return str(st.session_state.get("actor") or "").strip()


def principal() -> Principal:
    """Who acts: the signed-in account, or (sign-in off) the name entered, with full rights."""
    signed_in = st.session_state.get(PRINCIPAL)
    return signed_in if signed_in is not None else as_principal(actor() or READ_ONLY_ACTOR)


def conference() -> str | None:
    return st.session_state.get("conference")


def require_conference() -> str:
    name = conference()
    if not name:
        st.info("Noch keine Konferenz vorhanden. Bitte zuerst Beiträge importieren "
                "(Seite „Import“ oder `taten import … --conference …`) und analysieren.")
        st.stop()
    return name


def service() -> ReviewService:
    """A service for the person at the keyboard; stops the page when no name is entered."""
    name = require_conference()
    if not actor():
        st.info("Bitte links Ihren Namen eingeben. Jede Änderung wird mit Namen im Änderungsprotokoll gespeichert.")
        st.stop()
    return ReviewService(store(), name, principal(), settings().ranking)


def reader() -> ReviewService:
    """A service for pages that only read (Übersicht, Sozialräume, Ausschuss); no name needed."""
    return ReviewService(store(), require_conference(), principal(), settings().ranking)


def flash(kind: str, message: str) -> None:
    st.session_state.setdefault(FLASH, []).append((kind, message))


def header(title: str) -> None:
    """The page title, then the messages the last click left (a refused change, a success)."""
    st.title(title)
    # one block whether or not there is a message: the elements below keep their place in the page,
    # so the browser keeps them (and the keyboard focus) across the rerun after a click
    with st.container():
        show_flash()


def show_flash() -> None:
    """Show and forget the messages the callbacks of this run left."""
    for kind, message in st.session_state.pop(FLASH, []):
        # messages may quote labels that people typed: escaped, never Markdown
        {"error": st.error, "warning": st.warning, "success": st.success}.get(kind, st.info)(md(message))


def request_key(*parts: object) -> str:
    """The idempotency key of one submission: this session's token and what the form showed."""
    token = st.session_state.setdefault(TOKEN, uuid.uuid4().hex)
    return ":".join([token, *(str(p) for p in parts)])[:100]


def form_token(form: str) -> str:
    """The token of the form ``form`` as it is drawn now: its widget keys and its request key carry it."""
    return st.session_state.setdefault(f"_form_{form}", uuid.uuid4().hex[:10])


def new_form(form: str) -> None:
    """Draw the form ``form`` afresh (empty) on the next run; a late second click of the old one is a no-op."""
    st.session_state[f"_form_{form}"] = uuid.uuid4().hex[:10]


def action(call: Callable[[], Any], success: str | Callable[[Any], str],
           after: Callable[[Any], None] | None = None) -> dict[str, Any]:
    """Keyword arguments for a button: ``st.button("…", **action(lambda: svc.rename(…), "Umbenannt."))``.

    ``call`` runs once when the button is clicked, before the page is drawn again;
    values it closes over were fixed when the button was drawn (the versions the
    person saw), values it reads from ``st.session_state`` are the widgets' at the click.
    ``after`` runs with the result after a success (empty a form, keep a card open).
    A failure that is no :class:`TatenError` is logged and shown as a German message.
    """

    def run() -> None:
        try:
            result = call()
        except ReviewConflictError as exc:
            flash("error", str(exc))
            return
        except TatenError as exc:
            flash("warning", str(exc))
            return
        except Exception as exc:  # never a raw traceback in front of a person; the log keeps it
            logger.exception("review action failed")
            flash("error", UNEXPECTED.format(kind=type(exc).__name__))
            return
        flash("success", success(result) if callable(success) else success)
        if after is not None:
            after(result)

    return {"on_click": run}
