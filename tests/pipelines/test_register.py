"""The measure register: statuses and progress, parent and child measures, milestones,
the committee's decision, the history of every field, the decision import and the exports.
Service tests run on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from models.queries import COMMITTEE_STATUSES, MEASURE_STATUSES, STATUSES, default_progress
from models.store import Store
from pipelines.analyse import analyse_conference
from pipelines.errors import InputError, ReviewConflictError
from pipelines.ingest import import_files
from pipelines.register import COLUMNS, register_csv, register_xlsx
from pipelines.report import COMMITTEE_STATUSES as REPORT_COMMITTEE_STATUSES
from pipelines.resources import Resources
from pipelines.review import DecisionInput, MeasureInput, MilestoneInput, ReviewService
from pipelines.review.register import Node, parse_date, read_decisions, rolled_up, would_cycle
from pipelines.settings import Settings

CONFERENCE = "Kleine Konferenz"
FORMULA = '=HYPERLINK("http://böse.example","Klick")'
LONG_WORD = "Donaudampfschifffahrtsgesellschaft" * 40


@pytest.fixture
def review(store: Store, small_conference_csv: Path, hashing_resources: Resources, settings: Settings) -> ReviewService:
    import_files(store, [small_conference_csv], CONFERENCE, hashing_resources.vocab)
    analyse_conference(store, CONFERENCE, hashing_resources, settings)
    return ReviewService(store, CONFERENCE, "Frau Albers")


def _measure(review: ReviewService, title: str = "Mehr Kita-Plätze", **kwargs):  # noqa: ANN202
    cluster = review.clusters()[0]
    return review.promote([cluster.id], MeasureInput(title=title, **kwargs))


# -- statuses ---------------------------------------------------------------------------


def test_statuses_have_one_order_every_old_value_and_the_committee_list_follows_it() -> None:
    assert MEASURE_STATUSES == ("Entwurf", "vorgeschlagen", "im Ausschuss", "beschlossen", "abgelehnt",
                                "zurückgestellt", "in Umsetzung", "umgesetzt")
    assert all(s.meaning for s in STATUSES)
    assert COMMITTEE_STATUSES == ("vorgeschlagen", "im Ausschuss", "beschlossen", "zurückgestellt",
                                  "in Umsetzung", "umgesetzt")
    assert REPORT_COMMITTEE_STATUSES is COMMITTEE_STATUSES
    assert [default_progress(s) for s in ("Entwurf", "beschlossen", "in Umsetzung", "umgesetzt")] == [0, 20, 50, 100]


def test_a_new_status_brings_its_default_progress_unless_staff_set_one(review: ReviewService) -> None:
    m = _measure(review)
    assert (m.status, m.progress) == ("Entwurf", 0)

    m = review.update_measure(m.id, MeasureInput(title=m.title, status="in Umsetzung", progress=m.progress), m.version)
    assert m.progress == 50  # the form sent the old progress: not set by staff
    m = review.update_measure(m.id, MeasureInput(title=m.title, status="in Umsetzung", progress=65), m.version)
    assert m.progress == 65
    m = review.update_measure(m.id, MeasureInput(title=m.title, status="umgesetzt", progress=90), m.version)
    assert (m.status, m.progress) == ("umgesetzt", 90)  # staff set one together with the status
    with pytest.raises(InputError, match="0 bis 100"):
        review.update_measure(m.id, MeasureInput(title=m.title, status="umgesetzt", progress=101), m.version)
    assert review.measure(m.id).progress == 90


def test_an_old_caller_without_progress_still_works(review: ReviewService) -> None:
    m = _measure(review, status="beschlossen")
    assert m.progress == 20
    m = review.update_measure(m.id, MeasureInput(title="Neuer Titel", status="beschlossen"), m.version)
    assert (m.title, m.progress) == ("Neuer Titel", 20)


# -- parent and child measures ------------------------------------------------------------


def test_rolled_up_progress_is_the_weighted_mean_of_counting_children() -> None:
    nodes = {1: Node(None, 1, 0, "beschlossen"), 2: Node(1, 1, 100, "umgesetzt"), 3: Node(1, 3, 20, "beschlossen"),
             4: Node(1, 5, 0, "abgelehnt"), 5: Node(3, 1, 60, "in Umsetzung")}
    totals = rolled_up(nodes)
    assert totals[5] == 60 and totals[3] == 60  # 3 shows its one child
    assert totals[1] == pytest.approx((1 * 100 + 3 * 60) / 4)  # the rejected child does not count
    assert totals[4] == 0 and totals[2] == 100
    assert would_cycle({1: None, 2: 1, 3: 2}, 1, 3) and would_cycle({}, 7, 7) and not would_cycle({2: 1}, 3, 2)


def test_parents_roll_up_progress_and_refuse_cycles(review: ReviewService) -> None:
    parent = _measure(review, "Kita-Offensive", status="beschlossen")
    a = _measure(review, "Neubau Kita Nord", status="umgesetzt")
    b = _measure(review, "Tagespflege ausbauen", status="in Umsetzung")

    a = review.set_parent(a.id, parent.id, 1, a.version)
    b = review.set_parent(b.id, parent.id, 3, b.version)

    shown = review.measure(parent.id)
    assert shown.child_ids == (a.id, b.id)
    assert shown.progress == 20 and shown.progress_total == pytest.approx((100 + 3 * 50) / 4)
    with pytest.raises(InputError, match="untergeordnet"):
        review.set_parent(parent.id, b.id, 1, shown.version)
    with pytest.raises(InputError, match="dieselbe"):
        review.set_parent(parent.id, parent.id, 1, shown.version)
    with pytest.raises(InputError, match="Gewicht"):
        review.set_parent(a.id, parent.id, 0, a.version)
    with pytest.raises(InputError, match="gibt es nicht"):
        review.set_parent(a.id, 9999, 1, a.version)
    assert review.measure(parent.id).parent_id is None


def test_undo_and_redo_of_a_parent(review: ReviewService) -> None:
    parent, child = _measure(review, "Oben"), _measure(review, "Unten")
    review.set_parent(child.id, parent.id, 2.5, child.version)
    assert review.events()[0].summary == f"Maßnahme {child.id}: Gliederung geändert (übergeordnet: Nr. {parent.id}, " \
        "Gewicht 2,5)"

    review.undo_last()
    assert (review.measure(child.id).parent_id, review.measure(child.id).weight) == (None, 1.0)
    again = review.redo_last()
    assert (again.parent_id, again.weight) == (parent.id, 2.5)


def test_a_parent_with_children_is_not_deleted_by_undoing_its_creation(review: ReviewService) -> None:
    parent = _measure(review, "Oben")
    brandt = ReviewService(review.store, CONFERENCE, "Herr Brandt")
    child = brandt.promote([brandt.clusters()[0].id], MeasureInput(title="Unten"))
    brandt.set_parent(child.id, parent.id, 1, child.version)

    with pytest.raises(ReviewConflictError, match="Maßnahme"):
        review.undo_last()
    assert review.measure(child.id).parent_id == parent.id


def test_a_request_key_writes_a_parent_once(review: ReviewService) -> None:
    parent, child = _measure(review, "Oben"), _measure(review, "Unten")
    first = review.set_parent(child.id, parent.id, 1, child.version, request_key="k1")
    second = review.set_parent(child.id, parent.id, 1, child.version, request_key="k1")
    assert first.version == second.version
    assert [e.action for e in review.events()].count("measure_parent") == 1


# -- milestones and the decision ------------------------------------------------------------


def test_milestones_take_german_and_iso_dates_keep_date_order_and_hostile_text(review: ReviewService) -> None:
    m = _measure(review)
    m = review.set_milestones(m.id, [
        MilestoneInput("01.09.2026", "Eröffnung", "<script>alert(1)</script>"),
        MilestoneInput("2026-03-18", FORMULA, LONG_WORD),
    ], m.version)
    assert [(x.date, x.title) for x in m.milestones] == [("2026-03-18", FORMULA), ("2026-09-01", "Eröffnung")]
    assert m.milestones[0].text == LONG_WORD and m.milestones[1].text == "<script>alert(1)</script>"
    with pytest.raises(InputError, match="31.02.2026"):
        review.set_milestones(m.id, [MilestoneInput("31.02.2026", "Nie")], m.version)
    with pytest.raises(InputError, match="kein Datum"):
        review.set_milestones(m.id, [MilestoneInput("nächste Woche", "Bald")], m.version)
    review.undo_last()
    assert review.measure(m.id).milestones == ()


def test_a_decision_sets_the_status_and_the_history_shows_every_field(review: ReviewService) -> None:
    m = _measure(review, status="im Ausschuss")
    m = review.record_decision(m.id, DecisionInput(date="18.03.2026", committee="Sozialausschuss",
                                                   paper="DS 12/2026", result="beschlossen", note="einstimmig"),
                               m.version)
    assert (m.status, m.progress, m.decision_date, m.decision_paper) == ("beschlossen", 20, "2026-03-18", "DS 12/2026")
    brandt = ReviewService(review.store, CONFERENCE, "Herr Brandt")
    brandt.update_measure(m.id, MeasureInput(title="Kita-Ausbau", status="beschlossen", responsible="Jugendamt"),
                          m.version)

    history = review.measure_history(m.id)
    changes = {(h.actor, h.field): (h.old, h.new) for h in history}
    assert changes[("Frau Albers", "status")] == ("im Ausschuss", "beschlossen")
    assert changes[("Frau Albers", "progress")] == (10, 20)
    assert changes[("Frau Albers", "decision_paper")] == (None, "DS 12/2026")
    assert changes[("Herr Brandt", "title")] == ("Mehr Kita-Plätze", "Kita-Ausbau")
    assert changes[("Herr Brandt", "responsible")] == (None, "Jugendamt")
    assert history[0].action == "promote" and history[0].field == "title"
    assert [h.at for h in history] == sorted(h.at for h in history)

    brandt.undo_last()
    undone = [h for h in review.measure_history(m.id) if h.actor == "Herr Brandt"]
    assert undone and all(h.undone for h in undone)
    assert review.measure(m.id).title == "Mehr Kita-Plätze"


def test_redo_of_a_decision(review: ReviewService) -> None:
    m = _measure(review, status="im Ausschuss")
    review.record_decision(m.id, DecisionInput(date="2026-03-18", paper="DS 1", result="abgelehnt"), m.version)
    review.undo_last()
    assert review.measure(m.id).status == "im Ausschuss"
    again = review.redo_last()
    assert (again.status, again.decision_result, again.decision_paper) == ("abgelehnt", "abgelehnt", "DS 1")


# -- the decision import ----------------------------------------------------------------------


def _papers(review: ReviewService) -> tuple:  # two measures with Drucksachen-Nr., one of them twice
    a = _measure(review, "A", status="im Ausschuss")
    b = _measure(review, "B", status="im Ausschuss")
    c = _measure(review, "C", status="vorgeschlagen")
    for m, paper in ((a, "DS 1/2026"), (b, "DS 2/2026"), (c, "DS 2/2026")):
        review.record_decision(m.id, DecisionInput(paper=paper), review.measure(m.id).version)
    return a, b, c


def test_importing_decisions_sets_statuses_each_with_its_event(review: ReviewService) -> None:
    a, b, c = _papers(review)
    data = ("Drucksachen-Nr.;Ergebnis;Datum;Gremium\n"
            "DS 1/2026;beschlossen;18.03.2026;Sozialausschuss\n"
            "ds 2/2026;vertagt;2026-03-19;\n").encode("cp1252")
    before = len(review.events(limit=500))

    report = review.import_decisions(data, "beschluesse.csv")

    assert report.written and not report.problems and report.n_changed == 3
    assert [(x.row, x.measure_id, x.new_status) for x in report.applied] == [
        (2, a.id, "beschlossen"), (3, b.id, "zurückgestellt"), (3, c.id, "zurückgestellt")]
    got = review.measure(a.id)
    assert (got.status, got.progress, got.decision_date, got.decision_committee) == (
        "beschlossen", 20, "2026-03-18", "Sozialausschuss")
    events = review.events(limit=500)
    assert len(events) - before == 3 and all(e.action == "measure_decision" for e in events[:3])
    assert "Zeile 3" in events[0].summary

    again = review.import_decisions(data, "beschluesse.csv")  # the same file again changes nothing
    assert again.written and again.n_changed == 0
    review.undo_last()  # each row is its own change
    assert review.measure(c.id).status == "vorgeschlagen" and review.measure(b.id).status == "zurückgestellt"


def test_a_decision_file_with_bad_rows_writes_nothing_and_names_each_row(review: ReviewService) -> None:
    a, b, _ = _papers(review)
    data = ("Drucksachen-Nr.;Ergebnis;Datum\n"
            "DS 1/2026;beschlossen;18.03.2026\n"
            "DS 9/2026;beschlossen;18.03.2026\n"
            "DS 2/2026;vielleicht;18.03.2026\n"
            "DS 1/2026;abgelehnt;18.03.2026\n"
            "\n"
            ";beschlossen;18.03.2026\n"
            "DS 3/2026;abgelehnt;32.13.2026\n").encode("utf-8")
    before = len(review.events(limit=500))

    report = review.import_decisions(data, "b.csv")

    assert not report.written and not report.applied
    assert [str(p) for p in report.problems] == [
        "Zeile 3: Keine Maßnahme hat die Drucksachen-Nr. „DS 9/2026“. Bitte die Nummer zuerst bei der Maßnahme "
        "eintragen.",
        "Zeile 4: Unbekanntes Ergebnis „vielleicht“. Erlaubt: beschlossen, abgelehnt, zurückgestellt (auch: "
        "angenommen, vertagt).",
        "Zeile 5: Die Drucksachen-Nr. „DS 1/2026“ steht schon in Zeile 2.",
        "Zeile 7: Die Drucksachen-Nr. fehlt.",
        "Zeile 8: Den Tag „32.13.2026“ gibt es nicht.",
    ]
    assert review.measure(a.id).status == "im Ausschuss" and len(review.events(limit=500)) == before


def test_a_decision_file_without_its_columns_is_refused_whole() -> None:
    with pytest.raises(InputError, match="Ergebnis, Datum"):
        read_decisions(b"Drucksachen-Nr.;Beschreibung\nDS 1;x\n", "falsch.csv")
    with pytest.raises(InputError, match="Binärdaten"):
        read_decisions(b"\x00\x01\x02" * 100, "bild.csv")
    assert parse_date("1.2.2026") == "2026-02-01"


def test_a_decision_import_with_a_used_request_key_writes_nothing(review: ReviewService) -> None:
    _papers(review)
    data = b"Drucksachen-Nr.,Ergebnis,Datum\nDS 1/2026,beschlossen,18.03.2026\n"
    assert review.import_decisions(data, "b.csv", request_key="upload-1").n_changed == 1
    review.undo_last()
    second = review.import_decisions(data, "b.csv", request_key="upload-1")
    assert second.already_imported and not second.written


# -- exports -----------------------------------------------------------------------------------


def test_the_register_exports_as_german_csv_and_xlsx_with_formulas_neutralised(review: ReviewService) -> None:
    parent = _measure(review, FORMULA, status="beschlossen", cost_estimate="+49 000 €", responsible="@Amt")
    child = _measure(review, "Kind <b>fett</b>", status="in Umsetzung", description=LONG_WORD)
    review.set_parent(child.id, parent.id, 1.5, child.version)
    p = review.measure(parent.id)
    review.record_decision(parent.id, DecisionInput(date="18.03.2026", paper="-DS 1", result="beschlossen"),
                           p.version)
    rejected = _measure(review, "Abgelehnt", status="abgelehnt")
    measures = review.register()
    assert rejected.id in {m.id for m in measures}  # the register holds rejected measures too

    raw = register_csv(measures, notice="Beispieldaten – fiktiv")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    first = rows[0]
    assert first["Titel"] == "'" + FORMULA and first["Kostenschätzung"] == "'+49 000 €"
    assert first["Zuständige Stelle"] == "'@Amt" and first["Drucksachen-Nr."] == "'-DS 1"
    assert first["Beschlussdatum"] == "18.03.2026" and first["Fortschritt gesamt (%)"] == "50"
    assert rows[1]["Gewicht"] == "1,5" and rows[1]["Beschreibung"] == LONG_WORD
    assert rows[1]["Titel"] == "Kind <b>fett</b>"
    assert rows[1]["Übergeordnete Maßnahme"] == str(parent.id) and first["Hinweis"] == "Beispieldaten – fiktiv"
    assert list(rows[0])[: len(COLUMNS)] == list(COLUMNS)

    book = load_workbook(io.BytesIO(register_xlsx(measures)))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    titles = {sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=2) for r in range(2, sheet.max_row + 1)}
    assert titles[parent.id].value == "'" + FORMULA and titles[parent.id].data_type == "s"
    weight = sheet.cell(row=3, column=header.index("Gewicht") + 1)
    assert weight.value == 1.5 and isinstance(weight.value, float)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
