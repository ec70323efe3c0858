"""The review service: staff correct clusters and promote them into measures.

Every business rule of the workbench lives in this package, so it is tested
without Streamlit. Its modules, each one responsibility:

- :mod:`~pipelines.review.views` — the frozen views pages show (clusters, members,
  measures, events, the overview) and the filters of the overview;
- :mod:`~pipelines.review.reads` — :class:`ReviewReader`, every read of the latest
  analysis, through the shared queries of :mod:`models.queries`;
- :mod:`~pipelines.review.change` — :class:`Change`, the unit of work of one
  change (transaction, version checks, audit event, undo snapshot) and ``restore``;
- :mod:`~pipelines.review.derived` — figures and ranking that follow a change of
  membership, computed as in the analysis (:mod:`pipelines.figures`);
- :mod:`~pipelines.review.concurrency` — several people at once: the one lock order
  every change takes, and the bounded retry on a deadlock or a busy database;
- :mod:`~pipelines.review.register` — the measure register's rules that need no
  database: dates, milestones, committee results, the tree and its rolled-up progress,
  reading a decision file;
- :mod:`~pipelines.review.service` — :class:`ReviewService`, the review rules.

Reads return frozen views, never live ORM objects.
"""

from pipelines.review.change import MAX_LABEL_CHARS, MEASURE_FIELDS, Change
from pipelines.review.reads import ReviewReader
from pipelines.review.register import DecisionInput, DecisionReport, MilestoneInput
from pipelines.review.service import MEASURE_STATUSES, PRIORITIES, MeasureInput, ReviewService
from pipelines.review.views import (
    ACTION_NAMES,
    ClusterView,
    EventView,
    FieldChange,
    Filters,
    MeasureView,
    Milestone,
    MemberView,
    Overview,
)

__all__ = [
    "ACTION_NAMES",
    "MAX_LABEL_CHARS",
    "MEASURE_FIELDS",
    "MEASURE_STATUSES",
    "PRIORITIES",
    "Change",
    "ClusterView",
    "DecisionInput",
    "DecisionReport",
    "EventView",
    "FieldChange",
    "Filters",
    "MeasureInput",
    "MeasureView",
    "Milestone",
    "MilestoneInput",
    "MemberView",
    "Overview",
    "ReviewReader",
    "ReviewService",
]
