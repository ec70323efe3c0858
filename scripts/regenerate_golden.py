"""Regenerate the golden file of the demo conference's ranked concerns.

Run only on purpose, after a change that is meant to alter the clusters or the
ranking, and review the diff: ``python scripts/regenerate_golden.py``.
The test ``tests/e2e/test_demo.py`` compares a fresh analysis against this file.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
GOLDEN = REPO / "tests" / "golden" / "demo_concerns.json"
DEMO = REPO / "data" / "demo" / "sozialraumkonferenz_2026.csv"


def ranked_concerns(store_url: str, settings_overrides: dict | None = None) -> list[dict]:
    """Import and analyse the demo conference into ``store_url``; the ranking as plain data."""
    from models.store import Store
    from pipelines.analyse import analyse_conference
    from pipelines.ingest import import_files
    from pipelines.report import load_run
    from pipelines.resources import build_resources
    from pipelines.settings import load_settings

    settings = load_settings(**(settings_overrides or {}))
    store = Store(store_url)
    resources = build_resources(settings)
    import_files(store, [DEMO], "Demo", resources.vocab)
    analyse_conference(store, "Demo", resources, settings)
    view = load_run(store, "Demo")
    store.close()
    return [
        {
            "rank": c.rank, "theme": c.theme, "label": c.label, "size": c.size, "score": round(c.score, 4),
            "members": sorted(m.content_hash[:12] for m in view.members.get(c.cluster_id, [])),
        }
        for c in view.concerns
    ]


def main() -> None:
    os.environ.setdefault("TATEN_EMBEDDING__E5_DIR", str(REPO / ".taten" / "models" / "multilingual-e5-small"))
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TATEN_HOME"] = tmp
        concerns = ranked_concerns(f"sqlite:///{tmp}/golden.sqlite")
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(json.dumps(concerns, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(concerns)} concerns written to {GOLDEN.relative_to(REPO)}")


if __name__ == "__main__":
    main()
