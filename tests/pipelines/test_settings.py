"""Settings: typos fail, the environment is read, TATEN_DATABASE_URL wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.errors import ConfigError
from pipelines.settings import load_settings


def test_unknown_key_in_a_section_raises_config_error(taten_home: Path) -> None:
    with pytest.raises(ConfigError, match=r"Ungültige Einstellung – clustering\.kk"):
        load_settings(clustering={"kk": 3})


def test_unknown_top_level_key_raises_config_error(taten_home: Path) -> None:
    with pytest.raises(ConfigError, match="clusterin"):
        load_settings(clusterin={"k": 3})


def test_invalid_value_raises_config_error(taten_home: Path) -> None:
    with pytest.raises(ConfigError, match=r"clustering\.k"):
        load_settings(clustering={"k": 0})


def test_typo_in_a_yaml_file_raises_config_error(taten_home: Path, tmp_path: Path) -> None:
    path = tmp_path / "taten.yml"
    path.write_text("clustering:\n  k: 4\n  seeed: 1\n", encoding="utf-8")

    with pytest.raises(ConfigError, match=r"clustering\.seeed"):
        load_settings(path)


def test_unreadable_yaml_file_raises_config_error(taten_home: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nicht lesbar"):
        load_settings(tmp_path / "fehlt.yml")


def test_yaml_file_values_are_used_and_overrides_merge_into_them(taten_home: Path, tmp_path: Path) -> None:
    path = tmp_path / "taten.yml"
    path.write_text("clustering:\n  k: 4\n  seed: 7\nranking:\n  tables: 2.5\n", encoding="utf-8")

    settings = load_settings(path, clustering={"k": 9})

    assert (settings.clustering.k, settings.clustering.seed, settings.ranking.tables) == (9, 7, 2.5)


def test_nested_environment_variable_is_read(taten_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TATEN_CLUSTERING__K", "12")
    monkeypatch.setenv("TATEN_EMBEDDING__MODEL", "hashing")

    settings = load_settings()

    assert settings.clustering.k == 12
    assert settings.embedding.model == "hashing"


def test_database_url_from_environment_wins_over_storage_url(
    taten_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "taten.yml"
    path.write_text("storage:\n  url: sqlite:///aus-datei.sqlite\n", encoding="utf-8")
    monkeypatch.setenv("TATEN_DATABASE_URL", "postgresql+psycopg://taten@db/taten")

    assert load_settings(path).db_url == "postgresql+psycopg://taten@db/taten"
    assert load_settings(storage={"url": "sqlite:///anders.sqlite"}).db_url == "postgresql+psycopg://taten@db/taten"


def test_default_database_lives_in_taten_home(taten_home: Path) -> None:
    settings = load_settings()

    assert settings.db_url == f"sqlite:///{taten_home / 'taten.sqlite'}"
    assert settings.embedding_cache_dir == taten_home / "cache"


def test_settings_are_frozen(taten_home: Path) -> None:
    settings = load_settings()

    with pytest.raises(Exception, match="frozen"):
        settings.clustering.k = 3  # type: ignore[misc]


def test_sources_merge_key_by_key_cli_over_environment_over_file(
    taten_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "taten.yml"
    config.write_text("clustering:\n  k: 5\n  seed: 3\nembedding:\n  model: use\n", encoding="utf-8")
    monkeypatch.setenv("TATEN_CLUSTERING__K", "7")

    from_env = load_settings(config)
    assert (from_env.clustering.k, from_env.clustering.seed, from_env.embedding.model) == (7, 3, "use")

    from_cli = load_settings(config, clustering={"k": 9})
    assert (from_cli.clustering.k, from_cli.clustering.seed) == (9, 3)


def test_yaml_file_without_sections_raises_config_error(taten_home: Path, tmp_path: Path) -> None:
    config = tmp_path / "taten.yml"
    config.write_text("- nur eine Liste\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="muss Abschnitte enthalten"):
        load_settings(config)
