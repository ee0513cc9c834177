"""The topic's records (000 §6) as Word and PDF, and the archive zip with its manifest of hashes.

Checked the way the meeting record's tests check it (tests/record/): python-docx reads the Word
file back (A4, fixed-layout tables whose widths agree in twips, no nested tables, the East Asian
font chain, heading rows repeated); pdftotext and pdffonts read the PDF (every field on the page,
CJK fonts embedded, A4); LibreOffice converts the Word file as a recorder opens it. The public copy
of the intake form (attached to the notice) carries no contact data in any format."""
from __future__ import annotations

import copy
import hashlib
import io
import json
import shutil
import subprocess
import zipfile
from datetime import date, datetime

import docx
import pytest
from docx.oxml.ns import qn

from meeting.record.docx import TEXT_TWIPS
from meeting.topics.deadlines import Due
from meeting.topics.decide import CHINA, Actor, Context, decide
from meeting.topics.documents import labels as L
from meeting.topics.documents.adapter import deadline_lines, dossier_from_state
from meeting.topics.documents.archive import build_archive
from meeting.topics.documents.dossier import BUILDERS, Dossier, intake_doc, notice_doc, plan_doc, report_doc
from meeting.topics.documents.render import render, render_docx, render_html, render_pdf
from meeting.topics.state import evolve, replay
from tests.record.scenario import MEETING_ID, run_meeting

CONTACT = "13912345678"


def ms(*args) -> int:
    return int(datetime(*args, tzinfo=CHINA).timestamp() * 1000)


def sample() -> Dossier:
    return {
        "community": "幸福社区",
        "topic_id": "t1",
        "intake": {"number": "2026-007", "submitted_at": ms(2026, 11, 2, 9), "channel": "qr", "category": "building",
                   "title": "3号楼加装电梯", "description": "3号楼共18户，老人多，希望加装电梯。\n费用分摊需协商。",
                   "proposer_name": "王建国", "proposer_unit": "3号楼2单元", "proposer_contact": CONTACT,
                   "photos": 2, "entered_by": "", "previous": ""},
        "review": {"decision": "approved", "decided_at": ms(2026, 11, 3, 10), "reviewer": "两委联席会议",
                   "criteria": {"in_catalogue": True, "affects_most": True, "feasible": True},
                   "matter": "小区公共设施的建设和维护", "reject_reason": "", "reject_text": "", "track": "in_depth",
                   "convener": "李书记",
                   "recorder": "张记录", "guide": "赵指导", "told_at": ms(2026, 11, 3, 10)},
        "plan": {"settled_at": ms(2026, 11, 10, 15), "scheduled_at": "2026-11-24T19:00", "place": "幸福社区二楼会议室",
                 "form": "onsite", "items": ["是否加装电梯", "费用分摊方案"],
                 "participants": [{"name": "王建国", "category": "proposer", "unit": "3号楼2单元"},
                                  {"name": "刘秀英", "category": "stakeholder", "unit": "3号楼1单元"},
                                  {"name": "陈工", "category": "expert", "unit": "市电梯协会"},
                                  {"name": "林监督", "category": "supervisor"}],
                 "moderator": "李书记", "recorder": "张记录", "supervisors": ["林监督"],
                 "rules_lines": ["每人每次发言不超过 3 分钟，每人每项发言不超过 2 次"],
                 "meeting_id": MEETING_ID},
        "announcement": {"published_at": ms(2026, 11, 12, 9), "url": "https://yishi.example.cn/p/t1",
                         "channels": ["board", "wechat"]},
        "results": {"outcome_lines": ["第1项 是否加装电梯：a. 同意", "　　落实意见：2027年3月前完成"],
                    "published_at": ms(2026, 11, 25, 9), "comment_until": "2026-11-30 09:00", "final_at": None,
                    "comments": [{"at": ms(2026, 11, 26, 20), "name": "3号楼居民", "text": "支持，希望尽快施工"}],
                    "url": "https://yishi.example.cn/p/t1/results"},
        "implementation": {"by": "community", "party": "", "tasks": [
            {"title": "委托设计单位出图", "owner": "李书记", "due": "2026-12-31", "progress": "50%", "done_at": None}],
            "reports": [{"at": ms(2026, 12, 10, 16), "author": "林监督", "progress": "设计完成一半",
                         "problems": "一楼住户担心采光", "effects": "居民满意", "money": "80000 元",
                         "labour": "12 人·日"}],
            "done_at": None, "escalated": False, "reconsult_number": ""},
        "deadline_lines": ["开展协商（审核通过后 15 个工作日内）：应于 2026年11月24日 前；2026年11月24日 完成，按时"],
    }


