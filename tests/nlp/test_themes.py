"""Theme taxonomy and nearest-prototype theme inference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nlp.themes import Taxonomy, Theme, infer_themes, theme_prototypes

THEMES = Path(__file__).resolve().parents[2] / "data" / "themes.yml"


@pytest.fixture
def taxonomy() -> Taxonomy:
    return Taxonomy(
        (
            Theme("Arbeit", ("Arbeitsmarkt", "Jobcenter"), "Erwerbsarbeit", ("Kein Job",)),
            Theme("Bildung und Erziehung", ("Bildung", "Kita", "Bildung & Erziehung"), "Schule", ()),
        )
    )


def test_canonical_maps_names_and_aliases_case_insensitively(taxonomy: Taxonomy) -> None:
    assert taxonomy.canonical("Arbeit") == "Arbeit"
    assert taxonomy.canonical("arbeitsmarkt") == "Arbeit"
    assert taxonomy.canonical("  JOBCENTER ") == "Arbeit"
    assert taxonomy.canonical("KITA") == "Bildung und Erziehung"
    assert taxonomy.canonical("bildung & erziehung") == "Bildung und Erziehung"


def test_canonical_keeps_unknown_names(taxonomy: Taxonomy) -> None:
    assert taxonomy.canonical("Klimaschutz") == "Klimaschutz"
    assert taxonomy.canonical("  Klimaschutz ") == "Klimaschutz"


def test_canonical_gives_none_for_empty(taxonomy: Taxonomy) -> None:
    assert taxonomy.canonical(None) is None
    assert taxonomy.canonical("   ") is None


def test_taxonomy_from_yaml_resolves_its_own_aliases() -> None:
    taxonomy = Taxonomy.from_yaml(THEMES)
    assert "Arbeit" in taxonomy.names
    assert len(set(taxonomy.names)) == len(taxonomy.names)
    for theme in taxonomy.themes:
        assert theme.prototype_texts[0] == theme.description
        for alias in theme.aliases:
            assert taxonomy.canonical(alias.upper()) == theme.name


def test_theme_prototypes_are_unit_means() -> None:
    prototypes = theme_prototypes([np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[0.0, 3.0]])])
    assert prototypes.shape == (2, 2)
    np.testing.assert_allclose(prototypes[0], [np.sqrt(0.5), np.sqrt(0.5)], rtol=1e-6)
    np.testing.assert_allclose(prototypes[1], [0.0, 1.0])


def test_infer_themes_picks_nearest_prototype() -> None:
    prototypes = np.eye(3, dtype=np.float32)
    names = ["Arbeit", "Einkommen", "Wohnen"]
    rows = np.array([[0.1, 0.9, 0.0], [0.0, 0.2, 0.8], [0.95, 0.1, 0.1]], dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    chosen, confidence = infer_themes(rows, prototypes, names)
    assert chosen == ["Einkommen", "Wohnen", "Arbeit"]
    assert confidence.shape == (3,)
    assert np.all((confidence >= 0) & (confidence <= 1))


def test_infer_themes_is_more_confident_for_clearer_cases() -> None:
    prototypes = np.eye(2, dtype=np.float32)
    clear = np.array([1.0, 0.0])
    ambiguous = np.array([0.55, 0.45]) / np.linalg.norm([0.55, 0.45])
    tie = np.array([1.0, 1.0]) / np.sqrt(2)
    _, confidence = infer_themes(np.stack([clear, ambiguous, tie]), prototypes, ["A", "B"])
    assert confidence[0] > confidence[1] > confidence[2]
    assert confidence[2] == pytest.approx(0.5)
    assert confidence[0] > 0.99


def test_infer_themes_on_empty_input() -> None:
    chosen, confidence = infer_themes(np.zeros((0, 3)), np.eye(3, dtype=np.float32), ["a", "b", "c"])
    assert chosen == []
    assert confidence.shape == (0,)
