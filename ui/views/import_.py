"""Import: upload of note files (placeholder; the command line does the full import)."""

from __future__ import annotations

import streamlit as st

from pipelines import ingest
from pipelines.errors import TatenError
from pipelines.resources import load_vocabularies
from ui import context as ctx
from ui.widgets import md

ctx.header("Import")
st.markdown("Import über die Kommandozeile: `taten import notizen.csv --conference \"Konferenz 2026\"`, "
            "danach `taten analyse --conference \"Konferenz 2026\"`.")

if not hasattr(ingest, "import_uploads"):
    st.info("Das Hochladen in der Werkbank ist noch nicht verfügbar.")
    st.stop()
if not ctx.actor():
    st.info("Bitte links Ihren Namen eingeben.")
    st.stop()

name = st.text_input("Konferenz", value=ctx.conference() or "", key="import_conference")
uploads = st.file_uploader("Dateien mit Beiträgen", accept_multiple_files=True, key="import_files")
if st.button("Importieren", key="import_btn", disabled=not uploads or not name.strip()):
    try:
        report = ingest.import_uploads(ctx.store(), [(f.name, f.getvalue()) for f in uploads or []], name.strip(),
                                       load_vocabularies(ctx.settings()))
    except TatenError as exc:
        st.error(md(exc))
    else:
        st.success(f"{report.imported} Beiträge importiert, {report.duplicates} bereits vorhanden.")
