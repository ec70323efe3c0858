"""The map of the Sozialräume in the reports: Word, PDF and HTML draw it from the workbench's GeoJSON."""

from __future__ import annotations

import base64
import io
import re
from dataclasses import replace
from pathlib import Path

import docx
import pypdf
import pytest

from pipelines.bericht.charts import district_map_chart
from pipelines.bericht.data import Bericht
from pipelines.bericht.html_writer import html_text
from pipelines.bericht.pdf_writer import pdf_bytes
from pipelines.bericht.write import write_report
from pipelines.district_map import district_notes, load_district_map
from pipelines.example_data import EXAMPLE_MARK
from pipelines.settings import load_settings
from tests.pipelines.test_bericht import _squeezed, bericht  # noqa: F401  (the analysed report fixture)

SCHEMATIC = f"{EXAMPLE_MARK}: schematische Flächen"


@pytest.fixture
def with_map(bericht: Bericht) -> Bericht:  # noqa: F811
    return replace(bericht, district_map=load_district_map(load_settings().nlp))


def test_map_chart_colours_the_notes_per_district_and_says_it_is_schematic(with_map: Bericht) -> None:
    chart = district_map_chart(with_map)
    notes = district_notes(with_map.heatmap)
    busiest = max(notes, key=lambda d: (notes[d], d))
    assert chart.alt.startswith("Karte der Sozialräume: wie viele Beiträge jeden Sozialraum nennen.")
    assert f"{busiest}: {notes[busiest]}" in chart.alt and chart.alt.endswith(f"{EXAMPLE_MARK}: schematische Flächen.")
    assert chart.svg.startswith("<?xml") and "<path" in chart.svg
    assert district_map_chart(replace(with_map, district_map=None)) is None


def test_docx_has_one_more_picture_with_the_map_and_its_caption(with_map: Bericht, tmp_path: Path) -> None:
    write_report(with_map, "docx", tmp_path / "mit.docx")
    write_report(replace(with_map, district_map=None), "docx", tmp_path / "ohne.docx")
    mit, ohne = docx.Document(str(tmp_path / "mit.docx")), docx.Document(str(tmp_path / "ohne.docx"))
    assert len(mit.inline_shapes) == len(ohne.inline_shapes) + 1
    alts = [s._inline.docPr.get("descr") for s in mit.inline_shapes]
    assert sum(a.startswith("Karte der Sozialräume") for a in alts) == 1
    paragraphs = [p.text for p in mit.paragraphs]
    assert "Karte der Sozialräume" in paragraphs and any(p.startswith(SCHEMATIC) for p in paragraphs)
    assert "Karte der Sozialräume" not in [p.text for p in ohne.paragraphs]


def test_html_and_pdf_show_the_map_with_its_caption(with_map: Bericht) -> None:
    html = html_text(with_map)
    figure = re.search(r"<h3>Karte der Sozialräume</h3><figure><img src=\"data:image/svg\+xml;base64,([^\"]+)\" "
                       r"alt=\"Karte der Sozialräume: [^\"]+\"><figcaption>([^<]+)</figcaption></figure>", html)
    assert figure and figure.group(2).startswith(SCHEMATIC)
    assert "<path" in base64.b64decode(figure.group(1)).decode("utf-8")
    assert "Karte der Sozialräume" not in html_text(replace(with_map, district_map=None))

    reader = pypdf.PdfReader(io.BytesIO(pdf_bytes(with_map)))
    text = _squeezed("\n".join(page.extract_text() for page in reader.pages))
    assert _squeezed("Karte der Sozialräume") in text and _squeezed(SCHEMATIC) in text
