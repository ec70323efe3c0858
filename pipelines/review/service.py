"""The review rules: what staff may change and how.

- Each change is one :class:`~pipelines.review.change.Change`: one transaction,
  one :class:`ReviewEvent` (who, when, what) whose payload holds the state before
  the change; :meth:`ReviewService.undo_last` restores it.
- Undo acts on the person's own last change, never on a colleague's, and is
  refused when someone changed the same records since; :meth:`ReviewService.redo_last`
  applies the undone change again.
- Every change takes an optional ``request_key``, the key of the form submission:
  a second call with the same key writes nothing and returns what the first
  returned, so a double click creates one record.
- Clusters and measures carry a version number; a change names the version the
  person saw and is refused with :class:`ReviewConflictError` when the record moved on.
- A cluster that staff touched is marked ``reviewed``; a re-analysis keeps it, its
  identity (``concern_key``), label and members (see ``pipelines.analyse``).
- Locked clusters take no merge, split or move; a split leaves members behind.
- Derived figures (size, profile, keywords, score, rank) follow every change of
  membership (:mod:`pipelines.review.derived`); they are not staff edits and do
  not bump other clusters' versions.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Callable
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm.exc import StaleDataError

from models.queries import MEASURE_STATUSES, default_progress, register_measures
from models.records import (
    AnalysisRun,
    Assignment,
    Cluster,
    ConcernLink,
    Conference,
    Measure,
    MeasureSource,
    ReviewEvent,
    utcnow,
)
from pipelines.auth import requires
from pipelines.errors import InputError, ReviewConflictError
from pipelines.lineage import earlier_choices
from pipelines.review.change import MAX_LABEL_CHARS, AlreadyApplied, Change, changed_since, restore
from pipelines.review.concurrency import begin_write, lock_run, retried
from pipelines.review.derived import refresh_derived
from pipelines.review.reads import ReviewReader
from pipelines.review.register import (
    DecisionApplied,
    DecisionInput,
    DecisionReport,
    DecisionRow,
    MilestoneInput,
    RowProblem,
    check_progress,
    check_weight,
    checked_milestones,
    read_decisions,
    status_of_result,
    would_cycle,
)
from pipelines.review.views import ClusterView, EventView, MeasureView, event_view, summary

F = TypeVar("F", bound=Callable[..., Any])

logger = logging.getLogger(__name__)

PRIORITIES = ("hoch", "mittel", "niedrig")


@dataclass(frozen=True)
class MeasureInput:
    """What staff enter for a measure; checked on the way in."""

    title: str
    description: str = ""
    theme: str | None = None
    districts: tuple[str, ...] = ()
    responsible: str | None = None
    priority: str | None = None
    cost_estimate: str | None = None
    timeframe: str | None = None
    status: str = "Entwurf"
    extra: dict[str, Any] = field(default_factory=dict)
    #: 0–100; None: the default of the status (see :data:`models.queries.STATUSES`). On an edit, a
    #: progress equal to the stored one counts as not set, so a new status brings its default
    progress: int | None = None

    def checked(self) -> dict[str, Any]:
        title = self.title.strip()
        if not title:
            raise InputError("Eine Maßnahme braucht einen Titel.")
        if len(title) > 300:
            raise InputError("Der Titel ist zu lang (höchstens 300 Zeichen).")
        if self.status not in MEASURE_STATUSES:
            raise InputError(f"Unbekannter Status '{self.status}'. Erlaubt: {', '.join(MEASURE_STATUSES)}.")
        if self.priority not in (None, "", *PRIORITIES):
            raise InputError(f"Unbekannte Priorität '{self.priority}'. Erlaubt: {', '.join(PRIORITIES)}.")
        return {
            "title": title, "description": self.description.strip(), "theme": self.theme or None,
            "districts": list(dict.fromkeys(self.districts)), "responsible": _blank(self.responsible),
            "priority": _blank(self.priority), "cost_estimate": _blank(self.cost_estimate),
            "timeframe": _blank(self.timeframe), "status": self.status,
            "progress": None if self.progress is None else check_progress(self.progress),
        }


def once(method: F) -> F:
    """A change that a second submission with the same ``request_key`` does not repeat: it answers
    with the current view of what the first submission made."""

    @functools.wraps(method)
    def wrapper(self: ReviewService, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except AlreadyApplied as done:
            logger.info("%s: %s with a used request key, event %d: not applied again", self.actor,
                        method.__name__, done.event_id)
            return self.replayed(done.result)

    return wrapper  # type: ignore[return-value]


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


class _Refused(Exception):  # noqa: N818 - rolls the import's transaction back; never leaves the service
    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} bad rows")
        self.problems = problems


class ReviewService(ReviewReader):
    """Review of one conference's latest analysis by one person: the reads of
    :class:`~pipelines.review.reads.ReviewReader` and the changes staff make.

    Args:
        store: the database.
        conference: name of an analysed conference.
        actor: the signed-in :class:`~pipelines.auth.Principal`, or a plain name (no sign-in: Leitung).
        ranking: weights for re-ranking after a change of membership.

    Every change checks the principal's role first (:func:`~pipelines.auth.requires`). Every change runs under :func:`~pipelines.review.concurrency.retried`: the same
    lock order for all, and a bounded retry on a deadlock or a busy database.
    """

    commits = 0  # changes this object committed; a failure after a commit is never retried

    # -- cluster changes -----------------------------------------------------------

    @requires("review")
    @once
    @retried
    def rename(self, cluster_id: int, label: str, expected_version: int, *,
               request_key: str | None = None) -> ClusterView:
        label = " ".join(label.split())
        if not label:
            raise InputError("Der neue Name ist leer.")
        if len(label) > MAX_LABEL_CHARS:
            raise InputError(f"Der Name ist zu lang (höchstens {MAX_LABEL_CHARS} Zeichen).")
        with Change(self, "rename", "cluster", cluster_id, request_key) as change:
            change.view = lambda session: self.cluster_in(session, cluster_id)
            cluster = change.cluster(cluster_id, expected_version)
            if cluster.label == label:
                raise InputError(f"Der Cluster heißt schon „{label}“.")
            change.payload["from"], change.payload["to"] = cluster.label, label
            cluster.label, cluster.label_source, cluster.reviewed = label, "staff", True
        return change.result

    @requires("review")
    @once
    @retried
    def set_locked(self, cluster_id: int, locked: bool, expected_version: int, *,
                   request_key: str | None = None) -> ClusterView:
        with Change(self, "lock", "cluster", cluster_id, request_key) as change:
            change.view = lambda session: self.cluster_in(session, cluster_id)
            cluster = change.cluster(cluster_id, expected_version)
            change.payload["locked"] = locked
            cluster.locked, cluster.reviewed = locked, True
        return change.result

    @requires("review")
    @once
    @retried
    def set_relevant(self, cluster_id: int, relevant: bool, expected_version: int, *,
                     request_key: str | None = None) -> ClusterView:
        with Change(self, "relevance", "cluster", cluster_id, request_key) as change:
            change.view = lambda session: self.cluster_in(session, cluster_id)
            cluster = change.cluster(cluster_id, expected_version)
            change.payload["relevant"] = relevant
            cluster.relevant, cluster.reviewed = relevant, True
        return change.result

    @requires("review")
    @once
    @retried
    def merge(self, versions: Mapping[int, int], label: str | None = None, *,
              request_key: str | None = None) -> ClusterView:
        """Merge clusters into the first of ``versions`` (cluster id → version seen).

        The others are kept as merged records (for undo and the audit log); their
        members and measure links go to the target.
        """
        ids = list(versions)
        if len(ids) < 2:
            raise InputError("Zum Zusammenführen bitte mindestens zwei Cluster wählen.")
        target_id = ids[0]
        with Change(self, "merge", "cluster", target_id, request_key) as change:
            change.view = lambda session: self.cluster_in(session, target_id)
            clusters = [change.cluster(i, versions[i]) for i in ids]
            if any(c.locked for c in clusters):
                raise InputError("Gesperrte Cluster können nicht zusammengeführt werden. Bitte zuerst entsperren.")
            target, others = clusters[0], clusters[1:]
            change.payload.update(ids=ids, labels=[c.label for c in clusters], label=label)
            other_ids = [c.id for c in others]
            change.reassign(select(Assignment.contribution_id).where(
                Assignment.run_id == target.run_id, Assignment.cluster_id.in_(other_ids)), target.id)
            change.move_measure_links(other_ids, target.id)
            for other in others:
                other.merged_into_id, other.size, other.reviewed = target.id, 0, True
            if label and label.strip():
                target.label, target.label_source = " ".join(label.split())[:MAX_LABEL_CHARS], "staff"
            target.reviewed = True
        return change.result

    @requires("review")
    @once
    @retried
    def split(self, cluster_id: int, member_ids: Sequence[int], label: str, expected_version: int, *,
              request_key: str | None = None) -> ClusterView:
        """Move the chosen members of a cluster into a new cluster named ``label``."""
        label = " ".join(label.split())
        if not label:
            raise InputError("Bitte einen Namen für den neuen Cluster angeben.")
        with Change(self, "split", "cluster", cluster_id, request_key) as change:
            source = change.cluster(cluster_id, expected_version)
            if source.locked:
                raise InputError("Ein gesperrter Cluster kann nicht aufgeteilt werden. Bitte zuerst entsperren.")
            members = set(change.session.scalars(select(Assignment.contribution_id).where(
                Assignment.run_id == source.run_id, Assignment.cluster_id == source.id)))
            chosen = sorted(set(member_ids))
            if not chosen or not set(chosen) <= members:
                raise InputError("Bitte Beiträge wählen, die zu diesem Cluster gehören.")
            if len(chosen) == len(members):
                raise InputError("Es müssen Beiträge im alten Cluster bleiben. Zum Umbenennen bitte 'Umbenennen' nutzen.")
            new_id = change.new_cluster(source, label).id
            change.view = lambda session: self.cluster_in(session, new_id)
            change.payload.update(new_cluster_id=new_id, member_ids=chosen, label=label)
            change.reassign(chosen, new_id)
            source.reviewed = True
        return change.result

    @requires("review")
    @once
    @retried
    def move(self, contribution_id: int, to_cluster_id: int, versions: Mapping[int, int | None], *,
             request_key: str | None = None) -> ClusterView:
        """Move one contribution to another cluster of the same run.

        ``versions`` holds the versions seen of the source and the target cluster.
        """
        with Change(self, "move", "contribution", contribution_id, request_key) as change:
            change.view = lambda session: self.cluster_in(session, to_cluster_id)
            run_id = self.run_id(change.session)
            assignment = change.session.get(Assignment, (run_id, contribution_id))
            if assignment is None:
                raise InputError(f"Beitrag {contribution_id} gehört nicht zur aktuellen Analyse.")
            target = change.cluster(to_cluster_id, versions.get(to_cluster_id))
            if assignment.cluster_id == target.id:
                raise InputError("Der Beitrag gehört schon zu diesem Cluster.")
            touched = [target]
            if assignment.cluster_id is not None:
                source = change.cluster(assignment.cluster_id, versions.get(assignment.cluster_id))
                touched.append(source)
            if any(c.locked for c in touched):
                raise InputError("Gesperrte Cluster können nicht geändert werden. Bitte zuerst entsperren.")
            change.payload.update(from_cluster_id=assignment.cluster_id, to_cluster_id=target.id)
            change.reassign([contribution_id], target.id)
            for cluster in touched:
                cluster.reviewed = True
        return change.result

    # -- concerns across conferences ------------------------------------------------

    @requires("review")
    @once
    @retried
    def confirm_link(self, link_id: int, *, request_key: str | None = None) -> ClusterView:
        """Staff confirm that a concern continues the earlier one of ``link_id``; the next analysis keeps it."""
        return self._decide_link(link_id, "link_confirm", request_key)

    @requires("review")
    @once
    @retried
    def reject_link(self, link_id: int, *, request_key: str | None = None) -> ClusterView:
        """Staff say a concern does not continue the earlier one of ``link_id``; the next analysis keeps it apart."""
        return self._decide_link(link_id, "link_reject", request_key)

    def _decide_link(self, link_id: int, action: str, request_key: str | None) -> ClusterView:
        with Change(self, action, "cluster", None, request_key) as change:
            link = change.link(link_id)
            cluster_id = link.cluster_id
            change.event.target_id = cluster_id
            change.view = lambda session: self.cluster_in(session, cluster_id)
            confirm = action == "link_confirm"
            if (link.confirmed, link.rejected) == (confirm, not confirm):
                raise InputError("Diese Zuordnung ist schon " + ("bestätigt." if confirm else "verworfen."))
            self._describe_link(change, link)
            link.confirmed, link.rejected = confirm, not confirm
        return change.result

    @requires("review")
    @once
    @retried
    def set_link(self, cluster_id: int, previous_cluster_id: int, *,
                 request_key: str | None = None) -> ClusterView:
        """Staff say the concern ``cluster_id`` continues ``previous_cluster_id`` of the earlier conference.

        Its other one-to-one links are rejected: a concern continues one earlier concern.
        """
        with Change(self, "link_set", "cluster", cluster_id, request_key) as change:
            change.view = lambda session: self.cluster_in(session, cluster_id)
            cluster = change.cluster(cluster_id, None)
            choices = earlier_choices(change.session, self.conference_id)
            if previous_cluster_id not in choices:
                raise InputError("Dieses frühere Anliegen gibt es in der vorigen Konferenz nicht. Bitte neu laden.")
            previous = change.session.get_one(Cluster, previous_cluster_id)
            existing = {link.previous_cluster_id: link for link in change.session.scalars(
                select(ConcernLink).where(ConcernLink.cluster_id == cluster_id).order_by(ConcernLink.id))}
            for other_id, other in existing.items():
                if other_id != previous_cluster_id and other.kind == "match" and not other.rejected:
                    change.link(other.id).rejected = True
            link = existing.get(previous_cluster_id)
            if link is not None:
                if link.confirmed and not link.rejected and link.kind == "match":
                    raise InputError(f"Das Anliegen ist schon „{previous.label}“ zugeordnet.")
                change.link(link.id)
                link.kind, link.source, link.confirmed, link.rejected = "match", "staff", True, False
            else:
                run = change.session.get_one(AnalysisRun, previous.run_id)
                link = change.new_link(ConcernLink(
                    conference_id=self.conference_id, cluster_id=cluster.id, previous_cluster_id=previous.id,
                    previous_conference_id=run.conference_id, concern_key=cluster.concern_key,
                    previous_concern_key=previous.concern_key, similarity=0.0, kind="match", source="staff",
                    confirmed=True, rejected=False))
            self._describe_link(change, link)
        return change.result

    @staticmethod
    def _describe_link(change: Change, link: ConcernLink) -> None:
        previous = change.session.get_one(Cluster, link.previous_cluster_id)
        conference = change.session.get_one(Conference, link.previous_conference_id)
        change.payload.update(link_id=link.id, previous_cluster_id=previous.id, previous_label=previous.label,
                              previous_conference=conference.name)

    # -- measures ------------------------------------------------------------------

    @requires("measures")
    @once
    @retried
    def promote(self, cluster_ids: Sequence[int], measure: MeasureInput, *,
                request_key: str | None = None) -> MeasureView:
        """Create a measure from one or more clusters; the clusters count as reviewed."""
        if not cluster_ids:
            raise InputError("Bitte mindestens einen Cluster für die Maßnahme wählen.")
        values = measure.checked()
        if values["progress"] is None:
            values["progress"] = default_progress(values["status"])
        with Change(self, "promote", "measure", None, request_key) as change:
            clusters = [change.cluster(i, None) for i in dict.fromkeys(cluster_ids)]
            if values["theme"] is None:
                values["theme"] = Counter(c.theme for c in clusters).most_common(1)[0][0]
            now = utcnow()
            record = Measure(conference_id=self.conference_id, created_at=now, updated_at=now,
                             created_by=self.actor, updated_by=self.actor, **values)
            change.session.add(record)
            change.session.flush()
            for cluster in clusters:
                change.session.add(MeasureSource(measure_id=record.id, cluster_id=cluster.id))
            # promoting pins the clusters for re-analyses but changes nothing staff edit in
            # them, so it must not bump their versions and refuse a colleague's pending rename
            change.session.execute(
                update(Cluster).where(Cluster.id.in_([c.id for c in clusters])).values(reviewed=True)
                .execution_options(synchronize_session=False)
            )
            change.event.target_id = record.id
            change.payload.update(measure_id=record.id, cluster_ids=[c.id for c in clusters], title=values["title"],
                                  values=values)
            change.created_measures.append(record.id)
            measure_id = record.id
            change.view = lambda session: self.measure_in(session, measure_id)
        return change.result

    @requires("measures")
    @once
    @retried
    def update_measure(self, measure_id: int, measure: MeasureInput, expected_version: int, *,
                       request_key: str | None = None) -> MeasureView:
        values = measure.checked()
        with Change(self, "update_measure", "measure", measure_id, request_key) as change:
            change.view = lambda session: self.measure_in(session, measure_id)
            record = change.measure(measure_id, expected_version)
            # "unless staff set one": a progress other than the stored one is theirs; else a new status brings its own
            if values["progress"] is None or values["progress"] == record.progress:
                values["progress"] = (default_progress(values["status"]) if values["status"] != record.status
                                      else record.progress)
            self._write(change, record, values)
        return change.result

    # -- the register: tree, milestones, decisions --------------------------------------

    @requires("measures")
    @once
    @retried
    def set_parent(self, measure_id: int, parent_id: int | None, weight: float, expected_version: int, *,
                   request_key: str | None = None) -> MeasureView:
        """Make ``parent_id`` (None: none) the parent of a measure, with its weight in the parent's progress.

        Raises:
            InputError: the parent is the measure itself or one of its descendants (no cycles),
                is no measure of this conference, or the weight is not over 0.
        """
        weight = check_weight(weight)
        with Change(self, "measure_parent", "measure", measure_id, request_key) as change:
            change.view = lambda session: self.measure_in(session, measure_id)
            record = change.measure(measure_id, expected_version)
            if parent_id is not None:
                parent = self.measure_record(change.session, parent_id)
                parents = {m.id: m.parent_id for m in register_measures(change.session, self.conference_id)}
                if would_cycle(parents, measure_id, parent_id):
                    raise InputError(
                        f"Maßnahme {parent.id} („{parent.title[:60]}“) kann nicht übergeordnet werden: sie ist "
                        f"{'dieselbe Maßnahme' if parent_id == measure_id else 'ihr selbst untergeordnet'}.")
                # the parent counts as touched: undoing its creation later is refused instead of orphaning this one
                change.measure(parent.id, parent.version)
            values = {"parent_id": parent_id, "weight": weight}
            self._write(change, record, values)
        return change.result

    @requires("measures")
    @once
    @retried
    def set_milestones(self, measure_id: int, milestones: Sequence[MilestoneInput], expected_version: int, *,
                       request_key: str | None = None) -> MeasureView:
        """Replace the milestones of a measure (kept in date order)."""
        checked = checked_milestones(milestones)
        with Change(self, "measure_milestones", "measure", measure_id, request_key) as change:
            change.view = lambda session: self.measure_in(session, measure_id)
            record = change.measure(measure_id, expected_version)
            change.payload["milestones"] = checked
            self._write(change, record, {"milestones": checked})
        return change.result

    @requires("measures")
    @once
    @retried
    def record_decision(self, measure_id: int, decision: DecisionInput, expected_version: int, *,
                        request_key: str | None = None) -> MeasureView:
        """Enter the committee's decision; a known result sets the status (and its default progress)."""
        values: dict[str, Any] = decision.checked()
        with Change(self, "measure_decision", "measure", measure_id, request_key) as change:
            change.view = lambda session: self.measure_in(session, measure_id)
            record = change.measure(measure_id, expected_version)
            status = status_of_result(decision.result or "") if decision.set_status else None
            if status is not None and status != record.status:
                values.update(status=status, progress=default_progress(status))
            change.payload["set_status"] = decision.set_status
            self._write(change, record, values)
        return change.result

    def _write(self, change: Change, record: Measure, values: Mapping[str, Any]) -> None:
        """Write the fields that differ, note them in the event (its history) or refuse a change of nothing."""
        changed = {k: v for k, v in values.items() if getattr(record, k) != v}
        if not changed:
            raise InputError("Keine Änderung: die Maßnahme ist schon so gespeichert.")
        change.payload["changed"] = sorted(changed)
        change.payload["values"] = changed
        for key, value in changed.items():
            setattr(record, key, value)
        record.updated_at, record.updated_by = utcnow(), self.actor

    @requires("measures")
    @retried
    def import_decisions(self, data: bytes, name: str, *, request_key: str | None = None) -> DecisionReport:
        """Import the committee's decisions from a CSV file (Drucksachen-Nr., Ergebnis, Datum).

        All or nothing: when any row is unusable (unknown Drucksachen-Nr., unknown result,
        a bad date, a number twice) nothing is written and the report lists every such
        row with its reason. Otherwise every measure with the row's Drucksachen-Nr. gets
        the decision, its status and that status's default progress, each as one change
        with its own audit event (undone one by one), all in one transaction. A measure
        that already holds the decision is left as it is, so importing a file twice
        changes nothing the second time.

        Raises:
            InputError: the file as a whole is unusable (see :func:`read_decisions`).
        """
        rows, problems = read_decisions(data, name)
        try:
            with self.store.transaction() as session:
                begin_write(session)
                lock_run(session, self.run_id(session))
                if request_key and session.scalar(select(ReviewEvent.id).where(
                        ReviewEvent.request_key == request_key)) is not None:
                    return DecisionReport(name, (), (), written=False, already_imported=True)
                by_paper: dict[str, list[Measure]] = {}
                for m in register_measures(session, self.conference_id):
                    if m.decision_paper:
                        by_paper.setdefault(" ".join(m.decision_paper.split()).casefold(), []).append(m)
                problems = list(problems)
                targets: list[tuple[DecisionRow, Measure]] = []
                for row in rows:
                    found = by_paper.get(row.paper.casefold(), [])
                    if not found:
                        problems.append(RowProblem(row.row, f"Keine Maßnahme hat die Drucksachen-Nr. „{row.paper}“. "
                                                            "Bitte die Nummer zuerst bei der Maßnahme eintragen."))
                    targets.extend((row, m) for m in found)
                problems.sort(key=lambda p: p.row)
                if problems:
                    raise _Refused(problems)
                applied: list[DecisionApplied] = []
                key = request_key
                for row, record in targets:
                    values: dict[str, Any] = {"decision_date": row.date, "decision_result": row.result}
                    if row.committee:
                        values["decision_committee"] = row.committee
                    if row.note:
                        values["decision_note"] = row.note
                    if row.status != record.status:
                        values.update(status=row.status, progress=default_progress(row.status))
                    old_status = record.status
                    if all(getattr(record, k) == v for k, v in values.items()):
                        applied.append(DecisionApplied(row.row, record.id, record.title, row.paper, old_status,
                                                       record.status, changed=False))
                        continue
                    with Change(self, "measure_decision", "measure", record.id, key, session=session) as change:
                        change.measure(record.id, record.version)
                        change.payload.update(file=name[:200], row=row.row, set_status=True)
                        self._write(change, record, values)
                    key = None  # the submission's key goes on its first event
                    applied.append(DecisionApplied(row.row, record.id, record.title, row.paper, old_status,
                                                   record.status, changed=True))
        except _Refused as refused:
            logger.info("%s: decision import %s refused, %d bad rows", self.actor, name, len(refused.problems))
            return DecisionReport(name, (), tuple(refused.problems), written=False)
        except StaleDataError as exc:
            raise ReviewConflictError("Jemand hat eine dieser Maßnahmen gerade geändert. Es wurde nichts "
                                      "importiert; bitte noch einmal versuchen.") from exc
        self.commits += 1
        logger.info("%s: imported %d decisions from %s", self.actor, sum(a.changed for a in applied), name)
        return DecisionReport(name, tuple(applied), (), written=True)

    # -- undo and redo --------------------------------------------------------------

    def replayed(self, result: list[Any] | None) -> Any:
        """The current view of what a change returned (``["cluster" | "measure", id]``)."""
        if not result:
            return None
        kind, ident = result
        return self.cluster(int(ident)) if kind == "cluster" else self.measure(int(ident))

    def _own(self, session: Any) -> Any:
        return select(ReviewEvent).where(ReviewEvent.conference_id == self.conference_id,
                                         ReviewEvent.actor == self.actor)

    def last_own_change(self) -> EventView | None:
        """The change :meth:`undo_last` would undo: this person's newest change not undone."""
        with self.store.transaction() as session:
            event = self._undoable(session)
            return None if event is None else event_view(event)

    def _undoable(self, session: Any) -> ReviewEvent | None:
        return session.scalar(self._own(session).where(ReviewEvent.undone.is_(False), ReviewEvent.action != "undo")
                              .order_by(ReviewEvent.id.desc()).limit(1))

    def redoable(self) -> EventView | None:
        """The change :meth:`redo_last` would apply again: the one this person's newest action undid."""
        with self.store.transaction() as session:
            undo = self._redoable(session)
            return None if undo is None else event_view(session.get(ReviewEvent, undo.payload["event_id"]))

    def _redoable(self, session: Any) -> ReviewEvent | None:
        newest = session.scalar(self._own(session).order_by(ReviewEvent.id.desc()).limit(1))
        if newest is None or newest.action != "undo" or newest.undone or "event_id" not in (newest.payload or {}):
            return None
        return newest

    @requires("review")
    @retried
    def undo_last(self, event_id: int | None = None) -> EventView:
        """Undo this person's newest change that is not yet undone.

        Args:
            event_id: the change the person confirmed to undo; refused when their
                newest change is another one by now (say, undone in another window).

        Raises:
            InputError: nothing to undo, or the change belongs to an older analysis.
            ReviewConflictError: the confirmed change is no longer the newest, or
                someone changed the same records since.
        """
        with self.store.transaction() as session:
            # lock first, then pick the event: two windows undoing at once undo two events, not one twice
            begin_write(session)
            lock_run(session, self.run_id(session))
            event = self._undoable(session)
            if event is None:
                raise InputError("Es gibt keine Änderung von Ihnen, die rückgängig gemacht werden kann.")
            if event_id is not None and event.id != event_id:
                raise ReviewConflictError(
                    f"Ihre letzte Änderung ist inzwischen eine andere: „{summary(event)}“. Nichts wurde rückgängig "
                    "gemacht; bitte noch einmal prüfen.")
            before = event.payload.get("before", {})
            if before.get("run_id") not in (None, self.run_id(session)):
                raise InputError("Die letzte Änderung gehört zu einer älteren Analyse und kann nicht mehr "
                                 "rückgängig gemacht werden.")
            touched = changed_since(session, event)
            if touched:
                raise ReviewConflictError(
                    f"„{summary(event)}“ kann nicht rückgängig gemacht werden: {', '.join(touched)} wurde seitdem "
                    "von jemand anderem geändert. Bitte den aktuellen Stand prüfen und von Hand korrigieren.")
            try:
                restore(session, before)
                event.undone = True
                session.add(ReviewEvent(
                    conference_id=self.conference_id, actor=self.actor, at=utcnow(), action="undo",
                    target_type=event.target_type, target_id=event.target_id,
                    payload={"event_id": event.id, "action": event.action, "summary": summary(event)},
                ))
                session.flush()
                if before.get("run_id") is not None:
                    refresh_derived(session, before["run_id"], before.get("derived_ids", []), self.ranking)
            except StaleDataError as exc:
                raise ReviewConflictError(
                    "Rückgängig nicht möglich: jemand hat die Daten gerade geändert. Bitte neu laden.") from exc
            view = event_view(event)
        self.commits += 1
        logger.info("%s undid event %d (%s)", self.actor, view.id, view.action)
        return view

    redo_of: int | None = None  # set while :meth:`redo_last` applies a change again; Change marks the undo

    @requires("review")
    def redo_last(self, event_id: int | None = None) -> Any:
        """Apply again the change this person's newest action undid (a new change, logged as restored).

        Args:
            event_id: the change the person confirmed to restore.

        Raises:
            InputError: the newest own action is no undo, or the change cannot be applied again.
            ReviewConflictError: the confirmed change is no longer the one to restore.
        """
        with self.store.transaction() as session:
            undo = self._redoable(session)
            if undo is None:
                raise InputError("Es gibt keine rückgängig gemachte Änderung, die wiederhergestellt werden kann.")
            original = session.get(ReviewEvent, undo.payload["event_id"])
            if event_id is not None and original.id != event_id:
                raise ReviewConflictError("Die Änderung zum Wiederherstellen ist inzwischen eine andere. "
                                          "Bitte noch einmal prüfen.")
            action, target, payload, undo_id = original.action, original.target_id, dict(original.payload), undo.id
        self.redo_of = undo_id
        try:
            return self._apply_again(action, target, payload)
        except KeyError as exc:  # an event written before changes kept their input
            raise InputError("Diese Änderung ist zu alt, um sie wiederherzustellen. Bitte von Hand wiederholen.") from exc
        finally:
            self.redo_of = None

    def _apply_again(self, action: str, target: int | None, p: dict[str, Any]) -> Any:
        def version(cluster_id: int) -> int:
            return self.cluster(cluster_id).version

        match action:
            case "rename":
                return self.rename(target, p["to"], version(target))
            case "lock":
                return self.set_locked(target, p["locked"], version(target))
            case "relevance":
                return self.set_relevant(target, p["relevant"], version(target))
            case "merge":
                return self.merge({i: version(i) for i in p["ids"]}, p.get("label"))
            case "split":
                return self.split(target, p["member_ids"], p.get("label") or "Neuer Cluster", version(target))
            case "move":
                return self.move(target, p["to_cluster_id"], {})
            case "promote":
                values = {k: tuple(v) if k == "districts" else v for k, v in p["values"].items()}
                return self.promote(p["cluster_ids"], MeasureInput(**values))
            case "link_confirm":
                return self.confirm_link(p["link_id"])
            case "link_reject":
                return self.reject_link(p["link_id"])
            case "link_set":
                return self.set_link(target, p["previous_cluster_id"])
            case "update_measure":
                current = self.measure(target)
                values = {k: getattr(current, k) for k in MeasureInput.__dataclass_fields__ if k != "extra"}
                values.update({k: tuple(v) if k == "districts" else v for k, v in p["values"].items()})
                return self.update_measure(target, MeasureInput(**values), current.version)
            case "measure_parent":
                current = self.measure(target)
                values = {"parent_id": current.parent_id, "weight": current.weight, **p["values"]}
                return self.set_parent(target, values["parent_id"], values["weight"], current.version)
            case "measure_milestones":
                current = self.measure(target)
                return self.set_milestones(target, [MilestoneInput(**m) for m in p["milestones"]], current.version)
            case "measure_decision":
                current = self.measure(target)
                fields = {"decision_date": "date", "decision_committee": "committee", "decision_paper": "paper",
                          "decision_result": "result", "decision_note": "note"}
                now = {short: getattr(current, name) or "" for name, short in fields.items()}
                now.update({fields[k]: v or "" for k, v in p["values"].items() if k in fields})
                return self.record_decision(target, DecisionInput(**now, set_status=p.get("set_status", True)),
                                            current.version)
        raise InputError(f"Diese Änderung ({action}) kann nicht wiederhergestellt werden.")
