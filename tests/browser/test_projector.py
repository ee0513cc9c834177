"""The projector / public live view at 1920×1080 (and a laptop): sign-in progress, the speaker with
a countdown going down through warning and overrun, the queue in recommended order, "Voting…" with
ballots in but never the tally, the result with percentages after the close, the outcomes."""
from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, shot
from tests.server.harness import meeting_config

BIG = {"width": 1920, "height": 1080}


def seconds(text: str) -> int:
    m = re.fullmatch(r"(-?)(\d+):(\d\d)", text)
    assert m, text
    value = int(m[2]) * 60 + int(m[3])
    return -value if m[1] else value


def test_projector_speaker_queue_vote_and_result(server, open_page, remotes):
    _mid, tokens = server.create_meeting(meeting_config(speech_limit_ms=10000, warning_ms=4000))
    page = open_page(tokens["projector"], BIG)
    by = page.get_by_test_id
    expect(by("phase")).to_have_text("签到")
    expect(by("signin")).to_have_text("表决人员 0 / 7")
    assert page.locator("button, input, select, textarea").filter(visible=True).count() == 0  # no tool buttons

    mod = remotes(tokens["moderator"])
    for person in ("s1", "s2", "s3", "s4"):
        mod("sign_in", person=person)
    expect(by("signin")).to_have_text("表决人员 4 / 7")
    shot(page, "projector-signin")
    mod("present_rules")
    mod("open_vote", kind="rules", mode="hands")
    expect(by("voting")).to_contain_text("正在表决…")
    expect(by("ballots")).to_be_hidden()  # a show of hands has no phone ballots to count
    mod("enter_hand_count", choice="yes", count=4)
    mod("close_vote")
    expect(by("result-verdict")).to_have_text("通过")
    mod("declare_open")
    mod("begin_item", item=0)
    expect(by("item")).to_have_text("第1项：是否加装电梯")

    people = {p: remotes(tokens[p]) for p in ("s1", "s2", "s3")}
    people["s1"]("raise_hand", stance="for")
    people["s2"]("raise_hand", stance="for")
    people["s3"]("raise_hand", stance="against")
    queue = by("queue").locator("li")
    expect(queue).to_have_count(3)
    expect(queue.nth(0)).to_contain_text("刘秀英")
    expect(queue.nth(0)).to_have_class("proj-next")
    expect(queue.nth(1)).to_contain_text("陈伟")
    expect(queue.nth(2)).to_contain_text("孙立军")
    expect(queue.nth(2)).to_contain_text("反对")
    shot(page, "projector-queue")

    mod("give_floor", person="s1")
    expect(by("speaker-name")).to_have_text("刘秀英")
    expect(by("speaker-stance")).to_have_text("赞成")
    # After a speaker for, the one against is recommended first (alternation).
    expect(queue).to_have_count(2)
    expect(queue.nth(0)).to_contain_text("孙立军")
    expect(queue.nth(0)).to_have_class("proj-next")
    expect(queue.nth(1)).to_contain_text("陈伟")

    countdown = by("countdown")
    expect(countdown).to_have_attribute("data-level", "normal")
    first = seconds(countdown.inner_text())
    assert 8 <= first <= 10
    shot(page, "projector-speaker")
    time.sleep(1.6)
    assert seconds(countdown.inner_text()) < first
    expect(countdown).to_have_attribute("data-level", "warning", timeout=10_000)
    assert 0 < seconds(countdown.inner_text()) <= 4
    shot(page, "projector-warning")
    expect(countdown).to_have_attribute("data-level", "overrun", timeout=8_000)
    expect(countdown).to_have_text(re.compile(r"^-0:0\d$"))
    shot(page, "projector-overrun")
    mod("end_speech")
    expect(by("speaker")).to_be_hidden()

    mod("lower_hand", person="s2")
    mod("lower_hand", person="s3")
    mod("open_vote", kind="item", mode="mixed")
    expect(by("voting")).to_contain_text("正在表决…")
    expect(by("ballots")).to_have_text("手机已投票：0 / 4 人")
    people["s1"]("cast_vote", choice="yes")
    people["s2"]("cast_vote", choice="no")
    expect(by("ballots")).to_have_text("手机已投票：2 / 4 人")
    counted = mod("enter_hand_count", choice="yes", count=1)
    # Once the hand count has reached the projector, nothing on it tells a choice's tally (its
    # view has no hand counts at all: issue 11, the public view is only what projector.js draws).
    page.wait_for_function(f"() => Yishi.state.version >= {counted['version']}")
    assert page.evaluate("() => !('hand_counts' in Yishi.state.view.vote)")
    visible = page.locator("main").inner_text()
    assert "赞成" not in visible and "弃权" not in visible and "%" not in visible, visible  # never the tally
    expect(by("result")).to_be_hidden()
    shot(page, "projector-voting")

    mod("close_vote")
    result = by("result")
    expect(result).to_be_visible()
    expect(by("result-verdict")).to_have_text("通过")
    expect(result.locator("[data-choice=yes]")).to_contain_text("2 人")
    expect(result.locator("[data-choice=yes]")).to_contain_text("50.0%")
    expect(result.locator("[data-choice=no]")).to_contain_text("25.0%")
    expect(result.locator("[data-choice=not_voting]")).to_contain_text("25.0%")
    expect(by("voting")).to_be_hidden()
    mod("declare_outcome", item=0, outcome="a", what="加装电梯", who="社区居委会", by_when="2027-03-31")
    expect(by("outcomes")).to_contain_text("同意")
    shot(page, "projector-result")

    laptop = open_page(tokens["projector"], LAPTOP, lang="en")
    expect(laptop.get_by_test_id("result-verdict")).to_have_text("Passed")
    expect(laptop.get_by_test_id("outcomes")).to_contain_text("Agreed")
    expect(laptop.get_by_test_id("phase")).to_have_text("Result")
    shot(laptop, "projector-laptop-en")
