"""Concerns across conferences: link an analysis to the earlier conference of its city, and read the links.

Analysing a conference compares its concerns with those of the newest earlier
conference of the same city (``Conference.city``; earlier: an older date, or without
dates the older import) that has an analysis. Both are described as centroids in one
feature space (the embedding blocks, centred over the notes of both conferences) and
matched by :func:`nlp.lineage.match_concerns`. The links are stored with the run
(``concern_link``); the ranking's "conferences" term counts the conferences a
concern was raised at along its links.

Staff decisions on a link (confirmed, rejected, set by hand) are stored by the two
concern keys, so the next analysis of the conference keeps them: a rejected pair is
never linked again, a confirmed or set one is linked whatever its similarity.

Every surface (``taten concerns``, the workbench, the committee view) reads a
concern's status through :func:`lineage_of` and :func:`vanished_concerns`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.queries import active_concerns, latest_run_id, linked_conferences
from models.records import Assignment, Cluster, ConcernLink, Conference, Contribution, Measure, MeasureSource
from models.rows import LinkRow
from models.store import Store
from nlp.embed import Embedder
from nlp.features import build_features
from nlp.lineage import Matches, centroids, match_concerns
from nlp.text import clean_text
from pipelines.formats import notes

logger = logging.getLogger(__name__)

NEW, RECURRING, VANISHED = "neu", "wiederkehrend", "nicht mehr genannt"
KIND_NAMES = {"match": "dasselbe Anliegen", "split": "Teil davon (aufgeteilt)", "merge": "darin aufgegangen"}
# measured on the demo conferences with the default embedder (tests/e2e/test_lineage_demo.py)
THRESHOLD = 0.55
LOOSE_THRESHOLD = 0.45


# -- the analysis stage ------------------------------------------------------------------------


def earlier_conference(session: Session, conference: Conference) -> Conference | None:
    """The newest conference of the same city before ``conference`` that has an analysis; None without a city."""
    if not conference.city:
        return None
    candidates = [c for c in session.scalars(select(Conference).where(
        Conference.city == conference.city, Conference.id != conference.id))
        if _is_before(c, conference) and latest_run_id(session, c.id) is not None]
    return max(candidates, key=_age_key, default=None)


def _age_key(c: Conference) -> tuple[str, int]:
    return (c.date or "", c.id)


def _is_before(a: Conference, b: Conference) -> bool:
    if a.date and b.date and a.date != b.date:
        return a.date < b.date
    return a.id < b.id


@dataclass(frozen=True)
class EarlierConcerns:
    """The earlier conference's active concerns, as the matching needs them."""

    conference_id: int
    cluster_ids: list[int]
    concern_keys: list[str]
    themes: list[str]
    conferences: dict[int, int]  # cluster id -> conferences its concern was raised at
    texts: list[str]  # members' cleaned texts
    labels: np.ndarray  # (n,) cluster id of each text


def earlier_concerns(store: Store, conference_id: int) -> EarlierConcerns | None:
    """What the matching needs of the earlier conference of ``conference_id``; None when there is none."""
    with store.transaction() as session:
        record = session.get_one(Conference, conference_id)
        earlier = earlier_conference(session, record)
        if earlier is None:
            return None
        run_id = latest_run_id(session, earlier.id)
        clusters = active_concerns(session, run_id)
        ids = [c.id for c in clusters]
        rows = session.execute(
            select(Assignment.cluster_id, Contribution.text)
            .join(Contribution, Contribution.id == Assignment.contribution_id)
            .where(Assignment.run_id == run_id, Assignment.cluster_id.in_(ids))
            .order_by(Assignment.contribution_id)
        ).all()
        return EarlierConcerns(
            conference_id=earlier.id, cluster_ids=ids, concern_keys=[c.concern_key or str(c.id) for c in clusters],
            themes=[c.theme for c in clusters],
            conferences=linked_conferences(session, ids), texts=[clean_text(t) for _, t in rows],
            labels=np.array([cid for cid, _ in rows], dtype=int),
        )


