"""The workbench pages, driven with Streamlit's AppTest against a real store.

Each action is clicked as a person would and checked on the store through the
review service.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block, Code, Dataframe, Node, Text, TextArea, TextInput

from nlp.embed import HashingEmbedder
from nlp.text import clean_text, text_hash
from pipelines.review import MeasureInput, ReviewService
from tests.ui.conftest import ACTOR, APP, HOSTILE

PAGES = ["uebersicht", "cluster", "massnahmen", "sozialraeume", "ausschuss", "protokoll", "import_"]
WORK = "Arbeit"
EDUCATION = "Bildung und Erziehung"


def nodes(at: AppTest) -> Iterator[Node]:
    def walk(node: Node) -> Iterator[Node]:
        yield node
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    yield from walk(at.main)
    yield from walk(at.sidebar)


def rendered_markdown(at: AppTest) -> list[str]:
    """Every string the browser would render as Markdown: texts of Markdown-like elements, labels."""
    out = []
    for node in nodes(at):
        if isinstance(node, (Text, Code, Dataframe)):
            continue
        for attr in ("value", "label", "body"):
            if attr == "value" and isinstance(node, (TextInput, TextArea)):  # what a field holds is no Markdown
                continue
            value = getattr(node, attr, None) if not isinstance(node, Block) or attr == "label" else None
            if isinstance(value, str):
                out.append(value)
    return out


def table_rows(at: AppTest, key: str):
    return next(d.value for d in at.dataframe if d.key == key)


def table(at: AppTest, column: str):
    """The first table on the page with ``column`` (tables carry no key in AppTest)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def open_page(at: AppTest, page: str, theme: str | None = None) -> AppTest:
    at.switch_page(f"views/{page}.py").run()
    if theme is not None:
        at.selectbox(key="thema").select(theme).run()
    assert not at.exception, at.exception
    return at


def open_card(at: AppTest, cluster_id: int, tab: str | None = None) -> AppTest:
    """Open the card of ``cluster_id`` (as a click on its title does) and, optionally, one of its tabs."""
    at.session_state["_open_cluster"] = cluster_id
    if tab is not None:
        at.session_state[f"tab_{cluster_id}"] = tab
    at.run()
    assert not at.exception, at.exception
    return at


def form(at: AppTest, name: str) -> str:
    """The token of a form as drawn now (its widget keys carry it; it changes after a success)."""
    return at.session_state[f"_form_{name}"]


def first(service: ReviewService, theme: str, index: int = 0):
    return [c for c in service.clusters(theme, with_members=True)][index]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(make_app, page: str) -> None:
    at = open_page(make_app(), page)
    assert at.title, "every page has a title"


def test_every_page_renders_with_a_measure_and_changes(make_app, service: ReviewService) -> None:
    c = first(service, WORK)
    service.promote([c.id], MeasureInput(title="Servicetelefon Jobcenter", districts=("Ost",), status="vorgeschlagen"))
    service.rename(c.id, "Jobcenter schwer erreichbar", service.cluster(c.id).version)
    at = make_app()
    for page in PAGES:
        open_page(at, page)
    open_page(at, "sozialraeume")
    at.selectbox(key="district_pick").select("Ost").run()
    assert not at.exception
    assert "Servicetelefon Jobcenter" in table(at, "Titel")["Titel"].tolist()
    assert "SGB-II-Quote" in table(at, "Indikator")["Indikator"].tolist()


def example_warnings(at: AppTest) -> list[str]:
    return [x.value for x in at.warning if "Beispieldaten – fiktiv" in x.value]


def test_district_page_and_committee_view_mark_the_demo_data_as_invented(make_app) -> None:
    at = open_page(make_app(), "sozialraeume")
    at.selectbox(key="district_pick").select("Ost").run()
    (warning,) = example_warnings(at)
    assert "Sozialräume" in warning and "Indikatoren" in warning
    assert set(table(at, "Indikator")["Quelle"]) == {"dueren.csv (Beispieldaten – fiktiv)"}

    open_page(at, "ausschuss")
    (warning,) = example_warnings(at)
    assert "Sozialräume" in warning and "Indikatoren" not in warning  # the committee sees districts only


