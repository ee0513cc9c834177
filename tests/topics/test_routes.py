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


MATTER = "公共设施使用与维护（含老旧小区加装电梯）"  # an entry of the default catalogue
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

    assert_refused(do("review", decision="approved", matter=MATTER, scope="on"), "criteria_not_met")
    assert_refused(do("review", decision="approved", matter="none", scope="on", feasible="on"), "not_in_catalogue")
    assert do("review", decision="approved", matter=MATTER, scope="on", feasible="on", track="in_depth",
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
    # no second typing: the live meeting's roster, rules, place and time are the plan's
    live = site["client"].portal.call(site["service"].get, state.plan.meeting_id).state
    assert [(p.name, p.category.value, p.has_phone) for p in live.roster.values()] == [
        ("王阿姨", "proposer", True), ("赵师傅", "stakeholder", True), ("钱老师", "stakeholder", False),
        ("孙工", "expert", True)]
    assert live.params.speech_limit_ms == 120_000 and live.params.speeches_per_item == 2
    assert live.config["place"] == "议事厅" and live.config["scheduled_at"].startswith("2026-11-12")
    assert [i["title"] for i in live.config["items"]] == ["电梯费用分摊方案"]
    assert live.config["moderator_name"] == "李书记" and live.config["recorder_name"] == "小张"
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
    client.post(f"{url}/do/review", data={"csrf": csrf(client, url), "decision": "approved", "matter": MATTER,
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


def approve(site, client, topic_id: str, **extra) -> None:
    url = f"/staff/topics/{topic_id}"
    r = client.post(f"{url}/do/review", data={"csrf": csrf(client, url), "decision": "approved", "matter": MATTER,
                                              "scope": "on", "feasible": "on", "track": "immediate",
                                              "convener": "a", "recorder": "b", "guide": "c", **extra})
    assert r.status_code == 303, r.text[:1000]


def test_the_review_form_draws_the_communitys_catalogue_and_the_admin_edits_it(site):
    propose(site)
    topic_id = site["topics"].store.topic_ids(site["here"].id)[0]
    client = login(site, "admin")
    url = f"/staff/topics/{topic_id}"
    page = client.get(url).text
    assert f'<option value="{MATTER}"' in page and '<option value="none"' in page
    assert 'name="catalogue"' not in page  # no checkbox that proves nothing
    english = client.get(url + "?lang=en").text  # the default entries have English words
    assert f'<option value="{MATTER}" >Use and upkeep of shared facilities' in english
    client.get(url + "?lang=zh")
    # the admin replaces the catalogue; an empty one is refused, coded, and what was typed is kept
    cal = "/staff/topics/calendar"
    token = csrf(client, cal)
    r = client.post(cal, data={"csrf": token, "what": "catalogue", "catalogue": " \n \n"})
    assert_refused(r, "bad_catalogue")
    r = client.post(cal, data={"csrf": token, "what": "catalogue", "catalogue": "none"})
    assert_refused(r, "bad_catalogue")
    r = client.post(cal, data={"csrf": token, "what": "catalogue", "catalogue": "甲事项\n" + "长" * 101})
    assert_refused(r, "bad_catalogue")
    assert "甲事项" in r.text  # the typed text is shown again
    r = client.post(cal, data={"csrf": token, "what": "catalogue",
                               "catalogue": "1. 停车管理\n2. 楼道堆物\n1. 停车管理\n"})
    assert r.status_code == 303
    settings = site["client"].portal.call(site["topics"].settings, site["here"].id)
    assert settings["catalogue"] == ["1. 停车管理", "2. 楼道堆物"]
    assert settings["notice_days"] == 3  # the other settings are kept
    page = client.get(url).text
    assert '<option value="2. 楼道堆物"' in page and f'<option value="{MATTER}"' not in page
    # an entry of the old catalogue is no longer one of this community's matters
    r = client.post(f"{url}/do/review", data={"csrf": csrf(client, url), "decision": "approved", "matter": MATTER,
                                              "scope": "on", "feasible": "on", "track": "immediate",
                                              "convener": "a", "recorder": "b", "guide": "c"})
    assert_refused(r, "topic_bad_field")
    # saving the other settings keeps the catalogue
    r = client.post(cal, data={"csrf": token, "what": "settings", "notice_days": "4", "publicity_days": "5",
                               "speech_minutes": "3", "speeches": "2"})
    assert r.status_code == 303
    assert site["client"].portal.call(site["topics"].settings, site["here"].id)["catalogue"][0] == "1. 停车管理"
    r = client.post(cal, data={"csrf": token, "what": "settings", "notice_days": "4", "publicity_days": "5",
                               "speech_minutes": "inf", "speeches": "2"})
    assert_refused(r, "topic_bad_field")
    approve(site, client, topic_id, matter="2. 楼道堆物")
    assert "2. 楼道堆物" in client.get(url).text
    # staff see the catalogue but may not change it; another community keeps the default
    staff = login(site, "staff")
    assert "楼道堆物" in staff.get(cal).text
    r = staff.post(cal, data={"csrf": csrf(staff, "/staff/topics/new"), "what": "catalogue", "catalogue": "乱改"})
    assert_refused(r, "topic_forbidden")
    assert site["client"].portal.call(site["topics"].settings, site["there"].id)["catalogue"][1] == \
        "居民反映强烈、迫切要求解决的实际困难、问题和矛盾纠纷"
    assert "物业管理与服务" in login(site, "other").get(cal + "?lang=en").text  # the admin edits the stored text


def test_the_dashboard_warns_at_planning_time_when_the_meeting_is_after_the_consult_deadline(site):
    # approved Monday 2026-11-02: 15 working days later is Monday 2026-11-23
    propose(site)
    propose(site, {**FIELDS, "title": "修路灯"})
    late_id, ok_id = site["topics"].store.topic_ids(site["here"].id)
    client = login(site, "staff")
    for topic_id in (late_id, ok_id):
        approve(site, client, topic_id)
    plan = {"place": "议事厅", "form": "onsite", "moderator": "李书记", "recorder": "小张",
            "participants": "王阿姨, 议题提出人\n赵师傅", "items": "", "speech_minutes": "3", "speeches": "2"}
    for topic_id, day in ((late_id, "2026-11-27"), (ok_id, "2026-11-20")):
        url = f"/staff/topics/{topic_id}"
        r = client.post(f"{url}/do/draft_plan", data={"csrf": csrf(client, url), "scheduled_at": f"{day}T19:00",
                                                      **plan})
        assert r.status_code == 303, r.text[:800]
    page = client.get("/staff/topics/dashboard").text
    rows = re.findall(r'<tr class="due-\w+" data-kind="(\w+)" data-topic="(\w+)">(.*?)</tr>', page, flags=re.S)
    warned = {(kind, topic) for kind, topic, body in rows if 'data-warning="planned_late"' in body}
    assert warned == {("consult", late_id)}
    assert "2026-11-27" in page and "4" in page
    assert 'data-warning="planned_late"' in client.get(f"/staff/topics/{late_id}").text
    assert 'data-warning="planned_late"' not in client.get(f"/staff/topics/{ok_id}").text
    # the most urgent first: the late plan's topic comes before the one on time
    assert page.index(f'data-topic="{late_id}"') < page.index(f'data-topic="{ok_id}"')


def test_the_topic_list_filters_searches_and_pages_on_the_server(site):
    titles = [f"议题{n:02d}" for n in range(1, 24)] + ["加装电梯"]
    for title in titles:
        propose(site, {**FIELDS, "title": title})
    ids = site["topics"].store.topic_ids(site["here"].id)
    client = login(site, "staff")
    approve(site, client, ids[0])
    approve(site, client, ids[5])
    page = client.get("/staff/topics").text
    assert page.count('<tr data-topic="') == 20 and 'data-total="24"' in page
    assert "加装电梯" in page and "议题01<" not in page  # newest first
    second = client.get("/staff/topics?page=2").text
    assert second.count('<tr data-topic="') == 4 and "议题01<" in second and "加装电梯" not in second
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert client.get("/staff/topics?page=99").text.count('<tr data-topic="') == 4  # the last page
    approved = client.get("/staff/topics?status=approved").text
    assert approved.count('<tr data-topic="') == 2 and 'data-total="2"' in approved
    assert f'data-topic="{ids[0]}"' in approved and f'data-topic="{ids[5]}"' in approved
    assert client.get("/staff/topics?q=电梯").text.count('<tr data-topic="') == 1
    assert client.get("/staff/topics?q=2026-003").text.count('<tr data-topic="') == 1
    found = client.get("/staff/topics?q=2026-00&status=submitted").text  # 2026-001..009 less 001, 006
    assert 'data-total="7"' in found
    assert 'page=2' not in found
    paged = client.get("/staff/topics?q=议题").text
    assert 'data-total="23"' in paged and "q=%E8%AE%AE%E9%A2%98&amp;page=2" in paged  # the links keep the search
    assert "没有符合条件的议题" in client.get("/staff/topics?q=不存在的").text
    assert_refused(client.get("/staff/topics?status=flying"), "topic_bad_field")
    assert_refused(client.get("/staff/topics?page=-1"), "topic_bad_field")
    assert_refused(client.get("/staff/topics?page=abc"), "topic_bad_field")
    assert_refused(client.get("/staff/topics?q=" + "长" * 101), "topic_text_too_long")
    other = login(site, "other")
    assert 'data-total="0"' in other.get("/staff/topics?q=电梯").text  # never another community's


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_task_progress_form_renders(lang):
    """The implementing stage's forms (a "%" in a message once broke the page: Jinja's new-style
    gettext formats every message)."""
    from meeting.pages import render
    from meeting.topics import labels
    from meeting.topics.decide import Actor, allowed
    from tests.topics.test_engine import held

    t = held("a")
    t.do("set_implementation", {"kind": "community"})
    s = t.do("add_task", {"title": "签订合同", "owner": "物业", "due": "2026-12-01"})
    may = allowed(s, Actor("staff", "s1"), t.now)
    assert may["update_task"]
    html = render(lang, "topics/detail.html", word=lambda kind, key: labels.word(lang, kind, key),
                  matter=lambda m: m, csrf="x", L=labels.LABELS, path="/", staff=None, topic=s, error=None,
                  allowed=may, values={}, settings={"publicity_days": 5, "catalogue": [], "params": {}},
                  deadlines=[], meeting_links={}, record=None, public={"announcement": "", "results": ""},
                  documents=[], archive_url="", hideable=frozenset())
    assert 'id="form-update_task"' in html
    assert ("进度（%）" if lang == "zh" else "Progress (%)") in html


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_deadlines_say_the_days_once_and_in_the_right_number(lang):
    """The dashboard and the topic page say how a deadline stands in one phrase: no "due 1 days left"
    (a doubled state and a plural on one day), nor "逾期完成 逾期 2 天"."""
    from types import SimpleNamespace

    from meeting.pages import render
    from meeting.topics import labels
    from meeting.topics.deadlines import judge

    today = date(2026, 11, 10)
    dues = [judge("settle", date(2026, 11, 10), None, today), judge("consult", date(2026, 11, 11), None, today),
            judge("announce", date(2026, 11, 13), None, today), judge("file", date(2026, 11, 9), None, today),
            judge("communicate", date(2026, 11, 5), None, today),
            judge("implement", date(2026, 11, 5), date(2026, 11, 6), today),
            judge("task", date(2026, 11, 5), date(2026, 11, 8), today, task_id=1, title="出图"),
            judge("consult", date(2026, 11, 23), None, today, planned=date(2026, 11, 24))]
    topic = SimpleNamespace(id="t1", number="2026-001", title="加装电梯", status="approved")
    html = render(lang, "topics/dashboard.html", word=lambda kind, key: labels.word(lang, kind, key),
                  csrf="x", L=labels.LABELS, path="/", staff=None, rows=[(topic, dues)], error=None)
    states = [" ".join(s.split()) for s in re.findall(r'<span class="due-state">(.*?)</span>', html, re.S)]
    expected = {"zh": ["今天到期", "还剩 1 天", "还剩 3 天", "已逾期 1 天", "已逾期 5 天", "逾期 1 天完成",
                       "逾期 3 天完成", "还剩 13 天"],
                "en": ["due today", "1 day left", "3 days left", "overdue by 1 day", "overdue by 5 days",
                       "done 1 day late", "done 3 days late", "13 days left"]}[lang]
    assert states == expected
    assert ("比此期限晚 1 天" if lang == "zh" else "1 day after this deadline") in html
    assert "1 days" not in html and "due 1" not in html and "逾期完成" not in html
    from meeting.topics.decide import Actor, allowed
    from tests.topics.test_engine import held

    t = held("a")
    state = t.do("set_implementation", {"kind": "community"})
    page = render(lang, "topics/detail.html", word=lambda kind, key: labels.word(lang, kind, key),
                  matter=lambda m: m, csrf="x", L=labels.LABELS, path="/", staff=None, topic=state, error=None,
                  allowed=allowed(state, Actor("staff", "s1"), t.now), values={},
                  settings={"publicity_days": 5, "catalogue": [], "params": {}},
                  deadlines=dues, meeting_links={}, record=None, public={"announcement": "", "results": ""},
                  documents=[], archive_url="", hideable=frozenset())
    assert [" ".join(s.split()) for s in re.findall(r'<span class="due-state">(.*?)</span>', page, re.S)] == expected


def test_staff_enter_a_topic_received_by_phone_or_in_person(site):
    """Staff register a topic that came by phone or at the office: it gets the next number, says how
    it came (the intake form's channel), and a bad channel or a supervisor's entry changes nothing."""
    from meeting.topics.documents.adapter import dossier_from_state

    client = login(site, "staff")
    page = client.get("/staff/topics/new").text
    assert 'name="received" value="phone"' in page and 'name="received" value="in_person"' in page
    token = csrf(client, "/staff/topics/new")
    assert_refused(client.post("/staff/topics/new", data={"csrf": token, **FIELDS, "received": "fax"}),
                   "topic_bad_field")
    r = client.post("/staff/topics/new", data={"csrf": token, **{**FIELDS, "name": ""}, "received": "phone"})
    assert_refused(r, "topic_missing_field")
    assert 'value="phone" required checked' in r.text  # what was chosen is kept
    assert site["topics"].store.topic_ids(site["here"].id) == []
    r = client.post("/staff/topics/new", data={"csrf": token, **FIELDS, "received": "phone"})
    assert r.status_code == 303
    topic_id = r.headers["location"].rsplit("/", 1)[1]
    state = site["client"].portal.call(site["topics"].get, topic_id)
    assert state.number == "2026-001" and state.source == "staff" and state.received == "phone"
    assert state.submitted_by == f"staff:{site['staff']['staff'].id}"
    shown = client.get(r.headers["location"]).text
    assert 'data-received="phone"' in shown and "工作人员登记（电话）" in shown
    assert dossier_from_state(state)["intake"]["channel"] == "phone"
    sup = login(site, "supervisor")
    r = sup.post("/staff/topics/new", data={"csrf": csrf(sup, "/staff/topics/new"), **FIELDS, "received": "in_person"})
    assert_refused(r, "topic_forbidden")
    assert site["topics"].store.topic_ids(site["here"].id) == [topic_id]


def test_the_intake_link_and_qr_code_and_a_rejection_on_the_proposers_page(site):
    client = login(site, "staff")
    page = client.get("/staff/topics").text
    link = f"http://testserver/c/{site['here'].id}/propose"
    assert f'href="{link}"' in page and "<svg" in page  # the community's link and its QR code, to print
    r = propose(site)
    mine_url = r.headers["location"]
    topic_id = site["topics"].store.topic_ids(site["here"].id)[0]
    client = login(site, "staff")
    url = f"/staff/topics/{topic_id}"
    assert_refused(client.post(f"{url}/do/review", data={"csrf": csrf(client, url), "decision": "rejected"}),
                   "reject_reason_required")
    r = client.post(f"{url}/do/review", data={"csrf": csrf(client, url), "decision": "rejected",
                                              "reject_reason": "five_no_private", "reason_text": "属于邻里纠纷"})
    assert r.status_code == 303
    site["client"].cookies.clear()
    mine = site["client"].get(mine_url.split("?")[0]).text
    assert "属于个体矛盾、双方纠纷的事项" in mine and "属于邻里纠纷" in mine and 'data-status="rejected"' in mine


def test_every_form_that_changes_something_carries_the_csrf_token():
    """Issue 12 item 8: CSRF protection on every form (the server checks it: the refusal tests above;
    here: no template posts a form without the token)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    missing, checked = [], 0
    for path in [*root.glob("topics/*.html"), *root.glob("public/*.html"), root / "admin.html"]:
        text = path.read_text(encoding="utf-8")
        for form in re.findall(r"<form\b.*?</form>", text, flags=re.S):
            if 'method="get"' in form.split(">", 1)[0]:
                continue
            checked += 1
            if 'name="csrf"' not in form and "csrf_field()" not in form and "_proposal_fields.html" not in form:
                missing.append((path.name, form[:80]))
    assert not missing, missing
    assert checked >= 20  # the staff topic page's forms, the intake, the comment form, the admin forms
    assert 'name="csrf"' in (root / "topics" / "_proposal_fields.html").read_text(encoding="utf-8")
