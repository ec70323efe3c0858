"""One entry for every format: ``write_report(bericht, "pdf", path)``."""

from __future__ import annotations

import io
import tempfile
import zipfile
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
DOWNLOADS = {  # format -> (file suffix, MIME type) of what a page offers; OParl comes zipped with its PDF
    "docx": (".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "pdf": (".pdf", "application/pdf"),
    "html": (".html", "text/html"),
    "oparl": (".zip", "application/zip"),
}


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


def report_bytes(b: Bericht, fmt: str, *, geometry: dict[str, dict[str, Any]] | None = None,
                 stem: str = "bericht") -> bytes:
    """The file of ``fmt`` as bytes, for a download; ``oparl``: a zip of ``<stem>.json`` and ``<stem>.pdf``."""
    with tempfile.TemporaryDirectory(prefix="taten-report-") as tmp:
        out = Path(tmp) / f"{stem}{SUFFIXES.get(fmt, '')}"
        written = write_report(b, fmt, out, geometry=geometry)
        if fmt != "oparl":
            return out.read_bytes()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in written:
                archive.write(path, path.name)
        return buffer.getvalue()
