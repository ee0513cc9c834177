"""The public pages of a topic over HTTP (meeting/topics/public.py), on the real TopicService and
meeting Service: the announcement (once announced; a QR code, OpenGraph tags, the A4 notice, no
contact data), the results page (the outcome from the meeting's record, the comment form while
the engine accepts comments, refusals coded in Chinese and English that change nothing), and the
staff downloads of the records and the archive (own community only)."""
from __future__ import annotations

import hashlib
import io
import re
import subprocess
import warnings
import zipfile
from datetime import datetime

import pytest
from argon2 import PasswordHasher
from starlette.applications import Starlette

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from meeting import workdays
from meeting.accounts import COOKIE, Accounts
from meeting.rules import Actor as MeetingActor, Role
from meeting.service import Service
from meeting.store import Store
from meeting.topics.catalogue import DEFAULT_ENTRIES
from meeting.topics.decide import CHINA, DAY_MS, Actor
from meeting.topics.public import routes as public_routes
from meeting.topics.routes import topic_service

PASSWORD = "correct horse battery"
CONTACT = "13812345678"
START = int(datetime(2026, 11, 2, 9, tzinfo=CHINA).timestamp() * 1000)
STAFF = Actor("staff", "s1")
FIELDS = {"name": "王阿姨", "contact": CONTACT, "building": "3幢", "category": "building",
          "title": "3幢加装电梯", "description": "3幢想加装电梯，费用如何分摊？"}
REVIEW = {"decision": "approved", "matter": DEFAULT_ENTRIES[0], "scope": "on", "feasible": "on", "track": "in_depth",
          "convener": "李书记", "recorder": "小张", "guide": "街道老陈"}
PLAN = {"scheduled_at": "2026-11-20T19:00", "place": "社区议事厅", "form": "onsite", "moderator": "李书记",
        "recorder": "小张", "items": ["是否加装电梯"], "params": {},
        "participants": [{"name": "王阿姨", "category": "proposer"}, {"name": "赵师傅", "category": "stakeholder"},
                         {"name": "钱老师", "category": "stakeholder"}, {"name": "林监督", "category": "supervisor"}]}


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> int:
        return self.now


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
    staff = {"staff": accounts.create_staff(here.id, "zhang", "小张", "staff", PASSWORD),
             "supervisor": accounts.create_staff(here.id, "zhao", "赵监督", "supervisor", PASSWORD),
             "other": accounts.create_staff(there.id, "li", "李主任", "admin", PASSWORD)}
    app = Starlette(routes=public_routes(service, "http://testserver"))
    app.state.accounts = accounts
    with TestClient(app, follow_redirects=False) as client:
        yield {"client": client, "accounts": accounts, "here": here, "staff": staff, "service": service,
               "clock": clock, "topics": topic_service(service), "store": store}
    workdays.set_notices([])
    store.close()


def run(site, fn, *args):
    """An async call of the services on the app's own event loop."""
    return site["client"].portal.call(fn, *args)


def step(site, topic_id: str, command: str, args: dict | None = None, after_ms: int = 3600_000):
    site["clock"].now += after_ms
    return run(site, site["topics"].execute, site["here"].id, STAFF, command, {"topic": topic_id, **(args or {})})


def announced(site) -> str:
    state, _token = run(site, site["topics"].submit, site["here"].id, Actor("resident"), FIELDS)
    step(site, state.id, "review", REVIEW)
    step(site, state.id, "draft_plan", PLAN)
    step(site, state.id, "approve_plan")
    step(site, state.id, "announce", {"channels": ["board", "wechat"]})
    return state.id


