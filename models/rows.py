"""What an analysis hands the store: one run, its clusters, its assignments.

Frozen values made inside the pipeline; :meth:`models.store.Store.save_run` turns
them into rows of ``analysis_run``, ``cluster`` and ``assignment`` in one
transaction. Clusters are named by a run-local ``key`` (the cluster label of the
analysis) until the store gives them ids; assignments refer to that key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class RunRow:
    """One pass of the pipeline over a conference, with the settings it used."""

    conference_id: int
    settings: Mapping[str, Any]
    model_id: str
    started_at: datetime
    finished_at: datetime
    n_contributions: int
    n_clusters: int
    n_unclustered: int
    timings: Mapping[str, float] = field(default_factory=dict)

    def columns(self) -> dict[str, Any]:
        return {**asdict(self), "settings": dict(self.settings), "timings": dict(self.timings)}


@dataclass(frozen=True)
class ClusterRow:
    """One concern as the analysis found it; ``key`` is run-local.

    ``previous_id`` names the cluster of an earlier run this one continues: measures
    promoted from that one move to this one when it is stored.
    """

    key: int
    theme: str
    label: str
    keywords: tuple[str, ...]
    size: int
    representative_ids: tuple[int, ...]
    profile: Mapping[str, Mapping[str, int]]
    hotspot_district: str | None
    score: float = 0.0
    score_breakdown: Mapping[str, float] = field(default_factory=dict)
    rank: int = 0
    theme_rank: int = 0
    locked: bool = False
    concern_key: str | None = None
    label_source: str = "auto"
    relevant: bool = True
    reviewed: bool = False
    previous_id: int | None = None

    def columns(self) -> dict[str, Any]:
        """Cluster columns: JSON columns as plain lists and dicts, without ``key`` and ``previous_id``."""
        return {
            "theme": self.theme, "label": self.label, "keywords": list(self.keywords), "size": self.size,
            "representative_ids": list(self.representative_ids),
            "profile": {k: dict(v) for k, v in self.profile.items()}, "hotspot_district": self.hotspot_district,
            "score": self.score, "score_breakdown": dict(self.score_breakdown), "rank": self.rank,
            "theme_rank": self.theme_rank, "locked": self.locked, "concern_key": self.concern_key,
            "label_source": self.label_source, "relevant": self.relevant, "reviewed": self.reviewed,
        }


@dataclass(frozen=True)
class LinkRow:
    """A concern of the run (run-local ``cluster_key``) continuing a cluster of an earlier conference."""

    cluster_key: int
    previous_cluster_id: int
    previous_conference_id: int
    concern_key: str | None
    previous_concern_key: str | None
    similarity: float
    kind: str
    source: str = "auto"
    confirmed: bool = False
    rejected: bool = False

    def columns(self) -> dict[str, Any]:
        """concern_link columns without ``conference_id`` and ``cluster_id`` (the store sets them)."""
        values = asdict(self)
        del values["cluster_key"]
        return values


@dataclass(frozen=True)
class AssignmentRow:
    """Per-run analysis of one contribution; ``cluster_key`` None: unclustered."""

    contribution_id: int
    cluster_key: int | None
    theme: str
    theme_confidence: float
    theme_source: str
    districts: tuple[str, ...]
    lemmas: str
    similarity: float
    map_x: float | None = None
    map_y: float | None = None

    def columns(self) -> dict[str, Any]:
        """Assignment columns without ``run_id`` and ``cluster_id`` (the store sets them)."""
        return {
            "contribution_id": self.contribution_id, "theme": self.theme,
            "theme_confidence": self.theme_confidence, "theme_source": self.theme_source,
            "districts": list(self.districts), "lemmas": self.lemmas, "similarity": self.similarity,
            "map_x": self.map_x, "map_y": self.map_y,
        }
