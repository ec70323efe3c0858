"""One truth for every view: after staff reviewed an analysis, the command line,
the exports, the review service, every workbench page and the committee view show
the same concerns, in the same order, with the same counts.

The expectation is computed here from the tables themselves, by the definitions
the product uses: an active concern is not merged away, relevant and has members;
a measure is shown unless it is rejected ("abgelehnt").
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from models.records import AnalysisRun, Assignment, Cluster, Measure
from models.store import Store
from pipelines.cli import app
from pipelines.review import ClusterView, Filters, MeasureInput, ReviewService
from tests.ui.conftest import CONFERENCE
from tests.ui.test_pages import open_page, rendered_markdown, table
from ui.widgets import md, option_label

DISTRICT = "Nord-Düren"


def _reviewed(service: ReviewService) -> dict[str, object]:
    """Merge, split, move (emptying a cluster), not relevant, two measures of which one is rejected."""
    clusters = service.clusters(with_members=True)
    by_theme: dict[str, list[ClusterView]] = {}
    for c in clusters:
        by_theme.setdefault(c.theme, []).append(c)
    a, b = next(cs[:2] for cs in by_theme.values() if len(cs) >= 2)
    used = {a.id, b.id}
    merged = service.merge({a.id: a.version, b.id: b.version}, label="Zusammengeführtes Anliegen")

    source = next(c for c in clusters if c.id not in used and c.size >= 3)
    used.add(source.id)
    split = service.split(source.id, [source.members[-1].id], "Abgetrenntes Anliegen", source.version)

    single = next(c for c in clusters if c.id not in used and c.size == 1)
    target = next(c for c in clusters if c.id not in used | {single.id})
    used |= {single.id, target.id}
    service.move(single.members[0].id, target.id, {single.id: single.version, target.id: target.version})
    assert service.cluster(single.id).size == 0, "the move empties a cluster that is not merged"

    dropped = next(c for c in clusters if c.id not in used)
    used.add(dropped.id)
    service.set_relevant(dropped.id, False, dropped.version)

    kept_from, rejected_from = [c for c in clusters if c.id not in used][:2]
    theme = kept_from.theme
    shown = service.promote([kept_from.id], MeasureInput(title="Maßnahme bleibt", theme=theme,
                                                         districts=(DISTRICT,), status="vorgeschlagen"))
    rejected = service.promote([rejected_from.id], MeasureInput(title="Maßnahme abgelehnt", theme=theme,
                                                                districts=(DISTRICT,), status="vorgeschlagen"))
    service.update_measure(rejected.id, MeasureInput(title="Maßnahme abgelehnt", theme=theme, districts=(DISTRICT,),
                                                     status="abgelehnt"), rejected.version)
    return {"merged": merged.id, "gone": b.id, "split": split.id, "emptied": single.id, "dropped": dropped.id,
            "theme": theme, "shown": shown.title, "rejected": rejected.title}


def _truth(store: Store, conference_id: int) -> tuple[list[Cluster], list[str]]:
    """The active concerns and the shown measures, read straight from the tables."""
    with store.transaction() as session:
        run_id = session.scalar(select(func.max(AnalysisRun.id)).where(AnalysisRun.conference_id == conference_id))
        members = dict(session.execute(
            select(Assignment.cluster_id, func.count()).where(Assignment.run_id == run_id)
            .group_by(Assignment.cluster_id)).all())
        clusters = [c for c in session.scalars(select(Cluster).where(Cluster.run_id == run_id))
                    if c.merged_into_id is None and c.relevant and members.get(c.id, 0) > 0]
        for c in clusters:
            assert c.size == members[c.id]
        measures = [m.title for m in session.scalars(select(Measure).where(Measure.conference_id == conference_id)
                                                     .order_by(Measure.id)) if m.status != "abgelehnt"]
    return sorted(clusters, key=lambda c: c.rank), measures


def _cli_rows(output: str) -> list[tuple[str, ...]]:
    """The cells of each row of the first rich table (the concerns; with ``--district`` the district's
    indicators follow in a second one); a wrapped cell's lines are joined."""
    rows: list[list[str]] = []
    for line in output.splitlines():
        if line.startswith("└"):  # the end of the first table
            break
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[0] and cells[0] != "Rang":
            rows.append(cells)
        elif rows and not cells[0]:
            rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells, strict=True)]
    return [tuple(r) for r in rows]


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.fixture
def cli(analysed_store: Store, taten_home: Path):
    runner = CliRunner()
    env = {"TATEN_HOME": str(taten_home), "TATEN_DATABASE_URL": analysed_store.url, "TATEN_EMBEDDING__MODEL": "hashing"}

    def invoke(*args: str) -> str:
        result = runner.invoke(app, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    return invoke


def test_every_view_shows_the_same_concerns_and_counts_after_review(
    analysed_store: Store, service: ReviewService, make_app, cli, tmp_path: Path
) -> None:
    n_before = len(service.clusters())
    done = _reviewed(service)
    concerns, measures = _truth(analysed_store, service.conference_id)
    ids = [c.id for c in concerns]
    ranked = [(c.rank, c.label, c.size) for c in concerns]
    n_notes = sum(c.size for c in concerns)

    # the definitions at work: merge -1, split +1, emptied by a move -1, not relevant -1
    assert len(concerns) == n_before - 2
    assert done["split"] in ids and done["merged"] in ids
    assert not {done["gone"], done["emptied"], done["dropped"]} & set(ids)
    assert measures == [done["shown"]]
    # ranks count the active concerns only, overall and within each theme
    assert [c.rank for c in concerns] == list(range(1, len(concerns) + 1))
    for theme in {c.theme for c in concerns}:
        in_theme = [c.theme_rank for c in concerns if c.theme == theme]
        assert in_theme == list(range(1, len(in_theme) + 1))

    # review service
    overview = service.overview(top=None)
    assert [c.id for c in overview.top] == ids
    assert (overview.n_clusters, overview.n_contributions, overview.n_measures) == (len(ids), n_notes, 1)
    assert [c.id for c in service.clusters(include_irrelevant=False)] == ids
    assert [m.title for m in service.measures()] == measures
    assert [m.title for m in service.measures(status="abgelehnt")] == [done["rejected"]]

    # command line: concerns and export
    rows = _cli_rows(cli("concerns", "--conference", CONFERENCE, "--top", "100"))
    # the Anliegen cell holds the name and, under it, the one-sentence summary
    summaries = {c.id: c.summary for c in overview.top}
    assert all(summaries.values()), "every concern has a summary sentence"
    shown = [(c.rank, " ".join(f"{c.label} {summaries[c.id]}".split()), c.size) for c in concerns]
    assert [(int(r[0]), " ".join(r[2].split()), int(r[3])) for r in rows] == shown
    json_out, csv_out = tmp_path / "export.json", tmp_path / "export.csv"
    assert f"{len(ids)} Anliegen" in cli("export", "--conference", CONFERENCE, "--out", str(json_out))
    assert f"{len(ids)} Anliegen" in cli("export", "--conference", CONFERENCE, "--out", str(csv_out))
    exported = json.loads(json_out.read_text(encoding="utf-8"))["clusters"]
    assert [(c["rank"], c["label"], c["size"]) for c in exported] == ranked
    assert [len(c["members"]) for c in exported] == [c.size for c in concerns]
    with csv_out.open(encoding="utf-8-sig", newline="") as handle:
        csv_rows = list(csv.DictReader(handle, delimiter=";"))
    assert Counter((int(r["rank"]), r["label"]) for r in csv_rows) == Counter(
        {(c.rank, c.label): c.size for c in concerns})

    # workbench: Übersicht
    at = open_page(make_app(), "uebersicht")
    metrics = _metrics(at)
    assert (metrics["Beiträge"], metrics["Anliegen (Cluster)"], metrics["Maßnahmen"]) == (str(n_notes), str(len(ids)), "1")
    top = table(at, "Anliegen")
    assert list(zip(top["Rang"], top["Anliegen"], top["Beiträge"], strict=True)) == ranked[:10]

    # workbench: Cluster prüfen, without the clusters marked not relevant
    open_page(at, "cluster")
    at.toggle(key="cluster_show_irrelevant").set_value(False).run()
    shown_per_theme = {}
    for theme in at.selectbox(key="thema").options:
        at.selectbox(key="thema").select(theme).run()
        assert not at.exception
        [heading] = [s.value for s in at.subheader if "Cluster im Thema" in s.value]
        shown_per_theme[theme] = int(heading.split()[0])
    assert shown_per_theme == {t: sum(1 for c in concerns if c.theme == t) for t in shown_per_theme}
    assert set(shown_per_theme) >= {c.theme for c in concerns}

    # workbench: Maßnahmen (what can be promoted, what is listed)
    open_page(at, "massnahmen")
    promote = at.session_state["_form_promote"]
    assert at.multiselect(key=f"promote_{promote}_clusters").options == [
        option_label(f"{c.label} ({c.theme}, {c.size} Beiträge)") for c in concerns]
    assert table(at, "Titel")["Titel"].tolist() == measures

    # workbench: Sozialräume
    open_page(at, "sozialraeume")
    at.selectbox(key="district_pick").select(DISTRICT).run()
    assert not at.exception
    in_district = [c for c in concerns if DISTRICT in c.profile.get("districts", {})]
    in_district.sort(key=lambda c: (-c.profile["districts"][DISTRICT], c.rank))
    assert table(at, "Anliegen")["Rang"].tolist() == [c.rank for c in in_district]
    assert table(at, "Titel")["Titel"].tolist() == measures
    assert [c.id for c in service.overview(Filters(district=DISTRICT), top=None).top] == [c.id for c in in_district]
    district_rows = _cli_rows(cli("concerns", "--conference", CONFERENCE, "--district", DISTRICT, "--top", "100"))
    assert [r[0] for r in district_rows] == [f"{i} (gesamt {c.rank})" for i, c in enumerate(in_district, start=1)]

    # committee view: the same numbers, the top five per theme (themes by their best concern), no rejected measure
    committee = open_page(make_app(actor=None), "ausschuss")
    assert _metrics(committee) == {"Beiträge": str(n_notes), "Anliegen": str(len(ids)),
                                   "Sozialräume": str(overview.n_districts), "Maßnahmen": "1"}
    listed = [m.value for m in committee.markdown if re.match(r"\*\*\d+\\\.\*\* ", m.value)]
    by_best_concern = list(dict.fromkeys(c.theme for c in concerns))  # themes in the order of their best concern
    expected = [f"**{c.theme_rank}\\.** {md(c.label)}" for t in by_best_concern
                for c in [c for c in concerns if c.theme == t][:5]]
    assert [line.split("  \n")[0] for line in listed] == expected
    shown = " ".join(rendered_markdown(committee))
    assert md(done["shown"]) in shown and md(done["rejected"]) not in shown

    # one filter, two pages, one number
    theme = str(done["theme"])
    at = open_page(make_app(), "uebersicht")
    at.selectbox(key="overview_theme").select(theme).run()
    committee.selectbox(key="committee_theme").select(theme).run()
    staff, public = _metrics(at), _metrics(committee)
    assert (staff["Anliegen (Cluster)"], staff["Maßnahmen"], staff["Beiträge"]) == (
        public["Anliegen"], public["Maßnahmen"], public["Beiträge"]) == (
        str(sum(1 for c in concerns if c.theme == theme)), "1", str(sum(c.size for c in concerns if c.theme == theme)))