def hold_meeting(site, topic_id: str, choices: tuple[str, ...] = ("yes", "yes", "no"), outcome: str = "a",
                 **details: str) -> None:
    """The live meeting the plan created, held quickly through the meeting Service: three voters sign
    in, adopt the rules, vote on the item (``choices``), the outcome is declared (class a by default,
    with its implementation opinion) and the meeting ends."""
    service = site["service"]
    state = run(site, site["topics"].get, topic_id)
    mid = state.plan.meeting_id
    site["clock"].now = int(datetime(2026, 11, 20, 19, tzinfo=CHINA).timestamp() * 1000)
    voters = ["p1", "p2", "p3"]  # the roster the plan made: p<n> in the plan's order (topics.decide.meeting_config)
    mod = MeetingActor(Role.MODERATOR)

    def do(actor, name, **args):
        site["clock"].now += 5000
        return run(site, service.execute, mid, actor, name, args)

    for pid in voters:
        do(MeetingActor(Role.PARTICIPANT, pid), "sign_in")
    do(mod, "present_rules")
    do(mod, "open_vote", kind="rules")
    for pid in voters:
        do(MeetingActor(Role.PARTICIPANT, pid), "cast_vote", choice="yes")
    do(mod, "close_vote")
    do(mod, "declare_open")
    do(mod, "begin_item", item=0)
    do(mod, "open_vote", kind="item")
    for pid, choice in zip(voters, choices, strict=True):
        do(MeetingActor(Role.PARTICIPANT, pid), "cast_vote", choice=choice)
    do(mod, "close_vote")
    if outcome == "a" and not details:
        details = {"what": "申报加装电梯", "who": "社区居委会", "by_when": "2027-03-31"}
    do(mod, "declare_outcome", item=0, outcome=outcome, **details)
    do(mod, "end_meeting")


def results_ready(site) -> str:
    topic_id = announced(site)
    hold_meeting(site, topic_id)
    step(site, topic_id, "record_outcome", after_ms=600_000)
    return topic_id


def public_csrf(client: TestClient, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200, page.text[:500]
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def assert_refused(response, code: str, status: int) -> None:
    assert response.status_code == status, response.text[:800]
    assert f'data-code="{code}"' in response.text, response.text[:2000]


# ---- the announcement ------------------------------------------------------------------------------
def test_nothing_is_public_before_the_announcement(site):
    state, _ = run(site, site["topics"].submit, site["here"].id, Actor("resident"), FIELDS)
    client = site["client"]
    for url in (f"/p/{state.id}", f"/p/{state.id}/results", f"/p/{state.id}/notice.pdf", "/p/nosuchtopic",
                "/p/%00%01", "/p/" + "a" * 300):
        r = client.get(url)
        assert_refused(r, "topic_not_found", 404)
        assert "议题不存在" in r.text and "No such topic" in r.text
        assert "3幢加装电梯" not in r.text


def test_the_announcement_page_has_what_the_standard_names_and_no_contact_data(site):
    topic_id = announced(site)
    r = site["client"].get(f"/p/{topic_id}")
    assert r.status_code == 200
    page = r.text
    for s in ("3幢加装电梯", "2026-11-20 19:00", "社区议事厅", "线下协商（现场）", "深入议", "李书记", "小张",
              "街道老陈", "赵师傅", "钱老师", "林监督", "幸福社区", "协商议题建议和审核表",
              "（公示件：已隐去联系方式）",
              "<svg"):
        assert s in page, s
    assert CONTACT not in page and "3幢想加装电梯" in page
    assert "staff:s1" not in page  # an event's actor (an account id) is never printed as a name
    assert DEFAULT_ENTRIES[0] in page  # the catalogue entry the reviewer picked
    assert f'<meta property="og:url" content="http://testserver/p/{topic_id}">' in page
    assert '<meta property="og:title" content="协商事宜公告：3幢加装电梯">' in page
    assert "<script" not in page  # nothing to run: opens fast in a chat app's browser
    english = site["client"].get(f"/p/{topic_id}?lang=en").text
    assert "People taking part" in english and "Announcement of a community consultation" in english


def test_the_a4_notice_downloads_as_pdf_and_word_without_contact_data(site, tmp_path):
    topic_id = announced(site)
    r = site["client"].get(f"/p/{topic_id}/notice.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert r.headers["content-type"] == "application/pdf" and "attachment" in r.headers["content-disposition"]
    (tmp_path / "n.pdf").write_bytes(r.content)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "n.pdf"), "-"], capture_output=True,
                          check=True, text=True).stdout.replace("\n", "")
    assert "协商事宜公告" in text and "社区议事厅" in text and f"http://testserver/p/{topic_id}" in text
    assert CONTACT not in text
    word = site["client"].get(f"/p/{topic_id}/notice.docx")
    assert word.status_code == 200 and word.content[:2] == b"PK"
    assert site["client"].get(f"/p/{topic_id}/notice.exe").status_code == 404


