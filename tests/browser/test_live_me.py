"""live.js keeps `me` by the version rule (docs/protocol.md): it keeps the newest me it received,
shows one only when its view's version is at least the me's version (a me that is ahead waits
for the delta that brings the view there), drops a me older than the one it holds, and takes the
snapshot's me with the snapshot's version.

The messages are handed to the page's own Socket.IO listeners, so the rule is tested exactly as
the client runs it; the real server's snapshot, deltas and me are checked to carry matching
versions."""
from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import PHONE
from tests.server.harness import meeting_config

FEED = """([kind, msg]) => { for (const fn of Yishi.socket.listeners(kind)) fn(msg); }"""


def feed(page: Page, kind: str, msg: dict) -> None:
    page.evaluate(FEED, [kind, msg])


def shown(page: Page) -> dict:
    return page.evaluate("() => ({version: Yishi.state.version, meVersion: Yishi.state.meVersion,"
                         " name: Yishi.state.me && Yishi.state.me.name})")


def test_me_follows_the_version_rule(server, open_page, remotes):
    _mid, tokens = server.create_meeting(meeting_config())
    page = open_page(tokens["s1"], PHONE)
    page.wait_for_function("() => Yishi.state.me !== null")

    # The snapshot's me has the snapshot's version.
    start = shown(page)
    assert start["meVersion"] == start["version"] and start["name"] == "刘秀英"

    # A real command: the view and its me move on together.
    mod = remotes(tokens["moderator"])
    mod("sign_in", person="s1")
    page.wait_for_function("() => Yishi.state.me.signed_in === true")
    real = shown(page)
    assert real["version"] > start["version"] and real["meVersion"] == real["version"]
    me = page.evaluate("() => Yishi.state.me")
    assert me["version"] == real["version"]

    v = real["version"]
    # A me ahead of the view waits ...
    feed(page, "me", {"version": v + 2, "me": {**me, "name": "ahead", "version": v + 2}})
    assert shown(page) == {**real, "name": "刘秀英"}
    # ... a me older than the one held is dropped, even though the view could show it ...
    feed(page, "me", {"version": v + 1, "me": {**me, "name": "older", "version": v + 1}})
    feed(page, "delta", {"from_version": v, "version": v + 1, "now": None, "events": [], "patch": []})
    assert shown(page) == {"version": v + 1, "meVersion": v, "name": "刘秀英"}
    # ... and the held one is shown with the delta that brings the view to its version.
    feed(page, "delta", {"from_version": v + 1, "version": v + 2, "now": None, "events": [], "patch": []})
    assert shown(page) == {"version": v + 2, "meVersion": v + 2, "name": "ahead"}
    # An older me than the one shown changes nothing.
    feed(page, "me", {"version": v, "me": {**me, "name": "stale"}})
    assert shown(page)["name"] == "ahead"
    # A me for the view's own version is shown at once.
    feed(page, "me", {"version": v + 2, "me": {**me, "name": "same version"}})
    assert shown(page)["name"] == "same version"

    # A snapshot behind a shown me: the snapshot's me is shown with the snapshot's view, and the
    # newer one waits for its version again.
    snap = page.evaluate("() => JSON.parse(JSON.stringify(Yishi.state.snapshot))")
    feed(page, "me", {"version": v + 3, "me": {**me, "name": "newest"}})
    feed(page, "delta", {"from_version": v + 2, "version": v + 3, "now": None, "events": [], "patch": []})
    assert shown(page)["name"] == "newest"
    feed(page, "snapshot", {**snap, "version": v + 2, "me": {**me, "name": "from snapshot"}})
    assert shown(page) == {"version": v + 2, "meVersion": v + 2, "name": "from snapshot"}
    feed(page, "delta", {"from_version": v + 2, "version": v + 3, "now": None, "events": [], "patch": []})
    assert shown(page) == {"version": v + 3, "meVersion": v + 3, "name": "newest"}
