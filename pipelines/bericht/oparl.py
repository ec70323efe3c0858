"""The OParl 1.1 hand-over: each proposed measure as a ``Paper`` (Beschlussvorlage).

A council information system imports the file; it gives the objects its own URLs,
so ours are placeholders under ``base_url`` (default: the reserved ``.invalid``
domain, which no request can reach). Every Paper's ``mainFile`` is the committee
report PDF written beside the JSON, described by name, MIME type, size and
SHA-512 (OParl 1.1 ``File``: ``fileName``, ``mimeType``, ``size``, ``sha512Checksum``).
A ``consultation`` names the committee; ``location`` carries GeoJSON where the
gazetteer gives a district a ``geometry``.

File layout::

    {"type": "taten/oparl-uebergabe", "oparlVersion": "https://schema.oparl.org/1.1/",
     "conference": ..., "hinweis": ... (example data only), "papers": [Paper, ...]}
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pipelines.bericht import Bericht, MeasureItem, measure_facts, quote_line

SCHEMA = "https://schema.oparl.org/1.1/"
BASE_URL = "https://taten.invalid/oparl"
COMMITTEE = "Sozialausschuss"
PAPER_TYPE = "Beschlussvorlage"


def _stamp(moment: datetime) -> str:
    """RFC 3339 with offset, as OParl asks; the store keeps UTC (SQLite hands it back naive)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).isoformat(timespec="seconds")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def main_file(pdf: Path, base_url: str = BASE_URL) -> dict[str, Any]:
    """The OParl ``File`` of the report PDF."""
    content = pdf.read_bytes()
    url = f"{base_url}/file/{_slug(pdf.stem)}"
    return {
        "id": url, "type": f"{SCHEMA}File", "name": "Sitzungsvorlage (Bericht der Sozialraumkonferenz)",
        "fileName": pdf.name, "mimeType": "application/pdf", "size": len(content),
        "sha512Checksum": hashlib.sha512(content).hexdigest(), "accessUrl": f"{url}/{pdf.name}",
    }


def paper(b: Bericht, m: MeasureItem, file: Mapping[str, Any], *, base_url: str = BASE_URL,
          committee: str = COMMITTEE, geometry: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """One measure as an OParl ``Paper``."""
    url = f"{base_url}/paper/{m.reference.lower()}"
    text = "\n".join([m.description.strip(), *(f"{k}: {v}" for k, v in measure_facts(m)),
                      *(f"Anliegen: {c}" for c in m.concerns), *(quote_line(q) for q in m.quotes),
                      *([b.notice] if b.notice else [])]).strip()
    out: dict[str, Any] = {
        "id": url, "type": f"{SCHEMA}Paper", "name": m.title, "reference": m.reference,
        "date": (b.date if b.date and len(b.date) == 10 else f"{b.created:%Y-%m-%d}"),
        "paperType": PAPER_TYPE,
        "mainFile": {**file, "text": text},
        "keyword": [k for k in (m.theme, *m.districts, b.conference, *(["Beispieldaten – fiktiv"] if b.notice else []))
                    if k],
        "consultation": [{
            "id": f"{url}/consultation/1", "type": f"{SCHEMA}Consultation", "paper": url,
            "organization": [f"{base_url}/organization/{_slug(committee)}"],
            "role": f"Beratung und Beschluss im {committee}", "authoritative": True,
        }],
        "created": _stamp(m.updated), "modified": _stamp(m.updated),
    }
    shapes = [(d, geometry[d]) for d in m.districts if geometry and d in geometry]
    if shapes:
        out["location"] = [{"id": f"{base_url}/location/{_slug(d)}", "type": f"{SCHEMA}Location",
                            "description": d, "subLocality": d, "locality": b.city or "",
                            "geojson": {"type": "Feature", "geometry": dict(g), "properties": {"name": d}}}
                           for d, g in shapes]
    return out


def oparl_payload(b: Bericht, pdf: Path, **options: Any) -> dict[str, Any]:
    file = main_file(pdf, options.get("base_url", BASE_URL))
    return {
        "type": "taten/oparl-uebergabe", "oparlVersion": SCHEMA, "conference": b.conference,
        **({"hinweis": b.notice} if b.notice else {}),
        "papers": [paper(b, m, file, **options) for m in b.measures],
    }


def write_oparl(b: Bericht, path: Path, pdf: Path, **options: Any) -> None:
    """Write the hand-over JSON to ``path``; ``pdf`` is the report PDF its Papers name."""
    Path(path).write_text(json.dumps(oparl_payload(b, pdf, **options), ensure_ascii=False, indent=2), encoding="utf-8")


def district_geometry(gazetteer: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """District name → GeoJSON geometry, for districts whose gazetteer entry has ``geometry``."""
    return {d["name"]: d["geometry"] for d in gazetteer.get("districts", []) if isinstance(d.get("geometry"), dict)}
