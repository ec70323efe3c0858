"""Analyse a conference: lemmatise, detect districts, embed, assign themes, cluster
within each theme, describe and rank the concerns, and store the run.

Stages run in one loop that names the stage that failed. The whole run is stored in
one transaction; a failed analysis leaves the database as it was, except for the
sentence vectors it embedded: a pure cache keyed by content, written in their own
transaction as soon as they exist (see :mod:`pipelines.vectors`).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np

from models.records import AnalysisRun, Cluster, Contribution
from models.rows import AssignmentRow, ClusterRow, RunRow
from models.store import Store
from nlp.cluster import ConcernClusterer, canonical_order
from nlp.embed import CachedEmbedder, Embedder, l2_normalise
from nlp.features import build_features
from nlp.keywords import default_label
from nlp.lemmatize import process_texts
from nlp.text import clean_text, text_hash
from nlp.themes import UNKNOWN_THEME, infer_themes, theme_prototypes, typicality_floor
from pipelines.auth import LOCAL_OPERATOR, Principal, require
from pipelines.errors import InputError, TatenError
from pipelines.figures import MemberFacts, cluster_figures, concern_stats, rank_clusters
from pipelines.lineage import link_to_earlier
from pipelines.names import institution_name_words, name_clusters
from pipelines.resources import Resources
from pipelines.settings import ClusteringSettings, Settings
from pipelines.vectors import with_database_vectors

logger = logging.getLogger(__name__)

# progress(stage, done, total): the stage's name and, where countable, how far it is.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class GroupClustering:
    """Clusters of one group of texts (one theme)."""

    labels: np.ndarray  # (n,) int, -1 unclustered
    features: np.ndarray  # (n, d') what the clusterer saw


def cluster_group(
    embeddings: np.ndarray,
    embedder: Embedder,
    lemmas: Sequence[Sequence[str]],
    settings: ClusteringSettings,
    keys: Sequence[str],
    k: int | None = None,
) -> GroupClustering:
    """Cluster one group of texts with the configured features and clusterer.

    Rows are processed in the order of ``keys`` (their texts' hashes), so the same
    texts give the same clusters in any input order.

    Args:
        embeddings: (n, d) raw vectors from ``embedder``.
        lemmas: (n,) content lemmas.
        keys: (n,) stable identity of each row, e.g. ``text_hash`` of its text.
        k: fixed number of clusters; falls back to ``settings.k``.
    """
    order = canonical_order(embeddings, keys)
    features = np.empty((len(order), 0), dtype=np.float32)
    labels = np.zeros(len(order), dtype=int)
    if len(order):
        sorted_features = build_features(
            embeddings[order], embedder.blocks, [lemmas[i] for i in order],
            lexical_weight=settings.lexical_weight, seed=settings.seed,
        )
        clusterer = ConcernClusterer(k=k if k is not None else settings.k, seed=settings.seed)
        features = np.empty_like(sorted_features)
        features[order] = sorted_features
        labels[order] = clusterer.fit_predict(sorted_features, [keys[i] for i in order])
    return GroupClustering(labels=labels, features=features)


class _Stages:
    """Times each stage and names the one that failed."""

    def __init__(self, progress: Progress | None) -> None:
        self.timings: dict[str, float] = {}
        self.progress = progress

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        if self.progress:
            self.progress(name, 0, 0)
        start = time.perf_counter()
        try:
            yield
        except TatenError:
            raise
        except Exception as exc:
            raise TatenError(f"Analyse im Schritt '{name}' fehlgeschlagen: {type(exc).__name__}: {exc}") from exc
        finally:
            self.timings[name] = round(time.perf_counter() - start, 4)


def analyse_conference(
    store: Store,
    conference: str,
    resources: Resources,
    settings: Settings,
    progress: Progress | None = None,
    *,
    principal: Principal = LOCAL_OPERATOR,
) -> AnalysisRun:
    """Run the whole analysis of ``conference`` and store it as a new AnalysisRun.

    ``principal`` is who analyses; the default is the command line (see :mod:`pipelines.auth`).

    A caching embedder reads and adds its vectors in ``store``, so every server on
    this database uses the same vectors.

    Raises:
        InputError: the conference does not exist or has no contributions.
        TatenError: a stage failed (its name is in the message).
        PermissionDeniedError: ``principal``'s role may not analyse.
    """
    require(principal, "analyse")
    started = datetime.now(UTC)
    stage = _Stages(progress)
    resources = with_database_vectors(resources, store)
    with stage("laden"):
        record = store.get_conference(conference)
        if record is None:
            raise InputError(f"Konferenz '{conference}' gibt es nicht. Bitte zuerst mit 'taten import' Beiträge laden.")
        contributions = store.contributions(record.id)
        if not contributions:
            raise InputError(f"Konferenz '{conference}' hat keine Beiträge. Bitte zuerst Beiträge importieren.")
        texts = [clean_text(c.text) for c in contributions]
    with stage("lemmatisieren"):
        processed = process_texts(texts, resources.nlp)
        lemmas = [p.lemmas for p in processed]
    with stage("einbetten"):
        report = (lambda done, total: progress("einbetten", done, total)) if progress else None
        embeddings = resources.embedder.encode_with_progress(texts, report)
        if isinstance(resources.embedder, CachedEmbedder):
            logger.info("Vectors of %r: %d cached, %d embedded", conference,
                        resources.embedder.last_hits, resources.embedder.last_misses)
    with stage("themen"):
        themes, confidence, source = assign_themes(
            contributions, embeddings, resources, settings.nlp.min_theme_confidence, use_themes=settings.nlp.use_themes
        )
    with stage("clustern"):
        previous = previous_review(store, record.id, contributions)
        keys = [text_hash(t) for t in texts]
        labels, features = _cluster_by_theme(
            themes, embeddings, lemmas, keys, resources.embedder, settings.clustering, previous
        )
    with stage("beschreiben"):
        districts = [_districts_of(c, p.districts, resources) for c, p in zip(contributions, processed, strict=True)]
        similarity = _similarity_to_centre(labels, features)
        place_words = _place_words(resources)
        clusters = describe_clusters(contributions, labels, similarity, lemmas, themes, districts, place_words)
        clusters = carry_review(clusters, labels, contributions, previous)
        map_xy = _map_coordinates(themes, features)
    with stage("vergleichen"):  # with the earlier conference of the same city
        compared = [r for r in clusters if r.relevant]
        links, conferences = link_to_earlier(
            store, record.id, embeddings, labels, [r.key for r in compared],
            [r.concern_key or str(r.key) for r in compared],
            [r.theme for r in compared] if settings.clustering.per_theme and settings.nlp.use_themes else None,
            resources.embedder)
        clusters = rank_rows(clusters, labels, contributions, settings, conferences)
    with stage("benennen"):  # names staff gave stay as they are
        exclude = place_words | _institution_words(resources)
        clusters = name_clusters(clusters, labels, similarity, texts, embeddings, themes,
                                 resources.embedder, resources.nlp, exclude)
    with stage("speichern"):
        assignments = [
            AssignmentRow(
                contribution_id=c.id,
                cluster_key=int(labels[i]) if labels[i] >= 0 else None,
                theme=themes[i],
                theme_confidence=float(confidence[i]),
                theme_source=source[i],
                districts=tuple(districts[i]),
                lemmas=" ".join(lemmas[i]),
                similarity=float(similarity[i]),
                map_x=float(map_xy[i, 0]),
                map_y=float(map_xy[i, 1]),
            )
            for i, c in enumerate(contributions)
        ]
        run = RunRow(
            conference_id=record.id,
            settings=settings.model_dump(mode="json"),
            model_id=resources.embedder.model_id,
            started_at=started,
            finished_at=datetime.now(UTC),
            n_contributions=len(contributions),
            n_clusters=len(clusters),
            n_unclustered=int((labels < 0).sum()),
            timings=stage.timings,
        )
        saved = store.save_run(run, clusters, assignments, links)
    saved.timings = dict(stage.timings)  # what the caller reports includes the save; the stored timings end before it
    logger.info(
        "Analysed %d contributions of %r: %d clusters in %.1f s",
        len(contributions), conference, len(clusters), sum(stage.timings.values()),
    )
    return saved


def assign_themes(
    contributions: Sequence[Contribution], embeddings: np.ndarray, resources: Resources,
    min_confidence: float = 0.0, use_themes: bool = True,
) -> tuple[list[str], np.ndarray, list[str]]:
    """Theme of each contribution, its confidence and where it came from.

    ``"tabelle"``: the row named it; ``"tisch"``: other rows of the same table did;
    ``"inferiert"``: nearest theme description by embedding similarity — or
    "Ohne Thema" when that is less certain than ``min_confidence`` (a note far from
    every theme is unsure, see :func:`nlp.themes.infer_themes`); ``"keine"``:
    ``use_themes`` is off, every note is "Ohne Thema" and the conference is one group.
    """
    n = len(contributions)
    if not use_themes:
        return [UNKNOWN_THEME] * n, np.zeros(n, dtype=np.float32), ["keine"] * n
    themes: list[str | None] = [c.theme for c in contributions]
    source = ["tabelle" if t else "" for t in themes]
    confidence = np.ones(n, dtype=np.float32)
    by_table: dict[str, set[str]] = defaultdict(set)
    for c in contributions:
        if c.theme and c.table_label:
            by_table[c.table_label].add(c.theme)
    for i, c in enumerate(contributions):
        if themes[i] is None and c.table_label and len(by_table.get(c.table_label, ())) == 1:
            themes[i], source[i] = next(iter(by_table[c.table_label])), "tisch"
    missing = [i for i, t in enumerate(themes) if t is None]
    taxonomy = resources.vocab.taxonomy
    if missing and taxonomy is not None and taxonomy.themes:
        prototype_embeddings = [resources.embedder.encode(t.prototype_texts) for t in taxonomy.themes]
        names, conf = infer_themes(
            l2_normalise(embeddings[missing]), theme_prototypes(prototype_embeddings), taxonomy.names,
            floor=typicality_floor(prototype_embeddings),
        )
        for j, i in enumerate(missing):
            guess = names[j] if conf[j] >= min_confidence else UNKNOWN_THEME
            themes[i], confidence[i], source[i] = guess, conf[j], "inferiert"
    for i in missing:
        if themes[i] is None:
            themes[i], confidence[i], source[i] = UNKNOWN_THEME, 0.0, "inferiert"
    return [str(t) for t in themes], confidence, source


@dataclass(frozen=True)
class PreviousReview:
    """What staff decided on the previous run, in terms of this run's rows.

    ``pinned`` clusters (reviewed by staff) keep their identity, label and members;
    a new row joins one when it fits as well as its members do, unless it is locked.
    ``free`` clusters were not reviewed: their rows are clustered again, and a new
    cluster that mostly holds one of them inherits its identity.
    """

    pinned: list[Cluster]
    pinned_rows: dict[int, np.ndarray]  # cluster id -> row indices (n_members,)
    free_rows: dict[int, frozenset[int]]  # cluster id -> row indices
    free_keys: dict[int, str | None]
    known: np.ndarray  # (n,) bool: the row was part of the previous run

    @classmethod
    def empty(cls, n: int) -> PreviousReview:
        return cls([], {}, {}, {}, np.zeros(n, dtype=bool))


def previous_review(store: Store, conference_id: int, contributions: Sequence[Contribution]) -> PreviousReview:
    """The previous run's clusters and who belonged where, for carrying decisions forward."""
    n = len(contributions)
    run = store.latest_run(conference_id)
    if run is None:
        return PreviousReview.empty(n)
    row_of = {c.id: i for i, c in enumerate(contributions)}
    members: dict[int, list[int]] = defaultdict(list)
    known = np.zeros(n, dtype=bool)
    for a in store.assignments(run.id):
        i = row_of.get(a.contribution_id)
        if i is None:
            continue
        known[i] = True
        if a.cluster_id is not None:
            members[a.cluster_id].append(i)
    pinned, pinned_rows, free_rows, free_keys = [], {}, {}, {}
    for cluster in store.clusters(run.id):
        rows = members.get(cluster.id, [])
        if cluster.merged_into_id is not None or not rows:
            continue
        if cluster.reviewed:
            pinned.append(cluster)
            pinned_rows[cluster.id] = np.array(sorted(rows), dtype=int)
        else:
            free_rows[cluster.id] = frozenset(rows)
            free_keys[cluster.id] = cluster.concern_key
    return PreviousReview(pinned, pinned_rows, free_rows, free_keys, known)


def _cluster_by_theme(
    themes: Sequence[str], embeddings: np.ndarray, lemmas: Sequence[Sequence[str]], keys: Sequence[str],
    embedder: Embedder, settings: ClusteringSettings, previous: PreviousReview | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Global labels and features, clustering each theme alone.

    Each group's rows are taken in the order of their ``keys`` (text hashes), so
    neither the row order nor the batch split of the import changes the clusters.
    Labels 0..P-1 are the previous run's pinned clusters (in ``previous.pinned``
    order); fresh clusters are numbered after them.
    """
    n = len(themes)
    previous = previous or PreviousReview.empty(n)
    keys = np.asarray(keys, dtype=str)
    groups = {t: np.flatnonzero(np.asarray(themes) == t) for t in sorted(set(themes))}
    if not settings.per_theme:
        groups = {"*": np.arange(n)}
    groups = {t: rows[canonical_order(embeddings[rows], keys[rows])] for t, rows in groups.items()}
    features = _group_features(groups, embeddings, lemmas, embedder, settings)
    labels = np.full(n, -1, dtype=int)
    for key, cluster in enumerate(previous.pinned):
        labels[previous.pinned_rows[cluster.id]] = key
    _join_pinned(labels, features, themes, previous, settings.per_theme)
    offset = len(previous.pinned)
    for members in groups.values():
        free = members[labels[members] < 0]
        if not len(free):
            continue
        clusterer = ConcernClusterer(k=settings.k, seed=settings.seed)
        found = clusterer.fit_predict(features[free], keys[free])
        labels[free] = np.where(found >= 0, found + offset, -1)
        offset += int(found.max()) + 1
    return labels, features


def _group_features(
    groups: dict[str, np.ndarray], embeddings: np.ndarray, lemmas: Sequence[Sequence[str]],
    embedder: Embedder, settings: ClusteringSettings,
) -> np.ndarray:
    """Clustering features of every row, each group built (and centred) on its own."""
    n = len(embeddings)
    features: np.ndarray | None = None
    for members in groups.values():
        block = build_features(
            embeddings[members], embedder.blocks, [lemmas[i] for i in members],
            lexical_weight=settings.lexical_weight, seed=settings.seed,
        )
        if features is None:
            features = np.zeros((n, block.shape[1]), dtype=np.float32)
        if block.shape[1] != features.shape[1]:
            # the lexical block may be missing for tiny groups; pad to a common width
            width = max(features.shape[1], block.shape[1])
            features, block = _pad(features, width), _pad(block, width)
        features[members] = block
    assert features is not None
    return features


def _join_pinned(
    labels: np.ndarray, features: np.ndarray, themes: Sequence[str], previous: PreviousReview, per_theme: bool
) -> None:
    """New rows join the nearest open pinned cluster of their theme when they fit it.

    A row fits when its similarity to the cluster's centre is at least that of the
    cluster's 10th-percentile member: it is as typical as the members staff kept.
    Locked clusters take no one.
    """
    open_keys = [k for k, c in enumerate(previous.pinned) if not c.locked and c.relevant]
    new_rows = np.flatnonzero(~previous.known & (labels < 0))
    if not open_keys or not len(new_rows):
        return
    centres, floors = [], []
    for key in open_keys:
        rows = previous.pinned_rows[previous.pinned[key].id]
        centre = l2_normalise(features[rows].mean(axis=0, keepdims=True))[0]
        centres.append(centre)
        floors.append(float(np.percentile(features[rows] @ centre, 10)))
    sims = l2_normalise(features[new_rows]) @ np.asarray(centres).T  # (new, open)
    cluster_theme = np.array([previous.pinned[k].theme for k in open_keys])
    for j, i in enumerate(new_rows):
        fits = sims[j] >= np.asarray(floors)
        if per_theme:
            fits &= cluster_theme == themes[i]
        if fits.any():
            best = int(np.argmax(np.where(fits, sims[j], -np.inf)))
            labels[i] = open_keys[best]


def carry_review(
    clusters: Sequence[ClusterRow], labels: np.ndarray, contributions: Sequence[Contribution], previous: PreviousReview
) -> list[ClusterRow]:
    """Give every cluster row its identity: staff decisions of pinned clusters, inherited keys of free ones.

    A pinned cluster keeps its theme, staff label, lock and relevance and is linked to
    its previous record (``previous_id``) so measures follow it. A fresh cluster holding
    more than half of a previous unreviewed cluster's rows inherits its key; otherwise
    its key is derived from its members' content, so the same input gives the same keys.
    """
    out = []
    for row in clusters:
        members = np.flatnonzero(labels == row.key)
        if row.key < len(previous.pinned):
            old = previous.pinned[row.key]
            row = replace(row, theme=old.theme, locked=old.locked, relevant=old.relevant, reviewed=True,
                          label_source=old.label_source,
                          concern_key=old.concern_key or _content_key(members, contributions), previous_id=old.id,
                          label=old.label if old.label_source == "staff" else row.label)
        else:
            row = replace(row, concern_key=_inherited_key(members, previous) or _content_key(members, contributions))
        out.append(row)
    return out


def _inherited_key(members: np.ndarray, previous: PreviousReview) -> str | None:
    rows = set(members.tolist())
    for cluster_id, old_rows in previous.free_rows.items():
        if len(rows & old_rows) * 2 > max(len(rows), len(old_rows)):
            return previous.free_keys[cluster_id]
    return None


def _content_key(members: np.ndarray, contributions: Sequence[Contribution]) -> str:
    digest = hashlib.sha256("".join(sorted(contributions[i].content_hash for i in members)).encode())
    return digest.hexdigest()[:32]


def _map_coordinates(themes: Sequence[str], features: np.ndarray) -> np.ndarray:
    """(n, 2) positions for the workbench map: a PCA of each theme's features, scaled to [-1, 1]."""
    xy = np.zeros((len(themes), 2), dtype=np.float32)
    for theme in sorted(set(themes)):
        rows = np.flatnonzero(np.asarray(themes) == theme)
        if len(rows) < 3:
            continue
        centred = features[rows] - features[rows].mean(axis=0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        components = vt[:2]
        # fix each axis' sign so the same input always draws the same map
        signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
        projected = centred @ (components * signs[:, None]).T
        scale = np.abs(projected).max(axis=0)
        xy[rows, : projected.shape[1]] = projected / np.where(scale > 0, scale, 1)
    return xy


def _pad(x: np.ndarray, width: int) -> np.ndarray:
    return x if x.shape[1] == width else np.hstack([x, np.zeros((len(x), width - x.shape[1]), x.dtype)])


def _place_words(resources: Resources) -> set[str]:
    """Gazetteer entries in lower case, and the single words of district names and variants."""
    gazetteer = resources.vocab.gazetteer
    if gazetteer is None:
        return set()
    words = {entry.lower() for entry in gazetteer.entries}
    for entry, kind in gazetteer.kinds.items():
        if kind in ("name", "variants"):
            words.update(w.lower() for w in entry.replace("-", " ").split())
    return words


_INSTITUTION_WORDS: dict[tuple[str, ...], frozenset[str]] = {}


def _institution_words(resources: Resources) -> frozenset[str]:
    """Name words of the gazetteer's entries ("Kita Regenbogen" → "regenbogen"), computed once per gazetteer."""
    gazetteer = resources.vocab.gazetteer
    if gazetteer is None:
        return frozenset()
    entries = tuple(sorted(gazetteer.entries))
    if entries not in _INSTITUTION_WORDS:
        _INSTITUTION_WORDS[entries] = frozenset(institution_name_words(entries, resources.nlp))
    return _INSTITUTION_WORDS[entries]


def _districts_of(contribution: Contribution, detected: Sequence[str], resources: Resources) -> tuple[str, ...]:
    given = contribution.district
    gazetteer = resources.vocab.gazetteer
    if given and gazetteer is not None:
        given = gazetteer.canonical(given) or given
    # mentioned_districts: found in the raw note at import, before pseudonymisation
    # masked addresses; None on notes imported before that column existed.
    mentioned = contribution.mentioned_districts or []
    return tuple(dict.fromkeys([*([given] if given else []), *mentioned, *detected]))


def _similarity_to_centre(labels: np.ndarray, features: np.ndarray) -> np.ndarray:
    """(n,) float32: each clustered row's cosine to its cluster's mean direction; 0 when unclustered."""
    similarity = np.zeros(len(labels), dtype=np.float32)
    for key in np.unique(labels[labels >= 0]):
        members = np.flatnonzero(labels == key)
        centre = features[members].mean(axis=0)
        similarity[members] = features[members] @ (centre / max(np.linalg.norm(centre), 1e-12))
    return similarity


def describe_clusters(
    contributions: Sequence[Contribution],
    labels: np.ndarray,
    similarity: np.ndarray,
    lemmas: Sequence[Sequence[str]],
    themes: Sequence[str],
    districts: Sequence[Sequence[str]],
    place_words: Collection[str] = (),
) -> list[ClusterRow]:
    """One unranked row per cluster: theme, label and the figures of :func:`pipelines.figures.cluster_figures`.

    Args:
        labels: (n,) cluster per contribution, -1 unclustered.
        similarity: (n,) each row's similarity to its cluster's centre.
        place_words: lower-case words kept out of labels: the district profile shows places.
    """
    members = [
        MemberFacts(contribution_id=c.id, content_hash=c.content_hash, cluster=int(labels[i]), lemmas=lemmas[i], districts=districts[i],
                    table=c.table_label, round=c.round, group=c.stakeholder_group, similarity=float(similarity[i]))
        for i, c in enumerate(contributions) if labels[i] >= 0
    ]
    rows = []
    for key, figures in cluster_figures(members).items():
        theme = Counter(themes[i] for i in np.flatnonzero(labels == key)).most_common(1)[0][0]
        rows.append(ClusterRow(
            key=key, theme=theme, label=default_label(list(figures.keywords), exclude=place_words),
            keywords=figures.keywords, size=figures.size, representative_ids=figures.representative_ids,
            profile=figures.profile, hotspot_district=figures.hotspot_district,
        ))
    return rows


def rank_rows(
    clusters: Sequence[ClusterRow], labels: np.ndarray, contributions: Sequence[Contribution], settings: Settings,
    conferences: Mapping[int, int] | None = None,
) -> list[ClusterRow]:
    """The rows with score, breakdown and ranks (:func:`pipelines.figures.rank_clusters`), best first.

    Only relevant clusters are ranked: one staff marked not relevant in an earlier
    run keeps that decision and sinks behind the concerns, as it does in review.

    Args:
        conferences: cluster key → at how many conferences it was raised (default 1).
    """
    conferences = conferences or {}
    stats = [
        concern_stats(r.key, r.size, r.profile, min(contributions[i].content_hash for i in np.flatnonzero(labels == r.key)),
                      conferences.get(r.key, 1))
        for r in clusters
    ]
    placings = rank_clusters(stats, {r.key: r.theme for r in clusters}, {r.key for r in clusters if r.relevant},
                             settings.ranking.model_dump())
    ranked = [
        replace(r, score=p.score, score_breakdown=p.breakdown, rank=p.rank, theme_rank=p.theme_rank)
        for r in clusters for p in [placings[r.key]]
    ]
    return sorted(ranked, key=lambda r: (r.rank, r.key))
