"""Clustering quality on real German data: the Kommuki youth-participation proposals.

Runs the evaluation interface exactly as a user would —
``taten cluster INPUT.csv --out OUT.csv --k 15`` — on the ``text_core`` column of
``../shared/eval/kommuki/kommuki_ideas_single_topic.csv`` and prints NMI, ARI,
V-measure, purity, the unclustered share and the largest cluster's share against
the committee ``label``. Prints figures; asserts nothing.

Data: "Datensatz Kommuki, Politik zum Anfassen e.V., CC BY 4.0 – via CorrelAid/kommuki-qm".
It is read from ../shared and never copied into the repository.

Usage:  python scripts/evaluate_kommuki.py [--file PATH] [--label label] [--text text_core] [--k 15] [--model use+e5]
        python scripts/evaluate_kommuki.py --file ../shared/eval/cimt_moers_koeln/cimt_moers_koeln.csv --text text
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, v_measure_score
from sklearn.metrics.cluster import contingency_matrix

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "eval" / "kommuki" / "kommuki_ideas_single_topic.csv"


def purity(truth: np.ndarray, labels: np.ndarray) -> float:
    matrix = contingency_matrix(truth, labels)
    return float(matrix.max(axis=0).sum() / matrix.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT)
    parser.add_argument("--label", default="label")
    parser.add_argument("--text", default="text_core", help="text column (the cycling set: text)")
    parser.add_argument("--k", type=int, default=None, help="default: number of distinct labels")
    parser.add_argument("--model", default=None, help="embedding model setting (default: the project's default)")
    args = parser.parse_args()

    data = pd.read_csv(args.file, dtype=str, keep_default_na=False)
    truth = data[args.label].to_numpy()
    k = args.k or len(np.unique(truth))
    taten = Path(sys.executable).with_name("taten")
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "in.csv", Path(tmp) / "out.csv"
        data[["id", args.text]].rename(columns={args.text: "text"}).to_csv(source, index=False)
        command = [str(taten), "cluster", str(source), "--out", str(out), "--k", str(k)]
        if args.model:
            command += ["--model", args.model]
        start = time.perf_counter()
        subprocess.run(command, check=True)
        seconds = time.perf_counter() - start
        result = pd.read_csv(out, dtype={"id": str})
    labels = result.set_index("id").loc[data["id"], "cluster"].to_numpy()
    clustered = labels >= 0
    sizes = np.bincount(labels[clustered])
    print(f"file: {args.file.name}  rows: {len(data)}  labels: {len(np.unique(truth))}  k: {k}")
    print(f"command: {' '.join(command[1:2])} ... --k {k}{' --model ' + args.model if args.model else ''}")
    print(f"NMI        {normalized_mutual_info_score(truth, labels):.3f}")
    print(f"ARI        {adjusted_rand_score(truth, labels):.3f}")
    print(f"V-measure  {v_measure_score(truth, labels):.3f}")
    print(f"purity     {purity(truth[clustered], labels[clustered]):.3f}")
    print(f"unclustered share      {1 - clustered.mean():.3f}")
    print(f"largest cluster share  {sizes.max() / clustered.sum():.3f}")
    print(f"clusters   {len(sizes)}  wall time {seconds:.1f} s (incl. model load)")


if __name__ == "__main__":
    main()