def staff_decisions(store: Store, conference_id: int) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(set, rejected) pairs of (earlier concern key, concern key) that staff decided on the links of the
    conference's latest run (each analysis carries the decisions into its own links, so the latest holds them all)."""
    forced: set[tuple[str, str]] = set()
    refused: set[tuple[str, str]] = set()
    with store.transaction() as session:
        run_id = latest_run_id(session, conference_id)
        for link in session.scalars(select(ConcernLink).join(Cluster, Cluster.id == ConcernLink.cluster_id).where(
                Cluster.run_id == run_id,
                or_(ConcernLink.source == "staff", ConcernLink.confirmed.is_(True), ConcernLink.rejected.is_(True)))
                .order_by(ConcernLink.id)):
            pair = (link.previous_concern_key or "", link.concern_key or "")
            (refused if link.rejected else forced).add(pair)
    return forced - refused, refused


def link_to_earlier(
    store: Store,
    conference_id: int,
    embeddings: np.ndarray,
    labels: np.ndarray,
    cluster_keys: Sequence[int],
    concern_keys: Sequence[str],
    themes: Sequence[str] | None,
    embedder: Embedder,
    threshold: float = THRESHOLD,
    loose_threshold: float = LOOSE_THRESHOLD,
) -> tuple[list[LinkRow], dict[int, int]]:
    """Match this run's concerns to the earlier conference's: the links to store and each concern's conferences.

    Args:
        embeddings: (n, d) raw vectors of this conference's notes.
        labels: (n,) run-local cluster key of each note, -1 unclustered.
        cluster_keys: the run-local keys of the concerns to match.
        concern_keys: (len(cluster_keys),) their stable identities.
        themes: (len(cluster_keys),) their themes: a concern continues one of its theme;
            None links across themes (the conference was clustered as one group).

    Returns:
        The links (by run-local key) and run-local key → conferences the concern was raised at (1: only this one).
    """
    counts = {key: 1 for key in cluster_keys}
    earlier = earlier_concerns(store, conference_id)
    if earlier is None or not earlier.cluster_ids or not len(cluster_keys):
        return [], counts
    previous_vectors = embedder.encode(earlier.texts) if earlier.texts else np.zeros((0, embeddings.shape[1]))
    pooled = np.vstack([previous_vectors, embeddings]).astype(np.float32)
    # one feature space for both conferences: the embedding blocks, centred over all their notes
    features = build_features(pooled, embedder.blocks)
    n_previous = len(previous_vectors)
    previous_centroids = centroids(features[:n_previous], earlier.labels, earlier.cluster_ids)
    current_centroids = centroids(features[n_previous:], np.asarray(labels), list(cluster_keys))
    forced_keys, refused_keys = staff_decisions(store, conference_id)
    p_row = {k: i for i, k in enumerate(earlier.concern_keys)}
    c_row = {k: j for j, k in enumerate(concern_keys)}

    def rows(pairs: set[tuple[str, str]]) -> set[tuple[int, int]]:
        return {(p_row[a], c_row[b]) for a, b in pairs if a in p_row and b in c_row}

    matches = match_concerns(previous_centroids, current_centroids, threshold, loose_threshold,
                             earlier.concern_keys, list(concern_keys), rows(forced_keys), rows(refused_keys),
                             earlier.themes if themes is not None else None, themes)
    links = _link_rows(matches, earlier, cluster_keys, concern_keys, forced_keys, refused_keys,
                       previous_centroids, current_centroids)
    for link in links:
        if not link.rejected:
            counts[link.cluster_key] = max(counts[link.cluster_key], 1 + earlier.conferences.get(link.previous_cluster_id, 1))
    logger.info("Linked %d of %d concerns to %d earlier ones", len(matches.continuing()), len(cluster_keys),
                len(earlier.cluster_ids))
    return links, counts


