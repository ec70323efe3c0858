"""The map's GeoJSON: the demo file loads and tiles the gazetteer; broken files say what is wrong, in German."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.districts import Gazetteer
from pipelines.district_map import load_district_map, read_district_map
from pipelines.errors import InputError
from pipelines.settings import REPO_ROOT, load_settings

GAZETTEER = Gazetteer.from_yaml(REPO_ROOT / "data" / "districts" / "dueren.yml")
SQUARE = [[[6.40, 50.80], [6.42, 50.80], [6.42, 50.82], [6.40, 50.82], [6.40, 50.80]]]


def _write(tmp_path: Path, content: object, name: str = "stadt.geojson") -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def _collection(*features: tuple[str, object]) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name}, "geometry": geometry} for name, geometry in features]}


def test_demo_map_has_one_area_per_district_marked_as_schematic_example() -> None:
    dmap = load_district_map(load_settings().nlp)
    assert dmap is not None
    assert set(dmap.shapes) == set(GAZETTEER.districts) and dmap.missing == ()
    assert dmap.example and dmap.caption.startswith("Beispieldaten – fiktiv: schematische Flächen")
    west, south, east, north = dmap.bounds()
    assert 6.3 < west < east < 6.7 and 50.7 < south < north < 50.9, "around Düren, in longitude/latitude"


def test_a_gazetteer_variant_names_its_district_and_unmapped_districts_are_listed(tmp_path: Path) -> None:
    path = _write(tmp_path, _collection(("Düren-Nord", {"type": "Polygon", "coordinates": SQUARE}),
                                        ("Ost", {"type": "MultiPolygon", "coordinates": [SQUARE, SQUARE]})))
    dmap = read_district_map(path, GAZETTEER)
    assert set(dmap.shapes) == {"Nord-Düren", "Ost"} and len(dmap.shapes["Ost"]) == 2
    assert "Innenstadt" in dmap.missing and not dmap.example
    assert dmap.caption.startswith("Flächen aus stadt.geojson.") and "Ohne Fläche: Innenstadt" in dmap.caption


@pytest.mark.parametrize(("content", "message"), [
    ('{"type": "FeatureCollection", "features": [', r"kein gültiges GeoJSON \(Zeile 1"),
    ({"type": "Feature"}, "Erwartet wird eine GeoJSON-FeatureCollection"),
    (_collection(("Atlantis", {"type": "Polygon", "coordinates": SQUARE})),
     "Diese Namen sind keine Sozialräume des Gazetteers: Atlantis. Bekannt sind: Innenstadt, Nord-Düren"),
    ({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                                                 "geometry": {"type": "Polygon", "coordinates": SQUARE}}]},
     "Fläche 1: Die Eigenschaft „name“"),
    (_collection(("Ost", {"type": "Point", "coordinates": [6.4, 50.8]})), "Polygon oder MultiPolygon sein, nicht Point"),
    (_collection(("Ost", {"type": "Polygon", "coordinates": [[[321000, 5630000], [322000, 5630000],
                                                              [322000, 5631000], [321000, 5630000]]]})),
     r"Koordinate \(321000, 5630000\) ist kein Längen- und Breitengrad.*EPSG:25832"),
    ({**_collection(("Ost", {"type": "Polygon", "coordinates": SQUARE})),
      "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}}},
     "im Koordinatensystem urn:ogc:def:crs:EPSG::25832"),
])
def test_broken_map_file_is_refused_with_a_german_message(tmp_path: Path, content: object, message: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(InputError, match=message):
        read_district_map(path, GAZETTEER)


def test_no_map_file_means_no_map(tmp_path: Path) -> None:
    assert load_district_map(load_settings(nlp={"district_map": "districts/gibt-es-nicht.geojson"}).nlp) is None
    assert load_district_map(load_settings(nlp={"district_map": ""}).nlp) is None
