"""Do concern names say what their cluster is about? Old keyword labels against key-phrase names.

For each set the notes are clustered as the analysis does (per theme on the demo;
``k`` fixed on the real sets), then every cluster is named twice: the old way
(three class-TF-IDF keywords, :func:`nlp.keywords.default_label`) and the new way
(key phrases, :mod:`pipelines.names`). Each name is embedded with the analysis'
embedder and placed in its theme's space; the figure is the share of clusters
whose name is nearest to its own centre among the clusters of its theme
(name → cluster top-1, :func:`nlp.naming.name_top1`). Prints figures and old/new
pairs; asserts nothing.

Sets: the demo conference (``data/demo``, pseudonymised as at import), Kommuki
(``text_core``, k = 15; "Datensatz Kommuki, Politik zum Anfassen e.V., CC BY 4.0 –
via CorrelAid/kommuki-qm") and Moers/Köln (``text``, k = 8; Romberg & Escher,
CC BY-SA 4.0), the last two read from ../shared/eval at run time, never copied here.

Usage:  python scripts/evaluate_names.py [--sets demo kommuki moers] [--pairs 20]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
EVAL = REPO.parent / "shared" / "eval"
SETS = {
    "demo": (REPO / "data" / "demo" / "sozialraumkonferenz_2026.csv", "text", None),
    "kommuki": (EVAL / "kommuki" / "kommuki_ideas_single_topic.csv", "text_core", 15),
    "moers": (EVAL / "cimt_moers_koeln" / "cimt_moers_koeln.csv", "text", 8),
}


def evaluate(name: str, resources, settings, n_pairs: int) -> tuple[float, float, list[tuple[str, str, str]]]:
    from nlp.keywords import class_tfidf_keywords, default_label
    from nlp.lemmatize import process_texts
    from nlp.naming import embedding_features, name_top1
    from nlp.text import clean_text, text_hash
    from pipelines.analyse import _cluster_by_theme, _institution_words, _place_words, _similarity_to_centre
    from pipelines.names import cluster_centres, propose_names

    path, column, k = SETS[name]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    texts = [clean_text(t) for t in frame[column]]
    if name == "demo" and resources.vocab.pseudonymiser is not None:  # as stored at import
        texts = [p.text for p in resources.vocab.pseudonymiser.pseudonymise_texts(texts)]
    themes = list(frame["theme"]) if "theme" in frame.columns else ["*"] * len(texts)
    lemmas = [p.lemmas for p in process_texts(texts, resources.nlp)]
    embedder = resources.embedder
    embeddings = embedder.encode(texts)
    clustering = settings.clustering.model_copy(update={"k": k})
    labels, features = _cluster_by_theme(themes, embeddings, lemmas, [text_hash(t) for t in texts], embedder,
                                         clustering)
    similarity = _similarity_to_centre(labels, features)
    keys = sorted(int(c) for c in np.unique(labels[labels >= 0]))
    place_words = _place_words(resources)
    keywords = class_tfidf_keywords(lemmas, labels)
    old = {c: default_label(keywords[c], exclude=place_words) for c in keys}
    started = time.perf_counter()
    new = propose_names(keys, labels, similarity, texts, embeddings, themes, embedder, resources.nlp,
                        place_words | _institution_words(resources))
    naming_s = time.perf_counter() - started
    new = {c: new[c] or old[c] for c in keys}
    centres = cluster_centres(labels, embeddings, themes, embedder)
    theme_of = np.asarray(themes)
    groups = [theme_of[labels == c][0] for c in keys]
    C = np.stack([centres[c] for c in keys])

    def top1(names: dict[int, str]) -> float:
        raw = embedder.encode([names[c] for c in keys])
        vectors = np.vstack([
            embedding_features(raw[i : i + 1], embedder.blocks, embeddings[theme_of == groups[i]])
            for i in range(len(keys))
        ])
        return name_top1(vectors, C, groups)

    score_old, score_new = top1(old), top1(new)
    print(f"{name:8s} notes {len(texts):4d}  clusters {len(keys):3d}  name→cluster top-1: "
          f"old {score_old:.3f}  new {score_new:.3f}  (naming {naming_s:.1f} s)", flush=True)
    order = sorted(keys, key=lambda c: -int((labels == c).sum()))[:n_pairs]
    return score_old, score_new, [(groups[keys.index(c)], old[c], new[c]) for c in order]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    os.environ.setdefault("TATEN_EMBEDDING__E5_DIR", str(REPO / ".taten" / "models" / "multilingual-e5-small"))
    from pipelines.resources import build_resources
    from pipelines.settings import load_settings

    settings = load_settings(**({"embedding": {"model": args.model}} if args.model else {}))
    resources = build_resources(settings)
    pairs = {}
    for name in args.sets:
        *_, pairs[name] = evaluate(name, resources, settings, args.pairs)
    for name in args.sets:
        if name == "kommuki":
            continue
        print(f"\n{name}: old name → new name (largest clusters first)")
        for theme, old, new in pairs[name]:
            print(f"  [{theme[:14]:14s}] {old:45s} → {new}")


if __name__ == "__main__":
    main()
