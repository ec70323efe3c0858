"""Shared fixtures. Fast tests use the hashing embedder; `slow` tests use real models.

PostgreSQL: the `postgres_url` fixture starts a real server on a free loopback port
for the session (Debian's initdb/pg_ctl, run as the `postgres` user when root).
`store_url` is parametrised over SQLite and PostgreSQL, so every store test runs
against both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from models.store import Store
from pipelines.cli import streamlit_command
from nlp.embed import HashingEmbedder
from pipelines.resources import Resources, build_resources
from pipelines.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
from local_postgres import free_port, postgres_bin, throwaway_postgres  # noqa: E402
DEMO_CSV = REPO / "data" / "demo" / "sozialraumkonferenz_2026.csv"
KOMMUKI = REPO.parent / "shared" / "eval" / "kommuki" / "kommuki_ideas_single_topic.csv"


@pytest.fixture
def taten_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty TATEN_HOME, so nothing touches the developer's database or caches."""
    home = tmp_path / "home"
    monkeypatch.setenv("TATEN_HOME", str(home))
    monkeypatch.delenv("TATEN_DATABASE_URL", raising=False)
    return home


@pytest.fixture
def settings(taten_home: Path) -> Settings:
    """Settings with the fast hashing embedder and a cache inside the temp home."""
    return load_settings(embedding={"model": "hashing", "cache_dir": str(taten_home / "cache")})


@pytest.fixture
def city_data_dir(tmp_path: Path) -> Path:
    """A copy of ``data/`` as a city would keep it: the same files, none marked as example data."""
    import yaml

    folder = tmp_path / "stadtdaten"
    shutil.copytree(REPO / "data", folder, ignore=shutil.ignore_patterns("*.csv.yml", "*.geojson.yml"))
    gazetteer = folder / "districts" / "dueren.yml"
    raw = yaml.safe_load(gazetteer.read_text(encoding="utf-8"))
    raw.pop("example_data"), raw.pop("source")
    gazetteer.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def e5_dir() -> Path:
    """The converted multilingual-e5-small of the default embedding, for `slow` tests with the real model."""
    folder = REPO / ".taten" / "models" / "multilingual-e5-small"
    if not (folder / "modules.json").exists():
        pytest.fail("multilingual-e5-small is not converted; run `make test` (it runs `taten setup`)")
    return folder


@pytest.fixture(scope="session")
def hashing_resources() -> Resources:
    return build_resources(load_settings(embedding={"model": "hashing"}), embedder=HashingEmbedder())


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server on loopback for the whole session."""
    if postgres_bin() is None:
        pytest.fail("PostgreSQL is not installed; run `make test`, which installs it with apt")
    with throwaway_postgres() as url:
        yield url


_db_counter = iter(range(10**6))


def _new_database(request: pytest.FixtureRequest, tmp_path: Path, backend: str, name: str | None = None) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / (name or f'taten{next(_db_counter)}.sqlite')}"
    import psycopg

    base = request.getfixturevalue("postgres_url")
    name = f"t{next(_db_counter)}_{int(time.time() * 1000) % 10**8}"
    plain = base.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL: a SQLite file, or a new database on the test server."""
    return _new_database(request, tmp_path, request.param, "taten.sqlite")


