"""Voices and data side by side: where what people said and the Sozialraumbericht diverge.

Two rules, each stated in plain German by :func:`blind_spot_rule` and
:func:`unsupported_rule` so that every surface shows the rule with its findings:

- **blind spot** (:func:`blind_spots`): an indicator of a theme is far from
  the city's value (at least ``ratio`` times as high, or at most ``1/ratio`` where a
  low value signals need), but few notes name the district (below ``few_notes`` of
  all notes of active concerns);
- **concern without support in the data** (:func:`unsupported_concerns`): at least
  ``min_notes`` notes of a concern name a district, but none of the indicators of the
  concern's theme is worse there than in the city.

Which indicators belong to which theme, and whether high or low values signal need,
is data (``data/indicators/themes.yml``, see :func:`load_theme_indicators`). The
city's value is the mean of the districts weighted by their population indicator
(``Einwohner``), or the plain mean where a district has no population.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from pipelines.district_map import district_notes
from pipelines.errors import InputError
from pipelines.formats import number
from pipelines.indicators import Indicator, Series, figure, load_indicators, series_of
from pipelines.review import Overview
from pipelines.settings import ComparisonSettings, NlpSettings

HIGH, LOW = "hoch", "niedrig"


@dataclass(frozen=True)
class Need:
    """An indicator that shows a theme, and which direction signals need."""

    indicator: str
    direction: str = HIGH  # HIGH: a high value stands out; LOW: a low one


@dataclass(frozen=True)
class Reading:
    """An indicator of a district beside the city's value."""

    series: Series
    city: float
    need: Need | None  # how the comparison reads it, where a theme names it

    @property
    def ratio(self) -> float | None:
        return self.series.value / self.city if self.city else None

    def conspicuous(self, ratio: float) -> bool:
        """At least ``ratio`` times the city's value (``1/ratio`` where low values signal need)."""
        if self.need is None or self.ratio is None:
            return False
        return self.ratio >= ratio if self.need.direction == HIGH else self.ratio <= 1 / ratio

    def shows_need(self) -> bool:
        """Worse than the city: above its value (below, where low values signal need)."""
        if self.need is None:
            return False
        return self.series.value > self.city if self.need.direction == HIGH else self.series.value < self.city

    def text(self) -> str:
        """"SGB-II-Quote 21,6 % (Stadt 12,3 %)"."""
        unit = f" {self.series.unit}" if self.series.unit else ""
        return f"{self.series.indicator} {figure(self.series.value)}{unit} (Stadt {figure(self.city)}{unit})"


@dataclass(frozen=True)
class BlindSpot:
    district: str
    notes: int
    share: float  # of all notes of active concerns
    readings: tuple[Reading, ...]  # the conspicuous indicators


@dataclass(frozen=True)
class Unsupported:
    concern: str
    theme: str
    district: str
    notes: int
    readings: tuple[Reading, ...]  # the theme's indicators there, none worse than the city


@dataclass(frozen=True)
class ConcernPlaces:
    """What the rule needs of a concern: its name, theme and notes per district."""

    label: str
    theme: str
    districts: Mapping[str, int]


def load_theme_indicators(path: Path) -> dict[str, tuple[Need, ...]]:
    """Theme → the indicators that show it (``themes.yml``); {} where the file is missing.

    Raises:
        InputError: the file is unreadable or an entry is neither a name nor
            ``{indikator: …, auffällig: hoch|niedrig}``.
    """
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path.name} ist nicht lesbar: {exc}") from exc
    themes = raw.get("themes") if isinstance(raw, dict) else None
    if not isinstance(themes, dict):
        raise InputError(f"{path.name}: Erwartet wird „themes:“ mit einer Liste von Indikatoren je Thema.")
    out: dict[str, tuple[Need, ...]] = {}
    for theme, entries in themes.items():
        needs = []
        for entry in entries or []:
            if isinstance(entry, str) and entry.strip():
                needs.append(Need(entry.strip()))
            elif (isinstance(entry, dict) and isinstance(entry.get("indikator"), str)
                  and entry.get("auffällig", HIGH) in (HIGH, LOW)):
                needs.append(Need(entry["indikator"].strip(), entry.get("auffällig", HIGH)))
            else:
                raise InputError(f"{path.name}, Thema {theme}: Eintrag {entry!r} ist weder ein Indikatorname noch "
                                 f"„{{indikator: …, auffällig: {HIGH}|{LOW}}}“.")
        out[str(theme)] = tuple(needs)
    return out


