"""Pages carry a strict Content-Security-Policy and the other security headers; no template has
an inline script for the policy to break (the browser tests run every screen under it)."""
import base64
import hashlib
import json
import re
from pathlib import Path

import httpx

from meeting import pages
from meeting.headers import CSP
from meeting.pages import ASSETS_COOKIE, inline_assets
from meeting.rules import Role
from tests.server.harness import meeting_config

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
STATIC = Path(__file__).resolve().parents[2] / "static"


def test_pages_and_files_carry_the_security_headers(server):
    _mid, tokens = server.create_meeting(meeting_config())
    page = httpx.get(f"{server.url}/j/{tokens['moderator']}", timeout=5)
    assert page.headers["content-security-policy"] == CSP
    assert "script-src 'self';" in CSP and "frame-ancestors 'none'" in CSP
    assert page.headers["x-frame-options"] == "DENY" and page.headers["referrer-policy"] == "no-referrer"
    js = httpx.get(f"{server.url}/static/js/live.js", timeout=5)
    assert js.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in js.headers


def test_no_template_has_an_inline_script_but_the_hashed_ones():
    """The one inline script element is the phone's first visit's, filled with static files whose
    hashes go into that page's policy (test_a_first_visit_carries_its_scripts_under_their_hashes)."""
    for path in TEMPLATES.glob("*.html"):
        for tag in re.findall(r"<script\b[^>]*>", path.read_text(encoding="utf-8")):
            assert "src=" in tag or 'type="application/json"' in tag or (
                path.name == "base.html" and tag == "<script data-hashed>"), (path.name, tag)


def test_a_first_visit_carries_its_scripts_under_their_hashes(server):
    """The phone's page without the cookie of a browser holding the files: its scripts inline, each
    allowed by its sha256 in the page's policy (and nothing else inline), and the boot data names
    the files to fetch and the cookie to set then (live.js); with the cookie the page names the
    files under the plain policy. Other screens never inline."""
    _mid, tokens = server.create_meeting(meeting_config())
    url = f"{server.url}/j/{tokens['s1']}"
    first = httpx.get(url, timeout=5)
    policy = first.headers["content-security-policy"]
    scripts = re.findall(r"<script data-hashed>(.*?)</script>", first.text, re.S)
    assert len(scripts) == 3 and "socket.io" not in re.findall(r'src="([^"]*)"', first.text)
    hashes = ["sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in scripts]
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
    assert script_src == "script-src 'self' " + " ".join(f"'{h}'" for h in hashes)
    assert "unsafe-inline" not in script_src and policy.replace(script_src, "script-src 'self'") == CSP
    assert (STATIC / "js" / "live.js").read_text(encoding="utf-8") in scripts
    boot = json.loads(re.search(r'<script type="application/json" id="boot">(.*?)</script>', first.text, re.S)[1])
    inline = inline_assets(Role.PARTICIPANT)
    assert inline is not None and boot["assets"] == {"urls": list(inline.urls), "cookie": ASSETS_COOKIE,
                                                     "key": inline.key}
    key = inline.key

    again = httpx.get(url, cookies={ASSETS_COOKIE: key}, timeout=5)
    assert again.headers["content-security-policy"] == CSP and "set-cookie" not in again.headers
    assert "<script data-hashed>" not in again.text and "<style>" not in again.text
    assert re.search(r'<script src="/static/js/live\.js\?v=\w+" defer>', again.text)
    # A cookie for other versions of the files (an older release): inlined again.
    stale = httpx.get(url, cookies={ASSETS_COOKIE: "0" * 16}, timeout=5)
    assert "<script data-hashed>" in stale.text and f'"key": "{key}"' in stale.text
    # The staff's screens name their files, cookie or not.
    moderator = httpx.get(f"{server.url}/j/{tokens['moderator']}", timeout=5)
    assert moderator.headers["content-security-policy"] == CSP and "<script data-hashed>" not in moderator.text
    assert '"assets"' not in moderator.text


def test_a_file_that_could_close_its_script_element_is_not_inlined(monkeypatch, tmp_path):
    """inline_assets refuses a script holding "</script" (it would end the element early): the
    page then names its files as usual."""
    for rel in ("css/app.css", "css/phone.css", "vendor/socket.io.min.js", "js/live.js", "js/phone.js", "favicon.svg"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes((STATIC / rel).read_bytes())
    monkeypatch.setattr(pages, "STATIC", tmp_path)
    assert inline_assets(Role.PARTICIPANT) is not None
    (tmp_path / "js" / "phone.js").write_text("const s = '</SCRIPT>';", encoding="utf-8")
    assert inline_assets(Role.PARTICIPANT) is None
