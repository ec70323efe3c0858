"""Benchmark: import 100 Word files with 10,000 notes (parse, find districts, pseudonymise, store).

Generates realistic German table notes – headings "Tisch N – Thema" and "Runde N",
bullets, multi-sentence paragraphs, some with names, phone numbers and street
addresses – into a temporary folder, imports them into a temporary SQLite database
with the settings' pseudonymiser and prints the figures.

    .venv/bin/python scripts/benchmark_import.py [--files 100] [--notes 10000]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

THEMES = ["Wohnen", "Arbeit", "Einkommen", "Bildung", "Sicherheit", "Integration"]
NOTES = [
    "Kita-Plätze fehlen in {district}",
    "Der Bus nach {district} fährt abends nur einmal pro Stunde",
    "Mieten in {district} sind für Familien nicht mehr bezahlbar",
    "Jobcenter telefonisch kaum erreichbar, Termine erst nach Wochen",
    "Spielplatz am {landmark} ist seit Monaten kaputt",
    "Angstraum im {landmark}: Beleuchtung fehlt",
    "Schulsozialarbeit an jeder Grundschule dauerhaft finanzieren",
    "Stromsperren nehmen zu, Familien sitzen im Dunkeln",
    "Sprachkurse haben lange Wartelisten",
    "Ältere Menschen in {district} vereinsamen",
    "Die Tafel hat einen Aufnahmestopp",
    "Anerkennung ausländischer Abschlüsse dauert zu lange",
]
PII = [
    "Frau {surname} aus der {street} {number} meldet Schimmel in der Wohnung",
    "Herr {first} {surname} bittet um Rückruf unter 02421 {phone}",
    "{first} (Schülerin) sagt, der Schulweg über die {street} ist gefährlich",
]
SECOND = [
    "Das betrifft vor allem Alleinerziehende.", "Dort trifft sich abends niemand mehr.",
    "Der Bus fährt z.B. nur bis 19 Uhr.", "Außerdem fehlt ein Treffpunkt für Jugendliche.",
]
DISTRICTS = ["Birkesdorf", "Nord-Düren", "Innenstadt", "Gürzenich", "Ost", "Süd-Ost", "Rölsdorf", "Mariaweiler"]
LANDMARKS = ["Rurpark", "Bahnhof", "Kaiserplatz", "Holzbendenpark", "Stadtpark"]
STREETS = ["Veldener Straße", "Kölnstraße", "Zülpicher Straße", "Goethestraße", "Blücherstraße"]
FIRST = ["Anna", "Mehmet", "Jana", "Lukas", "Fatma", "Peter"]
SURNAMES = ["Schmitz", "Becker", "Yilmaz", "Kowalski", "Hoffmann", "Jansen"]


def _note(rng: random.Random) -> str:
    template = rng.choice(PII) if rng.random() < 0.1 else rng.choice(NOTES)
    text = template.format(
        district=rng.choice(DISTRICTS), landmark=rng.choice(LANDMARKS), street=rng.choice(STREETS),
        number=rng.randint(1, 120), first=rng.choice(FIRST), surname=rng.choice(SURNAMES),
        phone=rng.randint(100000, 999999),
    )
    return f"{text} (Nr. {rng.randint(1, 10**6)})"  # distinct notes, so none is a duplicate


def generate(folder: Path, files: int, notes: int, seed: int = 7) -> int:
    """Write ``files`` Word files holding about ``notes`` notes; return the notes written."""
    import docx

    rng = random.Random(seed)
    written = 0
    per_file = notes // files
    for index in range(files):
        document = docx.Document()
        table, theme = index % 9 + 1, THEMES[index % len(THEMES)]
        document.add_heading(f"Tisch {table} – {theme}", level=1)
        for round_ in (1, 2):
            document.add_heading(f"Runde {round_}", level=2)
            count = per_file // 2 if round_ == 1 else per_file - per_file // 2
            k = 0
            while k < count:
                if rng.random() < 0.2 and count - k >= 2:
                    # a paragraph with two sentences about different things: two notes
                    first, second = _note(rng), _note(rng)
                    document.add_paragraph(f"{first}. {second}.")
                    k += 2
                else:
                    note = _note(rng)
                    if rng.random() < 0.15:
                        note += ". " + rng.choice(SECOND)  # stays one note: a bullet is never split
                    document.add_paragraph(note, style="List Bullet")
                    k += 1
        document.save(folder / f"Tisch{table}_{theme}_{index:03d}.docx")
        written += per_file
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--notes", type=int, default=10_000)
    args = parser.parse_args()

    from models.store import Store
    from pipelines.ingest import ImportOptions, import_files
    from pipelines.resources import load_vocabularies
    from pipelines.settings import load_settings

    with tempfile.TemporaryDirectory(prefix="taten-bench-") as tmp:
        folder = Path(tmp) / "notizen"
        folder.mkdir()
        started = time.perf_counter()
        expected = generate(folder, args.files, args.notes)
        generated = time.perf_counter() - started

        settings = load_settings(embedding={"model": "hashing"})
        started = time.perf_counter()
        vocab = load_vocabularies(settings)
        store = Store(f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        setup = time.perf_counter() - started

        started = time.perf_counter()
        report = import_files(store, [folder], "Benchmark", vocab, ImportOptions(strict=True))
        seconds = time.perf_counter() - started
        stored = store.count_contributions(store.get_conference("Benchmark").id)
        store.close()

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    masked = report.pseudonymised_counts
    print(f"files: {args.files}, notes written: {expected}, stored: {stored}")
    print(f"generate DOCX: {generated:.1f} s (not counted); set-up (vocabularies, name lists, store): {setup:.1f} s")
    print(f"import (parse + districts + pseudonymise + store): {seconds:.1f} s, {stored / seconds:,.0f} notes/s")
    print(f"pseudonymised spans: {dict(sorted(masked.items()))}")
    print(f"peak RSS: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
