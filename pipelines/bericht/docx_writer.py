"""The committee report as a Word file (python-docx): headings as Word headings, German
language, charts with alt texts, every text a plain run (python-docx escapes it)."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from pipelines.bericht import (
    TITLE, TOP_OVERALL, TOP_PER_THEME, Bericht, MeasureItem, concern_facts, key_figures, measure_facts, proposal,
    provenance, quote_line, when,
)
from pipelines.bericht.charts import (
    Chart, district_map_chart, heatmap_chart, theme_heatmap_chart, top_concerns_chart,
)


def _german(document: Document) -> None:
    for style_name in ("Normal", "Heading 1", "Heading 2", "Heading 3", "Title"):
        rpr = document.styles[style_name].element.get_or_add_rPr()
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = rpr.makeelement(qn("w:lang"), {})
            rpr.append(lang)
        lang.set(qn("w:val"), "de-DE")


def _picture(document: Document, chart: Chart) -> None:
    document.add_picture(io.BytesIO(chart.png), width=Cm(chart.width_cm))
    inline = document.inline_shapes[-1]._inline
    inline.docPr.set("descr", chart.alt)  # Word's "Alternativtext"
    inline.docPr.set("title", chart.alt[:80])


def _notice(document: Document, notice: str | None) -> None:
    if notice:
        run = document.add_paragraph().add_run(notice)
        run.bold = True
        run.font.color.rgb = RGBColor(0x9A, 0x34, 0x12)


def _measure(document: Document, m: MeasureItem) -> None:
    document.add_heading(f"{m.reference}: {m.title}", level=3)
    for name, value in measure_facts(m):
        p = document.add_paragraph()
        p.add_run(f"{name}: ").bold = True
        p.add_run(value)
    if m.description.strip():
        document.add_paragraph(m.description)
    if m.concerns:
        document.add_paragraph("Aus den Anliegen: " + "; ".join(m.concerns))
    for q in m.quotes:
        document.add_paragraph(quote_line(q), style="Quote")


def write_docx(b: Bericht, path: Path) -> None:
    """Write the Sitzungsvorlage of ``b`` to ``path``."""
    document = Document()
    _german(document)
    document.core_properties.title = f"{TITLE}: {b.conference}"
    document.core_properties.language = "de-DE"
    document.core_properties.author = "Taten"
    document.styles["Normal"].font.size = Pt(11)

    document.add_heading(TITLE, level=0)
    document.add_paragraph(b.conference).runs[0].bold = True
    document.add_paragraph(f"Sitzungsvorlage für den Ausschuss · Konferenz am {when(b)}")
    _notice(document, b.notice)
    document.add_paragraph(
        f"Tische: {b.n_tables} · Runden: {', '.join(map(str, b.rounds)) or '–'} · "
        f"Beteiligte Gruppen: {', '.join(b.groups) or '–'}")

    document.add_heading("Auf einen Blick", level=1)
    table = document.add_table(rows=2, cols=len(key_figures(b)))
    table.style = "Table Grid"
    for i, (name, value) in enumerate(key_figures(b)):
        table.cell(0, i).text, table.cell(1, i).text = name, value
    header = table.rows[0]._tr.get_or_add_trPr()  # a header row, for screen readers and page breaks
    header.append(header.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"}))
    document.add_heading("Wichtigste Anliegen", level=2)
    for c in b.concerns[:TOP_OVERALL]:
        document.add_paragraph(f"{c.rank}. {c.label} ({c.theme}) – {c.size} Beiträge", style="List Number")
    heatmap = heatmap_chart(b, "png")
    if heatmap:
        document.add_heading("Themen und Sozialräume", level=2)
        _picture(document, heatmap)
    places = district_map_chart(b, "png")
    if places and b.district_map:
        document.add_heading("Karte der Sozialräume", level=2)
        _picture(document, places)
        document.add_paragraph(b.district_map.caption)

    for theme in b.themes:
        document.add_heading(theme, level=1)
        top = b.concerns_of(theme)[:TOP_PER_THEME]
        _picture(document, top_concerns_chart(theme, top, "png"))
        for c in top:
            document.add_paragraph(f"{c.theme_rank}. {c.label} – {concern_facts(c)}")
        places = theme_heatmap_chart(theme, top, "png")
        if places:
            _picture(document, places)
        measures = b.measures_of(theme)
        document.add_heading("Vorgeschlagene Maßnahmen", level=2)
        if not measures:
            document.add_paragraph("Noch keine Maßnahme.")
        for m in measures:
            _measure(document, m)
    if b.measures_elsewhere():
        document.add_heading("Weitere Maßnahmen", level=1)
        for m in b.measures_elsewhere():
            _measure(document, m)

    document.add_heading("Beschlussvorschlag", level=1)
    for line in proposal(b):
        document.add_paragraph(line)

    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.add_heading("Anhang: alle Anliegen", level=1)
    for c in b.concerns:
        document.add_paragraph(f"{c.rank}. {c.label} ({c.theme}) – {concern_facts(c)}")
    document.add_heading("Herkunft der Zahlen", level=1)
    document.add_paragraph(provenance(b))
    _notice(document, b.notice)
    document.save(path)