def docx_text(data: bytes) -> tuple[docx.document.Document, str]:
    d = docx.Document(io.BytesIO(data))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            seen = set()
            for cell in row.cells:
                if id(cell._tc) not in seen:
                    seen.add(id(cell._tc))
                    parts.extend(p.text for p in cell.paragraphs)
    return d, "\n".join(parts)


def pdf_text(data: bytes, tmp_path, layout: bool = False) -> str:
    path = tmp_path / "d.pdf"
    path.write_bytes(data)
    args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(args, capture_output=True, check=True, text=True).stdout


def pdf_pages(data: bytes, tmp_path) -> list[tuple[float, float]]:
    path = tmp_path / "p.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", str(path)], capture_output=True, check=True,
                          text=True).stdout
    sizes = []
    for line in info.splitlines():
        if line.startswith("Page") and "size:" in line:
            w, _x, h = line.split("size:")[1].split()[:3]
            sizes.append((float(w), float(h)))
    return sizes


# ---- each document, in Word --------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["intake", "plan", "notice", "report"])
def test_word_files_are_laid_out_like_the_record(kind):
    doc = BUILDERS[kind](sample())
    d, text = docx_text(render_docx(doc))
    assert d.paragraphs[0].text == doc.title
    sec = d.sections[0]
    assert (round(sec.page_width.cm, 1), round(sec.page_height.cm, 1)) == (21.0, 29.7)
    assert all(not cell.tables for t in d.tables for row in t.rows for cell in row.cells)  # never nested
    for t in d.tables:
        xml = t._tbl.xml
        grid = [int(c.get(qn("w:w"))) for c in t._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert sum(grid) == int(t._tbl.tblPr.find(qn("w:tblW")).get(qn("w:w"))) == TEXT_TWIPS
        assert 'w:type="fixed"' in xml
        for r in t.rows:
            assert sum(int(tc.tcPr.find(qn("w:tcW")).get(qn("w:w"))) for tc in r._tr.tc_lst) == TEXT_TWIPS
        assert xml.count("<w:tblHeader/>") == (2 if len(t.columns) > 2 else 0)
    styles = d.styles.element.xml
    assert 'w:eastAsia="Noto Serif CJK SC"' in styles and 'w:eastAsia="zh-CN"' in styles
    for line in doc.text().splitlines():  # everything the document says is in the file (cell by cell)
        for piece in line.split(" | "):
            assert piece in text, piece


def test_intake_form_has_the_review_and_the_staff_copy_has_the_contact():
    doc = intake_doc(sample())
    _d, text = docx_text(render_docx(doc))
    for s in (L.INTAKE_TITLE, "2026-007", L.TOPIC_CATEGORIES["building"], "王建国", CONTACT, L.DECISIONS["approved"],
              L.TRACKS["in_depth"], "李书记", "张记录", "赵指导", L.CRITERIA[0][1] + "：是",
              "小区公共设施的建设和维护"):
        assert s in text, s


def test_a_rejection_gives_its_five_must_not_discuss_reason():
    d = sample()
    d["review"] = {**d["review"], "decision": "rejected", "reject_reason": "five_no_private",
                   "reject_text": "属邻里纠纷，请调解委员会处理", "track": "", "convener": "", "recorder": "",
                   "guide": ""}
    text = intake_doc(d).text()
    assert L.FIVE_NOT["five_no_private"] in text and "属邻里纠纷" in text and L.DECISIONS["rejected"] in text
    assert L.F_CONVENER not in text


def test_the_public_copy_has_no_contact_data_in_any_format(tmp_path):
    notice = notice_doc(sample())
    assert notice.attachments and notice.attachments[0].title == L.INTAKE_TITLE
    assert CONTACT not in notice.text()
    assert L.F_CONTACT not in [sec.label for sec in notice.attachments[0].sections]
    assert L.F_CONTACT in [sec.label for sec in intake_doc(sample()).sections]
    _d, text = docx_text(render_docx(notice))
    assert CONTACT not in text and L.PUBLIC_COPY in text
    assert CONTACT not in render_html(notice)
    assert CONTACT not in pdf_text(render_pdf(notice), tmp_path)


def test_notice_has_every_field_the_standard_names_and_a_qr_code(tmp_path):
    notice = notice_doc(sample())
    data = render_pdf(notice)
    text = pdf_text(data, tmp_path).replace("\n", "")
    for s in (L.NOTICE_TITLE, "3号楼加装电梯", "2026年11月24日 19:00", "幸福社区二楼会议室", L.FORMS["onsite"],
              "李书记", "张记录", "刘秀英", "陈工", L.NOTICE_ATTACHMENT, L.INTAKE_TITLE, "幸福社区居（村）民委员会",
              "https://yishi.example.cn/p/t1", "公告栏、微信群"):
        assert s in text, s
    sizes = pdf_pages(data, tmp_path)
    assert len(sizes) == 2  # the notice on one A4 page, the attached form on the next
    assert all(abs(w - 595.3) < 1 and abs(h - 841.9) < 1 for w, h in sizes), sizes
    fonts = subprocess.run(["pdffonts", str(tmp_path / "d.pdf")], capture_output=True, check=True, text=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk), fonts
    # the QR code is a picture in Word and a vector in HTML
    d, _ = docx_text(render_docx(notice))
    assert len(d.inline_shapes) == 1
    assert "<svg" in render_html(notice)


def test_report_has_tasks_reports_and_comments(tmp_path):
    doc = report_doc(sample())
    text = pdf_text(render_pdf(doc), tmp_path).replace("\n", "")
    for s in (L.REPORT_TITLE, "a. 同意", "委托设计单位出图", "林监督", "居民满意", "支持，希望尽快施工",
              L.IMPLEMENTERS["community"], "居务监督委员会（签字）"):
        assert s in text, s
    assert L.NOT_YET in text  # not done yet: marked as a draft
    _d, words = docx_text(render_docx(doc))  # table cells wrap in the PDF: the whole cells in Word
    for s in ("一楼住户担心采光", "80000 元", "12 人·日", "设计完成一半", "2026年12月31日"):
        assert s in words, s


def test_markup_and_control_characters_stay_plain_text(tmp_path):
    d = sample()
    d["intake"]["title"] = "<b>电梯</b> & [x](y)\u202e"
    d["intake"]["description"] = "<script>alert(1)</script>"
    doc = intake_doc(d)
    html = render_html(doc)
    assert "<script>alert" not in html and "&lt;script&gt;" in html and "&lt;b&gt;电梯&lt;/b&gt;" in html
    _dx, text = docx_text(render_docx(doc))
    assert "<b>电梯</b> & [x](y)" in text and "\u202e" not in text
    assert "<b>电梯</b>" in pdf_text(render_pdf(doc), tmp_path)


def test_unfinished_stages_are_marked_as_drafts():
    d = sample()
    d["review"], d["plan"], d["announcement"], d["results"], d["implementation"] = None, None, None, None, None
    assert L.NOT_YET in intake_doc(d).text() and L.DECISIONS["pending"] in intake_doc(d).text()
    assert L.NOT_YET in plan_doc(d).text()
    assert L.NOT_PUBLISHED in notice_doc(d).text()
    assert L.NOT_YET in report_doc(d).text()
    for kind in BUILDERS:  # every one still renders
        assert render(BUILDERS[kind](d), "docx")[:2] == b"PK"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_opens_the_notice_as_two_a4_pages(tmp_path):
    src = tmp_path / "notice.docx"
    src.write_bytes(render_docx(notice_doc(sample())))
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(src)], capture_output=True, check=True, timeout=180)
    data = (tmp_path / "notice.pdf").read_bytes()
    sizes = pdf_pages(data, tmp_path)
    assert len(sizes) == 2 and all(abs(w - 595.3) < 1 and abs(h - 841.9) < 1 for w, h in sizes), sizes
    text = pdf_text(data, tmp_path).replace("\n", "").replace(" ", "")
    for s in (L.NOTICE_TITLE, "3号楼加装电梯", "幸福社区二楼会议室", "刘秀英", L.INTAKE_TITLE, L.PUBLIC_COPY):
        assert s.replace(" ", "") in text, s
    assert CONTACT not in text


