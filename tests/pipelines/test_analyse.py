"""Analyse with the hashing embedder: per-theme clusters, themes, ranking, determinism, failures."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import homogeneity_score, v_measure_score

from models.records import AnalysisRun
from models.store import Store
from nlp.embed import HashingEmbedder
from pipelines.analyse import analyse_conference
from pipelines.errors import InputError, TatenError
from pipelines.ingest import import_files
from pipelines.resources import Resources
from pipelines.settings import Settings, load_settings

CONFERENCE = "Kleine Konferenz"
STAGES = {"laden", "lemmatisieren", "einbetten", "themen", "clustern", "beschreiben", "vergleichen", "benennen",
          "speichern"}


def _import_and_analyse(
    store: Store, path: Path, resources: Resources, settings: Settings, conference: str = CONFERENCE
) -> AnalysisRun:
    import_files(store, [path], conference, resources.vocab)
    return analyse_conference(store, conference, resources, settings)


def _memberships(store: Store, run: AnalysisRun) -> set[frozenset[str]]:
    """Clusters as sets of contribution texts plus source positions (independent of ids)."""
    contributions = {c.id: c for c in store.contributions(run.conference_id)}
    groups: dict[int, set[str]] = {}
    for a in store.assignments(run.id):
        c = contributions[a.contribution_id]
        groups.setdefault(a.cluster_id, set()).add(f"{c.source_position}:{c.text}")
    return {frozenset(g) for g in groups.values()}


@pytest.fixture
def small_run(
    sqlite_store: Store, small_conference_csv: Path, hashing_resources: Resources, settings: Settings
) -> AnalysisRun:
    return _import_and_analyse(sqlite_store, small_conference_csv, hashing_resources, settings)


def test_no_cluster_mixes_themes(sqlite_store: Store, small_run: AnalysisRun) -> None:
    clusters = {c.id: c for c in sqlite_store.clusters(small_run.id)}

    for a in sqlite_store.assignments(small_run.id):
        if a.cluster_id is not None:
            assert a.theme == clusters[a.cluster_id].theme

    assert {c.theme for c in clusters.values()} >= {"Bildung und Erziehung", "Arbeit", "Einkommen"}


def test_every_contribution_is_assigned(
    sqlite_store: Store, small_run: AnalysisRun, small_conference_rows: list[dict[str, str]]
) -> None:
    assignments = sqlite_store.assignments(small_run.id)
    clusters = sqlite_store.clusters(small_run.id)

    assert len(assignments) == small_run.n_contributions == len(small_conference_rows)
    unclustered = sum(a.cluster_id is None for a in assignments)
    assert unclustered == small_run.n_unclustered
    assert unclustered / len(assignments) <= 0.05
    assert sum(c.size for c in clusters) == len(assignments) - unclustered
    assert small_run.n_clusters == len(clusters)


def test_stored_run_has_counts_and_timings_for_each_stage(small_run: AnalysisRun, settings: Settings) -> None:
    assert set(small_run.timings) == STAGES
    assert all(t >= 0 for t in small_run.timings.values())
    assert small_run.model_id == "hashing-512"
    assert small_run.settings["clustering"] == settings.clustering.model_dump(mode="json")
    assert small_run.started_at <= small_run.finished_at


def test_clusters_are_ranked_by_score_with_breakdowns_that_sum_to_it(
    sqlite_store: Store, small_run: AnalysisRun
) -> None:
    clusters = sqlite_store.clusters(small_run.id)

    assert [c.rank for c in clusters] == list(range(1, len(clusters) + 1))
    scores = [c.score for c in clusters]
    assert scores == sorted(scores, reverse=True)
    for c in clusters:
        assert sum(c.score_breakdown.values()) == pytest.approx(c.score, abs=1e-5)
    for theme in {c.theme for c in clusters}:
        assert [c.theme_rank for c in clusters if c.theme == theme] == list(
            range(1, sum(c.theme == theme for c in clusters) + 1))


def test_clusters_describe_their_members(sqlite_store: Store, small_run: AnalysisRun) -> None:
    members: dict[int, set[int]] = {}
    for a in sqlite_store.assignments(small_run.id):
        members.setdefault(a.cluster_id, set()).add(a.contribution_id)

    for c in sqlite_store.clusters(small_run.id):
        assert c.size == len(members[c.id])
        assert c.representative_ids and set(c.representative_ids) <= members[c.id]
        assert c.label and c.keywords
        assert sum(c.profile["tables"].values()) <= c.size


def test_the_recurring_concerns_are_found(sqlite_store: Store, small_run: AnalysisRun) -> None:
    """No cluster mixes two of the six hand-written concerns, and each concern stays mostly together."""
    texts = {c.id: c.text for c in sqlite_store.contributions(small_run.conference_id)}
    markers = ("Kita-Plätze", "Schulsozialarbeit", "Jobcenter", "Anerkennung", "Stromsperren", "Tafel")
    truth, found = [], []
    for a in sqlite_store.assignments(small_run.id):
        concern = [m for m in markers if m in texts[a.contribution_id]]
        if concern:
            truth.append(concern[0])
            found.append(a.cluster_id)

    assert len(truth) == 27
    assert homogeneity_score(truth, found) == pytest.approx(1.0)
    assert v_measure_score(truth, found) >= 0.85


def test_two_analyses_of_the_same_data_give_identical_clusters(
    tmp_path: Path, small_conference_csv: Path, hashing_resources: Resources, settings: Settings
) -> None:
    first_store = Store(f"sqlite:///{tmp_path / 'eins.sqlite'}")
    second_store = Store(f"sqlite:///{tmp_path / 'zwei.sqlite'}")
    first = _import_and_analyse(first_store, small_conference_csv, hashing_resources, settings)
    again = analyse_conference(first_store, CONFERENCE, hashing_resources, settings)
    second = _import_and_analyse(second_store, small_conference_csv, hashing_resources, settings)

    assert _memberships(first_store, first) == _memberships(first_store, again) == _memberships(second_store, second)
    labels = [[(c.rank, c.label, c.score) for c in s.clusters(r.id)]
              for s, r in ((first_store, first), (first_store, again), (second_store, second))]
    assert labels[0] == labels[1] == labels[2]


def test_rows_without_theme_take_their_tables_theme_or_an_inferred_one(
    sqlite_store: Store, small_run: AnalysisRun, hashing_resources: Resources
) -> None:
    contributions = {c.id: c for c in sqlite_store.contributions(small_run.conference_id)}
    names = set(hashing_resources.vocab.taxonomy.names)

    by_text = {contributions[a.contribution_id].text: a for a in sqlite_store.assignments(small_run.id)}

    assert (by_text["Kita-Plätze fehlen auch in Gürzenich"].theme_source,
            by_text["Kita-Plätze fehlen auch in Gürzenich"].theme) == ("tisch", "Bildung und Erziehung")
    assert (by_text["Stromsperren treffen Alleinerziehende"].theme_source,
            by_text["Stromsperren treffen Alleinerziehende"].theme) == ("tisch", "Einkommen")
    assert by_text["Kita-Plätze fehlen in Nord-Düren"].theme_source == "tabelle"
    inferred = [a for a in by_text.values() if a.theme_source == "inferiert"]
    assert len(inferred) == 3
    for a in inferred:
        assert a.theme in names
        assert 0.0 <= a.theme_confidence <= 1.0
    for a in by_text.values():
        assert 0.0 <= a.theme_confidence <= 1.0


def test_districts_of_a_row_and_its_text_are_both_kept(sqlite_store: Store, small_run: AnalysisRun) -> None:
    contributions = {c.id: c for c in sqlite_store.contributions(small_run.conference_id)}
    by_text = {contributions[a.contribution_id].text: a for a in sqlite_store.assignments(small_run.id)}

    assert by_text["Kita-Plätze fehlen in Nord-Düren"].districts == ["Nord-Düren"]
    assert "Nord-Düren" in by_text["Schulsozialarbeit fehlt an der Grundschule Nord"].districts


def test_table_with_two_themes_does_not_lend_one(
    tmp_path: Path, sqlite_store: Store, hashing_resources: Resources, settings: Settings, write_csv
) -> None:
    path = write_csv(tmp_path / "gemischt.csv", [
        {"text": "Kita-Plätze fehlen", "table": "1", "theme": "Bildung"},
        {"text": "Jobcenter nicht erreichbar", "table": "1", "theme": "Arbeit"},
        {"text": "Tafel hat Aufnahmestopp", "table": "1", "theme": ""},
    ])

    run = _import_and_analyse(sqlite_store, path, hashing_resources, settings)

    sources = sorted(a.theme_source for a in sqlite_store.assignments(run.id))
    assert sources == ["inferiert", "tabelle", "tabelle"]


def _edge_case_rows(case: str) -> list[dict[str, str]]:
    if case == "one_contribution":
        return [{"text": "Kita-Plätze fehlen", "theme": "Bildung"}]
    if case == "identical_texts":
        return [{"text": "Kita-Plätze fehlen", "theme": "Bildung"}] * 6
    if case == "identical_texts_without_theme":
        return [{"text": "Kita-Plätze fehlen", "theme": ""}] * 4
    if case == "one_theme":
        return [{"text": t, "theme": "Arbeit"} for t in (
            "Jobcenter nicht erreichbar", "Jobcenter telefonisch nicht erreichbar", "Anerkennung dauert ewig",
            "Anerkennung ausländischer Abschlüsse dauert", "Ausbildungsplätze fehlen")]
    if case == "very_long_text":
        return [{"text": "Kita-Plätze fehlen im Norden. " * 400, "theme": "Bildung"},
                {"text": "Kita-Plätze fehlen", "theme": "Bildung"},
                {"text": "Stromsperren nehmen zu", "theme": "Einkommen"}]
    if case == "emoji":
        return [{"text": t, "theme": "Bildung"} for t in ("🙈🙉🙊", "Kita fehlt 😢", "👩🏽‍🏫 Lehrkräfte fehlen", "🚸")]
    if case == "html":
        return [{"text": t, "theme": "Bildung"} for t in (
            "<p>Kita <b>fehlt</b></p>", "<script>alert('x')</script>Kita fehlt", "Kita&nbsp;fehlt &amp; Schule")]
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case", ["one_contribution", "identical_texts", "identical_texts_without_theme", "one_theme",
             "very_long_text", "emoji", "html"]
)
def test_edge_case_conferences_are_analysed_completely(
    tmp_path: Path, sqlite_store: Store, hashing_resources: Resources, settings: Settings, write_csv, case: str
) -> None:
    rows = _edge_case_rows(case)
    path = write_csv(tmp_path / f"{case}.csv", rows)

    run = _import_and_analyse(sqlite_store, path, hashing_resources, settings)

    assignments = sqlite_store.assignments(run.id)
    clusters = sqlite_store.clusters(run.id)
    assert run.n_contributions == len(assignments) == len(rows)
    assert all(a.cluster_id is not None for a in assignments)
    assert run.n_unclustered == 0
    assert sum(c.size for c in clusters) == len(rows)
    assert [c.rank for c in clusters] == list(range(1, len(clusters) + 1))
    assert 1 <= len(clusters) <= len(rows)
    if case.startswith("identical_texts") or case == "one_contribution":
        assert len(clusters) == 1
    single_theme = {"one_theme": "Arbeit", "emoji": "Bildung und Erziehung", "html": "Bildung und Erziehung"}
    if case in single_theme:
        assert {c.theme for c in clusters} == {single_theme[case]}
    if case == "html":
        assert not any("<" in c.label or any("<" in k for k in c.keywords) for c in clusters)


def test_analysing_an_unknown_conference_raises_input_error(
    sqlite_store: Store, hashing_resources: Resources, settings: Settings, row_counts
) -> None:
    with pytest.raises(InputError, match="Konferenz 'Gibt es nicht' gibt es nicht"):
        analyse_conference(sqlite_store, "Gibt es nicht", hashing_resources, settings)
    assert row_counts(sqlite_store)["analysis_run"] == 0


class _BrokenEmbedder(HashingEmbedder):
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        raise RuntimeError("GPU ist weg")


def test_failure_inside_a_stage_names_the_stage_and_stores_no_run(
    sqlite_store: Store, small_conference_csv: Path, hashing_resources: Resources, settings: Settings, row_counts
) -> None:
    broken = dataclasses.replace(hashing_resources, embedder=_BrokenEmbedder())
    import_files(sqlite_store, [small_conference_csv], CONFERENCE, broken.vocab)
    before = row_counts(sqlite_store)
    seen: list[str] = []

    with pytest.raises(TatenError, match="'einbetten'.*RuntimeError: GPU ist weg") as error:
        analyse_conference(sqlite_store, CONFERENCE, broken, settings, progress=lambda stage, *_: seen.append(stage))

    assert isinstance(error.value.__cause__, RuntimeError)
    assert seen == ["laden", "lemmatisieren", "einbetten"]
    assert row_counts(sqlite_store) == before
    assert sqlite_store.latest_run(sqlite_store.get_conference(CONFERENCE).id) is None


def test_progress_reports_every_stage_in_order(
    sqlite_store: Store, small_conference_csv: Path, hashing_resources: Resources, settings: Settings
) -> None:
    import_files(sqlite_store, [small_conference_csv], CONFERENCE, hashing_resources.vocab)
    seen: list[str] = []
    counts: list[tuple[int, int]] = []

    def record(stage: str, done: int, total: int) -> None:
        if not seen or seen[-1] != stage:
            seen.append(stage)
        if total:
            counts.append((done, total))

    analyse_conference(sqlite_store, CONFERENCE, hashing_resources, settings, progress=record)

    assert seen == ["laden", "lemmatisieren", "einbetten", "themen", "clustern", "beschreiben", "vergleichen", "benennen",
                    "speichern"]
    # the embedding stage counts its texts up to the total
    assert counts and counts[-1][0] == counts[-1][1] == 30


def test_uncertain_inferred_themes_become_ohne_thema(
    sqlite_store: Store, small_conference_csv: Path, hashing_resources: Resources, taten_home: Path
) -> None:
    strict = load_settings(embedding={"model": "hashing"}, nlp={"min_theme_confidence": 1.0})
    run = _import_and_analyse(sqlite_store, small_conference_csv, hashing_resources, strict)

    inferred = [a for a in sqlite_store.assignments(run.id) if a.theme_source == "inferiert"]
    assert len(inferred) == 3
    # a softmax over six themes is never fully certain, so none keeps its guess
    assert {a.theme for a in inferred} == {"Ohne Thema"}
    assert all(a.theme_confidence < 1.0 for a in inferred)


def test_notes_that_fit_no_theme_go_to_ohne_thema_by_default(
    tmp_path: Path, sqlite_store: Store, hashing_resources: Resources, settings: Settings, write_csv
) -> None:
    assert settings.nlp.min_theme_confidence == 0.5  # measured: scripts/evaluate_themes.py
    path = write_csv(tmp_path / "umfrage.csv", [
        {"text": "Rente reicht nicht für Miete und Strom"},
        {"text": "Tafel hat Aufnahmestopp"},
        {"text": "Radweg an der Bundesstraße rot markieren"},
        {"text": "Glasfaser im Gewerbegebiet verlegen"},
    ])

    run = _import_and_analyse(sqlite_store, path, hashing_resources, settings)

    texts = {c.id: c.text for c in sqlite_store.contributions(run.conference_id)}
    themes = {texts[a.contribution_id]: (a.theme, a.theme_source) for a in sqlite_store.assignments(run.id)}
    assert themes == {
        "Rente reicht nicht für Miete und Strom": ("Einkommen", "inferiert"),
        "Tafel hat Aufnahmestopp": ("Einkommen", "inferiert"),
        "Radweg an der Bundesstraße rot markieren": ("Ohne Thema", "inferiert"),
        "Glasfaser im Gewerbegebiet verlegen": ("Ohne Thema", "inferiert"),
    }


def test_without_themes_every_note_is_ohne_thema_and_the_conference_is_one_group(
    sqlite_store: Store, small_conference_csv: Path, hashing_resources: Resources, taten_home: Path
) -> None:
    themed = load_settings(embedding={"model": "hashing"})
    no_themes = load_settings(embedding={"model": "hashing"}, nlp={"use_themes": False})
    first = _import_and_analyse(sqlite_store, small_conference_csv, hashing_resources, themed)

    run = analyse_conference(sqlite_store, CONFERENCE, hashing_resources, no_themes)

    assignments = sqlite_store.assignments(run.id)
    assert {(a.theme, a.theme_source, a.theme_confidence) for a in assignments} == {("Ohne Thema", "keine", 0.0)}
    clusters = sqlite_store.clusters(run.id)
    assert {c.theme for c in clusters} == {"Ohne Thema"}
    # one ranking across the conference: theme ranks equal overall ranks
    assert [c.theme_rank for c in clusters] == [c.rank for c in clusters] == list(range(1, len(clusters) + 1))
    assert run.settings["nlp"]["use_themes"] is False
    # the themes given in the notes are still stored, only this run leaves them aside
    given = {c.theme for c in sqlite_store.contributions(run.conference_id)}
    assert {"Bildung und Erziehung", "Arbeit", "Einkommen"} <= given
    assert {c.theme for c in sqlite_store.clusters(first.id)} >= {"Bildung und Erziehung", "Arbeit", "Einkommen"}


def test_another_city_is_another_gazetteer_file(tmp_path: Path, taten_home: Path) -> None:
    from pipelines.resources import build_resources

    gazetteer = tmp_path / "musterstadt.yml"
    gazetteer.write_text(
        "city: Musterstadt\n"
        "districts:\n"
        "  - name: Altstadt\n    variants: [Musterstadt-Mitte]\n    streets: [Lindenallee]\n"
        "  - name: Hafenviertel\n    variants: [Am Hafen]\n    landmarks: [Speicherstadt]\n",
        encoding="utf-8",
    )
    settings = load_settings(embedding={"model": "hashing"}, nlp={"gazetteer": str(gazetteer)})
    resources = build_resources(settings, embedder=HashingEmbedder())
    store = Store(settings.db_url)
    csv = tmp_path / "notizen.csv"
    csv.write_text("text;Thema\nLärm in der Lindenallee;Wohnen\nKein Spielplatz an der Speicherstadt;Wohnen\n"
                   "Kita-Plätze fehlen in Nord-Düren;Bildung\n", encoding="utf-8")

    run = _import_and_analyse(store, csv, resources, settings)

    texts = {c.id: c.text for c in store.contributions(run.conference_id)}
    districts = {texts[a.contribution_id]: a.districts for a in store.assignments(run.id)}
    assert districts == {
        "Lärm in der Lindenallee": ["Altstadt"],
        "Kein Spielplatz an der Speicherstadt": ["Hafenviertel"],
        "Kita-Plätze fehlen in Nord-Düren": [],  # a Düren district means nothing in Musterstadt
    }


DEMO_CSV = Path(__file__).resolve().parents[2] / "data" / "demo" / "sozialraumkonferenz_2026.csv"


def _concerns_by_content(store: Store, conference: str) -> dict[frozenset[str], tuple[str, str, int]]:
    """Each cluster of the latest run as the content hashes of its notes → (theme, label, rank)."""
    record = store.get_conference(conference)
    run = store.latest_run(record.id)
    hashes = {c.id: c.content_hash for c in store.contributions(record.id)}
    members: dict[int, set[str]] = {}
    for a in store.assignments(run.id):
        members.setdefault(a.cluster_id, set()).add(hashes[a.contribution_id])
    return {frozenset(members[c.id]): (c.theme, c.label, c.rank) for c in store.clusters(run.id)}


def test_row_order_and_batch_split_do_not_change_the_concerns(
    tmp_path: Path, hashing_resources: Resources, settings: Settings
) -> None:
    import pandas as pd

    rows = pd.read_csv(DEMO_CSV, dtype=str, keep_default_na=False)
    shuffled = rows.sample(frac=1.0, random_state=3)
    paths = {"original": tmp_path / "original.csv", "shuffled": tmp_path / "shuffled.csv",
             "part1": tmp_path / "teil1.csv", "part2": tmp_path / "teil2.csv"}
    rows.to_csv(paths["original"], index=False)
    shuffled.to_csv(paths["shuffled"], index=False)
    shuffled.iloc[:200].to_csv(paths["part1"], index=False)
    shuffled.iloc[200:].to_csv(paths["part2"], index=False)

    results = {}
    for name, batches in {"original": ["original"], "shuffled": ["shuffled"], "two batches": ["part1", "part2"]}.items():
        store = Store(f"sqlite:///{tmp_path / (name.replace(' ', '_') + '.sqlite')}")
        try:
            for batch in batches:  # analysed after each batch, as staff would
                import_files(store, [paths[batch]], "Demo", hashing_resources.vocab)
                analyse_conference(store, "Demo", hashing_resources, settings)
            results[name] = _concerns_by_content(store, "Demo")
        finally:
            store.close()

    assert len(results["original"]) > 30
    assert results["shuffled"] == results["original"]
    assert results["two batches"] == results["original"]
