"""What the workbench shows: frozen views of clusters, members, measures and audit
events, the filters of the overview, and the builders that make views from records.

Views never hold live ORM objects: a page can keep them across reruns without a session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from models.records import Assignment, Cluster, Contribution, ReviewEvent
from nlp.text import summary_sentence

ACTION_NAMES = {
    "rename": "umbenannt",
    "merge": "zusammengeführt",
    "split": "aufgeteilt",
    "move": "Beitrag verschoben",
    "relevance": "Relevanz geändert",
    "lock": "Sperre geändert",
    "promote": "zur Maßnahme gemacht",
    "update_measure": "Maßnahme geändert",
    "measure_parent": "Gliederung der Maßnahme geändert",
    "measure_milestones": "Meilensteine geändert",
    "measure_decision": "Beschluss eingetragen",
    "link_confirm": "Zuordnung zu früherem Anliegen bestätigt",
    "link_reject": "Zuordnung zu früherem Anliegen verworfen",
    "link_set": "Zuordnung zu früherem Anliegen gesetzt",
    "undo": "rückgängig gemacht",
}

#: the fields of a measure in German, for its history and the register's columns
MEASURE_FIELD_NAMES = {
    "title": "Titel", "description": "Beschreibung", "theme": "Themenfeld", "districts": "Sozialräume",
    "responsible": "Zuständige Stelle", "priority": "Priorität", "cost_estimate": "Kostenschätzung",
    "timeframe": "Zeitraum", "status": "Status", "progress": "Fortschritt (%)",
    "parent_id": "Übergeordnete Maßnahme", "weight": "Gewicht", "milestones": "Meilensteine",
    "decision_date": "Beschlussdatum", "decision_committee": "Gremium", "decision_paper": "Drucksachen-Nr.",
    "decision_result": "Ergebnis", "decision_note": "Bemerkung zum Beschluss",
}


@dataclass(frozen=True)
class MemberView:
    """One contribution as the workbench shows it, with where it came from."""

    id: int
    text: str
    table: str | None
    round: int | None
    theme: str | None
    district: str | None
    stakeholder_group: str | None
    source_file: str | None
    source_position: str | None
    heading_path: str | None
    cluster_id: int | None = None
    similarity: float = 0.0
    districts: tuple[str, ...] = ()

    @property
    def source(self) -> str:
        """Where the note came from, in words: file, position, heading, table and round."""
        parts = [p for p in (self.source_file, self.source_position, self.heading_path) if p]
        if self.table:
            parts.append(f"Tisch {self.table}")
        if self.round is not None:
            parts.append(f"Runde {self.round}")
        return " · ".join(parts) or "–"


@dataclass(frozen=True)
class ClusterView:
    id: int
    concern_key: str | None
    theme: str
    label: str
    label_source: str
    keywords: tuple[str, ...]
    size: int
    profile: dict[str, dict[str, int]]
    hotspot: str | None
    score: float
    breakdown: dict[str, float]
    rank: int
    theme_rank: int
    locked: bool
    relevant: bool
    reviewed: bool
    version: int
    representatives: tuple[MemberView, ...] = ()
    members: tuple[MemberView, ...] = ()
    measure_ids: tuple[int, ...] = ()

    @property
    def summary(self) -> str:
        """The concern in one sentence: from its most central note (stored pseudonymised); "" without one."""
        return summary_sentence(self.representatives[0].text) if self.representatives else ""


@dataclass(frozen=True)
class MeasureView:
    id: int
    title: str
    description: str
    theme: str | None
    districts: tuple[str, ...]
    responsible: str | None
    priority: str | None
    cost_estimate: str | None
    timeframe: str | None
    status: str
    version: int
    created_by: str | None
    updated_by: str | None
    created_at: datetime
    updated_at: datetime
    cluster_ids: tuple[int, ...] = ()
    cluster_labels: tuple[str, ...] = ()
    sources: tuple[MemberView, ...] = ()
    # the register (added at the end: code that builds a MeasureView by position keeps working)
    progress: int = 0
    #: the progress shown: its own without children, else the weighted mean of its children's (rejected ones left out)
    progress_total: float = 0.0
    parent_id: int | None = None
    weight: float = 1.0
    child_ids: tuple[int, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    decision_date: str | None = None
    decision_committee: str | None = None
    decision_paper: str | None = None
    decision_result: str | None = None
    decision_note: str | None = None


@dataclass(frozen=True)
class Milestone:
    """One milestone of a measure; ``date`` is ISO (YYYY-MM-DD)."""

    date: str
    title: str
    text: str = ""


@dataclass(frozen=True)
class FieldChange:
    """One field of a measure changed by one change: who, when, from what to what.

    ``old`` and ``new`` are the stored values (a list for districts and milestones);
    ``undone``: the change was taken back later.
    """

    event_id: int
    at: datetime
    actor: str
    action: str
    field: str
    old: Any
    new: Any
    undone: bool

    @property
    def field_name(self) -> str:
        return MEASURE_FIELD_NAMES.get(self.field, self.field)


@dataclass(frozen=True)
class EventView:
    id: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: int | None
    summary: str
    undone: bool


@dataclass(frozen=True)
class Overview:
    """Counts, the theme × district heatmap and the top concerns under a filter."""

    n_contributions: int
    n_tables: int
    n_districts: int
    n_clusters: int
    n_measures: int
    heatmap: dict[str, dict[str, int]]  # theme -> district -> notes naming it in that theme's concerns
    top: tuple[ClusterView, ...]
    themes: tuple[str, ...]
    districts: tuple[str, ...]
    groups: tuple[str, ...]
    rounds: tuple[int, ...]


class NoteFacts(NamedTuple):
    """The facts of one note that filters and counts need."""

    districts: tuple[str, ...]
    table: str | None
    round: int | None
    stakeholder_group: str | None


@dataclass(frozen=True)
class Filters:
    theme: str | None = None
    district: str | None = None
    group: str | None = None
    round: int | None = None

    def admits(self, member: MemberView | NoteFacts) -> bool:
        return (
            (self.district is None or self.district in member.districts)
            and (self.group is None or member.stakeholder_group == self.group)
            and (self.round is None or member.round == self.round)
        )


def member_view(c: Contribution, a: Assignment | None = None) -> MemberView:
    return MemberView(
        id=c.id, text=c.text, table=c.table_label, round=c.round, theme=c.theme, district=c.district,
        stakeholder_group=c.stakeholder_group, source_file=c.source_file, source_position=c.source_position,
        heading_path=c.heading_path, cluster_id=a.cluster_id if a else None,
        similarity=float(a.similarity) if a else 0.0, districts=tuple(a.districts) if a else (),
    )


def cluster_view(
    c: Cluster, reps: Sequence[MemberView] = (), members: Sequence[MemberView] = (), measures: Sequence[int] = ()
) -> ClusterView:
    return ClusterView(
        id=c.id, concern_key=c.concern_key, theme=c.theme, label=c.label, label_source=c.label_source,
        keywords=tuple(c.keywords), size=c.size, profile={k: dict(v) for k, v in c.profile.items()},
        hotspot=c.hotspot_district, score=c.score, breakdown=dict(c.score_breakdown), rank=c.rank,
        theme_rank=c.theme_rank, locked=c.locked, relevant=c.relevant, reviewed=c.reviewed, version=c.version,
        representatives=tuple(reps), members=tuple(members), measure_ids=tuple(measures),
    )


def summary(e: ReviewEvent) -> str:
    """The change in German words; a change applied again after its undo says so."""
    text = _summary(e)
    return f"Wiederhergestellt: {text}" if (e.payload or {}).get("redo_of") else text


def _summary(e: ReviewEvent) -> str:
    p = e.payload or {}
    match e.action:
        case "rename":
            return f"Cluster „{p.get('from')}“ umbenannt in „{p.get('to')}“"
        case "merge":
            return "Cluster zusammengeführt: " + ", ".join(f"„{label}“" for label in p.get("labels", []))
        case "split":
            return f"{len(p.get('member_ids', []))} Beiträge in einen neuen Cluster abgetrennt"
        case "move":
            return f"Beitrag {e.target_id} in Cluster {p.get('to_cluster_id')} verschoben"
        case "relevance":
            return f"Cluster {e.target_id} als {'relevant' if p.get('relevant') else 'nicht relevant'} markiert"
        case "lock":
            return f"Cluster {e.target_id} {'gesperrt' if p.get('locked') else 'entsperrt'}"
        case "promote":
            return f"Maßnahme „{p.get('title')}“ aus {len(p.get('cluster_ids', []))} Cluster(n) angelegt"
        case "update_measure":
            return f"Maßnahme {e.target_id} geändert: {', '.join(p.get('changed', []))}"
        case "measure_parent":
            values, parts = p.get("values", {}), []
            if "parent_id" in values:
                parts.append(f"übergeordnet: {'Nr. ' + str(values['parent_id']) if values['parent_id'] else 'keine'}")
            if "weight" in values:
                parts.append(f"Gewicht {values['weight']:g}".replace(".", ","))  # German decimal comma
            return f"Maßnahme {e.target_id}: Gliederung geändert ({', '.join(parts)})"
        case "measure_milestones":
            return f"Maßnahme {e.target_id}: Meilensteine geändert ({len(p.get('milestones', []))})"
        case "measure_decision":
            source = f" (Import {p['file']}, Zeile {p['row']})" if p.get("file") else ""
            return f"Maßnahme {e.target_id}: Beschluss eingetragen{source}"
        case "link_confirm" | "link_reject" | "link_set":
            verb = {"link_confirm": "bestätigt", "link_reject": "verworfen", "link_set": "gesetzt"}[e.action]
            return (f"Cluster {e.target_id}: Zuordnung zu „{p.get('previous_label')}“ "
                    f"({p.get('previous_conference')}) {verb}")
        case "undo":
            return f"Rückgängig: {p.get('summary')}"
    return ACTION_NAMES.get(e.action, e.action)


def event_view(e: ReviewEvent) -> EventView:
    return EventView(id=e.id, at=e.at, actor=e.actor, action=e.action, target_type=e.target_type,
                     target_id=e.target_id, summary=summary(e), undone=e.undone)
