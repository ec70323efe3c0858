"""Ausschuss: a read-only presentation for the committee.

Per theme (and optionally one district) the top concerns and the proposed
measures, in large type. Only labels, counts, keywords, districts and measures:
no quotes, no note text, no names; no edit controls.

Themes come in the order of their most important concern (the theme of the
concern ranked first city-wide comes first). Measures appear once staff have
proposed them (:data:`pipelines.report.COMMITTEE_STATUSES`), with priority,
description, responsible office and cost. A theme with fewer than
:data:`MIN_CONCERNS_FOR_CHART` concerns gets no chart: its list says it all.

Each concern says whether it is new or was raised at the city's earlier
conference, and which measures were decided for it then ("Wiederkehrend trotz
Maßnahme …"); the earlier concerns nobody raised again close the page.

Printed from the browser, the page drops the sidebar and the filters (see
:mod:`ui.chrome`) and keeps every theme and measure.
"""

from __future__ import annotations

import streamlit as st

from pipelines.example_data import DISTRICTS, example_notice
from pipelines.report import COMMITTEE_STATUSES
from pipelines.review import ClusterView, Filters, MeasureView
from ui import context as ctx
from ui import widgets as w
from ui.report_downloads import report_downloads

MIN_CONCERNS_FOR_CHART = 3
TOP = 5
NO_THEME = "Ohne Themenfeld"

# Our own constant CSS (no data in it): large type for a projector, normal type on paper.
st.markdown("<style>.stMarkdown p, .stMarkdown li {font-size: 1.35rem;} "
            "[data-testid='stMetricValue'] {font-size: 3rem;} "
            "@media print {.stMarkdown p, .stMarkdown li {font-size: 1rem;} "
            "[data-testid='stMetricValue'] {font-size: 2rem;}}</style>", unsafe_allow_html=True)


def theme_order(concerns: list[ClusterView], measures: list[MeasureView], themes: tuple[str, ...]) -> list[str]:
    """Themes by the rank of their best concern; themes with measures only after them, alphabetically."""
    best = {}
    for c in concerns:
        best.setdefault(c.theme, c.rank)  # ``concerns`` come best first
    with_measures = {m.theme for m in measures if m.theme in themes}
    return sorted(best, key=best.__getitem__) + sorted(with_measures - set(best))


def measure_block(m: MeasureView) -> None:
    facts = [("Priorität", m.priority), ("Status", m.status), ("Zuständig", m.responsible),
             ("Kosten", m.cost_estimate), ("Zeitraum", m.timeframe), ("Sozialräume", ", ".join(m.districts))]
    st.markdown(f"**{w.md(m.title)}**  \n" + " · ".join(f"{name}: {w.md(value)}" for name, value in facts if value))
    if m.description.strip():
        st.markdown(w.md(m.description))


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

proposed = [m for m in service.measures(theme=theme, district=district) if m.status in COMMITTEE_STATUSES]
lineage = service.lineage()  # neu / wiederkehrend, and what was decided for it last time
overall = service.overview(Filters(theme=theme, district=district), top=None)  # every concern, best first
metrics = st.columns(4)
metrics[0].metric("Beiträge", w.number(overall.n_contributions))
metrics[1].metric("Anliegen", w.number(overall.n_clusters))
metrics[2].metric("Sozialräume", w.number(overall.n_districts))
metrics[3].metric("Maßnahmen", w.number(len(proposed)))
report_downloads("committee_report")

for t in theme_order(list(overall.top), proposed, everything.themes):
    concerns = [c for c in overall.top if c.theme == t]
    top = concerns[:TOP]
    measures = [m for m in proposed if m.theme == t]
    st.divider()
    st.header(w.md(t))
    if len(concerns) >= MIN_CONCERNS_FOR_CHART:  # the whole width: on a 1024-pixel screen a column is too narrow
        w.chart(w.top_bars(top), key=f"committee_chart_{t}")
    left, right = st.columns([3, 2])
    with left:
        st.subheader("Wichtigste Anliegen")
        for c in top:
            places = ", ".join(c.profile.get("districts", {})) or "stadtweit"
            status = lineage.get(c.id)
            st.markdown(f"**{c.theme_rank}\\.** {w.md(c.label)}  \n"
                        f"{w.notes(c.size)} · {w.md(w.why(c))} · Sozialräume: {w.md(places)}"
                        + (f"  \n*{w.md(status.text)}*" if status else "")
                        + (f"  \n**{w.md(status.signal)}**" if status and status.signal else ""))
        if not top:
            st.markdown("Kein Anliegen unter dieser Auswahl.")
    with right:
        st.subheader("Vorgeschlagene Maßnahmen")
        if not measures:
            st.markdown("Noch keine Maßnahme.")
        for m in measures:
            measure_block(m)

vanished = [v for v in service.vanished() if theme is None or v.theme == theme]
if vanished:
    st.divider()
    st.header("Nicht mehr genannt")
    st.markdown(f"Anliegen der {w.md(vanished[0].conference)}, die diesmal niemand mehr angesprochen hat:")
    for v in vanished:
        done = "; ".join(f"Maßnahme „{m.title}“ ({m.status})" for m in v.measures)
        st.markdown(f"- {w.md(v.label)} ({w.notes(v.size)}, {w.md(v.theme)})" + (f" – {w.md(done)}" if done else ""))

elsewhere = [m for m in proposed if m.theme not in everything.themes]
if elsewhere:
    st.divider()
    st.header(NO_THEME)
    for m in elsewhere:
        measure_block(m)
