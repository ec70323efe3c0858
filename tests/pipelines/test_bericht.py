"""Reports (issue 11, items 2–5): the committee report as DOCX and PDF, the public HTML
report, the OParl hand-over. Every format is read back: it holds every measure,
concern and quote it should, hostile text stays text, demo data carry their mark."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone
from pathlib import Path

import docx
import pypdf
import pytest

from models.store import Store
from pipelines.analyse import analyse_conference
from pipelines.bericht import load_bericht
from pipelines.bericht.data import Bericht
from pipelines.bericht.html_writer import html_text
from pipelines.bericht.pdf_writer import pdf_bytes
from pipelines.bericht.write import write_report
from pipelines.errors import InputError
from pipelines.example_data import EXAMPLE_MARK
from pipelines.ingest import import_files
from pipelines.resources import Resources
from pipelines.review import MeasureInput, ReviewService
from pipelines.settings import Settings

CONFERENCE = "Kleine Konferenz"
NOTICE = f"{EXAMPLE_MARK}: Sozialräume (districts/dueren.yml) sind erfundene Demo-Daten."
LONG_WORD = "Donaudampfschifffahrt" * 10  # 210 characters, no break
HOSTILE = [
    "<script>alert('x')</script><b>fett</b>",
    "=HYPERLINK(\"http://x.example\";\"klick\")",
    "**Markdown** # Überschrift [Link](http://x.example) $x^2$ #let a = 1",
    LONG_WORD,
]
HOSTILE_ROWS = [
    {"text": f"Kita-Plätze fehlen {h}", "table": "9", "theme": "Bildung", "round": "1", "district": "Ost"} for h in HOSTILE
]
MEASURES = [
    MeasureInput(title="Kita-Ausbau Nord", description="Zwei neue Gruppen in Nord-Düren.", districts=("Nord-Düren",),
                 responsible="Jugendamt", cost_estimate="250.000 €", status="vorgeschlagen"),
    MeasureInput(title="Jobcenter-Hotline", description="Rückrufdienst einrichten.", responsible="Jobcenter",
                 status="beschlossen"),
    MeasureInput(title=HOSTILE[0], description=" ".join(HOSTILE), responsible=HOSTILE[1], status="in Umsetzung"),
]
DRAFT = MeasureInput(title="Nur ein Entwurf", status="Entwurf")
REJECTED = MeasureInput(title="Abgelehnte Idee", status="abgelehnt")


@pytest.fixture
def bericht(
    tmp_path: Path, sqlite_store: Store, hashing_resources: Resources, settings: Settings,
    small_conference_rows: list[dict[str, str]], write_csv,
) -> Bericht:
    path = write_csv(tmp_path / "konferenz.csv", small_conference_rows + HOSTILE_ROWS)
    import_files(sqlite_store, [path], CONFERENCE, hashing_resources.vocab)
    analyse_conference(sqlite_store, CONFERENCE, hashing_resources, settings)
    review = ReviewService(sqlite_store, CONFERENCE, "Frau Albers")
    clusters = review.clusters(include_irrelevant=False)
    best = list({c.theme: c for c in reversed(clusters)}.values())  # the best concern of each theme
    assert len(best) >= 3
    review.rename(clusters[-1].id, HOSTILE[2], clusters[-1].version)
    review.promote([best[0].id], MEASURES[0])
    review.promote([best[1].id], MEASURES[1])
    review.promote([clusters[-1].id], MEASURES[2])
    review.promote([best[2].id], DRAFT)
    review.promote([best[2].id], REJECTED)
    return load_bericht(sqlite_store, CONFERENCE, notice=NOTICE, now=datetime(2026, 4, 1, 9, 30, tzinfo=timezone.utc))


def _flat(text: str) -> str:
    """Text as a reader extracts it, without layout: no zero-width breaks, no line ends."""
    return " ".join(text.replace("\u200b", "").replace("\u00ad", "").split())


def _squeezed(text: str) -> str:
    """PDF text without any white space: a line may break inside a long word."""
    return "".join(_flat(text).split())


def _expected(b: Bericht) -> list[str]:
    """What the committee report must hold: every measure, concern and measure quote."""
    return ([m.title for m in b.measures] + [c.label for c in b.concerns]
            + [q.text for m in b.measures for q in m.quotes] + [m.reference for m in b.measures])


def test_bericht_reads_what_the_workbench_counts(bericht: Bericht, sqlite_store: Store) -> None:
    overview = ReviewService(sqlite_store, CONFERENCE, "x").overview(top=None)

    assert [c.label for c in bericht.concerns] == [c.label for c in overview.top]
    assert bericht.n_contributions == overview.n_contributions
    assert [m.title for m in bericht.measures] == [m.title for m in MEASURES]  # no draft, no rejected one
    assert all(m.quotes and len(m.quotes) <= 3 for m in bericht.measures)
    assert set(bericht.themes) == {c.theme for c in bericht.concerns}


def test_docx_holds_every_measure_concern_and_quote(bericht: Bericht, tmp_path: Path) -> None:
    path = tmp_path / "bericht.docx"
    write_report(bericht, "docx", path)

    document = docx.Document(str(path))
    text = _flat("\n".join(p.text for p in document.paragraphs)
                 + "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells))
    for expected in _expected(bericht):
        assert _flat(expected) in text
    for heading in ("Auf einen Blick", "Beschlussvorschlag", "Anhang: alle Anliegen", "Herkunft der Zahlen"):
        assert heading in [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert EXAMPLE_MARK in text and "Frau Albers" not in text
    alts = [s._inline.docPr.get("descr") for s in document.inline_shapes]
    assert len(alts) >= len(bericht.themes) + 1 and all(alts)


def test_pdf_is_tagged_german_and_holds_every_measure_concern_and_quote(bericht: Bericht) -> None:
    reader = pypdf.PdfReader(io.BytesIO(pdf_bytes(bericht)))
    text = _squeezed("\n".join(page.extract_text() for page in reader.pages))

    for expected in _expected(bericht):
        assert _squeezed(expected) in text, expected
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "de-DE" and "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert b"pdfuaid:part>1<" in root["/Metadata"].get_object().get_data()
    assert _squeezed(EXAMPLE_MARK) in text and "FrauAlbers" not in text


def test_hostile_text_stays_text_in_every_format(bericht: Bericht, tmp_path: Path) -> None:
    html = html_text(bericht)
    assert "<script>" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<b>fett" not in html and "**Markdown** # Überschrift [Link](http://x.example) $x^2$" in html

    pdf = _squeezed("\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf_bytes(bericht))).pages))
    write_report(bericht, "docx", tmp_path / "b.docx")
    word = _flat("\n".join(p.text for p in docx.Document(str(tmp_path / "b.docx")).paragraphs))
    for h in HOSTILE:
        assert _squeezed(h) in pdf and _flat(h) in word, h


def test_pdf_breaks_a_200_character_word_inside_the_page(bericht: Bericht) -> None:
    reader = pypdf.PdfReader(io.BytesIO(pdf_bytes(bericht)))
    lines = [line.replace("\u200b", "") for page in reader.pages for line in page.extract_text().splitlines()]
    donau = [line for line in lines if "Donau" in line]

    assert donau and max(len(line) for line in donau) < 120  # a line of the page holds ~95 characters


def test_html_report_is_offline_german_accessible_and_public(bericht: Bericht) -> None:
    html = html_text(bericht)

    assert '<html lang="de">' in html and "@media print" in html
    assert "http://" not in html.replace("http://x.example", "") and "https://" not in html
    assert html.count("<img ") == html.count('alt="') and 'src="data:image/svg+xml;base64,' in html
    for m in bericht.measures:
        assert m.status in html
    assert EXAMPLE_MARK in html
    assert "Frau Albers" not in html  # no staff name
    assert "Eltern warten ewig" not in html  # no note text in public


@pytest.mark.slow
def test_html_report_sends_no_request_in_chromium(bericht: Bericht, tmp_path: Path, browser) -> None:
    path = tmp_path / "bericht.html"
    write_report(bericht, "html", path)
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")

    assert requests == [path.as_uri()]  # the file itself, nothing else
    assert not dialogs  # no script ran
    assert page.locator("h1").count() == 1 and page.locator("h2").count() >= len(bericht.themes)
    body = page.inner_text("body")
    for m in bericht.measures:
        assert " ".join(m.title.split()) in " ".join(body.split())
    assert all(page.evaluate("[...document.images].map(i => i.complete && i.naturalWidth > 0 && !!i.alt)"))
    page.close()


def test_report_of_unknown_conference_or_format_is_refused(sqlite_store: Store, bericht: Bericht,
                                                           tmp_path: Path) -> None:
    with pytest.raises(InputError, match="gibt es nicht"):
        load_bericht(sqlite_store, "Unbekannt")
    with pytest.raises(InputError, match="Format"):
        write_report(bericht, "odt", tmp_path / "x.odt")


def test_city_data_carry_no_example_mark(bericht: Bericht) -> None:
    from dataclasses import replace

    own = replace(bericht, notice=None)
    assert EXAMPLE_MARK not in html_text(own)
    assert EXAMPLE_MARK not in "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf_bytes(own))).pages)


# -- OParl hand-over ---------------------------------------------------------------

SCHEMAS = Path(__file__).parent / "oparl_schema"


def _oparl_validator(name: str):
    """A validator for OParl's ``name``.json that follows its ``"schema": "File.json"`` keyword."""
    import jsonschema

    def embedded(validator, target, instance, schema):  # noqa: ANN001, ARG001  (jsonschema's keyword signature)
        yield from _oparl_validator(target.removesuffix(".json")).iter_errors(instance)

    checker = jsonschema.FormatChecker()
    checker.checks("url")(lambda value: isinstance(value, str) and value.startswith(("https://", "http://")))
    base = jsonschema.Draft202012Validator
    extended = jsonschema.validators.extend(base, {"schema": embedded})
    return extended(json.loads((SCHEMAS / f"{name}.json").read_text(encoding="utf-8")), format_checker=checker)


