"""Issue 9: screens that a first-time moderator and a 70-year-old resident get right, on a slow phone.

One meeting, walked through with the moderator (1366×768), a resident's phone (360×740), the
projector, the supervisor and the recorder open in one Chromium (the other screens and the English
versions are audited in test_axe_screens.py): at each state the accessibility audit (axe-core,
no serious or critical violation), no raw code or English word on a Chinese screen, the next-step
panel drawn from `allowed` (the primary step is one the server accepts; a refused one is disabled
with its reason; the dangerous ones never primary), the draft rules on the phone and the projector,
the timer's warning and overrun in words, gaps between tap targets, the not-yet-voted list, each
person's speaking time, the hand-count form's choices, the outcome with its details on the phone,
the audit trail in words. Plus what the server sends: compressed, versioned and cached static
files, and each screen's boot catalog holding only its own messages."""
from __future__ import annotations

import gzip
import re
import time

import httpx
from playwright.sync_api import Page, expect

from meeting.pages import ASSETS_COOKIE
from tests.browser.conftest import LAPTOP, PHONE, axe_violations, latin_words, shot, tap_gaps
from tests.browser.test_axe_screens import latin
from tests.server.harness import meeting_config

# The meeting's own words in Latin letters that a Chinese screen may show (none in this meeting),
# the language switch, which names English in English on purpose, and the file formats.
ALLOWED_LATIN = {"English", "PDF", "Word", "Markdown", "JSON"}  # and the file formats by their names


def by(page: Page, testid: str):
    return page.get_by_test_id(testid)


def audit(pages: dict[str, Page], state: str) -> None:
    """axe-core on every open screen, and no Latin word on any of them (they are all Chinese)."""
    for name, page in pages.items():
        page.wait_for_timeout(0)
        bad = axe_violations(page)
        assert not bad, f"{name} in {state}: {bad}"
        words = latin_words(page, ALLOWED_LATIN) if name != "recorder" else latin(page)  # its record has hashes
        assert not words, f"{name} in {state}: {words}"


def primary_is_allowed(mod: Page) -> None:
    """The next-step panel: its primary button (if any) is enabled; nothing dangerous is primary."""
    panel = mod.locator("#phase-buttons")
    for b in panel.locator(".btn-primary").all():
        if b.get_attribute("data-testid") != "record-link":
            expect(b).to_be_enabled()
    assert panel.locator(".btn-primary.btn-danger, .btn-primary[data-testid=end-meeting]").count() == 0
    expect(by(mod, "close-vote")).not_to_have_class(re.compile(r"btn-primary"))


