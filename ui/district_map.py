"""The map of the Sozialräume: the city's own areas coloured by notes, concerns or an indicator.

Drawn by Vega-Lite (as every workbench chart) from inline GeoJSON on a planar
projection: no tiles, no world atlas, no request that leaves the machine. Longitudes
are shrunk by the cosine of the map's latitude first, so a district keeps its shape.
A click on a district picks it: the page's district widget (``target``) takes its name.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import altair as alt
import streamlit as st

from pipelines.district_map import NOTES, DistrictMap, load_district_map, map_values, measures_of_map, unit_of
from pipelines.errors import InputError
from pipelines.formats import number
from pipelines.indicators import Indicator
from pipelines.review import Overview
from ui import context as ctx
from ui import widgets as w

PICK = "sozialraum"  # the selection parameter: a click on an area
PICK_NAME = "sozialraum_name"  # a click on a district's name, which lies on top of its area


def loaded_map() -> DistrictMap | None:
    """The city's map, or None; a broken file shows its German message and no map."""
    try:
        return load_district_map(ctx.settings().nlp)
    except InputError as exc:
        st.error(w.md(f"Die Karte der Sozialräume fehlt: {exc}"), icon=":material/map:")
        return None


def _planar(geometry: dict[str, Any], shrink: float) -> dict[str, Any]:
    def ring(points: list[list[float]]) -> list[list[float]]:
        return [[lon * shrink, lat] for lon, lat in points]

    if geometry["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": [ring(r) for r in geometry["coordinates"]]}
    return {"type": "MultiPolygon", "coordinates": [[ring(r) for r in poly] for poly in geometry["coordinates"]]}


def map_spec(dmap: DistrictMap, values: Mapping[str, float], measure: str, unit: str,
             selected: str | None = None) -> dict[str, Any]:
    """The Vega-Lite spec: areas coloured by ``values`` (grey where a district has none), names on top.

    A click on an area (selection ``PICK``) or on its name (``PICK_NAME``) picks the district.
    """
    shrink = 1.0 / dmap.aspect()
    title = f"{measure} ({unit})" if unit else measure
    shapes, labels = [], []
    for feature in dmap.features():
        name = feature["properties"]["name"]
        value = values.get(name)
        shown = "–" if value is None else number(value, 0 if float(value).is_integer() else 1)
        shapes.append({"type": "Feature", "geometry": _planar(feature["geometry"], shrink), "properties": {},
                       "Sozialraum": name, "Wert": value, "Anzeige": f"{shown} {unit}".strip(),
                       "Gewählt": name == selected})
        outer = dmap.shapes[name][0][0]
        labels.append({"Sozialraum": name, "x": sum(p[0] for p in outer[:-1]) / (len(outer) - 1) * shrink,
                       "y": sum(p[1] for p in outer[:-1]) / (len(outer) - 1)})
    projection = {"type": "identity", "reflectY": True}
    # invalid="show": a district without a value stays on the map, grey, instead of being dropped
    areas = alt.Chart(alt.Data(values=shapes)).mark_geoshape(strokeWidth=1, invalid="show").encode(
        color=alt.condition("datum.Wert === null", alt.value("#e6e6e6"),
                            alt.Color("Wert:Q", scale=alt.Scale(scheme="oranges"), title=title,
                                      legend=alt.Legend(format=",.1~f"))),
        stroke=alt.condition("datum.Gewählt", alt.value("#1f5f8b"), alt.value("white")),
        strokeWidth=alt.condition("datum.Gewählt", alt.value(3), alt.value(1)),
        tooltip=[alt.Tooltip("Sozialraum:N"), alt.Tooltip("Anzeige:N", title=title)],
    ).add_params(alt.selection_point(name=PICK, fields=["Sozialraum"], on="click", empty=False)
                 ).project(**projection)
    names = alt.Chart(alt.Data(values=labels)).mark_text(fontSize=10, color="#333").encode(
        longitude="x:Q", latitude="y:Q", text="Sozialraum:N",
    ).add_params(alt.selection_point(name=PICK_NAME, fields=["Sozialraum"], on="click", empty=False)
                 ).project(**projection)
    # aria off: Vega would describe the map in English; German number format as everywhere
    chart = alt.layer(areas, names).properties(height=420).configure(locale=w.GERMAN_LOCALE, aria=False)
    return chart.configure_view(stroke=None).to_dict()


def picked(event: Any) -> str | None:
    """The district a click on the map picked, from the chart's selection state; None when none."""
    selection = (event or {}).get("selection") or {}
    points = [*(selection.get(PICK) or []), *(selection.get(PICK_NAME) or [])]
    names = [p.get("Sozialraum") for p in points if isinstance(p, Mapping)]
    return next((n for n in names if isinstance(n, str)), None)


def district_map(dmap: DistrictMap, overview: Overview, indicators: list[Indicator], *, key: str, target: str,
                 allowed: Collection[str], hint: str, selected: str | None = None) -> None:
    """A measure picker and the map; a click on a district in ``allowed`` sets ``st.session_state[target]``."""
    measure = st.selectbox("Karte färben nach", measures_of_map(indicators), key=f"{key}_measure")
    values = map_values(measure, overview, indicators)

    def follow() -> None:
        name = picked(st.session_state.get(key))
        if name in allowed:
            st.session_state[target] = name

    spec = map_spec(dmap, values, measure, unit_of(measure, indicators) if measure != NOTES else "", selected)
    st.vega_lite_chart(spec, width="stretch", key=key, on_select=follow,
                       selection_mode=(PICK, PICK_NAME))
    st.caption(w.md(f"{dmap.caption} {hint}"))

