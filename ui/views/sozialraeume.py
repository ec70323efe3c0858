"""Sozialräume: the map, then one district at a time with its concerns, measures and indicators,
and where what people said and what the data say diverge."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pipelines.errors import InputError
from pipelines.example_data import EXAMPLE_MARK, example_notice
from pipelines.formats import notes, number
from pipelines.indicators import indicator_districts, load_indicators
from pipelines.review import Filters
from pipelines.voices import compare, figure, readings
from ui import context as ctx
from ui import widgets as w
from ui.district_map import district_map, loaded_map

ctx.header("Sozialräume")
service = ctx.reader()
settings = ctx.settings()
folder = settings.nlp.data_dir / "indicators"
notice = example_notice(settings.nlp)
if notice:
    st.warning(w.md(notice), icon=":material/info:")
everything = service.overview(top=None)
indicators = load_indicators(folder)
districts = sorted({*everything.districts, *indicator_districts(indicators)})
if not districts:
    st.info("Kein Beitrag nennt einen Sozialraum, und es gibt keine Indikatoren.")
    st.stop()

dmap = loaded_map()
if dmap is not None:
    district_map(dmap, everything, indicators, key="district_map", target="district_pick", allowed=districts,
                 selected=st.session_state.get("district_pick", districts[0]),
                 hint="Ein Klick auf einen Sozialraum öffnet ihn unten.")

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

try:
    comparison = compare(everything, settings.nlp, settings.comparison, indicators)
except InputError as exc:  # a broken themes.yml: the page stays, the comparison says why it is missing
    st.error(w.md(f"Der Abgleich von Stimmen und Daten fehlt: {exc}"), icon=":material/error:")
    comparison = None
st.subheader("Indikatoren aus dem Sozialraumbericht")
shown = readings(district, indicators, comparison.theme_indicators if comparison else {},
                 settings.comparison.population)
if shown:
    st.caption("Jeweils der neueste Wert; Stadt: Mittel aller Sozialräume, nach Einwohnern gewichtet. "
               "Der Verlauf erscheint, wo die Dateien mehrere Jahre enthalten.")
    st.dataframe(pd.DataFrame({
        "Indikator": [r.series.indicator for r in shown],
        "Wert": [figure(r.series.value) for r in shown],
        "Stadt": [figure(r.city) for r in shown],
        "Einheit": [r.series.unit for r in shown],
        "Jahr": [r.series.year for r in shown],
        "Verlauf": [r.series.trend() or "–" for r in shown],
        "Quelle": [f"{r.series.source} ({EXAMPLE_MARK})" if r.series.example else r.series.source for r in shown],
    }), hide_index=True, width="stretch", key="district_indicators")
    if any(r.series.example for r in shown):
        st.caption(f"{EXAMPLE_MARK}: erfundene Werte für die Demo, keine amtlichen Zahlen.")
else:
    st.caption("Für diesen Sozialraum gibt es keine Indikatoren-Datei in data/indicators/.")

if comparison is not None:
    st.subheader("Stimmen und Daten")
    spot = comparison.blind_spot(district)
    if spot:
        st.warning(w.md(f"{district} ist ein blinder Fleck: nur {notes(spot.notes)} "
                        f"({number(spot.share * 100, 1)} %) nennen den Sozialraum, aber "
                        + "; ".join(r.text() for r in spot.readings) + "."), icon=":material/visibility_off:")
    st.markdown("**Blinde Flecken**")
    st.caption(w.md(comparison.blind_spot_rule))
    if comparison.blind_spots:
        st.dataframe(pd.DataFrame({
            "Sozialraum": [b.district for b in comparison.blind_spots],
            "Beiträge": [f"{number(b.notes)} ({number(b.share * 100, 1)} %)" for b in comparison.blind_spots],
            "Auffällige Indikatoren": ["; ".join(r.text() for r in b.readings) for b in comparison.blind_spots],
        }), hide_index=True, width="stretch", key="blind_spots")
    else:
        st.caption("Kein Sozialraum erfüllt diese Regel.")
    st.markdown("**Anliegen ohne Beleg in den Daten**")
    st.caption(w.md(comparison.unsupported_rule))
    if comparison.unsupported:
        here = sorted(comparison.unsupported, key=lambda u: u.district != district)  # this district's first
        st.dataframe(pd.DataFrame({
            "Anliegen": [u.concern for u in here], "Thema": [u.theme for u in here],
            "Sozialraum": [u.district for u in here], "Beiträge": [u.notes for u in here],
            "Indikatoren dort": ["; ".join(r.text() for r in u.readings) for u in here],
        }), hide_index=True, width="stretch", key="unsupported_concerns")
    else:
        st.caption("Kein Anliegen erfüllt diese Regel.")
    if comparison.example:
        st.caption(f"{EXAMPLE_MARK}: der Abgleich rechnet mit erfundenen Indikatoren der Demo.")
