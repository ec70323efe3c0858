"""Reports and exports of an analysis run: ranked concerns, clusters with their members.

Exports never write a cell a spreadsheet would execute: values that start with
``=``, ``+``, ``-``, ``@`` get a leading apostrophe in CSV.

Exports built on invented example data say so: the caller passes the sentence of
:func:`pipelines.example_data.example_notice`, which lands in the JSON's
``hinweis`` and in a ``hinweis`` column of every CSV row. A city's own data give
no sentence, and the exports carry no such field.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from models.queries import COMMITTEE_STATUSES, active_concerns, latest_run_id  # noqa: F401 - re-exported
from models.records import AnalysisRun, Assignment, Cluster, Contribution
from models.store import Store
from nlp.text import neutralise_formula, summary_sentence
from pipelines.errors import InputError
from pipelines.formats import number
from pipelines.lineage import Lineage, VanishedConcern, lineage_of, vanished_concerns


# COMMITTEE_STATUSES (imported above, kept importable from here): what goes before the committee,
# a measure staff have proposed and what became of it; not a draft, not a rejected one.
# Defined with the statuses in models.queries.


@dataclass(frozen=True)
class ConcernView:
    """One ranked concern as shown to people."""

    rank: int
    theme_rank: int
    theme: str
    label: str
    keywords: list[str]
    size: int
    score: float
    breakdown: dict[str, float]
    districts: dict[str, int]
    profile: dict[str, dict[str, int]]
    hotspot: str | None
    quotes: list[str]
    cluster_id: int

    @property
    def summary(self) -> str:
        """The concern in one sentence: from its most central note (stored pseudonymised); "" without one."""
        return summary_sentence(self.quotes[0]) if self.quotes else ""


@dataclass(frozen=True)
class RunView:
    conference: str
    run_id: int
    model_id: str
    n_contributions: int
    concerns: list[ConcernView]
    members: dict[int, list[Contribution]]
    #: cluster id → where the concern stands across conferences (see :mod:`pipelines.lineage`)
    lineage: dict[int, Lineage] = field(default_factory=dict)
    #: the earlier conference's concerns nothing of this run continues
    vanished: list[VanishedConcern] = field(default_factory=list)


def load_run(store: Store, conference: str) -> RunView:
    """The active concerns of the latest analysis of ``conference``, with their members.

    The concerns are :func:`models.queries.active_concerns` (not merged away, relevant,
    with members, in rank order), the same the workbench and the committee view show.

    Raises:
        InputError: no such conference or not analysed yet.
    """
    record = store.get_conference(conference)
    if record is None:
        raise InputError(f"Konferenz '{conference}' gibt es nicht.")
    with store.transaction() as session:
        run_id = latest_run_id(session, record.id)
        if run_id is None:
            raise InputError(f"Konferenz '{conference}' ist noch nicht analysiert. Bitte 'taten analyse' ausführen.")
        run = session.get_one(AnalysisRun, run_id)
        clusters = active_concerns(session, run_id)
        contributions = {c.id: c for c in session.scalars(
            select(Contribution).where(Contribution.conference_id == record.id).order_by(Contribution.id))}
        members: dict[int, list[Contribution]] = defaultdict(list)
        for cluster_id, contribution_id in session.execute(
            select(Assignment.cluster_id, Assignment.contribution_id)
            .where(Assignment.run_id == run_id, Assignment.cluster_id.in_([c.id for c in clusters]))
            .order_by(Assignment.contribution_id)
        ):
            members[cluster_id].append(contributions[contribution_id])
        concerns = [_view(c, contributions) for c in clusters]
        return RunView(conference, run.id, run.model_id, run.n_contributions, concerns, dict(members),
                       lineage_of(session, [c.id for c in clusters]), vanished_concerns(session, record.id, run_id))


def _view(cluster: Cluster, contributions: dict[int, Contribution]) -> ConcernView:
    return ConcernView(
        rank=cluster.rank, theme_rank=cluster.theme_rank, theme=cluster.theme, label=cluster.label,
        keywords=list(cluster.keywords), size=cluster.size, score=cluster.score,
        breakdown=dict(cluster.score_breakdown), districts=dict(cluster.profile.get("districts", {})),
        profile={k: dict(v) for k, v in cluster.profile.items()},
        hotspot=cluster.hotspot_district,
        quotes=[contributions[i].text for i in cluster.representative_ids if i in contributions],
        cluster_id=cluster.id,
    )


def why(concern: ConcernView) -> str:
    """Why a concern ranks where it does, in words: its distinct tables, rounds, groups, districts."""
    parts = [("tables", "Tisch", "Tischen"), ("rounds", "Runde", "Runden"),
             ("groups", "Gruppe", "Gruppen"), ("districts", "Sozialraum", "Sozialräumen")]
    out = []
    for key, one, many in parts:
        n = len(concern.profile.get(key, {}))
        if n:
            out.append(f"{n} {one if n == 1 else many}")
    return "an " + ", ".join(out) if out else "–"


def filter_concerns(
    view: RunView, theme: str | None = None, district: str | None = None, top: int | None = None
) -> list[ConcernView]:
    """Concerns of one theme and/or district, best first.

    Overall and per theme the order is the ranking. Per district it is how often the
    concern's notes name that district, then the ranking: a concern raised mostly
    about Birkesdorf comes first for Birkesdorf even if it ranks lower city-wide.
    """
    concerns = [c for c in view.concerns if theme is None or c.theme == theme]
    if district is not None:
        concerns = sorted(
            (c for c in concerns if district in c.districts),
            key=lambda c: (-c.districts[district], c.rank),
        )
    return concerns[:top] if top else concerns


def _member_record(c: Contribution) -> dict:
    return {
        "id": c.id, "text": c.text, "table": c.table_label, "round": c.round, "theme": c.theme,
        "district": c.district, "stakeholder_group": c.stakeholder_group,
        "source_file": c.source_file, "source_position": c.source_position,
    }


def export_json(view: RunView, path: Path, notice: str | None = None) -> None:
    """Every concern with its members; ``notice``: the example-data sentence, if any."""
    payload = {
        "conference": view.conference, "run_id": view.run_id, "model_id": view.model_id,
        **({"hinweis": notice} if notice else {}),
        "clusters": [
            {
                "rank": c.rank, "theme": c.theme, "label": c.label, "keywords": c.keywords,
                "size": c.size, "score": c.score, "score_breakdown": c.breakdown,
                "districts": c.districts, "hotspot_district": c.hotspot,
                "members": [_member_record(m) for m in view.members.get(c.cluster_id, [])],
            }
            for c in view.concerns
        ],
    }
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")


def export_csv(view: RunView, path: Path, notice: str | None = None) -> None:
    """One row per member: the cluster's rank, theme and label beside the note and its source.

    Written for German Excel: ``;`` between fields, a decimal comma, UTF-8 with a BOM
    (without it Excel reads the umlauts as Latin-1).

    ``notice`` (the example-data sentence) fills a last column ``hinweis`` of every row,
    so it survives sorting and filtering in a spreadsheet.
    """
    fields = ["rank", "theme", "label", "score", "id", "text", "table", "round", "district",
              "stakeholder_group", "source_file", "source_position", *(["hinweis"] if notice else [])]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, delimiter=";")
        writer.writeheader()
        for c in view.concerns:
            for m in view.members.get(c.cluster_id, []):
                record = _member_record(m)
                row = {"rank": c.rank, "theme": c.theme, "label": c.label, "score": number(c.score, 3, grouping=False),
                       **{k: record[k] for k in fields if k in record}, **({"hinweis": notice} if notice else {})}
                writer.writerow({k: neutralise_formula(str(v)) if isinstance(v, str) else v for k, v in row.items()})
