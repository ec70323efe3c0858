"""Reports: load the latest run, filter concerns, export CSV and JSON with every member."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from models.store import Store
from pipelines.analyse import analyse_conference
from pipelines.errors import InputError
from pipelines.example_data import DISTRICTS, EXAMPLE_MARK, example_notice
from pipelines.ingest import import_files
from pipelines.report import RunView, export_csv, export_json, filter_concerns, load_run
from pipelines.resources import Resources
from pipelines.settings import NlpSettings, Settings

CONFERENCE = "Kleine Konferenz"
FORMULA_ROWS = [
    {"text": "=HYPERLINK(\"http://x.example\";\"Kita\")", "table": "7", "theme": "Bildung", "round": "1", "district": "Ost"},
    {"text": "@SUMME(A1) Kita-Plätze fehlen", "table": "7", "theme": "Bildung", "round": "1", "district": "Ost"},
    {"text": "- Kita-Plätze fehlen, Liste", "table": "7", "theme": "Bildung", "round": "2", "district": "Ost"},
]


@pytest.fixture
def view(
    tmp_path: Path, sqlite_store: Store, hashing_resources: Resources, settings: Settings,
    small_conference_rows: list[dict[str, str]], write_csv,
) -> RunView:
    path = write_csv(tmp_path / "konferenz.csv", small_conference_rows + FORMULA_ROWS)
    import_files(sqlite_store, [path], CONFERENCE, hashing_resources.vocab)
    analyse_conference(sqlite_store, CONFERENCE, hashing_resources, settings)
    return load_run(sqlite_store, CONFERENCE)


def _contributions(store: Store) -> dict[int, object]:
    return {c.id: c for c in store.contributions(store.get_conference(CONFERENCE).id)}


def test_load_run_returns_the_latest_run_with_all_members(sqlite_store: Store, view: RunView) -> None:
    contributions = _contributions(sqlite_store)
    conference = sqlite_store.get_conference(CONFERENCE)

    assert view.run_id == sqlite_store.latest_run(conference.id).id
    assert [c.rank for c in view.concerns] == list(range(1, len(view.concerns) + 1))
    members = [m.id for ms in view.members.values() for m in ms]
    assert sorted(members) == sorted(contributions)
    for concern in view.concerns:
        assert len(view.members[concern.cluster_id]) == concern.size
        assert concern.quotes and set(concern.quotes) <= {m.text for m in view.members[concern.cluster_id]}


def test_load_run_of_unknown_or_unanalysed_conference_raises_input_error(
    tmp_path: Path, sqlite_store: Store, hashing_resources: Resources, write_csv
) -> None:
    with pytest.raises(InputError, match="gibt es nicht"):
        load_run(sqlite_store, "Unbekannt")
    import_files(sqlite_store, [write_csv(tmp_path / "a.csv", [{"text": "Kita fehlt"}])], "Neu", hashing_resources.vocab)
    with pytest.raises(InputError, match="noch nicht analysiert"):
        load_run(sqlite_store, "Neu")


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def test_csv_export_neutralises_formulas(tmp_path: Path, view: RunView) -> None:
    out = tmp_path / "export.csv"

    export_csv(view, out)

    texts = {row["text"] for row in _read_csv(out)}
    assert "'=HYPERLINK(\"http://x.example\";\"Kita\")" in texts
    assert "'@SUMME(A1) Kita-Plätze fehlen" in texts
    assert "'- Kita-Plätze fehlen, Liste" in texts
    assert "Kita-Plätze fehlen dringend" in texts  # ordinary text untouched
    for row in _read_csv(out):
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value


def test_csv_export_has_every_member_with_its_source(tmp_path: Path, sqlite_store: Store, view: RunView) -> None:
    out = tmp_path / "export.csv"
    contributions = _contributions(sqlite_store)

    export_csv(view, out)

    rows = _read_csv(out)
    assert sorted(int(r["id"]) for r in rows) == sorted(contributions)
    for row in rows:
        c = contributions[int(row["id"])]
        assert (row["source_file"], row["source_position"]) == (c.source_file, c.source_position)
        assert row["source_file"] == "konferenz.csv" and row["source_position"].startswith("Zeile ")
    ranks = {c.cluster_id: str(c.rank) for c in view.concerns}
    assert {r["rank"] for r in rows} == set(ranks.values())


def test_json_export_has_every_member_with_its_source(tmp_path: Path, sqlite_store: Store, view: RunView) -> None:
    out = tmp_path / "export.json"
    contributions = _contributions(sqlite_store)

    export_json(view, out)

    payload = json.loads(out.read_text(encoding="utf-8"))
    assert (payload["conference"], payload["run_id"]) == (CONFERENCE, view.run_id)
    assert [c["rank"] for c in payload["clusters"]] == [c.rank for c in view.concerns]
    members = [m for c in payload["clusters"] for m in c["members"]]
    assert sorted(m["id"] for m in members) == sorted(contributions)
    for m in members:
        c = contributions[m["id"]]
        assert (m["text"], m["source_file"], m["source_position"]) == (c.text, c.source_file, c.source_position)
    for cluster in payload["clusters"]:
        assert cluster["size"] == len(cluster["members"])
        assert sum(cluster["score_breakdown"].values()) == pytest.approx(cluster["score"], abs=1e-5)


def test_exports_on_example_data_say_so_in_every_row_and_a_citys_exports_carry_no_mark(
    tmp_path: Path, view: RunView
) -> None:
    notice = example_notice(NlpSettings(), what=(DISTRICTS,))
    assert notice is not None

    export_csv(view, tmp_path / "beispiel.csv", notice)
    export_json(view, tmp_path / "beispiel.json", notice)
    export_csv(view, tmp_path / "stadt.csv")
    export_json(view, tmp_path / "stadt.json")

    assert {row["hinweis"] for row in _read_csv(tmp_path / "beispiel.csv")} == {notice}
    assert json.loads((tmp_path / "beispiel.json").read_text(encoding="utf-8"))["hinweis"].startswith(EXAMPLE_MARK)
    assert "hinweis" not in _read_csv(tmp_path / "stadt.csv")[0]
    assert "hinweis" not in json.loads((tmp_path / "stadt.json").read_text(encoding="utf-8"))


def test_filter_concerns_by_theme(view: RunView) -> None:
    arbeit = filter_concerns(view, theme="Arbeit")

    assert arbeit and all(c.theme == "Arbeit" for c in arbeit)
    assert len(arbeit) == sum(c.theme == "Arbeit" for c in view.concerns)
    assert [c.rank for c in arbeit] == sorted(c.rank for c in arbeit)
    assert filter_concerns(view, theme="Gibt es nicht") == []


def test_filter_concerns_by_district(view: RunView) -> None:
    nord = filter_concerns(view, district="Nord-Düren")

    assert nord and all("Nord-Düren" in c.districts for c in nord)
    with_nord_member = {c.cluster_id for c in view.concerns
                        if any(m.district == "Nord-Düren" for m in view.members[c.cluster_id])}
    assert with_nord_member and with_nord_member <= {c.cluster_id for c in nord}
    assert all(c.cluster_id not in {n.cluster_id for n in nord}
               for c in view.concerns if "Nord-Düren" not in c.districts)


def test_filter_concerns_by_theme_and_district_and_top(view: RunView) -> None:
    both = filter_concerns(view, theme="Einkommen", district="Nord-Düren")

    assert both and all(c.theme == "Einkommen" and "Nord-Düren" in c.districts for c in both)
    assert filter_concerns(view, top=2) == view.concerns[:2]


def test_district_ranking_puts_concerns_naming_the_district_most_first(view: RunView) -> None:
    nord = filter_concerns(view, district="Nord-Düren")
    mentions = [c.districts["Nord-Düren"] for c in nord]
    assert len(set(mentions)) >= 2, "the fixture should give concerns with different mention counts"
    assert mentions == sorted(mentions, reverse=True)
    for a, b in zip(nord, nord[1:]):
        if a.districts["Nord-Düren"] == b.districts["Nord-Düren"]:
            assert a.rank < b.rank


def test_csv_export_reads_back_in_german_excel_terms(tmp_path: Path, view: RunView) -> None:
    """``;``, decimal comma, a BOM: a German-locale reader gets the scores as numbers, umlauts intact."""
    import pandas as pd

    out = tmp_path / "export.csv"
    export_csv(view, out)

    assert out.read_bytes().startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, or Excel reads Latin-1"
    frame = pd.read_csv(out, sep=";", decimal=",", encoding="utf-8-sig")
    assert frame["score"].dtype.kind == "f"
    by_rank = frame.groupby("rank")["score"].first()
    assert by_rank.to_dict() == pytest.approx({c.rank: round(c.score, 3) for c in view.concerns}, abs=5e-4)
    assert all(0 < s < 100 for s in by_rank), "no score read as thousands"
    assert "Bildung und Erziehung" in set(frame["theme"])