def test_a_citys_own_data_files_show_no_example_mark(analysed_store, settings, city_data_dir) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["store"] = analysed_store
    at.session_state["settings"] = settings.model_copy(
        update={"nlp": settings.nlp.model_copy(update={"data_dir": city_data_dir})})
    at.run()
    for page in ("sozialraeume", "ausschuss"):
        open_page(at, page)
        assert not example_warnings(at)
        assert "Beispieldaten" not in " ".join(rendered_markdown(at))
    open_page(at, "sozialraeume")
    at.selectbox(key="district_pick").select("Ost").run()
    assert set(table(at, "Indikator")["Quelle"]) == {"dueren.csv"}


def test_edit_pages_ask_for_a_name_first(make_app) -> None:
    at = make_app(actor=None)
    for page in ("cluster", "massnahmen", "protokoll"):
        open_page(at, page)
        assert any("Namen" in i.value for i in at.info)
        assert not [b for b in at.button if b.key.startswith(("rename", "promote", "protocol"))]
    open_page(at, "ausschuss")
    assert at.metric, "the committee view needs no name"


def test_rename_stores_the_new_label_with_who(make_app, service: ReviewService) -> None:
    c = first(service, WORK)
    at = open_card(open_page(make_app(), "cluster", WORK), c.id)
    at.text_input(key=f"rename_{c.id}_v{c.version}").input("Jobcenter schwer erreichbar")
    at.button(key=f"rename_btn_{c.id}_v{c.version}").click().run()
    assert not at.exception
    assert service.cluster(c.id).label == "Jobcenter schwer erreichbar"
    assert at.success and "umbenannt" in at.success[0].value
    event = service.events()[0]
    assert (event.actor, event.action) == (ACTOR, "rename")
    assert at.text_input(key=f"rename_{c.id}_v{c.version + 1}").value == "Jobcenter schwer erreichbar"


def test_merge_joins_the_chosen_clusters_into_the_first(make_app, service: ReviewService) -> None:
    a, b = first(service, WORK, 0), first(service, WORK, 1)
    at = open_page(make_app(), "cluster", WORK)
    token = form(at, "merge")
    at.multiselect(key=f"merge_select_{token}").select(a.id).select(b.id)
    at.text_input(key=f"merge_label_{token}").input("Arbeit und Anerkennung")
    at.button(key=f"merge_btn_{token}").click().run()
    assert not at.exception
    merged = service.cluster(a.id)
    assert (merged.label, merged.size) == ("Arbeit und Anerkennung", a.size + b.size)
    assert b.id not in {c.id for c in service.clusters(WORK)}
    token = form(at, "merge")
    assert at.multiselect(key=f"merge_select_{token}").value == [], "the merge form is empty again"
    assert at.text_input(key=f"merge_label_{token}").value == ""
    assert at.session_state[f"card_{a.id}"] and at.query_params["cluster"] == str(a.id), "the merged card is open"


def test_split_moves_the_picked_members_into_a_new_cluster(make_app, service: ReviewService) -> None:
    c = first(service, WORK)
    picked = c.members[0].id
    at = open_card(open_page(make_app(), "cluster", WORK), c.id, "Aufteilen")
    at.multiselect(key=f"split_members_{c.id}_v{c.version}").select(picked)
    at.text_input(key=f"split_label_{c.id}_v{c.version}").input("Termine beim Jobcenter")
    at.button(key=f"split_btn_{c.id}_v{c.version}").click().run()
    assert not at.exception
    new = next(x for x in service.clusters(WORK, with_members=True) if x.label == "Termine beim Jobcenter")
    assert [m.id for m in new.members] == [picked]
    assert service.cluster(c.id).size == c.size - 1


def member_rows(at: AppTest, cluster_id: int) -> str:
    """The key of the member table of an open card."""
    return next(d.key for d in at.dataframe if d.key and d.key.startswith(f"members_{cluster_id}_"))


