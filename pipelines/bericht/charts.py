"""The report's charts, drawn with matplotlib (Agg, no display, DejaVu Sans from its wheel).

Labels are people's words: mathtext is off (``text.parse_math``), so ``$x$`` stays
``$x$``, and long labels are cut for the axis (the full text is in the report's text).
Each chart comes as PNG (Word) or SVG (PDF and HTML, text drawn as paths so the
file needs no font), with an alt text that says what it shows.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Polygon as MplPolygon  # noqa: E402

from pipelines.bericht.data import Bericht, ConcernItem  # noqa: E402
from pipelines.district_map import district_notes  # noqa: E402
from pipelines.example_data import EXAMPLE_MARK  # noqa: E402
from pipelines.formats import number  # noqa: E402

MAX_LABEL = 48
MAX_HEATMAP_COLUMNS = 25
STYLE = {"text.parse_math": False, "svg.fonttype": "path", "font.family": "DejaVu Sans", "font.size": 9,
         "svg.hashsalt": "taten"}  # a fixed salt: the same data give the same SVG


@dataclass(frozen=True)
class Chart:
    png: bytes
    svg: str
    alt: str
    width_cm: float


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _render(fig: plt.Figure, alt: str, width_cm: float, kind: str) -> Chart:
    """Draw ``fig`` as ``kind`` ("png" for Word, "svg" for PDF and HTML) only: each costs time."""
    png, svg = io.BytesIO(), io.StringIO()
    if kind == "png":
        fig.savefig(png, format="png", dpi=150, bbox_inches="tight")
    else:
        fig.savefig(svg, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return Chart(png.getvalue(), svg.getvalue(), alt, width_cm)


def top_concerns_chart(theme: str, concerns: list[ConcernItem], kind: str = "svg") -> Chart:
    """Horizontal bars: the notes of each concern, best first from the top."""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(concerns) + 0.8))
        labels = [f"{c.theme_rank}. {_short(c.label)}" for c in concerns][::-1]
        ax.barh(labels, [c.size for c in concerns][::-1], color="#1f5f8b")
        ax.set_xlabel("Beiträge")
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout()
        alt = (f"Balkendiagramm: die wichtigsten Anliegen im Thema {theme} mit ihrer Zahl an Beiträgen: "
               + "; ".join(f"{c.label}: {number(c.size)}" for c in concerns))
        return _render(fig, alt, 15.5, kind)


def heatmap_chart(bericht: Bericht, kind: str = "svg") -> Chart | None:
    """Themes × districts: how many notes of each theme's concerns name each district."""
    themes = [t for t in bericht.themes if bericht.heatmap.get(t)]
    totals = {d: sum(bericht.heatmap.get(t, {}).get(d, 0) for t in themes) for d in bericht.districts}
    districts = sorted((d for d in totals if totals[d]), key=lambda d: -totals[d])[:MAX_HEATMAP_COLUMNS]
    if not themes or not districts:
        return None
    grid = [[bericht.heatmap.get(t, {}).get(d, 0) for d in districts] for t in themes]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(max(5.0, 0.55 * len(districts) + 2.5), 0.45 * len(themes) + 1.8))
        _draw_heatmap(fig, ax, grid, districts, [_short(t) for t in themes])
        busiest = sorted(((v, t, d) for t, row in zip(themes, grid) for d, v in zip(districts, row) if v),
                         reverse=True)[:5]
        alt = ("Heatmap Themen mal Sozialräume: wie viele Beiträge je Thema einen Sozialraum nennen. Am häufigsten: "
               + "; ".join(f"{t} in {d}: {number(v)}" for v, t, d in busiest))
        return _render(fig, alt, 16.0, kind)


