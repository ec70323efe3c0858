"""Entry point of the workbench: ``streamlit run ui/app.py`` (or ``taten ui``).

The sidebar holds what every page needs: the conference, the name that goes into
the audit log, undo and redo of one's own last change, and the latest changes.
Conference and name are also kept in the URL (``?konferenz=…&name=…``), so a
reload opens the same conference under the same name. With sign-in on
(``auth.mode``), :func:`ui.auth.gate` comes first: nothing is drawn before sign-in, the
name is the account's (no name field), and only the pages the role may use are listed.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:  # `streamlit run ui/app.py` puts only ui/ on the path
    sys.path.insert(0, str(_ROOT))

import streamlit as st  # noqa: E402

from pipelines.auth import Principal  # noqa: E402
from pipelines.errors import StorageError, TatenError  # noqa: E402
from ui import auth  # noqa: E402
from ui import chrome  # noqa: E402
from ui import context as ctx  # noqa: E402
from ui.history import undo_redo  # noqa: E402
from ui.widgets import md  # noqa: E402

# Not "pages/": Streamlit would also serve a folder of that name as old-style pages, without this script.
PAGES = Path(__file__).resolve().parent / "views"

COMMITTEE = "Ausschuss"
# page title → the action of pipelines.auth.PERMISSIONS a role needs to see the page
PAGE_ACTIONS = {"Übersicht": "workbench", "Cluster prüfen": "review", "Maßnahmen": "measures",
                "Sozialräume": "workbench", COMMITTEE: "committee_view", "Protokoll": "workbench", "Import": "import"}

# An own page icon: without one, the browser tab shows the page's Material icon, which
# Streamlit's frontend loads from fonts.gstatic.com on every change of page.
st.set_page_config(layout="wide", page_title="Taten – Werkbank", page_icon="📋")
chrome.install()


def sidebar(presenting: bool, principal: Principal | None) -> None:
    """Conference choice; for staff also the name, undo and the latest changes (not in the committee view).

    With sign-in on, who is signed in and the sign-out instead of the name field; with it off, a notice.
    """
    with st.sidebar:
        st.markdown("### Taten – Werkbank")
        if principal is None:
            st.caption(auth.OFF_NOTICE)
        else:
            auth.signed_in_box(principal)
        names = [c.name for c in ctx.store().conferences()]
        # The chosen conference and name live in plain session keys, so they survive a change of page,
        # and in the URL, so they survive a reload; a fresh session starts from the URL.
        if ctx.conference() not in names:
            linked = st.query_params.get("konferenz")
            st.session_state["conference"] = linked if linked in names else (names[-1] if names else None)
        pending = st.session_state.pop(ctx.PENDING_CONFERENCE, None)  # e.g. just imported and analysed
        if pending in names:
            st.session_state["conference_select"] = pending
        if names:
            if st.session_state.get("conference_select") not in names:
                st.session_state["conference_select"] = ctx.conference()
            st.session_state["conference"] = st.selectbox("Konferenz", names, key="conference_select")
            st.query_params["konferenz"] = ctx.conference()
        else:
            st.caption("Noch keine Konferenz importiert.")
        if presenting or (principal is not None and not principal.may("review")):
            return
        if principal is None:
            _name_field()
        if names and ctx.actor():
            try:
                service = ctx.service()
                undo_redo(service, "sidebar")
                events = service.events(limit=5)
            except TatenError as exc:
                st.caption(md(exc))
                events = []
            if events:
                st.caption("Letzte Änderungen")
                for e in events:
                    mark = " (rückgängig gemacht)" if e.undone else ""
                    st.text(f"{e.at:%d.%m. %H:%M} {e.actor}: {e.summary}{mark}")


def _name_field() -> None:
    """Sign-in off: the name for the audit log, typed by the person."""
    if "name" not in st.session_state and ctx.actor() and "name" not in st.query_params:
        st.session_state["name"] = ctx.actor()  # a name given to the session (tests); else ?name= fills it
    st.text_input("Ihr Name (für das Änderungsprotokoll)", key="name", max_chars=100, bind="query-params",
                  help="Jede Änderung wird mit diesem Namen, Datum und Uhrzeit gespeichert. Der Name steht "
                       "auch in der Adresse der Seite, damit er ein Neuladen übersteht – beim Weitergeben "
                       "eines Links bitte „name=…“ daraus entfernen.")
    st.session_state["actor"] = str(st.session_state.get("name") or "").strip()


def main() -> None:
    pages = {
        "Auswerten": [
            st.Page(PAGES / "uebersicht.py", title="Übersicht", icon=":material/dashboard:", default=True),
            st.Page(PAGES / "cluster.py", title="Cluster prüfen", icon=":material/hub:"),
            st.Page(PAGES / "massnahmen.py", title="Maßnahmen", icon=":material/task_alt:"),
            st.Page(PAGES / "sozialraeume.py", title="Sozialräume", icon=":material/map:"),
        ],
        "Vorstellen": [st.Page(PAGES / "ausschuss.py", title=COMMITTEE, icon=":material/groups:")],
        "Verwalten": [
            st.Page(PAGES / "protokoll.py", title="Protokoll", icon=":material/history:"),
            st.Page(PAGES / "import_.py", title="Import", icon=":material/upload_file:"),
        ],
    }
    try:
        principal = auth.gate()  # with sign-in on: nothing below runs before someone signed in
    except StorageError as exc:
        st.error(md(exc), icon=":material/database:")
        return
    if principal is not None:  # only the pages the role may use (the services check every write anyway)
        pages = {group: [p for p in entries if principal.may(PAGE_ACTIONS[p.title])]
                 for group, entries in pages.items()}
        pages = {group: entries for group, entries in pages.items() if entries}
    page = st.navigation(pages)
    try:
        sidebar(page.title == COMMITTEE, principal)
        page.run()
    except StorageError as exc:  # database unreachable, locked, full …: the German message, no stack trace
        st.error(md(exc), icon=":material/database:")
    except TatenError as exc:  # not analysed yet, a record gone: say so instead of a traceback
        st.warning(md(exc))


main()
