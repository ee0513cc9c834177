"""The topic pages over HTTP: a resident's proposal from the intake page, the proposer's private
page, the staff pages (login, own community only), and refusals of bad submissions: missing
fields, oversized text, wrong file types, another community's topic, a forged CSRF token."""
from __future__ import annotations

import re
import struct
import warnings
import zlib
from datetime import date, datetime

import pytest
from argon2 import PasswordHasher
from starlette.applications import Starlette

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from meeting import workdays
from meeting.accounts import COOKIE, Accounts
from meeting.service import Service
from meeting.store import Store
from meeting.topics.decide import CHINA
from meeting.topics.routes import routes, topic_service

PASSWORD = "correct horse battery"
START = int(datetime(2026, 11, 2, 9, tzinfo=CHINA).timestamp() * 1000)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> int:
        return self.now


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


@pytest.fixture
def site(tmp_path):
    workdays.set_notices([])
    store = Store(f"sqlite:///{tmp_path / 'y.db'}")
    clock = Clock()
    service = Service(store, b"test-secret", clock=clock)
    accounts = Accounts(store.engine, b"test-secret", "", clock=lambda: clock.now / 1000,
                        hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    here = accounts.create_community("幸福社区")
    there = accounts.create_community("和平社区")
    staff = {
        "admin": accounts.create_staff(here.id, "wang", "王主任", "admin", PASSWORD),
        "staff": accounts.create_staff(here.id, "zhang", "小张", "staff", PASSWORD),
        "other": accounts.create_staff(there.id, "li", "李主任", "admin", PASSWORD),
        "supervisor": accounts.create_staff(here.id, "zhao", "赵监督", "supervisor", PASSWORD),
    }
    app = Starlette(routes=routes(service, "http://testserver"))
    app.state.accounts = accounts
    with TestClient(app, follow_redirects=False) as client:
        yield {"client": client, "accounts": accounts, "here": here, "there": there, "staff": staff,
               "service": service, "clock": clock, "topics": topic_service(service)}
    workdays.set_notices([])
    store.close()


def login(site, who: str) -> TestClient:
    _staff, token = site["accounts"].login(site["staff"][who].login, PASSWORD, "127.0.0.1")
    client = site["client"]
    client.cookies.clear()
    client.cookies.set(COOKIE, token)
    return client


def csrf(client: TestClient, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


FIELDS = {"name": "王阿姨", "contact": "13800000000", "building": "3幢", "category": "building",
          "title": "加装电梯", "description": "3幢想加装电梯，费用如何分摊？"}


def propose(site, fields=None, files=None, token=None):
    client = site["client"]
    client.cookies.clear()
    url = f"/c/{site['here'].id}/propose"
    token = token if token is not None else csrf(client, url)
    return client.post(url, data={"csrf": token, **(fields if fields is not None else FIELDS)}, files=files)


def assert_refused(response, code: str, status: int = 400) -> None:
    assert response.status_code == status, response.text[:500]
    assert f'data-code="{code}"' in response.text, response.text[:2000]


def test_a_resident_proposes_and_follows_the_topic_on_a_private_page(site):
    r = propose(site, files=[("photos", ("lift.png", png(), "image/png"))])
    assert r.status_code == 303 and r.headers["location"].startswith("/t/")
    page = site["client"].get(r.headers["location"])
    assert page.status_code == 200
    assert "2026-001" in page.text and "加装电梯" in page.text and "待审核" in page.text
    assert "13800000000" not in page.text  # the proposer's page shows no contact data
    second = propose(site, {**FIELDS, "title": "修路灯"})
    assert site["client"].get(second.headers["location"]).text.count("2026-002") >= 1
    assert site["client"].get("/t/" + "x" * 32).status_code == 404
    english = site["client"].get(f"/c/{site['here'].id}/propose?lang=en")
    assert "Propose a topic" in english.text and "提出" not in english.text.split("<main>")[1][:200]


def test_missing_fields_oversized_text_and_wrong_files_are_refused_and_change_nothing(site):
    for missing in ("name", "contact", "title", "description", "category"):
        r = propose(site, {k: v for k, v in FIELDS.items() if k != missing})
        assert_refused(r, "topic_missing_field")
        assert 'value="王阿姨"' in r.text or missing == "name"  # the form keeps what was typed
    assert_refused(propose(site, {**FIELDS, "description": "很" * 2001}), "topic_text_too_long")
    assert_refused(propose(site, {**FIELDS, "title": "长" * 101}), "topic_text_too_long")
    assert_refused(propose(site, {**FIELDS, "category": "weather"}), "topic_bad_category")
    gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,"
    assert_refused(propose(site, files=[("photos", ("x.png", gif, "image/png"))]), "photo_bad_type")
    exe = b"MZ\x90\x00" + b"\x00" * 100
    assert_refused(propose(site, files=[("photos", ("x.jpg", exe, "image/jpeg"))]), "photo_bad_type")
    big = b"\xff\xd8\xff\xe0" + b"\x00" * (5 * 1024 * 1024)
    assert_refused(propose(site, files=[("photos", ("big.jpg", big, "image/jpeg"))]), "photo_too_large")
    many = [("photos", (f"{n}.png", png(), "image/png")) for n in range(5)]
    assert_refused(propose(site, files=many), "photo_too_many")
    assert site["topics"].store.topic_ids(site["here"].id) == []
    # and the server is still fine
    assert propose(site).status_code == 303


def test_a_forged_csrf_token_is_refused(site):
    r = propose(site, token="forged-token")
    assert r.status_code == 403
    r = propose(site, token="")
    assert r.status_code == 403
    assert site["topics"].store.topic_ids(site["here"].id) == []
    client = login(site, "admin")
    client.post("/staff/topics/new", data={"csrf": "nope", **FIELDS})
    assert site["topics"].store.topic_ids(site["here"].id) == []
    # a request from another site is refused even with the right token
    token = csrf(client, "/staff/topics/new")
    r = client.post("/staff/topics/new", data={"csrf": token, **FIELDS}, headers={"origin": "https://evil.example"})
    assert r.status_code == 403


def test_staff_pages_need_a_login_and_stay_in_their_community(site):
    propose(site)
    topic_id = site["topics"].store.topic_ids(site["here"].id)[0]
    client = site["client"]
    client.cookies.clear()
    assert client.get("/staff/topics").status_code == 303
    assert client.get(f"/staff/topics/{topic_id}").status_code == 303
    other = login(site, "other")
    assert "加装电梯" not in other.get("/staff/topics").text
    assert other.get(f"/staff/topics/{topic_id}").status_code == 404
    token = csrf(other, "/staff/topics/new")
    r = other.post(f"/staff/topics/{topic_id}/do/review", data={"csrf": token, "decision": "rejected",
                                                                 "reject_reason": "five_no_private"})
    assert r.status_code == 404
    assert site["topics"].store.topic_ids(site["there"].id) == []
    mine = login(site, "staff")
    page = mine.get(f"/staff/topics/{topic_id}")
    assert page.status_code == 200 and "13800000000" in page.text  # staff see the contact
    photo = mine.get(f"/staff/topics/{topic_id}/photo/{'0' * 64}")
    assert photo.status_code == 404


def test_the_staff_workflow_creates_the_meeting_from_the_plan(site):
    r = propose(site)
    mine_url = r.headers["location"]
    topic_id = site["topics"].store.topic_ids(site["here"].id)[0]
    client = login(site, "staff")
    url = f"/staff/topics/{topic_id}"
    token = csrf(client, url)

    def do(command, **data):
        return client.post(f"{url}/do/{command}", data={"csrf": token, **data})

    assert_refused(do("review", decision="approved", catalogue="on", scope="on"), "criteria_not_met")
    assert do("review", decision="approved", catalogue="on", scope="on", feasible="on", track="in_depth",
              convener="李书记", recorder="小张", guide="老陈").status_code == 303
    assert "已通过审核" in site["client"].get(mine_url).text
    plan = {"scheduled_at": "2026-11-12T19:00", "place": "议事厅", "form": "onsite", "moderator": "李书记",
            "recorder": "小张", "participants": "王阿姨, 议题提出人\n赵师傅\n钱老师, 利益相关方, 无手机\n孙工, 专家",
            "items": "电梯费用分摊方案", "speech_minutes": "2", "speeches": "2"}
    assert_refused(do("draft_plan", **{**plan, "participants": "孙工, 专家"}), "no_voters")
    assert_refused(do("draft_plan", **{**plan, "participants": "王阿姨, 外星人"}), "topic_bad_field")
    assert do("draft_plan", **plan).status_code == 303
    assert do("approve_plan").status_code == 303
    state = site["topics"]._topics[topic_id].state
    assert state.status == "scheduled" and state.plan.meeting_id == f"{topic_id}r1"
    meeting = site["service"].store.meeting(state.plan.meeting_id)
    assert meeting is not None and meeting.title == "加装电梯"
    assert site["accounts"].meeting_community(state.plan.meeting_id) == site["here"].id
    page = client.get(url)
    assert 'data-role="moderator"' in page.text and "发布公告" in page.text
    assert_refused(do("record_outcome"), "meeting_not_held")  # the meeting has not been held
    assert do("announce", channels="wechat").status_code == 303
    dash = client.get("/staff/topics/dashboard")
    assert dash.status_code == 200 and "开展协商" in dash.text
    # the supervisor may not review or plan, and sees no moderator link
    sup = login(site, "supervisor")
    r = sup.post(f"{url}/do/announce", data={"csrf": csrf(sup, "/staff/topics/new")})
    assert_refused(r, "topic_forbidden")
    assert 'data-role="moderator"' not in sup.get(url).text


def test_the_calendar_page_takes_a_year_notice_and_the_dashboard_warns(site):
    client = login(site, "admin")
    page = client.get("/staff/topics/calendar")
    assert 'data-year="2027" data-source="unknown"' in page.text
    token = csrf(client, "/staff/topics/calendar")
    r = client.post("/staff/topics/calendar", data={"csrf": token, "year": "2027", "holidays": "2027-02-30"})
    assert_refused(r, "bad_year_notice")
    r = client.post("/staff/topics/calendar", data={"csrf": token, "year": "2027",
                                                    "holidays": "2027-01-01\n2027-02-06..2027-02-13",
                                                    "workdays": "2027-02-14"})
    assert r.status_code == 303
    assert 'data-year="2027" data-source="notice"' in client.get("/staff/topics/calendar").text
    assert workdays.current().workday(date(2027, 2, 8)) == (False, True)
    staff = login(site, "staff")
    r = staff.post("/staff/topics/calendar", data={"csrf": csrf(staff, "/staff/topics/new"), "year": "2028",
                                                   "holidays": "2028-01-01"})
    assert_refused(r, "topic_forbidden")


def test_an_unknown_year_shows_a_warning_on_the_deadline(site):
    site["clock"].now = int(datetime(2026, 12, 28, 9, tzinfo=CHINA).timestamp() * 1000)
    propose(site)
    topic_id = site["topics"].store.topic_ids(site["here"].id)[0]
    client = login(site, "staff")
    url = f"/staff/topics/{topic_id}"
    client.post(f"{url}/do/review", data={"csrf": csrf(client, url), "decision": "approved", "catalogue": "on",
                                          "scope": "on", "feasible": "on", "track": "immediate",
                                          "convener": "a", "recorder": "b", "guide": "c"})
    page = client.get("/staff/topics/dashboard")
    assert 'data-warning="calendar"' in page.text and "2027" in page.text
    assert 'data-warning="calendar"' in client.get(url).text


def test_a_malformed_body_is_refused_and_the_server_keeps_running(site):
    client = site["client"]
    client.cookies.clear()
    url = f"/c/{site['here'].id}/propose"
    r = client.post(url, content=b"--x\r\nbroken", headers={"content-type": "multipart/form-data; boundary=x"})
    assert r.status_code in (400, 403)
    r = client.post(url, content=b"a" * 10, headers={"content-length": str(50 * 1024 * 1024)})
    assert r.status_code in (400, 403, 413)
    assert client.get(url).status_code == 200
    assert client.get("/c/nope/propose").status_code == 404