# ---- the archive ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def meeting_rows():
    return run_meeting().rows()


def test_archive_holds_the_five_records_in_word_and_pdf_with_a_manifest(meeting_rows):
    as_of = ms(2026, 12, 10, 16)
    data = build_archive(sample(), meeting_rows, True, as_of=as_of)
    z = zipfile.ZipFile(io.BytesIO(data))
    names = z.namelist()
    folder = "2026-007-3号楼加装电梯/"
    assert all(n.startswith(folder) for n in names)
    files = [n[len(folder):] for n in names]
    for n, (_kind, (num, title)) in enumerate(L.KINDS.items()):
        assert f"{num}-{title}.docx" in files and f"{num}-{title}.pdf" in files, (n, title)
    assert "4-事件日志.json" in files and "manifest.sha256" in files and "manifest.json" in files
    # every hash in the manifest is the file's; every file but the manifests is listed
    sums = z.read(folder + "manifest.sha256").decode()
    listed = {}
    for line in sums.splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert set(listed) == set(files) - {"manifest.sha256", "manifest.json"}
    for name, digest in listed.items():
        assert hashlib.sha256(z.read(folder + name)).hexdigest() == digest, name
    manifest = json.loads(z.read(folder + "manifest.json"))
    assert manifest["format"] == "yishi-topic-archive/1" and manifest["missing"] == []
    assert {f["name"]: f["sha256"] for f in manifest["files"]} == listed
    # the activity record is the meeting's own record (meeting/record), not a rebuilt one
    _d, text = docx_text(z.read(folder + "4-城乡社区协商活动记录表.docx"))
    assert "城乡社区协商活动记录表" in text and "刘秀英" in text
    # the same topic gives the same bytes
    assert build_archive(sample(), meeting_rows, True, as_of=as_of) == data


