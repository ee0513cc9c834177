"""The participant's phone at 360×740: sign in, raise a hand, get the floor, yield, vote with the
confirm step, see the result; a dropped connection comes back with its state; names are text;
English on request; watch-only categories and online participants.

The other roles are driven over Socket.IO by `Remote` (python-socketio's AsyncClient on a thread:
the synchronous `socketio.Client` needs `requests` or `websocket-client`, which the test
dependencies do not include; aiohttp is there)."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, Remote, shot
from tests.server.harness import meeting_config


def adopt_rules_and_begin(mod: Remote, others: list[str], voters: int) -> None:
    """The moderator signs the others in, the rules pass by show of hands, item 1 begins."""
    for person in others:
        mod("sign_in", person=person)
    mod("present_rules")
    mod("open_vote", kind="rules", mode="hands")
    mod("enter_hand_count", choice="yes", count=voters)
    mod("close_vote")
    mod("declare_open")
    mod("begin_item", item=0)


def watch_vibrate(page: Page) -> None:
    page.evaluate("""() => {
        window.__buzz = [];
        Object.defineProperty(navigator, 'vibrate',
            {configurable: true, value: (p) => { window.__buzz.push(p); return true; }});
    }""")


def by(page: Page, testid: str):
    return page.get_by_test_id(testid)


def drop_connection(page: Page) -> None:
    """Lose the network: offline emulation, and close the live transport (an open WebSocket is
    not always cut by the emulation)."""
    page.context.set_offline(True)
    page.evaluate("() => Yishi.socket.io.engine.close()")
    expect(page.locator("#conn")).to_have_attribute("data-state", "offline")
    expect(by(page, "offline")).to_be_visible()


def restore_connection(page: Page) -> None:
    page.context.set_offline(False)
    expect(page.locator("#conn")).to_have_attribute("data-state", "online", timeout=20_000)
    expect(by(page, "offline")).to_be_hidden()


def test_sign_in_hand_floor_yield_vote_and_result(server, open_page, remotes):
    _mid, tokens = server.create_meeting(meeting_config(speeches_per_item=1))
    page = open_page(tokens["s1"], PHONE)
    watch_vibrate(page)
    expect(by(page, "greeting")).to_have_text("刘秀英，您好")
    expect(by(page, "category")).to_have_text("利益相关方")
    expect(by(page, "phase")).to_contain_text("签到")
    expect(by(page, "sign-in")).to_have_text("我在会场，签到")
    shot(page, "phone-signin")

    by(page, "sign-in").click()
    expect(by(page, "signed-in")).to_have_text("已签到 · 会场")
    expect(by(page, "sign-in")).to_be_hidden()

    mod = remotes(tokens["moderator"])
    for person in ("s2", "s3", "s4"):
        mod("sign_in", person=person)
    mod("present_rules")
    mod("open_vote", kind="rules", mode="hands")
    # A show of hands: the phone says so and offers no buttons.
    expect(by(page, "vote-note")).to_have_text("请在会场举手表决。")
    expect(by(page, "vote-yes")).to_be_hidden()
    shot(page, "phone-vote-hands")
    mod("enter_hand_count", choice="yes", count=4)
    mod("close_vote")
    expect(by(page, "result-verdict")).to_have_text("通过")
    mod("declare_open")
    mod("begin_item", item=0)
    expect(by(page, "phase")).to_have_text("正在讨论 第1项：是否加装电梯")

    s2 = remotes(tokens["s2"])
    s2("raise_hand", stance="against")
    expect(by(page, "speeches-left")).to_have_text("本事项您还可发言 1 次")
    by(page, "raise-for").click()
    expect(by(page, "queue-position")).to_have_text("您已举手（赞成）：排第 2 位")
    expect(by(page, "raise-for")).to_be_hidden()
    expect(by(page, "lower-hand")).to_be_visible()
    expect(by(page, "queue").locator("li")).to_have_count(2)
    expect(by(page, "queue").locator("li").first).to_contain_text("陈伟")
    shot(page, "phone-hand-up")

    mod("give_floor", person="s2")
    expect(by(page, "speaker")).to_contain_text("陈伟")
    expect(by(page, "speaker")).to_contain_text("反对")
    expect(by(page, "countdown")).to_have_text(re.compile(r"^[23]:\d\d$"))
    expect(by(page, "countdown")).to_have_attribute("data-level", "normal")
    expect(by(page, "queue-position")).to_have_text("您已举手（赞成）：下一位就是您")
    mod("end_speech")

    mod("give_floor", person="s1")
    expect(by(page, "your-turn")).to_be_visible()
    expect(by(page, "your-turn")).to_contain_text("轮到您发言了")
    expect(by(page, "yield")).to_be_visible()
    assert page.evaluate("() => window.__buzz.length") >= 1
    # While speaking, the turn card is all there is: no greyed hand buttons under it (issue 9).
    expect(page.locator("#floor-panel")).to_be_hidden()
    shot(page, "phone-your-turn")

    by(page, "yield").click()
    expect(by(page, "your-turn")).to_be_hidden()
    expect(by(page, "speeches-left")).to_have_text("本事项您还可发言 0 次")
    expect(by(page, "raise-reason")).to_have_text("本事项发言次数已用完（最多 1 次）")
    expect(by(page, "raise-for")).to_be_disabled()
    expect(by(page, "raise-against")).to_be_disabled()
    shot(page, "phone-cap-reached")

    mod("open_vote", kind="item", mode="phone")
    expect(by(page, "vote-yes")).to_be_visible()
    by(page, "vote-yes").click()
    expect(by(page, "vote-confirm-box")).to_contain_text("您选择了“赞成”，确认吗？")
    shot(page, "phone-vote-confirm")
    by(page, "vote-confirm").click()
    expect(by(page, "voted")).to_have_text("您已投票：赞成")
    for testid in ("vote-yes", "vote-no"):
        expect(by(page, testid)).to_be_disabled()
    shot(page, "phone-voted")

    s2("cast_vote", choice="no")
    mod("close_vote")
    result = by(page, "result")
    expect(result).to_be_visible()
    expect(by(page, "result-verdict")).to_have_text("未通过")
    expect(result.locator("tr[data-choice=yes]")).to_contain_text("25.0%")
    expect(result.locator("tr[data-choice=no]")).to_contain_text("25.0%")
    expect(result.locator("tr[data-choice=not_voting]")).to_contain_text("50.0%")
    expect(by(page, "vote")).to_be_hidden()
    shot(page, "phone-result")


def test_connection_drops_and_comes_back_with_hand_and_vote(server, open_page, remotes):
    _mid, tokens = server.create_meeting(meeting_config())
    page = open_page(tokens["s1"], PHONE)
    by(page, "sign-in").click()
    expect(by(page, "signed-in")).to_be_visible()
    mod = remotes(tokens["moderator"])
    adopt_rules_and_begin(mod, ["s2", "s3"], voters=3)
    by(page, "raise-for").click()
    expect(by(page, "queue-position")).to_have_text("您已举手（赞成）：下一位就是您")

    drop_connection(page)
    expect(by(page, "lower-hand")).to_be_disabled()
    shot(page, "phone-offline")
    s2 = remotes(tokens["s2"])
    s2("raise_hand", stance="against")  # missed while offline
    restore_connection(page)
    expect(by(page, "queue-position")).to_have_text("您已举手（赞成）：下一位就是您")
    expect(by(page, "queue").locator("li")).to_have_count(2)

    # A new command works after the reconnect.
    by(page, "lower-hand").click()
    expect(by(page, "raise-for")).to_be_enabled()
    expect(by(page, "queue").locator("li")).to_have_count(1)

    s2("lower_hand")
    mod("open_vote", kind="item", mode="mixed")
    expect(by(page, "vote-note")).to_have_text("可以在手机上投票，也可以在会场举手，但只能选一种。")
    by(page, "vote-no").click()
    by(page, "vote-confirm").click()
    expect(by(page, "voted")).to_have_text("您已投票：反对")

    drop_connection(page)
    restore_connection(page)
    expect(by(page, "voted")).to_have_text("您已投票：反对")
    expect(by(page, "vote-yes")).to_be_disabled()
    expect(by(page, "vote-no")).to_be_disabled()
    expect(by(page, "vote-confirm-box")).to_be_hidden()


def test_names_are_text_english_watchers_and_online_video(server, open_page, remotes):
    config = meeting_config()
    config["video_url"] = "https://meet.example.invalid/room-3"
    evil = "<img src=x onerror=alert(1)>"
    config["roster"][1]["name"] = evil  # s1
    _mid, tokens = server.create_meeting(config)
    dialogs = []

    page = open_page(tokens["s1"], PHONE, lang="en")
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    expect(by(page, "greeting")).to_have_text(f"Hello, {evil}")
    expect(by(page, "category")).to_have_text("Stakeholder")
    expect(by(page, "sign-in")).to_have_text("I am in the room — sign in")
    by(page, "sign-in").click()
    expect(by(page, "signed-in")).to_have_text("Signed in · in the room")

    online = open_page(tokens["s3"], PHONE, lang="en")  # marked remote on the roster
    expect(by(online, "sign-in")).to_have_text("I take part online — sign in")
    by(online, "sign-in").click()
    expect(by(online, "signed-in")).to_have_text("Signed in · online")

    watcher = open_page(tokens["exp"], PHONE, lang="en")
    mod = remotes(tokens["moderator"])
    adopt_rules_and_begin(mod, ["s2"], voters=3)

    expect(by(page, "phase")).to_have_text("Discussion of Item 1: 是否加装电梯")
    expect(by(page, "raise-for")).to_have_text("I am FOR — raise my hand")
    by(page, "raise-against").click()
    expect(by(page, "queue-position")).to_have_text("Your hand is up (Against): you are next in line")
    expect(by(page, "speeches-left")).to_have_text("Speeches left on this item: 2")
    expect(by(page, "queue")).to_contain_text(evil)
    expect(by(page, "video-link")).to_be_hidden()  # in the room: no video link
    mod("give_floor", person="s1")
    expect(by(page, "your-turn")).to_contain_text("It's your turn to speak")
    expect(by(watcher, "speaker")).to_contain_text(evil)
    assert page.locator("main img").count() == 0 and watcher.locator("main img").count() == 0
    shot(page, "phone-en-your-turn")

    # The expert follows everything but has no hand or vote controls.
    expect(by(watcher, "watch-only")).to_be_visible()
    expect(by(watcher, "raise-for")).to_be_hidden()
    expect(by(watcher, "sign-in")).to_be_visible()
    shot(watcher, "phone-en-expert")

    # The online participant sees the video call beside the floor controls.
    link = by(online, "video-link")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", "https://meet.example.invalid/room-3")
    expect(by(online, "raise-for")).to_be_enabled()
    shot(online, "phone-en-online")
    online.locator("#large-text").click()
    expect(online.locator("html")).to_have_class("large")
    for testid in ("raise-for", "raise-against", "video-link"):
        box = by(online, testid).bounding_box()
        assert box["height"] >= 48 and box["width"] <= 360, (testid, box)
    assert online.evaluate("() => document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    shot(online, "phone-en-online-large")

    by(page, "yield").click()
    expect(by(page, "your-turn")).to_be_hidden()
    mod("open_vote", kind="item", mode="phone")
    expect(by(watcher, "vote-note")).to_have_text("You follow this vote; you do not vote in it.")
    expect(by(watcher, "vote-yes")).to_be_hidden()
    by(page, "vote-yes").click()
    expect(by(page, "vote-confirm-box")).to_contain_text("You chose Yes — confirm?")
    by(page, "vote-confirm").click()
    expect(by(page, "voted")).to_have_text("You voted: Yes")
    assert dialogs == []


def test_a_secret_ballot_phone_keeps_its_own_choice(server, open_page, remotes):
    """In an anonymous ballot the server no longer knows a phone's choice: the phone keeps what it
    sent (memory and sessionStorage, per meeting and vote) and says so, also after a reload; the
    server's me says only that this person has voted."""
    _mid, tokens = server.create_meeting(meeting_config(ballot="anonymous"))
    page = open_page(tokens["s1"], PHONE)
    by(page, "sign-in").click()
    expect(by(page, "signed-in")).to_be_visible()
    mod = remotes(tokens["moderator"])
    adopt_rules_and_begin(mod, ["s2", "s3"], voters=3)
    mod("open_vote", kind="item", mode="phone")
    by(page, "vote-no").click()
    by(page, "vote-confirm").click()
    expect(by(page, "voted")).to_have_text("您已投票：反对")
    me_vote = page.evaluate("() => Yishi.state.me.vote")
    assert me_vote["voted"] is True and me_vote["choice"] is None   # the server does not know it

    page.reload()
    page.wait_for_selector("#conn[data-state=online]")
    expect(by(page, "voted")).to_have_text("您已投票：反对")
    expect(by(page, "vote-no")).to_have_attribute("aria-pressed", "true")
    expect(by(page, "vote-yes")).to_be_disabled()

    # Another tab (a new session) knows only that this person has voted.
    other = open_page(tokens["s1"], PHONE)
    expect(by(other, "voted")).to_have_text("您已投票")
