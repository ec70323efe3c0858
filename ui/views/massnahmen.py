"""Maßnahmen: promote clusters into a measure, list measures with filters, edit one,
and see the contributions it came from; the measure register: progress, parent and
child measures, milestones, the committee's decision, the history of every field,
the register as CSV or Excel, and an import of the committee's decisions.

The fields are plain widgets that keep their values for the session
(``persist_state``): what a person typed and has not saved yet survives a rerun
and a visit to another page. "Maßnahme anlegen" empties the fields after a
success; a double click creates one measure (the submission's request key).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd
import streamlit as st

from models.queries import STATUSES
from pipelines.errors import InputError
from pipelines.register import XLSX_MEDIA_TYPE, register_csv, register_xlsx
from pipelines.review import (
    MEASURE_STATUSES,
    PRIORITIES,
    DecisionInput,
    DecisionReport,
    MeasureInput,
    MeasureView,
    MilestoneInput,
)
from pipelines.review.register import german_date
from ui import context as ctx
from ui import widgets as w
from ui.report_downloads import report_downloads

REPORT = "_decision_report"  # the last decision import's report, shown under its upload
RESULTS = ["–", "beschlossen", "abgelehnt", "zurückgestellt", "vertagt", "angenommen"]

ctx.header("Maßnahmen")
service = ctx.service()
overview = service.overview(top=0)
clusters = service.clusters(include_irrelevant=False)
cluster_names = {c.id: w.option_label(f"{c.label} ({c.theme}, {c.size} Beiträge)") for c in clusters}
AUTO = "(aus den Clustern)"


def measure_input(prefix: str) -> MeasureInput:
    """The form's values (read when the button is clicked)."""
    get = st.session_state.get
    theme = get(f"{prefix}_theme")
    priority = get(f"{prefix}_priority")
    return MeasureInput(
        title=get(f"{prefix}_title") or "", description=get(f"{prefix}_description") or "",
        theme=None if theme in (None, AUTO, "–") else theme, districts=tuple(get(f"{prefix}_districts") or ()),
        responsible=get(f"{prefix}_responsible"), priority=None if priority == "–" else priority,
        cost_estimate=get(f"{prefix}_cost"), timeframe=get(f"{prefix}_timeframe"),
        status=get(f"{prefix}_status") or MEASURE_STATUSES[0], progress=get(f"{prefix}_progress"),
    )


def measure_fields(prefix: str, m: MeasureView | None) -> None:
    """The input fields of a measure, prefilled from ``m``."""
    districts = sorted({*overview.districts, *(m.districts if m else ())})
    themes = [AUTO if m is None else "–", *sorted({*overview.themes, *([m.theme] if m and m.theme else [])})]
    keep = {"persist_state": "session"}
    st.text_input("Titel", value=m.title if m else "", key=f"{prefix}_title", max_chars=300, **keep)
    st.text_area("Beschreibung", value=m.description if m else "", key=f"{prefix}_description", **keep)
    cols = st.columns(2)
    cols[0].selectbox("Themenfeld", themes, key=f"{prefix}_theme",
                      index=themes.index(m.theme) if m and m.theme in themes else 0, **keep)
    cols[1].multiselect("Sozialräume", districts, default=list(m.districts) if m else [], key=f"{prefix}_districts",
                        placeholder=w.PICK, **keep)
    cols = st.columns(3)
    cols[0].text_input("Zuständige Stelle", value=(m.responsible or "") if m else "", key=f"{prefix}_responsible",
                       **keep)
    priorities = ["–", *PRIORITIES]
    cols[1].selectbox("Priorität", priorities, key=f"{prefix}_priority",
                      index=priorities.index(m.priority) if m and m.priority in priorities else 0, **keep)
    cols[2].selectbox("Status", MEASURE_STATUSES, key=f"{prefix}_status",
                      index=MEASURE_STATUSES.index(m.status) if m else 0, **keep)
    cols = st.columns(3 if m else 2)
    cols[0].text_input("Kostenschätzung", value=(m.cost_estimate or "") if m else "", key=f"{prefix}_cost", **keep)
    cols[1].text_input("Zeitraum", value=(m.timeframe or "") if m else "", key=f"{prefix}_timeframe", **keep)
    if m is not None:  # a new measure starts at its status's default
        cols[2].number_input("Fortschritt (%)", min_value=0, max_value=100, step=5, value=m.progress,
                             key=f"{prefix}_progress", help="Ein neuer Status setzt seinen üblichen Fortschritt, "
                             "außer Sie tragen hier selbst einen anderen Wert ein.", **keep)