def test_a_meeting_on_every_screen_in_every_state(server, open_page, remotes):
    _mid, tokens = server.create_meeting(meeting_config(speech_limit_ms=10_000, warning_ms=4_000, speeches_per_item=2))
    mod = open_page(tokens["moderator"], LAPTOP)
    phone = open_page(tokens["s1"], PHONE)
    proj = open_page(tokens["projector"], LAPTOP)
    sup = open_page(tokens["sup"], LAPTOP)
    desk = open_page(tokens["recorder"], LAPTOP)
    pages = {"moderator": mod, "phone": phone, "projector": proj, "supervisor": sup, "recorder": desk}
    others = {p: remotes(tokens[p]) for p in ("s2", "s3", "prop")}

    # Sign-in: the greeting and the sign-in buttons come with the page; 8 px or more between them.
    expect(by(phone, "greeting")).to_have_text("刘秀英，您好")
    assert min(tap_gaps(phone, "#signin-panel .btn")) >= 8
    expect(by(mod, "present-rules")).to_have_class(re.compile(r"btn-primary"))
    primary_is_allowed(mod)
    audit(pages, "sign-in")
    by(phone, "sign-in").click()
    expect(by(phone, "signed-in")).to_be_visible()
    for p in ("s2", "s3", "prop"):
        others[p]("sign_in")

    # The rules, in plain words with this meeting's numbers, on the phone and the projector.
    by(mod, "present-rules").click()
    for page in (phone, proj):
        rules = by(page, "rules")
        expect(rules).to_contain_text("每次发言不超过 10 秒；结束前 4 秒提醒")
        expect(rules).to_contain_text("每人每项最多发言 2 次")
        expect(rules).to_contain_text("本规则须三分之二赞成方可通过（现已签到的 4 名表决人中至少 3 人）")
        expect(rules).to_contain_text("议题须二分之一赞成方可通过（本次 4 人中至少 2 人）")
    shot(phone, "usable-phone-rules")
    shot(proj, "usable-projector-rules")
    audit(pages, "rules presented")

    # The rules vote by phone: confirm / choose again 8 px apart; the moderator sees who has not voted.
    by(mod, "vote-mode").select_option("phone")
    by(mod, "open-vote").click()
    by(phone, "vote-yes").click()
    assert min(tap_gaps(phone, "#vote-confirm-box .btn")) >= 8
    by(phone, "vote-confirm").click()
    expect(by(phone, "voted")).to_be_visible()
    expect(by(mod, "vote-not-voted")).to_have_text("尚未用手机投票（3 人）：张建国、陈伟、孙立军")
    primary_is_allowed(mod)
    audit(pages, "rules vote")
    others["s2"]("cast_vote", choice="yes")
    others["s3"]("cast_vote", choice="yes")
    mod.locator("body").press("c")
    expect(by(mod, "confirm-lines")).to_contain_text("已收到手机票 3/4")
    expect(by(mod, "confirm-lines")).to_contain_text("尚未用手机投票：张建国")
    audit({"moderator": mod}, "close-vote confirmation")
    by(mod, "confirm-ok").click()
    expect(by(mod, "result-verdict")).to_have_text("通过")
    # Adopted: the phone no longer says the rules are being presented, and drops the draft.
    expect(by(phone, "phase")).to_have_text("议事规则已通过——协商即将开始")
    expect(by(phone, "rules")).to_be_hidden()
    expect(by(proj, "rules")).to_be_hidden()

    by(mod, "declare-open").click()
    by(mod, "start-explanation").click()
    by(mod, "end-speech").click()
    by(mod, "begin-item").click()

    # Hands up: "open the vote" is refused (hands waiting) and shown disabled with the reason.
    others["s2"]("raise_hand", stance="for")
    others["s3"]("raise_hand", stance="against")
    open_vote = by(mod, "open-vote")
    expect(open_vote).to_be_disabled()
    expect(open_vote).to_have_attribute("data-refused", "hands_waiting")
    expect(by(mod, "open-vote-why")).to_contain_text("还有人举手等待发言（2 人）")
    primary_is_allowed(mod)
    audit(pages, "debate with hands up")

    # The phone's turn: no greyed controls under the card; the warning and the overrun in words.
    by(phone, "raise-for").click()
    others["s2"]("lower_hand")
    others["s3"]("lower_hand")
    mod.locator("body").press("n")
    expect(by(phone, "your-turn")).to_be_visible()
    expect(phone.locator("#floor-panel")).to_be_hidden()
    expect(by(phone, "your-timer-words")).to_contain_text(re.compile(r"还剩\d+秒"), timeout=12_000)
    expect(by(proj, "timer-words")).to_contain_text(re.compile(r"还剩\d+秒"))
    shot(phone, "usable-phone-warning")
    expect(by(phone, "your-timer-words")).to_have_text("已超时，请结束发言", timeout=12_000)
    expect(by(proj, "timer-words")).to_have_text("已超时")
    shot(phone, "usable-phone-overrun")
    shot(proj, "usable-projector-speaker")
    expect(by(mod, "next-hint")).to_have_text("有人正在发言：结束发言后才能继续。")
    primary_is_allowed(mod)
    audit(pages, "overrun")
    by(mod, "end-speech").click()

    # Each person's speaking time on this item beside the queue.
    by(phone, "raise-for").click()
    row = by(mod, "queue").locator("li[data-person=s1]")
    expect(row.get_by_test_id("spoken-time")).to_contain_text(re.compile(r"本项已发言 0:(1\d|[2-5]\d)"))
    by(phone, "lower-hand").click()

    # The item vote, mixed: the hand-count form offers no abstain (abstaining is off).
    by(mod, "vote-mode").select_option("mixed")
    by(mod, "open-vote").click()
    options = by(mod, "hands-choice").locator("option")
    expect(options).to_have_count(2)
    assert {o.get_attribute("value") for o in options.all()} == {"yes", "no"}
    for p in ("s2", "s3"):
        others[p]("cast_vote", choice="yes")
    by(mod, "close-vote").click()
    expect(by(mod, "confirm-lines")).to_contain_text("尚未用手机投票：张建国、刘秀英")
    by(mod, "confirm-ok").click()
    expect(by(mod, "result").get_by_test_id("result-verdict")).to_have_text("通过")

    # The outcome, with the supervision; the phone shows what, who, by when.
    expect(by(mod, "outcome-class")).to_have_value("a")
    by(mod, "outcome-what").fill("北侧加装电梯一部")
    by(mod, "outcome-who").fill("社区居委会")
    by(mod, "outcome-by-when").fill("2027年6月30日")
    by(mod, "outcome-supervision").fill("居务监督委员会每月检查")
    by(mod, "declare-outcome").click()
    lines = by(mod, "confirm-lines")
    expect(lines).to_contain_text("实施内容：北侧加装电梯一部")
    expect(lines).to_contain_text("监督落实：居务监督委员会每月检查")
    by(mod, "confirm-ok").click()
    details = by(phone, "outcomes").get_by_test_id("outcome-details")
    expect(details).to_contain_text("实施内容：北侧加装电梯一部")
    expect(details).to_contain_text("实施主体：社区居委会")
    expect(details).to_contain_text("完成时限：2027年6月30日")
    shot(phone, "usable-phone-outcome")
    audit(pages, "outcome declared")

    # Escalation shown as escalation on the projector; the end; the audit trail in words.
    by(mod, "begin-item").click()
    by(mod, "escalate-box").locator("summary").click()
    by(mod, "escalate-reason").fill("涉及全体居民的公共维修资金")
    by(mod, "escalate").click()
    by(mod, "confirm-ok").click()
    expect(by(proj, "escalation")).to_contain_text("本事项转入“五议两公开”程序")
    shot(proj, "usable-projector-escalated")
    by(mod, "end-meeting").click()
    by(mod, "confirm-ok").click()
    expect(by(mod, "phase")).to_have_text("会议已结束")
    expect(by(mod, "order-form")).to_be_hidden()
    table = by(sup, "audit-table")
    expect(table).to_contain_text("会议结束")
    text = "\n".join(table.locator("td.mod-audit-payload").all_inner_texts())
    assert not re.search(r"\d{10,}", text), "a raw timestamp in the audit trail"
    assert "vote_id" not in text and "threshold" not in text and "item=" not in text
    assert "议题：第1项" in text or "议题：第2项" in text
    audit(pages, "ended")