def _draw_heatmap(fig: Any, ax: Any, grid: list[list[int]], districts: list[str], rows: list[str]) -> None:
    """Counts as a blue grid, districts across, ``rows`` down, each non-zero cell labelled."""
    image = ax.imshow(grid, cmap="Blues", aspect="auto")
    ax.set_xticks(range(len(districts)), [_short(d) for d in districts], rotation=45, ha="right")
    ax.set_yticks(range(len(rows)), rows)
    peak = max(max(row) for row in grid) or 1
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if value:
                ax.text(j, i, str(value), ha="center", va="center", fontsize=7,
                        color="white" if value > peak / 2 else "black")
    fig.colorbar(image, ax=ax, label="Beiträge")
    fig.tight_layout()


def theme_heatmap_chart(theme: str, concerns: list[ConcernItem], kind: str = "svg") -> Chart | None:
    """One theme's top concerns × the districts their notes name (None when no note names one)."""
    totals: dict[str, int] = {}
    for c in concerns:
        for d, n in c.districts.items():
            totals[d] = totals.get(d, 0) + n
    districts = sorted(totals, key=lambda d: (-totals[d], d))[:MAX_HEATMAP_COLUMNS]
    if not concerns or not districts:
        return None
    grid = [[c.districts.get(d, 0) for d in districts] for c in concerns]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(max(5.0, 0.5 * len(districts) + 3.5), 0.45 * len(concerns) + 1.8))
        _draw_heatmap(fig, ax, grid, districts, [f"{c.theme_rank}. {_short(c.label)}" for c in concerns])
        alt = (f"Heatmap {theme}: die wichtigsten Anliegen mal Sozialräume. "
               + "; ".join(f"{c.label}: " + (", ".join(f"{d} {number(n)}" for d, n in sorted(
                   c.districts.items(), key=lambda x: -x[1])[:3]) or "kein Sozialraum genannt") for c in concerns))
        return _render(fig, alt, 16.0, kind)


def district_map_chart(bericht: Bericht, kind: str = "svg") -> Chart | None:
    """The city's areas coloured by the notes naming each district (None without a map).

    Drawn from the same GeoJSON as the workbench map (:func:`pipelines.district_map.load_district_map`),
    longitude stretched by the latitude so districts keep their shape; schematic example
    areas carry the example mark inside the picture.
    """
    dmap = bericht.district_map
    if dmap is None:
        return None
    notes = district_notes(bericht.heatmap)
    peak = max(notes.values(), default=0) or 1
    colours = plt.get_cmap("Oranges")
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6.5, 4.8))
        for name, polygons in dmap.shapes.items():
            n = notes.get(name, 0)
            for polygon in polygons:
                ax.add_patch(MplPolygon(polygon[0], closed=True, facecolor=colours(0.15 + 0.85 * n / peak)
                                        if n else "#e6e6e6", edgecolor="white", linewidth=1))
            ax.text(*dmap.label_point(name), f"{_short(name)}\n{number(n)}" if n else _short(name), ha="center",
                    va="center", fontsize=6.5, color="white" if n > peak / 2 else "black")
        west, south, east, north = dmap.bounds()
        ax.set_xlim(west, east)
        ax.set_ylim(south, north)
        ax.set_aspect(dmap.aspect())
        ax.set_axis_off()
        scale = plt.cm.ScalarMappable(cmap=colours, norm=plt.Normalize(0, peak))
        fig.colorbar(scale, ax=ax, label="Beiträge, die den Sozialraum nennen", shrink=0.7)
        if dmap.example:
            ax.set_title(f"{EXAMPLE_MARK}: schematische Flächen, keine amtlichen Grenzen", fontsize=8,
                         color="#9a3412")
        fig.tight_layout()
        busiest = sorted(((n, d) for d, n in notes.items() if d in dmap.shapes and n), reverse=True)[:5]
        alt = ("Karte der Sozialräume: wie viele Beiträge jeden Sozialraum nennen. Am häufigsten: "
               + ("; ".join(f"{d}: {number(n)}" for n, d in busiest) or "kein Sozialraum genannt")
               + (f". {EXAMPLE_MARK}: schematische Flächen." if dmap.example else "."))
        return _render(fig, alt, 15.5, kind)
