"""Authorisation in the services: every write, called as every role, against the one permission table.

A write a role may take must work; one it may not take must be refused with a German
:class:`PermissionDeniedError` and write nothing. A new write method of
:class:`ReviewService` or :class:`AccountService` without a check, or without a case
here, fails :func:`test_every_write_of_the_services_is_guarded_and_tested`.
"""

from __future__ import annotations

import inspect
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from models.store import Store
from pipelines.accounts import AccountService
from pipelines.analyse import analyse_conference
from pipelines.auth import LEITUNG, LOCAL_OPERATOR, PERMISSIONS, Principal, as_principal, require
from pipelines.errors import PermissionDeniedError
from pipelines.ingest import import_files
from pipelines.resources import Resources
from pipelines.review import DecisionInput, MeasureInput, MilestoneInput, ReviewReader, ReviewService
from pipelines.settings import ROLES, Settings
from tests.conftest import _row_counts

CONFERENCE = "Kleine Konferenz"
NAME = "Petra Prüf"
PASSWORD = "ein-langes-passwort"
# reads of ReviewService beside ReviewReader's; everything else public on it is a write
SERVICE_READS = {"replayed", "last_own_change", "redoable"}


@dataclass
class World:
    store: Store
    measure: int
    other_measure: int


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, hashing_resources: Resources) -> Path:
    """One analysed conference linked to an earlier one of its city, with two measures (one with a
    Drucksachen-Nr.) and an account, built once."""
    from pipelines.ingest import ImportOptions
    from pipelines.settings import load_settings
    from tests.conftest import EARLIER_CONFERENCE_ROWS, SMALL_CONFERENCE_ROWS, _write_rows_csv

    folder = tmp_path_factory.mktemp("permissions")
    path = folder / "template.sqlite"
    store = Store(f"sqlite:///{path}")
    settings = load_settings(None, embedding={"model": "hashing", "cache_dir": str(folder / "cache")})
    earlier = _write_rows_csv(folder / "earlier.csv", EARLIER_CONFERENCE_ROWS)
    import_files(store, [earlier], "Frühere Konferenz", hashing_resources.vocab,
                 ImportOptions(date="2024-03-20", city="Düren"))
    analyse_conference(store, "Frühere Konferenz", hashing_resources, settings)
    csv = _write_rows_csv(folder / "notes.csv", SMALL_CONFERENCE_ROWS)
    import_files(store, [csv], CONFERENCE, hashing_resources.vocab, ImportOptions(date="2026-03-18", city="Düren"))
    analyse_conference(store, CONFERENCE, hashing_resources, settings)
    admin = ReviewService(store, CONFERENCE, LOCAL_OPERATOR)
    clusters = admin.clusters()
    m = admin.promote([clusters[0].id], MeasureInput(title="Mehr Kita-Plätze"))
    admin.record_decision(m.id, DecisionInput(paper="DS 1/2026"), admin.measure(m.id).version)
    admin.promote([clusters[1].id], MeasureInput(title="Servicetelefon"))
    AccountService(store, LOCAL_OPERATOR).add("b.buero", "Sachbearbeitung", PASSWORD)
    store.close()
    return path


@pytest.fixture
def world(template: Path, tmp_path: Path) -> Iterator[World]:
    path = tmp_path / "world.sqlite"
    shutil.copy(template, path)
    store = Store(f"sqlite:///{path}")
    measures = sorted(m.id for m in ReviewService(store, CONFERENCE, "x").register())
    yield World(store, measures[0], measures[1])
    store.close()


def _pair(svc: ReviewService) -> tuple[Any, Any]:
    by_theme: dict[str, list[Any]] = {}
    for cluster in svc.clusters(with_members=True):
        by_theme.setdefault(cluster.theme, []).append(cluster)
    return next(cs for cs in by_theme.values() if len(cs) >= 2)[:2]


def _big(svc: ReviewService) -> Any:
    return next(c for c in svc.clusters(with_members=True) if len(c.members) >= 2 and not c.locked)


def _link(svc: ReviewService) -> Any:
    """The first link of the analysis to the earlier conference."""
    return next(e for lineage in svc.lineage().values() for e in lineage.earlier)


def _unlinked_pair(svc: ReviewService) -> tuple[int, int]:
    """A concern and an earlier concern it is not linked to."""
    lineage = svc.lineage()
    for cluster_id, found in sorted(lineage.items()):
        linked = {e.cluster_id for e in found.earlier}
        for earlier in sorted(svc.earlier_choices()):
            if earlier not in linked:
                return cluster_id, earlier
    raise AssertionError("every concern is linked to every earlier concern")


