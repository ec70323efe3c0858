"""The Sozialräume as areas: a city's GeoJSON, checked against its gazetteer, and the values a map colours.

A city keeps one GeoJSON ``FeatureCollection`` in EPSG:4326 (longitude, latitude;
RFC 7946) with one ``Polygon`` or ``MultiPolygon`` feature per Sozialraum and the
district's name in the property ``name`` (a gazetteer variant such as "Düren-Nord"
counts as its district). The workbench map (Vega-Lite, no tiles) and the reports'
map (matplotlib) both draw from :func:`load_district_map`, so they show the same areas.

A sidecar ``<file>.yml`` with ``example_data: true`` marks schematic example areas
(see :mod:`pipelines.example_data`); every map drawn from them says so.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp.districts import Gazetteer
from pipelines.errors import InputError
from pipelines.example_data import EXAMPLE_MARK, read_mark
from pipelines.indicators import Indicator, series_of
from pipelines.review import Overview
from pipelines.settings import NlpSettings

logger = logging.getLogger(__name__)

Ring = tuple[tuple[float, float], ...]  # (longitude, latitude) points, closed
Polygon = tuple[Ring, ...]  # the outer ring, then holes
NOTES = "Beiträge"
CONCERNS = "Anliegen"
_CRS84 = ("CRS84", "EPSG::4326", "EPSG:4326")
_REPROJECT = ("Bitte die Datei in EPSG:4326 (Längen- und Breitengrad) speichern, z. B. aus ETRS89/UTM 32N "
              "(EPSG:25832) mit pyproj umrechnen (siehe README, Abschnitt „Karte der Sozialräume“).")


@dataclass(frozen=True)
class DistrictMap:
    """The areas of a city's Sozialräume, by gazetteer name."""

    file: str
    shapes: dict[str, tuple[Polygon, ...]]
    missing: tuple[str, ...]  # gazetteer districts without an area
    example: bool  # schematic example areas ("Beispieldaten – fiktiv")

    @property
    def caption(self) -> str:
        """What a person reads under the map: where the areas come from."""
        text = f"Flächen aus {self.file}."
        if self.example:
            text = (f"{EXAMPLE_MARK}: schematische Flächen ({self.file}), keine amtlichen Grenzen der "
                    "Sozialräume.")
        if self.missing:
            text += f" Ohne Fläche: {', '.join(self.missing)}."
        return text

    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of all areas."""
        points = [p for polygons in self.shapes.values() for poly in polygons for p in poly[0]]
        return (min(p[0] for p in points), min(p[1] for p in points),
                max(p[0] for p in points), max(p[1] for p in points))

    def label_point(self, name: str) -> tuple[float, float]:
        """Where a district's name goes: the mean of its first area's outer ring (longitude, latitude)."""
        outer = self.shapes[name][0][0][:-1]  # the ring is closed: its last point repeats the first
        return sum(p[0] for p in outer) / len(outer), sum(p[1] for p in outer) / len(outer)

    def aspect(self) -> float:
        """Height per width of one degree at the map's latitude (a degree of longitude is shorter up north)."""
        south, north = self.bounds()[1], self.bounds()[3]
        return 1.0 / math.cos(math.radians((south + north) / 2))

    def features(self) -> list[dict[str, Any]]:
        """One GeoJSON feature per district, name in ``properties``."""
        out = []
        for name, polygons in self.shapes.items():
            coords = [[[list(p) for p in ring] for ring in poly] for poly in polygons]
            geometry = ({"type": "Polygon", "coordinates": coords[0]} if len(coords) == 1
                        else {"type": "MultiPolygon", "coordinates": coords})
            out.append({"type": "Feature", "properties": {"name": name}, "geometry": geometry})
        return out


