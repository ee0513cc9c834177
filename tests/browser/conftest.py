"""Browser tests: Debian's Chromium driven by Playwright against a real server on 127.0.0.1.

Screenshots go to test-artifacts/screenshots/ (kept by CI as artifacts, and used in the README).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.server.harness import ROOT, ServerProcess

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
SHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture(scope="session")
def browser() -> Browser:
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed (.ci/run installs it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def server(tmp_path):
    srv = ServerProcess(tmp_path / "data").start()
    yield srv
    srv.stop()


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
