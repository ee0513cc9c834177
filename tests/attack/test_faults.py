"""Issue 10, point 7: faults are named to the person, and odd input gets a coded refusal.

- A full disk: the command is refused with ``storage_full`` ("服务器无法保存（磁盘已满），请联系管理员"),
  nothing changes, further commands are refused the same way until the database can save again,
  then everything works. (SQLite at its size limit: ``PRAGMA max_page_count``, the same SQLITE_FULL
  error a full disk gives.)
- A server that cannot open its database says so and exits non-zero.
- 10,000 levels of nested JSON to /api/meetings, speech_minutes=1e400 in the admin form, audit
  with after=2^70: coded 4xx refusals, not 500 or internal_error."""
from __future__ import annotations

import asyncio
import subprocess
import sys

import httpx
import pytest
from sqlalchemy import event as sa_event

from meeting.rules import MESSAGES, Actor, DomainError, Role
from meeting.service import Service
from meeting.store import Store
from tests.attack.raw import raw_connect
from tests.server.harness import ROOT, meeting_config


async def test_a_full_disk_is_named_and_commands_wait_until_it_can_save(tmp_path, monkeypatch):
    import meeting.live

    monkeypatch.setattr(meeting.live, "FULL_PAUSE_S", 0.2)
    store = Store(f"sqlite:///{tmp_path / 'y.db'}")
    limit = {"pages": 0}

    @sa_event.listens_for(store.engine, "connect")
    def cap(dbapi_conn, _record):  # applies to connections opened from now on
        if limit["pages"]:
            dbapi_conn.execute(f"PRAGMA max_page_count={limit['pages']}")

    service = Service(store, b"secret")
    meeting_id, _ = await service.create_meeting(meeting_config())
    rec = Actor(Role.RECORDER)
    with store.engine.connect() as c:
        pages = c.exec_driver_sql("PRAGMA page_count").scalar()
    limit["pages"] = pages
    store.engine.dispose()  # new connections get the cap: the database cannot grow
    before = (await service.get(meeting_id)).state.version
    with pytest.raises(DomainError) as info:
        await service.execute(meeting_id, rec, "add_note", {"kind": "other", "text": "长" * 4000})
    assert info.value.code == "storage_full"
    assert info.value.message_zh == "服务器无法保存（磁盘已满），请联系管理员"
    assert "disk full" in info.value.message_en
    # Refused cleanly: nothing changed, and the next command is refused the same way at once.
    assert (await service.get(meeting_id)).state.version == before == store.last_seq(meeting_id)
    with pytest.raises(DomainError) as info:
        await service.execute(meeting_id, rec, "sign_in", {"person": "s1"})
    assert info.value.code == "storage_full"
    # Space again: the next command after the pause is saved.
    limit["pages"] = 0
    store.engine.dispose()
    await asyncio.sleep(0.25)
    ack = await service.execute(meeting_id, rec, "sign_in", {"person": "s1"})
    assert ack["ok"] and store.last_seq(meeting_id) == before + 1
    store.close()


@pytest.mark.parametrize("url", ["postgresql://postgres@127.0.0.1:1/nowhere", "sqlite:////proc/no-such-dir/y.db"])
def test_a_server_that_cannot_open_its_database_says_so_and_exits_non_zero(tmp_path, url):
    env = {"YISHI_DATA": str(tmp_path), "YISHI_DATABASE_URL": url, "YISHI_ADMIN_KEY": "k", "YISHI_SECRET": "s",
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, str(ROOT / "server.py"), "--port", "1"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "database cannot be opened" in done.stderr and "无法打开数据库" in done.stderr


def test_deep_json_and_huge_numbers_get_coded_4xx(shared_server):
    auth = {**shared_server.auth(), "Content-Type": "application/json"}
    for body in ("[" * 10_000 + "]" * 10_000, '{"title":' * 5000 + '"x"' + "}" * 5000,
                 '{"title": "x", "params": {"speech_limit_ms": 1e400}}',
                 '{"title": "x", "params": {"speech_limit_ms": ' + "9" * 5000 + "}}",
                 '{"title": "x", "roster": [], "params": {"speech_limit_ms": 1180591620717411303424}}'):
        r = httpx.post(f"{shared_server.url}/api/meetings", content=body, headers=auth, timeout=10)
        assert 400 <= r.status_code < 500, (body[:60], r.status_code, r.text[:200])
        assert r.json()["error"]["code"] in MESSAGES
    assert shared_server.alive()


async def test_audit_far_past_the_end_is_a_refusal_not_an_internal_error(shared_server, meeting):
    _, tokens = meeting
    sock = await raw_connect(shared_server.url, tokens["sup"])
    try:
        for after in (2**70, -1, 2**63, 1.5, "1", True):
            ack = await sock.call("audit", {"after": after})
            assert ack["ok"] is False and ack["error"]["code"] == "bad_payload", (after, ack)
        ack = await sock.call("audit", {"after": 2**53})
        assert ack["ok"] and ack["events"] == []
        ack = await sock.call("command", {"name": "end_speech", "args": {"speech_id": 2**70}})
        assert ack["ok"] is False and ack["error"]["code"] != "internal_error", ack
    finally:
        await sock.close()


def test_speech_minutes_out_of_range_in_the_admin_form_is_a_form_error(shared_server):
    from tests.attack.test_admin_csrf import OPEN, signed_in

    client, token = signed_in(shared_server.url)
    try:
        for value in ("1e400", "inf", "nan", "-3", "0", "abc"):
            r = client.post("/admin/meetings", data={"title": "x", "roster": "张三", "speech_minutes": value,
                                                    "csrf": token})
            assert r.status_code == 400, (value, r.status_code)
            assert "“每次发言时长（分钟）”须为 0 到 1000 之间的数" in r.text, value
    finally:
        while OPEN:
            OPEN.pop().close()
    assert shared_server.alive()
