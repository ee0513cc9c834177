"""The staff topic page's records and public pages (drawn from what the service says exists at each
stage), staff moderation of the public comments (an engine event: the public page shows "hidden by
staff" in place, the log keeps the text, the implementation report counts it) and the comment
form's rate limit (per address and per topic, in the database, 429 coded in Chinese and English)."""
from __future__ import annotations

import io
import re
import warnings
import zipfile

import docx
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
from meeting.topics import service as topic_service_module
from meeting.topics.decide import Actor
from meeting.topics.public import routes as public_routes
from meeting.topics.routes import routes as topic_routes, topic_service
from meeting.topics.store import TopicStore
from tests.server.conftest import databases  # noqa: F401 - the PostgreSQL fixture
from tests.topics.test_public import PASSWORD, Clock, announced, hold_meeting, public_csrf, run, step

KINDS = ("intake", "plan", "notice", "record", "report")


def assert_refused(response, code: str, status: int = 400) -> None:
    assert response.status_code == status, response.text[:800]
    assert f'data-code="{code}"' in response.text, response.text[:2000]


@pytest.fixture
def site(tmp_path):
    yield from make_site(f"sqlite:///{tmp_path / 'y.db'}", tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_site(request, tmp_path):
    """The site on SQLite and on PostgreSQL (127.0.0.1:5432; skipped when it is not there, failed under CI)."""
    url = f"sqlite:///{tmp_path / 'y.db'}" if request.param == "sqlite" else request.getfixturevalue("databases")()
    yield from make_site(url, tmp_path)


def make_site(url: str, tmp_path):
    workdays.set_notices([])
    store = Store(url)
    clock = Clock()
    service = Service(store, b"test-secret", clock=clock)
    accounts = Accounts(store.engine, b"test-secret", "", clock=lambda: clock.now / 1000,
                        hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    here = accounts.create_community("幸福社区")
    staff = {"staff": accounts.create_staff(here.id, "zhang", "小张", "staff", PASSWORD),
             "supervisor": accounts.create_staff(here.id, "zhao", "赵监督", "supervisor", PASSWORD)}
    app = Starlette(routes=[*topic_routes(service, "http://testserver"),
                            *public_routes(service, "http://testserver")])
    app.state.accounts = accounts
    with TestClient(app, follow_redirects=False) as client:
        yield {"client": client, "accounts": accounts, "here": here, "staff": staff, "service": service,
               "clock": clock, "topics": topic_service(service), "store": store, "app": app, "path": tmp_path,
               "url": url}
    workdays.set_notices([])
    store.close()


def staff_client(site, who: str = "staff") -> TestClient:
    _staff, token = site["accounts"].login(site["staff"][who].login, PASSWORD, "127.0.0.1")
    client = site["client"]
    client.cookies.clear()
    client.cookies.set(COOKIE, token)
    return client


def links(html: str) -> dict[str, object]:
    """What the staff page links: the public pages, each record's Word/PDF (or "not formed yet")."""
    ready = dict(re.findall(r'<li data-kind="(\w+)" data-ready="([01])"', html))
    return {"announcement": re.search(r'href="(/p/\w+)" data-link="announcement"', html) is not None,
            "results": re.search(r'href="(/p/\w+/results)" data-link="results"', html) is not None,
            "ready": {k: v == "1" for k, v in ready.items()},
            "archive": 'id="archive-link"' in html}


def comment(site, topic_id: str, text: str, address: str = "testclient") -> object:
    """A resident's comment over HTTP from ``address`` (a client of its own, no staff cookie)."""
    with TestClient(site["app"], follow_redirects=False, client=(address, 50000)) as c:
        url = f"/p/{topic_id}/results"
        return c.post(url, data={"csrf": public_csrf(c, url), "text": text})


# ---- 1. the staff page links what exists at each stage ---------------------------------------------
def test_the_staff_page_links_the_records_and_public_pages_that_exist_at_each_stage(site):
    state, _ = run(site, site["topics"].submit, site["here"].id, Actor("resident"),
                   {"name": "王阿姨", "contact": "13812345678", "building": "3幢", "category": "building",
                    "title": "3幢加装电梯", "description": "费用如何分摊？"})
    client = staff_client(site)
    url = f"/staff/topics/{state.id}"
    seen = links(client.get(url).text)
    assert seen["ready"] == {"intake": True, "plan": False, "notice": False, "record": False, "report": False}
    assert not seen["announcement"] and not seen["results"] and seen["archive"]
    # a record whose stage has not come is refused by the download too, coded (the page and the route agree)
    r = client.get(f"{url}/documents/plan.pdf")
    assert r.status_code == 409 and r.json()["error"]["code"] == "document_not_ready"
    assert "尚未形成" in r.json()["error"]["message_zh"] and "does not exist yet" in r.json()["error"]["message_en"]

    topic_id = announced_from(site, state.id)
    client = staff_client(site)  # the test's clock moved hours on: a fresh session
    page = client.get(url)
    assert page.status_code == 200, page.text[:3000]
    seen = links(page.text)
    assert seen["ready"] == {"intake": True, "plan": True, "notice": True, "record": False, "report": False}
    assert seen["announcement"] and not seen["results"]
    hold_meeting(site, topic_id)
    client = staff_client(site)
    seen = links(client.get(url).text)
    assert seen["ready"]["record"] and not seen["ready"]["report"]
    step(site, topic_id, "record_outcome", after_ms=600_000)
    client = staff_client(site)
    html = client.get(url).text
    seen = links(html)
    assert all(seen["ready"].values()) and seen["announcement"] and seen["results"]
    # every link the page draws answers
    for href in re.findall(r'href="(/(?:p|staff/topics)/[^"]+)"', html):
        if "/do/" in href or "/j/" in href:
            continue
        assert client.get(href).status_code == 200, href
    z = zipfile.ZipFile(io.BytesIO(client.get(f"{url}/archive.zip").content))
    assert sum(1 for n in z.namelist() if n.endswith((".docx", ".pdf"))) == 10


def announced_from(site, topic_id: str) -> str:
    from tests.topics.test_public import PLAN, REVIEW

    step(site, topic_id, "review", REVIEW)
    step(site, topic_id, "draft_plan", PLAN)
    step(site, topic_id, "approve_plan")
    step(site, topic_id, "announce", {"channels": ["board"]})
    return topic_id


def test_the_archive_lists_the_records_not_formed_yet_as_missing(site):
    state, _ = run(site, site["topics"].submit, site["here"].id, Actor("resident"),
                   {"name": "王阿姨", "contact": "13812345678", "category": "building", "title": "路灯",
                    "description": "路灯坏了"})
    client = staff_client(site)
    z = zipfile.ZipFile(io.BytesIO(client.get(f"/staff/topics/{state.id}/archive.zip").content))
    folder = z.namelist()[0].split("/")[0] + "/"
    import json

    manifest = json.loads(z.read(folder + "manifest.json"))
    assert [f["kind"] for f in manifest["files"]] == ["intake", "intake"]
    assert [m["kind"] for m in manifest["missing"]] == ["plan", "notice", "record", "report"]


# ---- 2. moderation ---------------------------------------------------------------------------------
def results_with_comments(site) -> str:
    topic_id = announced(site)
    hold_meeting(site, topic_id)
    step(site, topic_id, "record_outcome", after_ms=600_000)
    assert comment(site, topic_id, "支持，请尽快施工", "10.0.0.1").status_code == 303
    assert comment(site, topic_id, "某某是骗子，电话 139…", "10.0.0.2").status_code == 303
    return topic_id


def test_staff_hide_a_comment_with_a_reason_and_the_public_page_says_so_in_its_place(site):
    topic_id = results_with_comments(site)
    client = staff_client(site)
    url = f"/staff/topics/{topic_id}"
    html = client.get(url).text
    assert 'id="form-hide_comment-1"' in html and 'id="form-hide_comment-2"' in html
    token = re.search(r'name="csrf" value="([^"]+)"', html).group(1)

    def hide(**data):
        return client.post(f"{url}/do/hide_comment", data={"csrf": token, **data})

    assert_refused(hide(comment="2", reason=""), "topic_missing_field")
    assert_refused(hide(comment="9", reason="人身攻击"), "unknown_comment")
    assert_refused(hide(comment="2", reason="长" * 201), "topic_text_too_long")
    forged = client.post(f"{url}/do/hide_comment", data={"csrf": "forged", "comment": "2", "reason": "x"})
    assert forged.status_code == 403 and "csrf_failed" in forged.text and "表单已过期" in forged.text
    assert not any(c.hidden for c in run(site, site["topics"].get, topic_id).comments)  # nothing changed
    assert hide(comment="2", reason="含人身攻击和电话号码").status_code == 303
    assert_refused(hide(comment="2", reason="再次"), "comment_already_hidden")
    page = client.get(url).text
    assert 'id="form-hide_comment-2"' not in page and 'id="form-hide_comment-1"' in page
    assert "含人身攻击和电话号码" in page and 'data-hidden="1"' in page

    public = site["client"].get(f"/p/{topic_id}/results").text
    assert "某某是骗子" not in public and "139" not in public
    assert "此条意见已由工作人员隐藏" in public and "含人身攻击和电话号码" in public
    assert "支持，请尽快施工" in public and "其中 1 条已由工作人员隐藏" in public
    english = site["client"].get(f"/p/{topic_id}/results?lang=en").text
    assert "Hidden by staff." in english and "某某是骗子" not in english

    # the record of hiding stays in the log, with the comment's text
    events = run(site, site["topics"].events, topic_id)
    assert [e.type for e in events].count("comment_added") == 2
    hidden = [e for e in events if e.type == "comment_hidden"]
    assert len(hidden) == 1 and hidden[0].payload == {"comment": 2, "reason": "含人身攻击和电话号码"}
    assert any("某某是骗子" in e.payload.get("text", "") for e in events)

    # the implementation report counts it and prints the reason, not the text
    report = client.get(f"{url}/documents/report.docx")
    text = "\n".join(c.text for t in docx.Document(io.BytesIO(report.content)).tables for row in t.rows
                     for c in row.cells)
    assert "共收到意见 2 条，其中 1 条已由工作人员隐藏" in text
    assert "含人身攻击和电话号码" in text and "某某是骗子" not in text and "支持，请尽快施工" in text


def test_a_supervisor_may_not_hide_a_comment(site):
    topic_id = results_with_comments(site)
    client = staff_client(site, "supervisor")
    url = f"/staff/topics/{topic_id}"
    html = client.get(url).text
    assert "form-hide_comment" not in html
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/staff/topics/new").text).group(1)
    r = client.post(f"{url}/do/hide_comment", data={"csrf": token, "comment": "1", "reason": "不喜欢"})
    assert_refused(r, "topic_forbidden")
    assert not run(site, site["topics"].get, topic_id).comments[0].hidden


# ---- 3. the rate limit ------------------------------------------------------------------------------
def test_one_address_may_send_only_so_many_comments_in_the_window(db_site):
    site = db_site
    topic_id = announced(site)
    hold_meeting(site, topic_id)
    step(site, topic_id, "record_outcome", after_ms=600_000)
    limit = topic_service_module.COMMENTS_PER_ADDRESS
    for n in range(limit):
        assert comment(site, topic_id, f"意见{n}", "10.1.1.1").status_code == 303
    r = comment(site, topic_id, "再来一条", "10.1.1.1")
    assert_refused(r, "comments_too_fast", 429)
    assert "您提交意见过于频繁" in r.text and "You have sent too many comments" in r.text
    assert int(r.headers["retry-after"]) > 0
    assert "再来一条" in r.text  # what was typed comes back
    assert len(run(site, site["topics"].get, topic_id).comments) == limit  # nothing changed
    # another address is not held up; the first one is admitted again once the window has passed
    assert comment(site, topic_id, "邻居的意见", "10.1.1.2").status_code == 303
    site["clock"].now += topic_service_module.COMMENT_WINDOW_MS + 1000
    assert comment(site, topic_id, "过了一阵再提", "10.1.1.1").status_code == 303
    assert len(run(site, site["topics"].get, topic_id).comments) == limit + 2


def test_a_topic_takes_only_so_many_comments_in_the_window_from_all_addresses(db_site, monkeypatch):
    site = db_site
    monkeypatch.setattr(topic_service_module, "COMMENTS_PER_TOPIC", 3)
    topic_id = announced(site)
    hold_meeting(site, topic_id)
    step(site, topic_id, "record_outcome", after_ms=600_000)
    for n in range(3):
        assert comment(site, topic_id, f"意见{n}", f"10.2.0.{n}").status_code == 303
    r = comment(site, topic_id, "第四个地址", "10.2.0.9")
    assert_refused(r, "comments_busy", 429)
    assert "本议题刚刚收到大量意见" in r.text and "very many comments" in r.text
    assert len(run(site, site["topics"].get, topic_id).comments) == 3


def test_the_rate_limit_holds_across_worker_processes_on_one_database(db_site):
    """Two stores on one database (two workers, each its own engine and pool): what one admitted
    counts for the other; a refused attempt is not counted; the address is stored only as a keyed hash."""
    site = db_site
    a = TopicStore(site["store"].engine)
    other = Store(site["url"])  # the second worker's own engine (SQLite file or PostgreSQL database)
    b = TopicStore(other.engine)
    now, window = 10_000_000, 600_000
    for n in range(3):
        assert (a if n % 2 else b).admit_comment("t1", "addr-hash", now + n, window, 3, 100) is None
    refused = b.admit_comment("t1", "addr-hash", now + 5, window, 3, 100)
    assert refused is not None and refused[0] == "address" and 0 < refused[1] <= window
    assert a.admit_comment("t1", "addr-hash", now + 6, window, 3, 100)[0] == "address"
    assert a.admit_comment("t1", "addr-hash", now + window + 1, window, 3, 100) is None  # the oldest left
    key = site["topics"].address_key("10.9.9.9")
    assert "10.9.9.9" not in key and len(key) == 64
    other.close()


def test_attempts_at_once_from_many_connections_never_admit_more_than_the_limit(db_site):
    """Twelve attempts from one address at the same moment, each on a connection of its own (half
    on each of two workers' engines): at most the limit is admitted, and what was admitted is
    exactly what stays counted (a refused attempt takes its row back)."""
    import threading

    from sqlmodel import Session, func, select

    from meeting.topics.store import TopicCommentHitRow

    site = db_site
    other = Store(site["url"])
    stores = [TopicStore(site["store"].engine), TopicStore(other.engine)]
    now, window, limit, tries = 20_000_000, 600_000, 5, 12
    barrier = threading.Barrier(tries)
    answers: list[object] = []
    failures: list[BaseException] = []

    def attempt(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            answers.append(stores[n % 2].admit_comment("t9", "one-address", now, window, limit, 1000))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(tries)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not failures, failures
    admitted = sum(1 for a in answers if a is None)
    assert len(answers) == tries and admitted <= limit  # may refuse too many at once, never admits too many
    assert all(a is None or a[0] == "address" for a in answers)

    def kept() -> int:
        with Session(site["store"].engine) as s:
            return int(s.exec(select(func.count()).select_from(TopicCommentHitRow).where(
                TopicCommentHitRow.address == "one-address")).one())

    assert kept() == admitted
    # the refused ones took their rows back: one at a time, the address gets exactly up to the limit
    for n in range(limit - admitted):
        assert stores[n % 2].admit_comment("t9", "one-address", now + 1 + n, window, limit, 1000) is None
    assert stores[0].admit_comment("t9", "one-address", now + 100, window, limit, 1000)[0] == "address"
    assert kept() == limit
    other.close()


def test_staff_open_the_next_round_from_the_topic_page(site):
    """Class c: the staff page's re-consult form opens the linked round (the service once refused
    every re-consultation: the engine was asked before the new round had an id)."""
    topic_id = announced(site)
    hold_meeting(site, topic_id, ("yes", "no", "no"), "c", when="明年开春", terms="先做安全评估")
    step(site, topic_id, "record_outcome", after_ms=600_000)
    client = staff_client(site)
    url = f"/staff/topics/{topic_id}"
    page = client.get(url).text
    assert 'id="form-reconsult"' in page and 'id="form-escalate"' not in page
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = client.post(f"{url}/do/reconsult", data={"csrf": token})
    assert r.status_code == 303, r.text[:800]
    earlier = client.get(url).text
    assert 'data-status="reconsulted"' in earlier
    new_id = re.search(r'<a href="/staff/topics/(\w+)">', earlier.split('data-status="reconsulted"')[1]).group(1)
    new = client.get(f"/staff/topics/{new_id}").text
    assert 'data-status="approved"' in new and "先做安全评估" in new and 'id="form-draft_plan"' in new
    assert_refused(client.post(f"{url}/do/reconsult", data={"csrf": token}), "already_reconsulted")
