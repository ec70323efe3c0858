"""Shared rendering of the workbench: safe text, cluster cards, tables and charts.

Note text is data, never markup: it goes through ``st.text``, ``st.dataframe`` or
Vega-Lite tooltips (which escape), or through :func:`md` before it reaches any
element that renders Markdown (labels, captions). No element here sets
``unsafe_allow_html`` with anything but our own constant strings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from pipelines.formats import notes, number
from pipelines.review import ClusterView, MeasureView, MemberView

ALL = "Alle"
PICK = "Bitte auswählen …"

BREAKDOWN_NAMES = {
    "support": "Anzahl Beiträge",
    "tables": "verschiedene Tische",
    "rounds": "verschiedene Runden",
    "groups": "verschiedene Gruppen",
    "districts": "verschiedene Sozialräume",
    "conferences": "verschiedene Konferenzen",
}
SPREAD_NAMES = {"tables": "Tische", "rounds": "Runden", "groups": "Gruppen", "districts": "Sozialräume"}

_MD_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&=\"'])")
# Streamlit's Markdown turns bare URLs and e-mail addresses into links (remark-gfm)
# and ":smile:" or ":material/home:" into pictures *after* parsing, so backslash
# escapes do not stop them: they match /(https?:\/\/|www(?=\.))[-.\w]+/,
# /[-.\w+]+@[-\w]+(\.[-\w]+)+/ and /:[\w-]+:/ on the parsed text. An invisible
# WORD JOINER (U+2060) after a ":" or "@" that a word or "/" follows, and between
# "www" and ".", breaks all of them; "Thema: Wohnen" is left as it is, so searching the
# page for it still finds it.
_AUTOLINK = re.compile(r"[:@](?=[\w/+-])|www(?=\.)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def md(text: object) -> str:
    """``text`` as literal Markdown: every Markdown and HTML special is backslash-escaped,
    and URLs, e-mail addresses and emoji codes stay text instead of links or pictures."""
    flat = _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, " ".join(str(text).split()))
    return _MD_SPECIALS.sub(r"\\\1", flat)


def option_label(text: object, limit: int = 80) -> str:
    """A one-line, shortened label for select options (rendered as plain text)."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def choose(label: str, options: Sequence[Any], key: str, **kwargs: Any) -> Any:
    """A selectbox with 'Alle' first; returns None for 'Alle'."""
    value = st.selectbox(label, [ALL, *options], key=key, **kwargs)
    return None if value == ALL else value


# -- tables --------------------------------------------------------------------


def members_frame(members: Sequence[MemberView]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Nr.": [m.id for m in members],
            "Beitrag": [m.text for m in members],
            "Quelle": [m.source for m in members],
            "Tisch": [m.table or "" for m in members],
            "Runde": [m.round if m.round is not None else "" for m in members],
            "Gruppe": [m.stakeholder_group or "" for m in members],
            "Sozialräume": [", ".join(m.districts) for m in members],
        }
    )


MEMBER_ROW_PX = 68  # over 4rem: Streamlit's table wraps the text of a cell to three lines
MEMBER_ROWS_SHOWN = 20


def member_table(members: Sequence[MemberView], key: str, selectable: bool = False) -> None:
    """Every member with its text and source, as a table (cells are plain text).

    Note texts wrap; up to :data:`MEMBER_ROWS_SHOWN` rows show without scrolling.
    ``selectable`` lets a person tick one row (read from ``st.session_state[key]["selection"]["rows"]``).
    """
    if not members:
        st.caption("Keine Beiträge.")
        return
    height = 38 + MEMBER_ROW_PX * min(len(members), MEMBER_ROWS_SHOWN)
    options: dict[str, Any] = {"on_select": "rerun", "selection_mode": "single-row"} if selectable else {}
    # base widths that fit a card at a 1024 px window; wider windows stretch them. Table and round
    # are part of "Quelle", so their own columns are left out here.
    st.dataframe(members_frame(members), hide_index=True, width="stretch", key=key, height=height,
                 row_height=MEMBER_ROW_PX, column_order=("Nr.", "Beitrag", "Quelle", "Gruppe", "Sozialräume"),
                 column_config={
                     "Nr.": st.column_config.NumberColumn(width=40),
                     "Beitrag": st.column_config.TextColumn(width=185),
                     "Quelle": st.column_config.TextColumn(width=110),
                     "Gruppe": st.column_config.TextColumn(width=75),
                     "Sozialräume": st.column_config.TextColumn(width=75)}, **options)


def quotes(members: Sequence[MemberView]) -> None:
    for m in members:
        st.text(f"„{' '.join(m.text.split())}“  ({m.source})")


