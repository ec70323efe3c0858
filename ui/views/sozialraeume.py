"""Sozialräume: one district at a time, with its concerns, its measures and its indicators."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pipelines.example_data import EXAMPLE_MARK, example_notice
from pipelines.indicators import indicator_districts, indicators_for
from pipelines.review import Filters
from ui import context as ctx
from ui import widgets as w

ctx.header("Sozialräume")
service = ctx.reader()
folder = ctx.settings().nlp.data_dir / "indicators"
notice = example_notice(ctx.settings().nlp)
if notice:
    st.warning(w.md(notice), icon=":material/info:")
districts = sorted({*service.overview(top=0).districts, *indicator_districts(folder)})
if not districts:
    st.info("Kein Beitrag nennt einen Sozialraum, und es gibt keine Indikatoren.")
    st.stop()

district = st.selectbox("Sozialraum", districts, key="district_pick")
st.header(w.md(district))

concerns = service.overview(Filters(district=district), top=20).top
st.subheader("Anliegen")
if concerns:
    st.caption("Zuerst die Anliegen, deren Beiträge diesen Sozialraum am häufigsten nennen.")
    st.dataframe(w.concerns_frame(concerns, district), hide_index=True, width="stretch", key="district_concerns")
else:
    st.info("Kein Beitrag nennt diesen Sozialraum.")

st.subheader("Maßnahmen")
measures = service.measures(district=district)
if measures:
    st.dataframe(w.measures_frame(measures), hide_index=True, width="stretch", key="district_measures")
else:
    st.caption("Noch keine Maßnahme für diesen Sozialraum.")

st.subheader("Indikatoren aus dem Sozialraumbericht")
indicators = indicators_for(district, folder)
if indicators:
    st.dataframe(pd.DataFrame({"Indikator": [i.indicator for i in indicators], "Wert": [i.value for i in indicators],
                               "Einheit": [i.unit for i in indicators], "Jahr": [i.year for i in indicators],
                               "Quelle": [f"{i.source} ({EXAMPLE_MARK})" if i.example else i.source
                                          for i in indicators]}),
                 hide_index=True, width="stretch", key="district_indicators")
    if any(i.example for i in indicators):
        st.caption(f"{EXAMPLE_MARK}: erfundene Werte für die Demo, keine amtlichen Zahlen.")
else:
    st.caption("Für diesen Sozialraum gibt es keine Indikatoren-Datei in data/indicators/.")
