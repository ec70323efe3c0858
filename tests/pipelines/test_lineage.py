"""Concerns across conferences: an analysis links its concerns to the earlier conference of the city,
staff confirm, reject or set the links (audited, idempotent, undoable), and their decisions survive a
re-analysis. Hashing embedder; both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from models.records import ConcernLink, ReviewEvent
from models.store import Store
from pipelines.analyse import analyse_conference
from pipelines.errors import InputError
from pipelines.ingest import ImportOptions, import_files
from pipelines.lineage import NEW, RECURRING
from pipelines.resources import Resources
from pipelines.review import ClusterView, MeasureInput, ReviewService
from pipelines.settings import Settings

EARLIER, LATER = "Konferenz 2024", "Konferenz 2026"
@pytest.fixture
def conferences(
    store: Store, small_conference_csv: Path, earlier_conference_csv: Path, hashing_resources: Resources,
    settings: Settings,
) -> Store:
    """2024 analysed first, then the small conference as 2026 of the same city."""
    earlier = earlier_conference_csv
    import_files(store, [earlier], EARLIER, hashing_resources.vocab, ImportOptions(date="2024-03-20", city="Düren"))
    analyse_conference(store, EARLIER, hashing_resources, settings)
    import_files(store, [small_conference_csv], LATER, hashing_resources.vocab,
                 ImportOptions(date="2026-03-18", city="Düren"))
    return store


def _analyse(store: Store, resources: Resources, settings: Settings) -> ReviewService:
    analyse_conference(store, LATER, resources, settings)
    return ReviewService(store, LATER, "Frau Albers")


def _holding(service: ReviewService, fragment: str) -> ClusterView:
    for cluster in service.clusters(with_members=True):
        if any(fragment in m.text for m in cluster.members):
            return cluster
    raise AssertionError(f"no cluster holds {fragment!r}")


def test_a_later_conference_tells_recurring_from_new_and_vanished_concerns(
    conferences: Store, hashing_resources: Resources, settings: Settings
) -> None:
    service = _analyse(conferences, hashing_resources, settings)
    kita, strom = _holding(service, "Kita-Plätze fehlen dringend"), _holding(service, "Stromsperren nehmen zu")
    sozialarbeit = _holding(service, "Schulsozialarbeit dauerhaft")

    lineage = service.lineage()

    assert lineage[kita.id].status == lineage[strom.id].status == RECURRING
    assert lineage[kita.id].text.startswith("wiederkehrend seit 2024 (2024: 4 Beiträge)")
    assert lineage[sozialarbeit.id].status == NEW and lineage[sozialarbeit.id].text == NEW
    hallenbad = _holding(ReviewService(conferences, EARLIER, "x"), "Hallenbad geschlossen, Schwimmkurse")
    assert [(v.cluster_id, v.size, v.conference) for v in service.vanished()] == [(hallenbad.id, 4, EARLIER)]
    # the ranking's conferences term: ln 2 for a concern heard at two conferences, 0 for a new one
    assert kita.breakdown["conferences"] == pytest.approx(0.693147, abs=1e-5)
    assert sozialarbeit.breakdown["conferences"] == 0


def test_the_earlier_conference_itself_and_a_conference_without_city_have_no_history(
    conferences: Store, hashing_resources: Resources, settings: Settings, tmp_path: Path,
    small_conference_csv: Path,
) -> None:
    earlier = ReviewService(conferences, EARLIER, "x")
    assert {lin.status for lin in earlier.lineage().values()} == {NEW} and earlier.vanished() == []
    import_files(conferences, [small_conference_csv], "Ohne Stadt", hashing_resources.vocab,
                 ImportOptions(date="2026-05-01"))
    analyse_conference(conferences, "Ohne Stadt", hashing_resources, settings)
    alone = ReviewService(conferences, "Ohne Stadt", "x")
    assert {lin.status for lin in alone.lineage().values()} == {NEW} and alone.earlier_choices() == {}


def test_a_measure_decided_earlier_shows_on_the_recurring_concern(
    conferences: Store, hashing_resources: Resources, settings: Settings
) -> None:
    earlier = ReviewService(conferences, EARLIER, "Frau Albers")
    kita_2024 = _holding(earlier, "Kita-Plätze fehlen seit Jahren")
    earlier.promote([kita_2024.id], MeasureInput(title="Neue Kita im Norden", status="umgesetzt"))

    service = _analyse(conferences, hashing_resources, settings)
    lineage = service.lineage()[_holding(service, "Kita-Plätze fehlen dringend").id]

    assert [(m.title, m.status) for m in lineage.measures] == [("Neue Kita im Norden", "umgesetzt")]
    assert lineage.signal == "Wiederkehrend trotz Maßnahme „Neue Kita im Norden“ (umgesetzt)"


def test_staff_reject_confirm_and_set_links_audited_idempotent_and_undoable(
    conferences: Store, hashing_resources: Resources, settings: Settings
) -> None:
    service = _analyse(conferences, hashing_resources, settings)
    kita = _holding(service, "Kita-Plätze fehlen dringend")
    link = service.lineage()[kita.id].earlier[0]

    rejected = service.reject_link(link.link_id, request_key="form-1")
    again = service.reject_link(link.link_id, request_key="form-1")  # a double click

    assert rejected.id == again.id == kita.id
    assert service.lineage()[kita.id].status == NEW
    assert service.cluster(kita.id).breakdown["conferences"] == 0  # re-ranked
    events = [e for e in service.events() if e.action == "link_reject"]
    assert len(events) == 1 and "verworfen" in events[0].summary and events[0].target_id == kita.id
    with pytest.raises(InputError, match="schon verworfen"):
        service.reject_link(link.link_id)

    service.undo_last()
    assert service.lineage()[kita.id].status == RECURRING
    assert service.cluster(kita.id).breakdown["conferences"] > 0
    service.redo_last()
    assert service.lineage()[kita.id].status == NEW
    service.undo_last()
    assert service.lineage()[kita.id].status == RECURRING

    confirmed = service.confirm_link(link.link_id)
    assert confirmed.id == kita.id and service.lineage()[kita.id].earlier[0].confirmed

    sozialarbeit = _holding(service, "Schulsozialarbeit dauerhaft")
    choices = service.earlier_choices()
    bad = next(i for i, name in choices.items() if "Hallenbad" in name or "Schwimm" in name)
    service.set_link(sozialarbeit.id, bad, request_key="form-2")
    service.set_link(sozialarbeit.id, bad, request_key="form-2")
    after = service.lineage()[sozialarbeit.id]
    assert after.status == RECURRING and after.earlier[0].source == "staff" and after.earlier[0].confirmed
    assert [v for v in service.vanished() if v.cluster_id == bad] == []
    assert sum(e.action == "link_set" for e in service.events()) == 1
    with pytest.raises(InputError, match="gibt es in der vorigen Konferenz nicht"):
        service.set_link(sozialarbeit.id, kita.id)


def test_staff_decisions_on_links_survive_a_reanalysis(
    conferences: Store, hashing_resources: Resources, settings: Settings
) -> None:
    service = _analyse(conferences, hashing_resources, settings)
    kita = _holding(service, "Kita-Plätze fehlen dringend")
    service.reject_link(service.lineage()[kita.id].earlier[0].link_id)
    sozialarbeit = _holding(service, "Schulsozialarbeit dauerhaft")
    bad = next(i for i, name in service.earlier_choices().items() if "Hallenbad" in name or "Schwimm" in name)
    service.set_link(sozialarbeit.id, bad)

    again = _analyse(conferences, hashing_resources, settings)
    kita, sozialarbeit = _holding(again, "Kita-Plätze fehlen dringend"), _holding(again, "Schulsozialarbeit dauerhaft")
    lineage = again.lineage()

    assert lineage[kita.id].status == NEW and len(lineage[kita.id].rejected) == 1
    assert lineage[sozialarbeit.id].status == RECURRING
    assert lineage[sozialarbeit.id].earlier[0].source == "staff"
    with conferences.transaction() as session:  # the new run's links: the rejected one kept as a record
        links = list(session.scalars(select(ConcernLink).where(ConcernLink.cluster_id == kita.id)))
        assert [(link.rejected, link.confirmed) for link in links] == [(True, False)]
        assert session.scalar(select(ReviewEvent.id).where(ReviewEvent.action == "link_reject")) is not None

    # staff change their mind: the latest decision is the one the next analysis keeps
    again.confirm_link(lineage[kita.id].rejected[0].link_id)
    third = _analyse(conferences, hashing_resources, settings)
    kita = _holding(third, "Kita-Plätze fehlen dringend")
    assert third.lineage()[kita.id].status == RECURRING and third.lineage()[kita.id].earlier[0].confirmed
