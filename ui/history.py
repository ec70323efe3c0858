"""Undo and redo of one's own last change, with a question before the undo.

Drawn in the sidebar and on the Protokoll page. Undo names what it undoes and
asks; the confirmation names the event, so a change made meanwhile in another
window is not undone in its place (the service refuses). Redo applies the undone
change again and is itself a change that can be undone.
"""

from __future__ import annotations

import streamlit as st

from pipelines.review import ReviewService
from ui import context as ctx
from ui.widgets import md, option_label

ASKING = "_undo_asking"  # the id of the event the person asked to undo, until they answer


def _ask(event_id: int) -> None:
    st.session_state[ASKING] = event_id


def _cancel() -> None:
    st.session_state.pop(ASKING, None)


def undo_redo(service: ReviewService, where: str) -> None:
    """The undo button (with its question) and the redo button; ``where`` keeps widget keys apart."""
    mine = service.last_own_change()
    asking = st.session_state.get(ASKING)
    if mine is not None and asking == mine.id:
        st.warning(f"Ihre letzte Änderung rückgängig machen? {md(mine.summary)}", icon=":material/undo:")
        cols = st.columns(2)
        cols[0].button("Ja, rückgängig", key=f"{where}_undo_yes_{mine.id}", type="primary", **ctx.action(
            lambda: service.undo_last(mine.id), lambda e: f"Rückgängig gemacht: {e.summary}",
            after=lambda _: _cancel()))
        cols[1].button("Abbrechen", key=f"{where}_undo_no_{mine.id}", on_click=_cancel)
    elif mine is not None:
        st.button(f"Rückgängig: {md(option_label(mine.summary, 80))}", key=f"{where}_undo_{mine.id}",
                  icon=":material/undo:", width="stretch", help="Macht Ihre eigene letzte Änderung rückgängig; "
                  "Änderungen anderer bleiben, wie sie sind. Vorher wird nachgefragt.",
                  on_click=_ask, args=(mine.id,))
    else:
        st.caption("Keine eigene Änderung zum Rückgängigmachen.")
    again = service.redoable()
    if again is not None:
        st.button(f"Wiederherstellen: {md(option_label(again.summary, 80))}", key=f"{where}_redo_{again.id}",
                  icon=":material/redo:", width="stretch", **ctx.action(
                      lambda: service.redo_last(again.id), f"Wiederhergestellt: {again.summary}"))
