"""The review service: changes, audit log, undo, optimistic locking, and decisions surviving a re-analysis."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.store import Store
from pipelines.analyse import analyse_conference
from pipelines.errors import InputError, ReviewConflictError
from pipelines.ingest import import_files
from pipelines.resources import Resources
from pipelines.review import ClusterView, Filters, MeasureInput, ReviewService
from pipelines.settings import Settings

CONFERENCE = "Kleine Konferenz"


@pytest.fixture
def review(
    store: Store, small_conference_csv: Path, hashing_resources: Resources, settings: Settings
) -> ReviewService:
    import_files(store, [small_conference_csv], CONFERENCE, hashing_resources.vocab)
    analyse_conference(store, CONFERENCE, hashing_resources, settings)
    return ReviewService(store, CONFERENCE, "Frau Albers")


def _texts(service: ReviewService, cluster_id: int) -> set[str]:
    return {m.text for m in service.cluster(cluster_id).members}


def _cluster_with(service: ReviewService, fragment: str) -> ClusterView:
    """The active cluster that holds a note containing ``fragment``."""
    for cluster in service.clusters(with_members=True):
        if any(fragment in m.text for m in cluster.members):
            return cluster
    raise AssertionError(f"no cluster holds {fragment!r}")


def _two_clusters_of_one_theme(service: ReviewService) -> tuple[ClusterView, ClusterView]:
    by_theme: dict[str, list[ClusterView]] = {}
    for cluster in service.clusters():
        by_theme.setdefault(cluster.theme, []).append(cluster)
    pair = next(cs for cs in by_theme.values() if len(cs) >= 2)
    return pair[0], pair[1]


def test_a_name_is_required() -> None:
    with pytest.raises(InputError, match="Namen"):
        ReviewService(None, CONFERENCE, "  ")  # type: ignore[arg-type]


def test_rename_is_stored_with_who_and_what_and_bumps_the_version(review: ReviewService) -> None:
    cluster = review.clusters()[0]

    renamed = review.rename(cluster.id, "  Zu wenige   Kita-Plätze ", cluster.version)

    assert (renamed.label, renamed.label_source, renamed.reviewed) == ("Zu wenige Kita-Plätze", "staff", True)
    assert renamed.version == cluster.version + 1
    [event] = review.events()
    assert (event.actor, event.action, event.target_id) == ("Frau Albers", "rename", cluster.id)
    assert "Zu wenige Kita-Plätze" in event.summary and cluster.label in event.summary


def test_a_stale_version_is_refused_and_nothing_is_written(review: ReviewService) -> None:
    cluster = review.clusters()[0]
    other = ReviewService(review.store, CONFERENCE, "Herr Brandt")
    other.rename(cluster.id, "Erste Fassung", cluster.version)

    with pytest.raises(ReviewConflictError, match="inzwischen"):
        review.rename(cluster.id, "Zweite Fassung", cluster.version)

    assert review.cluster(cluster.id).label == "Erste Fassung"
    assert [e.actor for e in review.events()] == ["Herr Brandt"]


def test_a_measure_edited_twice_at_once_refuses_the_second_save(review: ReviewService) -> None:
    cluster = review.clusters()[0]
    measure = review.promote([cluster.id], MeasureInput(title="Mehr Kita-Plätze", status="Entwurf"))
    brandt = ReviewService(review.store, CONFERENCE, "Herr Brandt")

    brandt.update_measure(measure.id, MeasureInput(title="Mehr Kita-Plätze", status="vorgeschlagen"), measure.version)
    with pytest.raises(ReviewConflictError, match="Herr Brandt"):
        review.update_measure(measure.id, MeasureInput(title="Kita-Ausbau", status="Entwurf"), measure.version)

    current = review.measure(measure.id)
    assert (current.title, current.status, current.updated_by) == ("Mehr Kita-Plätze", "vorgeschlagen", "Herr Brandt")


def test_merge_moves_all_members_and_hides_the_merged_cluster(review: ReviewService) -> None:
    a, b = _two_clusters_of_one_theme(review)
    before = _texts(review, a.id) | _texts(review, b.id)

    merged = review.merge({a.id: a.version, b.id: b.version}, label="Gemeinsames Anliegen")

    assert merged.id == a.id and merged.label == "Gemeinsames Anliegen"
    assert {m.text for m in merged.members} == before
    assert merged.size == len(before)
    assert sum(merged.profile["tables"].values()) <= merged.size
    assert b.id not in {c.id for c in review.clusters()}
    ranks = sorted(c.rank for c in review.clusters())
    assert ranks == list(range(1, len(ranks) + 1))


def test_undo_restores_a_merge_completely(review: ReviewService) -> None:
    a, b = _two_clusters_of_one_theme(review)
    members_a, members_b = _texts(review, a.id), _texts(review, b.id)
    review.merge({a.id: a.version, b.id: b.version}, label="Zusammen")

    undone = review.undo_last()

    assert undone.action == "merge" and undone.undone
    assert (_texts(review, a.id), _texts(review, b.id)) == (members_a, members_b)
    assert review.cluster(a.id).label == a.label and review.cluster(b.id).size == b.size
    assert review.events()[0].action == "undo"


def test_split_moves_the_chosen_members_into_a_new_cluster_and_undo_removes_it(review: ReviewService) -> None:
    source = next(c for c in review.clusters() if c.size >= 3)
    members = [m.id for m in review.cluster(source.id).members]

    new = review.split(source.id, members[:1], "Abgetrennt", source.version)

    assert [m.id for m in new.members] == members[:1] and new.label == "Abgetrennt"
    assert review.cluster(source.id).size == source.size - 1
    review.undo_last()
    assert new.id not in {c.id for c in review.clusters()}
    assert {m.id for m in review.cluster(source.id).members} == set(members)


def test_split_refuses_to_empty_a_cluster(review: ReviewService) -> None:
    source = review.clusters()[0]
    members = [m.id for m in review.cluster(source.id).members]

    with pytest.raises(InputError, match="bleiben"):
        review.split(source.id, members, "Alles", source.version)


def test_move_changes_both_clusters_and_is_logged(review: ReviewService) -> None:
    a, b = _two_clusters_of_one_theme(review)
    note = review.cluster(a.id).members[0]

    target = review.move(note.id, b.id, {a.id: a.version, b.id: b.version})

    assert note.id in {m.id for m in target.members}
    assert review.cluster(a.id).size == a.size - 1 and target.size == b.size + 1
    assert review.events()[0].action == "move"
    review.undo_last()
    assert note.id in {m.id for m in review.cluster(a.id).members}


def test_a_locked_cluster_takes_no_merge_or_move(review: ReviewService) -> None:
    a, b = _two_clusters_of_one_theme(review)
    locked = review.set_locked(a.id, True, a.version)

    with pytest.raises(InputError, match="[Gg]esperrt"):
        review.merge({b.id: b.version, a.id: locked.version})
    with pytest.raises(InputError, match="[Gg]esperrt"):
        review.move(review.cluster(b.id).members[0].id, a.id, {})
    assert review.cluster(a.id).size == a.size


def test_not_relevant_clusters_leave_the_overview(review: ReviewService) -> None:
    cluster = review.clusters()[0]
    before = review.overview()

    review.set_relevant(cluster.id, False, cluster.version)

    after = review.overview()
    assert after.n_clusters == before.n_clusters - 1
    assert cluster.id not in {c.id for c in after.top}
    assert cluster.id in {c.id for c in review.clusters()}  # still reviewable, flagged
    assert not review.cluster(cluster.id).relevant


def test_overview_filters_by_district_group_and_round(review: ReviewService) -> None:
    everything = review.overview()
    north = review.overview(Filters(district="Nord-Düren"))

    assert everything.n_contributions == review.store.count_contributions(review.conference_id)
    assert 0 < north.n_contributions < everything.n_contributions
    assert all("Nord-Düren" in c.profile["districts"] for c in north.top)
    assert review.overview(Filters(round=2)).n_contributions < everything.n_contributions
    assert set(everything.heatmap) <= set(everything.themes)


def test_promote_keeps_the_sources_and_undo_deletes_the_measure(review: ReviewService) -> None:
    a, b = _two_clusters_of_one_theme(review)

    measure = review.promote(
        [a.id, b.id],
        MeasureInput(title="Beratung ausbauen", districts=("Nord-Düren",), priority="hoch", status="vorgeschlagen"),
    )

    assert measure.theme == a.theme and measure.created_by == "Frau Albers"
    assert {m.text for m in measure.sources} == _texts(review, a.id) | _texts(review, b.id)
    assert all(m.source_file for m in measure.sources)
    assert review.cluster(a.id).measure_ids == (measure.id,)
    review.undo_last()
    assert review.measures() == []


def test_measure_input_is_checked(review: ReviewService) -> None:
    cluster = review.clusters()[0]
    with pytest.raises(InputError, match="Titel"):
        review.promote([cluster.id], MeasureInput(title="  "))
    with pytest.raises(InputError, match="Status"):
        review.promote([cluster.id], MeasureInput(title="X", status="erledigt"))
    assert review.events() == []


def test_undo_goes_back_one_change_at_a_time(review: ReviewService) -> None:
    cluster = review.clusters()[0]
    first = review.rename(cluster.id, "Eins", cluster.version)
    review.rename(cluster.id, "Zwei", first.version)

    review.undo_last()
    assert review.cluster(cluster.id).label == "Eins"
    review.undo_last()
    assert review.cluster(cluster.id).label == cluster.label
    with pytest.raises(InputError, match="keine Änderung"):
        review.undo_last()


def test_rederived_figures_do_not_refuse_someone_editing_another_cluster(review: ReviewService) -> None:
    a, b = _two_clusters_of_one_theme(review)
    third = next(c for c in review.clusters() if c.id not in (a.id, b.id))
    brandt = ReviewService(review.store, CONFERENCE, "Herr Brandt")

    brandt.merge({a.id: a.version, b.id: b.version})  # re-ranks every cluster
    renamed = review.rename(third.id, "Unabhängig", third.version)

    assert renamed.label == "Unabhängig"


def test_staff_decisions_survive_a_new_batch_and_a_reanalysis(
    review: ReviewService, tmp_path: Path, hashing_resources: Resources, settings: Settings, write_csv
) -> None:
    store = review.store
    stromsperren = _cluster_with(review, "Stromsperren nehmen zu")
    renamed = review.rename(stromsperren.id, "Energiesperren verhindern", stromsperren.version)
    measure = review.promote([renamed.id], MeasureInput(title="Härtefallfonds Energie"))
    a, b = _two_clusters_of_one_theme(review)
    a, b = review.cluster(a.id), review.cluster(b.id)
    if stromsperren.id in (a.id, b.id):  # keep the renamed cluster out of the merge
        a, b = next((x, y) for x in review.clusters() for y in review.clusters()
                    if x.theme == y.theme and x.id < y.id and stromsperren.id not in (x.id, y.id))
    merged = review.merge({a.id: a.version, b.id: b.version}, label="Zusammengelegt")
    tafel = _cluster_with(review, "Tafel hat einen Aufnahmestopp")
    locked = review.set_locked(tafel.id, True, tafel.version)
    taken = {renamed.id, merged.id, locked.id}
    source, target = [c for c in review.clusters() if c.id not in taken and c.size >= 2][:2]
    moved_note = review.cluster(source.id).members[0]
    moved_to = review.move(moved_note.id, target.id, {source.id: source.version, target.id: target.version})
    keys = {"renamed": renamed.concern_key, "merged": merged.concern_key, "locked": locked.concern_key,
            "moved_to": moved_to.concern_key}
    members = {"renamed": _texts(review, renamed.id), "merged": _texts(review, merged.id),
               "locked": _texts(review, locked.id), "moved_to": _texts(review, moved_to.id)}

    new_batch = write_csv(tmp_path / "nachtrag.csv", [
        {"text": "Stromsperren nehmen bei Familien zu", "table": "5", "theme": "Einkommen", "round": "3"},
        {"text": "Die Tafel hat einen Aufnahmestopp für Familien", "table": "6", "theme": "Einkommen", "round": "3"},
        {"text": "Mieterstrom für Sozialwohnungen fördern Photovoltaik Balkonkraftwerk", "table": "5",
         "theme": "Einkommen", "round": "3"},
    ])
    import_files(store, [new_batch], CONFERENCE, hashing_resources.vocab)
    analyse_conference(store, CONFERENCE, hashing_resources, settings)

    after = {c.concern_key: c for c in review.clusters(with_members=True)}
    kept = after[keys["renamed"]]
    assert (kept.label, kept.label_source) == ("Energiesperren verhindern", "staff")
    assert members["renamed"] | {"Stromsperren nehmen bei Familien zu"} == {m.text for m in kept.members}
    assert {m.text for m in after[keys["merged"]].members} >= members["merged"]
    assert after[keys["merged"]].label == "Zusammengelegt"
    frozen = after[keys["locked"]]
    assert frozen.locked and {m.text for m in frozen.members} == members["locked"]
    assert moved_note.text in {m.text for m in after[keys["moved_to"]].members}
    assert {m.text for m in after[keys["moved_to"]].members} >= members["moved_to"]
    newcomer = _cluster_with(review, "Mieterstrom")
    assert newcomer.concern_key not in keys.values()
    assert review.measure(measure.id).cluster_ids == (kept.id,)
    assert {m.text for m in review.measure(measure.id).sources} == {m.text for m in kept.members}


def test_undo_does_not_reach_into_an_older_analysis(
    review: ReviewService, hashing_resources: Resources, settings: Settings
) -> None:
    cluster = review.clusters()[0]
    review.rename(cluster.id, "Vor der Neuanalyse", cluster.version)
    analyse_conference(review.store, CONFERENCE, hashing_resources, settings)

    with pytest.raises(InputError, match="älteren Analyse"):
        review.undo_last()


def test_a_reanalysis_without_review_keeps_concern_keys(
    review: ReviewService, hashing_resources: Resources, settings: Settings
) -> None:
    before = {c.concern_key for c in review.clusters()}

    analyse_conference(review.store, CONFERENCE, hashing_resources, settings)

    assert {c.concern_key for c in review.clusters()} == before
    assert None not in before


def test_promoting_does_not_refuse_a_colleagues_pending_rename(review: ReviewService) -> None:
    cluster = review.clusters()[0]
    ReviewService(review.store, CONFERENCE, "Herr Brandt").promote([cluster.id], MeasureInput(title="Maßnahme"))

    renamed = review.rename(cluster.id, "Neuer Name", cluster.version)

    assert renamed.label == "Neuer Name" and renamed.reviewed


def test_overview_counts_the_measures_under_the_filter(review: ReviewService) -> None:
    cluster = review.clusters()[0]
    review.promote([cluster.id], MeasureInput(title="Im Norden", districts=("Nord-Düren",)))
    review.promote([cluster.id], MeasureInput(title="Überall"))

    assert review.overview().n_measures == 2
    assert review.overview(Filters(district="Nord-Düren")).n_measures == 1
    assert review.overview(Filters(theme="gibt es nicht")).n_measures == 0


_FIGURES = ("size", "profile", "keywords", "hotspot", "score", "breakdown", "rank", "theme_rank")


def _figures(service: ReviewService) -> dict[int, tuple]:
    return {c.id: (*(getattr(c, k) for k in _FIGURES), tuple(m.id for m in c.representatives))
            for c in service.clusters()}


def test_review_describes_and_ranks_a_cluster_as_the_analysis_does(review: ReviewService) -> None:
    """Refreshing every cluster of a fresh analysis changes none of its figures: one function for both."""
    from pipelines.review.derived import refresh_derived

    before = _figures(review)
    with review.store.transaction() as session:
        refresh_derived(session, review.run_id(session), sorted(before), review.ranking)

    assert _figures(review) == before


def test_rerank_is_one_update_on_rows_locked_in_id_order(review: ReviewService) -> None:
    from sqlalchemy import event

    from pipelines.review.derived import lock_clusters, rerank

    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append(" ".join(statement.split()))

    from sqlalchemy import update

    from models.records import Cluster

    event.listen(review.store.engine, "before_cursor_execute", record)
    try:
        with review.store.transaction() as session:
            run_id = review.run_id(session)
            lock_clusters(session, run_id)
            statements.clear()
            rerank(session, run_id, review.ranking)
            settled = [s for s in statements if s.startswith("UPDATE")]
            # a placing that is off: its cluster is put back, in the one update
            session.execute(update(Cluster).where(Cluster.id == review.clusters()[0].id).values(rank=999))
            statements.clear()
            lock_clusters(session, run_id)
            rerank(session, run_id, review.ranking)
    finally:
        event.remove(review.store.engine, "before_cursor_execute", record)

    assert settled == []  # nothing moved, nothing written
    updates = [s for s in statements if s.startswith("UPDATE")]
    assert len(updates) == 1 and updates[0].startswith("UPDATE cluster SET")
    lock = statements[0]
    assert "ORDER BY cluster.id" in lock
    if review.store.engine.dialect.name == "postgresql":
        assert lock.endswith("FOR UPDATE")


def test_a_cluster_marked_not_relevant_stays_behind_the_concerns_after_a_reanalysis(
    review: ReviewService, hashing_resources: Resources, settings: Settings
) -> None:
    dropped = review.clusters()[1]
    review.set_relevant(dropped.id, False, dropped.version)
    analyse_conference(review.store, CONFERENCE, hashing_resources, settings)

    concerns = review.clusters(include_irrelevant=False)
    assert [c.rank for c in concerns] == list(range(1, len(concerns) + 1))
    for theme in {c.theme for c in concerns}:
        in_theme = [c.theme_rank for c in concerns if c.theme == theme]
        assert in_theme == list(range(1, len(in_theme) + 1))
    [flagged] = [c for c in review.clusters() if not c.relevant]
    assert flagged.concern_key == dropped.concern_key
    assert (flagged.rank, flagged.theme_rank) == (len(concerns) + 1, 0)


# -- every write exactly once ------------------------------------------------------


def test_a_double_submit_with_one_key_creates_one_measure(review: ReviewService) -> None:
    cluster = review.clusters()[0]
    form = MeasureInput(title="Beratung ausbauen", status="vorgeschlagen")

    first = review.promote([cluster.id], form, request_key="sitzung-1:promote:1")
    second = review.promote([cluster.id], form, request_key="sitzung-1:promote:1")

    assert second.id == first.id and second.title == "Beratung ausbauen"
    assert [m.id for m in review.measures()] == [first.id]
    assert [e.action for e in review.events()] == ["promote"]
    third = review.promote([cluster.id], form, request_key="sitzung-1:promote:2")  # a new submission is new
    assert third.id != first.id and len(review.measures()) == 2


def test_a_double_submit_of_a_cluster_change_is_one_change_not_a_conflict(review: ReviewService) -> None:
    a, b = _two_clusters_of_one_theme(review)
    versions = {a.id: a.version, b.id: b.version}

    merged = review.merge(versions, "Zusammen", request_key="k-merge")
    again = review.merge(versions, "Zusammen", request_key="k-merge")  # stale versions, but the same submission

    assert again.id == merged.id and again.size == merged.size == a.size + b.size
    assert [e.action for e in review.events()] == ["merge"]
    renamed = review.rename(a.id, "Neu", merged.version, request_key="k-rename")
    assert review.rename(a.id, "Neu", merged.version, request_key="k-rename").version == renamed.version
    assert [e.action for e in review.events()] == ["rename", "merge"]


def test_two_submissions_with_one_key_at_the_same_moment_write_once(review: ReviewService) -> None:
    """Two servers (two stores) get the same submission at once; the locks let one write."""
    from concurrent.futures import ThreadPoolExecutor

    cluster = review.clusters()[0]
    other = Store(review.store.url)
    try:
        services = [review, ReviewService(other, CONFERENCE, review.actor)]
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(
                lambda s: s.promote([cluster.id], MeasureInput(title="Einmal"), request_key="k-gleichzeitig"),
                services))
    finally:
        other.close()
    assert results[0].id == results[1].id
    assert [m.title for m in review.measures()] == ["Einmal"]


def test_undo_acts_on_ones_own_last_change_only(review: ReviewService) -> None:
    a, b = _two_clusters_of_one_theme(review)
    colleague = ReviewService(review.store, CONFERENCE, "Herr Brandt")
    review.rename(a.id, "Meins", a.version)
    colleague.rename(b.id, "Seins", b.version)

    assert review.last_own_change().summary == f"Cluster „{a.label}“ umbenannt in „Meins“"
    undone = review.undo_last(review.last_own_change().id)

    assert undone.actor == "Frau Albers" and "Meins" in undone.summary
    assert (review.cluster(a.id).label, review.cluster(b.id).label) == (a.label, "Seins")
    with pytest.raises(InputError, match="keine Änderung von Ihnen"):
        review.undo_last()
    assert colleague.last_own_change().summary.endswith("„Seins“")


def test_undo_names_the_confirmed_change_or_refuses(review: ReviewService) -> None:
    cluster = review.clusters()[0]
    first = review.rename(cluster.id, "Eins", cluster.version)
    confirmed = review.last_own_change().id
    review.rename(cluster.id, "Zwei", first.version)  # in another window, after the question was asked

    with pytest.raises(ReviewConflictError, match="inzwischen eine andere"):
        review.undo_last(confirmed)
    assert review.cluster(cluster.id).label == "Zwei"


def test_undo_is_refused_when_a_colleague_changed_the_record_since(review: ReviewService) -> None:
    cluster = review.clusters()[0]
    mine = review.rename(cluster.id, "Meins", cluster.version)
    ReviewService(review.store, CONFERENCE, "Herr Brandt").set_locked(cluster.id, True, mine.version)

    with pytest.raises(ReviewConflictError, match="seitdem von jemand anderem geändert"):
        review.undo_last()
    assert (review.cluster(cluster.id).label, review.cluster(cluster.id).locked) == ("Meins", True)


def test_an_undone_move_can_be_redone(review: ReviewService) -> None:
    a, b = _two_clusters_of_one_theme(review)
    note = review.cluster(a.id).members[0].id
    review.move(note, b.id, {a.id: a.version, b.id: b.version})
    review.undo_last()
    assert note in {m.id for m in review.cluster(a.id).members}
    assert review.redoable().summary.startswith(f"Beitrag {note}")

    review.redo_last(review.redoable().id)

    assert note in {m.id for m in review.cluster(b.id).members}
    log = review.events()
    assert log[0].summary.startswith("Wiederhergestellt: Beitrag") and log[0].actor == "Frau Albers"
    assert log[1].action == "undo" and log[1].undone, "the undo is itself undone"
    assert review.redoable() is None
    with pytest.raises(InputError, match="keine rückgängig gemachte"):
        review.redo_last()
    review.undo_last()  # and the restored change can be undone again
    assert note in {m.id for m in review.cluster(a.id).members}


def test_an_undone_measure_and_merge_can_be_redone(review: ReviewService) -> None:
    a, b = _two_clusters_of_one_theme(review)
    review.promote([a.id], MeasureInput(title="Beratung", districts=("Ost",), status="vorgeschlagen"))
    review.undo_last()
    assert review.measures() == []
    (measure,) = [review.redo_last()]
    assert (measure.title, measure.districts, measure.status, measure.cluster_ids) == (
        "Beratung", ("Ost",), "vorgeschlagen", (a.id,))

    a, b = review.cluster(a.id), review.cluster(b.id)
    review.merge({a.id: a.version, b.id: b.version}, "Zusammen")
    review.undo_last()
    merged = review.redo_last()
    assert (merged.id, merged.label, merged.size) == (a.id, "Zusammen", a.size + b.size)
    assert review.cluster(a.id).measure_ids == (measure.id,)


def test_a_new_change_after_an_undo_ends_the_redo(review: ReviewService) -> None:
    cluster = review.clusters()[0]
    review.rename(cluster.id, "Eins", cluster.version)
    review.undo_last()
    review.set_locked(cluster.id, True, review.cluster(cluster.id).version)
    assert review.redoable() is None


def test_renaming_to_the_same_name_is_no_change(review: ReviewService) -> None:
    cluster = review.clusters()[0]
    with pytest.raises(InputError, match="heißt schon"):
        review.rename(cluster.id, f"  {cluster.label} ", cluster.version)
    assert review.events() == [] and review.cluster(cluster.id).version == cluster.version
