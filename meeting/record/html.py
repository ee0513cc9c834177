"""The record as print-friendly HTML (templates/record.html), also the source of the PDF.

Jinja2 with autoescape: every text is escaped, names and notes with markup come out as text.
"""
from __future__ import annotations

from pathlib import Path

import jinja2

from . import labels
from .model import Record

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Debian's fonts-noto-cjk: Noto Serif CJK SC for the body (an official document), Sans as fallback.
CJK_FONTS = '"Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", "SimSun", "Songti SC", serif'

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(record: Record, for_pdf: bool = False) -> str:
    return _env.get_template("record.html").render(record=record, sections=record.sections(), L=labels,
                                                   fonts=CJK_FONTS, for_pdf=for_pdf)
