"""The record as a Word document (python-docx), laid out as the form: 《城乡社区协商活动记录表》.

Built so that Word and LibreOffice lay it out the same:
- A4 portrait, 1.8 cm margins; no nested tables. The sections are laid out by
  ``model.layout_blocks``: runs of label | content rows in a two-column table, and each section
  that holds a table (roster, process, votes) as a full-width table of its own whose first row is
  the section's label and second the column heads, both repeated on every page.
- Every table has a fixed layout, and its grid (``w:tblGrid``), its width and every cell's width
  (``w:tcW``) agree, in twips, summing to the text width (model.COLUMN_WEIGHTS).
- Fonts: Latin text in Times New Roman; East Asian text in a chain declared in the font table:
  Noto Serif CJK SC, its alternative name 宋体 (and that one's, SimSun), the GB2312 character set
  and SimSun's PANOSE, so every program finds a Chinese serif font; East Asian language zh-CN.
- The signed checkpoint's QR code as a PNG picture (segno) in the 记录校验 row.
Every text goes in as a plain run (python-docx escapes it for XML), so names with markup stay
literal.
"""
from __future__ import annotations

import io

import segno
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from . import labels as L
from .model import COLUMN_WEIGHTS, FORM_WEIGHTS, Record, Section, layout_blocks

# The East Asian font chain: Noto Serif CJK SC (Debian's fonts-noto-cjk; LibreOffice finds it by
# name), else its alternative 宋体 (Windows' SimSun; w:altName in the font table), else any font of
# the GB2312 character set (w:charset 86) of the serif family.
EAST_ASIA_FONT = "Noto Serif CJK SC"
EAST_ASIA_ALT = "宋体"
SIMSUN_PANOSE = "02010600030101010101"
LATIN_FONT = "Times New Roman"
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PAGE_W, PAGE_H, MARGIN = Cm(21.0), Cm(29.7), Cm(1.8)
TEXT_TWIPS = round((PAGE_W - 2 * MARGIN) / 635)  # EMU -> twips: 9865
GRID_SIZE = {"roster": 9, "process": 8.5, "votes": 8}
SHADE = "F2F2F2"


def _twips(weights: tuple[float, ...]) -> list[int]:
    total = sum(weights)
    out = [int(TEXT_TWIPS * w / total) for w in weights]
    out[-1] += TEXT_TWIPS - sum(out)
    return out


def _child(parent, tag: str, first: bool = False):
    """``parent``'s child element ``tag``, made (as its first or last child) if it has none."""
    el = parent.find(qn(tag))
    if el is None:
        el = OxmlElement(tag)
        if first:
            parent.insert(0, el)
        else:
            parent.append(el)
    return el


def _set_fonts(rpr) -> None:
    fonts = _child(rpr, "w:rFonts", first=True)
    for attr, value in (("w:ascii", LATIN_FONT), ("w:hAnsi", LATIN_FONT), ("w:cs", LATIN_FONT),
                        ("w:eastAsia", EAST_ASIA_FONT), ("w:hint", "eastAsia")):
        fonts.set(qn(attr), value)
    lang = _child(rpr, "w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _document_defaults(doc) -> None:
    styles = doc.styles.element
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr_default)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    _set_fonts(normal.element.get_or_add_rPr())
    pf = normal.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    pf.line_spacing = 1.15
    # the font table: 宋体 with its alternative name and the Chinese character set, so a Word
    # without it substitutes a Chinese font rather than a Western one
    font_table = None
    for rel in doc.part.rels.values():
        if rel.reltype.endswith("/fontTable"):
            font_table = rel.target_part
    if font_table is not None:
        from lxml import etree  # type: ignore[import-untyped]

        root = etree.fromstring(font_table.blob)
        ns = root.nsmap.get("w") or "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
        w = f"{{{ns}}}"
        for name, alt in ((EAST_ASIA_FONT, EAST_ASIA_ALT), (EAST_ASIA_ALT, "SimSun")):
            for old in root.findall(f"{w}font[@{w}name='{name}']"):
                root.remove(old)
            font = etree.SubElement(root, f"{w}font", {f"{w}name": name})
            etree.SubElement(font, f"{w}altName", {f"{w}val": alt})
            etree.SubElement(font, f"{w}panose1", {f"{w}val": SIMSUN_PANOSE})
            etree.SubElement(font, f"{w}charset", {f"{w}val": "86"})
            etree.SubElement(font, f"{w}family", {f"{w}val": "roman"})
            etree.SubElement(font, f"{w}pitch", {f"{w}val": "variable"})
        font_table._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    settings = doc.settings.element
    theme_lang = _child(settings, "w:themeFontLang")
    theme_lang.set(qn("w:val"), "en-US")
    theme_lang.set(qn("w:eastAsia"), "zh-CN")


def _run(paragraph, text: str, bold: bool = False, size: float | None = None) -> None:
    run = paragraph.add_run(text.replace("\t", " "))
    if bold:
        run.bold = True
    if size is not None:
        run.font.size = Pt(size)


def _cell_lines(cell, lines: list[str], bold: bool = False, size: float | None = None, center: bool = False,
                first: bool = True) -> None:
    """Each line a paragraph of the cell (a text's own line breaks too)."""
    for line in lines:
        for piece in line.split("\n"):
            p = cell.paragraphs[0] if first else cell.add_paragraph()
            first = False
            _run(p, piece, bold=bold, size=size)
            if center:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _cell_width(cell, twips: int) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    tcw = _child(tcpr, "w:tcW", first=True)
    tcw.set(qn("w:w"), str(twips))
    tcw.set(qn("w:type"), "dxa")