def test_move_puts_a_contribution_into_another_cluster(make_app, service: ReviewService) -> None:
    """Tick the row, pick the target, "Verschieben": with opening the card, four clicks."""
    source, target = first(service, WORK, 0), first(service, WORK, 1)
    note = source.members[-1].id
    at = open_card(open_page(make_app(), "cluster", WORK), source.id)
    table = member_rows(at, source.id)
    assert table_rows(at, table)["Nr."].tolist() == [m.id for m in source.members]
    at.session_state[table] = {"selection": {"rows": [len(source.members) - 1], "columns": [], "cells": []}}
    at.run()
    shown = table.removeprefix(f"members_{source.id}_")
    at.pills(key=f"move_target_{source.id}_{shown}").select(target.id).run()
    at.button(key=f"move_btn_{source.id}_{shown}").click().run()
    assert not at.exception
    assert note in {m.id for m in service.cluster(target.id).members}
    assert note not in {m.id for m in service.cluster(source.id).members}
    assert at.success and "verschoben" in at.success[0].value
    assert at.session_state[f"card_{source.id}"], "the card stays open on the cluster just changed"
    assert note not in table_rows(at, member_rows(at, source.id))["Nr."].tolist()


def test_move_without_a_ticked_row_says_what_to_do(make_app, service: ReviewService) -> None:
    source = first(service, WORK, 0)
    at = open_card(open_page(make_app(), "cluster", WORK), source.id)
    shown = member_rows(at, source.id).removeprefix(f"members_{source.id}_")
    at.button(key=f"move_btn_{source.id}_{shown}").click().run()
    assert any("Beitrag ankreuzen" in x.value for x in at.warning)
    assert [e.action for e in service.events()] == []


def test_not_relevant_and_lock_are_stored(make_app, service: ReviewService) -> None:
    c = first(service, WORK)
    at = open_card(open_page(make_app(), "cluster", WORK), c.id, "Relevanz & Sperre")
    at.button(key=f"relevant_btn_{c.id}_v{c.version}").click().run()
    assert service.cluster(c.id).relevant is False
    assert at.session_state[f"tab_{c.id}"] == "Relevanz & Sperre", "the tab stays where the person works"
    at.button(key=f"lock_btn_{c.id}_v{c.version + 1}").click().run()
    assert not at.exception
    assert service.cluster(c.id).locked is True
    open_card(at, c.id, "Aufteilen")
    assert at.button(key=f"split_btn_{c.id}_v{c.version + 2}").disabled, "a locked cluster cannot be split"


def test_promote_creates_a_measure_from_clusters(make_app, service: ReviewService) -> None:
    a, b = first(service, EDUCATION, 0), first(service, EDUCATION, 1)
    at = open_page(make_app(), "massnahmen")
    new = f"promote_{form(at, 'promote')}"
    at.multiselect(key=f"{new}_clusters").select(a.id).select(b.id)
    at.text_input(key=f"{new}_title").input("Kita-Ausbau Nord-Düren")
    at.text_area(key=f"{new}_description").input("Zwei neue Gruppen bis 2027.")
    at.multiselect(key=f"{new}_districts").select("Nord-Düren")
    at.text_input(key=f"{new}_responsible").input("Jugendamt")
    at.selectbox(key=f"{new}_priority").select("hoch")
    at.selectbox(key=f"{new}_status").select("vorgeschlagen")
    at.text_input(key=f"{new}_cost").input("250.000 €")
    at.text_input(key=f"{new}_timeframe").input("2026–2027")
    at.button(key=f"{new}_btn").click().run()
    assert not at.exception
    [m] = service.measures()
    m = service.measure(m.id)
    assert (m.title, m.theme, m.districts, m.responsible, m.priority, m.status, m.cost_estimate, m.timeframe) == (
        "Kita-Ausbau Nord-Düren", EDUCATION, ("Nord-Düren",), "Jugendamt", "hoch", "vorgeschlagen", "250.000 €",
        "2026–2027")
    assert set(m.cluster_ids) == {a.id, b.id} and m.created_by == ACTOR
    assert len(m.sources) == a.size + b.size
    assert table(at, "Beitrag").shape[0] == len(m.sources)
    fresh = f"promote_{form(at, 'promote')}"
    assert fresh != new, "after a success the form is drawn afresh"
    assert at.text_input(key=f"{fresh}_title").value == "" and at.multiselect(key=f"{fresh}_clusters").value == []
    assert at.selectbox(key=f"{fresh}_status").value == "Entwurf"