def _link_rows(
    matches: Matches, earlier: EarlierConcerns, cluster_keys: Sequence[int], concern_keys: Sequence[str],
    forced: set[tuple[str, str]], refused: set[tuple[str, str]], previous: np.ndarray, current: np.ndarray,
) -> list[LinkRow]:
    out = []
    for link in matches.links:
        pair = (earlier.concern_keys[link.previous], concern_keys[link.current])
        out.append(LinkRow(
            cluster_key=int(cluster_keys[link.current]), previous_cluster_id=earlier.cluster_ids[link.previous],
            previous_conference_id=earlier.conference_id, concern_key=pair[1], previous_concern_key=pair[0],
            similarity=link.similarity, kind=link.kind, source="staff" if pair in forced else "auto",
            confirmed=pair in forced))
    # a rejected pair stays rejected: kept as a record so the next analysis and the workbench know it
    p_row = {k: i for i, k in enumerate(earlier.concern_keys)}
    c_row = {k: j for j, k in enumerate(concern_keys)}
    for a, b in sorted(refused):
        if a in p_row and b in c_row:
            i, j = p_row[a], c_row[b]
            out.append(LinkRow(
                cluster_key=int(cluster_keys[j]), previous_cluster_id=earlier.cluster_ids[i],
                previous_conference_id=earlier.conference_id, concern_key=b, previous_concern_key=a,
                similarity=round(float(previous[i] @ current[j]), 6), kind="match", source="auto", rejected=True))
    return out


# -- reading the links -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EarlierMeasure:
    id: int
    title: str
    status: str


@dataclass(frozen=True)
class EarlierConcern:
    """An earlier concern that a concern continues (or, rejected, was said not to)."""

    link_id: int
    cluster_id: int
    conference: str
    date: str | None
    label: str
    size: int
    similarity: float
    kind: str
    source: str
    confirmed: bool
    rejected: bool
    measures: tuple[EarlierMeasure, ...] = ()

    @property
    def year(self) -> str:
        return (self.date or "")[:4] or self.conference


@dataclass(frozen=True)
class Lineage:
    """Where a concern stands across conferences."""

    earlier: tuple[EarlierConcern, ...] = ()  # links in force, newest conference first, with the links of those
    rejected: tuple[EarlierConcern, ...] = ()  # links staff rejected

    @property
    def status(self) -> str:
        return RECURRING if self.earlier else NEW

    @property
    def measures(self) -> tuple[EarlierMeasure, ...]:
        return tuple(m for e in self.earlier for m in e.measures)

    @property
    def text(self) -> str:
        """"neu", or "wiederkehrend seit 2024 (2024: 12 Beiträge)"."""
        if not self.earlier:
            return NEW
        first = min(self.earlier, key=lambda e: (e.date or "", e.conference))
        by_year: dict[str, int] = {}
        for e in self.earlier:  # a concern may continue several earlier ones (a merge): their notes add up
            by_year[e.year] = by_year.get(e.year, 0) + e.size
        sizes = "; ".join(f"{year}: {notes(n)}" for year, n in by_year.items())
        return f"{RECURRING} seit {first.year} ({sizes})"

    @property
    def signal(self) -> str | None:
        """"Wiederkehrend trotz Maßnahme „X“ (umgesetzt)": the committee's first question, answered."""
        if not self.measures:
            return None
        named = ", ".join(f"„{m.title}“ ({m.status})" for m in self.measures)
        return f"Wiederkehrend trotz Maßnahme {named}"


@dataclass(frozen=True)
class VanishedConcern:
    """An earlier concern that nothing of this conference continues: "nicht mehr genannt"."""

    cluster_id: int
    conference: str
    date: str | None
    label: str
    theme: str
    size: int
    measures: tuple[EarlierMeasure, ...] = ()


def lineage_of(session: Session, cluster_ids: Sequence[int]) -> dict[int, Lineage]:
    """The lineage of each cluster in ``cluster_ids`` (every cluster gets one; "neu" without links)."""
    out: dict[int, Lineage] = {}
    links = _links(session, list(cluster_ids))
    chains = {cid: _chain(session, cid, links, set()) for cid in cluster_ids}
    for cid in cluster_ids:
        rejected = tuple(e for e in links.get(cid, []) if e.rejected)
        out[cid] = Lineage(earlier=chains[cid], rejected=rejected)
    return out


