"""How well the analysis finds the concerns the demo notes were written to express.

Imports ``data/demo/sozialraumkonferenz_2026.csv`` into a temporary database,
analyses it with the default settings (or ``--model``), and prints the adjusted Rand
index and NMI of the clusters against the ``concern`` column: overall (clusters are
formed per theme) and within each theme. Prints figures; asserts nothing.

Usage:  python scripts/evaluate_demo.py [--model use+e5] [--k N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DEMO = REPO / "data" / "demo" / "sozialraumkonferenz_2026.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--k", type=int, default=None)
    args = parser.parse_args()
    os.environ.setdefault("TATEN_EMBEDDING__E5_DIR", str(REPO / ".taten" / "models" / "multilingual-e5-small"))
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TATEN_HOME"] = tmp
        from models.store import Store
        from pipelines.analyse import analyse_conference
        from pipelines.ingest import import_files
        from pipelines.resources import build_resources
        from pipelines.settings import load_settings

        overrides: dict[str, dict] = {}
        if args.model:
            overrides["embedding"] = {"model": args.model}
        if args.k:
            overrides["clustering"] = {"k": args.k}
        settings = load_settings(**overrides)
        store = Store(settings.db_url)
        resources = build_resources(settings)
        import_files(store, [DEMO], "Demo", resources.vocab)
        run = analyse_conference(store, "Demo", resources, settings)
        contributions = {c.id: c for c in store.contributions(run.conference_id)}
        cluster_of = {a.contribution_id: a.cluster_id for a in store.assignments(run.id)}
    truth = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    by_text = dict(zip(truth["text"], truth["concern"], strict=True))
    frame = pd.DataFrame(
        [{"concern": by_text.get(c.text, "?"), "theme": c.theme, "cluster": cluster_of[c.id]} for c in contributions.values()]
    )
    print(f"model: {run.model_id}  contributions: {run.n_contributions}  clusters: {run.n_clusters}  "
          f"concerns: {frame['concern'].nunique()}  unclustered: {run.n_unclustered}")
    print(f"overall   ARI {adjusted_rand_score(frame['concern'], frame['cluster']):.3f}   "
          f"NMI {normalized_mutual_info_score(frame['concern'], frame['cluster']):.3f}")
    for theme, group in frame.groupby("theme"):
        print(f"  {theme:<26} n={len(group):3d}  concerns={group['concern'].nunique():2d}  "
              f"clusters={group['cluster'].nunique():2d}  ARI {adjusted_rand_score(group['concern'], group['cluster']):.3f}")


if __name__ == "__main__":
    main()