def test_a_changed_file_fails_the_manifest(meeting_rows):
    data = build_archive(sample(), as_of=ms(2026, 12, 1))
    z = zipfile.ZipFile(io.BytesIO(data))
    folder = z.namelist()[0].split("/")[0] + "/"
    listed = dict(reversed(line.split("  ", 1)) for line in z.read(folder + "manifest.sha256").decode().splitlines())
    tampered = bytearray(z.read(folder + "5-协商结果落实情况报告.pdf"))
    tampered[-10] ^= 1
    assert hashlib.sha256(bytes(tampered)).hexdigest() != listed["5-协商结果落实情况报告.pdf"]


def test_without_an_ended_meeting_the_archive_says_the_record_is_missing(meeting_rows):
    z = zipfile.ZipFile(io.BytesIO(build_archive(sample(), meeting_rows, False, as_of=ms(2026, 11, 20))))
    names = [n.split("/", 1)[1] for n in z.namelist()]
    assert not any(n.startswith("4-") for n in names)
    manifest = json.loads(z.read(z.namelist()[-1]))
    assert manifest["missing"][0]["kind"] == "record" and manifest["missing"][0]["reason"] == L.MISSING_RECORD


# ---- from the topic engine's state ---------------------------------------------------------------
STAFF = Actor("staff", "s1")