def _chain(session: Session, cluster_id: int, links: dict[int, list[EarlierConcern]],
           seen: set[int]) -> tuple[EarlierConcern, ...]:
    direct = [e for e in links.get(cluster_id, []) if not e.rejected and e.cluster_id not in seen]
    if not direct:
        return ()
    seen = seen | {e.cluster_id for e in direct}
    deeper = _links(session, [e.cluster_id for e in direct])
    out = list(direct)
    for e in direct:
        out.extend(_chain(session, e.cluster_id, deeper, seen))
    unique = {e.link_id: e for e in out}
    return tuple(sorted(unique.values(), key=lambda e: (e.date or "", e.conference, -e.similarity), reverse=True))


def _links(session: Session, cluster_ids: list[int]) -> dict[int, list[EarlierConcern]]:
    if not cluster_ids:
        return {}
    rows = session.execute(
        select(ConcernLink, Cluster, Conference)
        .join(Cluster, Cluster.id == ConcernLink.previous_cluster_id)
        .join(Conference, Conference.id == ConcernLink.previous_conference_id)
        .where(ConcernLink.cluster_id.in_(cluster_ids))
        .order_by(ConcernLink.id)
    ).all()
    measures = _measures(session, [c.id for _, c, _ in rows])
    out: dict[int, list[EarlierConcern]] = {}
    for link, cluster, conference in rows:
        out.setdefault(link.cluster_id, []).append(EarlierConcern(
            link_id=link.id, cluster_id=cluster.id, conference=conference.name, date=conference.date,
            label=cluster.label, size=cluster.size, similarity=link.similarity, kind=link.kind, source=link.source,
            confirmed=link.confirmed, rejected=link.rejected, measures=measures.get(cluster.id, ())))
    return out


def _measures(session: Session, cluster_ids: Sequence[int]) -> dict[int, tuple[EarlierMeasure, ...]]:
    """The measures decided for each cluster (every status but "abgelehnt"), oldest first."""
    from models.queries import SHOWN_STATUSES

    out: dict[int, list[EarlierMeasure]] = {}
    if cluster_ids:
        for cluster_id, m in session.execute(
            select(MeasureSource.cluster_id, Measure).join(Measure, Measure.id == MeasureSource.measure_id)
            .where(MeasureSource.cluster_id.in_(list(cluster_ids)), Measure.status.in_(SHOWN_STATUSES))
            .order_by(Measure.id)
        ):
            out.setdefault(cluster_id, []).append(EarlierMeasure(m.id, m.title, m.status))
    return {k: tuple(v) for k, v in out.items()}


def vanished_concerns(session: Session, conference_id: int, run_id: int) -> list[VanishedConcern]:
    """The earlier conference's concerns that no concern of run ``run_id`` continues, biggest first."""
    record = session.get_one(Conference, conference_id)
    earlier = earlier_conference(session, record)
    if earlier is None:
        return []
    earlier_run = latest_run_id(session, earlier.id)
    clusters = active_concerns(session, earlier_run)
    continued = session.execute(
        select(ConcernLink.previous_cluster_id, ConcernLink.previous_concern_key)
        .join(Cluster, Cluster.id == ConcernLink.cluster_id)
        .where(Cluster.run_id == run_id, ConcernLink.rejected.is_(False))).all()
    # by id, or by concern key when the earlier conference was analysed again since
    ids, keys = {i for i, _ in continued}, {k for _, k in continued if k}
    measures = _measures(session, [c.id for c in clusters])
    gone = [c for c in clusters if c.id not in ids and c.concern_key not in keys]
    return [VanishedConcern(c.id, earlier.name, earlier.date, c.label, c.theme, c.size, measures.get(c.id, ()))
            for c in sorted(gone, key=lambda c: (-c.size, c.rank, c.id))]


def earlier_choices(session: Session, conference_id: int) -> Mapping[int, str]:
    """The earlier conference's active concerns a link can be set to: cluster id → "Label (Konferenz)"."""
    record = session.get_one(Conference, conference_id)
    earlier = earlier_conference(session, record)
    if earlier is None:
        return {}
    return {c.id: f"{c.label} ({earlier.name})" for c in active_concerns(session, latest_run_id(session, earlier.id))}