def test_the_server_sends_little_and_lets_browsers_keep_it(server):
    _mid, tokens = server.create_meeting(meeting_config())
    with httpx.Client(base_url=server.url, headers={"accept-encoding": "gzip"}) as http:
        # A first visit: the page carries its files, compressed well under the phone's 90 KB.
        first = http.get(f"/j/{tokens['s1']}")
        assert first.headers["content-encoding"] == "gzip" and "<script data-hashed>" in first.text
        assert int(first.headers["content-length"]) < 45_000
        # With the cookie that the first visit sets once it holds the files: the small page naming them.
        key = re.search(r'"key": "(\w+)"', first.text)
        assert key
        http.cookies.set(ASSETS_COOKIE, key[1])
        page = http.get(f"/j/{tokens['s1']}")
        assert page.headers["content-encoding"] == "gzip"
        html = page.text
        assert "<script data-hashed>" not in html
        # Only what the phone uses: no htmx; versioned static URLs.
        assert "htmx" not in html
        urls = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
        assert urls and all("?v=" in u for u in urls), urls
        for url in urls:
            r = http.get(url)
            assert r.status_code == 200 and "max-age=31536000" in r.headers["cache-control"], url
        # The scripts are named before the boot data, so their requests can leave with the first bytes.
        boot = html.index('id="boot"')
        assert html.index("socket.io.min.js") < boot and html.index("phone.js") < boot
        # An old version of a file (asked for by a page kept from before a release) is not kept for a year.
        assert http.get("/static/js/live.js?v=000000000000").headers["cache-control"] == "no-cache"
        js = http.get(next(u for u in urls if "socket.io" in u))
        assert js.headers["content-encoding"] == "gzip"
        assert len(gzip.compress(js.content)) < len(js.content) / 2
        plain = http.get("/static/js/live.js")
        assert plain.headers["cache-control"] == "no-cache" and "etag" in plain.headers
        # The boot catalog holds the phone's messages, not the moderator's.
        assert "{name}，您好" in html and "已收到手机票" not in html
        sup = http.get(f"/j/{tokens['sup']}").text
        assert "htmx" in sup and "已收到手机票" in sup


KEPT = """async () => {
    const hit = await caches.open("yishi-shell-v1").then((c) => c.match(location.pathname));
    return hit ? await hit.text() : null;
}"""


def kept_page(page: Page, has: str, timeout_s: float = 10.0) -> str:
    """The copy of this page that the service worker keeps, once it holds `has` (bounded wait)."""
    deadline = time.monotonic() + timeout_s
    while True:
        text = page.evaluate(KEPT)
        if text is not None and has in text:
            return text
        assert time.monotonic() < deadline, f"the service worker keeps no copy with {has!r}: {text and text[:200]}"
        page.wait_for_timeout(100)


