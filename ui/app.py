"""Entry point of the workbench: ``streamlit run ui/app.py`` (or ``taten ui``).

The sidebar holds what every page needs: the conference, the name that goes into
the audit log, the undo button and the latest changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
if str(_ROOT) not in sys.path:  # `streamlit run ui/app.py` puts only ui/ on the path
    sys.path.insert(0, str(_ROOT))

import streamlit as st  # noqa: E402

from pipelines.errors import StorageError, TatenError  # noqa: E402
from ui import chrome  # noqa: E402
from ui import context as ctx  # noqa: E402
from ui.widgets import md  # noqa: E402

# Not "pages/": Streamlit would also serve a folder of that name as old-style pages, without this script.
PAGES = Path(__file__).resolve().parent / "views"

COMMITTEE = "Ausschuss"

# An own page icon: without one, the browser tab shows the page's Material icon, which
# Streamlit's frontend loads from fonts.gstatic.com on every change of page.
st.set_page_config(layout="wide", page_title="Taten – Werkbank", page_icon="📋")
chrome.install()


def sidebar(presenting: bool) -> None:
    """Conference choice; for staff also the name, undo and the latest changes (not in the committee view)."""
    with st.sidebar:
        st.markdown("### Taten – Werkbank")
        names = [c.name for c in ctx.store().conferences()]
        # The chosen conference and name live in plain session keys, so they survive a change of page.
        if ctx.conference() not in names:
            st.session_state["conference"] = names[-1] if names else None
        pending = st.session_state.pop(ctx.PENDING_CONFERENCE, None)  # e.g. just imported and analysed
        if pending in names:
            st.session_state["conference_select"] = pending
        if names:
            if st.session_state.get("conference_select") not in names:
                st.session_state["conference_select"] = ctx.conference()
            st.session_state["conference"] = st.selectbox("Konferenz", names, key="conference_select")
        else:
            st.caption("Noch keine Konferenz importiert.")
        if presenting:
            return
        if "actor_input" not in st.session_state:
            st.session_state["actor_input"] = ctx.actor()
        st.text_input("Ihr Name (für das Änderungsprotokoll)", key="actor_input", max_chars=100,
                      help="Jede Änderung wird mit diesem Namen, Datum und Uhrzeit gespeichert.")
        st.session_state["actor"] = str(st.session_state.get("actor_input") or "").strip()
        if names and ctx.actor():
            try:
                service = ctx.service()
                st.button("Letzte Änderung rückgängig", key="undo_button", width="stretch",
                          **ctx.action(service.undo_last, lambda e: f"Rückgängig gemacht: {e.summary}"))
                events = service.events(limit=5)
            except TatenError as exc:
                st.caption(md(exc))
                events = []
            if events:
                st.caption("Letzte Änderungen")
                for e in events:
                    mark = " (rückgängig gemacht)" if e.undone else ""
                    st.text(f"{e.at:%d.%m. %H:%M} {e.actor}: {e.summary}{mark}")


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
    page = st.navigation(pages)
    try:
        sidebar(presenting=page.title == COMMITTEE)
        page.run()
    except StorageError as exc:  # database unreachable, locked, full …: the German message, no stack trace
        st.error(md(exc), icon=":material/database:")
    except TatenError as exc:  # not analysed yet, a record gone: say so instead of a traceback
        st.warning(md(exc))


main()
