"""The measure register on the Maßnahmen page (AppTest on a real store): progress, decision,
milestones, parent measures, history, filters, downloads and the decision import."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook

from pipelines.review import DecisionInput, MeasureInput, ReviewService
from tests.ui.conftest import ACTOR
from tests.ui.test_pages import open_page, rendered_markdown, table

FORMULA = '=HYPERLINK("http://böse.example";"Klick")'
HOSTILE_TITLE = "<script>alert(1)</script> **fett** " + FORMULA


def _measure(service: ReviewService, title: str, **kwargs):  # noqa: ANN202
    cluster = service.clusters()[0]
    return service.promote([cluster.id], MeasureInput(title=title, **kwargs))


def _pick(at, measure_id: int):  # noqa: ANN001, ANN202
    at.selectbox(key="measure_pick").select(measure_id).run()
    assert not at.exception, at.exception
    return at


def test_status_change_brings_its_default_progress_and_the_history_shows_it(make_app, service: ReviewService) -> None:
    m = _measure(service, "Servicetelefon", status="im Ausschuss")
    at = open_page(make_app(), "massnahmen")
    prefix = f"measure_{m.id}_v{m.version}"
    assert at.number_input(key=f"{prefix}_progress").value == 10
    at.selectbox(key=f"{prefix}_status").select("in Umsetzung")
    at.button(key=f"measure_save_btn_{prefix}").click().run()
    assert not at.exception
    saved = service.measure(m.id)
    assert (saved.status, saved.progress, saved.updated_by) == ("in Umsetzung", 50, ACTOR)

    history = table(at, "Feld")
    rows = list(zip(history["Wer"], history["Feld"], history["vorher"], history["nachher"], strict=True))
    assert (ACTOR, "Status", "im Ausschuss", "in Umsetzung") in rows
    assert (ACTOR, "Fortschritt (%)", "10", "50") in rows


def test_decision_milestone_and_parent_are_saved_from_their_tabs(make_app, service: ReviewService) -> None:
    parent = _measure(service, "Kita-Offensive", status="beschlossen")
    m = _measure(service, "Neubau Kita Nord", status="im Ausschuss")
    at = _pick(open_page(make_app(), "massnahmen"), m.id)
    v = f"{m.id}_v{m.version}"
    at.text_input(key=f"decision_date_{v}").input("18.03.2026")
    at.text_input(key=f"decision_paper_{v}").input("DS 12/2026")
    at.selectbox(key=f"decision_result_{v}").select("beschlossen")
    at.button(key=f"decision_btn_{v}").click().run()
    assert not at.exception
    m = service.measure(m.id)
    assert (m.status, m.decision_date, m.decision_paper) == ("beschlossen", "2026-03-18", "DS 12/2026")

    v = f"{m.id}_v{m.version}"
    at.text_input(key=f"milestone_date_{v}").input("2026-09-01")
    at.text_input(key=f"milestone_title_{v}").input(FORMULA)
    at.button(key=f"milestone_add_{v}").click().run()
    assert not at.exception
    m = service.measure(m.id)
    assert [(x.date, x.title) for x in m.milestones] == [("2026-09-01", FORMULA)]

    v = f"{m.id}_v{m.version}"
    at.selectbox(key=f"parent_{v}").select(parent.id)
    at.number_input(key=f"weight_{v}").set_value(2.0)
    at.button(key=f"parent_btn_{v}").click().run()
    assert not at.exception
    assert (service.measure(m.id).parent_id, service.measure(m.id).weight) == (parent.id, 2.0)
    assert service.measure(parent.id).child_ids == (m.id,)

    # the parent cannot become a child of its own child: refused in German, nothing written
    at = _pick(at, parent.id)
    p = service.measure(parent.id)
    at.selectbox(key=f"parent_{p.id}_v{p.version}").select(m.id)
    at.button(key=f"parent_btn_{p.id}_v{p.version}").click().run()
    assert not at.exception
    assert any("untergeordnet" in x.value for x in at.warning)
    assert service.measure(parent.id).parent_id is None


def test_filters_and_downloads_hold_the_register_with_formulas_neutralised(make_app, service: ReviewService) -> None:
    _measure(service, HOSTILE_TITLE, status="vorgeschlagen", responsible="Jugendamt")
    _measure(service, "Tafel stärken", status="abgelehnt", responsible="Sozialamt")
    at = open_page(make_app(), "massnahmen")

    assert table(at, "Titel")["Titel"].tolist() == [HOSTILE_TITLE]  # rejected ones only when asked for
    for value in rendered_markdown(at):
        if not value.startswith("<style>"):  # the workbench's own constant CSS
            assert not re.search(r"(?<!\\)[<>]", value), f"unescaped markup: {value}"
            assert not re.search(r"(?<!\\)\*\*fett", value), f"unescaped Markdown: {value}"
    [csv_button] = [b for b in at.get("download_button") if b.proto.label.startswith("Register als CSV")]
    assert "(2)" in csv_button.proto.label  # the register holds the rejected measure too

    at.selectbox(key="measures_responsible").select("Jugendamt").run()
    assert table(at, "Titel")["Titel"].tolist() == [HOSTILE_TITLE]
    at.text_input(key="measures_search").input("Tafel").run()
    assert any("Keine Maßnahmen" in i.value for i in at.info)
    at.selectbox(key="measures_responsible").select("Alle").run()
    at.selectbox(key="measures_status").select("abgelehnt").run()
    assert table(at, "Titel")["Titel"].tolist() == ["Tafel stärken"]

    measures = service.register()
    from pipelines.register import register_csv, register_xlsx

    rows = list(csv.DictReader(io.StringIO(register_csv(measures).decode("utf-8-sig")), delimiter=";"))
    assert rows[0]["Titel"] == HOSTILE_TITLE  # starts with "<": no formula, kept as it is
    sheet = load_workbook(io.BytesIO(register_xlsx(measures))).active
    assert sheet.cell(row=2, column=2).value == HOSTILE_TITLE and sheet.cell(row=2, column=2).data_type == "s"


def test_decision_upload_sets_statuses_or_names_every_bad_row(make_app, service: ReviewService) -> None:
    m = _measure(service, "Servicetelefon", status="im Ausschuss")
    m = service.record_decision(m.id, DecisionInput(paper="DS 7/2026"), m.version)
    at = open_page(make_app(), "massnahmen")

    bad = "Drucksachen-Nr.;Ergebnis;Datum\nDS 7/2026;beschlossen;18.03.2026\nDS 8/2026;beschlossen;18.03.2026\n"
    at.file_uploader(key="decision_upload").set_value(("falsch.csv", bad.encode(), "text/csv")).run()
    at.button(key="decision_import_btn").click().run()
    assert not at.exception
    assert any("Nichts importiert" in x.value for x in at.warning)
    problems = table(at, "Grund")
    assert problems["Zeile"].tolist() == [3] and "DS 8/2026" in problems["Grund"].iloc[0]
    assert service.measure(m.id).status == "im Ausschuss"

    good = "Drucksachen-Nr.;Ergebnis;Datum\nDS 7/2026;abgelehnt;2026-03-18\n"
    at.file_uploader(key="decision_upload").set_value(("gut.csv", good.encode(), "text/csv")).run()
    at.button(key="decision_import_btn").click().run()
    assert not at.exception
    assert any("1 Beschluss/Beschlüsse eingetragen" in x.value for x in at.success)
    assert (service.measure(m.id).status, service.measure(m.id).decision_date) == ("abgelehnt", "2026-03-18")
    assert service.events()[0].actor == ACTOR and service.events()[0].action == "measure_decision"
