"""Issue 9 point 7, the rest of the screens: axe-core (no serious or critical violation) on the
recorder's desk in each of its states (at 1366 and 360 px; printed, as print media, during a speech
and after the end), the record (record.html: on screen and printed, 1366 and 360 px), the /admin
pages (login, a refused key, the meeting list and new-meeting form, the roster-upload report, a new
meeting's links; Chinese at 1366 and 360 px, and English), the printable join sheet (moderator's,
recorder's, English), the invalid-link page, and the English versions (?lang=en) of the moderator,
the phone, the projector, the recorder and the supervisor at sign-in, with the rules presented, a
vote open, hands up, a speech, a result, the phone's own turn and the end. The Chinese recorder,
/admin, join sheet and invalid-link page are also scanned for Latin words and raw codes
(test_usable.py scans the other Chinese screens). One server and one browser for the module."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import CJK_SCREEN_TEXT, LAPTOP, PHONE, axe_violations, shot
from tests.server.harness import ADMIN_KEY, ServerProcess, meeting_config

# As in test_usable.py, plus the roster file's formats on /admin.
ALLOWED_LATIN = {"English", "PDF", "Word", "Markdown", "JSON", "Excel", "CSV"}
URL = re.compile(r"https?://\S+")
FILE_NAME = re.compile(r"[\w-]*\.(?:key|xlsx|csv|docx|pdf|json|md)\b")  # admin.key, .xlsx
# The record's meeting number and checkpoint hash (hex, shown so that a printed copy can be
# verified), its algorithm's name, and the blank lines for an ink signature; the server's signature
# and public key (base64url) with the key's fingerprint (groups of hex) and the signature's algorithm.
RECORD_MARKS = re.compile(r"\b[0-9a-f]{10,}\b|SHA-256|_{3,}|[A-Za-z0-9_-]{40,}|\bEd25519\b"
                          r"|[0-9A-F]{4}(?: [0-9A-F]{4})+")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server for the whole module (each test makes its own meeting on it)."""
    srv = ServerProcess(tmp_path_factory.mktemp("axe") / "data").start()
    yield srv
    srv.stop()


def latin(page: Page) -> list[str]:
    """Words in Latin letters on a Chinese screen; links printed as text (the join sheet's) are not words."""
    found = []
    for text in page.evaluate(CJK_SCREEN_TEXT):
        for word in re.findall(r"[A-Za-z_]{2,}", RECORD_MARKS.sub("", FILE_NAME.sub("", URL.sub("", text)))):
            if word not in ALLOWED_LATIN:
                found.append(f"{word} in {text[:60]!r}")
    return found