def concerns_frame(clusters: Sequence[ClusterView], district: str | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "Rang": [c.rank for c in clusters],
            "Thema": [c.theme for c in clusters],
            "Anliegen": [c.label for c in clusters],
            "Beiträge": [c.size for c in clusters],
            "Punkte": [number(c.score) for c in clusters],  # text: a dataframe shows "7.45"
            "Warum": [why(c) for c in clusters],
            "Schlüsselwörter": [", ".join(c.keywords[:6]) for c in clusters],
        }
    )
    if district is not None:
        frame.insert(4, f"nennen {district}", [c.profile.get("districts", {}).get(district, 0) for c in clusters])
    return frame


def why(c: ClusterView) -> str:
    parts = []
    for key, one, many in (("tables", "Tisch", "Tischen"), ("rounds", "Runde", "Runden"),
                           ("groups", "Gruppe", "Gruppen"), ("districts", "Sozialraum", "Sozialräumen")):
        n = len(c.profile.get(key, {}))
        if n:
            parts.append(f"{n} {one if n == 1 else many}")
    return "genannt an " + ", ".join(parts) if parts else "–"


def measures_frame(measures: Sequence[MeasureView], *, staff: bool = True) -> pd.DataFrame:
    data: dict[str, list[Any]] = {
        "Nr.": [m.id for m in measures],
        "Titel": [m.title for m in measures],
        "Themenfeld": [m.theme or "" for m in measures],
        "Sozialräume": [", ".join(m.districts) for m in measures],
        "Zuständig": [m.responsible or "" for m in measures],
        "Priorität": [m.priority or "" for m in measures],
        "Status": [m.status for m in measures],
        "Fortschritt": [f"{number(m.progress_total, 0)} %" for m in measures],
        "Zeitraum": [m.timeframe or "" for m in measures],
        "Kosten": [m.cost_estimate or "" for m in measures],
        "aus Anliegen": ["; ".join(m.cluster_labels) for m in measures],
    }
    if staff:
        data["zuletzt geändert von"] = [m.updated_by or "" for m in measures]
    return pd.DataFrame(data)


def spread(c: ClusterView) -> None:
    """How a cluster spreads over tables, rounds, stakeholder groups and districts (plain text, no tab stops)."""
    columns = st.columns(len(SPREAD_NAMES))
    for column, (key, name) in zip(columns, SPREAD_NAMES.items(), strict=True):
        counts = c.profile.get(key, {})
        with column:
            st.caption(f"{name}: {len(counts)}")
            if counts:
                st.text("\n".join(f"{value}: {n}" for value, n in counts.items()))


# -- charts --------------------------------------------------------------------


def breakdown_chart(clusters: Sequence[ClusterView]) -> alt.Chart | None:
    """Stacked bars: what each concern's score is made of."""
    rows = [
        {"Anliegen": option_label(c.label, 60), "Rang": c.rank, "Anteil": BREAKDOWN_NAMES.get(k, k),
         "Punkte": round(float(v), 3)}
        for c in clusters for k, v in c.breakdown.items() if v
    ]
    if not rows:
        return None
    return (
        alt.Chart(pd.DataFrame(rows))
        .mark_bar()
        .encode(
            y=alt.Y("Anliegen:N", sort=alt.SortField("Rang"), title=None, axis=alt.Axis(labelLimit=400)),
            x=alt.X("sum(Punkte):Q", title="Punkte"),
            color=alt.Color("Anteil:N", title="Punkte für"),
            tooltip=["Anliegen:N", "Anteil:N", "Punkte:Q"],
        )
    )


def heatmap_chart(heatmap: Mapping[str, Mapping[str, int]]) -> alt.Chart | None:
    rows = [{"Thema": t, "Sozialraum": d, "Beiträge": n} for t, row in heatmap.items() for d, n in row.items()]
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    base = alt.Chart(frame, height=alt.Step(34)).encode(
        x=alt.X("Sozialraum:N", title="Sozialraum", axis=alt.Axis(labelAngle=-40)),
        y=alt.Y("Thema:N", title=None, axis=alt.Axis(labelLimit=300)),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("Beiträge:Q", scale=alt.Scale(scheme="oranges"), title="Beiträge"),
        tooltip=["Thema:N", "Sozialraum:N", "Beiträge:Q"],
    )
    return cells + base.mark_text(baseline="middle").encode(text="Beiträge:Q")


# After Kelly's colours of maximum contrast (white and black left out, three close pairs
# replaced by teal, magenta and navy): 20 clusters on the map get 20 colours that stay
# apart (at least 44 apart in RGB) and show on white.
CLUSTER_COLOURS = (
    "#0067a5", "#f38400", "#be0032", "#008856", "#875692", "#f3c300", "#a1caf1", "#882d17", "#8db600", "#e68fac",
    "#d62ad6", "#c2b280", "#2b3d26", "#f99379", "#b3446c", "#654522", "#00a3a3", "#848482", "#e25822", "#1a1a6e",
)