def _as_admin(w: World) -> ReviewService:
    """The same person under the rights of Leitung: makes the change an undo or redo acts on."""
    return ReviewService(w.store, CONFERENCE, Principal(NAME, LEITUNG))


def _undo(svc: ReviewService, w: World) -> Any:
    return svc.undo_last()


def _redo(svc: ReviewService, w: World) -> Any:
    return svc.redo_last()


def _prepare_undo(w: World) -> None:
    admin = _as_admin(w)
    c = admin.clusters()[0]
    admin.rename(c.id, "Vorher umbenannt", c.version)


def _prepare_redo(w: World) -> None:
    _prepare_undo(w)
    _as_admin(w).undo_last()


DECISIONS = "Drucksachen-Nr.;Ergebnis;Datum\nDS 1/2026;beschlossen;18.03.2026\n".encode()

#: every write of ReviewService: a valid call (name → (prepare, call))
REVIEW_WRITES: dict[str, tuple[Callable[[World], None] | None, Callable[[ReviewService, World], Any]]] = {
    "rename": (None, lambda s, w: s.rename(s.clusters()[0].id, "Neuer Name", s.clusters()[0].version)),
    "set_locked": (None, lambda s, w: s.set_locked(s.clusters()[0].id, True, s.clusters()[0].version)),
    "set_relevant": (None, lambda s, w: s.set_relevant(s.clusters()[0].id, False, s.clusters()[0].version)),
    "merge": (None, lambda s, w: s.merge({c.id: c.version for c in _pair(s)})),
    "split": (None, lambda s, w: s.split(_big(s).id, [_big(s).members[0].id], "Abgespalten", _big(s).version)),
    "move": (None, lambda s, w: s.move(_pair(s)[0].members[0].id, _pair(s)[1].id,
                                       {c.id: c.version for c in _pair(s)})),
    "promote": (None, lambda s, w: s.promote([s.clusters()[0].id], MeasureInput(title="Neue Maßnahme"))),
    "update_measure": (None, lambda s, w: s.update_measure(
        w.measure, MeasureInput(title="Anderer Titel"), s.measure(w.measure).version)),
    "set_parent": (None, lambda s, w: s.set_parent(w.other_measure, w.measure, 1.0, s.measure(w.other_measure).version)),
    "set_milestones": (None, lambda s, w: s.set_milestones(
        w.measure, [MilestoneInput(date="2026-05-01", title="Start")], s.measure(w.measure).version)),
    "record_decision": (None, lambda s, w: s.record_decision(
        w.measure, DecisionInput(paper="DS 1/2026", result="beschlossen", date="2026-03-18"),
        s.measure(w.measure).version)),
    "import_decisions": (None, lambda s, w: s.import_decisions(DECISIONS, "beschluesse.csv")),
    "confirm_link": (None, lambda s, w: s.confirm_link(_link(s).link_id)),
    "reject_link": (None, lambda s, w: s.reject_link(_link(s).link_id)),
    "set_link": (None, lambda s, w: s.set_link(*_unlinked_pair(s))),
    "undo_last": (_prepare_undo, _undo),
    "redo_last": (_prepare_redo, _redo),
}

ACCOUNT_WRITES: dict[str, Callable[[AccountService], Any]] = {
    "add": lambda a: a.add("c.neu", "Ausschuss", PASSWORD),
    "accounts": lambda a: a.accounts(),
    "disable": lambda a: a.disable("b.buero"),
    "reset_password": lambda a: a.reset_password("b.buero", "noch-ein-langes-passwort"),
}


def _public_methods(cls: type, own_only_of: type | None = None) -> set[str]:
    names = {n for n, v in vars(cls).items() if callable(v) and not n.startswith("_")}
    return names - set(vars(own_only_of)) if own_only_of else names


def test_every_write_of_the_services_is_guarded_and_tested() -> None:
    writes = _public_methods(ReviewService, ReviewReader) - SERVICE_READS
    assert writes == set(REVIEW_WRITES), "a write of ReviewService needs a case in REVIEW_WRITES"
    for name in writes:
        assert getattr(ReviewService, name).required_action in ("review", "measures"), name
    account_methods = _public_methods(AccountService)
    assert account_methods == set(ACCOUNT_WRITES)
    assert all(getattr(AccountService, n).required_action == "accounts" for n in account_methods)


