"""Every format: docx (python-docx), pdf (pdftotext, pdffonts), html, md; the same content from
an exported JSON log; markup and control characters come out as plain text."""
import io
import json
import subprocess

import docx
import pytest
from docx.oxml.ns import qn

from meeting.chain import link
from meeting.record import build_record, export, labels as L, load_log
from meeting.record.docx import TEXT_TWIPS, render_docx
from meeting.record.html import render_html
from meeting.record.markdown import render_markdown
from meeting.record.pdf import render_pdf
from tests.record.scenario import MEETING_ID, TITLE, run_meeting


def docx_text(data: bytes) -> tuple[docx.document.Document, str]:
    d = docx.Document(io.BytesIO(data))
    parts = [p.text for p in d.paragraphs]

    def walk(table):
        for row in table.rows:
            seen = set()
            for cell in row.cells:
                if id(cell._tc) in seen:
                    continue
                seen.add(id(cell._tc))
                parts.extend(p.text for p in cell.paragraphs)
                for t in cell.tables:
                    walk(t)

    for t in d.tables:
        walk(t)
    return d, "\n".join(parts)


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "r.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def test_docx_is_the_form(record):
    d, text = docx_text(render_docx(record))
    assert d.paragraphs[0].text == L.TITLE
    # no table inside a table: the form's label | content rows, and one full-width table per section
    # that holds a table (roster, process, votes), its label and column heads repeated on each page
    assert all(not cell.tables for t in d.tables for row in t.rows for cell in row.cells)
    form = d.tables[0]
    labels = [row.cells[0].text for row in form.rows]
    for label in (L.F_TOPIC, L.F_ITEMS, L.F_TIME, L.F_PLACE, L.F_FORM, L.F_MODERATOR, L.F_RECORDER, L.F_SUPERVISORS):
        assert label in labels
    assert L.F_FORM == "协商方式"
    row = dict(zip(labels, form.rows, strict=True))
    assert row[L.F_TOPIC].cells[1].text == TITLE and row[L.F_PLACE].cells[1].text == "幸福社区二楼会议室"
    grids = {t.rows[0].cells[0].text: t for t in d.tables[1:] if len(t.columns) > 2}
    roster, process, votes = grids[L.F_PARTICIPANTS], grids[L.SECTION_PROCESS], grids[L.SECTION_VOTES]
    assert [c.text for c in roster.rows[1].cells] == list(L.ROSTER_HEAD)
    assert [c.text for c in process.rows[1].cells] == list(L.PROCESS_HEAD)
    assert [c.text for c in votes.rows[1].cells] == list(L.VOTES_HEAD)
    assert len([r for r in roster.rows if len({id(c._tc) for c in r.cells}) == 7]) == 1 + 11
    assert [c.text for c in votes.rows[3].cells][6:10] == ["5\n83.3%", "1\n16.7%", "0\n0.0%", "0\n0.0%"]
    for t in d.tables:  # the header rows repeat; grid, table and cell widths agree, in twips
        xml = t._tbl.xml
        grid = [int(c.get(qn("w:w"))) for c in t._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert sum(grid) == int(t._tbl.tblPr.find(qn("w:tblW")).get(qn("w:w"))) == TEXT_TWIPS
        assert 'w:type="fixed"' in xml
        for r in t.rows:
            widths = [int(tc.tcPr.find(qn("w:tcW")).get(qn("w:w"))) for tc in r._tr.tc_lst]
            assert sum(widths) == TEXT_TWIPS, widths
        assert xml.count("<w:tblHeader/>") == (2 if len(t.columns) > 2 else 0)
    assert record.final_hash in text and "陈伟需先说明一楼住户情况" in text
    # East Asian font chain and language
    styles = d.styles.element.xml
    assert 'w:eastAsia="Noto Serif CJK SC"' in styles and 'w:eastAsia="zh-CN"' in styles
    font_table = next(r.target_part for r in d.part.rels.values() if r.reltype.endswith("/fontTable")).blob.decode()
    assert 'w:altName w:val="宋体"' in font_table and 'w:charset w:val="86"' in font_table
    section = d.sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)


def test_pdf_has_chinese_text_and_an_embedded_cjk_font(record, tmp_path):
    data = render_pdf(record)
    assert data.startswith(b"%PDF")
    text = pdf_text(data, tmp_path)
    for s in (L.TITLE, TITLE, "刘秀英", "孙立军", "林监督", "83.3%", record.final_hash[:16]):
        assert s in text.replace("\n", ""), s
    path = tmp_path / "r.pdf"
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk), fonts  # embedded


