"""Streamlit's own chrome in German, quiet on paper, and local.

Streamlit has no translations: its skip link, sidebar buttons, file-upload box,
chart and table toolbars speak English, some in text, most in ``aria-label``
(what a screen reader says). :func:`install` adds, once per page run, our own
constant stylesheet and a small script that puts German in their place, in the
page's text and in ``aria-label``, ``title`` and ``placeholder``, as Streamlit
renders them. People's text is never touched: the script skips Markdown, text,
captions, tables, metrics, headings, widget labels and options, and only replaces
strings it knows exactly.

The stylesheet hides the developer's chart action "Copy Vega-Lite spec" and, for
printing (the committee view on paper), the sidebar, the header, toolbars and every
input, and lets the page run over as many sheets as it needs (on screen Streamlit
scrolls inside a fixed-height box, which would print as one sheet).
"""

from __future__ import annotations

import json

import streamlit as st

# English chrome -> German, exact strings (after trimming).
GERMAN = {
    "Skip to main content": "Zum Inhalt springen",
    "Sidebar": "Seitenleiste",
    "Collapse sidebar": "Seitenleiste einklappen",
    "Expand sidebar": "Seitenleiste ausklappen",
    "App pages": "Seiten",
    "Main menu": "Hauptmenü",
    "Open": "Öffnen",
    "Close": "Schließen",
    "Clear value": "Auswahl löschen",
    "Clear all": "Alle entfernen",
    "No results": "Keine Treffer",
    "Choose an option": "Bitte auswählen …",
    "Choose options": "Bitte auswählen …",
    "Copy Vega-Lite spec": "Vega-Lite-Beschreibung kopieren",
    "Selectbox options": "Auswahl",
    "Link to heading": "Link zu dieser Überschrift",
    "Show data": "Daten zeigen",
    "Download as PNG": "Als PNG speichern",
    "Download as SVG": "Als SVG speichern",
    "Download as CSV": "Als CSV speichern",
    "Fullscreen": "Vollbild",
    "Close fullscreen": "Vollbild beenden",
    "Show/hide columns": "Spalten ein- oder ausblenden",
    "Search": "Suchen",
    "Vega visualization": "Diagramm",
    "Upload": "Hochladen",
    "Browse files": "Dateien auswählen",
    "Drag and drop files here": "Dateien hierher ziehen",
    "Drag and drop a file here": "Datei hierher ziehen",
    "Drag and drop directories here": "Ordner hierher ziehen",
    "Delete": "Löschen",
    "Remove file": "Datei entfernen",
    "Press Enter to apply": "Mit Enter übernehmen",
    "Press Enter to submit form": "Mit Enter absenden",
    "Running...": "Läuft …",
    "Stop": "Anhalten",
    "Connecting": "Verbinde",
    "Sort ascending": "Aufsteigend sortieren",
    "Sort descending": "Absteigend sortieren",
    "Pin column": "Spalte fixieren",
    "Unpin column": "Spalte lösen",
    "Hide column": "Spalte ausblenden",
    "Autosize": "Breite anpassen",
}
# English chrome with a variable part: [regular expression, German with $1 …].
PATTERNS = [
    [r"^Help for (.+)$", "Hilfe zu $1"],
    [r"^(\d+(?:\.\d+)?)\s?([KMG]B) per file(.*)$", "Höchstens $1 $2 je Datei$3"],
    [r"^Press (⌘|Ctrl)\+Enter to (apply|submit form)$", "Mit $1+Enter übernehmen"],
]
# Developer tools nobody at the office needs.
HIDDEN = ["Vega-Lite-Beschreibung kopieren"]
# Where people's text is shown: never translated.
PEOPLES_TEXT = ", ".join(f"[data-testid={t}]" for t in (
    "stMarkdown", "stText", "stCaption", "stCode", "stMetric", "stHeading", "stDataFrame", "stTable",
    "stWidgetLabel", "stExpanderHeader", "stAlert", "stJson")) + ", [role=option], [role=listbox], summary, label"

_SCRIPT = """
(() => {
  const doc = window.parent && window.parent.document ? window.parent.document : document;
  if (doc.defaultView.__tatenGerman) return;
  doc.defaultView.__tatenGerman = true;
  const words = %(words)s, patterns = %(patterns)s.map(([p, g]) => [new RegExp(p), g]);
  const hidden = new Set(%(hidden)s), keep = %(keep)s;
  const german = (s) => {
    if (!s) return null;
    const t = s.trim();
    if (words[t] !== undefined) return s.replace(t, words[t]);
    for (const [re, g] of patterns) if (re.test(t)) return s.replace(t, t.replace(re, g));
    return null;
  };
  const attributes = ["aria-label", "title", "placeholder"];
  const fixElement = (el) => {
    for (const a of attributes) {
      const v = el.getAttribute && el.getAttribute(a);
      const g = german(v);
      if (g !== null && g !== v) el.setAttribute(a, g);
      if (hidden.has((g || v || "").trim())) el.style.display = "none";
    }
  };
  const fixText = (node) => {
    const parent = node.parentElement;
    if (!parent || parent.closest(keep)) return;
    const g = german(node.data);
    if (g !== null && g !== node.data) node.data = g;
  };
  const walk = (root) => {
    if (root.nodeType === 3) { fixText(root); return; }
    if (root.nodeType !== 1) return;
    fixElement(root);
    const it = doc.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let n = it.nextNode(); n; n = it.nextNode()) n.nodeType === 3 ? fixText(n) : fixElement(n);
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "characterData") fixText(r.target);
      else if (r.type === "attributes") fixElement(r.target);
      else r.addedNodes.forEach(walk);
    }
  }).observe(doc.body, {subtree: true, childList: true, characterData: true, attributes: true,
                        attributeFilter: attributes});
  walk(doc.body);
})();
"""

_STYLE = """
<style>
/* the carrier of this script and style takes no room */
[data-testid=stElementContainer]:has(> .stHtml .taten-chrome) {display: none;}
@media print {
  [data-testid=stSidebar], [data-testid=stSidebarCollapsedControl], [data-testid=stHeader],
  [data-testid=stToolbar], [data-testid=stDecoration], [data-testid=stStatusWidget],
  [data-testid=stElementToolbar], [data-testid=stSkipLink], a[href="#main"],
  .stSelectbox, .stMultiSelect, .stTextInput, .stTextArea, .stNumberInput, .stDateInput, .stCheckbox,
  .stRadio, .stButton, .stDownloadButton, .stFileUploader, .stForm, [data-testid=stHeaderActionElements]
    {display: none !important;}
  html, body, .stApp, [data-testid=stAppViewContainer], [data-testid=stMain], .stMain, section.main
    {position: static !important; height: auto !important; min-height: 0 !important;
     overflow: visible !important; display: block !important;}
  [data-testid=stMainBlockContainer], .block-container {max-width: 100% !important; padding: 0 1cm !important;}
  [data-testid=stVegaLiteChart], [data-testid=stMetric], [data-testid=stHorizontalBlock]
    {break-inside: avoid;}
  h1, h2, h3 {break-after: avoid;}
}
</style>
"""


def install() -> None:
    """Our constant stylesheet and the German chrome script (safe to call on every run)."""
    script = _SCRIPT % {"words": json.dumps(GERMAN, ensure_ascii=False),
                        "patterns": json.dumps(PATTERNS, ensure_ascii=False),
                        "hidden": json.dumps(HIDDEN), "keep": json.dumps(PEOPLES_TEXT)}
    st.html(f'{_STYLE}<span class="taten-chrome"></span><script>{script}</script>', unsafe_allow_javascript=True)