def test_unsaved_measure_input_survives_a_visit_to_another_page(make_app, service: ReviewService) -> None:
    a = first(service, EDUCATION, 0)
    at = open_page(make_app(), "massnahmen")
    new = f"promote_{form(at, 'promote')}"
    at.multiselect(key=f"{new}_clusters").select(a.id)
    at.text_input(key=f"{new}_title").input("Halb fertig").run()
    open_page(at, "cluster", WORK)
    open_page(at, "massnahmen")
    assert at.text_input(key=f"{new}_title").value == "Halb fertig"
    assert at.multiselect(key=f"{new}_clusters").value == [a.id]
    assert service.measures() == []


def test_edit_measure_and_filter_the_list(make_app, service: ReviewService) -> None:
    c = first(service, WORK)
    m = service.promote([c.id], MeasureInput(title="Servicetelefon", status="Entwurf"))
    at = open_page(make_app(), "massnahmen")
    prefix = f"measure_{m.id}_v{m.version}"
    at.text_input(key=f"{prefix}_title").input("Servicetelefon Jobcenter")
    at.selectbox(key=f"{prefix}_status").select("beschlossen")
    at.button(key=f"measure_save_btn_{prefix}").click().run()
    assert not at.exception
    saved = service.measure(m.id)
    assert (saved.title, saved.status, saved.updated_by) == ("Servicetelefon Jobcenter", "beschlossen", ACTOR)
    at.selectbox(key="measures_status").select("Entwurf").run()
    assert any("Keine Maßnahmen" in i.value for i in at.info)
    at.selectbox(key="measures_status").select("beschlossen").run()
    assert table(at, "Titel")["Titel"].tolist() == ["Servicetelefon Jobcenter"]


def test_undo_asks_names_the_change_undoes_it_and_can_redo_it(make_app, service: ReviewService) -> None:
    c = first(service, WORK)
    at = open_card(open_page(make_app(), "cluster", WORK), c.id)
    at.text_input(key=f"rename_{c.id}_v{c.version}").input("Neu benannt")
    at.button(key=f"rename_btn_{c.id}_v{c.version}").click().run()
    assert service.cluster(c.id).label == "Neu benannt"
    open_page(at, "protokoll")
    log = table(at, "Wer")
    assert log["Wer"].tolist() == [ACTOR] and "Neu benannt" in log["Was"][0]
    event = service.events()[0].id
    ask = at.button(key=f"protocol_undo_{event}")
    assert ask.label.startswith("Rückgängig: Cluster") and "umbenannt" in ask.label, "the button names what it undoes"
    ask.click().run()
    assert service.cluster(c.id).label == "Neu benannt", "nothing happens before the answer"
    assert any("rückgängig machen?" in x.value and "Neu benannt" in x.value for x in at.warning)
    at.button(key=f"protocol_undo_no_{event}").click().run()
    assert service.cluster(c.id).label == "Neu benannt" and not at.warning
    at.button(key=f"protocol_undo_{event}").click().run()
    at.button(key=f"protocol_undo_yes_{event}").click().run()
    assert not at.exception
    assert service.cluster(c.id).label == c.label
    assert table(at, "Wer")["rückgängig gemacht"].tolist() == ["", "ja"]
    assert any("Rückgängig gemacht" in x.value for x in at.success)
    at.button(key=f"protocol_redo_{event}").click().run()
    assert service.cluster(c.id).label == "Neu benannt"
    assert table(at, "Was")["Was"][0].startswith("Wiederhergestellt: Cluster")


