"""Theme taxonomy and nearest-prototype theme inference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nlp.themes import Taxonomy, Theme, infer_themes, theme_prototypes, typicality_floor

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


def test_typicality_floor_compares_each_text_with_its_theme_without_it() -> None:
    a = np.array([[1.0, 0.0, 0.0], [0.8, 0.6, 0.0], [1.0, 0.0, 0.0]], dtype=np.float32)
    lone = np.array([[0.0, 0.0, 1.0]], dtype=np.float32)  # one text: nothing to leave out

    # leave-one-out similarities of theme a: 1.0 (row 0 vs mean of rows 1, 2), 0.8 (row 1), 1.0 → 0.8 … 1.0
    row0 = float(a[0] @ (a[1] + a[2]) / np.linalg.norm(a[1] + a[2]))
    assert typicality_floor([a, lone], quantile=0.0) == pytest.approx(0.8)
    assert typicality_floor([a, lone], quantile=1.0) == pytest.approx(row0)
    assert typicality_floor([lone]) is None


def test_a_note_far_from_every_theme_is_unsure_even_when_one_theme_is_nearest() -> None:
    prototypes = np.eye(3, dtype=np.float32)[:2]  # two themes in a three-dimensional space
    near = np.array([0.95, 0.05, 0.3])
    far = np.array([0.25, 0.05, 0.97])  # nearest to theme A, but far from it
    rows = np.stack([near, far]) / np.linalg.norm(np.stack([near, far]), axis=1, keepdims=True)

    plain_names, plain = infer_themes(rows, prototypes, ["A", "B"])
    names, confidence = infer_themes(rows, prototypes, ["A", "B"], floor=0.6)

    assert plain_names == names == ["A", "A"]
    assert plain[1] > 0.99  # without the floor, far from both still looks certain
    assert confidence[0] > 0.99 and confidence[1] < 0.01