def _shade(cell) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), SHADE)
    cell._tc.get_or_add_tcPr().append(shd)


def _row_flag(row, tag: str) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement(tag)
    trpr.append(el)


def _table(doc, widths: list[int]):
    table = doc.add_table(rows=0, cols=len(widths))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False  # w:tblLayout fixed
    tblpr = table._tbl.tblPr
    tblw = _child(tblpr, "w:tblW")
    tblw.set(qn("w:w"), str(sum(widths)))
    tblw.set(qn("w:type"), "dxa")
    for col, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(width))
    return table


def _add_row(table, widths: list[int], span: bool = False):
    row = table.add_row()
    cells = row.cells
    if span:
        merged = cells[0].merge(cells[-1])
        _cell_width(merged, sum(widths))
        return row, [merged]
    for cell, width in zip(cells, widths, strict=True):
        _cell_width(cell, width)
    return row, cells


def _spacer(doc) -> None:
    """A hairline paragraph between two tables, so Word does not join them into one."""
    p = doc.add_paragraph()
    p.paragraph_format.line_spacing = Pt(2)
    _run(p, "", size=1)


def _qr_png(text: str) -> io.BytesIO:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=6, border=2)
    out.seek(0)
    return out


def cell_parts(cell, parts, blank: bool = True) -> None:
    """Each part's caption (bold) and lines as paragraphs of ``cell``; ``blank``: a first part with no
    lines still writes its (empty) first paragraph's run."""
    first = True
    for part in parts:
        if part.caption:
            _cell_lines(cell, [part.caption], bold=True, first=first)
            first = False
        _cell_lines(cell, part.lines or ([""] if first and blank else []), first=first)
        first = False


def form_table(doc, sections: list[Section], keep_rows: bool = False, after=None) -> None:
    """A run of label | content rows (model.FORM_WEIGHTS); ``keep_rows``: no row splits across pages;
    ``after(sec, content)``, when given, adds to a row's content cell after its parts."""
    widths = _twips(FORM_WEIGHTS)
    table = _table(doc, widths)
    for sec in sections:
        row, (label, content) = _add_row(table, widths)
        if keep_rows:
            _row_flag(row, "w:cantSplit")
        _shade(label)
        _cell_lines(label, [sec.label], bold=True, center=True)
        cell_parts(content, sec.parts)
        if after is not None:
            after(sec, content)


def grid_table(doc, sec: Section, weights: tuple[float, ...], size: float, blank: bool = False) -> None:
    """A section holding a table as a full-width table of its own: its label and column heads repeat on
    every page, each row stays on one page, a part that is not the table spans the width."""
    table_part = next(p for p in sec.parts if p.is_table)
    widths = _twips(weights)
    table = _table(doc, widths)
    row, (cell,) = _add_row(table, widths, span=True)
    _shade(cell)
    _cell_lines(cell, [sec.label], bold=True)
    _row_flag(row, "w:tblHeader")
    _row_flag(row, "w:cantSplit")
    row, cells = _add_row(table, widths)
    for c, h in zip(cells, table_part.head or (), strict=True):
        _shade(c)
        _cell_lines(c, [h], bold=True, size=size, center=True)
    _row_flag(row, "w:tblHeader")
    _row_flag(row, "w:cantSplit")
    for part in sec.parts:
        if part.is_table:
            for values in part.rows or []:
                row, cells = _add_row(table, widths)
                for c, value in zip(cells, values, strict=True):
                    _cell_lines(c, [value], size=size)
                _row_flag(row, "w:cantSplit")
        else:
            row, (cell,) = _add_row(table, widths, span=True)
            cell_parts(cell, [part], blank=blank)


def _grid(doc, sec: Section) -> None:
    table_part = next(p for p in sec.parts if p.is_table)
    weights = COLUMN_WEIGHTS.get(table_part.kind) or tuple(1.0 for _ in table_part.head or ())
    grid_table(doc, sec, weights, GRID_SIZE.get(table_part.kind, 9))


def new_document(title: str, subject: str):
    """An empty A4 portrait Word document with the margins, fonts and properties of the record."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_W, PAGE_H
    section.left_margin = section.right_margin = MARGIN
    section.top_margin = section.bottom_margin = MARGIN
    _document_defaults(doc)
    doc.core_properties.title = title
    doc.core_properties.subject = subject
    doc.core_properties.language = "zh-CN"
    return doc


def render_docx(record: Record) -> bytes:
    doc = new_document(L.TITLE, record.title)

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(title, L.TITLE, bold=True, size=18)
    sub = doc.add_paragraph()
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub.paragraph_format.space_after = Pt(6)
    _run(sub, L.SUBTITLE_SOURCE, size=8.5)
    if not record.ended:
        draft = doc.add_paragraph()
        draft.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(draft, L.DRAFT_MARK, bold=True)

    def qr_after(sec: Section, content) -> None:
        if sec.label == L.SECTION_INTEGRITY and record.checkpoint is not None:
            p = content.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.add_run().add_picture(_qr_png(record.checkpoint.text()), width=Cm(3.6))

    for n, (kind, sections) in enumerate(layout_blocks(record.sections())):
        if n:
            _spacer(doc)
        if kind == "form":
            form_table(doc, sections, after=qr_after)
        else:
            _grid(doc, sections[0])
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