def test_oparl_papers_are_valid_oparl_1_1_and_name_the_report_pdf(bericht: Bericht, tmp_path: Path) -> None:
    import hashlib

    out = tmp_path / "uebergabe.json"
    written = write_report(bericht, "oparl", out, geometry={"Nord-Düren": {"type": "Point", "coordinates": [6.48, 50.81]}})

    assert written == [out, out.with_suffix(".pdf")]
    payload = json.loads(out.read_text(encoding="utf-8"))
    pdf = out.with_suffix(".pdf").read_bytes()
    validator = _oparl_validator("Paper")
    assert [p["name"] for p in payload["papers"]] == [m.title for m in bericht.measures]
    for paper, measure in zip(payload["papers"], bericht.measures):
        errors = [e.message for e in validator.iter_errors(paper)]
        assert not errors, errors
        assert paper["paperType"] == "Beschlussvorlage" and paper["reference"] == measure.reference
        assert paper["mainFile"]["mimeType"] == "application/pdf" and paper["mainFile"]["size"] == len(pdf)
        assert paper["mainFile"]["sha512Checksum"] == hashlib.sha512(pdf).hexdigest()
        assert "Sozialausschuss" in paper["consultation"][0]["role"]
        assert all(q.text in paper["mainFile"]["text"] for q in measure.quotes)
        assert EXAMPLE_MARK in paper["keyword"]
        assert datetime.fromisoformat(paper["modified"]).tzinfo is not None  # RFC 3339 wants an offset
    located = [p for p in payload["papers"] if "location" in p]
    assert [p["name"] for p in located] == ["Kita-Ausbau Nord"]
    assert located[0]["location"][0]["geojson"]["geometry"]["type"] == "Point"
    assert payload["hinweis"] == NOTICE