@pytest.fixture
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """Makes fresh, empty databases: ``new_database("sqlite")`` or ``new_database("postgres")``."""
    return lambda backend: _new_database(request, tmp_path, backend)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store(store_url)
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A store on a fresh SQLite file, for pipeline tests that need no PostgreSQL."""
    s = Store(f"sqlite:///{tmp_path / 'pipeline.sqlite'}")
    yield s
    s.close()


def _row_counts(store: Store) -> dict[str, int]:
    from sqlalchemy import func, select

    from models.records import AnalysisRun, Assignment, Cluster, Conference, Contribution, ImportBatch

    with store.transaction() as session:
        return {
            record.__tablename__: int(session.scalar(select(func.count()).select_from(record)) or 0)
            for record in (Conference, ImportBatch, Contribution, AnalysisRun, Cluster, Assignment)
        }


@pytest.fixture
def row_counts() -> Callable[[Store], dict[str, int]]:
    """Rows per table of a store: ``row_counts(store)["contribution"]``."""
    return _row_counts


# A small hand-made conference: three themes, two tables each, two concerns per theme
# said in several ways, plus rows without a theme (one at a themed table, two at none).
SMALL_CONFERENCE_ROWS: list[dict[str, str]] = [
    # Bildung und Erziehung, tables 1 and 2
    {"text": "Kita-Plätze fehlen in Nord-Düren", "table": "1", "theme": "Bildung", "round": "1", "district": "Nord-Düren"},
    {"text": "Es fehlen Kita-Plätze im Norden", "table": "1", "theme": "Bildung", "round": "1", "district": "Nord-Düren"},
    {"text": "Kita-Plätze fehlen, Eltern warten ewig", "table": "2", "theme": "Bildung", "round": "2", "district": "Ost"},
    {"text": "Zu wenige Kita-Plätze für Kinder unter drei", "table": "2", "theme": "Bildung", "round": "2", "district": ""},
    {"text": "Kita-Plätze fehlen dringend", "table": "1", "theme": "Bildung", "round": "2", "district": "Birkesdorf"},
    {"text": "Schulsozialarbeit an jeder Grundschule", "table": "1", "theme": "Bildung", "round": "1", "district": ""},
    {"text": "Schulsozialarbeit dauerhaft finanzieren", "table": "2", "theme": "Bildung", "round": "1", "district": "Ost"},
    {"text": "Mehr Schulsozialarbeit an Grundschulen", "table": "2", "theme": "Bildung", "round": "2", "district": ""},
    {"text": "Schulsozialarbeit fehlt an der Grundschule Nord", "table": "1", "theme": "Bildung", "round": "2", "district": "Nord-Düren"},
    # Arbeit, tables 3 and 4
    {"text": "Jobcenter telefonisch nicht erreichbar", "table": "3", "theme": "Arbeit", "round": "1", "district": ""},
    {"text": "Das Jobcenter ist telefonisch kaum erreichbar", "table": "4", "theme": "Arbeit", "round": "1", "district": "Ost"},
    {"text": "Jobcenter nicht erreichbar, Termine fehlen", "table": "3", "theme": "Arbeit", "round": "2", "district": ""},
    {"text": "Jobcenter telefonisch schlecht erreichbar", "table": "4", "theme": "Arbeit", "round": "2", "district": "Birkesdorf"},
    {"text": "Anerkennung ausländischer Abschlüsse dauert zu lange", "table": "3", "theme": "Arbeit", "round": "1", "district": ""},
    {"text": "Die Anerkennung ausländischer Abschlüsse dauert ewig", "table": "4", "theme": "Arbeit", "round": "2", "district": "Innenstadt"},
    {"text": "Anerkennung ausländischer Abschlüsse beschleunigen", "table": "3", "theme": "Arbeit", "round": "2", "district": ""},
    {"text": "Anerkennung der Abschlüsse aus dem Ausland dauert lange", "table": "4", "theme": "Arbeit", "round": "1", "district": ""},
    # Einkommen, tables 5 and 6
    {"text": "Stromsperren nehmen zu", "table": "5", "theme": "Einkommen", "round": "1", "district": "Nord-Düren"},
    {"text": "Immer mehr Stromsperren bei Familien", "table": "6", "theme": "Einkommen", "round": "1", "district": "Nord-Düren"},
    {"text": "Stromsperren bei Familien verhindern", "table": "5", "theme": "Einkommen", "round": "2", "district": "Nord-Düren"},
    {"text": "Stromsperren nehmen in Nord-Düren zu", "table": "6", "theme": "Einkommen", "round": "2", "district": "Nord-Düren"},
    {"text": "Die Tafel hat einen Aufnahmestopp", "table": "5", "theme": "Einkommen", "round": "1", "district": ""},
    {"text": "Tafel Aufnahmestopp seit Monaten", "table": "6", "theme": "Einkommen", "round": "1", "district": "Ost"},
    {"text": "Aufnahmestopp bei der Tafel aufheben", "table": "5", "theme": "Einkommen", "round": "2", "district": ""},
    {"text": "Die Tafel hat wieder Aufnahmestopp", "table": "6", "theme": "Einkommen", "round": "2", "district": ""},
    # no theme in the row: tables 1 and 5 have exactly one theme each
    {"text": "Kita-Plätze fehlen auch in Gürzenich", "table": "1", "theme": "", "round": "2", "district": "Gürzenich"},
    {"text": "Stromsperren treffen Alleinerziehende", "table": "5", "theme": "", "round": "2", "district": ""},
    # no theme and no table: inferred
    {"text": "Langzeitarbeitslose ohne Berufsabschluss finden keinen Einstieg", "table": "", "theme": "", "round": "", "district": ""},
    {"text": "Rente reicht nicht für Miete und Strom", "table": "", "theme": "", "round": "", "district": ""},
    {"text": "Schuldnerberatung hat Monate Wartezeit", "table": "", "theme": "", "round": "", "district": ""},
]


def _write_rows_csv(path: Path, rows: list[dict[str, str]], delimiter: str = ";") -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def write_csv() -> Callable[..., Path]:
    """``write_csv(path, rows, delimiter=";")`` writes dict rows with their keys as header."""
    return _write_rows_csv


@pytest.fixture
def small_conference_rows() -> list[dict[str, str]]:
    return [dict(row) for row in SMALL_CONFERENCE_ROWS]


# 2024: the Kita and Stromsperren concerns (said in other words), and one that 2026 no longer raises
EARLIER_CONFERENCE_ROWS = [
    {"text": text, "table": table, "theme": theme, "round": "1", "district": ""}
    for text, table, theme in [
        ("Kita-Plätze fehlen überall", "1", "Bildung"), ("Es fehlen Kita-Plätze für die Kleinen", "2", "Bildung"),
        ("Kita-Plätze fehlen seit Jahren", "1", "Bildung"), ("Kita-Plätze fehlen, Warteliste voll", "2", "Bildung"),
        ("Hallenbad geschlossen, Schwimmkurse fallen aus", "1", "Bildung"),
        ("Schwimmkurse fallen aus, Hallenbad zu", "2", "Bildung"),
        ("Hallenbad geschlossen, keine Schwimmkurse", "1", "Bildung"),
        ("Schwimmkurse für Kinder fallen aus, Hallenbad geschlossen", "2", "Bildung"),
        ("Stromsperren nehmen stark zu", "5", "Einkommen"), ("Stromsperren bei vielen Familien", "6", "Einkommen"),
        ("Stromsperren bei Familien nehmen zu", "5", "Einkommen"), ("Immer mehr Stromsperren", "6", "Einkommen"),
    ]
]




@pytest.fixture
def earlier_conference_csv(tmp_path: Path) -> Path:
    """The same city two years before the small conference (import with date 2024-03-20, city Düren)."""
    return _write_rows_csv(tmp_path / "konferenz_2024.csv", EARLIER_CONFERENCE_ROWS)


@pytest.fixture
def small_conference_csv(tmp_path: Path) -> Path:
    """The small hand-made conference as a semicolon CSV."""
    return _write_rows_csv(tmp_path / "kleine_konferenz.csv", SMALL_CONFERENCE_ROWS)


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright, one per test run.

    One session fixture for every browser test: Playwright's sync API keeps an event
    loop running while it is open, so a second ``sync_playwright()`` would refuse to start.
    """
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed; run `make system-packages` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def serve_workbench(database_url: str, home: Path) -> Iterator[str]:
    """``streamlit run ui/app.py`` as ``taten ui`` starts it, on a free loopback port over
    ``database_url``; yields its URL.

    The hashing embedder keeps the import page from loading a real model; the
    server's output goes to ``home/streamlit.log`` and is shown when it fails.
    """
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "TATEN_HOME": str(home), "TATEN_DATABASE_URL": database_url,
           "TATEN_EMBEDDING__MODEL": "hashing", "PYTHONUNBUFFERED": "1"}
    log = home / "streamlit.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*streamlit_command(port), "--server.fileWatcherType", "none"],  # what `taten ui` starts
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"streamlit did not answer /_stcore/health within {timeout:.0f} s:\n"
                f"{log.read_text(errors='replace')[-3000:]}")
