"""Invented example data say so; a city's own files carry no mark and show none."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.errors import ConfigError
from pipelines.example_data import DISTRICTS, EXAMPLE_MARK, example_notice, read_mark
from pipelines.indicators import load_indicators
from pipelines.settings import REPO_ROOT, NlpSettings


def test_the_demo_gazetteer_and_indicators_are_marked_as_example_data() -> None:
    data = REPO_ROOT / "data"
    assert read_mark(data / "districts" / "dueren.yml", data).example
    assert read_mark(data / "indicators" / "dueren.csv", data).example
    assert all(i.example for i in load_indicators(data / "indicators"))

    notice = example_notice(NlpSettings())

    assert notice is not None and notice.startswith(EXAMPLE_MARK)
    assert "Sozialräume (districts/dueren.yml)" in notice and "Indikatoren (indicators/dueren.csv)" in notice


def test_a_surface_without_indicators_names_only_the_gazetteer() -> None:
    notice = example_notice(NlpSettings(), what=(DISTRICTS,))
    assert notice is not None and "Sozialräume" in notice and "Indikatoren" not in notice


def test_a_citys_own_files_show_no_mark(city_data_dir: Path) -> None:
    nlp = NlpSettings(data_dir=city_data_dir)

    assert example_notice(nlp) is None
    assert not any(i.example for i in load_indicators(city_data_dir / "indicators"))


def test_a_sidecar_can_say_the_values_are_real(city_data_dir: Path) -> None:
    sidecar = city_data_dir / "indicators" / "dueren.csv.yml"
    sidecar.write_text("example_data: false\nsource: Sozialraumbericht 2025, Amt für Statistik\n", encoding="utf-8")

    mark = read_mark(city_data_dir / "indicators" / "dueren.csv", city_data_dir)

    assert (mark.example, mark.source) == (False, "Sozialraumbericht 2025, Amt für Statistik")
    assert example_notice(NlpSettings(data_dir=city_data_dir)) is None


def test_a_mark_that_is_not_true_or_false_is_refused(city_data_dir: Path) -> None:
    (city_data_dir / "indicators" / "dueren.csv.yml").write_text("example_data: vielleicht\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="'example_data' muss true oder false sein"):
        example_notice(NlpSettings(data_dir=city_data_dir))