class Audit:
    """Collects every screen's violations in every state, so that one run names them all."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.runs = 0

    def __call__(self, page: Page, where: str, chinese: bool = False) -> None:
        self.runs += 1
        for v in axe_violations(page):
            self.problems.append(f"{where}: {v}")
        if chinese:
            for w in latin(page):
                self.problems.append(f"{where}: Latin {w}")

    def check(self) -> None:
        assert not self.problems, "\n".join(self.problems)


def test_recorder_desk_in_chinese_in_every_state(server, open_page, remotes):
    _mid, tokens = server.create_meeting(meeting_config(speech_limit_ms=60_000))
    page = open_page(tokens["recorder"], LAPTOP)
    narrow = open_page(tokens["recorder"], PHONE)   # a desk on a small tablet or phone: one column, no inner scroll
    by = page.get_by_test_id
    desk = Audit()
    mod = remotes(tokens["moderator"])

    def audit(p: Page, where: str, chinese: bool) -> None:
        desk(p, where, chinese)
        desk(narrow, f"{where} (360 px)", chinese)

    def printed(p: Page, where: str) -> None:
        """The same page as it prints (the desk prints only its record panel)."""
        p.emulate_media(media="print")
        try:
            desk(p, f"{where} (print)", chinese=True)
        finally:
            p.emulate_media(media="screen")

    phones = {p: remotes(tokens[p]) for p in ("s1", "s2", "s3", "s4")}
    for r in phones.values():
        r("sign_in")

    # During sign-in: one signed in at the desk, one sign-out waiting for its second click.
    expect(by("signin")).to_have_text("表决人员已签到 4 / 7")
    by("sign-in-s5").click()
    expect(by("present-s5")).to_contain_text("工作人员代签")
    by("sign-out-s1").click()
    expect(by("sign-out-s1")).to_contain_text("再点一次确认签退")
    expect(by("record").get_by_test_id("record-roster")).to_contain_text("出席")
    audit(page, "recorder, sign-in", chinese=True)
    shot(page, "axe-recorder-signin")

    # The rules by show of hands, then a mixed vote on item 1 with the hand-count form filled in.
    mod("present_rules")
    mod("open_vote", kind="rules", mode="hands")
    expect(by("vote-panel")).to_be_visible()
    audit(page, "recorder, rules vote by hands", chinese=True)
    by("hand-yes").fill("5")
    by("hand-no").fill("0")
    by("hand-submit").click()
    expect(by("hand-saved")).to_be_visible()
    mod("close_vote")
    expect(by("vote-panel")).to_be_hidden()
    mod("declare_open")
    mod("begin_item", item=0)
    # A speech with the summary form, a note and a call to order.
    phones["s1"]("raise_hand", stance="for")
    phones["s2"]("raise_hand", stance="against")
    mod("give_floor", person="s1")
    expect(by("speech-name")).to_have_text("刘秀英")
    by("summary-current").fill("支持，先做结构检测")
    by("summary-save").click()
    expect(by("summary-state")).to_have_text("已保存")
    by("note-text").fill("都同意先做结构检测")
    by("note-add").click()
    expect(by("note-1")).to_be_visible()
    mod("call_to_order", person="s2", reason="interrupting", note="插话")
    expect(by("calls-to-order")).to_contain_text("陈伟")
    audit(page, "recorder, a speech with the summary form", chinese=True)
    printed(page, "recorder, the record so far during a speech")
    shot(page, "axe-recorder-speech")
    mod("end_speech")
    expect(by("speech-none")).to_be_visible()
    audit(page, "recorder, between speeches (summaries listed)", chinese=True)

    phones["s2"]("lower_hand")
    mod("open_vote", kind="item", mode="mixed")
    phones["s1"]("cast_vote", choice="yes")
    phones["s2"]("cast_vote", choice="no")
    expect(by("ballots")).to_contain_text("手机已投 2/")
    by("hand-yes").fill("9")
    by("hand-submit").click()
    expect(by("hand-error")).to_be_visible()
    audit(page, "recorder, mixed vote with a refused hand count", chinese=True)
    by("hand-yes").fill("2")
    by("hand-no").fill("0")
    by("hand-submit").click()
    expect(by("hand-saved")).to_be_visible()
    audit(page, "recorder, mixed vote with hand counts", chinese=True)
    shot(page, "axe-recorder-vote")
    mod("close_vote")
    expect(by("vote-panel")).to_be_hidden()
    mod("declare_outcome", item=0, outcome="a", what="北侧加装电梯一部", who="社区居委会", by_when="2027年6月30日",
        supervision="居务监督委员会每月检查")
    mod("begin_item", item=1)
    mod("escalate", reason="涉及公共维修资金")

    # After the end: the record panel, in full.
    mod("end_meeting")
    expect(by("phase")).to_have_text("会议已结束")
    expect(by("record").get_by_test_id("record-votes")).to_contain_text("第1项")
    # signing in and out is over: the desk offers neither (the server refuses both: meeting_ended)
    expect(page.locator("[data-testid^=sign-in-], [data-testid^=sign-out-]")).to_have_count(0)
    audit(page, "recorder, after the end with the record", chinese=True)
    printed(page, "recorder, after the end with the record")
    printed(narrow, "recorder, after the end with the record (360 px)")
    shot(page, "axe-recorder-ended")
    shot(narrow, "axe-recorder-ended-narrow")
    narrow.emulate_media(media="print")
    shot(narrow, "axe-recorder-ended-narrow-print")
    narrow.emulate_media(media="screen")

    # The record itself (the minutes, as the recorder opens and prints them): on screen, printed, at 360 px.
    for p, size in ((page, ""), (narrow, " (360 px)")):
        p.goto(f"{server.url}/j/{tokens['recorder']}/record.html?inline=1")
        expect(p.locator("h1")).to_be_visible()
        desk(p, f"the record (record.html){size}", chinese=True)
        printed(p, f"the record (record.html){size}")
    narrow.emulate_media(media="print")
    shot(narrow, "axe-record-print-narrow")
    narrow.emulate_media(media="screen")
    desk.check()


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366", "360"])
def test_admin_pages(browser, server, tmp_path, viewport):
    ctx = browser.new_context(viewport=viewport, locale="zh-CN")
    size = "" if viewport is LAPTOP else "-360"
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    by = page.get_by_test_id
    audit = Audit()
    bad = tmp_path / "名单.csv"
    bad.write_text("姓名,身份,有手机\n张三,议题提出人,是\n李四,路人甲,\n", encoding="utf-8-sig")
    try:
        page.goto(f"{server.url}/admin/setup")
        expect(by("admin-key")).to_be_visible()
        audit(page, "admin, community set-up form", chinese=True)
        by("admin-key").fill(ADMIN_KEY)
        by("setup-community").fill("幸福社区")
        login = "王芳" + size  # Chinese (a Latin user name would be Latin text on the screen), one per viewport
        by("setup-login").fill(login)
        by("setup-name").fill("王主任")
        by("setup-password").fill("axe-password-1")
        by("setup-create").click()
        expect(by("admin-notice")).to_be_visible()
        audit(page, "admin, login form", chinese=True)
        by("admin-password").fill("wrong password")
        by("admin-login").click()
        expect(by("admin-error")).to_be_visible()
        audit(page, "admin, login refused", chinese=True)
        by("admin-login-name").fill(login)
        by("admin-password").fill("axe-password-1")
        by("admin-login").click()
        expect(by("admin-new")).to_be_visible()
        audit(page, "admin, meetings and the new-meeting form", chinese=True)
        by("new-title").fill("上传名单的会议")
        by("new-roster-file").set_input_files(str(bad))
        by("new-create").click()
        expect(by("roster-report")).to_be_visible()
        audit(page, "admin, roster-upload report", chinese=True)
        shot(page, f"axe-admin-report{size}")
        by("new-roster-file").set_input_files([])
        by("new-roster").fill("张建国, 议题提出人\n刘秀英, 利益相关方")
        by("new-create").click()
        expect(by("admin-meeting")).to_be_visible()
        audit(page, "admin, a meeting's links", chinese=True)
        shot(page, f"axe-admin-links{size}")
        page.goto(f"{server.url}/admin")
        expect(by("admin-meetings")).to_contain_text("上传名单的会议")
        audit(page, "admin, the meeting list with a meeting", chinese=True)
        page.goto(f"{server.url}/admin?lang=en")
        expect(by("new-create")).to_be_visible()
        audit(page, "admin in English, the meeting list and the form")
    finally:
        ctx.close()
    audit.check()


def test_join_sheet_and_an_invalid_link(browser, server):
    _mid, tokens = server.create_meeting(meeting_config())
    ctx = browser.new_context(viewport=LAPTOP, locale="zh-CN")
    audit = Audit()
    try:
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{server.url}/j/{tokens['moderator']}/sheet")
        expect(page.get_by_test_id("staff-moderator")).to_be_visible()
        audit(page, "join sheet (moderator's)", chinese=True)
        page.goto(f"{server.url}/j/{tokens['recorder']}/sheet")
        expect(page.get_by_test_id("slip-s1")).to_be_visible()
        audit(page, "join sheet (recorder's)", chinese=True)
        page.goto(f"{server.url}/j/{tokens['moderator']}/sheet?lang=en")
        expect(page.get_by_test_id("print")).to_have_text("Print")
        audit(page, "join sheet in English")
        assert page.goto(f"{server.url}/j/not-a-real-token-at-all").status == 404
        audit(page, "a link that is not valid", chinese=True)
    finally:
        ctx.close()
    audit.check()


def test_english_screens_with_hands_up_and_a_vote_open(server, open_page, remotes):
    _mid, tokens = server.create_meeting(meeting_config())
    screens = {
        "moderator": open_page(tokens["moderator"], LAPTOP, lang="en"),
        "phone": open_page(tokens["s1"], PHONE, lang="en"),
        "projector": open_page(tokens["projector"], LAPTOP, lang="en"),
        "recorder": open_page(tokens["recorder"], LAPTOP, lang="en"),
        "supervisor": open_page(tokens["sup"], LAPTOP, lang="en"),
    }
    phone = screens["phone"]
    audit = Audit()

    def all_screens(state: str) -> None:
        for name, p in screens.items():
            audit(p, f"{name} (en), {state}")

    mod = remotes(tokens["moderator"])
    others = {p: remotes(tokens[p]) for p in ("s2", "s3", "prop")}
    expect(phone.get_by_test_id("sign-in")).to_be_visible()
    all_screens("sign-in")
    phone.get_by_test_id("sign-in").click()
    expect(phone.get_by_test_id("signed-in")).to_be_visible()
    for r in others.values():
        r("sign_in")
    mod("present_rules")
    expect(phone.get_by_test_id("rules")).to_be_visible()
    all_screens("rules presented")
    mod("open_vote", kind="rules", mode="phone")
    expect(phone.get_by_test_id("vote-yes")).to_be_visible()
    phone.get_by_test_id("vote-yes").click()
    expect(phone.get_by_test_id("vote-confirm")).to_be_visible()
    all_screens("rules vote open, the phone confirming")
    phone.get_by_test_id("vote-confirm").click()
    expect(phone.get_by_test_id("voted")).to_be_visible()
    for r in others.values():
        r("cast_vote", choice="yes")
    mod("close_vote")
    mod("declare_open")
    mod("begin_item", item=0)

    others["s2"]("raise_hand", stance="for")
    others["s3"]("raise_hand", stance="against")
    expect(screens["moderator"].get_by_test_id("queue").locator("li")).to_have_count(2)
    all_screens("debate with hands up")
    shot(screens["moderator"], "axe-moderator-en-hands")
    mod("give_floor", person="s2")
    expect(screens["projector"].get_by_test_id("timer-words")).to_be_attached()
    all_screens("a speech")

    mod("end_speech")
    others["s3"]("lower_hand")
    mod("open_vote", kind="item", mode="mixed")
    expect(phone.get_by_test_id("vote-yes")).to_be_visible()
    all_screens("item vote open (mixed)")
    shot(screens["recorder"], "axe-recorder-en-vote")
    for r in others.values():
        r("cast_vote", choice="yes")
    moderator = screens["moderator"]
    moderator.get_by_test_id("close-vote").click()
    expect(moderator.get_by_test_id("confirm-lines")).to_be_visible()
    audit(moderator, "moderator (en), closing the vote: the confirmation")
    moderator.get_by_test_id("confirm-ok").click()
    expect(moderator.get_by_test_id("result").get_by_test_id("result-verdict")).to_be_visible()
    all_screens("the item's result")

    # Your turn on the phone, then the end.
    mod("declare_outcome", item=0, outcome="a", what="Lift on the north side", who="Residents' committee",
        by_when="2027-06-30", supervision="Monthly check")
    mod("begin_item", item=1)
    phone.get_by_test_id("raise-for").click()
    mod("give_floor", person="s1")
    expect(phone.get_by_test_id("your-turn")).to_be_visible()
    all_screens("the phone's own turn")
    mod("end_speech")
    mod("escalate", reason="Public maintenance fund")
    mod("end_meeting")
    expect(moderator.get_by_test_id("phase")).to_have_text(re.compile(r"ended", re.I))
    all_screens("ended")
    audit.check()


def test_the_audit_sees_what_it_looks_for(browser, server):
    """The checks above can fail: an unlabelled field, grey-on-white text and a raw code are found."""
    _mid, tokens = server.create_meeting(meeting_config())
    ctx = browser.new_context(viewport=LAPTOP, locale="zh-CN")
    try:
        page = ctx.new_page()
        page.goto(f"{server.url}/j/{tokens['moderator']}/sheet")
        page.evaluate("""() => {
            const div = document.createElement("div");
            div.innerHTML = '<input type="text"><p style="color:#ccc;background:#fff">vote_id=2</p>';
            document.querySelector("main").append(div);
        }""")
        assert {"label", "color-contrast"} <= {v["id"] for v in axe_violations(page)}
        assert any("vote_id" in w for w in latin(page))
    finally:
        ctx.close()