def _ring(raw: Any, where: str) -> Ring:
    if not isinstance(raw, list) or len(raw) < 4:
        raise InputError(f"{where}: Ein Ring braucht mindestens vier Punkte [Länge, Breite].")
    points = []
    for point in raw:
        if (not isinstance(point, list) or len(point) < 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in point[:2])):
            raise InputError(f"{where}: Punkt {point!r} ist keine Koordinate [Länge, Breite].")
        lon, lat = float(point[0]), float(point[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InputError(f"{where}: Koordinate ({point[0]}, {point[1]}) ist kein Längen- und Breitengrad. "
                             + _REPROJECT)
        points.append((lon, lat))
    if points[0] != points[-1]:
        points.append(points[0])
    return tuple(points)


def _polygons(geometry: Any, where: str) -> tuple[Polygon, ...]:
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if kind == "Polygon" and isinstance(coords, list) and coords:
        return (tuple(_ring(r, where) for r in coords),)
    if kind == "MultiPolygon" and isinstance(coords, list) and coords:
        return tuple(tuple(_ring(r, where) for r in poly) if isinstance(poly, list) and poly
                     else _polygons(None, where)[0] for poly in coords)
    raise InputError(f"{where}: Die Fläche muss ein Polygon oder MultiPolygon sein, nicht {kind or 'leer'}.")


def read_district_map(path: Path, gazetteer: Gazetteer) -> DistrictMap:
    """The areas in ``path``, each named by a district of ``gazetteer``.

    Raises:
        InputError: the file is unreadable, not GeoJSON, not in EPSG:4326, or names a
            district the gazetteer does not know (German message with the names).
    """
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise InputError(f"Karte {path.name} ist nicht lesbar: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"Karte {path.name} ist keine UTF-8-Textdatei.") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"Karte {path.name} ist kein gültiges GeoJSON (Zeile {exc.lineno}, Spalte {exc.colno}: "
                         f"{exc.msg}).") from exc
    if not isinstance(raw, dict) or raw.get("type") != "FeatureCollection" or not isinstance(raw.get("features"), list):
        raise InputError(f"Karte {path.name}: Erwartet wird eine GeoJSON-FeatureCollection mit einer Fläche je "
                         "Sozialraum.")
    crs = (raw.get("crs") or {}).get("properties", {}).get("name", "") if isinstance(raw.get("crs"), dict) else ""
    if crs and not str(crs).upper().endswith(_CRS84):
        raise InputError(f"Karte {path.name} ist im Koordinatensystem {crs}. " + _REPROJECT)
    shapes: dict[str, tuple[Polygon, ...]] = {}
    unknown: list[str] = []
    for number, feature in enumerate(raw["features"], start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        name = props.get("name") if isinstance(props, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"Karte {path.name}, Fläche {number}: Die Eigenschaft „name“ mit dem Namen des "
                             "Sozialraums fehlt.")
        district = gazetteer.canonical(name) if name.strip() not in gazetteer.districts else name.strip()
        if district is None:
            unknown.append(name.strip())
            continue
        where = f"Karte {path.name}, {district}"
        shapes[district] = shapes.get(district, ()) + _polygons(feature.get("geometry"), where)
    if unknown:
        raise InputError(f"Karte {path.name}: Diese Namen sind keine Sozialräume des Gazetteers: "
                         f"{', '.join(unknown)}. Bekannt sind: {', '.join(gazetteer.districts)}.")
    if not shapes:
        raise InputError(f"Karte {path.name} enthält keine Fläche.")
    missing = tuple(d for d in gazetteer.districts if d not in shapes)
    return DistrictMap(path.name, shapes, missing, read_mark(path).example)


def load_district_map(nlp: NlpSettings) -> DistrictMap | None:
    """The map the settings name (``nlp.district_map``), or None where the city keeps none.

    Raises:
        InputError: the file exists but is broken (see :func:`read_district_map`).
    """
    if not nlp.district_map:
        return None
    path = Path(nlp.data_dir) / nlp.district_map
    if not path.is_file():
        logger.info("no district map at %s", path)
        return None
    return read_district_map(path, Gazetteer.from_yaml(Path(nlp.data_dir) / nlp.gazetteer))


def district_notes(heatmap: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """Notes of active concerns that name each district, from a theme × district heatmap
    (:attr:`Overview.heatmap`; a note naming two districts counts for both)."""
    notes: dict[str, int] = {}
    for row in heatmap.values():
        for district, n in row.items():
            notes[district] = notes.get(district, 0) + n
    return notes


def district_concerns(overview: Overview) -> dict[str, int]:
    """Active concerns with at least one note naming each district (``overview`` read with ``top=None``)."""
    counts: dict[str, int] = {}
    for c in overview.top:
        for district in c.profile.get("districts", {}):
            counts[district] = counts.get(district, 0) + 1
    return counts


def measures_of_map(indicators: Sequence[Indicator]) -> list[str]:
    """What the map can colour: notes, concerns, then each indicator with a number."""
    names = [i.indicator for i in indicators if i.number is not None]
    return [NOTES, CONCERNS, *dict.fromkeys(names)]


def map_values(measure: str, overview: Overview, indicators: Sequence[Indicator]) -> dict[str, float]:
    """District → value of ``measure`` (see :func:`measures_of_map`); an indicator's latest year."""
    if measure == NOTES:
        return {d: float(n) for d, n in district_notes(overview.heatmap).items()}
    if measure == CONCERNS:
        return {d: float(n) for d, n in district_concerns(overview).items()}
    return {district: s.value for (district, name), s in series_of(indicators).items() if name == measure}


def unit_of(measure: str, indicators: Sequence[Indicator]) -> str:
    return next((i.unit for i in indicators if i.indicator == measure), "")
