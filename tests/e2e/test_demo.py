"""The demo conference end to end with the real default embedding (use+e5), on SQLite
and on a real PostgreSQL server: the concerns its notes were written to express are
found, nothing collapses, and the ranking equals the golden file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
from regenerate_golden import DEMO, GOLDEN, ranked_concerns  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def e5_dir() -> Path:
    folder = REPO / ".taten" / "models" / "multilingual-e5-small"
    if not (folder / "modules.json").exists():
        pytest.fail("multilingual-e5-small is not converted; run `make test` (it runs `taten setup`)")
    return folder


@pytest.fixture
def demo_concerns(store_url: str, e5_dir: Path, tmp_path_factory: pytest.TempPathFactory,
                  monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    home = tmp_path_factory.getbasetemp() / "demo-home"  # shared: the second backend reuses the embeddings
    monkeypatch.setenv("TATEN_HOME", str(home))
    monkeypatch.setenv("TATEN_EMBEDDING__E5_DIR", str(e5_dir))
    return ranked_concerns(store_url)


def test_demo_ranking_matches_golden_file(demo_concerns: list[dict]) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert demo_concerns == golden, "ranking changed; if intended, run scripts/regenerate_golden.py and review"


def test_demo_clusters_find_the_written_concerns(demo_concerns: list[dict], tmp_path: Path) -> None:
    truth = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    cluster_of = {h: c["rank"] for c in demo_concerns for h in c["members"]}
    assert len(cluster_of) == len(truth), "every note belongs to exactly one cluster (nothing unclustered)"
    # Line each stored note up with its CSV row through its source position ("Zeile 2" = first row).
    from models.store import Store
    from pipelines.ingest import import_files
    from pipelines.resources import load_vocabularies
    from pipelines.settings import load_settings

    store = Store(f"sqlite:///{tmp_path / 'alignment.sqlite'}")
    try:
        import_files(store, [DEMO], "Abgleich", load_vocabularies(load_settings()))
        stored = store.contributions(store.get_conference("Abgleich").id)
    finally:
        store.close()
    row_of = {c.content_hash[:12]: int(c.source_position.removeprefix("Zeile ")) - 2 for c in stored}
    predicted = [0] * len(truth)
    for content_hash, rank in cluster_of.items():
        predicted[row_of[content_hash]] = rank
    ari = adjusted_rand_score(truth["concern"], predicted)
    assert ari >= 0.18, f"ARI against the written concerns fell to {ari:.3f}"


def test_demo_has_no_collapsed_theme(demo_concerns: list[dict]) -> None:
    for theme in {c["theme"] for c in demo_concerns}:
        sizes = np.array([c["size"] for c in demo_concerns if c["theme"] == theme])
        assert sizes.max() / sizes.sum() < 0.5, f"{theme}: one cluster holds {sizes.max()} of {sizes.sum()} notes"
        assert len(sizes) >= 3


def test_theme_inference_beats_chance_on_demo_notes(e5_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Notes stripped of their table's theme get it back far more often than chance (1/6),
    and a higher confidence means a more often right answer."""
    monkeypatch.setenv("TATEN_HOME", str(tmp_path))
    monkeypatch.setenv("TATEN_EMBEDDING__E5_DIR", str(e5_dir))
    from nlp.embed import l2_normalise
    from nlp.text import clean_text
    from nlp.themes import infer_themes, theme_prototypes
    from pipelines.resources import build_resources
    from pipelines.settings import load_settings

    resources = build_resources(load_settings())
    truth = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    taxonomy = resources.vocab.taxonomy
    embeddings = resources.embedder.encode([clean_text(t) for t in truth["text"]])
    prototypes = theme_prototypes([resources.embedder.encode(t.prototype_texts) for t in taxonomy.themes])
    names, confidence = infer_themes(l2_normalise(embeddings), prototypes, taxonomy.names)
    right = np.array(names) == truth["theme"].to_numpy()
    assert right.mean() >= 0.5
    confident = confidence >= np.median(confidence)
    assert right[confident].mean() > right[~confident].mean()
