"""The moderator's console at 1366×768 and the supervisor's read-only view: sign-in progress and
quorum, the rules vote by show of hands, the explanation, the RULES.md §3 worked example with the
recommended speaker and its reason, a departure with a reason, the countdown with warning and
overrun, pause/resume, a call to order, an expert's floor, a live phone vote, the result with
percentages, outcomes, escalation and the end; keyboard shortcuts; English; names are text; the
supervisor sees the same with no buttons, plus the audit trail.

Participants and the recorder are driven over Socket.IO by `Remote` (python-socketio's AsyncClient on
a thread, as in test_phone.py)."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import LAPTOP, shot
from tests.server.harness import meeting_config


def by(page: Page, testid: str):
    return page.get_by_test_id(testid)


def person_row(page: Page, list_testid: str, person: str):
    return by(page, list_testid).locator(f"li[data-person={person}]")


def test_moderator_runs_the_meeting(server, open_page, remotes):
    _mid, tokens = server.create_meeting(meeting_config(speech_limit_ms=10_000, warning_ms=4_000, speeches_per_item=3,
                                                        quorum_check=True))
    page = open_page(tokens["moderator"], LAPTOP)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))

    # Sign-in: 7 voting people (proposer + 6 stakeholders); quorum 2/3 → 5.
    expect(by(page, "phase")).to_have_text("签到")
    expect(by(page, "signin")).to_have_text("有表决权的利益相关方已签到 0/7 人")
    expect(by(page, "quorum")).to_have_text("未达到法定人数：需 5 人")
    s = {p: remotes(tokens[p]) for p in ("s1", "s2", "s3", "prop")}
    for p in ("s1", "s2", "s3", "prop"):
        s[p]("sign_in")
    expect(by(page, "signin")).to_have_text("有表决权的利益相关方已签到 4/7 人")
    person_row(page, "roster", "s5").get_by_test_id("sign-in-person").click()  # no phone: the moderator signs her in
    expect(by(page, "signin")).to_have_text("有表决权的利益相关方已签到 5/7 人")
    expect(by(page, "quorum")).to_have_text("已达到法定人数（需 5 人）")
    expect(person_row(page, "roster", "s5")).to_contain_text("工作人员代签")
    expect(person_row(page, "roster", "s6")).to_contain_text("未签到")
    shot(page, "moderator-signin")

    # Rules: present, amend the cap (3 → 2), vote by show of hands, close with the C key.
    by(page, "present-rules").click()
    expect(by(page, "amend-form")).to_be_visible()
    expect(by(page, "amend-cap")).to_have_value("3")
    by(page, "amend-cap").fill("2")
    by(page, "amend-submit").click()
    page.wait_for_function("() => Yishi.state.view.params.speeches_per_item === 2")
    by(page, "vote-mode").select_option("hands")
    by(page, "open-vote").click()
    expect(by(page, "vote")).to_be_visible()
    expect(by(page, "amend-form")).to_be_hidden()
    recorder = remotes(tokens["recorder"])
    recorder("enter_hand_count", choice="yes", count=5)
    expect(by(page, "vote-counts").locator("tr[data-choice=yes] .mod-count")).to_have_text("5")
    page.locator("body").press("c")
    # C asks first: what is in, then the close (issue 9: an irreversible action takes two steps).
    expect(by(page, "confirm")).to_be_visible()
    expect(by(page, "confirm-lines")).to_contain_text("已录入举手人数：赞成 5")
    expect(by(page, "result-verdict")).to_have_count(0)
    by(page, "confirm-ok").click()
    expect(by(page, "result-verdict")).to_have_text("通过")
    expect(by(page, "result").locator("tr[data-choice=yes]")).to_contain_text("100.0%")
    by(page, "declare-open").click()

    # The proposer's explanation is untimed; E ends it.
    by(page, "start-explanation").click()
    expect(by(page, "speaker-name")).to_have_text("张建国")
    expect(by(page, "countdown")).to_have_attribute("data-level", "untimed")
    page.keyboard.press("e")
    expect(by(page, "no-speech")).to_be_visible()
    by(page, "begin-item").click()
    expect(by(page, "phase")).to_have_text("正在讨论 第1项：是否加装电梯")

    # RULES.md §3 worked example: A for (t1), B for (t2), C against (t3) → A first.
    s["s1"]("raise_hand", stance="for")
    s["s2"]("raise_hand", stance="for")
    s["s3"]("raise_hand", stance="against")
    expect(by(page, "queue").locator("li")).to_have_count(3)
    expect(by(page, "recommended")).to_have_attribute("data-person", "s1")
    expect(by(page, "recommended-reason")).to_have_text("最先举手")
    expect(person_row(page, "queue", "s1")).to_have_class(re.compile("is-recommended"))
    expect(person_row(page, "queue", "s3")).to_contain_text("反对")
    shot(page, "moderator-queue")

    page.keyboard.press("n")  # give the floor to the recommended speaker
    expect(by(page, "speaker-name")).to_have_text("刘秀英")
    expect(by(page, "speaker-stance")).to_have_text("赞成")
    # While someone speaks the server refuses the floor to anyone else: the button is disabled
    # and says why, in the server's words (me.allowed).
    expect(by(page, "give-floor-recommended")).to_be_disabled()
    expect(by(page, "give-floor-why")).to_have_text("有人正在发言")
    expect(person_row(page, "queue", "s2").get_by_test_id("give-floor-other")).to_be_disabled()
    expect(by(page, "countdown")).to_have_text(re.compile(r"^0:(10|0\d)$"))
    expect(by(page, "countdown")).to_have_attribute("data-level", "normal")
    # Pause and resume with P.
    page.keyboard.press("p")
    expect(by(page, "timer-state")).to_have_text("计时已暂停")
    expect(by(page, "resume")).to_be_visible()
    page.keyboard.press("p")
    expect(by(page, "pause")).to_be_visible()
    # Warning at 4 s left, overrun at 0.
    expect(by(page, "countdown")).to_have_attribute("data-level", "warning", timeout=12_000)
    expect(by(page, "timer-state")).to_have_text("时间快到了")
    shot(page, "moderator-speech-warning")
    expect(by(page, "countdown")).to_have_attribute("data-level", "overrun", timeout=8_000)
    expect(by(page, "timer-state")).to_have_text("已超时")
    expect(by(page, "countdown")).to_have_text(re.compile(r"^-0:\d\d$"))
    shot(page, "moderator-speech-overrun")
    by(page, "end-speech").click()

    # After A (for): B and C on 0, last stance for → C, by alternation.
    expect(by(page, "recommended")).to_have_attribute("data-person", "s3")
    expect(by(page, "recommended-reason")).to_have_text("正反轮流：上一位发言人立场相反")
    by(page, "give-floor-recommended").click()
    expect(by(page, "speaker-name")).to_have_text("孙立军")
    # A call to order against C, with a note that looks like markup: shown as text.
    by(page, "order-speaker").click()
    expect(by(page, "order-person")).to_have_value("s3")
    by(page, "order-reason").select_option("personal_attack")
    by(page, "order-note").fill("<b>x</b>")
    by(page, "call-to-order").click()
    expect(by(page, "calls-to-order")).to_contain_text("孙立军 · 人身攻击 — <b>x</b>")
    assert by(page, "calls-to-order").locator("b").count() == 0
    page.keyboard.press("e")

    # A raises again (t4): B is the only one on 0 → B (also the earliest hand now).
    s["s1"]("raise_hand", stance="for")
    expect(by(page, "recommended")).to_have_attribute("data-person", "s2")
    expect(person_row(page, "queue", "s1")).to_contain_text("已发言 1/2 次")
    page.keyboard.press("n")
    expect(by(page, "speaker-name")).to_have_text("陈伟")
    page.keyboard.press("e")
    # After B only A (on 1) is left; D against raises at t5 → D first: not yet spoken.
    expect(by(page, "recommended")).to_have_attribute("data-person", "s1")
    s4 = remotes(tokens["s4"])
    s4("sign_in")
    s4("raise_hand", stance="against")
    expect(by(page, "recommended")).to_have_attribute("data-person", "s4")
    expect(by(page, "recommended-reason")).to_have_text("本事项尚未发言（优先于已发言者）")
    # Depart from it: give A the floor with a reason.
    person_row(page, "queue", "s1").get_by_test_id("give-floor-other").click()
    expect(by(page, "depart-form")).to_be_visible()
    by(page, "depart-reason").fill("补充说明费用问题")
    by(page, "depart-submit").click()
    expect(by(page, "speaker-name")).to_have_text("刘秀英")
    expect(by(page, "speech")).to_contain_text("未按推荐顺序（推荐：吴海），理由：补充说明费用问题")
    page.keyboard.press("e")
    expect(by(page, "no-speech")).to_be_visible()

    # The moderator lowers D's hand; an expert answers.
    person_row(page, "queue", "s4").get_by_test_id("lower-hand").click()
    expect(by(page, "queue").locator("li")).to_have_count(0)
    expert = remotes(tokens["exp"])
    expert("sign_in")
    by(page, "give-expert-floor").click()
    expect(by(page, "speaker-name")).to_have_text("郑工程师")
    expect(by(page, "countdown")).to_have_attribute("data-level", "untimed")
    page.keyboard.press("e")

    # The item vote by phone with V; no per-choice counts until the close; C closes it.
    by(page, "vote-mode").select_option("phone")
    page.keyboard.press("v")
    expect(by(page, "vote")).to_be_visible()
    expect(by(page, "hands-form")).to_be_hidden()
    s["s1"]("cast_vote", choice="yes")
    s["s2"]("cast_vote", choice="yes")
    s["s3"]("cast_vote", choice="no")
    expect(by(page, "vote")).to_contain_text("手机已投 3/6")
    # A named ballot (the default) says who has voted; the counts per choice wait for the close.
    expect(by(page, "vote-voted")).to_have_text("已用手机投票：刘秀英、陈伟、孙立军")
    expect(by(page, "vote-counts").locator("tr[data-choice=yes] .mod-count")).to_have_text("—")
    expect(by(page, "vote-counts")).not_to_contain_text("2")
    shot(page, "moderator-vote")
    by(page, "close-vote").click()
    # The confirmation shows the ballots so far and who has not voted (a named ballot), no counts.
    expect(by(page, "confirm-lines")).to_contain_text("已收到手机票 3/6")
    expect(by(page, "confirm-lines")).to_contain_text("尚未用手机投票：")
    expect(by(page, "confirm-lines")).to_contain_text("通过需赞成 3 人")
    shot(page, "moderator-confirm-close")
    by(page, "confirm-cancel").click()   # cancel: nothing happens
    expect(by(page, "confirm")).to_be_hidden()
    expect(by(page, "vote")).to_be_visible()
    by(page, "close-vote").click()
    by(page, "confirm-ok").click()
    # Base 6, yes 2 (33.3%) < needed 3 → not passed; yes × 3 ≥ base → re-consult (c).
    result = by(page, "result")
    expect(result.get_by_test_id("result-verdict")).to_have_text("未通过")
    expect(result.locator("tr[data-choice=yes]")).to_contain_text("33.3%")
    expect(result.locator("tr[data-choice=no]")).to_contain_text("16.7%")
    expect(result.locator("tr[data-choice=not_voting]")).to_contain_text("50.0%")
    expect(by(page, "outcome-form")).to_be_visible()
    # The outcome classes come from the server: the one the result allows is suggested, a and b
    # are refused (disabled), d is always possible.
    expect(by(page, "outcome-class")).to_have_value("c")
    expect(by(page, "outcome-class").locator("option[value=a]")).to_be_disabled()
    expect(by(page, "outcome-class").locator("option[value=b]")).to_be_disabled()
    expect(by(page, "outcome-class").locator("option[value=d]")).to_be_enabled()
    by(page, "outcome-when").fill("下月第一周")
    by(page, "outcome-terms").fill("补充费用测算后再议")
    by(page, "declare-outcome").click()
    expect(by(page, "confirm-lines")).to_contain_text("再次协商条件：补充费用测算后再议")
    by(page, "confirm-ok").click()
    item0 = by(page, "outcomes").locator("li[data-item='0']")
    expect(item0).to_have_attribute("data-outcome", "c")
    expect(item0).to_contain_text("c. 再协商")
    expect(item0).to_contain_text("再次协商条件：补充费用测算后再议")
    shot(page, "moderator-result")

    # Item 2, then escalation settles it (d); the meeting ends.
    by(page, "begin-item").click()
    expect(by(page, "phase")).to_have_text("正在讨论 第2项：费用分摊")
    by(page, "escalate-box").locator("summary").click()
    by(page, "escalate-reason").fill("涉及全体居民的公共维修资金")
    by(page, "escalate").click()
    expect(by(page, "confirm-lines")).to_contain_text("理由：涉及全体居民的公共维修资金")
    expect(by(page, "confirm-lines")).to_contain_text("第2项：费用分摊")
    by(page, "confirm-ok").click()
    expect(by(page, "outcomes").locator("li[data-item='1']")).to_have_attribute("data-outcome", "d")
    expect(by(page, "escalation")).to_contain_text("涉及全体居民的公共维修资金")
    by(page, "end-meeting").click()
    expect(by(page, "confirm-lines")).to_contain_text("所有议题均已有结果")
    by(page, "confirm-ok").click()
    expect(by(page, "phase")).to_have_text("会议已结束")
    expect(by(page, "record-link")).to_be_visible()
    expect(by(page, "order-form")).to_be_hidden()   # no call to order after the end
    assert dialogs == []  # the confirmations are in the page, not the browser's dialogs
    shot(page, "moderator-ended")


def test_supervisor_read_only_with_audit_english_and_names_as_text(server, open_page, remotes):
    config = meeting_config(speeches_per_item=2)
    evil = "<b>x</b>"
    config["roster"][1]["name"] = evil  # s1
    _mid, tokens = server.create_meeting(config)
    mod_page = open_page(tokens["moderator"], LAPTOP, lang="en")
    sup = open_page(tokens["sup"], LAPTOP, lang="en")

    expect(by(mod_page, "phase")).to_have_text("Sign-in")
    expect(by(sup, "read-only")).to_be_visible()
    mod = remotes(tokens["moderator"])
    for p in ("s1", "s2", "s3", "s4"):
        mod("sign_in", person=p)
    expect(by(sup, "signin")).to_have_text("4 of 7 voting stakeholders signed in")
    expect(by(mod_page, "quorum")).to_be_hidden()  # the quorum check is off
    mod("present_rules")
    mod("open_vote", kind="rules", mode="mixed")
    expect(by(sup, "vote")).to_be_visible()
    s1, s2 = remotes(tokens["s1"]), remotes(tokens["s2"])
    s1("cast_vote", choice="yes")
    mod("enter_hand_count", choice="yes", count=3)
    # The supervisor sees the hands entered and how many voted by phone, not what they chose.
    expect(by(sup, "vote-base")).to_contain_text("Phone ballots: 1 of 4")
    expect(by(sup, "vote-voted")).to_have_text(f"Voted by phone: {evil}")
    expect(by(sup, "vote-counts").locator("tr[data-choice=yes] .mod-count")).to_have_text("3")
    mod("close_vote")
    expect(by(sup, "result-verdict")).to_have_text("Passed")
    mod("declare_open")
    mod("begin_item", item=0)
    s2("raise_hand", stance="against")
    s1("raise_hand", stance="for")

    for page in (mod_page, sup):
        expect(by(page, "phase")).to_have_text("Discussion of Item 1: 是否加装电梯")
        expect(by(page, "recommended")).to_have_attribute("data-person", "s2")
        expect(by(page, "recommended-reason")).to_have_text("First hand up")
        expect(person_row(page, "queue", "s1")).to_contain_text(evil)
        expect(person_row(page, "roster", "s1")).to_contain_text(evil)
        assert page.locator("main b").count() == 0
    expect(by(mod_page, "give-floor-recommended")).to_have_text(re.compile("^Give the floor to 陈伟"))
    other = person_row(mod_page, "queue", "s1").get_by_test_id("give-floor-other")
    expect(other).to_have_text(f"Give the floor… {evil}")
    shot(mod_page, "moderator-en")

    mod("give_floor", person="s2")
    expect(by(sup, "speaker-name")).to_have_text("陈伟")
    expect(by(sup, "countdown")).to_have_text(re.compile(r"^[23]:\d\d$"))

    # Read-only: no command buttons or forms at all.
    assert sup.locator("main button").count() == 0
    assert sup.locator("main form").count() == 0
    assert sup.locator("main select, main input, main textarea").count() == 0
    expect(by(sup, "shortcuts")).to_have_count(0)

    # The audit trail, newest first, refreshed by htmx.
    audit = by(sup, "audit-table")
    expect(audit.locator("tr[data-type=floor_given]")).to_have_count(1)
    first = audit.locator("tbody tr").first
    expect(first).to_have_attribute("data-type", "floor_given")
    expect(first).to_contain_text("Floor given")
    expect(first).to_contain_text("Moderator")
    expect(first.locator("td").nth(1)).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
    expect(first.locator("code")).to_have_text(re.compile(r"^[0-9a-f]{12}$"))
    raised = audit.locator("tr[data-type=hand_raised]")
    expect(raised).to_have_count(2)
    expect(raised.first).to_contain_text(evil)  # the actor's name, as text
    expect(audit.locator("tr[data-type=vote_opened]")).to_contain_text("Voters present: 4")  # words, not codes
    assert sup.locator("main b").count() == 0
    shot(sup, "supervisor")


KEYS_AT_ONCE = """(keys) => {
    // Pressed in one go: every key after the first is pressed while the first command awaits its ack.
    for (const k of keys) document.body.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));
    const q = document.getElementById("key-queue");
    return q.hidden ? "" : q.textContent;
}"""


def test_keys_pressed_while_a_command_awaits_its_ack_are_queued_not_dropped(server, open_page, remotes):
    """Issue 9 (the console drops a key): a key pressed while the previous command awaits its ack
    waits in a queue shown on the console and runs after the ack, checked against the `allowed`
    that came with it; a click meanwhile is not sent, and the console says why."""
    _mid, tokens = server.create_meeting(meeting_config())
    page = open_page(tokens["moderator"], LAPTOP)
    mod = remotes(tokens["moderator"])
    s = {p: remotes(tokens[p]) for p in ("s1", "s2", "s3")}
    for r in s.values():
        r("sign_in")
    mod("present_rules")
    mod("open_vote", kind="rules", mode="hands")
    mod("enter_hand_count", choice="yes", count=3)
    mod("close_vote")
    mod("declare_open")
    mod("begin_item", item=0)
    s["s1"]("raise_hand", stance="for")
    s["s2"]("raise_hand", stance="against")
    s["s3"]("raise_hand", stance="for")
    expect(by(page, "recommended")).to_have_attribute("data-person", "s1")

    # N then E at once: E waits (shown), then ends the speech N started.
    assert page.evaluate(KEYS_AT_ONCE, ["n", "e"]) == "等待上一条命令完成后执行的按键：E"
    expect(by(page, "queue").locator("li")).to_have_count(2)     # s1's hand became the speech…
    expect(person_row(page, "queue", "s1")).to_have_count(0)
    expect(by(page, "no-speech")).to_be_visible()                # …which E then ended
    expect(by(page, "key-queue")).to_be_hidden()

    # N then N: the second N is decided after the first one's ack, on what the server allows then
    # (somebody has the floor): it is not sent, and the server's reason is shown.
    expect(by(page, "recommended")).to_have_attribute("data-person", "s2")
    assert page.evaluate(KEYS_AT_ONCE, ["n", "n"]) == "等待上一条命令完成后执行的按键：N"
    expect(by(page, "speaker-name")).to_have_text("陈伟")
    expect(page.locator("#toast")).to_have_text("有人正在发言")
    expect(person_row(page, "queue", "s3")).to_have_count(1)     # s3's hand is still up
    expect(by(page, "key-queue")).to_be_hidden()

    # A click while a command awaits its ack is not sent, and the console says why.
    expect(by(page, "pause")).to_be_visible()
    toast = page.evaluate("""() => {
        document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "p", bubbles: true }));
        document.querySelector("[data-testid=end-speech]").click();
        return document.getElementById("toast").textContent;
    }""")
    assert toast == "请稍候：上一条命令尚未得到服务器确认"
    expect(by(page, "resume")).to_be_visible()                   # P paused the timer…
    expect(by(page, "speaker-name")).to_have_text("陈伟")         # …and the click ended nothing