def test_an_invalid_paper_fails_the_schema(bericht: Bericht, tmp_path: Path) -> None:
    write_report(bericht, "oparl", tmp_path / "u.json")
    paper = json.loads((tmp_path / "u.json").read_text(encoding="utf-8"))["papers"][0]
    paper["mainFile"]["size"] = "groß"
    del paper["mainFile"]["accessUrl"]

    assert len(list(_oparl_validator("Paper").iter_errors(paper))) == 2


# -- command line --------------------------------------------------------------------

def test_taten_report_writes_every_format(taten_home: Path, small_conference_csv: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pipelines.cli import app

    env = {"TATEN_HOME": str(taten_home), "TATEN_EMBEDDING__MODEL": "hashing"}
    runner = CliRunner()
    for args in (["import", str(small_conference_csv), "-c", CONFERENCE, "--date", "2026-03-18"],
                 ["analyse", "-c", CONFERENCE]):
        assert runner.invoke(app, args, env=env, catch_exceptions=False).exit_code == 0
    for fmt, name in (("docx", "b.docx"), ("pdf", "b.pdf"), ("html", "b.html"), ("oparl", "b.json")):
        result = runner.invoke(app, ["report", "-c", CONFERENCE, "--format", fmt, "--out", str(tmp_path / name)],
                               env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert (tmp_path / name).stat().st_size > 0 and EXAMPLE_MARK in result.stdout
    refused = runner.invoke(app, ["report", "-c", CONFERENCE, "--out", str(tmp_path / "b.odt")], env=env)
    assert refused.exit_code != 0 and "--format" in refused.output


def test_a_report_without_measures_or_districts_renders_every_format(bericht: Bericht, tmp_path: Path) -> None:
    from dataclasses import replace

    bare = replace(bericht, measures=(), heatmap={}, districts=(),
                   concerns=tuple(replace(c, districts={}) for c in bericht.concerns))
    for fmt, name in (("docx", "b.docx"), ("pdf", "b.pdf"), ("html", "b.html"), ("oparl", "b.json")):
        write_report(bare, fmt, tmp_path / name)
    assert "Noch keine Maßnahme." in (tmp_path / "b.html").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))["papers"] == []
    assert any("zur Kenntnis" in p.extract_text() for p in pypdf.PdfReader(tmp_path / "b.pdf").pages)