# ---- the results and the comments ----------------------------------------------------------------
def test_results_page_shows_the_outcome_and_takes_a_comment(site):
    topic_id = results_ready(site)
    client = site["client"]
    url = f"/p/{topic_id}/results"
    page = client.get(url).text
    assert "是否加装电梯" in page and "同意" in page and "申报加装电梯" in page
    assert 'data-testid="comment-form"' in page
    assert '<meta property="og:title" content="协商结果公示：3幢加装电梯">' in page
    token = public_csrf(client, url)
    r = client.post(url, data={"csrf": token, "name": "3幢居民", "text": "支持，请尽快施工"})
    # POST-redirect-GET: the address carries no "?sent=1"; the thank-you shows once (a one-time
    # cookie of this page's path), and a reload or another visitor does not see it
    assert r.status_code == 303 and r.headers["location"] == f"{url}#comments"
    assert "yishi_sent=" in r.headers["set-cookie"] and f"Path={url}" in r.headers["set-cookie"]
    page = client.get(url).text
    assert "支持，请尽快施工" in page and "3幢居民" in page and 'data-testid="comment-sent"' in page
    again = client.get(url).text
    assert "支持，请尽快施工" in again and 'data-testid="comment-sent"' not in again
    assert 'data-testid="comment-sent"' not in client.get(url + "?sent=1").text  # the old address shows nothing
    assert len(run(site, site["topics"].get, topic_id).comments) == 1
    assert CONTACT not in page


