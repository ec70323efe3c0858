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

from pipelines.bericht.data import Bericht, ConcernItem  # noqa: E402
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
