"""Staff accounts and communities (issue 12, item 8; meeting/accounts.py, docs/accounts.md).

The first part drives ``Accounts`` on a database of its own with a clock the test moves (the
throttle's delays are minutes long); the second part a real server (two processes on one
database, as two workers would be)."""
from __future__ import annotations

import re
import sqlite3

import httpx
import pytest
from argon2 import PasswordHasher
from sqlmodel import create_engine

from meeting.accounts import CAP_S, FREE_ACCOUNT, FREE_ADDRESS, SESSION_S, AccountError, Accounts, delay_s
from tests.server.conftest import databases  # noqa: F401  (PostgreSQL databases of this module)
from tests.server.harness import ADMIN_KEY, ServerProcess, bearer

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def db(tmp_path):
    return tmp_path / "accounts.db"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def accounts(db, clock):
    # Cheaper argon2 parameters than production's, so the throttle tests stay quick; the stored
    # hash test below uses the production hasher.
    engine = create_engine(f"sqlite:///{db}")
    made = Accounts(engine, b"test-secret", "http://127.0.0.1", clock=clock,
                    hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield made
    engine.dispose()


def admin_of(accounts: Accounts, login: str = "wang", community: str = "幸福社区"):
    c = accounts.create_community(community)
    return c, accounts.create_staff(c.id, login, "王主任", "admin", PASSWORD)


def refused(code: str, call, *args, **kw) -> AccountError:
    with pytest.raises(AccountError) as caught:
        call(*args, **kw)
    assert caught.value.code == code, caught.value.code
    assert caught.value.message_zh and caught.value.message_en
    return caught.value


# ---- Accounts, on its own database ----
def test_the_password_is_stored_only_as_an_argon2id_hash(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    accounts = Accounts(engine, b"s")  # the production hasher
    c = accounts.create_community("幸福社区")
    accounts.create_staff(c.id, "Wang", "王主任", "admin", PASSWORD)
    engine.dispose()
    with sqlite3.connect(tmp_path / "a.db") as raw:
        login, digest = raw.execute("SELECT login, password_hash FROM staff").fetchone()
        dump = "\n".join(raw.iterdump())
    assert login == "wang"  # user names are case-folded
    assert digest.startswith("$argon2id$") and PASSWORD not in digest
    assert PASSWORD not in dump
    assert PasswordHasher().verify(digest, PASSWORD)
    assert PASSWORD.encode() not in b"".join(p.read_bytes() for p in tmp_path.iterdir())


def test_login_good_and_bad_and_what_a_session_is(accounts, clock):
    _, wang = admin_of(accounts)
    refused("login_failed", accounts.login, "wang", "wrong password!", "10.0.0.1")
    refused("login_failed", accounts.login, "nobody", PASSWORD, "10.0.0.1")  # the same answer: no user enumeration
    staff, token = accounts.login(" WANG ", PASSWORD, "10.0.0.1")
    assert staff == wang and staff.role == "admin"
    found = accounts.session(token)
    assert found is not None and found[0].id == wang.id and len(found[1]) >= 32  # the CSRF token
    assert accounts.session(token + "x") is None and accounts.session("") is None
    clock.t += SESSION_S + 1
    assert accounts.session(token) is None  # sessions expire


def test_logout_deactivation_and_a_new_password_end_sessions_at_once(accounts):
    c, wang = admin_of(accounts)
    li = accounts.create_staff(c.id, "li", "李", "staff", "li-password-1")
    _, t1 = accounts.login("wang", PASSWORD, "a")
    _, t2 = accounts.login("wang", PASSWORD, "a")
    accounts.logout(t1)
    assert accounts.session(t1) is None and accounts.session(t2) is not None
    _, t3 = accounts.login("li", "li-password-1", "a")
    accounts.set_active(c.id, li.id, False)
    assert accounts.session(t3) is None
    refused("login_failed", accounts.login, "li", "li-password-1", "a")  # a deactivated account
    accounts.set_active(c.id, li.id, True)
    _, t4 = accounts.login("li", "li-password-1", "a")
    accounts.set_password(c.id, li.id, "another-password")
    assert accounts.session(t4) is None
    refused("login_failed", accounts.login, "li", "li-password-1", "a")
    assert accounts.login("li", "another-password", "a")[0].id == li.id
    refused("last_admin", accounts.set_active, c.id, wang.id, False)
    other, _ = admin_of(accounts, "zhao", "和平社区")
    refused("not_found", accounts.set_active, other.id, li.id, False)  # not of that community
    refused("not_found", accounts.set_password, other.id, li.id, "x" * 12)


def test_bad_account_details_are_refused_with_codes(accounts):
    c, _ = admin_of(accounts)
    refused("weak_password", accounts.create_staff, c.id, "li", "李", "staff", "short")
    refused("bad_account", accounts.create_staff, c.id, "li", "李", "owner", "long enough pw")
    refused("bad_account", accounts.create_staff, c.id, "li li", "李", "staff", "long enough pw")
    refused("bad_account", accounts.create_staff, c.id, "", "李", "staff", "long enough pw")
    refused("bad_account", accounts.create_staff, c.id, "li", "李\x00", "staff", "long enough pw")
    refused("bad_account", accounts.create_staff, c.id, "x" * 65, "李", "staff", "long enough pw")
    refused("login_taken", accounts.create_staff, c.id, "WANG", "另一个王", "staff", "long enough pw")
    refused("not_found", accounts.create_staff, "c-none", "li", "李", "staff", "long enough pw")
    assert [s.login for s in accounts.staff_of(c.id)] == ["wang"]  # nothing was added


def test_the_throttle_delays_more_and_more_up_to_a_cap_and_lets_the_right_password_in_after(accounts, clock):
    admin_of(accounts)
    for _ in range(FREE_ACCOUNT):  # free failures: no delay
        refused("login_failed", accounts.login, "wang", "guess", "10.0.0.9")
    err = refused("login_throttled", accounts.login, "wang", PASSWORD, "10.0.0.9")  # not even checked
    assert err.status == 429 and err.params["retry_after"] == 1
    waits = []
    for _ in range(14):
        clock.t += delay_s(FREE_ACCOUNT + len(waits), FREE_ACCOUNT)
        refused("login_failed", accounts.login, "wang", "guess", f"10.1.0.{len(waits)}")
        waits.append(refused("login_throttled", accounts.login, "wang", "guess", "10.2.0.1").params["retry_after"])
    assert waits[:4] == [2, 4, 8, 16] and waits[-1] == CAP_S and max(waits) == CAP_S
    clock.t += CAP_S
    assert accounts.login("wang", PASSWORD, "10.3.0.1")[0].login == "wang"  # never a permanent lock
    refused("login_failed", accounts.login, "wang", "guess", "10.3.0.1")  # and the count starts again
    assert delay_s(10_000, FREE_ACCOUNT) == CAP_S


def test_a_browser_that_logged_in_before_is_not_locked_out_by_an_attacker(accounts, clock):
    admin_of(accounts)
    accounts.login("wang", PASSWORD, "192.0.2.1")
    device = accounts.device_token("wang")  # the cookie the login page sets after a success
    for n in range(FREE_ACCOUNT + 3):
        clock.t += 1 << max(0, n - FREE_ACCOUNT)
        refused("login_failed", accounts.login, "wang", "guess", f"203.0.113.{n}")
    refused("login_throttled", accounts.login, "wang", PASSWORD, "192.0.2.1")  # the account is held
    assert accounts.login("wang", PASSWORD, "192.0.2.1", device)[0].login == "wang"  # the known browser is not
    assert accounts.device_of("wang", device) and accounts.device_of("li", device) is None
    assert accounts.device_of("wang", device[:-1] + "0") is None  # a forged device cookie is no device
    # The device has its own counter: guessing with a stolen device cookie is throttled too.
    for _ in range(FREE_ACCOUNT):
        refused("login_failed", accounts.login, "wang", "guess", "192.0.2.1", device)
    refused("login_throttled", accounts.login, "wang", PASSWORD, "192.0.2.1", device)


def test_one_address_trying_many_accounts_is_throttled(accounts, clock):
    c, _ = admin_of(accounts)
    for n in range(FREE_ADDRESS):
        refused("login_failed", accounts.login, f"user{n}", "guess", "198.51.100.7")
    refused("login_throttled", accounts.login, "wang", PASSWORD, "198.51.100.7")
    assert accounts.login("wang", PASSWORD, "198.51.100.8")[0].login == "wang"  # another address is not held
    clock.t += 3600 + 2  # an hour without failures and the address starts afresh
    assert accounts.login("wang", PASSWORD, "198.51.100.7")[0].login == "wang"


def test_the_throttle_holds_across_two_processes_sharing_the_database(db, clock, accounts):
    """Two Accounts on one database, as two worker processes: the count is the database's."""
    admin_of(accounts)
    other_engine = create_engine(f"sqlite:///{db}")
    other = Accounts(other_engine, b"test-secret", clock=clock, hasher=PasswordHasher(1, 1024, 1))
    try:
        for n in range(FREE_ACCOUNT):
            refused("login_failed", (accounts if n % 2 else other).login, "wang", "guess", f"10.9.0.{n}")
        refused("login_throttled", other.login, "wang", PASSWORD, "10.9.1.1")
        refused("login_throttled", accounts.login, "wang", PASSWORD, "10.9.1.1")
        clock.t += 1
        _, token = other.login("wang", PASSWORD, "10.9.1.1")
        assert accounts.session(token) is not None
        accounts.logout(token)
        assert other.session(token) is None
    finally:
        other_engine.dispose()


def test_sessions_and_the_throttle_on_postgresql(databases, clock):  # noqa: F811
    """The same compare-and-set throttle and sessions on PostgreSQL, with two engines (two workers)."""
    url = databases().replace("postgresql://", "postgresql+psycopg://", 1)
    engines = [create_engine(url), create_engine(url)]
    try:
        one, two = (Accounts(e, b"k", clock=clock, hasher=PasswordHasher(1, 1024, 1)) for e in engines)
        admin_of(one)
        for n in range(FREE_ACCOUNT):
            refused("login_failed", (one, two)[n % 2].login, "wang", "guess", f"10.8.0.{n}")
        refused("login_throttled", two.login, "wang", PASSWORD, "10.8.1.1")
        clock.t += 1
        _, token = two.login("wang", PASSWORD, "10.8.1.1")
        assert one.session(token) is not None
        one.logout(token)
        assert two.session(token) is None
    finally:
        for e in engines:
            e.dispose()


def test_meetings_belong_to_one_community(accounts):
    a, _ = admin_of(accounts)
    b, _ = admin_of(accounts, "zhao", "和平社区")
    accounts.assign_meeting("m1", a.id)
    accounts.assign_meeting("m2", b.id)
    assert accounts.meeting_ids(a.id) == {"m1"} and accounts.meeting_community("m2") == b.id
    accounts.unassign_meeting("m1")
    assert accounts.meeting_ids(a.id) == set() and accounts.meeting_community("m1") is None


# ---- a real server ----
def csrf_of(html: str) -> str:
    found = re.findall(r'name="csrf" value="([^"]+)"', html)
    assert found, "every form carries a CSRF token"
    return found[0]


def error_of(html: str) -> str:
    found = re.findall(r'data-testid="admin-error">([^<]*)<', html)
    return found[0] if found else ""


def bootstrap(url: str, community: str, login: str, password: str = PASSWORD) -> tuple[str, str]:
    """The operator (admin key) creates a community and its first admin; returns the community id
    and the admin's first API token."""
    r = httpx.post(f"{url}/api/communities", headers={"Authorization": f"Bearer {ADMIN_KEY}"},
                   json={"name": community, "admin": {"login": login, "name": login, "password": password}})
    assert r.status_code == 201, r.text
    return r.json()["community"]["id"], r.json()["token"]


OPEN: list[httpx.Client] = []


def teardown_function():
    while OPEN:
        OPEN.pop().close()


def client(url: str, address: str = "127.0.0.1", **kw) -> httpx.Client:
    """A browser-like client (its own cookies) from ``address`` (uvicorn trusts X-Forwarded-For from 127.0.0.1)."""
    made = httpx.Client(base_url=url, follow_redirects=False, timeout=15,
                        headers={"X-Forwarded-For": address, **kw.pop("headers", {})}, **kw)
    OPEN.append(made)
    return made


def log_in(url: str, login: str, password: str = PASSWORD, address: str = "127.0.0.1") -> tuple[httpx.Client, str]:
    c = client(url, address)
    r = c.post("/admin/login", data={"login": login, "password": password, "csrf": csrf_of(c.get("/admin").text)})
    assert r.status_code == 303, (r.status_code, error_of(r.text))
    return c, csrf_of(c.get("/admin").text)


def new_meeting(c: httpx.Client, token: str, title: str) -> httpx.Response:
    return c.post("/admin/meetings", data={"title": title, "roster": "张三, 议题提出人\n李四", "csrf": token})


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    srv = ServerProcess(tmp_path_factory.mktemp("accounts") / "data").start()
    srv.a, srv.a_token = bootstrap(srv.url, "幸福社区", "wang")
    srv.b, srv.b_token = bootstrap(srv.url, "和平社区", "zhao")
    yield srv
    srv.stop()


def test_login_over_http_sets_a_strict_httponly_cookie_and_bad_logins_say_why(site):
    c = client(site.url, "10.20.0.1")
    page = c.get("/admin")
    assert 'data-testid="admin-password"' in page.text and 'data-testid="admin-key"' not in page.text
    r = c.post("/admin/login", data={"login": "wang", "password": "nope-nope-nope", "csrf": csrf_of(page.text)})
    assert r.status_code == 401 and error_of(r.text) == "用户名或密码不正确"
    r = c.post("/admin/login?lang=en", data={"login": "wang", "password": "x", "csrf": csrf_of(page.text)})
    assert error_of(r.text) == "The user name or password is not right"
    r = c.post("/admin/login", data={"login": "wang", "password": PASSWORD, "csrf": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/admin"
    cookie = next(v for v in r.headers.get_list("set-cookie") if v.startswith("yishi_staff="))
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower() and "Path=/" in cookie
    assert PASSWORD not in cookie and ADMIN_KEY not in cookie
    home = c.get("/admin")
    assert "幸福社区 · wang · 社区管理员" in home.text and 'data-testid="admin-new"' in home.text


def test_logout_voids_a_copied_cookie_at_once_even_on_another_worker(site, tmp_path):
    """A second server process on the same database stands for a second worker."""
    second = ServerProcess(site.data_dir, env={}).start()
    try:
        c, token = log_in(site.url, "wang")
        stolen = c.cookies.get("yishi_staff")
        thief = client(second.url)
        thief.cookies.set("yishi_staff", stolen)
        assert 'data-testid="admin-new"' in thief.get("/admin").text  # the copy works on the other worker
        again = client(site.url)  # logging in again from a browser replaces its earlier session
        again.cookies.set("yishi_staff", stolen)
        r = again.post("/admin/login", data={"login": "wang", "password": PASSWORD,
                                             "csrf": csrf_of(again.get("/admin").text)})
        fresh = next(v for v in r.headers.get_list("set-cookie") if v.startswith("yishi_staff="))
        assert r.status_code == 303 and fresh.split(";")[0] != f"yishi_staff={stolen}"
        assert 'data-testid="admin-password"' in thief.get("/admin").text
        c, token = log_in(site.url, "wang")
        stolen = c.cookies.get("yishi_staff")
        thief.cookies.set("yishi_staff", stolen)
        assert 'data-testid="admin-new"' in thief.get("/admin").text
        assert c.post("/admin/logout", data={"csrf": token}).status_code == 303
        assert 'data-testid="admin-password"' in thief.get("/admin").text  # and stops at once
        assert 'data-testid="admin-password"' in c.get("/admin").text
        r = thief.post("/admin/meetings", data={"title": "x", "roster": "a", "csrf": token})
        assert r.status_code == 303 and r.headers["location"] == "/admin"
    finally:
        second.stop()


def test_roles_supervisor_reads_staff_runs_meetings_admin_manages_accounts(site):
    admin, token = log_in(site.url, "wang")
    for login, role in (("sup-a", "supervisor"), ("staff-a", "staff")):
        r = admin.post("/admin/staff", data={"action": "add", "login": login, "name": login, "role": role,
                                             "password": "0123456789ab", "csrf": token})
        assert r.status_code == 303, error_of(r.text)
    r = new_meeting(admin, token, "幸福社区的会议")
    assert r.status_code == 303
    meeting_url = r.headers["location"]

    sup, sup_token = log_in(site.url, "sup-a", "0123456789ab")
    home = sup.get("/admin")
    assert "幸福社区的会议" in home.text and 'data-testid="admin-new"' not in home.text
    before = home.text.count("/admin/meetings/")
    r = new_meeting(sup, sup_token, "监督员不能建会")
    assert r.status_code == 403 and error_of(r.text) == "您的身份（监督员）不能执行此操作"
    assert sup.get("/admin").text.count("/admin/meetings/") == before
    page = sup.get(meeting_url)
    assert page.status_code == 200 and 'data-testid="admin-link-moderator"' not in page.text
    assert 'data-testid="admin-sheet"' not in page.text
    assert sup.get("/admin/staff").status_code == 403

    staff, staff_token = log_in(site.url, "staff-a", "0123456789ab")
    assert new_meeting(staff, staff_token, "工作人员建的会").status_code == 303
    assert 'data-testid="admin-link-moderator"' in staff.get(meeting_url).text
    assert staff.get("/admin/staff").status_code == 403
    r = staff.post("/admin/staff", data={"action": "add", "login": "sneaky", "name": "x", "role": "admin",
                                         "password": "0123456789ab", "csrf": staff_token})
    assert r.status_code == 403
    assert "sneaky" not in admin.get("/admin/staff").text


def test_a_community_sees_only_its_own_meetings(site):
    a, a_token = log_in(site.url, "wang")
    b, b_token = log_in(site.url, "zhao")
    r = new_meeting(a, a_token, "只属于幸福社区")
    meeting_id = r.headers["location"].rsplit("/", 1)[1]
    assert "只属于幸福社区" in a.get("/admin").text
    assert "只属于幸福社区" not in b.get("/admin").text and meeting_id not in b.get("/admin").text
    page = b.get(f"/admin/meetings/{meeting_id}")
    assert page.status_code == 404 and error_of(page.text) == "不存在，或不属于您的社区"
    assert b.get("/admin/meetings/nonexistent").status_code == 404  # the same answer as another community's
    # The API, with each community's staff token, is scoped the same way.
    auth_a, auth_b = bearer(site.a_token), bearer(site.b_token)
    ids_b = [m["id"] for m in httpx.get(f"{site.url}/api/meetings", headers=auth_b).json()["meetings"]]
    ids_a = [m["id"] for m in httpx.get(f"{site.url}/api/meetings", headers=auth_a).json()["meetings"]]
    assert meeting_id in ids_a and meeting_id not in ids_b
    for query in (f"?community={site.a}", "?community=nope"):  # another community's, or none: the same answer
        r = httpx.get(f"{site.url}/api/meetings{query}", headers=auth_b)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found" and "meetings" not in r.json()
    r = httpx.get(f"{site.url}/api/meetings/{meeting_id}/links", headers=auth_b)
    assert r.status_code == 404 and r.json()["error"]["code"] == "meeting_not_found" and "links" not in r.json()
    assert httpx.get(f"{site.url}/api/meetings/{meeting_id}/links", headers=auth_a).status_code == 200
    # A meeting made with B's token is B's, and a ?community= of another is refused and creates nothing.
    one = {"title": "API 建的会", "roster": [{"id": "p1", "name": "张三", "category": "proposer"}]}
    r = httpx.post(f"{site.url}/api/meetings?community={site.a}", headers=auth_b, json=one)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = httpx.post(f"{site.url}/api/meetings", headers=auth_b, json=one)
    assert r.status_code == 201, r.text
    assert "API 建的会" in b.get("/admin").text and "API 建的会" not in a.get("/admin").text
    assert [m["title"] for m in httpx.get(f"{site.url}/api/meetings", headers=auth_b).json()["meetings"]].count(
        "API 建的会") == 1


def test_forged_or_foreign_csrf_and_origin_are_refused(site):
    a, a_token = log_in(site.url, "wang")
    _, b_token = log_in(site.url, "zhao")
    form = {"title": "伪造", "roster": "张三, 议题提出人"}
    for data, headers in (({**form}, {}), ({**form, "csrf": "0" * 43}, {}), ({**form, "csrf": b_token}, {}),
                          ({**form, "csrf": a_token}, {"Origin": "http://evil.example"}),
                          ({**form, "csrf": a_token}, {"Sec-Fetch-Site": "cross-site"})):
        r = a.post("/admin/meetings", data=data, headers=headers)
        assert r.status_code == 403 and "表单已过期或来自其他网站" in error_of(r.text), (data.get("csrf"), headers)
    assert "伪造" not in a.get("/admin").text
    r = a.post("/admin/staff", data={"action": "add", "login": "forged", "name": "x", "role": "admin",
                                     "password": "0123456789ab", "csrf": "x"})
    assert r.status_code == 403
    fresh = client(site.url)
    assert fresh.post("/admin/login", data={"login": "wang", "password": PASSWORD}).status_code == 403
    page = fresh.get("/admin")
    r = fresh.post("/admin/login", data={"login": "wang", "password": PASSWORD, "csrf": csrf_of(page.text)},
                   headers={"Origin": "http://evil.example"})
    assert r.status_code == 403


def test_http_login_throttle_answers_429_but_not_to_a_browser_that_logged_in_before(site):
    admin, token = log_in(site.url, "wang")
    r = admin.post("/admin/staff", data={"action": "add", "login": "target", "name": "被攻击的账号", "role": "staff",
                                         "password": "target-password", "csrf": token})
    assert r.status_code == 303
    known, _ = log_in(site.url, "target", "target-password", "10.30.0.2")  # gets the device cookie
    assert known.cookies.get("yishi_device")
    attacker = client(site.url, "10.30.0.1")
    token = csrf_of(attacker.get("/admin").text)
    statuses = []
    for _ in range(FREE_ACCOUNT + 6):
        r = attacker.post("/admin/login", data={"login": "target", "password": "guess-guess", "csrf": token})
        statuses.append(r.status_code)
        if r.status_code == 429:
            break
    assert statuses[:FREE_ACCOUNT] == [401] * FREE_ACCOUNT and statuses[-1] == 429, statuses
    assert int(r.headers["retry-after"]) >= 1 and "登录尝试过多" in error_of(r.text)
    r = attacker.post("/admin/login", data={"login": "target", "password": "target-password", "csrf": token})
    assert r.status_code == 429  # the right password is not even checked while the account is held
    stranger = client(site.url, "10.30.0.3")  # a new browser elsewhere: held too
    r = stranger.post("/admin/login", data={"login": "target", "password": "target-password",
                                            "csrf": csrf_of(stranger.get("/admin").text)})
    assert r.status_code == 429
    page = known.get("/admin")  # the browser that logged in before still gets in
    r = known.post("/admin/login", data={"login": "target", "password": "target-password", "csrf": csrf_of(page.text)})
    assert r.status_code == 303, error_of(r.text)


def test_setup_with_the_admin_key_creates_a_community_and_its_first_admin(site):
    c = client(site.url, "10.40.0.1")
    page = c.get("/admin/setup")
    data = {"community": "新建社区", "login": "chen", "name": "陈主任", "password": PASSWORD,
            "csrf": csrf_of(page.text)}
    r = c.post("/admin/setup", data={**data, "key": "wrong"})
    assert r.status_code == 401 and error_of(r.text) == "管理密钥不正确"
    r = c.post("/admin/setup", data={**data, "key": ADMIN_KEY, "password": "short"})
    assert r.status_code == 400 and error_of(r.text) == "密码至少需要 10 个字符"
    r = c.post("/admin/setup", data={**data, "key": ADMIN_KEY, "login": "wang"})
    assert r.status_code == 409 and "已被使用" in error_of(r.text)
    r = c.post("/admin/setup", data={**data, "key": ADMIN_KEY})
    assert r.status_code == 201 and 'data-testid="admin-notice"' in r.text
    chen, _ = log_in(site.url, "chen")
    assert "新建社区 · 陈主任 · 社区管理员" in chen.get("/admin").text
    # The admin key is no password: not on the login form, not as a cookie.
    r = c.post("/admin/login", data={"login": "admin", "password": ADMIN_KEY, "csrf": csrf_of(c.get("/admin").text)})
    assert r.status_code == 401
    assert 'data-testid="admin-password"' in httpx.get(f"{site.url}/admin", cookies={"yishi_staff": ADMIN_KEY}).text


def test_the_operator_api_needs_the_key_and_refuses_bad_bodies(site):
    url = f"{site.url}/api/communities"
    assert httpx.post(url, json={}).status_code == 401
    # a staff token does not set up communities: only the admin key does
    r = httpx.post(url, headers=bearer(site.a_token),
                   json={"name": "x", "admin": {"login": "y2", "name": "y", "password": "1" * 12}})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
    r = httpx.post(url, headers=auth, content=b"{not json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_payload"
    r = httpx.post(url, headers=auth, json={"name": "x", "admin": {"login": "y", "name": "y", "password": "123"}})
    assert r.status_code == 400 and r.json()["error"]["code"] == "weak_password"
    assert r.json()["error"]["message_zh"] == "密码至少需要 10 个字符"
    r = httpx.post(url, headers=auth, json={"name": "", "admin": {"login": "y", "name": "y", "password": "1" * 12}})
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_account"
    assert site.alive()


# ---- the request helpers other modules use (require_staff, check_csrf, require_community) ----
async def test_the_request_helpers_refuse_with_codes(accounts):
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from meeting import accounts as acc

    c, _ = admin_of(accounts)
    other, _ = admin_of(accounts, "zhao", "和平社区")
    accounts.create_staff(c.id, "lin", "林监督", "supervisor", "lin-password-1")

    async def act(request):
        staff = acc.require_staff(request, "admin", "staff")
        form = await request.form()
        await acc.check_csrf(request, form)
        acc.require_community(staff, form.get("community"))
        return PlainTextResponse(f"done by {staff.login}")

    async def show(request):
        staff = await acc.staff_async(request)
        return PlainTextResponse(f"{staff.login if staff else '-'} {acc.csrf_token(request)}")

    app = Starlette(routes=[Route("/x/act", act, methods=["POST"]), Route("/x/show", show)])
    app.state.accounts = accounts
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as web:
        r = await web.post("/x/act?a=1", data={})
        assert r.status_code == 303 and r.headers["location"] == "/admin?next=%2Fx%2Fact%3Fa%3D1"
        assert "[not_signed_in]" in r.text
        _, token = accounts.login("wang", PASSWORD, "t")
        web.cookies.set(acc.COOKIE, token)
        csrf = (await web.get("/x/show")).text.split()[1]
        assert (await web.get("/x/show")).text.split()[0] == "wang"
        r = await web.post("/x/act", data={"csrf": "forged", "community": c.id})
        assert r.status_code == 403 and "[csrf_failed]" in r.text and "表单已过期" in r.text
        r = await web.post("/x/act", data={"csrf": csrf, "community": c.id}, headers={"Origin": "http://evil.example"})
        assert r.status_code == 403 and "[csrf_failed]" in r.text
        r = await web.post("/x/act", data={"csrf": csrf, "community": other.id})
        assert r.status_code == 404 and "[not_found]" in r.text
        r = await web.post("/x/act", data={"csrf": csrf, "community": c.id}, headers={"Origin": "http://127.0.0.1"})
        assert r.status_code == 200 and r.text == "done by wang"
        _, lin = accounts.login("lin", "lin-password-1", "t")
        web.cookies.set(acc.COOKIE, lin)
        r = await web.post("/x/act", data={"csrf": (await web.get("/x/show")).text.split()[1], "community": c.id})
        assert r.status_code == 403 and "[forbidden_role]" in r.text and "监督员" in r.text


# ---- API tokens, the idle timeout, sessions read off the event loop (issue 12 follow-up) ----
def test_api_tokens_act_as_their_staff_and_only_a_hash_is_kept(accounts, db):
    c, wang = admin_of(accounts)
    li = accounts.create_staff(c.id, "li", "李", "supervisor", "li-password-1")
    other, zhao = admin_of(accounts, "zhao", "和平社区")
    made, token = accounts.create_token(c.id, li.id, "报表脚本")
    assert token.startswith("yst_") and len(token) > 40 and made.hint == token[:8] and made.label == "报表脚本"
    assert accounts.token_staff(token) == li  # its member of staff: community and role
    assert accounts.token_staff(token[:-1]) is None and accounts.token_staff("") is None
    assert accounts.token_staff(None) is None and accounts.token_staff("x" * 5000) is None
    assert [t.id for t in accounts.tokens_of(c.id)] == [made.id] and accounts.tokens_of(other.id) == []
    with sqlite3.connect(db) as raw:
        dump = "\n".join(raw.iterdump())
    assert token not in dump and token[8:] not in dump  # the digest only
    # another community's account or token: not found, and nothing changes
    refused("not_found", accounts.create_token, other.id, li.id, "x")
    refused("not_found", accounts.revoke_token, other.id, made.id)
    refused("bad_account", accounts.create_token, c.id, li.id, "")
    assert accounts.token_staff(token) == li
    # deactivating the account deletes its tokens (reactivating does not bring them back)
    accounts.set_active(c.id, li.id, False)
    assert accounts.token_staff(token) is None and accounts.tokens_of(c.id) == []
    accounts.set_active(c.id, li.id, True)
    assert accounts.token_staff(token) is None
    # revoking ends a token at once; a limit per account
    mine = [accounts.create_token(c.id, wang.id, f"t{n}") for n in range(20)]
    refused("too_many_tokens", accounts.create_token, c.id, wang.id, "one more")
    accounts.revoke_token(c.id, mine[0][0].id)
    assert accounts.token_staff(mine[0][1]) is None and accounts.token_staff(mine[1][1]) == wang
    refused("not_found", accounts.revoke_token, c.id, mine[0][0].id)
    assert accounts.create_token(c.id, wang.id, "now there is room")[1]
    assert zhao.community_id == other.id


def test_a_session_ends_after_two_idle_hours_but_activity_keeps_it_up_to_the_cap(accounts, clock):
    from meeting.accounts import IDLE_S, TOUCH_S

    admin_of(accounts)
    _, idle = accounts.login("wang", PASSWORD, "a")
    _, busy = accounts.login("wang", PASSWORD, "a")
    start = clock.t
    while clock.t - start < IDLE_S + 3600:  # a request every 30 minutes for three hours
        clock.t += 1800
        assert accounts.session(busy) is not None, clock.t - start
    assert accounts.session(idle) is None  # nothing for more than two hours: ended ...
    clock.t -= 3 * 3600
    assert accounts.session(idle) is None  # ... and its row is gone (a clock turned back does not revive it)
    clock.t += 3 * 3600
    while clock.t - start + 1800 < SESSION_S:
        clock.t += 1800
        assert accounts.session(busy) is not None
    assert clock.t - start > SESSION_S - IDLE_S + TOUCH_S
    clock.t = start + SESSION_S
    assert accounts.session(busy) is None  # 12 hours after login, however busy
    _, fresh = accounts.login("wang", PASSWORD, "a")
    clock.t += IDLE_S - 1
    assert accounts.session(fresh) is not None
    clock.t += IDLE_S - 1  # the previous request counted as activity
    assert accounts.session(fresh) is not None
    clock.t += IDLE_S
    assert accounts.session(fresh) is None


def test_an_older_database_gets_the_idle_column(tmp_path):
    with sqlite3.connect(tmp_path / "old.db") as raw:  # staff_session as the first accounts release made it
        raw.execute("CREATE TABLE staff_session (token_hash VARCHAR(64) PRIMARY KEY, staff_id VARCHAR(32), "
                    "csrf VARCHAR(64), created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)")
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        accounts = Accounts(engine, b"s", hasher=PasswordHasher(1, 1024, 1))
        c, _ = admin_of(accounts)
        _, token = accounts.login("wang", PASSWORD, "a")
        assert accounts.session(token) is not None
        Accounts(engine, b"s", hasher=PasswordHasher(1, 1024, 1))  # a second start finds the column
    finally:
        engine.dispose()


async def test_the_session_is_read_in_a_worker_thread_before_the_handler(accounts):
    """LoadSession (server.py's middleware): a handler's synchronous current_staff/csrf_token read
    the request's cache; the database is read off the event loop's thread."""
    import threading

    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from meeting import accounts as acc

    admin_of(accounts)
    _, token = accounts.login("wang", PASSWORD, "t")
    threads: list[str] = []
    real = accounts.session

    def spy(value):
        threads.append(threading.current_thread().name)
        return real(value)

    accounts.session = spy  # type: ignore[method-assign]

    async def show(request):
        staff = acc.current_staff(request)
        return PlainTextResponse(f"{staff.login if staff else '-'} {len(acc.csrf_token(request))}")

    app = Starlette(routes=[Route("/x", show)], middleware=[Middleware(acc.LoadSession)])
    app.state.accounts = accounts
    loop_thread = threading.current_thread().name
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1") as web:
        assert (await web.get("/x")).text == "- 40"  # no cookie: no read at all
        assert threads == []
        web.cookies.set(acc.COOKIE, token)
        assert (await web.get("/x")).text.split()[0] == "wang"
        assert (await web.get("/static/x.css")).status_code == 404  # static files: no read
    assert len(threads) == 1 and threads[0] != loop_thread, threads


def make_token(admin: httpx.Client, csrf: str, staff_id: str, label: str) -> str:
    r = admin.post("/admin/staff", data={"action": "token", "staff_id": staff_id, "label": label, "csrf": csrf})
    assert r.status_code == 201, error_of(r.text)
    found = re.search(r'value="(yst_[^"]+)" data-testid="token-new"', r.text)
    assert found, r.text[:500]
    token = found.group(1)
    page = admin.get("/admin/staff").text
    assert token not in page and token[:8] in page and label in page  # shown once: the list has its start only
    return token


def staff_id_of(page: str, login: str) -> str:
    row = re.search(rf'data-testid="staff-{re.escape(login)}".*?name="staff_id" value="([^"]+)"', page, re.S)
    assert row, login
    return row.group(1)


def test_staff_api_tokens_over_http_made_used_scoped_and_revoked_on_admin_staff(site):
    admin, csrf = log_in(site.url, "wang")
    r = admin.post("/admin/staff", data={"action": "add", "login": "lin-api", "name": "林监督", "role": "supervisor",
                                         "password": "0123456789ab", "csrf": csrf})
    assert r.status_code == 303
    page = admin.get("/admin/staff").text
    sup_token = make_token(admin, csrf, staff_id_of(page, "lin-api"), "监督员的脚本")
    run_token = make_token(admin, csrf, staff_id_of(page, "wang"), "建会脚本")
    one = {"title": "令牌建的会", "roster": [{"id": "p1", "name": "张三", "category": "proposer"},
                                            {"id": "s1", "name": "林", "category": "supervisor"}]}
    made = httpx.post(f"{site.url}/api/meetings", json=one, headers=bearer(run_token))
    assert made.status_code == 201, made.text
    mid = made.json()["id"]
    assert "令牌建的会" in admin.get("/admin").text  # the token's community
    # a supervisor's token reads: the list, and only the supervisors' links; it creates nothing
    listed = httpx.get(f"{site.url}/api/meetings", headers=bearer(sup_token))
    assert listed.status_code == 200 and mid in [m["id"] for m in listed.json()["meetings"]]
    links = httpx.get(f"{site.url}/api/meetings/{mid}/links", headers=bearer(sup_token)).json()["links"]
    assert {link["role"] for link in links} == {"supervisor"}
    for r in (httpx.post(f"{site.url}/api/meetings", json=one, headers=bearer(sup_token)),
              httpx.post(f"{site.url}/api/roster", content=b"name\n", headers=bearer(sup_token))):
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_role"
        assert r.json()["error"]["message_zh"] == "您的身份（监督员）不能执行此操作"
    assert [m["title"] for m in listed.json()["meetings"]].count("令牌建的会") == 1
    # a forged form cannot make a token; a staff member (not admin) cannot either
    r = admin.post("/admin/staff", data={"action": "token", "staff_id": staff_id_of(page, "wang"), "label": "x",
                                         "csrf": "forged"})
    assert r.status_code == 403 and 'data-testid="token-new"' not in r.text
    r = admin.post("/admin/staff", data={"action": "token", "staff_id": "s-nobody", "label": "x", "csrf": csrf})
    assert r.status_code == 404 and error_of(r.text) == "不存在，或不属于您的社区"
    b_admin, b_csrf = log_in(site.url, "zhao")
    r = b_admin.post("/admin/staff", data={"action": "token", "staff_id": staff_id_of(page, "wang"), "label": "x",
                                           "csrf": b_csrf})
    assert r.status_code == 404 and 'data-testid="token-new"' not in r.text  # not another community's account
    # revoking: the token stops at once
    token_id = re.search(r'data-testid="token-(k[0-9a-f]+)"><td>监督员的脚本', admin.get("/admin/staff").text)
    assert token_id
    r = admin.post("/admin/staff", data={"action": "revoke", "token_id": token_id.group(1), "csrf": csrf})
    assert r.status_code == 303
    r = httpx.get(f"{site.url}/api/meetings", headers=bearer(sup_token))
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    assert httpx.get(f"{site.url}/api/meetings", headers=bearer(run_token)).status_code == 200


def test_the_operator_resets_a_forgotten_admin_password_from_the_command_line(site):
    import subprocess
    import sys

    from tests.server.harness import ROOT

    signed_in, _ = log_in(site.url, "zhao")  # the community's only admin, signed in somewhere
    env = {**site.env, "PYTHONUNBUFFERED": "1"}

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "meeting", "accounts", *args], cwd=ROOT, env=env, input=stdin,
                              capture_output=True, text=True, timeout=60)

    listed = cli("list")
    assert listed.returncode == 0 and site.b in listed.stdout and "zhao" in listed.stdout, listed.stderr
    done = cli("reset-password", "--community", "和平社区", "--user", "ZHAO", stdin="a-new-password-1\n")
    assert done.returncode == 0, done.stderr
    assert "zhao" in done.stdout and "sessions have ended" in done.stdout
    assert 'data-testid="admin-password"' in signed_in.get("/admin").text  # the old session ended
    with pytest.raises(AssertionError):
        log_in(site.url, "zhao")
    log_in(site.url, "zhao", "a-new-password-1")
    # refusals: coded, in both languages; nothing changes
    r = cli("reset-password", "--community", site.a, "--user", "zhao", stdin="another-password-2\n")
    assert r.returncode == 1 and "[not_found]" in r.stderr and "不属于您的社区" in r.stderr
    r = cli("reset-password", "--community", site.b, "--user", "zhao", stdin="short\n")
    assert r.returncode == 1 and "[weak_password]" in r.stderr and "密码至少需要 10 个字符" in r.stderr
    assert cli("reset-password", "--community", "没有这个社区", "--user", "zhao", stdin="x" * 12 + "\n").returncode == 2
    generated = cli("reset-password", "--community", site.b, "--user", "zhao", "--generate")
    password = re.search(r"new password: (\S+)", generated.stdout)
    assert generated.returncode == 0 and password, generated.stderr
    b_admin, _ = log_in(site.url, "zhao", password.group(1))
    # assign-meeting: the operator gives a meeting to a community
    made = httpx.post(f"{site.url}/api/meetings", headers=bearer(site.a_token),
                      json={"title": "交给和平社区的会",
                            "roster": [{"id": "p1", "name": "张三", "category": "proposer"}]})
    mid = made.json()["id"]
    assert "交给和平社区的会" not in b_admin.get("/admin").text
    assert cli("assign-meeting", "nosuchmeet", "--community", site.b).returncode == 2
    moved = cli("assign-meeting", mid, "--community", "和平社区")
    assert moved.returncode == 0, moved.stderr
    assert "交给和平社区的会" in b_admin.get("/admin").text and b_admin.get(f"/admin/meetings/{mid}").status_code == 200


def test_a_topics_meeting_is_its_communitys_and_admin_and_topics_lead_to_each_other(site):
    """A community worker finds the topics from /admin and /admin from the topics; approving a plan
    creates the live meeting in the topic's community (its /admin list, not another's), and the
    topic page leads to the meeting's join links."""
    from datetime import datetime, timedelta

    from meeting.topics.catalogue import DEFAULT_ENTRIES
    from meeting.topics.decide import CHINA

    _cid, a_token = bootstrap(site.url, "议题社区", "topics-admin")  # communities of this test's own
    bootstrap(site.url, "邻居社区", "neighbour-admin")
    a, _token = log_in(site.url, "topics-admin")
    b, _ = log_in(site.url, "neighbour-admin")
    home = a.get("/admin").text
    assert 'href="/staff/topics" data-testid="admin-topics-link"' in home
    topics = a.get("/staff/topics").text
    assert 'href="/admin"' in topics
    resident = client(site.url, "10.30.0.1")
    intake = re.search(r'href="([^"]*/c/\w+/propose)"', topics).group(1).replace(site.url, "")
    r = resident.post(intake, data={"csrf": csrf_of(resident.get(intake).text), "name": "王阿姨",
                                    "contact": "13800001111", "building": "5幢", "category": "building",
                                    "title": "5幢路灯维修", "description": "5幢门口路灯坏了一个月"})
    assert r.status_code == 303, r.text[:500]
    topic = re.search(r'href="/staff/topics/(\w+)"[^>]*>[^<]*5幢路灯维修', a.get("/staff/topics").text).group(1)
    url = f"/staff/topics/{topic}"
    form = csrf_of(a.get(url).text)

    def do(command: str, **data: str) -> None:
        r = a.post(f"{url}/do/{command}", data={"csrf": form, **data})
        assert r.status_code == 303, re.findall(r'data-code="(\w+)"', r.text)

    do("review", decision="approved", matter=DEFAULT_ENTRIES[0], scope="on", feasible="on", track="immediate",
       convener="李书记", recorder="小张", guide="老陈")
    when = (datetime.now(CHINA) + timedelta(days=6)).strftime("%Y-%m-%dT19:00")
    do("draft_plan", scheduled_at=when, place="议事厅", form="onsite", moderator="李书记", recorder="小张",
       participants="王阿姨, 议题提出人\n赵师傅\n钱老师", items="修路灯", speech_minutes="3", speeches="2")
    do("approve_plan")
    page = a.get(url).text
    meeting_page = re.search(r'href="(/admin/meetings/(\w+))" data-role="all"', page)
    assert meeting_page and 'data-role="moderator"' in page and 'data-role="recorder"' in page
    meeting_id = meeting_page.group(2)
    assert meeting_id == f"{topic}r1"
    assert "5幢路灯维修" in a.get("/admin").text and meeting_id in a.get("/admin").text
    assert "5幢路灯维修" not in b.get("/admin").text and meeting_id not in b.get("/admin").text
    assert b.get(meeting_page.group(1)).status_code == 404
    links = a.get(meeting_page.group(1))
    assert links.status_code == 200 and 'data-testid="admin-link-moderator"' in links.text
    assert 'data-testid="admin-sheet"' in links.text
    moderator = re.search(r'href="(/j/[^"]+)" data-role="moderator"', page).group(1)
    assert moderator in links.text  # the topic page's moderator link is the meeting's own
    ids = [m["id"] for m in httpx.get(f"{site.url}/api/meetings", headers=bearer(a_token)).json()["meetings"]]
    assert meeting_id in ids
