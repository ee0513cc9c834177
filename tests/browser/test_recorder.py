"""The recorder's desk on a laptop: signing in the residents without a phone by clicks, hand counts
in a mixed vote (with the server's refusal of an excessive count shown), a summary written during
a speech and a note appearing in the record fragment, and typed markup staying literal text."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import LAPTOP, Remote, shot
from tests.server.harness import meeting_config, roster

MARKUP = "<script>alert(1)</script>"




def watch_dialogs(page: Page) -> list:
    """Any alert() would mean typed markup ran as HTML."""
    dialogs: list = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return dialogs


def adopt_rules(page: Page, mod: Remote, voters: int) -> None:
    """The rules pass by show of hands, counted at the desk; the consultation opens, item 1 begins."""
    by = page.get_by_test_id
    mod("present_rules")
    mod("open_vote", kind="rules", mode="hands")
    expect(by("vote-panel")).to_be_visible()
    expect(by("ballots")).to_contain_text(f"手机已投 0/{voters}")
    by("hand-yes").fill(str(voters))
    by("hand-no").fill("0")
    by("hand-submit").click()
    expect(by("hand-saved")).to_have_text("举手人数已录入。")
    expect(by("tally-yes").locator("td")).to_have_text(str(voters))
    mod("close_vote")
    expect(by("vote-panel")).to_be_hidden()
    mod("declare_open")
    mod("begin_item", item=0)


def test_sign_in_without_phone_and_hand_counts_in_a_mixed_vote(server, open_page, remotes):
    _mid, tokens = server.create_meeting(meeting_config())
    page = open_page(tokens["recorder"], LAPTOP)
    dialogs = watch_dialogs(page)
    by = page.get_by_test_id
    mod = remotes(tokens["moderator"])
    phones = {p: remotes(tokens[p]) for p in ("s1", "s2", "s3", "s4")}
    for r in phones.values():
        r("sign_in")

    expect(by("signin")).to_have_text("表决人员已签到 4 / 7")
    expect(by("absent-s5")).to_have_text("未签到")
    # The two residents without a phone are signed in by the recorder, by clicks.
    by("sign-in-s5").click()
    expect(by("present-s5")).to_contain_text("工作人员代签")
    by("sign-in-s6").click()
    expect(by("present-s6")).to_contain_text("工作人员代签")
    expect(by("signin")).to_have_text("表决人员已签到 6 / 7")
    expect(by("person-s5")).to_contain_text("无手机")
    # Signing out asks for a second click, then the person is out; sign her in again.
    by("sign-out-s6").click()
    expect(by("sign-out-s6")).to_have_text("再点一次确认签退 周玉梅")  # the name is for screen readers
    expect(by("present-s6")).to_be_visible()
    by("sign-out-s6").click()
    expect(by("absent-s6")).to_be_visible()
    by("sign-in-s6").click()
    expect(by("present-s6")).to_be_visible()
    shot(page, "recorder-signin")
    record = by("record")
    expect(record.get_by_test_id("record-roster")).to_contain_text("赵桂兰")
    expect(record.get_by_test_id("record-roster")).to_contain_text("出席")

    adopt_rules(page, mod, voters=6)

    # A mixed vote: three phones vote, the other three voters raise hands.
    mod("open_vote", kind="item", mode="mixed")
    expect(by("vote-panel")).to_contain_text("表决：第1项：是否加装电梯")
    expect(by("hand-yes")).to_have_value("")
    phones["s1"]("cast_vote", choice="yes")
    phones["s2"]("cast_vote", choice="yes")
    phones["s3"]("cast_vote", choice="no")
    # No per-choice phone counts while the vote is open: how many, and (a named ballot) who.
    expect(by("ballots")).to_contain_text("手机已投 3/6")
    expect(by("voted-list")).to_have_text("已用手机投票：刘秀英、陈伟、孙立军")
    expect(by("tally-yes").locator("td")).to_have_text("—")
    # Too many hands: the server refuses and the desk shows its message, which names the limit.
    by("hand-yes").fill("4")
    by("hand-submit").click()
    expect(by("hand-error")).to_be_visible()
    expect(by("hand-error")).to_contain_text("人数超出")
    expect(by("hand-error")).to_contain_text("6")
    shot(page, "recorder-hand-refused")
    by("hand-yes").fill("2")
    by("hand-no").fill("1")
    by("hand-submit").click()
    expect(by("hand-saved")).to_have_text("举手人数已录入。")
    expect(by("hand-error")).to_be_hidden()
    expect(by("tally-yes").locator("td")).to_have_text("2")
    expect(by("tally-no").locator("td")).to_have_text("1")
    shot(page, "recorder-vote")
    # A recount that lowers yes and raises no goes through (the lower count is sent first).
    by("hand-yes").fill("1")
    by("hand-no").fill("2")
    by("hand-submit").click()
    expect(by("tally-no").locator("td")).to_have_text("2")
    expect(by("tally-yes").locator("td")).to_have_text("1")
    mod("close_vote")
    expect(by("vote-panel")).to_be_hidden()

    votes = record.get_by_test_id("record-votes")
    expect(votes).to_contain_text("第1项：是否加装电梯")
    cells = votes.locator("tr", has_text="第1项").locator("td")
    expect(cells.nth(11)).to_have_text("通过")     # once the fragment has caught up with the close
    expect(cells.nth(2)).to_have_text("手机与举手结合，记名表决")
    expect(cells.nth(3)).to_have_text("6 人")      # base
    expect(cells.nth(4)).to_have_text("7 人")      # registered
    expect(cells.nth(5)).to_have_text("6 人")      # voted (表决人数): 3 by phone + 3 hands
    expect(cells.nth(6)).to_have_text(re.compile(r"^3\s*50\.0%$"))  # yes: 2 by phone + 1 hand
    expect(cells.nth(7)).to_have_text(re.compile(r"^3\s*50\.0%$"))  # no: 1 by phone + 2 hands
    expect(cells.nth(9)).to_have_text(re.compile(r"^0\s*0\.0%$"))   # not voting
    expect(cells.nth(10)).to_contain_text("1/2")
    assert not dialogs


def test_summary_note_and_markup_stay_text(server, open_page, remotes):
    people = roster()
    for p in people:
        if p["id"] == "s5":
            p["name"] = f"赵{MARKUP}"
    config = {**meeting_config(speech_limit_ms=60000), "roster": people}
    _mid, tokens = server.create_meeting(config)
    page = open_page(tokens["recorder"], LAPTOP)
    dialogs = watch_dialogs(page)
    by = page.get_by_test_id
    record = by("record")
    mod = remotes(tokens["moderator"])
    s1, s2 = remotes(tokens["s1"]), remotes(tokens["s2"])
    s1("sign_in")
    s2("sign_in")
    by("sign-in-s5").click()
    expect(by("person-s5")).to_contain_text(f"赵{MARKUP}")
    expect(by("present-s5")).to_be_visible()
    expect(record.get_by_test_id("record-roster")).to_contain_text(f"赵{MARKUP}")
    adopt_rules(page, mod, voters=3)

    expect(by("speech-none")).to_be_visible()
    s1("raise_hand", stance="for")
    s2("raise_hand", stance="against")
    mod("give_floor", person="s1")
    expect(by("speech-name")).to_have_text("刘秀英")
    expect(by("countdown")).to_have_attribute("data-level", "normal")
    summary = f"支持加装，老人上下楼困难 {MARKUP}"
    by("summary-current").fill(summary)
    expect(by("summary-state")).to_have_text("尚未保存")
    by("summary-save").click()
    expect(by("summary-state")).to_have_text("已保存")
    speech = record.get_by_test_id("record-speech-1")
    expect(speech).to_contain_text(summary)
    expect(speech).to_contain_text("正在发言")
    expect(speech).to_contain_text("赞成")

    # A note with markup: literal text in the desk and in the record.
    by("note-kind").select_option("consensus")
    note = f"都同意先做结构检测 {MARKUP}"
    by("note-text").fill(note)
    by("note-add").click()
    expect(by("note-1")).to_contain_text(note)
    expect(by("note-1")).to_contain_text("达成的共识")
    expect(by("note-text")).to_have_value("")
    expect(record.get_by_test_id("record-notes")).to_contain_text(note)
    mod("call_to_order", person="s2", reason="interrupting", note=f"插话 {MARKUP}")
    expect(by("calls-to-order")).to_contain_text(f"陈伟 — 插话 (插话 {MARKUP})")
    expect(record.get_by_test_id("record-calls")).to_contain_text(f"插话 {MARKUP}")
    shot(page, "recorder-speech")

    # The speech ends while a longer summary is being typed: the draft moves to the list, unsaved.
    by("summary-current").fill(summary + " 补充")
    mod("end_speech")
    expect(by("speech-none")).to_be_visible()
    expect(by("summary-1")).to_have_value(summary + " 补充")
    expect(by("speech-1")).to_contain_text("尚未保存")
    by("summary-save-1").click()
    expect(by("speech-1")).to_contain_text("已保存")
    expect(record.get_by_test_id("record-speech-1")).to_contain_text(summary + " 补充")

    # Out of the recommended order: the reason shows on the desk and in the record.
    s1("raise_hand", stance="for")
    mod("give_floor", person="s1", reason=f"楼长先说明 {MARKUP}")
    expect(by("speech-departure")).to_contain_text(f"楼长先说明 {MARKUP}")
    expect(by("speech-departure")).to_contain_text("陈伟")
    expect(by("departures")).to_contain_text(f"楼长先说明 {MARKUP}")
    expect(record.get_by_test_id("record-departures")).to_contain_text(f"楼长先说明 {MARKUP}")
    mod("end_speech")

    expect(by("speeches").locator("li")).to_have_count(2)
    page.wait_for_timeout(1500)   # the trailing refresh of the record
    assert page.locator("#main script").count() == 0
    assert not dialogs
    by("record").scroll_into_view_if_needed()
    shot(page, "recorder-record")


def test_desk_and_record_in_english(server, open_page, remotes):
    _mid, tokens = server.create_meeting(meeting_config())
    page = open_page(tokens["recorder"], LAPTOP, lang="en")
    by = page.get_by_test_id
    expect(page.locator("#roster-h")).to_have_text("Sign-in")
    expect(by("absent-s5")).to_have_text("Not signed in")
    by("sign-in-s5").click()
    expect(by("present-s5")).to_contain_text("Signed in by staff")
    expect(by("record").get_by_test_id("record-roster")).to_contain_text("出席")   # the record is in Chinese
    expect(by("sheet-link")).to_have_attribute("href", f"/j/{tokens['recorder']}/sheet")
