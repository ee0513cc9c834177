"""Browser tests: Debian's Chromium driven by Playwright against a real server on 127.0.0.1.

Screenshots go to test-artifacts/screenshots/ (kept by CI as artifacts, and used in the README).
"""
from __future__ import annotations

import asyncio
import itertools
import os
import threading
from pathlib import Path

import pytest
import socketio
from playwright.sync_api import Browser, Page, sync_playwright

from tests.server.harness import ROOT

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
SHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def browser() -> Browser:
    """One Chromium per test module. Not per session: sync Playwright keeps its event loop
    running in the main thread while it is open, which the asyncio tests cannot share."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed (.ci/run installs it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser, server):
    """open_page(token, viewport=LAPTOP, lang=None) -> a Page on that join link, connected."""
    contexts = []

    def _open(token: str, viewport: dict | None = None, lang: str | None = None) -> Page:
        ctx = browser.new_context(viewport=viewport or LAPTOP, locale="zh-CN")
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{server.url}/j/{token}" + (f"?lang={lang}" if lang else ""))
        page.wait_for_selector("#conn[data-state=online]")
        return page

    yield _open
    for ctx in contexts:
        ctx.close()


def shot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


_ids = itertools.count(1)


class Remote:
    """Another role's connection, for the roles a test does not click: remote("give_floor",
    person="s2") -> the ack (asserted ok). python-socketio's synchronous Client needs `requests`
    or `websocket-client`, which the project does not install, so this runs the AsyncClient (on
    aiohttp) on a thread of its own."""

    def __init__(self, url: str, token: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sio = socketio.AsyncClient(reconnection=False)
        self._run(self.sio.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=10))

    def _run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(20)

    def call(self, name: str, **args) -> dict:
        data = {"id": f"test-{next(_ids)}", "name": name, "args": args}
        return self._run(self.sio.call("command", data, timeout=10))

    def __call__(self, name: str, **args) -> dict:
        ack = self.call(name, **args)
        assert ack["ok"], (name, args, ack)
        return ack

    def close(self) -> None:
        try:
            self._run(self.sio.disconnect())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            self.loop.close()


@pytest.fixture
def remotes(server):
    """remotes(token) -> a Remote, closed at the end of the test."""
    opened: list[Remote] = []

    def _open(token: str) -> Remote:
        r = Remote(server.url, token)
        opened.append(r)
        return r

    yield _open
    for r in opened:
        r.close()


AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"   # axe-core, test-only (static/vendor/VERSIONS.md)


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """Run axe-core on the page as it is now; the violations of the given impacts, each as
    {id, impact, help, targets}. axe is put in the page through DevTools (not a <script>: the
    page's Content-Security-Policy allows only our own static files), never by the server."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        cdp = page.context.new_cdp_session(page)
        try:
            cdp.send("Runtime.evaluate", {"expression": AXE.read_text(encoding="utf-8")})
        finally:
            cdp.detach()
    result = page.evaluate("""async () => {
        const r = await axe.run(document, { resultTypes: ["violations"] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
    }""")
    return [v for v in result if v["impact"] in impacts]


def tap_gaps(page: Page, selector: str) -> list[float]:
    """The vertical and horizontal gaps (px) between each pair of visible tap targets matching the
    selector that sit next to each other (overlapping in the other axis)."""
    return page.evaluate("""(sel) => {
        const rects = [...document.querySelectorAll(sel)].filter((n) => n.offsetParent !== null)
            .map((n) => n.getBoundingClientRect());
        const gaps = [];
        for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) {
            const a = rects[i], b = rects[j];
            const overlapX = Math.min(a.right, b.right) - Math.max(a.left, b.left);
            const overlapY = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
            if (overlapX > 0) gaps.push(Math.max(b.top - a.bottom, a.top - b.bottom));
            else if (overlapY > 0) gaps.push(Math.max(b.left - a.right, a.left - b.right));
        }
        return gaps;
    }""", selector)


CJK_SCREEN_TEXT = """() => {
    // Every text a person sees (visible text nodes, titles, aria-labels, placeholders) on a Chinese
    // screen: words in Latin letters or raw codes are collected (names typed by people excluded by
    // the caller).
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const n = walker.currentNode;
        const p = n.parentElement;
        if (!p || p.closest("script, style, [hidden], kbd, code, .mod-hash, [lang=en]")) continue;
        if (p.offsetParent === null && getComputedStyle(p).position !== "fixed") continue;
        const text = n.textContent.trim();
        if (text) out.push(text);
    }
    for (const n of document.querySelectorAll("[title], [aria-label], [placeholder]")) {
        for (const a of ["title", "aria-label", "placeholder"]) if (n.getAttribute(a)) out.push(n.getAttribute(a));
    }
    return out;
}"""


def latin_words(page: Page, allowed: set[str] | None = None) -> list[str]:
    """Words of two or more Latin letters (a code, an English word, a key like vote_id) in what a
    Chinese screen shows; ``allowed`` are exceptions (a meeting's own names)."""
    import re

    allowed = allowed or set()
    found = []
    for text in page.evaluate(CJK_SCREEN_TEXT):
        for word in re.findall(r"[A-Za-z_]{2,}", text):
            if word not in allowed:
                found.append(f"{word} in {text[:60]!r}")
    return found


def first_admin(page: Page, base_url: str, admin_key: str, password: str,
                community: str = "幸福社区", login: str = "wang", name: str = "王主任") -> None:
    """Set up a community and its first admin on /admin/setup with the admin key, then make sure
    the page is logged in as that admin (set-up logs in; an existing community asks to log in)."""
    page.goto(f"{base_url}/admin/setup")
    page.get_by_test_id("admin-key").fill(admin_key)
    page.get_by_test_id("setup-community").fill(community)
    page.get_by_test_id("setup-login").fill(login)
    page.get_by_test_id("setup-name").fill(name)
    page.get_by_test_id("setup-password").fill(password)
    with page.expect_navigation():
        page.get_by_test_id("setup-create").click()
    page.goto(f"{base_url}/admin")
    if page.get_by_test_id("admin-login").count():
        page.get_by_test_id("admin-login-name").fill(login)
        page.get_by_test_id("admin-password").fill(password)
        with page.expect_navigation():
            page.get_by_test_id("admin-login").click()
