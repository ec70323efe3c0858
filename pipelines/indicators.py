"""Indicators of the social-space report (Sozialraumbericht), read from data files.

Any CSV under ``<data_dir>/indicators/`` with the columns ``district, indicator,
value, unit, year`` counts; a city drops in its own file. A district without a
row simply has no indicators. A sidecar ``<file>.yml`` with ``example_data: true``
marks a file's values as invented (see :mod:`pipelines.example_data`).
"""

from __future__ import annotations

import csv
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import InputError
from pipelines.example_data import read_mark
from pipelines.formats import number

logger = logging.getLogger(__name__)

COLUMNS = ("district", "indicator", "value", "unit", "year")


@dataclass(frozen=True)
class Indicator:
    district: str
    indicator: str
    value: str
    unit: str
    year: str
    source: str
    example: bool = False  # the file is marked as invented example data

    @property
    def number(self) -> float | None:
        """The value as a number ("17.8" or "17,8"); None for anything else ("–", "")."""
        try:
            value = float(self.value.strip().replace(",", "."))
        except ValueError:
            return None
        return value if math.isfinite(value) else None


def load_indicators(folder: Path) -> list[Indicator]:
    """Every indicator row of every CSV in ``folder`` (none when the folder is missing).

    Raises:
        InputError: a file lacks one of :data:`COLUMNS`.
    """
    if not folder.is_dir():
        return []
    out: list[Indicator] = []
    for path in sorted(folder.glob("*.csv")):
        example = read_mark(path).example
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(
                    f"{path.name}: Spalten fehlen: {', '.join(missing)}. Erwartet: {', '.join(COLUMNS)}.")
            for row in reader:
                if (row.get("district") or "").strip():
                    out.append(Indicator(*(str(row.get(c) or "").strip() for c in COLUMNS), source=path.name,
                                         example=example))
    return out


def indicators_for(district: str, folder: Path) -> list[Indicator]:
    """The indicators of one district, in file order."""
    return [i for i in load_indicators(folder) if i.district == district]


def indicator_districts(indicators: Sequence[Indicator]) -> list[str]:
    """Districts that have at least one indicator among ``indicators`` (as :func:`load_indicators` reads them)."""
    return sorted({i.district for i in indicators})


def figure(value: float) -> str:
    """An indicator value the German way: "21,6", and whole numbers such as Einwohner without decimals."""
    return number(value, 0 if abs(value) >= 1000 else 1)


@dataclass(frozen=True)
class Series:
    """One indicator of one district over the years of the files, latest last."""

    district: str
    indicator: str
    unit: str
    points: tuple[tuple[str, float], ...]  # (year, value), oldest first
    example: bool
    source: str  # the file of the latest value

    @property
    def value(self) -> float:
        return self.points[-1][1]

    @property
    def year(self) -> str:
        return self.points[-1][0]

    def trend(self) -> str:
        """"15,2 → 17,8 (2021–2025)", or "" with a single year."""
        if len(self.points) < 2:
            return ""
        (first_year, first), (last_year, last) = self.points[0], self.points[-1]
        arrow = "↑" if last > first else "↓" if last < first else "→"
        return f"{arrow} {figure(first)} → {figure(last)} ({first_year}–{last_year})"


def series_of(indicators: Sequence[Indicator]) -> dict[tuple[str, str], Series]:
    """(district, indicator) → its values over the years; rows without a number are left out."""
    points: dict[tuple[str, str], dict[str, float]] = {}
    latest: dict[tuple[str, str], Indicator] = {}
    for i in indicators:
        if i.number is None:
            continue
        key = (i.district, i.indicator)
        points.setdefault(key, {})[i.year] = i.number
        if key not in latest or i.year >= latest[key].year:
            latest[key] = i
    return {key: Series(key[0], key[1], latest[key].unit, tuple(sorted(years.items())), latest[key].example,
                        latest[key].source) for key, years in points.items()}