def city_values(series: Mapping[tuple[str, str], Series], population: str) -> dict[str, float]:
    """Indicator → the city's value: the districts' latest values weighted by ``population``;
    for ``population`` itself, the districts' sum."""
    weights = {d: s.value for (d, name), s in series.items() if name == population}
    by_indicator: dict[str, list[Series]] = {}
    for (_, name), s in series.items():
        by_indicator.setdefault(name, []).append(s)
    out = {}
    for name, rows in by_indicator.items():
        if name == population:
            out[name] = sum(s.value for s in rows)
        elif all(weights.get(s.district, 0) > 0 for s in rows):
            out[name] = sum(s.value * weights[s.district] for s in rows) / sum(weights[s.district] for s in rows)
        else:
            out[name] = sum(s.value for s in rows) / len(rows)
    return out


def _with_city(indicators: Sequence[Indicator], population: str) -> tuple[dict[tuple[str, str], Series],
                                                                          dict[str, float]]:
    """The series of ``indicators`` and each indicator's city value."""
    series = series_of(indicators)
    return series, city_values(series, population)


def _needs(theme_indicators: Mapping[str, Sequence[Need]]) -> dict[str, Need]:
    """Every indicator any theme names, with its direction."""
    return {n.indicator: n for needs in theme_indicators.values() for n in needs}


def readings(district: str, indicators: Sequence[Indicator], theme_indicators: Mapping[str, Sequence[Need]],
             population: str) -> list[Reading]:
    """Every indicator of ``district`` beside the city's value, in file order."""
    series, city = _with_city(indicators, population)
    needs = _needs(theme_indicators)
    return [Reading(s, city[name], needs.get(name)) for (d, name), s in series.items() if d == district]


def blind_spots(notes: Mapping[str, int], n_notes: int, indicators: Sequence[Indicator],
                theme_indicators: Mapping[str, Sequence[Need]], settings: ComparisonSettings) -> list[BlindSpot]:
    """Districts where an indicator signals need far above the city but few notes name the district.

    Args:
        notes: district → notes of active concerns naming it.
        n_notes: all notes of active concerns (the share's base).
    """
    series, city = _with_city(indicators, settings.population)
    needs = _needs(theme_indicators)
    found: dict[str, list[Reading]] = {}
    for (district, name), s in series.items():
        reading = Reading(s, city[name], needs.get(name))
        if reading.conspicuous(settings.ratio):
            found.setdefault(district, []).append(reading)
    out = []
    for district, conspicuous in found.items():
        share = notes.get(district, 0) / n_notes if n_notes else 0.0
        if share < settings.few_notes:
            out.append(BlindSpot(district, notes.get(district, 0), share, tuple(conspicuous)))
    return sorted(out, key=lambda b: (b.share, b.district))


def unsupported_concerns(concerns: Sequence[ConcernPlaces], indicators: Sequence[Indicator],
                         theme_indicators: Mapping[str, Sequence[Need]],
                         settings: ComparisonSettings) -> list[Unsupported]:
    """Concerns raised for a district whose indicators for the concern's theme are no worse than the city's.

    A theme without indicators, or a district without values for them, is not judged.
    """
    series, city = _with_city(indicators, settings.population)
    out = []
    for c in concerns:
        needs = theme_indicators.get(c.theme, ())
        for district, n in sorted(c.districts.items(), key=lambda x: (-x[1], x[0])):
            if n < settings.min_notes:
                continue
            there = [Reading(series[(district, need.indicator)], city[need.indicator], need) for need in needs
                     if (district, need.indicator) in series]
            if there and not any(r.shows_need() for r in there):
                out.append(Unsupported(c.label, c.theme, district, n, tuple(there)))
    return out


