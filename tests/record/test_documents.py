"""The record opened the way its readers open it: the Word file converted by LibreOffice (headless
Writer, as a recorder opens it), and the PDF, both read back with pdftotext -layout and -bbox and
pdffonts. Every column head, every summary, every roster name and the checkpoint are on the page;
nothing runs past the page's right edge; no near-blank page; every font embedded; one date format;
line separators and BOMs normalised. The conversion runs once for the module (it takes seconds)."""
import copy
import html as htmllib
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest

from meeting.chain import link
from meeting.record import build_record, export, labels as L
from meeting.signing import Signer
from tests.record.scenario import MEETING_ID, run_meeting

SUMMARY_WITH_SEPARATORS = "支持加装，\u2028低层住户也会受益。\ufeff"


@dataclass
class Word:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


@dataclass
class Pdf:
    layout: str
    words: list[Word]
    pages: list[tuple[float, float]]  # (width, height) per page
    fonts: str


def read_pdf(path) -> Pdf:
    layout = subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", str(path), "-"], capture_output=True,
                            check=True, text=True).stdout
    bbox = subprocess.run(["pdftotext", "-enc", "UTF-8", "-bbox", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout
    root = ET.fromstring(re.sub(r"<!DOCTYPE[^>]*>", "", bbox).replace('xmlns="http://www.w3.org/1999/xhtml"', ""))
    words, pages = [], []
    for n, page in enumerate(root.iter("page")):
        pages.append((float(page.get("width")), float(page.get("height"))))
        for w in page.iter("word"):
            words.append(Word(n, float(w.get("xMin")), float(w.get("yMin")), float(w.get("xMax")),
                              float(w.get("yMax")), htmllib.unescape(w.text or "")))
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    return Pdf(layout, words, pages, fonts)


def found(pdf: Pdf, text: str) -> bool:
    """Is ``text`` on a page, read as a person reads a table cell: a run of words left to right,
    wrapping onto the next line of the same cell (below it, overlapping it across)?"""
    text = re.sub(r"\s+", "", text)
    by_page: dict[int, list[Word]] = {}
    for w in pdf.words:
        by_page.setdefault(w.page, []).append(w)

    def follow(words, cur: Word, line_x0: float, rest: str, depth: int = 0) -> bool:
        if not rest:
            return True
        if depth > 60:
            return False
        h = cur.y1 - cur.y0
        for nxt in words:
            t = re.sub(r"\s+", "", nxt.text)
            if not t or not (rest.startswith(t) or t.startswith(rest)):
                continue
            same_line = abs(nxt.y0 - cur.y0) < h * 0.3 and 0 <= nxt.x0 - cur.x1 < h * 1.5
            next_line = 0 <= nxt.y0 - cur.y1 < h * 1.2 and nxt.x0 < cur.x1 + 1 and nxt.x1 > line_x0 - 1
            if same_line and follow(words, nxt, line_x0, rest[len(t):], depth + 1):
                return True
            if next_line and follow(words, nxt, nxt.x0, rest[len(t):], depth + 1):
                return True
        return False

    for words in by_page.values():
        for w in words:
            t = re.sub(r"\s+", "", w.text)
            if t and t in text and text.startswith(t) or (t and text in t):
                if text in t or follow(words, w, w.x0, text[len(t):]):
                    return True
    return False


@pytest.fixture(scope="module")
def signed_rows():
    rows = run_meeting().rows()
    rows = copy.deepcopy(rows)
    for r in rows:  # U+2028 and a BOM in a summary (put in the log itself: commands strip them)
        if r["type"] == "summary_written" and r["payload"]["speech_id"] == 2:
            r["payload"]["text"] = SUMMARY_WITH_SEPARATORS
    prev = "0" * 64
    for r in rows:
        r["hash"] = prev = link(prev, MEETING_ID, r["seq"], r["type"], r["at"], r["actor"], r["payload"])
    return rows


@pytest.fixture(scope="module")
def signer():
    return Signer.generate()


@pytest.fixture(scope="module")
def record(signed_rows, signer):
    rec = build_record(signed_rows, MEETING_ID)
    rec.checkpoint = signer.checkpoint(MEETING_ID, rec.event_count, rec.final_hash)
    return rec


@pytest.fixture(scope="module")
def docs(signed_rows, signer, tmp_path_factory):
    """{"docx": Pdf of the Word file as LibreOffice lays it out, "pdf": Pdf of our PDF}."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice Writer is needed (Debian libreoffice-writer-nogui; .ci/run installs it)"
    d = tmp_path_factory.mktemp("docs")
    (d / "record.docx").write_bytes(export(signed_rows, MEETING_ID, "docx", signer=signer).data)
    (d / "record.pdf").write_bytes(export(signed_rows, MEETING_ID, "pdf", signer=signer).data)
    profile = d / "lo-profile"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(d / "lo"), str(d / "record.docx")], check=True, capture_output=True, timeout=180)
    return {"docx": read_pdf(d / "lo" / "record.pdf"), "pdf": read_pdf(d / "record.pdf"), "dir": d}


FORMATS = ["docx", "pdf"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_column_head_section_and_field_is_on_the_page(docs, fmt):
    pdf = docs[fmt]
    heads = [*L.ROSTER_HEAD, *L.PROCESS_HEAD, *L.VOTES_HEAD]
    labels = [L.F_TOPIC, L.F_ITEMS, L.F_TIME, L.F_PLACE, L.F_FORM, L.F_MODERATOR, L.F_RECORDER, L.F_SUPERVISORS,
              L.F_PARTICIPANTS, L.F_RULES, L.SECTION_PROCESS, L.SECTION_VOTES, L.SECTION_OUTCOMES,
              L.SECTION_SIGNATURES, L.SECTION_INTEGRITY, L.D_SUPERVISION, "出席情况", "表决人数"]
    missing = [h for h in [*heads, *labels] if not found(pdf, h)]
    assert not missing, missing
    assert not found(pdf, "表决基数登记人数") and not found(pdf, "不在记录中的文字")  # the reader can fail


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_summary_and_roster_name_is_on_the_page(docs, record, fmt):
    pdf = docs[fmt]
    texts = [s.summary.replace("\u2028", "").replace("\n", "") for s in record.speeches if s.summary]
    texts += [p.name for p in record.roster]
    texts += ["陈伟需先说明一楼住户情况", "电梯井道不影响消防通道。", "居务监督委员会每月检查施工进度并公布"]
    missing = [t for t in texts if not found(pdf, t)]
    assert not missing, missing
    assert len(texts) > 15


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_checkpoint_is_printed_in_words(docs, record, fmt):
    pdf = docs[fmt]
    cp = record.checkpoint
    flat = re.sub(r"\s+", "", pdf.layout)
    for s in (cp.hash, cp.signature, cp.key):
        assert found(pdf, s) or s in flat, s


@pytest.mark.parametrize("fmt", FORMATS)
def test_nothing_runs_past_the_page_and_no_page_is_near_blank(docs, fmt):
    pdf = docs[fmt]
    for n, (width, height) in enumerate(pdf.pages):
        words = [w for w in pdf.words if w.page == n]
        assert words
        assert max(w.x1 for w in words) <= width - 28, f"page {n + 1}: text past the right margin"  # ≥ 1 cm
        assert min(w.x0 for w in words) >= 28
        if n < len(pdf.pages) - 1:  # every page but the last is filled to at least 3/4 of its height
            assert max(w.y1 for w in words) > 0.75 * height, f"page {n + 1} is near blank"
        assert (round(width), round(height)) == (595, 842)  # A4


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_font_is_embedded_and_chinese_has_a_cjk_font(docs, fmt):
    lines = docs[fmt].fonts.splitlines()[2:]
    assert lines and all(re.search(r"\s(yes)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", x) for x in lines), docs[fmt].fonts
    assert any("CJK" in x for x in lines)


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_date_format_and_no_separator_boxes(docs, fmt):
    text = docs[fmt].layout
    assert not re.search(r"\b20\d\d-\d\d-\d\d\b", text)  # dates read 2026年11月24日 19:00
    assert "2026年11月24日19:00" in re.sub(r"\s+", "", text)  # LibreOffice spaces digits from CJK
    assert "\u2028" not in text and "\ufeff" not in text and "\u2029" not in text
    assert found(docs[fmt], "支持加装，") and found(docs[fmt], "低层住户也会受益。")


def test_separators_normalised_in_every_format(signed_rows):
    for fmt in ("md", "html"):
        data = export(signed_rows, MEETING_ID, fmt).data.decode()
        assert "\u2028" not in data and "\ufeff" not in data and "低层住户也会受益" in data.replace("\\", "")
