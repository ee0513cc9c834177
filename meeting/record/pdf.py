"""The record as PDF: WeasyPrint from the record's HTML, with Debian's Noto CJK fonts.

The fonts are found through fontconfig (fonts-noto-cjk); ``html.CJK_FONTS`` names them first, so
Chinese never falls back to boxes. WeasyPrint embeds the subset of the font that is used
(``pdffonts`` lists it as an embedded CID font).
"""
from __future__ import annotations

import logging

from .html import render_html
from .model import Record

# WeasyPrint logs every CSS property it ignores at WARNING; the record's CSS is ours.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)


def render_pdf(record: Record) -> bytes:
    from weasyprint import HTML  # imported lazily: it loads Pango and fonts

    return HTML(string=render_html(record, for_pdf=True), base_url=None).write_pdf()