def _percent(share: float) -> str:
    """"5 %", "66,7 %"."""
    return f"{number(share * 100, 1).removesuffix(',0')} %"


def blind_spot_rule(settings: ComparisonSettings, theme_indicators: Mapping[str, Sequence[Need]]) -> str:
    """The first rule in plain German, with its thresholds."""
    lows = [n.indicator for n in _needs(theme_indicators).values() if n.direction == LOW]
    low = (f" (bei {', '.join(lows)}, wo ein niedriger Wert auffällt: höchstens "
           f"{_percent(1 / settings.ratio)} des Stadtwerts)" if lows else "")
    return (f"Blinde Flecken: Ein Indikator zu einem Thema der Konferenz liegt mindestens "
            f"{number(settings.ratio, 1)}-mal so hoch wie in der Stadt{low}, aber weniger als "
            f"{_percent(settings.few_notes)} der Beiträge nennen den Sozialraum. Stadtwert: Mittel der Sozialräume, "
            "nach Einwohnern gewichtet.")


def unsupported_rule(settings: ComparisonSettings, source: str) -> str:
    """The second rule in plain German, naming the file that maps themes to indicators."""
    return (f"Anliegen ohne Beleg in den Daten: Mindestens {settings.min_notes} Beiträge eines Anliegens nennen den "
            "Sozialraum, aber keiner der Indikatoren zu seinem Thema ist dort schlechter als in der Stadt "
            f"(welche Indikatoren zu welchem Thema gehören, steht in {source}). Das heißt nicht, dass das "
            "Anliegen unbegründet ist – die Daten zeigen es nur nicht.")


@dataclass(frozen=True)
class Comparison:
    """Both rules over one conference, with their German statements."""

    blind_spots: tuple[BlindSpot, ...]
    unsupported: tuple[Unsupported, ...]
    blind_spot_rule: str
    unsupported_rule: str
    theme_indicators: dict[str, tuple[Need, ...]]
    example: bool  # an indicator file is marked as invented

    def blind_spot(self, district: str) -> BlindSpot | None:
        return next((b for b in self.blind_spots if b.district == district), None)

    def unsupported_in(self, district: str) -> list[Unsupported]:
        return [u for u in self.unsupported if u.district == district]


def compare(overview: Overview, nlp: NlpSettings, settings: ComparisonSettings,
            indicators: Sequence[Indicator] | None = None) -> Comparison:
    """Both rules for the notes of ``overview`` (read with ``top=None``) and the city's indicator files.

    Args:
        indicators: the indicator files' rows where the caller has read them already.

    Raises:
        InputError: the theme-to-indicator file is broken (see :func:`load_theme_indicators`).
    """
    if indicators is None:
        indicators = load_indicators(Path(nlp.data_dir) / "indicators")
    theme_indicators = load_theme_indicators(Path(nlp.data_dir) / nlp.indicator_themes)
    concerns = [ConcernPlaces(c.label, c.theme, c.profile.get("districts", {})) for c in overview.top]
    return Comparison(
        blind_spots=tuple(blind_spots(district_notes(overview.heatmap), overview.n_contributions, indicators,
                                      theme_indicators, settings)),
        unsupported=tuple(unsupported_concerns(concerns, indicators, theme_indicators, settings)),
        blind_spot_rule=blind_spot_rule(settings, theme_indicators),
        unsupported_rule=unsupported_rule(settings, f"{Path(nlp.data_dir).name}/{nlp.indicator_themes}"),
        theme_indicators=theme_indicators,
        example=any(i.example for i in indicators),
    )
