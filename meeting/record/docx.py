"""The record as a Word document (python-docx), laid out as the form: 《城乡社区协商活动记录表》.

One two-column table, label | content, as in 000 表B.3 / 004 附件2; the roster, the process and the
votes are tables nested in their cells. Every text goes in as a plain run (python-docx escapes it
for XML), so names with markup stay literal. The East Asian font is set explicitly (宋体 with Noto
Serif CJK SC as the named alternative) so Word does not fall back to a Western font for Chinese.
"""
from __future__ import annotations

import io

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from . import labels as L
from .model import Record

EAST_ASIA_FONT = "宋体"
LATIN_FONT = "Times New Roman"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _font(run_or_style, size: float | None = None, bold: bool | None = None) -> None:
    font = run_or_style.font
    font.name = LATIN_FONT
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    rpr = run_or_style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), EAST_ASIA_FONT)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)


def _text(paragraph, text: str, bold: bool = False, size: float | None = None) -> None:
    """Plain text; line breaks become Word line breaks inside one paragraph."""
    prev = None
    for line in text.split("\n"):
        if prev is not None:
            prev.add_break()  # a <w:br/> after the previous line's text
        run = paragraph.add_run(line.replace("\t", " "))
        if bold:
            run.bold = True
        if size is not None:
            run.font.size = Pt(size)
        prev = run


def _fill(cell, text: str, bold: bool = False, size: float | None = None, center: bool = False) -> None:
    p = cell.paragraphs[0]
    _text(p, text, bold=bold, size=size)
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _nested(cell, head, rows) -> None:
    table = cell.add_table(rows=1, cols=len(head))
    table.style = "Table Grid"
    for i, h in enumerate(head):
        _fill(table.rows[0].cells[i], h, bold=True, size=8)
    for row in rows:
        cells = table.add_row().cells
        for i, value in enumerate(row):
            _fill(cells[i], value, size=8)
    cell.add_paragraph()  # Word needs a paragraph after a nested table


def render_docx(record: Record) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(1.8)
    section.top_margin = section.bottom_margin = Cm(1.8)
    _font(doc.styles["Normal"], size=10.5)
    doc.core_properties.title = L.TITLE
    doc.core_properties.subject = record.title

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _text(title, L.TITLE, bold=True, size=18)
    sub = doc.add_paragraph()
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _text(sub, L.SUBTITLE_SOURCE, size=8.5)
    if not record.ended:
        draft = doc.add_paragraph()
        draft.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _text(draft, L.DRAFT_MARK, bold=True)

    sections = record.sections()
    form = doc.add_table(rows=len(sections), cols=2)
    form.style = "Table Grid"
    form.alignment = WD_TABLE_ALIGNMENT.CENTER
    form.autofit = False
    for row, sec in zip(form.rows, sections, strict=True):
        label, content = row.cells
        label.width, content.width = Cm(2.6), Cm(14.8)
        _fill(label, sec.label, bold=True, center=True)
        first = True
        for part in sec.parts:
            if part.caption:
                p = content.paragraphs[0] if first else content.add_paragraph()
                _text(p, part.caption, bold=True)
                first = False
            if part.is_table:
                if first:
                    content.paragraphs[0].text = ""
                _nested(content, part.head, part.rows)
                first = False
            else:
                for line in part.lines:
                    p = content.paragraphs[0] if first else content.add_paragraph()
                    _text(p, line)
                    first = False
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