def test_undo_in_the_sidebar_leaves_a_colleagues_change_alone(make_app, service: ReviewService) -> None:
    a, b = first(service, WORK, 0), first(service, WORK, 1)
    mine = ReviewService(service.store, service.conference, ACTOR).set_locked(a.id, True, a.version)
    service.set_locked(b.id, True, b.version)  # Bernd Büro, after Anna
    at = open_page(make_app(), "uebersicht")
    assert any("Bernd Büro" in t.value and "gesperrt" in t.value for t in at.sidebar.text)
    event = next(e.id for e in service.events() if e.actor == ACTOR)
    assert f"Cluster {mine.id} gesperrt" in at.sidebar.button(key=f"sidebar_undo_{event}").label
    at.sidebar.button(key=f"sidebar_undo_{event}").click().run()
    at.sidebar.button(key=f"sidebar_undo_yes_{event}").click().run()
    assert not at.exception
    assert (service.cluster(a.id).locked, service.cluster(b.id).locked) == (False, True)
    assert any("Rückgängig gemacht" in s.value for s in at.success)
    assert any("Keine eigene Änderung" in c.value for c in at.sidebar.caption)


def test_second_save_of_a_cluster_is_refused_and_shows_the_current_state(make_app, service: ReviewService) -> None:
    c = first(service, WORK)
    at = open_card(open_page(make_app(), "cluster", WORK), c.id)
    service.rename(c.id, "Bernds Name", c.version)  # someone else saves first
    at.text_input(key=f"rename_{c.id}_v{c.version}").input("Annas Name")
    at.button(key=f"rename_btn_{c.id}_v{c.version}").click().run()
    assert not at.exception
    assert service.cluster(c.id).label == "Bernds Name"
    assert at.error and "inzwischen von jemand anderem geändert" in at.error[0].value
    assert at.text_input(key=f"rename_{c.id}_v{c.version + 1}").value == "Bernds Name"


def test_second_save_of_a_measure_is_refused(make_app, service: ReviewService) -> None:
    m = service.promote([first(service, WORK).id], MeasureInput(title="Servicetelefon"))
    at = open_page(make_app(), "massnahmen")
    service.update_measure(m.id, MeasureInput(title="Bernds Titel"), m.version)
    at.text_input(key=f"measure_{m.id}_v{m.version}_title").input("Annas Titel")
    at.button(key=f"measure_save_btn_measure_{m.id}_v{m.version}").click().run()
    assert not at.exception
    assert service.measure(m.id).title == "Bernds Titel"
    assert at.error and "Bernd Büro" in at.error[0].value
    assert at.text_input(key=f"measure_{m.id}_v{m.version + 1}_title").value == "Bernds Titel"


def test_note_with_html_and_markdown_is_shown_as_literal_text(make_app, service: ReviewService) -> None:
    kita = next(c for c in service.clusters(EDUCATION, with_members=True) if 1 in {m.id for m in c.members})
    service.rename(kita.id, "<b>Kita</b> **fett** <script>alert(3)</script>", kita.version)
    at = open_card(open_page(make_app(), "cluster", EDUCATION), kita.id)
    texts = [t.value for t in at.text] + [v for d in at.dataframe for v in d.value.astype(str).to_numpy().ravel()]
    assert HOSTILE in texts, "the note appears verbatim as text"
    for page in PAGES:
        open_page(at, page)
        for value in rendered_markdown(at):
            if value.startswith("<style>"):  # the committee view's own constant CSS
                continue
            assert not re.search(r"(?<!\\)[<>]", value), f"unescaped markup: {value}"
            assert not re.search(r"(?<!\\)\*\*fett", value), f"unescaped Markdown: {value}"


def test_committee_view_has_no_controls_and_no_note_text(make_app, service: ReviewService) -> None:
    m = service.promote([first(service, WORK).id], MeasureInput(title="Servicetelefon", status="vorgeschlagen"))
    at = open_page(make_app(actor=None), "ausschuss")
    assert not at.button and not at.text_input and not at.text_area and not at.dataframe
    assert {s.key for s in at.selectbox} == {"committee_theme", "committee_district", "conference_select"}
    shown = " ".join(rendered_markdown(at) + [t.value for t in at.text])
    assert m.title in shown
    notes = {mv.text for c in service.clusters(with_members=True) for mv in c.members}
    assert not [n for n in notes if n in shown], "no raw note text for the committee"
    at.selectbox(key="committee_theme").select(WORK).run()
    assert not at.exception and [h.value for h in at.header] == [WORK]