def status_help() -> None:
    with st.expander("Was die Status bedeuten"):
        st.markdown("\n".join(f"- **{w.md(s.name)}** – {w.md(s.meaning)} (üblicher Fortschritt {s.default_progress} %)"
                               for s in STATUSES))


def text(value: Any) -> str:
    """A stored value of the history in words (lists joined, milestones by date and title)."""
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, list):
        return "; ".join(f"{german_date(x.get('date'))} {x.get('title', '')}" if isinstance(x, dict) else str(x)
                         for x in value)
    if isinstance(value, float):
        return w.number(value, 0 if value.is_integer() else 2)
    return str(value)


def register_tabs(measure: MeasureView, register: list[MeasureView]) -> None:
    """Decision, milestones, parent and children, and the history of one measure; each saves on its own."""
    v = f"{measure.id}_v{measure.version}"
    decision, milestones, tree, history = st.tabs(["Beschluss", "Meilensteine", "Gliederung", "Verlauf"])
    with decision:
        cols = st.columns(3)
        cols[0].text_input("Sitzungsdatum (TT.MM.JJJJ)", value=german_date(measure.decision_date),
                           key=f"decision_date_{v}")
        cols[1].text_input("Gremium", value=measure.decision_committee or "", key=f"decision_committee_{v}")
        cols[2].text_input("Drucksachen-Nr.", value=measure.decision_paper or "", key=f"decision_paper_{v}")
        results = RESULTS if (measure.decision_result or "–") in RESULTS else [*RESULTS, measure.decision_result]
        st.selectbox("Ergebnis", results, index=results.index(measure.decision_result or "–"),
                     key=f"decision_result_{v}")
        st.text_area("Bemerkung", value=measure.decision_note or "", key=f"decision_note_{v}")
        st.checkbox("Status aus dem Ergebnis übernehmen", value=True, key=f"decision_status_{v}")

        def decision_input() -> DecisionInput:
            get = st.session_state.get
            result = get(f"decision_result_{v}")
            return DecisionInput(date=get(f"decision_date_{v}") or "", committee=get(f"decision_committee_{v}") or "",
                                 paper=get(f"decision_paper_{v}") or "", result="" if result == "–" else result or "",
                                 note=get(f"decision_note_{v}") or "", set_status=bool(get(f"decision_status_{v}")))

        st.button("Beschluss speichern", key=f"decision_btn_{v}", **ctx.action(
            lambda: service.record_decision(measure.id, decision_input(), measure.version,
                                            request_key=ctx.request_key("decision", measure.id, measure.version)),
            lambda m: f"Beschluss zu „{m.title}“ gespeichert (Status: {m.status})."))
    with milestones:
        if measure.milestones:
            st.dataframe(pd.DataFrame({"Datum": [german_date(x.date) for x in measure.milestones],
                                       "Meilenstein": [x.title for x in measure.milestones],
                                       "Text": [x.text for x in measure.milestones]}),
                         hide_index=True, width="stretch", key=f"milestones_{v}")
        else:
            st.caption("Noch keine Meilensteine.")
        cols = st.columns([1, 2])
        cols[0].text_input("Datum (TT.MM.JJJJ)", key=f"milestone_date_{v}")
        cols[1].text_input("Meilenstein", key=f"milestone_title_{v}", max_chars=200)
        st.text_area("Text", key=f"milestone_text_{v}")
        kept = [MilestoneInput(x.date, x.title, x.text) for x in measure.milestones]

        def added() -> list[MilestoneInput]:
            get = st.session_state.get
            return [*kept, MilestoneInput(get(f"milestone_date_{v}") or "", get(f"milestone_title_{v}") or "",
                                          get(f"milestone_text_{v}") or "")]

        st.button("Meilenstein hinzufügen", key=f"milestone_add_{v}", **ctx.action(
            lambda: service.set_milestones(measure.id, added(), measure.version,
                                           request_key=ctx.request_key("milestone", measure.id, measure.version)),
            "Meilenstein hinzugefügt."))
        if measure.milestones:
            names = {i: w.option_label(f"{german_date(x.date)} {x.title}") for i, x in enumerate(measure.milestones)}
            st.multiselect("Meilensteine entfernen", list(names), format_func=lambda i: names[i],
                           key=f"milestone_drop_{v}", placeholder=w.PICK)

            def remaining() -> list[MilestoneInput]:
                dropped = set(st.session_state.get(f"milestone_drop_{v}") or ())
                if not dropped:
                    raise InputError("Bitte zuerst die Meilensteine wählen, die entfernt werden sollen.")
                return [m for i, m in enumerate(kept) if i not in dropped]

            st.button("Gewählte entfernen", key=f"milestone_drop_btn_{v}", **ctx.action(
                lambda: service.set_milestones(measure.id, remaining(), measure.version,
                                               request_key=ctx.request_key("milestone_drop", measure.id,
                                                                           measure.version)),
                "Meilensteine entfernt."))
    with tree:
        others = {m.id: w.option_label(f"Nr. {m.id}: {m.title}") for m in register if m.id != measure.id}
        options: list[int | None] = [None, *others]
        st.selectbox("Übergeordnete Maßnahme", options, key=f"parent_{v}",
                     index=options.index(measure.parent_id) if measure.parent_id in options else 0,
                     format_func=lambda i: "keine" if i is None else others[i])
        st.number_input("Gewicht im Fortschritt der übergeordneten Maßnahme", min_value=0.1, max_value=1000.0,
                        step=0.5, value=float(measure.weight), key=f"weight_{v}")
        st.button("Gliederung speichern", key=f"parent_btn_{v}", **ctx.action(
            lambda: service.set_parent(measure.id, st.session_state.get(f"parent_{v}"),
                                       float(st.session_state.get(f"weight_{v}") or 1.0), measure.version,
                                       request_key=ctx.request_key("parent", measure.id, measure.version)),
            "Gliederung gespeichert."))
        children = [m for m in register if m.id in measure.child_ids]
        if children:
            st.caption(f"Untergeordnete Maßnahmen; der Fortschritt dieser Maßnahme ist ihr gewichtetes Mittel: "
                       f"{w.number(measure.progress_total, 0)} % (abgelehnte zählen nicht).")
            st.dataframe(pd.DataFrame({"Nr.": [m.id for m in children], "Titel": [m.title for m in children],
                                       "Status": [m.status for m in children],
                                       "Gewicht": [w.number(m.weight, 1) for m in children],
                                       "Fortschritt": [f"{w.number(m.progress_total, 0)} %" for m in children]}),
                         hide_index=True, width="stretch", key=f"children_{v}")
        else:
            st.caption("Keine untergeordneten Maßnahmen.")
    with history:
        changes = service.measure_history(measure.id)
        if not changes:
            st.caption("Noch keine Änderungen.")
        else:
            st.dataframe(pd.DataFrame({
                "Zeit": [f"{c.at:%d.%m.%Y %H:%M}" for c in changes], "Wer": [c.actor for c in changes],
                "Feld": [c.field_name for c in changes], "vorher": [text(c.old) for c in changes],
                "nachher": [text(c.new) for c in changes],
                "rückgängig": ["ja" if c.undone else "" for c in changes]}),
                hide_index=True, width="stretch", key=f"history_{v}")


