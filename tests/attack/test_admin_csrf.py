"""Issue 10, point 4: CSRF on /admin. Before: no CSRF token, no Origin check, and the cookie held
the admin key itself; a page on another port of the same host (same site, so SameSite=Strict
does not stop it) auto-submitted the form and created a meeting. Now (with issue 12's staff
accounts): a random session token whose session lives in the database, never the key nor the
password (HttpOnly, SameSite=Strict, Secure behind TLS), a CSRF token on every form, and a POST
whose Origin or Sec-Fetch-Site is another site is refused (403)."""
from __future__ import annotations

import re

import httpx
import pytest

from tests.server.harness import ADMIN_KEY

FORM = {"title": "CSRF 测试", "roster": "张三, 议题提出人\n李四"}


def csrf_of(html: str) -> str:
    found = re.findall(r'name="csrf" value="([^"]+)"', html)
    assert found, "every admin form carries a CSRF token"
    return found[0]


OPEN: list[httpx.Client] = []


def teardown_function():
    while OPEN:
        OPEN.pop().close()


def client_for(url: str, **kw) -> httpx.Client:
    client = httpx.Client(base_url=url, follow_redirects=False, timeout=10, **kw)
    OPEN.append(client)
    return client


PASSWORD = "csrf-test-password"
LOGIN = {"login": "csrf-admin", "password": PASSWORD}


TOKENS: dict[str, str] = {}  # server url -> the CSRF community admin's API token


def ensure_account(url: str) -> None:
    """A community and its admin, made by the operator with the admin key (once per server)."""
    r = httpx.post(f"{url}/api/communities", headers={"Authorization": f"Bearer {ADMIN_KEY}"},
                   json={"name": "CSRF 社区", "admin": {**LOGIN, "name": "管理员"}})
    assert r.status_code == 201 or r.json()["error"]["code"] == "login_taken", r.text
    if r.status_code == 201:
        TOKENS[url] = r.json()["token"]


@pytest.fixture(scope="module", autouse=True)
def community(shared_server):
    ensure_account(shared_server.url)


def session_cookie(response: httpx.Response) -> str:
    return next(v for v in response.headers.get_list("set-cookie") if v.startswith("yishi_staff="))


def signed_in(url: str) -> tuple[httpx.Client, str]:
    ensure_account(url)
    client = client_for(url)
    token = csrf_of(client.get("/admin").text)
    r = client.post("/admin/login", data={**LOGIN, "csrf": token}, headers={"Origin": url})
    assert r.status_code == 303, r.text[:300]
    cookie = session_cookie(r)
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert ADMIN_KEY not in cookie and PASSWORD not in cookie, "the session cookie is neither the key nor the password"
    return client, csrf_of(client.get("/admin").text)


def meetings(url: str) -> int:
    """How many meetings the CSRF community has (the API, with its admin's token)."""
    r = httpx.get(f"{url}/api/meetings", headers={"Authorization": f"Bearer {TOKENS[url]}"})
    return len(r.json()["meetings"])


def test_a_form_without_the_token_or_from_another_site_is_refused(shared_server):
    url = shared_server.url
    client, token = signed_in(url)
    before = meetings(url)
    attempts = [
        ({**FORM}, {}),  # no token (what the other-port page sent)
        ({**FORM, "csrf": "0" * 32}, {}),  # a made-up token
        ({**FORM, "csrf": token}, {"Origin": "http://evil.example"}),
        ({**FORM, "csrf": token}, {"Origin": url.replace(str(shared_server.port), "1")}),  # another port
        ({**FORM, "csrf": token}, {"Origin": "null"}),
        ({**FORM, "csrf": token}, {"Sec-Fetch-Site": "same-site"}),
        ({**FORM, "csrf": token}, {"Sec-Fetch-Site": "cross-site"}),
    ]
    for data, headers in attempts:
        r = client.post("/admin/meetings", data=data, headers=headers)
        assert r.status_code == 403, (data.get("csrf"), headers, r.status_code)
        assert "表单已过期或来自其他网站" in r.text
    assert meetings(url) == before
    # Another session's token is not this session's.
    _, other_token = signed_in(url)
    assert client.post("/admin/meetings", data={**FORM, "csrf": other_token}).status_code == 403
    # The login form is protected too.
    fresh = client_for(url)
    assert fresh.post("/admin/login", data=LOGIN).status_code == 403
    # The real form, from our own page, works.
    r = client.post("/admin/meetings", data={**FORM, "csrf": token},
                    headers={"Origin": url, "Sec-Fetch-Site": "same-origin"})
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/meetings/")
    assert meetings(url) == before + 1


def test_the_admin_key_as_a_cookie_opens_nothing_and_sessions_end_on_logout(shared_server):
    url = shared_server.url
    for name in ("yishi_staff", "yishi_admin"):
        r = httpx.get(f"{url}/admin", cookies={name: ADMIN_KEY})
        assert 'data-testid="admin-password"' in r.text  # the login form: the key is not a session
    client, token = signed_in(url)
    stolen = client.cookies.get("yishi_staff")
    assert client.post("/admin/logout", data={"csrf": token}).status_code == 303
    assert 'data-testid="admin-password"' in client.get("/admin").text
    assert 'data-testid="admin-password"' in httpx.get(f"{url}/admin", cookies={"yishi_staff": stolen}).text


def test_the_cookie_is_secure_behind_tls(shared_server):
    """Behind a TLS proxy on this host (uvicorn trusts 127.0.0.1's X-Forwarded-Proto)."""
    client = client_for(shared_server.url, headers={"X-Forwarded-Proto": "https"})
    page = client.get("/admin")
    assert "secure" in page.headers["set-cookie"].lower()
    pre = page.headers["set-cookie"].split(";")[0]  # httpx keeps a Secure cookie from plain http
    r = client.post("/admin/login", data={**LOGIN, "csrf": csrf_of(page.text)}, headers={"Cookie": pre})
    assert r.status_code == 303
    assert all("secure" in v.lower() for v in r.headers.get_list("set-cookie") if "max-age=0" not in v.lower())
    assert "secure" in session_cookie(r).lower()


def test_the_admin_pages_send_their_origin(shared_server):
    r = httpx.get(f"{shared_server.url}/admin")
    assert r.headers["referrer-policy"] == "same-origin" and r.headers["cache-control"] == "no-store"
