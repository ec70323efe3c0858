"""The public report: one static HTML file that works offline and asks nothing of the net.

No script, no link, no font or image from outside: charts are inline
``data:image/svg+xml`` images (an image cannot run script), styles sit in the file
with a print stylesheet, and a Content-Security-Policy forbids every request but
``data:`` images. Every text is escaped. The public sees what people raised and
what is being done, overall and per district: concern labels, counts, measures with
status (and progress where kept), no note text and no staff name.
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from pipelines.bericht import TITLE, TOP_PER_THEME, Bericht, MeasureItem, key_figures, when
from pipelines.bericht.charts import (
    Chart, district_map_chart, heatmap_chart, theme_heatmap_chart, top_concerns_chart,
)
from pipelines.formats import number

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:0 auto;padding:1rem 1.5rem;line-height:1.5;color:#1b1b1b}
h1,h2,h3{line-height:1.2}h2{border-bottom:2px solid #1f5f8b;padding-bottom:.2rem;margin-top:2.5rem}
p,li,td,th,h1,h2,h3{overflow-wrap:anywhere}
.notice{background:#fdecea;border-left:4px solid #9a3412;padding:.6rem 1rem;font-weight:bold}
.figures{display:flex;flex-wrap:wrap;gap:1rem;padding:0;list-style:none}
.figures li{border:1px solid #ccd;border-radius:6px;padding:.5rem 1rem;text-align:center}
.figures strong{display:block;font-size:1.8rem}
img{max-width:100%;height:auto}
.status{display:inline-block;border-radius:1rem;padding:0 .6rem;background:#e3edf5;font-size:.9rem}
progress{width:8rem;vertical-align:middle}
table{border-collapse:collapse}td,th{border:1px solid #ccd;padding:.2rem .5rem;text-align:left}
@media print{body{max-width:none;font-size:11pt}h2{break-before:page}h2:first-of-type{break-before:auto}
 .measure,figure{break-inside:avoid}a{color:inherit;text-decoration:none}}
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _figure(chart: Chart) -> str:
    data = base64.b64encode(chart.svg.encode("utf-8")).decode("ascii")
    return f'<figure><img src="data:image/svg+xml;base64,{data}" alt="{_e(chart.alt)}"></figure>'


def _measure(m: MeasureItem) -> str:
    progress = (f' <progress max="100" value="{m.progress}" aria-label="Fortschritt">{m.progress} %</progress> '
                f"{m.progress} %" if m.progress is not None else "")
    places = ", ".join(m.districts) or "stadtweit"
    parts = [f'<li class="measure"><h4>{_e(m.title)}</h4>',
             f'<p><span class="status">{_e(m.status)}</span>{progress} · Sozialräume: {_e(places)}'
             + (f" · Zuständig: {_e(m.responsible)}" if m.responsible else "") + "</p>"]
    if m.description.strip():
        parts.append(f"<p>{_e(m.description)}</p>")
    if m.concerns:
        parts.append(f"<p>Aus den Anliegen: {_e('; '.join(m.concerns))}</p>")
    return "".join(parts) + "</li>"


def _measures(measures: list[MeasureItem]) -> str:
    if not measures:
        return "<p>Noch keine Maßnahme.</p>"
    return "<ul>" + "".join(_measure(m) for m in measures) + "</ul>"


def html_text(b: Bericht) -> str:
    """The public report of ``b`` as one HTML document."""
    notice = f'<p class="notice" role="note">{_e(b.notice)}</p>' if b.notice else ""
    out = [
        "<!DOCTYPE html>", '<html lang="de"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(TITLE)}: {_e(b.conference)}</title><style>{STYLE}</style></head><body>",
        f"<header><h1>{_e(TITLE)}: {_e(b.conference)}</h1><p>Konferenz am {_e(when(b))}. Was die Menschen an den "
        f"Tischen gesagt haben und was daraus wird.</p>{notice}</header><main>",
        "<section><h2>Auf einen Blick</h2><ul class=\"figures\">"
        + "".join(f"<li><strong>{_e(v)}</strong>{_e(k)}</li>" for k, v in key_figures(b)) + "</ul>",
    ]
    heatmap = heatmap_chart(b)
    if heatmap:
        out.append("<h3>Themen und Sozialräume</h3>" + _figure(heatmap))
    places = district_map_chart(b)
    if places and b.district_map:
        out.append('<h3>Karte der Sozialräume</h3>' + _figure(places).replace(
            "</figure>", f"<figcaption>{_e(b.district_map.caption)}</figcaption></figure>"))
    out.append("</section>")
    for theme in b.themes:
        top = b.concerns_of(theme)[:TOP_PER_THEME]
        places = theme_heatmap_chart(theme, top)
        out.append(f"<section><h2>{_e(theme)}</h2><h3>Was genannt wurde</h3>{_figure(top_concerns_chart(theme, top))}"
                   "<ol>" + "".join(f"<li>{_e(c.label)} ({number(c.size)} Beiträge)</li>" for c in top) + "</ol>"
                   + (f"<h3>Wo es genannt wurde</h3>{_figure(places)}" if places else "")
                   + f"<h3>Was getan wird</h3>{_measures(b.measures_of(theme))}</section>")
    if b.measures_elsewhere():
        out.append(f"<section><h2>Weitere Maßnahmen</h2>{_measures(b.measures_elsewhere())}</section>")
    out.append("<section><h2>Nach Sozialräumen</h2>")
    for district in b.districts:
        concerns = sorted((c for c in b.concerns if district in c.districts), key=lambda c: (-c.districts[district], c.rank))
        measures = [m for m in b.measures if district in m.districts]
        if not concerns and not measures:
            continue
        out.append(f"<h3>{_e(district)}</h3><p>Genannt: "
                   + (_e("; ".join(c.label for c in concerns[:TOP_PER_THEME])) or "–") + "</p>"
                   + (_measures(measures) if measures else ""))
    out.append("</section></main><footer><h2>Wie diese Zahlen entstehen</h2><p>Die Notizen der Tische wurden "
               "pseudonymisiert, zu Anliegen gruppiert und von der Verwaltung geprüft. Die Rangfolge zählt, an wie "
               f"vielen Tischen, in wie vielen Runden und von wie vielen Gruppen ein Anliegen kam. Stand: "
               f"{b.created:%d.%m.%Y}.</p>{notice}</footer></body></html>")
    return "\n".join(out)


def write_html(b: Bericht, path: Path) -> None:
    Path(path).write_text(html_text(b), encoding="utf-8")
