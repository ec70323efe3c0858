"""Does the clustering hold on data it was not chosen on? Quality per data set, per held-out
group, and with the automatic number of clusters.

For Kommuki and the cycling contributions of Moers and Köln (read from ../shared/eval, never
copied into the repository) it embeds the texts with the configured model, clusters them as
the analysis does (``pipelines.analyse.cluster_group``) and prints NMI, ARI and the largest
cluster's share beside the largest label's share (a collapse shows as a cluster far bigger
than any label):

* ``alle``: the whole set at the gold number of labels, and at the automatic k
  (the issue's band: within ±30 % of the gold number; also for each held-out group alone);
* leave one group out: the set without one group (Kommuki: one municipality, the ``district``
  column; cycling: Moers or Köln, the ``process`` column), clustered at the gold k of what
  is left, and the held-out group alone at its own gold k where it has at least 100 notes.
  Nothing is fitted to labels, so the figures show how much the quality moves with
  the data, not with tuning.

Floors (issue 12): Kommuki NMI ≥ 0.32, ARI ≥ 0.20; Moers/Köln NMI ≥ 0.30, ARI ≥ 0.18; largest
cluster at most 10 points above the largest label's share; automatic k within ±30 %.

Usage:  python scripts/evaluate_generalisation.py [--sets kommuki moers]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))
from evaluate_stability import DATA_SETS  # noqa: E402

GROUPS = {"kommuki": "district", "moers": "process"}
FLOORS = {"kommuki": (0.32, 0.20), "moers": (0.30, 0.18)}
MIN_ALONE = 100


def score(truth: np.ndarray, labels: np.ndarray) -> str:
    """NMI, ARI, clusters and the largest cluster's share beside the largest label's."""
    big = np.bincount(labels).max() / len(labels)
    label_big = pd.Series(truth).value_counts().iloc[0] / len(truth)
    collapse = " collapse" if big > label_big + 0.10 else ""
    return (f"NMI {normalized_mutual_info_score(truth, labels):.3f}  ARI {adjusted_rand_score(truth, labels):.3f}  "
            f"k {labels.max() + 1:2d}/{len(np.unique(truth)):2d}  largest {big:.2f} (label {label_big:.2f}){collapse}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(GROUPS), choices=list(GROUPS))
    args = parser.parse_args()

    from nlp.lemmatize import process_texts
    from nlp.text import clean_text, text_hash
    from pipelines.analyse import cluster_group
    from pipelines.resources import build_resources
    from pipelines.settings import load_settings

    settings = load_settings()
    resources = build_resources(settings)
    print(f"model: {resources.embedder.model_id}")
    for name in args.sets:
        path, text_column, label_column, _, _ = DATA_SETS[name]
        if not path.exists():
            print(f"{name}: {path} not found, skipped")
            continue
        start = time.perf_counter()
        data = pd.read_csv(path, dtype=str, keep_default_na=False)
        texts = [clean_text(t) for t in data[text_column]]
        lemmas = [p.lemmas for p in process_texts(texts, resources.nlp)]
        embeddings = resources.embedder.encode(texts)
        keys = [text_hash(t) for t in texts]
        truth = data[label_column].to_numpy()
        group_of = data[GROUPS[name]].to_numpy()

        def run(rows: np.ndarray, k: int | None) -> np.ndarray:
            return cluster_group(embeddings[rows], resources.embedder, [lemmas[i] for i in rows], settings.clustering,
                                 [keys[i] for i in rows], k=k).labels

        everything = np.arange(len(data))
        gold = len(np.unique(truth))
        print(f"\n{name}: {len(data)} notes, {gold} labels; floors NMI ≥ {FLOORS[name][0]}, ARI ≥ {FLOORS[name][1]}")
        print(f"  {'alle, gold k':34s} {score(truth, run(everything, gold))}")

        def automatic(rows: np.ndarray) -> str:
            labels, gold_k = run(rows, None), len(np.unique(truth[rows]))
            band = "in band" if abs(labels.max() + 1 - gold_k) <= 0.3 * gold_k else "OUT of ±30 %"
            return f"{score(truth[rows], labels)}  {band}"

        print(f"  {'alle, automatic k':34s} {automatic(everything)}")
        nmi, ari = [], []
        for group in sorted(set(group_of)):
            rest = np.flatnonzero(group_of != group)
            labels = run(rest, len(np.unique(truth[rest])))
            nmi.append(normalized_mutual_info_score(truth[rest], labels))
            ari.append(adjusted_rand_score(truth[rest], labels))
            alone = np.flatnonzero(group_of == group)
            if len(alone) >= MIN_ALONE or name == "moers":
                print(f"  {('without ' + group)[:34]:34s} {score(truth[rest], labels)}")
                print(f"  {('only ' + group)[:34]:34s} "
                      f"{score(truth[alone], run(alone, len(np.unique(truth[alone]))))}")
                print(f"  {('only ' + group)[:26] + ', auto k':34s} {automatic(alone)}")
        print(f"  leave one {GROUPS[name]} out ({len(nmi)} folds): NMI mean {np.mean(nmi):.3f} min {min(nmi):.3f}, "
              f"ARI mean {np.mean(ari):.3f} min {min(ari):.3f}  ({time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
