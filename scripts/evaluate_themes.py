"""Where to set ``nlp.min_theme_confidence``: wrongly themed vs. unthemed notes per threshold.

Theme inference runs on notes that name no theme. To measure it, the demo
conference (``data/demo/sozialraumkonferenz_2026.csv``, a theme per row) goes
through :func:`pipelines.analyse.assign_themes` with its theme column hidden, with
the configured embedder (default ``use+e5``). For each threshold the table shows the
share of demo notes themed right, themed wrong and left "Ohne Thema".

Off-topic text should mostly land in "Ohne Thema": the cycling contributions of
Moers and Köln-Ehrenfeld (``../shared/eval/cimt_moers_koeln``, CC BY-SA 4.0, read
from there, never copied) fit none of the six social-planning themes. Their long
``text`` and their short ``title`` are measured apart, since length alone lowers
similarity. ``--extra FILE`` adds any CSV of one's own (e.g. a citizen survey)
with a ``text`` column.

The last columns repeat demo-wrong and cycling-unthemed without the "no theme"
option (softmax over the themes only, as before): there confidence only says
which theme is nearest, not whether any is near, and cycling notes all go to
"Sicherheit" with high confidence.

Usage:  python scripts/evaluate_themes.py [--model use+e5] [--extra FILE]
Prints figures; asserts nothing. Embeddings are cached in TATEN_HOME, so a second
run takes seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DEMO = REPO / "data" / "demo" / "sozialraumkonferenz_2026.csv"
CYCLING = REPO.parent / "shared" / "eval" / "cimt_moers_koeln" / "cimt_moers_koeln.csv"
THRESHOLDS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="embedding model (default: the settings', use+e5)")
    parser.add_argument("--extra", type=Path, action="append", default=[], help="another CSV with a 'text' column")
    args = parser.parse_args()
    os.environ.setdefault("TATEN_EMBEDDING__E5_DIR", str(REPO / ".taten" / "models" / "multilingual-e5-small"))

    from models.records import Contribution
    from nlp.embed import l2_normalise
    from nlp.text import clean_text
    from nlp.themes import UNKNOWN_THEME, infer_themes, theme_prototypes
    from pipelines.analyse import assign_themes
    from pipelines.resources import build_resources
    from pipelines.settings import load_settings

    settings = load_settings(**({"embedding": {"model": args.model}} if args.model else {}))
    resources = build_resources(settings)
    taxonomy = resources.vocab.taxonomy
    assert taxonomy is not None
    demo = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    sets = {"demo": (list(demo["text"]), np.array([taxonomy.canonical(t) for t in demo["theme"]]))}
    if CYCLING.exists():
        cycling = pd.read_csv(CYCLING, dtype=str, keep_default_na=False)
        sets["Rad: text"] = (list(cycling["text"]), None)
        sets["Rad: title"] = (list(cycling["title"]), None)
    else:
        print(f"({CYCLING} not found: off-topic columns left out)")
    for path in args.extra:
        sets[path.stem] = (list(pd.read_csv(path, dtype=str, keep_default_na=False)["text"]), None)

    prototypes = theme_prototypes([resources.embedder.encode(t.prototype_texts) for t in taxonomy.themes])
    results = {}
    for name, (texts, truth) in sets.items():
        cleaned = [clean_text(t) for t in texts]
        embeddings = resources.embedder.encode(cleaned)
        # the theme column hidden: every note's theme is inferred; threshold 0 keeps every guess
        notes = [Contribution(text=t, theme=None, table_label=None) for t in cleaned]
        themes, confidence, _ = assign_themes(notes, embeddings, resources, min_confidence=0.0)
        plain_themes, plain_confidence = infer_themes(l2_normalise(embeddings), prototypes, taxonomy.names)
        results[name] = (np.array(themes), confidence, np.array(plain_themes), plain_confidence, truth)

    print(f"model: {resources.embedder.model_id}")
    print("notes: " + ", ".join(f"{name} {len(texts)}" for name, (texts, _) in sets.items()))
    off_topic = [n for n in results if n != "demo"]
    header = (f"{'threshold':>9} | {'demo right':>10} {'wrong':>6} {'unthemed':>8} | "
              + " ".join(f"{n + ' unthemed':>{max(len(n) + 9, 10)}}" for n in off_topic)
              + " || without 'no theme' option: demo wrong, " + ", ".join(f"{n} unthemed" for n in off_topic))
    print(header)
    print("-" * len(header))
    themes, confidence, plain_themes, plain_confidence, truth = results["demo"]
    for threshold in THRESHOLDS:
        kept = confidence >= threshold
        right, wrong = (kept & (themes == truth)).mean(), (kept & (themes != truth)).mean()
        plain_kept = plain_confidence >= threshold
        plain_wrong = (plain_kept & (plain_themes != truth)).mean()
        cells = " ".join(f"{(results[n][1] < threshold).mean():>{max(len(n) + 9, 10)}.1%}" for n in off_topic)
        plain = ", ".join(f"{(results[n][3] < threshold).mean():.1%}" for n in off_topic)
        marker = "  ← default" if threshold == settings.nlp.min_theme_confidence else ""
        print(f"{threshold:>9.2f} | {right:>10.1%} {wrong:>6.1%} {(~kept).mean():>8.1%} | {cells} || "
              f"{plain_wrong:.1%}, {plain}{marker}")
    for name in off_topic:
        guessed = pd.Series(results[name][0]).value_counts()
        print(f"{name}: nearest theme without threshold: " + ", ".join(f"{t} {n}" for t, n in guessed.items()))
    print(f"'{UNKNOWN_THEME}' = confidence below the threshold; right/wrong/unthemed add up to 100 %.")


if __name__ == "__main__":
    main()