def test_a_repeat_visit_shows_the_page_kept_for_this_link_and_the_state_from_the_socket(browser, server, remotes):
    """static/js/sw.js: a participant's next visit is answered from the copy of the page the server
    last sent for this link (no round trip); the copy follows what the server would send now (after
    signing in, no sign-in offer; after switching to English, English), and the live state still
    comes from the socket's snapshot."""
    _mid, tokens = server.create_meeting(meeting_config())
    url = f"{server.url}/j/{tokens['s1']}"
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")
    try:
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        page.goto(url)
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        kept = kept_page(page, 'id="signin-panel" aria-labelledby="signin-h">')   # offered, not hidden
        assert "刘秀英，您好" in kept
        # The staff's pages are never kept: only the server's mark (x-yishi-shell) lets one in.
        assert httpx.get(f"{server.url}/j/{tokens['moderator']}").headers.get("x-yishi-shell") is None

        page.goto(url)
        served_by_worker = page.evaluate("""() => {
            const nav = performance.getEntriesByType("navigation")[0];
            return nav.workerStart > 0 && nav.transferSize === 0;
        }""")
        assert served_by_worker, "the repeat visit went to the network"
        expect(by(page, "greeting")).to_have_text("刘秀英，您好")
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        by(page, "sign-in").click()
        expect(by(page, "signed-in")).to_be_visible()
        # Signed in: the copy is fetched again, and no longer offers the sign-in buttons.
        kept_page(page, 'id="signin-panel" aria-labelledby="signin-h" hidden>')

        # Someone else signs this person out meanwhile: the kept page offers nothing, the snapshot does.
        recorder = remotes(tokens["recorder"])
        page.goto("about:blank")
        recorder("sign_out", person="s1")
        page.goto(url)
        expect(by(page, "sign-in")).to_be_visible()
        expect(by(page, "sign-in")).to_be_enabled()

        # English by the link's ?lang=en (the network's answer), then the plain link: the kept copy is English.
        page.goto(url + "?lang=en")
        expect(by(page, "greeting")).to_have_text("Hello, 刘秀英")
        kept_page(page, "Hello, 刘秀英")
        page.goto(url)
        expect(by(page, "greeting")).to_have_text("Hello, 刘秀英")
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    finally:
        ctx.close()


FROM_CACHE = """async (urls) => {
    const held = await Promise.all(urls.map((u) => fetch(u, { cache: "only-if-cached", mode: "same-origin" })
        .then((r) => r.ok).catch(() => false)));
    return held.every(Boolean);
}"""


def test_a_first_visit_carries_its_files_and_the_next_one_names_them(browser, server):
    """The phone's first visit gets its scripts and styles in the page, run under the page's policy
    (their hashes; no CSP violation in the console) and working (it connects and signs in); it then
    fetches the versioned files into the cache and, once they are in, sets the cookie: the next visit
    gets the small page that names them, served from the cache."""
    _mid, tokens = server.create_meeting(meeting_config())
    url = f"{server.url}/j/{tokens['s1']}"
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="block")
    try:
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        console: list[str] = []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        first = page.goto(url)
        assert first is not None and "sha256-" in first.headers["content-security-policy"]
        assert page.locator("script[data-hashed]").count() == 3 and page.locator("script[src]").count() == 0
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        expect(by(page, "greeting")).to_have_text("刘秀英，您好")
        by(page, "sign-in").click()
        expect(by(page, "signed-in")).to_be_visible()
        # The styles came with the page: the sign-in panel is laid out as the style sheet says.
        assert page.evaluate("getComputedStyle(document.querySelector('.phone')).display") != "inline"
        assets = page.evaluate("JSON.parse(document.getElementById('boot').textContent).assets.urls")
        assert len(assets) == 6 and all("?v=" in a for a in assets)
        deadline = time.monotonic() + 10
        while not [c for c in ctx.cookies() if c["name"] == ASSETS_COOKIE]:
            assert time.monotonic() < deadline, "the page never said it holds the files (no cookie)"
            page.wait_for_timeout(100)
        assert page.evaluate(FROM_CACHE, assets), "the cookie is set but the files are not in the cache"

        again = page.goto(url)
        assert again is not None and "sha256-" not in again.headers["content-security-policy"]
        assert page.locator("script[data-hashed]").count() == 0
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        expect(by(page, "signed-in")).to_be_visible()
        cached = page.evaluate("""() => performance.getEntriesByType("resource")
            .filter((e) => e.name.includes("/static/")).map((e) => [e.name, e.transferSize])""")
        assert len(cached) >= 5 and all(size == 0 for _name, size in cached), cached
        bad = [line for line in console if "Content Security Policy" in line or line.startswith(("error", "pageerror"))]
        assert not bad, bad
    finally:
        ctx.close()
