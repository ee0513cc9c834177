"""Pages carry a strict Content-Security-Policy and the other security headers; no template has
an inline script for the policy to break (the browser tests run every screen under it)."""
import re
from pathlib import Path

import httpx

from meeting.headers import CSP
from tests.server.harness import meeting_config

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_pages_and_files_carry_the_security_headers(server):
    _mid, tokens = server.create_meeting(meeting_config())
    page = httpx.get(f"{server.url}/j/{tokens['s1']}", timeout=5)
    assert page.headers["content-security-policy"] == CSP
    assert "script-src 'self';" in CSP and "frame-ancestors 'none'" in CSP
    assert page.headers["x-frame-options"] == "DENY" and page.headers["referrer-policy"] == "no-referrer"
    js = httpx.get(f"{server.url}/static/js/live.js", timeout=5)
    assert js.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in js.headers


def test_no_template_has_an_inline_script():
    for path in TEMPLATES.glob("*.html"):
        for tag in re.findall(r"<script\b[^>]*>", path.read_text(encoding="utf-8")):
            assert "src=" in tag or 'type="application/json"' in tag, (path.name, tag)
