"""Stability of the clusters: the same notes must give the same concerns whatever their
row order, and float noise far below any meaning must not move them.

For each data set it embeds the texts with the configured model (default use+e5,
vectors cached), clusters them as the analysis does (``pipelines.analyse.cluster_group``)
and prints

* shuffled: ARI between the partition of the original order and of 5 shuffled orders
  (the whole path: features and clustering), and whether the number of clusters stayed;
* σ = 1e-6, 1e-5, 1e-4: ARI between the partition of the features and of the features
  plus N(0, σ²) noise (5 draws each: mean and min), and whether the number stayed.

Data sets: the demo conference per theme with automatic k; Kommuki (k = 15, ``text_core``);
the cycling contributions of Moers and Köln (k = 8, ``text``). The real data are read from
../shared/eval and never copied into the repository.

Floors (issue 8): shuffled ARI ≥ 0.98 with the same k; σ ≤ 1e-5 min ARI ≥ 0.99 with the
same k; σ = 1e-4 mean ARI ≥ 0.90. The last column says which floors a row misses.

Usage:  python scripts/evaluate_stability.py [--sets demo kommuki moers] [--draws 5]
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
SHARED = REPO.parent / "shared" / "eval"
SIGMAS = (1e-6, 1e-5, 1e-4)

DATA_SETS = {
    # name: (file, text column, label column, k, group column)
    "demo": (REPO / "data" / "demo" / "sozialraumkonferenz_2026.csv", "text", "concern", None, "theme"),
    "kommuki": (SHARED / "kommuki" / "kommuki_ideas_single_topic.csv", "text_core", "label", 15, None),
    "moers": (SHARED / "cimt_moers_koeln" / "cimt_moers_koeln.csv", "text", "label", 8, None),
}


def stability(embeddings, lemmas, keys, embedder, settings, k, draws, rng) -> dict:
    """Partition of the group, and its agreement under shuffling and noise."""
    from nlp.cluster import ConcernClusterer
    from pipelines.analyse import cluster_group

    base = cluster_group(embeddings, embedder, lemmas, settings, keys, k=k)
    n_clusters = int(base.labels.max()) + 1
    result = {"labels": base.labels, "k": n_clusters}
    aris, same_k = [], True
    for _ in range(draws):
        order = rng.permutation(len(keys))
        found = cluster_group(embeddings[order], embedder, [lemmas[i] for i in order], settings,
                              [keys[i] for i in order], k=k).labels
        labels = np.empty_like(found)
        labels[order] = found
        aris.append(adjusted_rand_score(base.labels, labels))
        same_k &= int(labels.max()) + 1 == n_clusters
    result["shuffled"] = (min(aris), same_k)
    for sigma in SIGMAS:
        aris, same_k = [], True
        for _ in range(draws):
            noisy = base.features + rng.normal(0.0, sigma, base.features.shape).astype(np.float32)
            labels = ConcernClusterer(
                k=k if k is not None else settings.k, seed=settings.seed
            ).fit_predict(noisy, keys)
            aris.append(adjusted_rand_score(base.labels, labels))
            same_k &= int(labels.max()) + 1 == n_clusters
        result[sigma] = (float(np.mean(aris)), min(aris), same_k)
    return result


def misses(r: dict) -> list[str]:
    out = []
    if r["shuffled"][0] < 0.98 or not r["shuffled"][1]:
        out.append("Reihenfolge")
    for sigma in (1e-6, 1e-5):
        if r[sigma][1] < 0.99 or not r[sigma][2]:
            out.append(f"σ={sigma:g}")
    if r[1e-4][0] < 0.90:
        out.append("σ=1e-4")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(DATA_SETS), choices=list(DATA_SETS))
    parser.add_argument("--draws", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0, help="seed of the shuffles and the noise")
    args = parser.parse_args()

    from nlp.lemmatize import process_texts
    from nlp.text import clean_text, text_hash
    from pipelines.resources import build_resources
    from pipelines.settings import load_settings

    settings = load_settings()
    resources = build_resources(settings)
    rng = np.random.default_rng(args.seed)
    print(f"model: {resources.embedder.model_id}  draws: {args.draws}")
    header = f"{'set':26s} {'n':>5s} {'k':>3s}  {'NMI':>5s} {'ARI':>5s}  {'shuffled':>12s}"
    header += "".join(f"  {f'σ={s:g} mean/min':>22s}" for s in SIGMAS) + "  misses"
    print(header)
    failures = 0
    for name in args.sets:
        path, text_column, label_column, k, group_column = DATA_SETS[name]
        if not path.exists():
            print(f"{name}: {path} not found, skipped")
            continue
        data = pd.read_csv(path, dtype=str, keep_default_na=False)
        texts = [clean_text(t) for t in data[text_column]]
        lemmas = [p.lemmas for p in process_texts(texts, resources.nlp)]
        embeddings = resources.embedder.encode(texts)
        keys = [text_hash(t) for t in texts]
        groups = (
            {g: np.flatnonzero(data[group_column].to_numpy() == g) for g in sorted(set(data[group_column]))}
            if group_column else {"alle": np.arange(len(data))}
        )
        for group, rows in groups.items():
            start = time.perf_counter()
            r = stability(embeddings[rows], [lemmas[i] for i in rows], [keys[i] for i in rows],
                          resources.embedder, settings.clustering, k, args.draws, rng)
            truth = data[label_column].to_numpy()[rows]
            line = f"{(name + ': ' + group)[:26]:26s} {len(rows):5d} {r['k']:3d}  "
            line += f"{normalized_mutual_info_score(truth, r['labels']):5.3f} {adjusted_rand_score(truth, r['labels']):5.3f}  "
            line += f"{r['shuffled'][0]:6.3f} {'same k' if r['shuffled'][1] else 'k moved':>5s}"
            for sigma in SIGMAS:
                mean, low, same = r[sigma]
                line += f"  {mean:6.3f} / {low:5.3f} {'same k' if same else 'k moved':>7s}"
            missed = misses(r)
            failures += bool(missed)
            print(line + "  " + (", ".join(missed) or "–") + f"  ({time.perf_counter() - start:.0f} s)", flush=True)
    print(f"rows missing a floor: {failures}")


if __name__ == "__main__":
    main()
