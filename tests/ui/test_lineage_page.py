"""The workbench control for concerns across conferences: a cluster card says "neu" or "wiederkehrend",
and staff confirm, reject or set the earlier concern it continues; the committee view shows the status
and the measures decided last time. AppTest against a real store."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from models.store import Store
from pipelines.analyse import analyse_conference
from pipelines.ingest import ImportOptions, import_files
from pipelines.resources import Resources
from pipelines.review import MeasureInput, ReviewService
from pipelines.settings import Settings

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"
LATER, EARLIER = "Konferenz 2026", "Konferenz 2024"


@pytest.fixture
def two_conferences(tmp_path: Path, small_conference_csv: Path, earlier_conference_csv: Path,
                    hashing_resources: Resources, settings: Settings) -> Store:
    store = Store(f"sqlite:///{tmp_path / 'lineage.sqlite'}")
    import_files(store, [earlier_conference_csv], EARLIER, hashing_resources.vocab,
                 ImportOptions(date="2024-03-20", city="Düren"))
    analyse_conference(store, EARLIER, hashing_resources, settings)
    earlier = ReviewService(store, EARLIER, "Frau Albers")
    kita = next(c for c in earlier.clusters(with_members=True) if any("Kita" in m.text for m in c.members))
    earlier.promote([kita.id], MeasureInput(title="Neue Kita im Norden", status="umgesetzt"))
    import_files(store, [small_conference_csv], LATER, hashing_resources.vocab,
                 ImportOptions(date="2026-03-18", city="Düren"))
    analyse_conference(store, LATER, hashing_resources, settings)
    return store


def _app(store: Store, settings: Settings) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["store"], at.session_state["settings"], at.session_state["actor"] = store, settings, "Anna Amt"
    at.session_state["conference"] = LATER
    at.run()
    at.switch_page("views/cluster.py").run()
    at.selectbox(key="thema").select("Bildung und Erziehung").run()
    assert not at.exception, at.exception
    return at


def _cluster_with(service: ReviewService, fragment: str):  # noqa: ANN202
    return next(c for c in service.clusters(with_members=True) if any(fragment in m.text for m in c.members))


def test_card_shows_recurring_and_staff_reject_then_set_the_earlier_concern(
    two_conferences: Store, settings: Settings
) -> None:
    service = ReviewService(two_conferences, LATER, "Bernd Büro")
    kita = _cluster_with(service, "Kita-Plätze fehlen dringend")
    link = service.lineage()[kita.id].earlier[0]
    at = _app(two_conferences, settings)
    at.session_state["_open_cluster"] = kita.id
    at.run()
    shown = " ".join(m.value for m in at.markdown).replace("\\", "")  # Markdown escapes
    assert "wiederkehrend seit 2024 (2024: 4 Beiträge)" in shown
    assert any("Wiederkehrend trotz Maßnahme „Neue Kita im Norden“ (umgesetzt)" in w.value.replace("\\", "")
               for w in at.warning)

    at.button(key=f"link_reject_{link.link_id}_vorgeschlagen").click().run()

    assert not at.exception, at.exception
    assert service.lineage()[kita.id].status == "neu"
    assert [e.action for e in service.events()][:1] == ["link_reject"]
    assert service.events()[0].actor == "Anna Amt"

    choices = service.earlier_choices()
    back = next(i for i, name in choices.items() if "Kita" in name)
    current = service.cluster(kita.id)
    at.selectbox(key=f"link_pick_{kita.id}_v{current.version}").select(back).run()
    at.button(key=f"link_set_btn_{kita.id}_v{current.version}").click().run()

    assert not at.exception, at.exception
    lineage = service.lineage()[kita.id]
    assert lineage.status == "wiederkehrend" and lineage.earlier[0].source == "staff"
    assert [e.action for e in service.events()][:2] == ["link_set", "link_reject"]


def test_committee_view_shows_status_measure_and_what_was_no_longer_raised(
    two_conferences: Store, settings: Settings
) -> None:
    at = _app(two_conferences, settings)
    at.switch_page("views/ausschuss.py").run()

    assert not at.exception, at.exception
    shown = " ".join(m.value for m in at.markdown).replace("\\", "")  # Markdown escapes
    assert "wiederkehrend seit 2024" in shown and "*neu*" in shown
    assert "Wiederkehrend trotz Maßnahme „Neue Kita im Norden“ (umgesetzt)" in shown
    assert "Nicht mehr genannt" in [h.value for h in at.header]
