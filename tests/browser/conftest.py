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
