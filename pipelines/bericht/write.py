"""One entry for every format: ``write_report(bericht, "pdf", path)``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pipelines.bericht import FORMATS, Bericht
from pipelines.bericht.docx_writer import write_docx
from pipelines.bericht.html_writer import write_html
from pipelines.bericht.oparl import district_geometry, write_oparl
from pipelines.bericht.pdf_writer import write_pdf
from pipelines.errors import InputError

SUFFIXES = {"docx": ".docx", "pdf": ".pdf", "html": ".html", "oparl": ".json"}


def read_geometry(gazetteer: Path) -> dict[str, dict[str, Any]]:
    """District geometries from the gazetteer, where it has any."""
    try:
        return district_geometry(yaml.safe_load(Path(gazetteer).read_text(encoding="utf-8")) or {})
    except (OSError, yaml.YAMLError):
        return {}


def write_report(b: Bericht, fmt: str, out: Path, *, geometry: dict[str, dict[str, Any]] | None = None) -> list[Path]:
    """Write ``b`` as ``fmt`` to ``out``; returns the files written.

    ``oparl`` writes the hand-over JSON to ``out`` and the report PDF its Papers
    name beside it (``out`` with ``.pdf``).

    Raises:
        InputError: unknown format.
    """
    out = Path(out)
    if fmt not in FORMATS:
        raise InputError(f"Format '{fmt}' gibt es nicht. Möglich: {', '.join(FORMATS)}.")
    if fmt == "docx":
        write_docx(b, out)
    elif fmt == "pdf":
        write_pdf(b, out)
    elif fmt == "html":
        write_html(b, out)
    else:
        pdf = out.with_suffix(".pdf")
        write_pdf(b, pdf)
        write_oparl(b, out, pdf, geometry=geometry)
        return [out, pdf]
    return [out]
