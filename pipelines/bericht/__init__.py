"""Reports of a conference: the committee report (DOCX, PDF), the public report (HTML), the OParl hand-over.

One :class:`~pipelines.bericht.data.Bericht`, read through the workbench's reads
(:func:`~pipelines.bericht.data.load_bericht`), feeds every format:

- :mod:`~pipelines.bericht.docx_writer` — the Sitzungsvorlage as Word file;
- :mod:`~pipelines.bericht.pdf_writer` — the same as tagged PDF/UA-1 (Typst);
- :mod:`~pipelines.bericht.html_writer` — the public report: one offline HTML file;
- :mod:`~pipelines.bericht.oparl` — each measure as an OParl 1.1 ``Paper``.

People's text is data in every format, never markup: Word and HTML escape it,
Typst reads it from a JSON file (never from source), charts switch mathtext off.

The sentences and figures the formats share live here, so the formats say the same.
"""

from __future__ import annotations

from pipelines.bericht.data import Bericht, ConcernItem, MeasureItem, Quote, load_bericht
from pipelines.formats import number

FORMATS = ("docx", "pdf", "html", "oparl")
TITLE = "Ergebnisse der Sozialraumkonferenz"
TOP_PER_THEME = 5
TOP_OVERALL = 10


def when(b: Bericht) -> str:
    """"18.03.2026 in Düren", as much as the store holds."""
    date = b.date
    if date and len(date) == 10 and date[4] == "-":
        date = f"{date[8:10]}.{date[5:7]}.{date[0:4]}"
    return " in ".join(p for p in (date, b.city) if p) or "–"


def key_figures(b: Bericht) -> list[tuple[str, str]]:
    return [
        ("Beiträge", number(b.n_contributions)),
        ("Tische", number(b.n_tables)),
        ("Runden", number(len(b.rounds))),
        ("Gruppen", number(len(b.groups))),
        ("Sozialräume", number(b.n_districts)),
        ("Anliegen", number(len(b.concerns))),
        ("Maßnahmen", number(len(b.measures))),
    ]


def measure_facts(m: MeasureItem) -> list[tuple[str, str]]:
    facts = [("Status", m.status), ("Fortschritt", f"{m.progress} %" if m.progress is not None else None),
             ("Thema", m.theme), ("Sozialräume", ", ".join(m.districts) or "stadtweit"),
             ("Zuständig", m.responsible), ("Kosten", m.cost), ("Zeitraum", m.timeframe), ("Priorität", m.priority)]
    return [(k, v) for k, v in facts if v]


def concern_facts(c: ConcernItem) -> str:
    return (f"{number(c.size)} Beiträge · Tische: {', '.join(c.tables) or '–'} · Runden: {', '.join(c.rounds) or '–'}"
            f" · Gruppen: {', '.join(c.groups) or '–'} · Sozialräume: {', '.join(c.districts) or 'stadtweit'}")


def quote_line(q: Quote) -> str:
    return f"„{q.text}“" + (f" ({q.source()})" if q.source() else "")


def proposal(b: Bericht) -> list[str]:
    """The Beschlussvorschlag: one sentence, then one line per measure."""
    if not b.measures:
        return ["Der Ausschuss nimmt die Ergebnisse der Sozialraumkonferenz zur Kenntnis."]
    return [f"Der Ausschuss nimmt die Ergebnisse der Sozialraumkonferenz „{b.conference}“ zur Kenntnis und "
            f"beauftragt die Verwaltung mit den folgenden {number(len(b.measures))} Maßnahmen:",
            *(f"{m.reference}: {m.title}" + (f" (zuständig: {m.responsible})" if m.responsible else "")
              for m in b.measures)]


def provenance(b: Bericht) -> str:
    weights = ", ".join(f"{k} {number(v, 2)}" for k, v in b.ranking.items())
    return (f"Erstellt am {b.created:%d.%m.%Y um %H:%M} Uhr (UTC) mit Taten aus Analyse Nr. {b.run_id} vom "
            f"{b.run_finished:%d.%m.%Y}. Die Beiträge wurden beim Import pseudonymisiert, mit dem Modell "
            f"{b.model_id} in Anliegen gruppiert und von der Verwaltung geprüft. Die Rangfolge gewichtet, an wie "
            f"vielen Tischen, in wie vielen Runden, von wie vielen Gruppen und für wie viele Sozialräume ein "
            f"Anliegen genannt wurde (Gewichte: {weights}). Gezählt wird wie in der Werkbank: aktive Anliegen, "
            f"Maßnahmen ab Status „vorgeschlagen“, abgelehnte nicht.")


__all__ = ["FORMATS", "TITLE", "Bericht", "ConcernItem", "MeasureItem", "Quote", "concern_facts", "key_figures",
           "load_bericht", "measure_facts", "proposal", "provenance", "quote_line", "when"]
