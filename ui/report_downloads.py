"""Download buttons for the conference's reports (see :mod:`pipelines.bericht`).

A file is made only when its button is clicked (Streamlit runs the callable then),
so a page that shows the buttons stays as fast as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from pipelines.bericht import load_bericht
from pipelines.bericht.write import DOWNLOADS, read_geometry, report_bytes
from pipelines.district_map import load_district_map
from pipelines.errors import InputError
from pipelines.example_data import DISTRICTS, example_notice
from ui import context as ctx

LABELS = {"docx": "Sitzungsvorlage (Word)", "pdf": "Sitzungsvorlage (PDF)", "html": "Öffentlicher Bericht (HTML)",
          "oparl": "OParl-Übergabe (ZIP)"}


def _maker(conference: str, fmt: str, stem: str) -> Callable[[], bytes]:
    settings, store = ctx.settings(), ctx.store()

    def make() -> bytes:
        try:
            district_map = load_district_map(settings.nlp)
        except InputError:  # the pages say what is wrong with the file; the report comes without the map
            district_map = None
        bericht = load_bericht(store, conference, ranking=settings.ranking,
                               notice=example_notice(settings.nlp, what=(DISTRICTS,)), district_map=district_map)
        geometry = read_geometry(Path(settings.nlp.data_dir) / settings.nlp.gazetteer)
        return report_bytes(bericht, fmt, geometry=geometry, stem=stem)

    return make


def report_downloads(key: str, formats: tuple[str, ...] = tuple(DOWNLOADS)) -> None:
    """One row of download buttons, one per format, for the current conference."""
    conference = ctx.require_conference()
    stem = re.sub(r"[^\w-]+", "_", conference).strip("_") or "bericht"
    columns = st.columns(len(formats))
    for column, fmt in zip(columns, formats):
        suffix, mime = DOWNLOADS[fmt]
        column.download_button(LABELS[fmt], _maker(conference, fmt, stem), file_name=f"{stem}{suffix}", mime=mime,
                               key=f"{key}_{fmt}", on_click="ignore", icon=":material/download:")