def topic_state():
    now = ms(2026, 11, 2, 9)
    log = decide(None, "submit", {"name": "王阿姨", "contact": CONTACT, "building": "3幢", "category": "building",
                                  "title": "加装电梯", "description": "3幢加装电梯的费用分摊"}, Actor("resident"), now,
                 Context(topic_id="t1", community_id="c1", number="2026-001"))
    s = replay(log)

    def do(command, args, ctx=None, actor=STAFF, after=3600_000):
        nonlocal s, now
        now += after
        for e in decide(s, command, {"topic": "t1", **args}, actor, now, ctx or Context()):
            s = evolve(s, e)

    do("review", {"decision": "approved", "matter": "公共设施", "scope": "on", "feasible": "on", "track": "in_depth",
                  "convener": "李书记", "recorder": "小张", "guide": "街道老陈"}, Context(catalogue=("公共设施",)))
    do("draft_plan", {"scheduled_at": "2026-11-20T19:00", "place": "社区议事厅", "form": "mixed", "moderator": "李书记",
                      "recorder": "小张", "items": ["电梯费用分摊方案"], "params": {"speech_limit_ms": 120000},
                      "participants": [{"name": "王阿姨", "category": "proposer"},
                                       {"name": "赵师傅", "category": "stakeholder"},
                                       {"name": "林监督", "category": "supervisor"}]})
    do("approve_plan", {}, Context(meeting_id="t1r1"))
    do("announce", {"channels": ["board", "wechat"]})
    return s


def test_dossier_from_the_topic_engine_state():
    s = topic_state()
    d = dossier_from_state(s, community="幸福社区", announcement_url="https://x.example/p/t1")
    assert d["intake"]["proposer_contact"] == CONTACT and d["plan"]["meeting_id"] == "t1r1"
    assert d["plan"]["supervisors"] == ["林监督"]
    assert any("2 分钟" in line for line in d["plan"]["rules_lines"])  # the plan's own rules, in words
    notice = notice_doc(d)
    text = notice.text()
    for s_ in ("加装电梯", "社区议事厅", L.FORMS["mixed"], "赵师傅", "李书记", "小张", "公告栏、微信群", "https://x.example/p/t1"):
        assert s_ in text, s_
    assert CONTACT not in text
    assert CONTACT in intake_doc(d).text() and "公共设施" in intake_doc(d).text()


def test_deadlines_in_words_carry_the_unknown_year_warning():
    dues = [Due("consult", date(2026, 11, 20), date(2026, 11, 20), "on_time", 0),
            Due("implement", date(2027, 1, 29), None, "due", 40, frozenset({2027})),
            Due("task", date(2026, 12, 31), None, "overdue", 3, title="出图")]
    lines = deadline_lines(dues)
    assert "按时" in lines[0] and "2027 年的节假日安排未知" in lines[1]
    assert "出图" in lines[2] and "逾期 3 天" in lines[2]
    assert "节假日安排未知" not in lines[0]
    d = copy.deepcopy(sample())
    d["deadline_lines"] = lines
    assert lines[1] in report_doc(d).text()


def test_a_new_round_carries_the_earlier_rounds_outcome_and_the_earlier_report_names_it():
    """Re-consultation (class c): the new round's intake form carries the earlier round's number,
    meeting and outcome as its record words it; the earlier round's report names the new round's
    number (not its id)."""
    from tests.topics.test_engine import held

    t = held("c")
    events = decide(t.state, "reconsult", {}, Actor("staff", "s1"), t.now + 1000,
                    Context(topic_id="t2", number="2026-002"))
    earlier = evolve(t.state, events[0])
    new = replay(events[1:])
    _d, text = docx_text(render(intake_doc(dossier_from_state(new)), "docx"))
    assert "前次协商" in text and "2026-001" in text and "t1r1" in text
    assert "c 再次协商" in text or "再次协商" in text
    assert "电梯费用分摊方案" in text and "按楼层分摊" in text  # the earlier item and its details
    _d, text = docx_text(render(report_doc(dossier_from_state(earlier)), "docx"))
    assert "已另立议题 2026-002 再次协商" in text and "t2" not in text.replace("2026-002", "")


def test_the_report_says_the_result_is_final_once_the_publicity_period_is_over():
    from tests.topics.test_engine import held

    t = held("a")
    until = t.state.outcome.publicity_until
    _d, before = docx_text(render(report_doc(dossier_from_state(t.state, now=until - 1)), "docx"))
    _d, after = docx_text(render(report_doc(dossier_from_state(t.state, now=until + 1)), "docx"))
    final = "公示期满，结果确定"
    assert final not in before and final in after