def test_upload_imports_pseudonymised_notes_reports_per_file_and_analyses(make_app, analysed_store) -> None:
    at = make_app()
    at.switch_page("views/import_.py").run()
    at.text_input(key="import_conference").input("Neue Konferenz").run()
    at.file_uploader(key="import_files").set_value([
        ("Tisch2_Wohnen_Runde1.md", "# Tisch 2 – Wohnen\n\n- Frau Schmitz, Tel. 02421 123456, sucht seit Monaten "
         "eine Wohnung\n- Mieten in Birkesdorf steigen\n- Mieten in Birkesdorf steigen stark\n".encode(), "text/markdown"),
        ("kaputt.docx", b"kein Word", "application/octet-stream"),
    ]).run()
    at.button(key="import_btn").click().run()

    assert not at.exception
    [table] = [d.value for d in at.dataframe if "Datei" in d.value.columns]
    assert list(table["Status"]) == ["ok", "fehlgeschlagen"]
    assert table["importiert"].tolist() == [3, 0] and "Word" in table["Hinweise"].iloc[1]
    record = analysed_store.get_conference("Neue Konferenz")
    texts = [c.text for c in analysed_store.contributions(record.id)]
    assert texts[0] == "[NAME], Tel. [TELEFON], sucht seit Monaten eine Wohnung"
    assert all(c.table_label == "2" and c.theme == "Wohnen" for c in analysed_store.contributions(record.id))

    at.button(key="import_analyse_btn").click().run()

    assert not at.exception
    assert analysed_store.latest_run(record.id) is not None
    assert at.sidebar.selectbox(key="conference_select").value == "Neue Konferenz"
    # the workbench's analysis keeps its vectors in the database, for every server on it
    hashes = [text_hash(clean_text(t)) for t in texts]
    assert len(analysed_store.embedding_vectors(HashingEmbedder().model_id, hashes)) == 3


# -- people's text stays text: no links, pictures, emphasis or emoji from it --------------

URL_TEXT = "Infos: https://example.com/a.png www.stadt.example amt@stadt.example :smile: :material/home:"
# What Streamlit's Markdown does to the *parsed* text, after backslash escapes are
# resolved (remark-gfm autolink literals, remark-emoji, Streamlit's icon codes).
_AFTER_PARSING = [re.compile(r"(https?://|www(?=\.))[-.\w]+", re.I), re.compile(r"[-.\w+]+@[-\w]+(\.[-\w]+)+"),
                  re.compile(r":[\w/-]+:")]


def markdown_sources(at: AppTest) -> list[str]:
    """Every string the browser renders as Markdown: text elements, alerts, labels."""
    from streamlit.testing.v1.element_tree import AlertBase, ButtonGroup, Expander, HeadingBase, Markdown, Metric, Tab

    out = []
    for node in nodes(at):
        if isinstance(node, ButtonGroup):  # pill texts are Markdown
            out += [o.content for o in node.proto.options]
        if isinstance(node, (Markdown, HeadingBase, AlertBase)) and isinstance(node.value, str):
            if not node.value.startswith("<style>"):  # the committee view's own constant CSS
                out.append(node.value)
        elif isinstance(node, Metric) and isinstance(node.value, str):  # a metric's value is Markdown too
            out += [node.label, node.value]
        elif isinstance(node, (Expander, Tab)) or hasattr(node, "label"):
            label = getattr(node, "label", None)
            if isinstance(label, str):
                out.append(label)
    return out


def _as_rendered(source: str) -> str:
    """The text the Markdown parser hands on: backslash escapes resolved."""
    return re.sub(r"\\(.)", r"\1", source)


def _visible(source: str) -> str:
    """What a person reads (the word joiners that break links are invisible)."""
    return _as_rendered(source).replace("\u2060", "")


def _assert_shown_as_text(at: AppTest, page: str, *texts: str) -> None:
    sources = markdown_sources(at)
    for text in texts:
        assert any(text in _visible(s) for s in sources), f"{page}: {text!r} not shown"
    for source in sources:
        rendered = _as_rendered(source)
        for pattern in _AFTER_PARSING:
            assert not pattern.search(rendered), f"{page}: would become a link or picture: {source!r}"


