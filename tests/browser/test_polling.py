"""A chat-app browser or a network that blocks WebSocket: the phone still works, over Socket.IO's
long-polling, for everything a resident does."""
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, shot
from tests.server.harness import meeting_config


def test_the_phone_works_when_websocket_is_blocked(browser, server, remotes):
    mid, tokens = server.create_meeting(meeting_config())
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = ctx.new_page()
    page.set_default_timeout(10_000)
    blocked = []

    def refuse(ws):
        blocked.append(ws.url)
        ws.close()

    page.route_web_socket("**/socket.io/**", refuse)
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/socket.io/" in r.url else None)
    try:
        page.goto(f"{server.url}/j/{tokens['s1']}")
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        page.get_by_test_id("sign-in").click()
        expect(page.get_by_test_id("signed-in")).to_be_visible()
        mod = remotes(tokens["moderator"])
        for pid in ("s2", "s3"):
            mod("sign_in", person=pid)
        mod("present_rules")
        mod("open_vote", kind="rules", mode="mixed")
        page.get_by_test_id("vote-yes").click()
        page.get_by_test_id("vote-confirm").click()
        expect(page.get_by_test_id("voted")).to_be_visible()
        mod("enter_hand_count", choice="yes", count=2)
        mod("close_vote")
        mod("declare_open")
        mod("begin_item", item=0)
        page.get_by_test_id("raise-for").click()
        expect(page.get_by_test_id("queue-position")).to_have_attribute("data-position", "1")
        mod("give_floor", person="s1")
        expect(page.get_by_test_id("your-turn")).to_be_visible()
        assert blocked, "the page tried WebSocket and was refused"
        assert page.evaluate("() => Yishi.socket.io.engine.transport.name") == "polling"
        # Every request of the connection names its meeting, for a balancer that routes by
        # meeting (docs/deploy.md).
        assert polls and all(f"meeting={mid}" in url for url in polls + blocked), polls[:3]
        shot(page, "phone-polling")
    finally:
        ctx.close()