def test_bad_comments_are_refused_coded_and_change_nothing(site):
    topic_id = results_ready(site)
    client = site["client"]
    url = f"/p/{topic_id}/results"
    token = public_csrf(client, url)
    r = client.post(url, data={"csrf": "forged", "text": "伪造"})
    assert_refused(r, "csrf_failed", 403)
    assert "表单已过期" in r.text and "out of date" in r.text
    r = client.post(url, data={"csrf": token, "text": "跨站"}, headers={"origin": "https://evil.example"})
    assert_refused(r, "csrf_failed", 403)
    assert_refused(client.post(url, data={"csrf": token, "text": ""}), "topic_missing_field", 400)
    r = client.post(url, data={"csrf": token, "text": "长" * 501})
    assert_refused(r, "topic_text_too_long", 400)
    assert "长" * 501 in r.text  # what was typed comes back in the form
    big = client.post(url, content=b"csrf=" + token.encode() + b"&text=" + b"x" * 20000,
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert big.status_code == 400
    assert run(site, site["topics"].get, topic_id).comments == ()
    assert client.get(url).status_code == 200  # the server keeps serving


def test_after_the_publicity_period_the_result_is_final_and_comments_are_refused(site):
    topic_id = results_ready(site)
    client = site["client"]
    url = f"/p/{topic_id}/results"
    token = public_csrf(client, url)
    until = run(site, site["topics"].get, topic_id).outcome.publicity_until
    site["clock"].now = until + DAY_MS
    page = client.get(url).text
    assert 'data-testid="comment-form"' not in page and "协商结果已确定" in page
    r = client.post(url, data={"csrf": token, "text": "晚到的意见"})
    assert_refused(r, "publicity_closed", 409)
    assert "公示期已结束" in r.text and "The public comment period is over" in r.text
    assert run(site, site["topics"].get, topic_id).comments == ()


# ---- the staff downloads -------------------------------------------------------------------------
def login(site, who: str) -> None:
    _staff, token = site["accounts"].login(site["staff"][who].login, PASSWORD, "127.0.0.1")
    site["client"].cookies.clear()
    site["client"].cookies.set(COOKIE, token)


def test_staff_download_the_records_and_the_archive_of_their_own_community_only(site):
    topic_id = results_ready(site)
    client = site["client"]
    client.cookies.clear()
    r = client.get(f"/staff/topics/{topic_id}/archive.zip")
    assert r.status_code == 303 and "/admin" in r.headers["location"]  # nobody signed in: to the login
    login(site, "other")
    r = client.get(f"/staff/topics/{topic_id}/archive.zip")
    assert r.status_code == 404 and r.json()["error"]["code"] == "topic_not_found"
    login(site, "supervisor")
    r = client.get(f"/staff/topics/{topic_id}/documents/intake.docx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert CONTACT.encode() not in r.content  # zipped: look inside
    import docx

    text = "\n".join(c.text for t in docx.Document(io.BytesIO(r.content)).tables for row in t.rows for c in row.cells)
    assert CONTACT in text  # the staff copy of the intake form keeps the contact
    r = client.get(f"/staff/topics/{topic_id}/documents/record.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert client.get(f"/staff/topics/{topic_id}/documents/nothing.pdf").status_code == 404
    r = client.get(f"/staff/topics/{topic_id}/archive.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.content))
    names = z.namelist()
    folder = names[0].split("/")[0] + "/"
    assert folder.startswith("2026-001-")
    sums = dict(reversed(line.split("  ", 1)) for line in z.read(folder + "manifest.sha256").decode().splitlines())
    assert len(sums) == 11  # five records in Word and PDF, and the meeting's event log
    for name, digest in sums.items():
        assert hashlib.sha256(z.read(folder + name)).hexdigest() == digest


def test_the_record_is_refused_before_the_meeting_has_ended(site):
    topic_id = announced(site)
    login(site, "staff")
    r = site["client"].get(f"/staff/topics/{topic_id}/documents/record.docx")
    assert r.status_code == 409 and r.json()["error"]["code"] == "meeting_not_ended"
    r = site["client"].get(f"/staff/topics/{topic_id}/documents/notice.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


# ---- re-consultation (class c) and escalation (class d) over the real services -----------------------
def test_a_re_consultation_opens_a_linked_round_whose_meeting_names_the_earlier_one(site):
    topic_id = announced(site)
    hold_meeting(site, topic_id, ("yes", "no", "no"), "c", when="2027年春节后", terms="先做结构安全评估")
    step(site, topic_id, "record_outcome", after_ms=600_000)
    first = run(site, site["topics"].get, topic_id)
    assert [i.outcome for i in first.outcome.items] == ["c"]
    earlier = step(site, topic_id, "reconsult")
    assert earlier.status == "reconsulted" and earlier.next_round and earlier.next_number == "2026-002"
    new = run(site, site["topics"].get, earlier.next_round)
    assert new.status == "approved" and new.source == "reconsult" and new.number == "2026-002"
    assert new.previous.topic_id == topic_id and new.previous.meeting_id == first.plan.meeting_id
    assert dict(new.previous.items[0].details)  # the earlier round's record (the re-consult terms) is carried
    assert "先做结构安全评估" in str(new.previous.items[0].details)
    # its plan creates a meeting that names the earlier meeting (003: repeated rounds)
    step(site, new.id, "draft_plan", {**PLAN, "scheduled_at": "2026-12-10T19:00"})
    planned = step(site, new.id, "approve_plan")
    live = run(site, site["service"].get, planned.plan.meeting_id).state
    assert live.config["previous_meeting"] == first.plan.meeting_id
    # the public results page of the first round says a new round was opened, with its number
    page = site["client"].get(f"/p/{topic_id}/results").text
    assert 'data-testid="pub-reconsulted"' in page and "2026-002" in page
    assert "先做结构安全评估" in page
    assert f'href="/p/{new.id}"' not in page  # not announced yet: no link to a page that does not exist
    step(site, new.id, "announce", {"channels": ["board"]})
    assert f'href="/p/{new.id}"' in site["client"].get(f"/p/{topic_id}/results").text


def test_an_escalated_item_is_marked_as_handed_to_the_residents_decision_procedure(site):
    topic_id = announced(site)
    hold_meeting(site, topic_id, ("yes", "yes", "no"), "d", note="涉及全体居民，提交居民会议")
    step(site, topic_id, "record_outcome", after_ms=600_000)
    state = step(site, topic_id, "escalate", {"note": "提交居民会议表决"})
    assert state.status == "escalated" and state.escalated_at is not None
    page = site["client"].get(f"/p/{topic_id}/results").text
    assert 'data-testid="pub-escalated"' in page and "五议两公开" in page
