"""The rules of the measure register that need no database: dates, milestones,
committee results, the parent-child tree and its rolled-up progress.

- A parent's progress is the weighted mean of its children's (each child's own
  rolled-up progress, weighted by its ``weight``, default 1); rejected children
  ("abgelehnt") do not count. A measure without counting children shows its own.
- The tree has no cycles: :func:`would_cycle` refuses a parent that is the
  measure itself or one of its descendants.
- A committee's result ("beschlossen", "abgelehnt", "zurückgestellt", …) sets the
  status by :data:`RESULT_STATUS`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from models.queries import REJECTED
from pipelines.errors import InputError

MAX_WEIGHT = 1000.0
MAX_MILESTONE_TITLE = 200
MAX_MILESTONE_TEXT = 2000
MAX_DECISION_TEXT = 200

#: a committee's result in the words a council system or a protocol uses → the measure's status
RESULT_STATUS = {
    "beschlossen": "beschlossen", "angenommen": "beschlossen", "zugestimmt": "beschlossen",
    "einstimmig beschlossen": "beschlossen", "mehrheitlich beschlossen": "beschlossen",
    "abgelehnt": "abgelehnt",
    "zurückgestellt": "zurückgestellt", "vertagt": "zurückgestellt", "zurückgezogen": "zurückgestellt",
    "im ausschuss": "im Ausschuss", "verwiesen": "im Ausschuss", "in beratung": "im Ausschuss",
}

_GERMAN_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def parse_date(text: str) -> str:
    """A date written the German way (``18.03.2026``) or as ISO (``2026-03-18``), as ISO.

    Raises:
        InputError: empty, another format, or no such day (``31.02.2026``).
    """
    value = (text or "").strip()
    if not value:
        raise InputError("Das Datum fehlt.")
    german, iso = _GERMAN_DATE.fullmatch(value), _ISO_DATE.fullmatch(value)
    if german:
        day, month, year = (int(g) for g in german.groups())
    elif iso:
        year, month, day = (int(g) for g in iso.groups())
    else:
        raise InputError(f"„{value[:40]}“ ist kein Datum. Bitte TT.MM.JJJJ (18.03.2026) oder JJJJ-MM-TT schreiben.")
    try:
        return date(year, month, day).isoformat()
    except ValueError as exc:
        raise InputError(f"Den Tag „{value}“ gibt es nicht.") from exc


def german_date(iso: str | None) -> str:
    """``2026-03-18`` → ``18.03.2026``; empty for none."""
    if not iso:
        return ""
    year, month, day = iso.split("-")
    return f"{day}.{month}.{year}"


def status_of_result(result: str) -> str | None:
    """The status a committee result sets, or None when the words are not known."""
    return RESULT_STATUS.get(" ".join(result.split()).casefold())


def check_weight(weight: float) -> float:
    if not isinstance(weight, (int, float)) or not math.isfinite(weight) or not 0 < weight <= MAX_WEIGHT:
        raise InputError(f"Das Gewicht muss eine Zahl über 0 und höchstens {MAX_WEIGHT:g} sein.")
    return float(weight)


def check_progress(progress: int) -> int:
    if isinstance(progress, bool) or not isinstance(progress, int) or not 0 <= progress <= 100:
        raise InputError("Der Fortschritt ist eine ganze Zahl von 0 bis 100 (Prozent).")
    return progress


@dataclass(frozen=True)
class Node:
    """What the roll-up needs of one measure."""

    parent_id: int | None
    weight: float
    progress: int
    status: str


def rolled_up(nodes: Mapping[int, Node]) -> dict[int, float]:
    """The progress each measure shows: its own, or the weighted mean of its counting children.

    Args:
        nodes: every measure of a conference by id.

    Returns:
        id → progress 0–100 (a float: a mean of children need not be whole).
    """
    children: dict[int, list[int]] = {}
    for ident, node in nodes.items():
        if node.parent_id is not None and node.parent_id in nodes:
            children.setdefault(node.parent_id, []).append(ident)
    out: dict[int, float] = {}

    def total(ident: int, path: frozenset[int]) -> float:
        if ident in out:
            return out[ident]
        counting = [c for c in children.get(ident, ()) if nodes[c].status != REJECTED and c not in path]
        weight = sum(nodes[c].weight for c in counting)
        if counting and weight > 0:
            value = sum(nodes[c].weight * total(c, path | {ident}) for c in counting) / weight
        else:
            value = float(nodes[ident].progress)
        out[ident] = value
        return value

    for ident in nodes:
        total(ident, frozenset())
    return out


def would_cycle(parents: Mapping[int, int | None], child: int, parent: int | None) -> bool:
    """True when making ``parent`` the parent of ``child`` closes a loop (itself or a descendant)."""
    seen: set[int] = set()
    current = parent
    while current is not None and current not in seen:
        if current == child:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


@dataclass(frozen=True)
class MilestoneInput:
    """A milestone as staff enter it: the date in German or ISO form."""

    date: str
    title: str
    text: str = ""

    def checked(self) -> dict[str, str]:
        title = " ".join(self.title.split())
        if not title:
            raise InputError("Ein Meilenstein braucht einen Titel.")
        if len(title) > MAX_MILESTONE_TITLE:
            raise InputError(f"Der Titel des Meilensteins ist zu lang (höchstens {MAX_MILESTONE_TITLE} Zeichen).")
        text = (self.text or "").strip()
        if len(text) > MAX_MILESTONE_TEXT:
            raise InputError(f"Der Text des Meilensteins ist zu lang (höchstens {MAX_MILESTONE_TEXT} Zeichen).")
        try:
            when = parse_date(self.date)
        except InputError as exc:
            raise InputError(f"Meilenstein „{title[:60]}“: {exc}") from None
        return {"date": when, "title": title, "text": text}


def checked_milestones(milestones: Sequence[MilestoneInput]) -> list[dict[str, str]]:
    """Milestones checked and in date order (stable for one day)."""
    return sorted((m.checked() for m in milestones), key=lambda m: m["date"])


@dataclass(frozen=True)
class DecisionInput:
    """The committee's decision on a measure, as staff or an import enter it.

    ``date`` German or ISO; ``result`` free words, which set the status when
    :data:`RESULT_STATUS` knows them and ``set_status`` is on.
    """

    date: str = ""
    committee: str = ""
    paper: str = ""
    result: str = ""
    note: str = ""
    set_status: bool = True

    def checked(self) -> dict[str, str | None]:
        def short(value: str, what: str, limit: int = MAX_DECISION_TEXT) -> str | None:
            value = " ".join((value or "").split())
            if len(value) > limit:
                raise InputError(f"{what} ist zu lang (höchstens {limit} Zeichen).")
            return value or None

        note = (self.note or "").strip()
        if len(note) > MAX_MILESTONE_TEXT:
            raise InputError(f"Die Bemerkung ist zu lang (höchstens {MAX_MILESTONE_TEXT} Zeichen).")
        return {
            "decision_date": parse_date(self.date) if (self.date or "").strip() else None,
            "decision_committee": short(self.committee, "Das Gremium"),
            "decision_paper": short(self.paper, "Die Drucksachen-Nr.", 100),
            "decision_result": short(self.result, "Das Ergebnis", 100),
            "decision_note": note or None,
        }


# -- the decision import ------------------------------------------------------------

#: the columns of a decision file, by the names people give them (compared case- and space-blind)
DECISION_COLUMNS = {
    "paper": ("drucksachen-nr.", "drucksachen-nr", "drucksachennr", "drucksachennummer", "drucksache",
              "vorlagen-nr.", "vorlage"),
    "result": ("ergebnis", "beschluss", "beschlussergebnis"),
    "date": ("datum", "sitzungsdatum", "beschlussdatum"),
    "committee": ("gremium", "ausschuss"),
    "note": ("bemerkung", "notiz", "anmerkung"),
}
REQUIRED_DECISION_COLUMNS = {"paper": "Drucksachen-Nr.", "result": "Ergebnis", "date": "Datum"}
MAX_DECISION_FILE_BYTES = 5_000_000


@dataclass(frozen=True)
class DecisionRow:
    """One usable row of a decision file; ``row`` is its line as a spreadsheet numbers it (header: 1)."""

    row: int
    paper: str
    result: str
    status: str
    date: str
    committee: str = ""
    note: str = ""


@dataclass(frozen=True)
class RowProblem:
    row: int
    reason: str

    def __str__(self) -> str:
        return f"Zeile {self.row}: {self.reason}"


@dataclass(frozen=True)
class DecisionApplied:
    row: int
    measure_id: int
    title: str
    paper: str
    old_status: str
    new_status: str
    changed: bool  # False: the measure already held this decision


@dataclass(frozen=True)
class DecisionReport:
    """What an import of decisions did. ``written`` is False whenever ``problems`` is not empty:
    the import is all-or-nothing."""

    file: str
    applied: tuple[DecisionApplied, ...]
    problems: tuple[RowProblem, ...]
    written: bool
    already_imported: bool = False

    @property
    def n_changed(self) -> int:
        return sum(1 for a in self.applied if a.changed)


def _column_key(name: str) -> str | None:
    flat = "".join(name.split()).casefold().strip('"')
    for key, names in DECISION_COLUMNS.items():
        if flat in {"".join(n.split()) for n in names}:
            return key
    return None


def read_decisions(data: bytes, name: str) -> tuple[list[DecisionRow], list[RowProblem]]:
    """The rows of a decision file (CSV: ``;``, ``,`` or tab; UTF-8, UTF-16 or Windows-1252).

    Columns: Drucksachen-Nr., Ergebnis, Datum (required), Gremium, Bemerkung (optional).

    Raises:
        InputError: the file as a whole is unusable (binary, too large, no header, a required column missing).
    """
    import csv
    import io

    from pipelines.documents import decode_text, sniff_delimiter

    if len(data) > MAX_DECISION_FILE_BYTES:
        raise InputError(f"{name}: Die Datei ist zu groß für eine Beschlussliste (höchstens 5 MB).")
    text, _ = decode_text(data, name)
    if not text.strip():
        raise InputError(f"{name}: Die Datei ist leer.")
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter if len(delimiter) == 1 else ";")
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise InputError(f"{name}: Die Kopfzeile fehlt oder ist nicht lesbar.") from exc
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = _column_key(cell)
        if key is not None and key not in columns:
            columns[key] = index
    missing = [label for key, label in REQUIRED_DECISION_COLUMNS.items() if key not in columns]
    if missing:
        raise InputError(f"{name}: Spalte(n) {', '.join(missing)} fehlen. Erwartet werden die Spalten "
                         "Drucksachen-Nr.; Ergebnis; Datum (dazu wahlweise Gremium und Bemerkung).")
    rows: list[DecisionRow] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    try:
        for number, cells in enumerate(reader, start=2):
            def cell(key: str, cells: list[str] = cells) -> str:
                index = columns.get(key)
                return " ".join(cells[index].split()) if index is not None and index < len(cells) else ""

            if not any(c.strip() for c in cells):
                continue  # an empty line is no row
            paper, result, when = cell("paper"), cell("result"), cell("date")
            if not paper:
                problems.append(RowProblem(number, "Die Drucksachen-Nr. fehlt."))
                continue
            if len(paper) > 100:
                problems.append(RowProblem(number, "Die Drucksachen-Nr. ist zu lang (höchstens 100 Zeichen)."))
                continue
            if paper in seen:
                problems.append(RowProblem(number, f"Die Drucksachen-Nr. „{paper}“ steht schon in Zeile "
                                                   f"{seen[paper]}."))
                continue
            status = status_of_result(result) if result else None
            if not result:
                problems.append(RowProblem(number, "Das Ergebnis fehlt."))
                continue
            if status is None:
                problems.append(RowProblem(number, f"Unbekanntes Ergebnis „{result[:60]}“. Erlaubt: beschlossen, "
                                                   "abgelehnt, zurückgestellt (auch: angenommen, vertagt)."))
                continue
            try:
                iso = parse_date(when)
            except InputError as exc:
                problems.append(RowProblem(number, str(exc)))
                continue
            committee, note = cell("committee"), cell("note")
            if len(committee) > MAX_DECISION_TEXT or len(note) > MAX_MILESTONE_TEXT:
                problems.append(RowProblem(number, "Gremium oder Bemerkung ist zu lang."))
                continue
            seen[paper] = number
            rows.append(DecisionRow(number, paper, result, status, iso, committee, note))
    except csv.Error as exc:
        raise InputError(f"{name}: Die CSV-Datei ist nicht lesbar ({exc}).") from exc
    if not rows and not problems:
        raise InputError(f"{name}: Die Datei enthält keine Beschlüsse.")
    return rows, problems
