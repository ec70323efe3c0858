"""Charts of the workbench, checked on the Vega-Lite spec they hand to the browser."""

from __future__ import annotations

import json

from ui.widgets import CLUSTER_COLOURS, map_chart


def _points(n_clusters: int) -> list[dict]:
    return [{"x": float(i), "y": float(i % 3), "cluster": f"Anliegen {i % n_clusters:02d}", "text": f"Notiz {i}",
             "id": i + 1} for i in range(3 * n_clusters)]


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def test_map_gives_twenty_clusters_twenty_distinct_colours() -> None:
    spec = map_chart(_points(20)).to_dict()
    scale = spec["encoding"]["color"]["scale"]
    assert len(scale["domain"]) == 20 and len(set(scale["range"])) == 20
    assert dict(zip(scale["domain"], scale["range"], strict=True))["Anliegen 00"] == CLUSTER_COLOURS[0]


def test_cluster_colours_stay_apart_and_show_on_white() -> None:
    colours = [_rgb(c) for c in CLUSTER_COLOURS]
    closest = min(sum((a - b) ** 2 for a, b in zip(p, q, strict=True)) ** 0.5
                  for i, p in enumerate(colours) for q in colours[i + 1:])
    assert closest > 40, "no two colours nearly alike"
    assert all(min(c) < 200 for c in colours), "none too pale to see on white"


def test_map_tooltip_shows_the_note_number() -> None:
    spec = map_chart(_points(2)).to_dict()
    [number] = [t for t in spec["encoding"]["tooltip"] if t.get("title") == "Nr."]
    datasets = next(iter(spec["datasets"].values()))
    assert "." not in number["field"] and datasets[0][number["field"]] == 1
    assert json.dumps(spec)  # serialisable as Streamlit sends it
