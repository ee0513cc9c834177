"""The record as print-friendly HTML (templates/record.html), also the source of the PDF.

Jinja2 with autoescape: every text is escaped, names and notes with markup come out as text. The
signed checkpoint's QR code is segno's inline SVG (made from the checkpoint's text only).
"""
from __future__ import annotations

from pathlib import Path

import jinja2
import segno

from . import labels
from .model import COLUMN_WEIGHTS, FORM_WEIGHTS, Record, layout_blocks

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Debian's fonts-noto-cjk: Noto Serif CJK SC for the body (an official document), Sans as fallback.
CJK_FONTS = '"Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", "SimSun", "Songti SC", serif'

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def qr_svg(text: str) -> str:
    return segno.make(text, error="m").svg_inline(scale=2, border=2, omitsize=True)


def render_html(record: Record, for_pdf: bool = False) -> str:
    cp = record.checkpoint
    hashes = {x for x in (record.final_hash, cp.signature if cp else None) if x}
    return _env.get_template("record.html").render(
        record=record, blocks=layout_blocks(record.sections()), L=labels, fonts=CJK_FONTS, for_pdf=for_pdf,
        weights=COLUMN_WEIGHTS, form_weights=FORM_WEIGHTS, qr=qr_svg(cp.text()) if cp else "", hashes=hashes)
