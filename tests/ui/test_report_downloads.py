"""Download buttons for the reports on the committee view and the measures page (issue 11)."""

from __future__ import annotations

import io
import zipfile

import pytest

from pipelines.bericht import load_bericht
from pipelines.bericht.write import report_bytes
from pipelines.review import MeasureInput, ReviewService

from test_pages import open_page  # noqa: E402  (tests/ui is on sys.path under pytest's rootdir-less import)

LABELS = ["Sitzungsvorlage (Word)", "Sitzungsvorlage (PDF)", "Öffentlicher Bericht (HTML)", "OParl-Übergabe (ZIP)"]


def _downloads(at) -> list[str]:
    return [b.proto.label for b in at.get("download_button")]


@pytest.mark.parametrize("page", ["ausschuss", "massnahmen"])
def test_page_offers_every_report_for_download(make_app, page: str) -> None:
    at = open_page(make_app(), page)

    # the Maßnahmen page also offers the register (CSV, Excel); the four reports come in this order
    assert not at.exception and [label for label in _downloads(at) if label in LABELS] == LABELS


def test_downloaded_files_hold_the_proposed_measure(service: ReviewService) -> None:
    cluster = service.clusters(include_irrelevant=False)[0]
    service.promote([cluster.id], MeasureInput(title="Servicetelefon", status="vorgeschlagen"))
    bericht = load_bericht(service.store, service.conference)

    assert report_bytes(bericht, "pdf").startswith(b"%PDF")
    assert "Servicetelefon" in report_bytes(bericht, "html").decode("utf-8")
    with zipfile.ZipFile(io.BytesIO(report_bytes(bericht, "oparl", stem="k"))) as archive:
        assert sorted(archive.namelist()) == ["k.json", "k.pdf"]
        assert "Servicetelefon" in archive.read("k.json").decode("utf-8")
