"""The committee report as a tagged PDF/UA-1 file, typeset by Typst (the compiler and
its fonts come inside the ``typst`` wheel: Libertinus Serif, SIL Open Font Licence).

The template (``bericht.typ``) reads everything from ``data.json``: people's text is
never Typst source, so ``#``, ``*``, ``$`` or ``<script>`` stay characters. Charts are
SVG files beside it, each with its alt text (PDF/UA requires one).
"""

from __future__ import annotations

import json
import tempfile
from importlib import resources
from pathlib import Path

import typst

from pipelines.bericht import (
    TITLE, TOP_OVERALL, TOP_PER_THEME, Bericht, MeasureItem, concern_facts, key_figures, measure_facts, proposal,
    provenance, quote_line, when,
)
from pipelines.bericht.charts import (
    Chart, district_map_chart, heatmap_chart, theme_heatmap_chart, top_concerns_chart,
)
from pipelines.errors import TatenError

TEMPLATE = "bericht.typ"


def _measure(m: MeasureItem) -> dict:
    return {"heading": f"{m.reference}: {m.title}", "facts": measure_facts(m), "description": m.description.strip(),
            "concerns": "; ".join(m.concerns), "quotes": [quote_line(q) for q in m.quotes]}


def _chart(folder: Path, name: str, chart: Chart) -> dict:
    (folder / name).write_text(chart.svg, encoding="utf-8")
    return {"file": name, "alt": chart.alt}


def pdf_bytes(b: Bericht) -> bytes:
    """The PDF of ``b``."""
    return _typeset(b)


def page_images(b: Bericht, ppi: int = 110) -> list[bytes]:
    """Each page of the PDF as a PNG image (for screenshots), typeset the same way."""
    pages = _typeset(b, "png", ppi)
    return pages if isinstance(pages, list) else [pages]


def _typeset(b: Bericht, fmt: str = "pdf", ppi: int | None = None) -> bytes | list[bytes]:
    with tempfile.TemporaryDirectory(prefix="taten-bericht-") as tmp:
        folder = Path(tmp)
        heatmap = heatmap_chart(b)
        places = district_map_chart(b)
        themes = []
        for i, theme in enumerate(b.themes):
            top = b.concerns_of(theme)[:TOP_PER_THEME]
            places = theme_heatmap_chart(theme, top)
            themes.append({"name": theme, "chart": _chart(folder, f"thema-{i}.svg", top_concerns_chart(theme, top)),
                           "places": _chart(folder, f"orte-{i}.svg", places) if places else None,
                           "concerns": [f"{c.theme_rank}. {c.label} – {concern_facts(c)}" for c in top],
                           "measures": [_measure(m) for m in b.measures_of(theme)]})
        data = {
            "title": f"{TITLE}: {b.conference}", "title_line": TITLE, "conference": b.conference,
            "subtitle": f"Sitzungsvorlage für den Ausschuss · Konferenz am {when(b)}",
            "participants": (f"Tische: {b.n_tables} · Runden: {', '.join(map(str, b.rounds)) or '–'} · "
                             f"Beteiligte Gruppen: {', '.join(b.groups) or '–'}"),
            "footer": (b.notice.split(":")[0] + " · " if b.notice else "") + b.conference,
            "notice": b.notice, "figures": key_figures(b),
            "top": [f"{c.label} ({c.theme}) – {c.size} Beiträge" for c in b.concerns[:TOP_OVERALL]],
            "heatmap": _chart(folder, "heatmap.svg", heatmap) if heatmap else None,
            "map": ({**_chart(folder, "karte.svg", places), "caption": b.district_map.caption}
                    if places and b.district_map else None),
            "themes": themes, "elsewhere": [_measure(m) for m in b.measures_elsewhere()],
            "proposal": proposal(b),
            "appendix": [f"{c.rank}. {c.label} ({c.theme}) – {concern_facts(c)}" for c in b.concerns],
            "provenance": provenance(b),
        }
        (folder / "data.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        source = folder / TEMPLATE
        source.write_bytes(resources.files("pipelines.bericht").joinpath(TEMPLATE).read_bytes())
        try:
            if fmt == "pdf":
                return typst.compile(str(source), root=str(folder), pdf_standards=["ua-1"], ignore_system_fonts=True)
            return typst.compile(str(source), root=str(folder), format=fmt, ppi=ppi, ignore_system_fonts=True)
        except typst.TypstError as exc:  # a template bug, never the data: say which
            raise TatenError(f"Das PDF ließ sich nicht setzen: {exc}") from exc


def write_pdf(b: Bericht, path: Path) -> None:
    Path(path).write_bytes(pdf_bytes(b))