def test_audit_name_in_the_measures_caption_is_text(make_app, service: ReviewService) -> None:
    actor = "![i](http://example.com/a.png) **x**"
    ReviewService(service.store, service.conference, actor).promote(
        [first(service, WORK).id], MeasureInput(title="Servicetelefon", status="vorgeschlagen"))
    at = open_page(make_app(actor=actor), "massnahmen")

    [caption] = [c.value for c in at.caption if c.value.startswith("Angelegt von")]
    assert "\\!\\[i\\]\\(http\\:\u2060//example\\.com/a\\.png\\) \\*\\*x\\*\\*" in caption
    _assert_shown_as_text(at, "massnahmen", f"Angelegt von {actor}")
    for source in markdown_sources(at):
        assert not re.search(r"(?<!\\)(\*\*x|!\[i|\]\()", source), f"unescaped Markdown: {source!r}"


def test_urls_in_labels_titles_and_districts_stay_text_on_every_page(make_app, service: ReviewService) -> None:
    from sqlalchemy import update

    from models.records import Cluster

    c = first(service, WORK)
    service.rename(c.id, f"Jobcenter {URL_TEXT}", c.version)
    with service.store.transaction() as session:  # a district named like a URL, as a gazetteer could have it
        session.execute(update(Cluster).where(Cluster.id == c.id).values(
            profile={**c.profile, "districts": {"https://ost.example": 3}}, hotspot_district="www.ost.example"))
    service.promote([c.id], MeasureInput(title=f"Servicetelefon {URL_TEXT}", districts=("www.nord.example",),
                                         status="vorgeschlagen"))
    at = make_app(actor=f"Anna {URL_TEXT}")
    for page in PAGES:
        open_page(at, page, WORK if page == "cluster" else None)
        _assert_shown_as_text(at, page)
    open_page(at, "ausschuss")
    _assert_shown_as_text(at, "ausschuss", f"Jobcenter {URL_TEXT}", f"Servicetelefon {URL_TEXT}",
                          "https://ost.example", "www.nord.example")
    open_card(open_page(at, "cluster", WORK), c.id)
    _assert_shown_as_text(at, "cluster", f"Jobcenter {URL_TEXT}", "www.ost.example")
    open_card(at, first(service, WORK, 1).id)  # the target pills name the renamed cluster: text, no link
    _assert_shown_as_text(at, "cluster", f"Jobcenter {URL_TEXT}")


def test_unreachable_database_shows_a_german_message_not_a_stack_trace(settings) -> None:
    import socket

    from pipelines.settings import load_settings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["settings"] = load_settings(
        database_url=f"postgresql+psycopg://taten:Geheim-42@127.0.0.1:{port}/taten",
        embedding={"model": "hashing"})
    at.run()

    assert not at.exception, at.exception
    [error] = at.error
    assert f"PostgreSQL auf 127.0.0.1:{port} nimmt keine Verbindung an" in _visible(error.value)
    assert "Geheim-42" not in error.value


def test_a_fresh_session_opens_the_conference_theme_card_and_name_of_the_link(
        analysed_store, settings, service: ReviewService, small_conference_csv, hashing_resources) -> None:
    from pipelines.ingest import import_files

    import_files(analysed_store, [small_conference_csv], "Spätere Konferenz", hashing_resources.vocab)
    power = next(c for c in service.clusters("Einkommen") if "Strom" in c.label)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["store"] = analysed_store
    at.session_state["settings"] = settings
    at.query_params.update({"konferenz": "Kleine Konferenz", "thema": "Einkommen", "cluster": str(power.id),
                            "name": "Carla Chef"})
    at.switch_page("views/cluster.py").run()
    assert not at.exception, at.exception
    assert at.sidebar.selectbox(key="conference_select").value == "Kleine Konferenz", "not the last imported"
    assert at.sidebar.text_input(key="name").value == "Carla Chef"
    assert at.selectbox(key="thema").value == "Einkommen"
    assert at.session_state[f"card_{power.id}"] and at.text_input(key=f"rename_{power.id}_v{power.version}")
    at.text_input(key=f"rename_{power.id}_v{power.version}").input("Stromsperren verhindern")
    at.button(key=f"rename_btn_{power.id}_v{power.version}").click().run()
    assert service.events()[0].actor == "Carla Chef"


