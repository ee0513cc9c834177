"""The record as Markdown: headings, field lines and pipe tables.

Every text is escaped: each ASCII punctuation character that Markdown (CommonMark/GFM) could read
as markup gets a backslash (and ``://`` too, against bare-URL autolinks), so a name like ``**x**``
or ``<b>`` or ``[a](b)`` stays literal text.
Line breaks inside a table cell become ``<br>`` (the only markup we add ourselves).
"""
from __future__ import annotations

from . import labels as L
from .model import Record

_SPECIAL = set("\\`*_{}[]()<>#+-.!|~&=")


def escape(text: str) -> str:
    out = []
    for ch in text:
        out.append("\\" + ch if ch in _SPECIAL else ch)
    return "".join(out).replace("://", "\\://")  # no bare-URL autolinks (GFM)


def _lines(text: str) -> list[str]:
    return [escape(line) for line in text.split("\n")]


def _cell(text: str) -> str:
    return "<br>".join(escape(x.replace("\t", " ")) for x in text.split("\n")) or " "


def render_markdown(record: Record) -> str:
    out = [f"# {escape(L.TITLE)}", "", escape(L.SUBTITLE_SOURCE), ""]
    if not record.ended:
        out += [f"**{escape(L.DRAFT_MARK)}**", ""]
    for sec in record.sections():
        if sec.simple:
            value = sec.parts[0].lines[0] if sec.parts[0].lines else ""
            out.append(f"**{escape(sec.label)}**：" + "  \n".join(_lines(value)) + "  ")
            continue
        out += ["", f"## {escape(sec.label)}", ""]
        for part in sec.parts:
            if part.caption:
                out += [f"**{escape(part.caption)}**", ""]
            if part.head is not None:
                out.append("| " + " | ".join(_cell(h) for h in part.head) + " |")
                out.append("|" + "|".join("---" for _ in part.head) + "|")
                out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in part.rows or []]
                out.append("")
            else:
                for line in part.lines:
                    out.append("- " + "  \n  ".join(_lines(line)))
                out.append("")
    return "\n".join(out).rstrip() + "\n"