def show_report(report: DecisionReport) -> None:
    if report.problems:
        st.error(w.md(f"{report.file}: {len(report.problems)} fehlerhafte Zeile(n); es wurde nichts gespeichert."))
        st.dataframe(pd.DataFrame({"Zeile": [p.row for p in report.problems],
                                   "Grund": [p.reason for p in report.problems]}),
                     hide_index=True, width="stretch", key="decision_problems")
    elif report.applied:
        st.dataframe(pd.DataFrame({
            "Zeile": [a.row for a in report.applied], "Nr.": [a.measure_id for a in report.applied],
            "Maßnahme": [a.title for a in report.applied], "Drucksachen-Nr.": [a.paper for a in report.applied],
            "Status": [f"{a.old_status} → {a.new_status}" if a.changed else "schon eingetragen"
                       for a in report.applied]}), hide_index=True, width="stretch", key="decision_applied")


def import_decisions() -> DecisionReport:
    upload = st.session_state.get("decision_upload")
    if upload is None:
        raise InputError("Bitte zuerst eine CSV-Datei mit den Beschlüssen wählen.")
    data = upload.getvalue()
    report = service.import_decisions(data, upload.name, request_key=ctx.request_key(
        "decisions", hashlib.sha256(data).hexdigest()[:32]))
    st.session_state[REPORT] = report
    if report.problems:  # shown as a warning; the rows and reasons stand under the upload
        raise InputError(f"{upload.name}: Nichts importiert – {len(report.problems)} fehlerhafte Zeile(n), "
                         "Gründe unten. Bitte die Datei korrigieren und erneut importieren.")
    return report