def test_member_tables_wrap_the_note_text(make_app, service: ReviewService) -> None:
    from ui.widgets import MEMBER_ROW_PX

    c = first(service, WORK)
    at = open_card(open_page(make_app(), "cluster", WORK), c.id)
    proto = next(d.proto for d in at.dataframe if d.key == member_rows(at, c.id))
    assert proto.row_height == MEMBER_ROW_PX > 64, "Streamlit wraps cell text only in rows taller than 4rem"
    assert "Beitrag" in proto.column_order  # the height (twenty rows) is checked in the browser at 1024 px


def test_an_unsaved_new_name_survives_closing_the_card_and_another_page(make_app, service: ReviewService) -> None:
    a, b = first(service, WORK, 0), first(service, WORK, 1)
    at = open_card(open_page(make_app(), "cluster", WORK), a.id)
    at.text_input(key=f"rename_{a.id}_v{a.version}").input("Halb getippt").run()
    open_card(at, b.id)  # one card at a time: a's card closes
    assert not at.session_state[f"card_{a.id}"]
    open_page(at, "massnahmen")
    open_card(open_page(at, "cluster"), a.id)
    assert at.selectbox(key="thema").value == WORK, "the theme stays across pages"
    assert at.text_input(key=f"rename_{a.id}_v{a.version}").value == "Halb getippt"
    assert service.cluster(a.id).label == a.label


# -- committee view ------------------------------------------------------------


def test_committee_view_orders_themes_by_their_best_concern(make_app, service: ReviewService) -> None:
    at = open_page(make_app(actor=None), "ausschuss")
    best = list(dict.fromkeys(c.theme for c in service.overview(top=None).top))
    assert best != sorted(best), "the small conference ranks a theme first that is not first alphabetically"
    assert [h.value for h in at.header] == best


def test_committee_view_shows_proposed_measures_with_their_details_and_no_drafts(
        make_app, service: ReviewService) -> None:
    service.promote([first(service, WORK).id], MeasureInput(
        title="Servicetelefon Jobcenter", description="Eine Rufnummer mit Rückrufdienst für alle Anliegen.",
        responsible="Amt für Soziales (50)", priority="hoch", cost_estimate="20.000 € jährlich",
        timeframe="ab 2027", status="vorgeschlagen"))
    service.promote([first(service, EDUCATION).id], MeasureInput(title="Kita-Gipfel (Entwurf)", status="Entwurf"))
    service.promote([first(service, "Einkommen").id], MeasureInput(title="Energieschuldenfonds", status="beschlossen"))
    at = open_page(make_app(actor=None), "ausschuss")
    shown = " ".join(rendered_markdown(at))
    for text in ("Servicetelefon Jobcenter", "Priorität: hoch", "Zuständig: Amt für Soziales \\(50\\)",
                 "Kosten: 20\\.000 € jährlich", "Eine Rufnummer mit Rückrufdienst für alle Anliegen\\.",
                 "Energieschuldenfonds", "Status: beschlossen"):
        assert text in shown
    assert "Kita\\-Gipfel" not in shown, "a draft is not for the committee"
    assert {m.label: m.value for m in at.metric}["Maßnahmen"] == "2"


def test_committee_view_draws_no_chart_for_a_theme_with_fewer_than_three_concerns(
        make_app, service: ReviewService) -> None:
    charts = lambda at: len(at.get("vega_lite_chart"))  # noqa: E731
    at = open_page(make_app(actor=None), "ausschuss")
    assert charts(at) == 3, "three themes with three or more concerns each"
    for c in [c for c in service.clusters(WORK)][1:]:
        service.set_relevant(c.id, False, c.version)
    at = open_page(make_app(actor=None), "ausschuss")
    assert [c.theme for c in service.overview(top=None).top].count(WORK) == 1
    assert charts(at) == 2
    assert WORK in [h.value for h in at.header], "the theme is still there, with its one concern as a list"
