"""Fixtures of the workbench tests: an analysed small conference on SQLite and an
AppTest of ``ui/app.py`` with that store and a name in session state."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from models.records import Contribution
from models.store import Store
from pipelines.analyse import analyse_conference
from pipelines.ingest import import_files
from pipelines.resources import Resources
from pipelines.review import ReviewService
from pipelines.settings import Settings

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "ui" / "app.py"
CONFERENCE = "Kleine Konferenz"
ACTOR = "Anna Amt"
# Imports strip markup; a note stored before that (or by another tool) must still show as text.
HOSTILE = "Kita-Plätze fehlen <script>alert(1)</script> <b>x</b> **fett** [Link](javascript:alert(2))"


@pytest.fixture
def analysed_store(tmp_path: Path, small_conference_csv: Path, hashing_resources: Resources,
                   settings: Settings) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'ui.sqlite'}")
    import_files(store, [small_conference_csv], CONFERENCE, hashing_resources.vocab)
    analyse_conference(store, CONFERENCE, hashing_resources, settings)
    with store.transaction() as session:
        session.execute(update(Contribution).where(Contribution.id == 1).values(text=HOSTILE))
    yield store
    store.close()


@pytest.fixture
def service(analysed_store: Store) -> ReviewService:
    """Reads (and a second person's changes) straight from the store."""
    return ReviewService(analysed_store, CONFERENCE, "Bernd Büro")


@pytest.fixture
def make_app(analysed_store: Store, settings: Settings) -> Callable[..., AppTest]:
    """``make_app(actor=ACTOR)``: the app, run once, on the analysed store."""

    def make(actor: str | None = ACTOR) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=60)
        at.session_state["store"] = analysed_store
        at.session_state["settings"] = settings
        if actor is not None:
            at.session_state["actor"] = actor
        return at.run()

    return make