def imported(report: DecisionReport) -> str:
    if report.already_imported:
        return "Diese Datei wurde schon importiert; nichts wurde geändert."
    return f"{report.n_changed} Beschluss/Beschlüsse eingetragen, {len(report.applied) - report.n_changed} schon vorhanden."


new_tab, list_tab, import_tab = st.tabs(["Neue Maßnahme aus Clustern", "Maßnahmen ansehen und bearbeiten",
                                         "Beschlüsse importieren"])

with new_tab:
    form = ctx.form_token("promote")  # a new token after a success: the fields are empty again
    new = f"promote_{form}"
    st.multiselect("Aus welchen Clustern?", list(cluster_names), key=f"{new}_clusters", placeholder=w.PICK,
                   format_func=lambda i: cluster_names[i], persist_state="session")
    measure_fields(new, None)
    st.button("Maßnahme anlegen", key=f"{new}_btn", type="primary", **ctx.action(
        lambda: service.promote(st.session_state.get(f"{new}_clusters") or [], measure_input(new),
                                request_key=ctx.request_key("promote", form)),
        lambda m: f"Maßnahme „{m.title}“ angelegt (Nr. {m.id}).", after=lambda _: ctx.new_form("promote")))

with list_tab:
    register = service.register()
    cols = st.columns(3)
    with cols[0]:
        status = w.choose("Status", MEASURE_STATUSES, key="measures_status")
    with cols[1]:
        theme = w.choose("Themenfeld", overview.themes, key="measures_theme")
    with cols[2]:
        district = w.choose("Sozialraum", overview.districts, key="measures_district")
    cols = st.columns(2)
    with cols[0]:
        offices = sorted({m.responsible for m in register if m.responsible})
        responsible = w.choose("Zuständige Stelle", offices, key="measures_responsible",
                               format_func=lambda o: o if o == w.ALL else w.option_label(o))
    with cols[1]:
        search = st.text_input("Suche (Titel, Beschreibung, Drucksachen-Nr.)", key="measures_search").strip() or None
    status_help()
    filters = {"status": status, "theme": theme, "district": district, "responsible": responsible, "search": search}
    measures = service.measures(**filters)
    if status is None:
        st.caption("Abgelehnte Maßnahmen stehen hier nur, wenn oben der Status „abgelehnt“ gewählt ist; "
                   "die Downloads enthalten sie immer.")
    exported = service.register(**filters)
    cols = st.columns(2)
    cols[0].download_button(f"Register als CSV herunterladen ({len(exported)})", register_csv(exported),
                            file_name="massnahmenregister.csv", mime="text/csv", key="register_csv",
                            icon=":material/download:")
    cols[1].download_button(f"Register als Excel-Datei herunterladen ({len(exported)})", register_xlsx(exported),
                            file_name="massnahmenregister.xlsx", mime=XLSX_MEDIA_TYPE, key="register_xlsx",
                            icon=":material/download:")
    if not measures:
        st.info("Keine Maßnahmen unter dieser Auswahl.")
    else:
        # the columns that fit a 1024 px window, titles wrapped; every field is in the form below
        st.dataframe(w.measures_frame(measures), hide_index=True, width="stretch", key="measures_table",
                     row_height=w.MEMBER_ROW_PX, height=38 + w.MEMBER_ROW_PX * min(len(measures), 12),
                     column_order=("Nr.", "Titel", "Themenfeld", "Status", "Fortschritt", "Priorität",
                                   "Zuständig"),
                     column_config={"Nr.": st.column_config.NumberColumn(width=35),
                                    "Titel": st.column_config.TextColumn(width=140),
                                    "Themenfeld": st.column_config.TextColumn(width=80),
                                    "Status": st.column_config.TextColumn(width=85),
                                    "Fortschritt": st.column_config.TextColumn(width=50),
                                    "Priorität": st.column_config.TextColumn(width=55),
                                    "Zuständig": st.column_config.TextColumn(width=85)})
        st.caption("Sozialräume, Kosten, Zeitraum und Herkunft stehen unten bei der gewählten Maßnahme.")
        titles = {m.id: w.option_label(f"Nr. {m.id}: {m.title}") for m in measures}
        picked = st.selectbox("Maßnahme bearbeiten", list(titles), key="measure_pick", format_func=lambda i: titles[i])
        measure = service.measure(picked)
        prefix = f"measure_{measure.id}_v{measure.version}"  # a new version redraws the form with fresh values
        with st.container(border=True):
            measure_fields(prefix, measure)
            # the names are what people typed into the sidebar: escaped, never Markdown
            st.caption(f"Angelegt von {w.md(measure.created_by or '–')} am {measure.created_at:%d.%m.%Y %H:%M}, "
                       f"zuletzt geändert von {w.md(measure.updated_by or '–')} am {measure.updated_at:%d.%m.%Y %H:%M}.")
            st.button("Änderungen speichern", key=f"measure_save_btn_{prefix}", **ctx.action(
                lambda: service.update_measure(measure.id, measure_input(prefix), measure.version,
                                               request_key=ctx.request_key("update", measure.id, measure.version)),
                lambda m: f"Maßnahme „{m.title}“ gespeichert."))
        register_tabs(measure, register)
        st.caption("Aus diesen Anliegen: " + (w.md("; ".join(measure.cluster_labels)) or "–"))
        st.caption(f"Die {len(measure.sources)} Beiträge, aus denen die Maßnahme entstand")
        w.member_table(measure.sources, key=f"measure_sources_{measure.id}")

with import_tab:
    st.markdown("Eine CSV-Datei mit den Spalten **Drucksachen\\-Nr\\.**, **Ergebnis** und **Datum** "
                "(TT.MM.JJJJ oder JJJJ-MM-TT; wahlweise **Gremium** und **Bemerkung**). Jede Maßnahme mit dieser "
                "Drucksachen-Nr. bekommt den Beschluss und den Status des Ergebnisses (beschlossen, abgelehnt, "
                "zurückgestellt). Alles oder nichts: Ist eine Zeile fehlerhaft, wird nichts gespeichert und jede "
                "fehlerhafte Zeile mit Grund genannt.")
    st.file_uploader("Beschlüsse (CSV)", type=["csv", "txt"], key="decision_upload")
    st.button("Beschlüsse importieren", key="decision_import_btn", type="primary",
              **ctx.action(import_decisions, imported))
    if st.session_state.get(REPORT) is not None:
        show_report(st.session_state[REPORT])

st.divider()
st.subheader("Berichte")
st.caption("Sitzungsvorlage, öffentlicher Bericht und OParl-Übergabe: mit den Maßnahmen ab Status „vorgeschlagen“.")
report_downloads("measures_report")
