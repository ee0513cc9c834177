"""The topic's archive (追溯, 000 §6): the five records, each as Word and PDF, in one zip with a
manifest of SHA-256 hashes.

    <number>-<title>/
      1-协商议题建议和审核表.docx / .pdf
      2-议事方案确定记录.docx / .pdf
      3-协商事宜公告.docx / .pdf        (with the public copy of the intake form attached)
      4-城乡社区协商活动记录表.docx / .pdf (meeting/record/export.py, signed when a signer is given)
      4-事件日志.json                      (the meeting's event log, to verify the record)
      5-协商结果落实情况报告.docx / .pdf
      manifest.sha256                      (``sha256sum -c manifest.sha256`` in that folder)
      manifest.json                        (the same hashes with size, kind and title of each file)

The meeting's record is not rebuilt: it is meeting/record's export of the meeting's own log. Before
the meeting has ended (or when there is none) the record files are left out and manifest.json says
so, as it does for each record whose stage has not come yet (dossier.available). The zip is
deterministic: entries in a fixed order, each dated ``as_of`` (the topic's last
change), so the same topic gives the same bytes.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ...record.deadlines import CHINA
from ...record.export import export
from ...signing import Signer
from . import labels as L
from .dossier import BUILDERS, Dossier, available
from .render import render, stable_zip

FORMATS = ("docx", "pdf")
MANIFEST_FORMAT = "yishi-topic-archive/1"


@dataclass(frozen=True)
class ArchiveFile:
    name: str  # path inside the topic's folder
    kind: str  # intake | plan | notice | record | log | report
    title: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def safe(name: str, limit: int = 40) -> str:
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f\s]+', "_", name).strip(" ._")
    return name[:limit] or "topic"


def folder_name(d: Dossier) -> str:
    return f"{safe(d['intake']['number'], 20)}-{safe(d['intake']['title'])}"


def documents(d: Dossier, meeting_rows: Iterable | None = None, meeting_ended: bool = False,
              signer: Signer | None = None, key_url: str = "", as_of: int | None = None) -> list[ArchiveFile]:
    """Every file of the archive, in order (the manifest's order): the records that exist at the
    topic's stage (dossier.available)."""
    out: list[ArchiveFile] = []
    rows = list(meeting_rows or [])
    exists = available(d, meeting_ended and bool(rows))
    for kind, (n, title) in L.KINDS.items():
        stem = f"{n}-{title}"
        if not exists[kind]:
            continue
        if kind == "record":
            meeting_id = d["plan"]["meeting_id"] if d["plan"] else ""
            if not (meeting_ended and rows and meeting_id):
                continue
            for fmt in FORMATS:
                exp = export(rows, meeting_id, fmt, as_of, signer, key_url)
                data = stable_zip(exp.data) if fmt == "docx" else exp.data
                out.append(ArchiveFile(f"{stem}.{fmt}", kind, title, data))
            log = export(rows, meeting_id, "json", as_of, signer, key_url)
            out.append(ArchiveFile(f"{n}-事件日志.json", "log", "事件日志", log.data))
            continue
        doc = BUILDERS[kind](d)
        for fmt in FORMATS:
            out.append(ArchiveFile(f"{stem}.{fmt}", kind, title, render(doc, fmt)))
    return out


def manifest(d: Dossier, files: list[ArchiveFile], as_of: int | None) -> tuple[str, dict]:
    """(manifest.sha256 in sha256sum's format, manifest.json)."""
    lines = "".join(f"{f.sha256}  {f.name}\n" for f in files)
    kinds = {f.kind for f in files}
    doc = {
        "format": MANIFEST_FORMAT,
        "topic": d["topic_id"],
        "number": d["intake"]["number"],
        "title": d["intake"]["title"],
        "community": d["community"],
        "as_of": as_of,
        "algorithm": "sha256",
        "note": L.MANIFEST_NOTE,
        "files": [{"name": f.name, "kind": f.kind, "title": f.title, "size": len(f.data), "sha256": f.sha256}
                  for f in files],
        "missing": [{"kind": kind, "title": title,
                     "reason": L.MISSING_RECORD if kind == "record" else L.MISSING_NOT_YET.format(title=title)}
                    for kind, (_n, title) in L.KINDS.items() if kind not in kinds],
    }
    return lines, doc


def build_archive(d: Dossier, meeting_rows: Iterable | None = None, meeting_ended: bool = False,
                  signer: Signer | None = None, key_url: str = "", as_of: int | None = None) -> bytes:
    files = documents(d, meeting_rows, meeting_ended, signer, key_url, as_of)
    sums, doc = manifest(d, files, as_of)
    folder = folder_name(d)
    stamp = datetime.fromtimestamp((as_of or 315532800000) / 1000, CHINA).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in [*((f.name, f.data) for f in files), ("manifest.sha256", sums.encode("utf-8")),
                           ("manifest.json", json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"))]:
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=max(stamp, (1980, 1, 1, 0, 0, 0)))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return out.getvalue()
