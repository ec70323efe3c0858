"""Maßnahmen: promote clusters into a measure, list measures with filters, edit one,
and see the contributions it came from.

The fields are plain widgets that keep their values for the session
(``persist_state``): what a person typed and has not saved yet survives a rerun
and a visit to another page. "Maßnahme anlegen" empties the fields after a
success; a double click creates one measure (the submission's request key).
"""

from __future__ import annotations

import streamlit as st

from pipelines.review import MEASURE_STATUSES, PRIORITIES, MeasureInput, MeasureView
from ui import context as ctx
from ui import widgets as w
from ui.report_downloads import report_downloads

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
        status=get(f"{prefix}_status") or MEASURE_STATUSES[0],
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
    cols = st.columns(2)
    cols[0].text_input("Kostenschätzung", value=(m.cost_estimate or "") if m else "", key=f"{prefix}_cost", **keep)
    cols[1].text_input("Zeitraum", value=(m.timeframe or "") if m else "", key=f"{prefix}_timeframe", **keep)


new_tab, list_tab = st.tabs(["Neue Maßnahme aus Clustern", "Maßnahmen ansehen und bearbeiten"])

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
    cols = st.columns(3)
    with cols[0]:
        status = w.choose("Status", MEASURE_STATUSES, key="measures_status")
    with cols[1]:
        theme = w.choose("Themenfeld", overview.themes, key="measures_theme")
    with cols[2]:
        district = w.choose("Sozialraum", overview.districts, key="measures_district")
    measures = service.measures(status=status, theme=theme, district=district)
    if status is None:
        st.caption("Abgelehnte Maßnahmen stehen hier nur, wenn oben der Status „abgelehnt“ gewählt ist.")
    if not measures:
        st.info("Keine Maßnahmen unter dieser Auswahl.")
    else:
        # the columns that fit a 1024 px window, titles wrapped; every field is in the form below
        st.dataframe(w.measures_frame(measures), hide_index=True, width="stretch", key="measures_table",
                     row_height=w.MEMBER_ROW_PX, height=38 + w.MEMBER_ROW_PX * min(len(measures), 12),
                     column_order=("Nr.", "Titel", "Themenfeld", "Status", "Priorität", "Zuständig"),
                     column_config={"Nr.": st.column_config.NumberColumn(width=35),
                                    "Titel": st.column_config.TextColumn(width=170),
                                    "Themenfeld": st.column_config.TextColumn(width=90),
                                    "Status": st.column_config.TextColumn(width=85),
                                    "Priorität": st.column_config.TextColumn(width=60),
                                    "Zuständig": st.column_config.TextColumn(width=90)})
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
        st.caption("Aus diesen Anliegen: " + (w.md("; ".join(measure.cluster_labels)) or "–"))
        st.caption(f"Die {len(measure.sources)} Beiträge, aus denen die Maßnahme entstand")
        w.member_table(measure.sources, key=f"measure_sources_{measure.id}")

st.divider()
st.subheader("Berichte")
st.caption("Sitzungsvorlage, öffentlicher Bericht und OParl-Übergabe: mit den Maßnahmen ab Status „vorgeschlagen“.")
report_downloads("measures_report")