def _allowed(role: str, action: str) -> bool:
    return action in PERMISSIONS[role]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method", sorted(REVIEW_WRITES))
def test_every_review_write_as_every_role(world: World, method: str, role: str, row_counts) -> None:
    prepare, call = REVIEW_WRITES[method]
    if prepare is not None:
        prepare(world)
    service = ReviewService(world.store, CONFERENCE, Principal(NAME, role))
    before = row_counts(world.store)
    events = len(service.events(limit=1000))

    if _allowed(role, getattr(ReviewService, method).required_action):
        call(service, world)
        assert len(service.events(limit=1000)) > events, f"{method} as {role} wrote no audit event"
        assert service.events(limit=1)[0].actor == NAME
    else:
        with pytest.raises(PermissionDeniedError, match=f"Keine Berechtigung: {NAME} \\(Rolle {role}\\)"):
            call(service, world)
        assert row_counts(world.store) == before
        assert len(service.events(limit=1000)) == events


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method", sorted(ACCOUNT_WRITES))
def test_every_account_change_as_every_role(world: World, method: str, role: str) -> None:
    accounts = AccountService(world.store, Principal(NAME, role))
    before = _account_rows(world.store)

    if _allowed(role, "accounts"):
        ACCOUNT_WRITES[method](accounts)
        if method != "accounts":
            assert _account_rows(world.store) != before
    else:
        with pytest.raises(PermissionDeniedError, match="Konten verwalten"):
            ACCOUNT_WRITES[method](accounts)
        assert _account_rows(world.store) == before


def _account_rows(store: Store) -> list[tuple[Any, ...]]:
    from sqlalchemy import select

    from models.records import Account

    with store.transaction() as session:
        return [tuple(r) for r in session.execute(select(Account.name, Account.role, Account.disabled,
                                                          Account.password_hash).order_by(Account.name))]


@pytest.mark.parametrize("role", ROLES)
def test_import_and_analysis_as_every_role(world: World, role: str, tmp_path: Path, write_csv,
                                           hashing_resources: Resources, settings: Settings) -> None:
    notes = write_csv(tmp_path / "neu.csv", [{"text": "Der Spielplatz in Birkesdorf ist kaputt.", "table": "1",
                                               "round": "1", "theme": "Wohnen"}])
    principal = Principal(NAME, role)
    before = _row_counts(world.store)

    if _allowed(role, "import"):
        report = import_files(world.store, [notes], CONFERENCE, hashing_resources.vocab, principal=principal)
        assert report.imported == 1
    else:
        with pytest.raises(PermissionDeniedError, match="Beiträge importieren"):
            import_files(world.store, [notes], CONFERENCE, hashing_resources.vocab, principal=principal)
        assert _row_counts(world.store) == before

    runs = _row_counts(world.store)["analysis_run"]
    if _allowed(role, "analyse"):
        analyse_conference(world.store, CONFERENCE, hashing_resources, settings, principal=principal)
        assert _row_counts(world.store)["analysis_run"] == runs + 1
    else:
        with pytest.raises(PermissionDeniedError, match="Konferenzen analysieren"):
            analyse_conference(world.store, CONFERENCE, hashing_resources, settings, principal=principal)
        assert _row_counts(world.store)["analysis_run"] == runs


def test_the_permission_table_matches_the_roles_of_the_issue() -> None:
    writes = {"import", "analyse", "review", "measures"}
    assert writes | {"accounts"} <= PERMISSIONS["Leitung"]
    assert writes <= PERMISSIONS["Sachbearbeitung"] and "accounts" not in PERMISSIONS["Sachbearbeitung"]
    assert not (writes | {"accounts", "workbench"}) & PERMISSIONS["Ausschuss"]
    assert {"committee_view", "reports"} <= PERMISSIONS["Ausschuss"]
    assert PERMISSIONS["Öffentlichkeit"] == {"public_report"}
    assert set(PERMISSIONS) == set(ROLES)


def test_a_plain_name_is_someone_without_sign_in_with_full_rights_and_the_cli_is_leitung() -> None:
    assert as_principal("Anna Amt") == Principal("Anna Amt", LEITUNG)
    assert LOCAL_OPERATOR.role == LEITUNG
    assert inspect.signature(import_files).parameters["principal"].default is LOCAL_OPERATOR
    with pytest.raises(PermissionDeniedError, match="Unbekannte Rolle"):
        Principal("x", "Chef")
    with pytest.raises(KeyError):
        require(LOCAL_OPERATOR, "fliegen")  # a typo in an action is a bug, never a silent refusal
