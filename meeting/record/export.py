"""Exports of a meeting: the record as docx, pdf, md or html, and the raw event log as json.

``export(rows, meeting_id, fmt)`` → ``Export(data, content_type, filename)``. The JSON form is the
log as stored — ``{"format", "meeting", "title", "count", "final_hash", "events": [{seq, type, at,
actor, payload, command_id, hash}]}`` — and ``load_log`` reads it back, so the record can be
rebuilt from an exported log and ``python -m meeting verify`` can check it.

With the server's key (``signer``, meeting/signing.py) every export is signed: the record carries
the checkpoint of the log it was built from (meeting id, event count, hash of the last event; in
words and as a QR code), and the JSON log carries ``public_key`` and ``checkpoints``: one after
each ``record_signed`` event (the log as each signer confirmed it) and one at its end. Signatures
are deterministic, so exporting the same log twice gives the same bytes.

An anonymous ballot's choice is never in the log (it is counted in the ballot box, apart from
the log; docs/security.md), so every export is the log whole, and verifies whole.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..signing import Checkpoint, Signer
from . import labels
from .model import LogRow, as_rows, build_record

FORMATS = ("docx", "pdf", "md", "html", "json")
CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
}
LOG_FORMAT = "yishi-event-log/1"


@dataclass(frozen=True)
class Export:
    data: bytes
    content_type: str
    filename: str  # may contain Chinese; see ascii_filename for the fallback
    ascii_filename: str


def checkpoints(rows: list[LogRow], meeting_id: str, signer: Signer) -> list[Checkpoint]:
    """After each record_signed event, and at the end of the log."""
    if not rows or not all(r.hash for r in rows):
        return []
    at = [n for n, r in enumerate(rows, start=1) if r.type == "record_signed"]
    if not at or at[-1] != len(rows):
        at.append(len(rows))
    return [signer.checkpoint(meeting_id, n, str(rows[n - 1].hash)) for n in at]


def log_json(rows: Iterable, meeting_id: str, signer: Signer | None = None) -> dict:
    rows = as_rows(rows)
    events = []
    title = ""
    for r in rows:
        if r.type == "meeting_created":
            title = (r.payload.get("config") or {}).get("title", "")
        events.append(r.to_dict())
    doc = {"format": LOG_FORMAT, "meeting": meeting_id, "title": title, "count": len(events),
           "final_hash": events[-1]["hash"] if events else None}
    if signer is not None:
        doc["public_key"] = signer.public_b64
        doc["checkpoints"] = [cp.to_dict() for cp in checkpoints(rows, meeting_id, signer)]
    doc["events"] = events
    return doc


def load_log(data: bytes | str | dict) -> tuple[str, list[dict], str | None]:
    """(meeting id, event rows, the final hash the file claims) from an exported JSON log."""
    doc = json.loads(data) if isinstance(data, (bytes, str)) else data
    if not isinstance(doc, dict) or not isinstance(doc.get("events"), list) or not isinstance(doc.get("meeting"), str):
        raise ValueError("not an exported event log: expected {\"meeting\": id, \"events\": [...]}")
    return doc["meeting"], doc["events"], doc.get("final_hash")


def _safe(name: str) -> str:
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', "_", name).strip(" ._")
    return name[:60] or "record"


def filenames(meeting_id: str, title: str, fmt: str) -> tuple[str, str]:
    stem = "事件日志" if fmt == "json" else "协商活动记录表"
    ascii_stem = "event-log" if fmt == "json" else "record"
    return f"{_safe(title)}-{stem}-{_safe(meeting_id)}.{fmt}", f"{ascii_stem}-{_safe(meeting_id)}.{fmt}"


def export(rows: Iterable, meeting_id: str, fmt: str, as_of: int | None = None, signer: Signer | None = None,
           key_url: str = "") -> Export:
    """``signer``: the server's key, to sign the checkpoint (none: the record says it is unsigned);
    ``key_url``: where the public key is served (printed on the record)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt}; one of {', '.join(FORMATS)}")
    rows = as_rows(rows)
    if fmt == "json":
        doc = log_json(rows, meeting_id, signer)
        data = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
        title = doc["title"]
    else:
        record = build_record(rows, meeting_id, as_of=as_of)
        if signer is not None and record.final_hash and record.integrity == labels.INT_OK:
            record.checkpoint = signer.checkpoint(meeting_id, record.event_count, record.final_hash)
            record.key_url = key_url
        title = record.title
        if fmt == "html":
            from .html import render_html

            data = render_html(record).encode("utf-8")
        elif fmt == "md":
            from .markdown import render_markdown

            data = render_markdown(record).encode("utf-8")
        elif fmt == "docx":
            from .docx import render_docx

            data = render_docx(record)
        else:
            from .pdf import render_pdf

            data = render_pdf(record)
    name, ascii_name = filenames(meeting_id, title, fmt)
    return Export(data, CONTENT_TYPES[fmt], name, ascii_name)
