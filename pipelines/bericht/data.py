"""What every report shows, read once through the workbench's own reads.

:func:`load_bericht` asks :class:`pipelines.review.ReviewReader` — the reader the
workbench and the committee view use — for the active concerns, the overview
(counts and the theme × district heatmap) and the measures, so a report counts
what the pages count. The result is a frozen :class:`Bericht` of plain values;
the writers (DOCX, PDF, HTML, OParl) only lay it out.

Quotes are stored note texts, pseudonymised at import; no staff name (audit actor,
``created_by``) enters a :class:`Bericht`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from models.records import AnalysisRun, Conference
from models.store import Store
from pipelines.district_map import DistrictMap
from pipelines.report import COMMITTEE_STATUSES
from pipelines.review import ClusterView, MemberView, ReviewReader
from pipelines.settings import RankingSettings

N_QUOTES = 3
READER = "Bericht"  # the reader's actor; reads write no audit event


@dataclass(frozen=True)
class Quote:
    text: str
    table: str | None
    round: int | None

    def source(self) -> str:
        """"Tisch 3, Runde 2", or "" when the note names neither."""
        parts = ([f"Tisch {self.table}"] if self.table else []) + ([f"Runde {self.round}"] if self.round is not None else [])
        return ", ".join(parts)


@dataclass(frozen=True)
class ConcernItem:
    rank: int
    theme_rank: int
    theme: str
    label: str
    size: int
    keywords: tuple[str, ...]
    districts: dict[str, int]
    tables: tuple[str, ...]
    rounds: tuple[str, ...]
    groups: tuple[str, ...]
    quotes: tuple[Quote, ...]


@dataclass(frozen=True)
class MeasureItem:
    id: int
    reference: str  # "M-0007": stable, from the measure's id
    title: str
    description: str
    theme: str | None
    districts: tuple[str, ...]
    responsible: str | None
    priority: str | None
    cost: str | None
    timeframe: str | None
    status: str
    progress: int | None  # percent, where the measure register keeps it
    concerns: tuple[str, ...]
    quotes: tuple[Quote, ...]
    updated: datetime


@dataclass(frozen=True)
class Bericht:
    """One conference's results for the committee and the public."""

    conference: str
    date: str | None
    city: str | None
    n_contributions: int
    n_tables: int
    n_districts: int
    rounds: tuple[int, ...]
    groups: tuple[str, ...]
    themes: tuple[str, ...]  # in the order of their best concern
    districts: tuple[str, ...]
    concerns: tuple[ConcernItem, ...]  # every active concern, best first
    heatmap: dict[str, dict[str, int]]  # theme -> district -> notes
    measures: tuple[MeasureItem, ...]  # status "vorgeschlagen" or later, oldest first
    run_id: int
    model_id: str
    run_finished: datetime
    ranking: dict[str, float]
    created: datetime
    notice: str | None  # the example-data sentence, "Beispieldaten – fiktiv: …"
    district_map: DistrictMap | None = None  # the city's areas, for the map of notes per district

    def concerns_of(self, theme: str) -> list[ConcernItem]:
        return [c for c in self.concerns if c.theme == theme]

    def measures_of(self, theme: str | None) -> list[MeasureItem]:
        return [m for m in self.measures if m.theme == theme]

    def measures_elsewhere(self) -> list[MeasureItem]:
        """Measures whose theme has no active concern (or none at all)."""
        return [m for m in self.measures if m.theme not in self.themes]


def _quote(m: MemberView) -> Quote:
    return Quote(m.text, m.table, m.round)


def _concern(c: ClusterView) -> ConcernItem:
    return ConcernItem(
        rank=c.rank, theme_rank=c.theme_rank, theme=c.theme, label=c.label, size=c.size, keywords=tuple(c.keywords),
        districts=dict(c.profile.get("districts", {})), tables=tuple(c.profile.get("tables", {})),
        rounds=tuple(c.profile.get("rounds", {})), groups=tuple(c.profile.get("groups", {})),
        quotes=tuple(_quote(m) for m in c.representatives),
    )


def load_bericht(
    store: Store, conference: str, *, ranking: RankingSettings | None = None, notice: str | None = None,
    now: datetime | None = None, district_map: DistrictMap | None = None,
) -> Bericht:
    """Read the report of ``conference``'s latest analysis.

    Args:
        notice: the example-data sentence (:func:`pipelines.example_data.example_notice`), if any.
        district_map: the city's areas (:func:`pipelines.district_map.load_district_map`); None: no map.
        now: when the report is made (tests fix it).

    Raises:
        InputError: no such conference, or not analysed yet.
    """
    reader = ReviewReader(store, conference, READER, ranking)
    overview = reader.overview(top=None)
    clusters = {c.id: c for c in reader.clusters(include_irrelevant=False)}
    concerns = tuple(_concern(c) for c in overview.top)
    themes: list[str] = []
    for c in concerns:  # best first: a theme comes when its best concern comes
        if c.theme not in themes:
            themes.append(c.theme)
    measures = []
    for m in reader.measures():
        if m.status not in COMMITTEE_STATUSES:
            continue
        reps = [r for cid in m.cluster_ids if cid in clusters for r in clusters[cid].representatives]
        if len(reps) < N_QUOTES:  # a measure from an older run: its own sources
            reps += [s for s in reader.measure(m.id).sources if s.id not in {r.id for r in reps}]
        progress = round(m.progress_total)  # a parent measure reports its children's weighted progress
        measures.append(MeasureItem(
            id=m.id, reference=f"M-{m.id:04d}", title=m.title, description=m.description, theme=m.theme,
            districts=m.districts, responsible=m.responsible, priority=m.priority, cost=m.cost_estimate,
            timeframe=m.timeframe, status=m.status, progress=progress,
            concerns=m.cluster_labels, quotes=tuple(_quote(r) for r in reps[:N_QUOTES]), updated=m.updated_at,
        ))
    with store.transaction() as session:
        run = session.get_one(AnalysisRun, reader.run_id(session))
        record = session.get_one(Conference, run.conference_id)
        facts = (record.date, record.city, run.id, run.model_id, run.finished_at)
    return Bericht(
        conference=conference, date=facts[0], city=facts[1], n_contributions=overview.n_contributions,
        n_tables=overview.n_tables, n_districts=overview.n_districts, rounds=overview.rounds, groups=overview.groups,
        themes=tuple(themes), districts=overview.districts, concerns=concerns, heatmap=overview.heatmap,
        measures=tuple(measures), run_id=facts[2], model_id=facts[3], run_finished=facts[4],
        ranking=(ranking or RankingSettings()).model_dump(), created=now or datetime.now(timezone.utc), notice=notice,
        district_map=district_map,
    )
