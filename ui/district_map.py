"""The map of the Sozialräume: the city's own areas coloured by notes, concerns or an indicator.

Drawn by Vega-Lite (as every workbench chart) from inline GeoJSON on a planar
projection: no tiles, no world atlas, no request that leaves the machine. Longitudes
are shrunk by the cosine of the map's latitude first, so a district keeps its shape.
A click on a district picks it: the page's district widget (``target``) takes its name.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import streamlit as st

from pipelines.district_map import NOTES, DistrictMap, load_district_map, map_values, measures_of_map, unit_of
from pipelines.errors import InputError
from pipelines.formats import number
from pipelines.indicators import Indicator
from pipelines.review import Overview
from pipelines.settings import NlpSettings
from ui import context as ctx
from ui import widgets as w

PICK = "sozialraum"  # the selection parameter: a click on an area
PICK_NAME = "sozialraum_name"  # a click on a district's name, which lies on top of its area


@st.cache_resource(show_spinner=False, max_entries=4)
def _read_map(nlp_json: str, stamps: tuple[float, ...]) -> DistrictMap | None:
    """The map, read again only when the settings or the files change (``stamps``: their mtimes)."""
    return load_district_map(NlpSettings.model_validate_json(nlp_json))


def _stamp(path: Path) -> float:
    return path.stat().st_mtime if path.is_file() else 0.0


def loaded_map() -> DistrictMap | None:
    """The city's map, or None; a broken file shows its German message and no map."""
    nlp = ctx.settings().nlp
    data = Path(nlp.data_dir)
    try:
        return _read_map(nlp.model_dump_json(), (_stamp(data / nlp.district_map) if nlp.district_map else 0.0,
                                                 _stamp(data / nlp.gazetteer)))
    except InputError as exc:
        st.error(w.md(f"Die Karte der Sozialräume fehlt: {exc}"), icon=":material/map:")
        return None


def _planar(geometry: dict[str, Any], shrink: float) -> dict[str, Any]:
    def ring(points: list[list[float]]) -> list[list[float]]:
        return [[lon * shrink, lat] for lon, lat in points]

    if geometry["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": [ring(r) for r in geometry["coordinates"]]}
    return {"type": "MultiPolygon", "coordinates": [[ring(r) for r in poly] for poly in geometry["coordinates"]]}


def _pick(name: str, view: str) -> dict[str, Any]:
    """A click selection on the layer ``view`` that reports the district's name."""
    return {"name": name, "select": {"type": "point", "fields": ["Sozialraum"], "on": "click"}, "views": [view]}


def map_spec(dmap: DistrictMap, values: Mapping[str, float], measure: str, unit: str,
             selected: str | None = None) -> dict[str, Any]:
    """The Vega-Lite spec: areas coloured by ``values`` (grey where a district has none), names on top.

    A click on an area (selection ``PICK``) or on its name (``PICK_NAME``) picks the district.
    """
    shrink = 1.0 / dmap.aspect()
    title = f"{measure} ({unit})" if unit else measure
    peak = max((v for v in values.values() if v is not None), default=0.0)
    shapes, labels = [], []
    for feature in dmap.features():
        name = feature["properties"]["name"]
        value = values.get(name)
        shown = "–" if value is None else number(value, 0 if float(value).is_integer() else 1)
        shapes.append({"type": "Feature", "geometry": _planar(feature["geometry"], shrink), "properties": {},
                       "Sozialraum": name, "Wert": value, "Anzeige": f"{shown} {unit}".strip(),
                       "Gewählt": name == selected})
        x, y = dmap.label_point(name)
        labels.append({"Sozialraum": name, "x": x * shrink, "y": y,
                       "Dunkel": value is not None and value > peak / 2})  # white names on dark areas
    return {  # a plain Vega-Lite spec: Altair would validate every object it builds (0.4 s for this map)
        "height": 420,
        # aria off: Vega would describe the map in English; German number format as everywhere
        "config": {"locale": w.GERMAN_LOCALE, "aria": False, "view": {"stroke": None}},
        "projection": {"type": "identity", "reflectY": True},
        "params": [_pick(PICK, "flaechen"), _pick(PICK_NAME, "namen")],
        "layer": [
            {"name": "flaechen", "data": {"values": shapes},
             # invalid="show": a district without a value stays on the map, grey, instead of being dropped
             "mark": {"type": "geoshape", "strokeWidth": 1, "invalid": "show"},
             "encoding": {
                 "color": {"condition": {"test": "datum.Wert === null", "value": "#e6e6e6"}, "field": "Wert",
                           "type": "quantitative", "scale": {"scheme": "oranges"}, "title": title,
                           "legend": {"format": ",.1~f"}},
                 "stroke": {"condition": {"test": "datum.Gewählt", "value": "#1f5f8b"}, "value": "white"},
                 "strokeWidth": {"condition": {"test": "datum.Gewählt", "value": 3}, "value": 1},
                 "tooltip": [{"field": "Sozialraum", "type": "nominal"},
                             {"field": "Anzeige", "type": "nominal", "title": title}],
             }},
            {"name": "namen", "data": {"values": labels},
             "mark": {"type": "text", "fontSize": 10},
             "encoding": {"color": {"condition": {"test": "datum.Dunkel", "value": "white"}, "value": "#333"},
                          "longitude": {"field": "x", "type": "quantitative"},
                          "latitude": {"field": "y", "type": "quantitative"},
                          "text": {"field": "Sozialraum", "type": "nominal"}}},
        ],
    }


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

