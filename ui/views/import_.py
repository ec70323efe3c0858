"""Import: upload the tables' notes (Word, text, Markdown, Excel, ODS, CSV), see the
per-file report, then analyse the conference.

The upload takes the same path as ``taten import``: districts are found in the raw
text, then names, addresses and the like are pseudonymised before anything is stored.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pipelines import ingest
from pipelines.analyse import analyse_conference
from pipelines.errors import TatenError
from pipelines.resources import Resources, build_resources, load_vocabularies
from pipelines.settings import Settings
from ui import context as ctx
from ui.widgets import md, number

REPORT = "import_report"
UPLOAD_TYPES = ["docx", "txt", "md", "markdown", "xlsx", "xlsm", "ods", "csv", "tsv"]


@st.cache_resource(show_spinner=False)
def _resources(_settings: Settings, key: str) -> Resources:
    """The language pipeline and embedding model, loaded once per server (``key``: the settings)."""
    return build_resources(_settings)


def _report_frame(report: ingest.ImportReport) -> pd.DataFrame:
    return pd.DataFrame([
        {
            "Datei": f.file, "Format": f.format, "Status": f.status, "importiert": f.imported,
            "schon vorhanden": f.duplicates, "leer": f.empty, "fehlerhaft": f.failed,
            "pseudonymisiert": sum(f.pseudonymised.values()),
            "Hinweise": "; ".join([*([f.error] if f.error else []), *f.reasons]),
        }
        for f in report.files
    ])


def _show(report: ingest.ImportReport) -> None:
    verb = "würden importiert" if report.dry_run else "importiert"
    cols = st.columns(4)
    cols[0].metric(f"Beiträge {verb}", number(report.imported))
    cols[1].metric("schon vorhanden", number(report.duplicates))
    cols[2].metric("leer", number(report.empty))
    cols[3].metric("Dateien mit Fehlern", number(len(report.failed_files)))
    if report.pseudonymised:
        counts = ", ".join(f"{n} × {kind}" for kind, n in sorted(report.pseudonymised_counts.items()))
        st.caption(md(f"Pseudonymisiert vor dem Speichern: {counts or 'keine personenbezogenen Angaben gefunden'}."))
    else:
        st.warning("Pseudonymisierung ist ausgeschaltet: die Texte wurden unverändert gespeichert.")
    st.dataframe(_report_frame(report), hide_index=True, width="stretch")


ctx.header("Import")
st.markdown(
    "Notizen der Tische hochladen: Word (.docx), Text (.txt), Markdown (.md), Excel (.xlsx), "
    "LibreOffice (.ods) oder CSV/TSV. Tisch, Runde und Thema werden aus Überschriften "
    "(„Tisch 3 – Wohnen“, „Runde 2“) oder dem Dateinamen (`Tisch3_Wohnen_Runde2.docx`) gelesen. "
    "Namen, Adressen, Telefonnummern und ähnliche Angaben werden vor dem Speichern ersetzt. "
    "Was schon importiert ist, wird nicht doppelt gespeichert."
)
if not ctx.actor():
    st.info("Bitte links Ihren Namen eingeben.")
    st.stop()

name = st.text_input("Konferenz", value=ctx.conference() or "", key="import_conference",
                     help="Eine neue Konferenz entsteht, wenn es den Namen noch nicht gibt.")
date = st.text_input("Datum (JJJJ-MM-TT, optional)", key="import_date")
uploads = st.file_uploader("Dateien mit Beiträgen", type=UPLOAD_TYPES, accept_multiple_files=True,
                           key="import_files")
dry_run = st.checkbox("Nur prüfen, nichts speichern", key="import_dry_run")
if st.button("Importieren", key="import_btn", type="primary", disabled=not uploads or not name.strip()):
    try:
        st.session_state[REPORT] = ingest.import_uploads(
            ctx.store(), [(f.name, f.getvalue()) for f in uploads or []], name.strip(),
            load_vocabularies(ctx.settings()),
            # lenient: a bad upload is listed in the report, the good ones are stored
            ingest.ImportOptions(date=date.strip() or None, dry_run=dry_run, strict=False),
            principal=ctx.principal(),
        )
    except TatenError as exc:
        st.error(md(exc))

report: ingest.ImportReport | None = st.session_state.get(REPORT)
if report is not None:
    _show(report)
    if not report.dry_run and report.imported:
        st.markdown("Neue Beiträge sind gespeichert. Die Cluster entstehen erst mit der Analyse; "
                    "Entscheidungen aus der Prüfung (umbenannt, zusammengeführt, gesperrt) bleiben erhalten.")
        if st.button("Jetzt analysieren", key="import_analyse_btn"):
            settings = ctx.settings()
            try:
                with st.spinner("Analyse läuft – beim ersten Mal werden die Sprachmodelle geladen …"):
                    resources = _resources(settings, settings.model_dump_json())
                    run = analyse_conference(ctx.store(), report.conference, resources, settings,
                                             principal=ctx.principal())
            except TatenError as exc:
                st.error(md(exc))
            else:
                st.session_state[ctx.PENDING_CONFERENCE] = report.conference
                st.session_state.pop(REPORT, None)
                ctx.flash("success", f"Analyse fertig: {number(run.n_clusters)} Cluster aus "
                                     f"{number(run.n_contributions)} Beiträgen.")
                st.rerun()
