"""A whole meeting run by clicks and keys only, in real Chromium: a moderator, a recorder, a
projector and four phones (one at 360×740), two residents without phones signed in by the
recorder and counted by hand. Sign-in, the rules vote, the explanation, debate in the queue order
of RULES.md §3, an overrun speech, a phone that drops and comes back, a mixed vote, the outcome,
the end and the record. Each page is checked at each step; every screen is saved as a screenshot."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import LAPTOP, PHONE, shot
from tests.server.harness import meeting_config

OTHER_PHONE = {"width": 390, "height": 844}


def by(page: Page, testid: str):
    return page.get_by_test_id(testid)


def seconds(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    m, s = text.lstrip("-").split(":")
    return sign * (int(m) * 60 + int(s))


def vote(phone: Page, choice: str) -> None:
    by(phone, f"vote-{choice}").click()
    by(phone, "vote-confirm").click()
    expect(by(phone, "voted")).to_be_visible()
    expect(by(phone, "vote-yes")).to_be_disabled()
    expect(by(phone, "vote-no")).to_be_disabled()


def test_a_whole_meeting_by_clicks_and_keys(server, open_page):
    _mid, tokens = server.create_meeting(meeting_config(speech_limit_ms=10_000, warning_ms=4_000))
    mod = open_page(tokens["moderator"], LAPTOP)
    mod.on("dialog", lambda d: d.accept())
    rec = open_page(tokens["recorder"], LAPTOP)
    proj = open_page(tokens["projector"], {"width": 1920, "height": 1080})
    phones = {"s1": open_page(tokens["s1"], PHONE)}
    for pid in ("prop", "s2", "s3"):
        phones[pid] = open_page(tokens[pid], OTHER_PHONE)
    s1 = phones["s1"]

    # 1. Sign-in: four phones tap, the recorder signs in the two without phones.
    shot(s1, "whole-phone-signin")
    for page in phones.values():
        by(page, "sign-in").click()
        expect(by(page, "signed-in")).to_be_visible()
    by(rec, "sign-in-s5").click()
    by(rec, "sign-in-s6").click()
    expect(by(mod, "signin")).to_contain_text("6")
    expect(by(proj, "signin")).to_contain_text("6")
    shot(rec, "whole-recorder-signin")
    shot(mod, "whole-moderator-signin")

    # 2. The rules of procedure: a mixed vote, four phones and two hands, 2/3 needed.
    by(mod, "present-rules").click()
    by(mod, "vote-mode").select_option("mixed")
    by(mod, "open-vote").click()
    for page in phones.values():
        vote(page, "yes")
    by(rec, "hand-yes").fill("2")
    by(rec, "hand-no").fill("0")
    by(rec, "hand-submit").click()
    expect(by(mod, "vote-base")).to_contain_text("手机已投 4/6")
    expect(by(mod, "vote-counts").locator("tr[data-choice=yes] .mod-count")).to_have_text("2")  # the hands
    mod.keyboard.press("c")
    by(mod, "confirm-ok").click()
    expect(by(mod, "result-verdict")).to_have_text("通过")
    expect(by(proj, "result-verdict")).to_have_text("通过")
    by(mod, "declare-open").click()

    # 3. The proposer explains; the phone says it is their turn.
    by(mod, "start-explanation").click()
    expect(by(phones["prop"], "your-turn")).to_be_visible()
    expect(by(proj, "speaker-name")).to_have_text("张建国")
    # A key does what the console allows now, and the console sends one command at a time: wait
    # until the console itself shows the speech (its own me, after its ack) before pressing E.
    expect(by(mod, "end-speech")).to_be_enabled()
    mod.keyboard.press("e")
    expect(by(mod, "no-speech")).to_be_visible()
    by(mod, "begin-item").click()
    expect(by(proj, "phase")).to_have_attribute("data-phase", "debate")
    expect(by(proj, "item")).to_contain_text("是否加装电梯")

    # 4. Debate: A for, B for, C against (RULES.md §3) — A first, then C by alternation.
    by(s1, "raise-for").click()
    expect(by(s1, "queue-position")).to_have_attribute("data-position", "1")
    by(phones["s2"], "raise-for").click()
    by(phones["s3"], "raise-against").click()
    expect(by(mod, "queue").locator("li")).to_have_count(3)
    expect(by(mod, "recommended")).to_have_attribute("data-person", "s1")
    expect(by(mod, "recommended-reason")).to_have_text("最先举手")
    expect(by(proj, "queue").locator("li")).to_have_count(3)
    shot(proj, "whole-projector-queue")
    mod.keyboard.press("n")
    expect(by(s1, "your-turn")).to_be_visible()
    expect(by(proj, "speaker-name")).to_have_text("刘秀英")
    expect(by(proj, "speaker-stance")).to_have_text("赞成")
    first = seconds(by(proj, "countdown").inner_text())
    proj.wait_for_timeout(2100)
    later = seconds(by(proj, "countdown").inner_text())
    assert later <= first - 1, (first, later)  # the countdown goes down
    shot(s1, "whole-phone-your-turn")
    by(rec, "summary-current").fill("支持加装，老人上下楼困难")
    by(rec, "summary-save").click()
    by(s1, "yield").click()
    expect(by(s1, "your-turn")).to_be_hidden()
    expect(by(s1, "speeches-left")).to_contain_text("1")

    expect(by(mod, "recommended")).to_have_attribute("data-person", "s3")
    expect(by(mod, "recommended-reason")).to_have_text("正反轮流：上一位发言人立场相反")

    # B's phone loses its connection while waiting, and comes back with its hand.
    s2 = phones["s2"]
    s2.context.set_offline(True)
    s2.evaluate("() => Yishi.socket.io.engine.close()")
    expect(s2.locator("#conn")).to_have_attribute("data-state", "offline")
    shot(s2, "whole-phone-offline")

    # C speaks past the limit: warning, then overrun on every screen.
    mod.keyboard.press("n")
    expect(by(proj, "speaker-name")).to_have_text("孙立军")
    expect(by(proj, "countdown")).to_have_attribute("data-level", "warning", timeout=12_000)
    expect(by(proj, "countdown")).to_have_attribute("data-level", "overrun", timeout=8_000)
    expect(by(mod, "countdown")).to_have_attribute("data-level", "overrun")
    expect(by(phones["s3"], "your-countdown")).to_have_text(re.compile(r"^-0:\d\d$"))
    shot(proj, "whole-projector-overrun")
    shot(mod, "whole-moderator-overrun")
    mod.keyboard.press("e")

    s2.context.set_offline(False)
    expect(s2.locator("#conn")).to_have_attribute("data-state", "online", timeout=20_000)
    expect(by(s2, "queue-position")).to_contain_text("下一位就是您")
    expect(by(mod, "recommended")).to_have_attribute("data-person", "s2")
    mod.keyboard.press("n")
    expect(by(s2, "your-turn")).to_be_visible()
    expect(by(mod, "end-speech")).to_be_enabled()
    mod.keyboard.press("e")
    expect(by(mod, "no-speech")).to_be_visible()

    # 5. The item's vote, mixed: three phones yes, one no; the recorder counts one hand each way.
    by(mod, "vote-mode").select_option("mixed")
    mod.keyboard.press("v")
    expect(by(proj, "voting")).to_be_visible()
    for pid, choice in (("prop", "yes"), ("s1", "yes"), ("s2", "no"), ("s3", "yes")):
        vote(phones[pid], choice)
    expect(by(proj, "ballots")).to_contain_text("4")
    expect(by(proj, "voting")).not_to_contain_text("赞成")  # no tally in public before the close
    by(rec, "hand-yes").fill("1")
    by(rec, "hand-no").fill("1")
    by(rec, "hand-submit").click()
    expect(by(mod, "vote-counts").locator("tr[data-choice=yes] .mod-count")).to_have_text("1")  # the hands
    expect(by(mod, "vote-base")).to_contain_text("手机已投 4/6")
    shot(s1, "whole-phone-voted")
    shot(rec, "whole-recorder-vote")
    mod.keyboard.press("c")
    by(mod, "confirm-ok").click()
    for page in (proj, s1, mod):
        expect(by(page, "result-verdict").first).to_have_text("通过")
    expect(by(proj, "result").locator("[data-choice=yes]")).to_contain_text("66.7%")
    shot(proj, "whole-projector-result")
    shot(s1, "whole-phone-result")

    # 6. The outcome: agreed, with the implementation opinion; the meeting ends.
    expect(by(mod, "outcome-class")).to_have_value("a")
    by(mod, "outcome-what").fill("北侧加装电梯一部")
    by(mod, "outcome-who").fill("社区居委会")
    by(mod, "outcome-by-when").fill("2027-06-30")
    by(mod, "declare-outcome").click()
    by(mod, "confirm-ok").click()
    expect(by(mod, "outcomes").locator("li[data-item='0']")).to_have_attribute("data-outcome", "a")
    by(mod, "begin-item").click()
    by(mod, "escalate-box").locator("summary").click()
    by(mod, "escalate-reason").fill("费用方案涉及全小区多数居民")
    by(mod, "escalate").click()
    by(mod, "confirm-ok").click()
    by(mod, "end-meeting").click()
    by(mod, "confirm-ok").click()
    expect(by(mod, "phase")).to_have_text("会议已结束")
    expect(by(proj, "outcomes")).to_contain_text("同意")
    expect(by(proj, "outcomes")).to_contain_text("五议两公开")

    # 7. The record: the recorder files it and signs; the summary is in the record.
    expect(by(rec, "after-meeting")).to_be_visible()
    by(rec, "sign-record").click()
    expect(by(rec, "signature-recorder")).to_contain_text("已签字")
    expect(by(rec, "record")).to_contain_text("支持加装，老人上下楼困难")
    shot(rec, "whole-recorder-ended")
    shot(mod, "whole-moderator-ended")
    shot(proj, "whole-projector-ended")
