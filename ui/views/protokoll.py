"""Protokoll: the audit log of the conference (who, when, what) and undo/redo of one's own last change."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import context as ctx
from ui.history import undo_redo

ctx.header("Änderungsprotokoll")
service = ctx.service()
undo_redo(service, "protocol")
events = service.events(limit=500)
if not events:
    st.info("Noch keine Änderungen.")
else:
    st.dataframe(pd.DataFrame({
        "Nr.": [e.id for e in events],
        "Zeitpunkt": [f"{e.at:%d.%m.%Y %H:%M:%S}" for e in events],
        "Wer": [e.actor for e in events],
        "Was": [e.summary for e in events],
        "rückgängig gemacht": ["ja" if e.undone else "" for e in events],
    }), hide_index=True, width="stretch", key="protocol_table")
