"""The measure register as a file: CSV for German Excel and XLSX.

One row per measure, every field of the register: status, progress (its own and
the one shown, rolled up from child measures), parent and weight, office, cost,
period, districts, the committee's decision, milestones and the concerns it came
from. The CSV is written for German Excel (``;``, decimal comma, UTF-8 with BOM);
the XLSX holds numbers as numbers.

Neither file holds a cell a spreadsheet would execute: text that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe
(:func:`nlp.text.neutralise_formula`, as every export of Taten), and the XLSX
writes every text cell as a string, never as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nlp.text import neutralise_formula
from pipelines.errors import InputError
from pipelines.formats import number
from pipelines.review import MeasureView
from pipelines.review.register import german_date

#: the register's columns, in German, in order
COLUMNS = (
    "Nr.", "Titel", "Beschreibung", "Themenfeld", "Sozialräume", "Zuständige Stelle", "Priorität", "Status",
    "Fortschritt (%)", "Fortschritt gesamt (%)", "Übergeordnete Maßnahme", "Gewicht", "Untergeordnete Maßnahmen",
    "Kostenschätzung", "Zeitraum", "Beschlussdatum", "Gremium", "Drucksachen-Nr.", "Ergebnis",
    "Bemerkung zum Beschluss", "Meilensteine", "aus Anliegen", "zuletzt geändert von", "zuletzt geändert am",
)
NUMBER_COLUMNS = {"Nr.", "Fortschritt (%)", "Fortschritt gesamt (%)", "Übergeordnete Maßnahme", "Gewicht"}
MAX_CELL_CHARS = 32_767  # Excel's limit for one cell
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def register_rows(measures: Sequence[MeasureView]) -> list[dict[str, Any]]:
    """The register's rows: numbers as numbers (None when empty), everything else as text."""
    rows = []
    for m in measures:
        rows.append({
            "Nr.": m.id, "Titel": m.title, "Beschreibung": m.description, "Themenfeld": m.theme or "",
            "Sozialräume": ", ".join(m.districts), "Zuständige Stelle": m.responsible or "",
            "Priorität": m.priority or "", "Status": m.status, "Fortschritt (%)": m.progress,
            "Fortschritt gesamt (%)": round(m.progress_total, 1), "Übergeordnete Maßnahme": m.parent_id,
            "Gewicht": m.weight, "Untergeordnete Maßnahmen": ", ".join(str(i) for i in m.child_ids),
            "Kostenschätzung": m.cost_estimate or "", "Zeitraum": m.timeframe or "",
            "Beschlussdatum": german_date(m.decision_date), "Gremium": m.decision_committee or "",
            "Drucksachen-Nr.": m.decision_paper or "", "Ergebnis": m.decision_result or "",
            "Bemerkung zum Beschluss": m.decision_note or "",
            "Meilensteine": " | ".join(f"{german_date(x.date)} {x.title}" + (f": {x.text}" if x.text else "")
                                       for x in m.milestones),
            "aus Anliegen": "; ".join(m.cluster_labels), "zuletzt geändert von": m.updated_by or "",
            "zuletzt geändert am": f"{m.updated_at:%d.%m.%Y %H:%M}",
        })
    return rows


def _text(value: str) -> str:
    value = neutralise_formula(value)
    return value if len(value) <= MAX_CELL_CHARS else value[: MAX_CELL_CHARS - 1] + "…"


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        decimals = next(d for d in (0, 1, 2) if d == 2 or round(value, d) == value)
        return number(value, decimals, grouping=False)
    if isinstance(value, str):
        return _text(value)
    return value


def register_csv(measures: Sequence[MeasureView], notice: str | None = None) -> bytes:
    """The register as CSV bytes for German Excel: ``;``, decimal comma, UTF-8 with BOM.

    ``notice`` (the example-data sentence) fills a last column ``Hinweis`` of every row.
    """
    handle = io.StringIO(newline="")
    fields = [*COLUMNS, *(["Hinweis"] if notice else [])]
    writer = csv.DictWriter(handle, fieldnames=fields, delimiter=";")
    writer.writeheader()
    for row in register_rows(measures):
        writer.writerow({k: _csv_value(v) for k, v in {**row, **({"Hinweis": notice} if notice else {})}.items()})
    return handle.getvalue().encode("utf-8-sig")


def register_xlsx(measures: Sequence[MeasureView], title: str = "Maßnahmen", notice: str | None = None) -> bytes:
    """The register as an XLSX workbook (one sheet, a frozen header, numbers as numbers)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    # a sheet title may not hold []:*?/\ and has at most 31 characters
    sheet.title = "".join(c for c in title if c not in "[]:*?/\\")[:31] or "Maßnahmen"
    fields = [*COLUMNS, *(["Hinweis"] if notice else [])]
    sheet.append(fields)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r, row in enumerate(register_rows(measures), start=2):
        values = {**row, **({"Hinweis": notice} if notice else {})}
        for c, name in enumerate(fields, start=1):
            value = values[name]
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, str):
                cell.value = _text(ILLEGAL_CHARACTERS_RE.sub("", value))
                cell.data_type = "s"  # text, even when it looks like a formula
            else:
                cell.value = value
    sheet.freeze_panes = "A2"
    for column, width in (("A", 6), ("B", 40), ("C", 50)):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_register(measures: Sequence[MeasureView], path: Path, notice: str | None = None) -> None:
    """Write the register to ``path``; the suffix (.csv or .xlsx) says how.

    Raises:
        InputError: another suffix, or the file cannot be written.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        data = register_csv(measures, notice)
    elif suffix == ".xlsx":
        data = register_xlsx(measures, notice=notice)
    else:
        raise InputError(f"{path.name}: Bitte als .csv oder .xlsx exportieren.")
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise InputError(f"{path}: Datei nicht schreibbar ({exc.strerror}).") from exc