def map_chart(points: Sequence[Mapping[str, Any]]) -> alt.Chart | None:
    """The contributions on their 2-D map, coloured by cluster; hovering shows the text.

    Up to :data:`CLUSTER_COLOURS` clusters each get a colour of their own, in the order
    they first appear; beyond that the colours repeat.
    """
    if not points:
        return None
    frame = pd.DataFrame(
        {
            "x": [p["x"] for p in points],
            "y": [p["y"] for p in points],
            "Cluster": [p["cluster"] for p in points],
            "Beitrag": [p["text"] for p in points],
            "Nummer": [p["id"] for p in points],  # no "." in a field name: Vega reads "Nr." as a nested field
        }
    )
    clusters = list(dict.fromkeys(frame["Cluster"]))
    colours = [CLUSTER_COLOURS[i % len(CLUSTER_COLOURS)] for i in range(len(clusters))]
    legend = alt.Legend(labelLimit=300) if len(clusters) <= 25 else None
    return (
        alt.Chart(frame)
        .mark_circle(size=60, opacity=0.8)
        .encode(
            x=alt.X("x:Q", axis=None, scale=alt.Scale(zero=False, padding=12)),
            y=alt.Y("y:Q", axis=None, scale=alt.Scale(zero=False, padding=12)),
            color=alt.Color("Cluster:N", legend=legend, scale=alt.Scale(domain=clusters, range=colours)),
            tooltip=[alt.Tooltip("Beitrag:N"), alt.Tooltip("Cluster:N"), alt.Tooltip("Nummer:Q", title="Nr.")],
        )
        .interactive()
    )


def top_bars(clusters: Sequence[ClusterView]) -> alt.LayerChart | None:
    """Horizontal bars: how many notes each top concern has (committee view).

    Short labels ("1. Kita-Plätze fehlen …") within a fixed width, so the bars keep
    room on a 1024-pixel screen; the full label stands in the list below the chart.
    Whole numbers only on the axis, the count at the end of each bar.
    """
    if not clusters:
        return None
    frame = pd.DataFrame({"Anliegen": [f"{c.theme_rank}. {option_label(c.label, 30)}" for c in clusters],
                          "Name": [c.label for c in clusters],
                          "Beiträge": [c.size for c in clusters], "Rang": [c.rank for c in clusters]})
    base = alt.Chart(frame, height=alt.Step(44)).encode(
        y=alt.Y("Anliegen:N", sort=alt.SortField("Rang"), title=None,
                axis=alt.Axis(labelLimit=240, labelFontSize=15)),
        x=alt.X("Beiträge:Q", title="Beiträge", scale=alt.Scale(domainMin=0, nice=True),
                axis=alt.Axis(labelFontSize=14, titleFontSize=14, tickMinStep=1, format="d")),
        tooltip=[alt.Tooltip("Name:N", title="Anliegen"), "Beiträge:Q"],
    )
    bars = base.mark_bar(color="#c2410c")
    counts = base.mark_text(align="left", dx=4, fontSize=15).encode(text="Beiträge:Q")
    return bars + counts


# Vega's number formats in German: axis labels "0,5", tooltips "1.386".
GERMAN_LOCALE = {"number": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", "\u00a0€"]}}


def chart(spec: alt.TopLevelMixin | None, key: str, empty: str = "Keine Daten für diese Auswahl.") -> None:
    """A chart in German number format, without Vega's English action menu."""
    if spec is None:
        st.caption(empty)
    else:
        # aria off: Vega would describe each axis in English ("X-axis titled … for a linear scale").
        st.altair_chart(spec.configure(locale=GERMAN_LOCALE, aria=False), width="stretch", key=key)


# -- cluster card --------------------------------------------------------------


def cluster_status(c: ClusterView) -> str:
    flags = []
    if c.locked:
        flags.append("gesperrt")
    if not c.relevant:
        flags.append("nicht relevant")
    if c.reviewed:
        flags.append("geprüft")
    if c.measure_ids:
        flags.append(f"Maßnahme {', '.join(str(i) for i in c.measure_ids)}")
    return ", ".join(flags)


def cluster_title(c: ClusterView) -> str:
    """Expander title (Markdown): the escaped label with size and flags."""
    status = cluster_status(c)
    return f"{c.theme_rank or '–'}\\. {md(c.label)} · {notes(c.size)}" + (f" · {md(status)}" if status else "")


def cluster_facts(c: ClusterView) -> None:
    """Label, keywords, score, spread and representative quotes of one cluster."""
    st.text(f"Name: {c.label}")
    st.text(f"Schlüsselwörter: {', '.join(c.keywords) or '–'}")
    cols = st.columns(4)
    cols[0].metric("Beiträge", number(c.size))
    cols[1].metric("Rang gesamt", number(c.rank))
    cols[2].metric("Punkte", number(c.score))
    cols[3].metric("Schwerpunkt", md(c.hotspot) if c.hotspot else "–")  # a metric's value is Markdown
    spread(c)
    if c.representatives:
        st.caption("Typische Beiträge")
        quotes(c.representatives)