def test_html_and_markdown(record):
    html = render_html(record)
    assert f"<h1>{L.TITLE}</h1>" in html and '<th scope="row">协商议题</th>' in html
    assert html.count('<table class="grid') == 3
    assert "white-space: nowrap" not in html and html.count("<thead>") == 3
    md = render_markdown(record)
    assert md.startswith(f"# {L.TITLE}") and f"## {L.SECTION_VOTES}" in md
    assert "| 2 \\| 第1项：是否加装电梯" not in md  # cells are separated, not escaped
    assert "5<br>83\\.3%" in md


def test_same_document_from_an_exported_json_log(meeting_rows, tmp_path):
    exported = export(meeting_rows, MEETING_ID, "json")
    doc = json.loads(exported.data)
    assert doc["meeting"] == MEETING_ID and doc["count"] == len(meeting_rows)
    assert set(doc["events"][0]) == {"seq", "type", "at", "actor", "payload", "command_id", "hash"}
    meeting_id, rows, claimed = load_log(exported.data)
    assert claimed == meeting_rows[-1]["hash"]
    again = build_record(rows, meeting_id)
    first = build_record(meeting_rows, MEETING_ID)
    assert again == first
    for fmt in ("md", "html"):
        assert export(rows, meeting_id, fmt).data == export(meeting_rows, MEETING_ID, fmt).data
    assert docx_text(render_docx(again))[1] == docx_text(render_docx(first))[1]
    assert pdf_text(render_pdf(again), tmp_path) == pdf_text(render_pdf(first), tmp_path)


# ---- markup and control characters ----------------------------------------------------------
EVIL_NAME = "<b>刘</b>**秀**[英](javascript:x)"
EVIL_SUMMARY = "<script>alert(1)</script> & | `x` _y_ # z &amp;"


def relink(rows):
    prev = "0" * 64
    for r in rows:
        r["hash"] = link(prev, MEETING_ID, r["seq"], r["type"], r["at"], r["actor"], r["payload"])
        prev = r["hash"]
    return rows


@pytest.fixture(scope="module")
def evil_record():
    # s4 is called to order and the note is a line of its own: both show on full-width lines in the PDF
    rows = run_meeting(names={"s4": EVIL_NAME}, summary=EVIL_SUMMARY, note=EVIL_SUMMARY + "\nb <i>c</i>").rows()
    # control characters cannot come in through commands (they are stripped); put them in the log itself
    cfg = rows[0]["payload"]["config"]
    cfg["roster"][2]["name"] = "陈\x07伟\x1b[31m\u202e"
    cfg["place"] = "会议室\x00\x0b\r"
    return build_record(relink(rows), MEETING_ID)


def test_model_strips_control_characters(evil_record):
    assert evil_record.name_of("s2") == "陈伟[31m" and evil_record.place == "会议室"
    text = evil_record.text()
    assert not any(ord(ch) < 32 and ch not in "\n" for ch in text)
    assert "\u202e" not in text


def test_markup_is_text_in_html(evil_record):
    html = render_html(evil_record)
    assert "<script>" not in html and "<b>刘" not in html and "<i>c" not in html
    assert "&lt;b&gt;刘&lt;/b&gt;**秀**[英](javascript:x)" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; | `x` _y_ # z &amp;amp;" in html


def test_markup_is_text_in_markdown(evil_record):
    md = render_markdown(evil_record)
    assert "<script>" not in md and "<b>" not in md and "**秀**" not in md and "](javascript" not in md
    assert r"\<b\>刘\</b\>\*\*秀\*\*\[英\]\(javascript:x\)" in md
    assert r"\<script\>alert\(1\)\</script\> \& \| \`x\` \_y\_ \# z \&amp;" in md
    assert not any(ord(ch) < 32 and ch not in "\n" for ch in md)


def test_markup_is_text_in_docx(evil_record):
    data = render_docx(evil_record)
    d, text = docx_text(data)
    assert EVIL_NAME in text and EVIL_SUMMARY in text and "陈伟[31m" in text


def test_markup_is_text_in_pdf(evil_record, tmp_path):
    text = pdf_text(render_pdf(evil_record), tmp_path).replace("\n", "")
    assert "<b>刘</b>**秀**[英](javascript:x)" in text
    assert "<script>alert(1)</script>" in text
