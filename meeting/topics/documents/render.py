"""A topic's document (dossier.Doc) as Word (python-docx), HTML and PDF (WeasyPrint).

Made with the meeting record's care and its own building blocks (meeting/record/docx.py): A4
portrait, 1.8 cm margins, the East Asian font chain (Noto Serif CJK SC / 宋体 / SimSun, GB2312
charset, zh-CN), fixed-layout tables whose grid, table and cell widths agree in twips, no nested
tables: runs of label | content rows, and each section that holds a table as a full-width table of
its own whose label and column heads repeat on every page. A notice's QR code is a PNG (segno)
in Word and an inline SVG in HTML/PDF. Attached documents start on a new page.

Every text goes in as a plain run (python-docx escapes it) or through Jinja2's autoescape, so
names with markup stay literal.
"""
from __future__ import annotations

import io
import logging
import zipfile
from pathlib import Path

import jinja2
import segno
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Cm, Pt

from ...record.docx import _qr_png, _run, _spacer, form_table, grid_table, new_document
from ...record.html import CJK_FONTS
from ...record.model import FORM_WEIGHTS, layout_blocks
from .dossier import Doc

logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
# Relative column widths of the documents' tables (each sums to 100), shared by Word and HTML.
COLUMN_WEIGHTS: dict[str, tuple[float, ...]] = {
    "participants": (8, 30, 32, 30),
    "tasks": (7, 33, 14, 14, 18, 14),
    "reports": (14, 10, 18, 16, 16, 13, 13),
}
GRID_SIZE = 9.5
CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
}


def _weights(kind: str, columns: int) -> tuple[float, ...]:
    return COLUMN_WEIGHTS.get(kind) or tuple(100 / columns for _ in range(columns))


# ---- Word ---------------------------------------------------------------------------------------
def _paragraph(doc, text: str, align=None, bold: bool = False, size: float | None = None, before: float = 0,
               after: float = 0, indent: bool = False):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_before = Pt(before)
    p.paragraph_format.space_after = Pt(after)
    if indent:
        p.paragraph_format.first_line_indent = Pt(21)  # two characters of 10.5 pt
    _run(p, text, bold=bold, size=size)
    return p


def _docx_body(doc, d: Doc) -> None:
    _paragraph(doc, d.title, WD_ALIGN_PARAGRAPH.CENTER, bold=True, size=18)
    _paragraph(doc, d.source, WD_ALIGN_PARAGRAPH.CENTER, size=8.5, after=0 if d.mark else 6)
    if d.mark:
        _paragraph(doc, d.mark, WD_ALIGN_PARAGRAPH.CENTER, bold=True, after=6)
    for line in d.intro:
        _paragraph(doc, line, indent=True, after=6)
    for n, (kind, sections) in enumerate(layout_blocks(d.sections)):
        if n:
            _spacer(doc)
        if kind == "form":
            form_table(doc, sections, keep_rows=True)
        else:
            table = next(p for p in sections[0].parts if p.is_table)
            grid_table(doc, sections[0], _weights(table.kind, len(table.head or ())), GRID_SIZE, blank=True)
    for n, line in enumerate(d.closing):
        _paragraph(doc, line, indent=n == 0, before=6 if n == 0 else 0)
    if d.qr_url:
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.LEFT
        p.paragraph_format.space_before = Pt(8)
        p.paragraph_format.keep_with_next = True
        p.add_run().add_picture(_qr_png(d.qr_url), width=Cm(3.2))
        _paragraph(doc, d.qr_caption, size=8.5)
        _paragraph(doc, d.qr_url, size=7.5)
    for n, line in enumerate(d.signoff):
        _paragraph(doc, line, WD_ALIGN_PARAGRAPH.RIGHT, before=12 if n == 0 else 2)
    for att in d.attachments:
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _docx_body(doc, att)


def render_docx(d: Doc) -> bytes:
    doc = new_document(d.title, d.subject)
    _docx_body(doc, d)
    out = io.BytesIO()
    doc.save(out)
    return stable_zip(out.getvalue())


def stable_zip(data: bytes) -> bytes:
    """The same zip (a .docx is one) with every entry dated 1980-01-01, so the same document gives the
    same bytes and the same hash in the archive's manifest (python-docx dates entries by the clock)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


# ---- HTML and PDF -----------------------------------------------------------------------------
_env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def qr_svg(text: str) -> str:
    return segno.make(text, error="m").svg_inline(scale=2, border=2, omitsize=True)


def render_html(d: Doc, for_pdf: bool = False) -> str:
    def blocks(doc: Doc):
        return layout_blocks(doc.sections)

    return _env.get_template("documents/document.html").render(
        doc=d, blocks=blocks, fonts=CJK_FONTS, for_pdf=for_pdf, weights=COLUMN_WEIGHTS, form_weights=FORM_WEIGHTS,
        qr=qr_svg)


def render_pdf(d: Doc) -> bytes:
    from weasyprint import HTML  # imported lazily: it loads Pango and fonts

    return bytes(HTML(string=render_html(d, for_pdf=True), base_url=None).write_pdf())


def render(d: Doc, fmt: str) -> bytes:
    if fmt == "docx":
        return render_docx(d)
    if fmt == "pdf":
        return render_pdf(d)
    if fmt == "html":
        return render_html(d).encode("utf-8")
    raise ValueError(f"unknown format {fmt}; one of docx, pdf, html")
