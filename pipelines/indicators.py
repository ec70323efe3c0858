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
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import InputError
from pipelines.example_data import read_mark

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


def indicator_districts(folder: Path) -> list[str]:
    """Districts that have at least one indicator."""
    return sorted({i.district for i in load_indicators(folder)})
