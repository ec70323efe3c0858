"""Concern names in the analysis: key phrases, no places or institutions, staff names kept, one-sentence summary."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from models.rows import ClusterRow
from models.store import Store
from nlp.embed import HashingEmbedder
from pipelines.analyse import analyse_conference
from pipelines.ingest import import_files
from pipelines.names import institution_name_words, name_clusters
from pipelines.report import load_run
from pipelines.resources import Resources
from pipelines.review import ReviewService
from pipelines.settings import Settings

KITA = [
    "Es fehlen Kitaplätze in der Kita Regenbogen, Eltern warten über ein Jahr.",
    "Fehlende Kitaplätze in Nord-Düren, die Kita Regenbogen hat eine lange Warteliste.",
    "Zu wenige Kitaplätze: Kinder unter drei Jahren finden keinen Platz in der Kita Regenbogen.",
]
KURS = [
    "Lange Wartezeiten beim Integrationskurs, Geflüchtete warten Monate.",
    "Die Wartezeiten beim Integrationskurs sind zu lang.",
    "Geflüchtete warten lange auf einen Integrationskurs.",
]


def _row(key: int, label: str, source: str = "auto") -> ClusterRow:
    return ClusterRow(key=key, theme="T", label=label, keywords=("x",), size=3, representative_ids=(),
                      profile={}, hotspot_district=None, label_source=source)


def test_names_are_key_phrases_without_institutions_or_places(hashing_resources: Resources) -> None:
    texts = KITA + KURS
    labels = np.array([0, 0, 0, 1, 1, 1])
    embedder = HashingEmbedder()
    rows = name_clusters(
        [_row(0, "Kind, Regenbogen und Eltern"), _row(1, "Integrationskurs, Wartezeit und Geflüchteter")],
        labels, np.ones(6), texts, embedder.encode(texts), ["T"] * 6, embedder, hashing_resources.nlp,
        exclude={"nord-düren", "regenbogen"},
    )

    kita, kurs = rows[0].label, rows[1].label
    assert "Kitaplätze" in kita
    assert "Wartezeiten" in kurs or "Integrationskurs" in kurs
    for name in (kita, kurs):
        assert "Regenbogen" not in name and "Nord-Düren" not in name
        assert name[:1].isupper()


def test_staff_names_are_kept(hashing_resources: Resources) -> None:
    texts = KITA + KURS
    embedder = HashingEmbedder()
    rows = name_clusters(
        [_row(0, "Kita-Ausbau im Norden", source="staff"), _row(1, "Integrationskurs, Wartezeit")],
        np.array([0, 0, 0, 1, 1, 1]), np.ones(6), texts, embedder.encode(texts), ["T"] * 6, embedder,
        hashing_resources.nlp,
    )

    assert rows[0].label == "Kita-Ausbau im Norden"
    assert rows[1].label != "Integrationskurs, Wartezeit"


def test_a_cluster_without_phrases_keeps_its_keyword_label(hashing_resources: Resources) -> None:
    texts = ["und oder aber", "ja nein doch"]
    embedder = HashingEmbedder()
    rows = name_clusters([_row(0, "ja und nein")], np.array([0, 0]), np.ones(2), texts, embedder.encode(texts),
                         ["T", "T"], embedder, hashing_resources.nlp)

    assert rows[0].label == "ja und nein"


def test_institution_names_of_the_gazetteer_are_name_words(hashing_resources: Resources) -> None:
    words = institution_name_words(["Kita Regenbogen", "Familienzentrum Nordlicht", "Stiftisches Gymnasium"],
                                   hashing_resources.nlp)

    assert {"regenbogen", "nordlicht"} <= words
    assert "gymnasium" not in words and "kita" not in words


PERSONAL = [
    {"text": "Frau Erika Mustermann sagt: Es fehlen Kitaplätze. Eltern warten ein Jahr.", "table": "1",
     "theme": "Bildung und Erziehung", "round": "1", "district": ""},
    {"text": "Fehlende Kitaplätze, Eltern warten lange auf einen Platz.", "table": "2",
     "theme": "Bildung und Erziehung", "round": "1", "district": ""},
    {"text": "Kitaplätze fehlen, Eltern warten ein Jahr auf einen Platz.", "table": "1",
     "theme": "Bildung und Erziehung", "round": "2", "district": ""},
]


def test_summary_is_one_sentence_of_a_member_and_pseudonymised(
    sqlite_store: Store, hashing_resources: Resources, settings: Settings, tmp_path: Path,
    write_csv: Callable[..., Path],
) -> None:
    path = write_csv(tmp_path / "notes.csv", PERSONAL)
    import_files(sqlite_store, [path], "K", hashing_resources.vocab)
    analyse_conference(sqlite_store, "K", hashing_resources, settings)

    view = load_run(sqlite_store, "K")
    conference = sqlite_store.get_conference("K")
    assert conference is not None
    stored = [c.text for c in sqlite_store.contributions(conference.id)]
    for concern in view.concerns:
        members = [m.text for m in view.members[concern.cluster_id]]
        assert concern.summary
        assert any(text.startswith(concern.summary.rstrip("…")) for text in members)
        assert "Mustermann" not in concern.summary and "Erika" not in concern.summary
        assert concern.summary.count(". ") == 0
    assert all("Mustermann" not in text for text in stored)
    service = ReviewService(sqlite_store, "K", actor="test")
    for cluster in service.clusters(None, with_members=True):
        assert cluster.summary in {c.summary for c in view.concerns}


def test_summary_is_empty_without_a_representative() -> None:
    from pipelines.report import ConcernView

    concern = ConcernView(1, 1, "T", "Name", [], 0, 0.0, {}, {}, {}, None, [], 1)
    assert concern.summary == ""
    assert dataclasses.replace(concern, quotes=["- Eins. Zwei."]).summary == "Eins."
