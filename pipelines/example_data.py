"""Which data files in use are invented example data, so that every surface says so.

The demo's gazetteer (``data/districts/dueren.yml``) and indicator values
(``data/indicators/dueren.csv``) are fictional. The mark sits in the files
themselves, so a city's own files, which carry none, show none:

* a YAML data file has top-level keys ``example_data: true`` and ``source:`` (what it is);
* a CSV file has a sidecar ``<file>.yml`` beside it with the same two keys
  (``dueren.csv`` → ``dueren.csv.yml``).

Pages, exports and reports ask :func:`example_notice` and show its sentence,
which starts with :data:`EXAMPLE_MARK`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipelines.errors import ConfigError
from pipelines.settings import NlpSettings

EXAMPLE_MARK = "Beispieldaten – fiktiv"
DISTRICTS = "districts"
INDICATORS = "indicators"
_LABELS = {DISTRICTS: "Sozialräume", INDICATORS: "Indikatoren"}


@dataclass(frozen=True)
class DataMark:
    """What a data file says about itself."""

    file: str  # relative to the data folder, as people name it
    example: bool
    source: str  # the file's ``source`` text; "" when it names none


def sidecar(path: Path) -> Path:
    """The YAML beside a CSV that describes it: ``dueren.csv`` → ``dueren.csv.yml``."""
    return path.with_name(path.name + ".yml")


def read_mark(path: Path, data_dir: Path | None = None) -> DataMark:
    """The mark of one data file: a YAML's own keys, a CSV's sidecar; unmarked files are a city's own.

    Raises:
        ConfigError: the YAML is unreadable or ``example_data`` is not true/false.
    """
    path = Path(path)
    described = path if path.suffix.lower() in (".yml", ".yaml") else sidecar(path)
    name = path.relative_to(data_dir).as_posix() if data_dir and path.is_relative_to(data_dir) else path.name
    if not described.is_file():
        return DataMark(name, False, "")
    try:
        raw = yaml.safe_load(described.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{described.name} ist nicht lesbar: {exc}") from exc
    example = raw.get("example_data", False) if isinstance(raw, dict) else False
    if not isinstance(example, bool):
        raise ConfigError(f"{described.name}: 'example_data' muss true oder false sein, nicht {example!r}.")
    return DataMark(name, example, str(raw.get("source") or "").strip())


def example_files(nlp: NlpSettings, what: Collection[str] = (DISTRICTS, INDICATORS)) -> dict[str, list[DataMark]]:
    """The marked example files in use, by kind (``districts``: the gazetteer; ``indicators``)."""
    data_dir = Path(nlp.data_dir)
    found: dict[str, list[DataMark]] = {}
    if DISTRICTS in what:
        marks = [read_mark(data_dir / nlp.gazetteer, data_dir)]
        found[DISTRICTS] = [m for m in marks if m.example]
    if INDICATORS in what:
        folder = data_dir / "indicators"
        paths = sorted(folder.glob("*.csv")) if folder.is_dir() else []
        found[INDICATORS] = [m for m in (read_mark(p, data_dir) for p in paths) if m.example]
    return {kind: marks for kind, marks in found.items() if marks}


def example_notice(nlp: NlpSettings, what: Collection[str] = (DISTRICTS, INDICATORS)) -> str | None:
    """One German sentence naming the example files in use, or None when all are a city's own.

    ``what`` limits it to what a surface shows: the committee view shows districts,
    not indicators.
    """
    found = example_files(nlp, what)
    if not found:
        return None
    parts = [f"{_LABELS[kind]} ({', '.join(m.file for m in marks)})" for kind, marks in found.items()]
    return (f"{EXAMPLE_MARK}: {' und '.join(parts)} sind erfundene Demo-Daten, keine amtlichen Angaben. "
            "Für echte Auswertungen die eigenen Dateien der Stadt hinterlegen.")
