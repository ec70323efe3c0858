"""Ausschuss: a read-only presentation for the committee.

Per theme (and optionally one district) the top concerns and the proposed
measures, in large type. Only labels, counts, keywords, districts and measures:
no quotes, no note text, no names; no edit controls.
"""

from __future__ import annotations

import streamlit as st

from pipelines.example_data import DISTRICTS, example_notice
from pipelines.review import Filters
from ui import context as ctx
from ui import widgets as w

# Our own constant CSS (no data in it): large type for a projector.
st.markdown("<style>.stMarkdown p, .stMarkdown li {font-size: 1.35rem;} "
            "[data-testid='stMetricValue'] {font-size: 3rem;}</style>", unsafe_allow_html=True)

ctx.header("Ergebnisse der Sozialraumkonferenz")
service = ctx.reader()
everything = service.overview(top=0)
st.markdown(f"## {w.md(service.conference)}")
notice = example_notice(ctx.settings().nlp, what=(DISTRICTS,))  # this view shows districts, no indicators
if notice:
    st.warning(w.md(notice), icon=":material/info:")

cols = st.columns(2)
with cols[0]:
    theme = w.choose("Thema", everything.themes, key="committee_theme")
with cols[1]:
    district = w.choose("Sozialraum", everything.districts, key="committee_district")

proposed = service.measures(theme=theme, district=district)  # the measures to show: none rejected
overall = service.overview(Filters(theme=theme, district=district), top=None)  # every concern, best first
metrics = st.columns(4)
metrics[0].metric("Beiträge", w.number(overall.n_contributions))
metrics[1].metric("Anliegen", w.number(overall.n_clusters))
metrics[2].metric("Sozialräume", w.number(overall.n_districts))
metrics[3].metric("Maßnahmen", w.number(len(proposed)))

for t in [theme] if theme else everything.themes:
    top = [c for c in overall.top if c.theme == t][:5]
    measures = [m for m in proposed if m.theme == t]
    if not top and not measures:
        continue
    st.divider()
    st.header(w.md(t))
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Wichtigste Anliegen")
        w.chart(w.top_bars(top), key=f"committee_chart_{t}")
        for c in top:
            places = ", ".join(c.profile.get("districts", {})) or "stadtweit"
            st.markdown(f"**{c.theme_rank}\\.** {w.md(c.label)}  \n"
                        f"{w.notes(c.size)} · {w.md(w.why(c))} · Sozialräume: {w.md(places)}")
    with right:
        st.subheader("Vorgeschlagene Maßnahmen")
        if not measures:
            st.markdown("Noch keine Maßnahme.")
        for m in measures:
            details = " · ".join(x for x in (m.status, ", ".join(m.districts), m.responsible, m.timeframe) if x)
            st.markdown(f"**{w.md(m.title)}**  \n{w.md(details)}")
