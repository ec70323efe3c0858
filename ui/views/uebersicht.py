"""Übersicht: counts, the theme × district heatmap and the top recurring concerns."""

from __future__ import annotations

import streamlit as st

from pipelines.indicators import load_indicators
from pipelines.review import Filters
from ui import context as ctx
from ui import widgets as w
from ui.district_map import district_map, loaded_map

ctx.header("Übersicht")
service = ctx.reader()
everything = service.overview(top=0)

cols = st.columns(4)
with cols[0]:
    theme = w.choose("Thema", everything.themes, key="overview_theme")
with cols[1]:
    district = w.choose("Sozialraum", everything.districts, key="overview_district")
with cols[2]:
    group = w.choose("Gruppe", everything.groups, key="overview_group")
with cols[3]:
    round_ = w.choose("Runde", everything.rounds, key="overview_round")

overview = service.overview(Filters(theme=theme, district=district, group=group, round=round_), top=None)

metrics = st.columns(5)
metrics[0].metric("Beiträge", w.number(overview.n_contributions))
metrics[1].metric("Tische", w.number(overview.n_tables))
metrics[2].metric("Sozialräume", w.number(overview.n_districts))
metrics[3].metric("Anliegen (Cluster)", w.number(overview.n_clusters))
metrics[4].metric("Maßnahmen", w.number(overview.n_measures))

st.subheader("Welche Themen in welchen Sozialräumen?")
st.caption("Zahl der Beiträge, die einen Sozialraum nennen, je Thema.")
w.chart(w.heatmap_chart(overview.heatmap), key="overview_heatmap",
        empty="Keine Beiträge nennen einen Sozialraum (unter dieser Auswahl).")

dmap = loaded_map()
if dmap is not None:
    st.subheader("Karte der Sozialräume")
    district_map(dmap, overview, load_indicators(ctx.settings().nlp.data_dir / "indicators"), key="overview_map",
                 target="overview_district", allowed=everything.districts, selected=district,
                 hint="Ein Klick auf einen Sozialraum wählt ihn als Filter.")

st.subheader("Die häufigsten wiederkehrenden Anliegen")
st.caption("Ein Anliegen zählt mehr, wenn es an mehreren Tischen, in mehreren Runden, von mehreren Gruppen "
           "und für mehrere Sozialräume genannt wurde. Die Balken zeigen, woraus sich die Punkte zusammensetzen.")
top = overview.top[:10]
if top:
    st.dataframe(w.concerns_frame(top, district), hide_index=True, width="stretch", key="overview_top")
    w.chart(w.breakdown_chart(top), key="overview_breakdown")
else:
    st.info("Keine Anliegen unter dieser Auswahl.")
