"""Indicator files of the social-space report, per district."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.errors import InputError
from pipelines.indicators import indicator_districts, indicators_for, load_indicators
from pipelines.settings import REPO_ROOT


def test_dueren_file_gives_indicators_per_district() -> None:
    folder = REPO_ROOT / "data" / "indicators"
    rows = indicators_for("Innenstadt", folder)
    assert rows and {r.district for r in rows} == {"Innenstadt"}
    assert any(r.indicator == "SGB-II-Quote" and r.unit == "%" for r in rows)
    assert "Nord-Düren" in indicator_districts(load_indicators(folder))
    assert indicators_for("Atlantis", folder) == []


def test_missing_folder_means_no_indicators(tmp_path: Path) -> None:
    assert load_indicators(tmp_path / "gibt-es-nicht") == []


def test_file_without_the_columns_is_refused(tmp_path: Path) -> None:
    (tmp_path / "kaputt.csv").write_text("bezirk,wert\nInnenstadt,3\n", encoding="utf-8")
    with pytest.raises(InputError, match="kaputt.csv: Spalten fehlen: district, indicator"):
        load_indicators(tmp_path)
