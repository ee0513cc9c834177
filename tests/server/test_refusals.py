"""Refusals over the wire, against a real server process.

Every refusal is answered with a coded, bilingual error in the ack, changes nothing (the
meeting's version and view from a fresh ``sync`` are the same before and after), and leaves the
server up: /healthz answers and a later valid command still goes through.
"""
from __future__ import annotations

import asyncio
import json
import re

import httpx
import pytest
import socketio

from meeting.client import LiveClient
from tests.server.harness import ADMIN_KEY, ServerProcess, meeting_config
from tests.server.rooms import Room, to_debate

CJK = re.compile(r"[\u4e00-\u9fff]")


# ---- fixtures and helpers ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """One server for the module: each test makes its own meeting and its own connections."""
    server = ServerProcess(tmp_path_factory.mktemp("refusals")).start()
    yield server
    server.stop()


async def fresh(witness: LiveClient) -> dict:
    ack = await witness.call("sync")
    assert ack["ok"], ack
    return ack["snapshot"]


async def refused_without_change(room: Room, code: str, send) -> dict:
    """Run ``send()`` (a coroutine giving an ack); it must be refused with ``code`` and the
    meeting, as a fresh ``sync`` snapshot shows it, must be exactly as before."""
    before = await room.snapshot()
    ack = await send()
    assert_refused(ack, code)
    after = await room.snapshot()
    assert after["version"] == before["version"], f"{code}: the version moved"
    assert after["view"] == before["view"], f"{code}: the view changed"
    return ack


def assert_refused(ack: dict, code: str) -> None:
    assert isinstance(ack, dict) and ack.get("ok") is False, ack
    err = ack["error"]
    assert err["code"] == code, ack
    assert isinstance(err["message_en"], str) and err["message_en"], ack
    assert isinstance(err["message_zh"], str) and CJK.search(err["message_zh"]), ack
    assert isinstance(err["details"], dict), ack


def assert_up(server: ServerProcess) -> None:
    r = httpx.get(f"{server.url}/healthz", timeout=5)
    assert r.status_code == 200 and r.json()["ok"] is True


# ---- malformed payloads -----------------------------------------------------------------------
MALFORMED = {
    # the command message itself is not an object
    "data-is-a-string": ("raise_hand", "bad_payload"),
    "data-is-a-list": (["raise_hand", {"stance": "for"}], "bad_payload"),
    "data-is-a-number": (42, "bad_payload"),
    "data-is-true": (True, "bad_payload"),
    # args
    "args-is-a-list": ({"id": "m1", "name": "sign_in", "args": ["room"]}, "bad_payload"),
    "args-is-a-string": ({"id": "m1", "name": "sign_in", "args": "room"}, "bad_payload"),
    "args-is-a-number": ({"id": "m1", "name": "sign_in", "args": 7}, "bad_payload"),
    # names
    "unknown-command": ({"id": "m1", "name": "delete_meeting", "args": {}}, "unknown_command"),
    "name-missing": ({"id": "m1", "args": {}}, "unknown_command"),
    "name-is-a-number": ({"id": "m1", "name": 3, "args": {}}, "unknown_command"),
    "internal-tick-command": ({"id": "m1", "name": "tick", "args": {}}, "forbidden_role"),
    # arg types and values
    "channel-is-a-number": ({"id": "m1", "name": "sign_in", "args": {"channel": 1}}, "bad_payload"),
    "channel-not-a-choice": ({"id": "m1", "name": "sign_in", "args": {"channel": "fax"}}, "bad_payload"),
    "person-is-an-object": ({"id": "m1", "name": "sign_in", "args": {"person": {"id": "s2"}}}, "bad_payload"),
    # a field the command does not have, inside args and beside it
    "unexpected-arg": ({"id": "m1", "name": "sign_in", "args": {"channel": "room", "admin": True}}, "bad_payload"),
    "unexpected-field": ({"id": "m1", "name": "sign_in", "args": {}, "sudo": True}, "bad_payload"),
    # the client's command id
    "id-is-a-number": ({"id": 12345, "name": "sign_in", "args": {}}, "bad_payload"),
    "id-is-empty": ({"id": "", "name": "sign_in", "args": {}}, "bad_payload"),
    "id-is-too-long": ({"id": "x" * 65, "name": "sign_in", "args": {}}, "bad_payload"),
    "id-is-a-list": ({"id": ["a"], "name": "sign_in", "args": {}}, "bad_payload"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
async def test_a_malformed_command_from_a_phone_is_refused_with_a_code_and_changes_nothing(rooms, srv, case):
    payload, code = MALFORMED[case]
    room = rooms(srv)
    await room.join("moderator")
    phone = await room.join("s1")

    await refused_without_change(room, code, lambda: phone.call("command", payload))

    assert_up(srv)
    # the same phone, on the same connection, can still sign in properly afterwards
    ack = await phone.do("sign_in", channel="room")
    await phone.wait_for(lambda: phone.me["signed_in"])
    assert ack["version"] == 2


async def test_a_command_without_any_payload_is_an_unknown_command(rooms, srv):
    room = rooms(srv)
    phone = await room.join("s1")
    ack = await refused_without_change(room, "unknown_command", lambda: phone.sio.call("command", timeout=5))
    assert ack["error"]["details"] == {"command": "None"}


async def test_a_message_with_two_arguments_is_refused_with_bad_payload_not_left_unanswered(rooms, srv):
    room = rooms(srv)
    phone = await room.join("s1")
    try:
        ack = await phone.sio.call("command", ({"id": "t1", "name": "sign_in", "args": {}}, "extra"), timeout=2)
    except socketio.exceptions.TimeoutError:
        ack = None
    assert_up(srv)
    assert ack is not None, "no answer at all"
    assert_refused(ack, "bad_payload")


MISSING_OR_WRONG_ARGS = [
    # (who, name, args, code)
    ("moderator", "open_vote", {}, "bad_payload"),  # kind is required
    ("moderator", "open_vote", {"kind": ""}, "bad_payload"),
    ("moderator", "open_vote", {"kind": "rules", "mode": 3}, "bad_payload"),
    ("moderator", "begin_item", {"item": "0"}, "bad_payload"),
    ("moderator", "begin_item", {"item": 1.5}, "bad_payload"),
    ("moderator", "begin_item", {"item": True}, "bad_payload"),
    ("moderator", "begin_item", {"item": -1}, "bad_payload"),
    ("moderator", "amend_rules", {"params": [1, 2]}, "bad_payload"),
    ("moderator", "amend_rules", {"params": {"speeches_per_item": "many"}}, "bad_rules"),
    ("recorder", "enter_hand_count", {"choice": "yes"}, "bad_payload"),  # count missing
    ("recorder", "enter_hand_count", {"choice": "yes", "count": 10**9}, "bad_payload"),
    ("recorder", "write_summary", {"speech_id": 1}, "bad_payload"),  # text missing
    ("recorder", "write_summary", {"speech_id": 1, "text": "   "}, "bad_payload"),  # blank text
    ("recorder", "sign_in", {"person": "nobody"}, "unknown_person"),
    ("recorder", "sign_in", {"person": "s5", "channel": "room"}, "bad_channel"),
]


@pytest.mark.parametrize("who,name,args,code", MISSING_OR_WRONG_ARGS,
                         ids=[f"{w}-{n}-{c}-{i}" for i, (w, n, _, c) in enumerate(MISSING_OR_WRONG_ARGS)])
async def test_staff_commands_with_missing_or_mistyped_args_are_refused_and_change_nothing(
        rooms, srv, who, name, args, code):
    room = rooms(srv)
    mod = await room.join("moderator")
    sender = mod if who == "moderator" else await room.join(who)

    await refused_without_change(room, code, lambda: sender.call("command", {"id": "x1", "name": name, "args": args}))

    assert_up(srv)
    await mod.do("present_rules")


async def test_sync_and_audit_with_malformed_payloads_are_refused(rooms, srv):
    room = rooms(srv)
    mod, sup = await room.join("moderator"), await room.join("sup")
    for payload in ("now", [1], 5):
        assert_refused(await sup.call("sync", payload), "bad_payload")
        assert_refused(await sup.call("audit", payload), "bad_payload")
    for bad in ({"after": -1}, {"after": "0"}, {"limit": 1.5}, {"limit": True}):
        assert_refused(await sup.call("audit", bad), "bad_payload")
    audit = await sup.call("audit", {"after": 0, "limit": 10})
    assert audit["ok"] and [e["type"] for e in audit["events"]] == ["meeting_created"]
    assert (await fresh(mod))["version"] == 1
    assert_up(srv)


# ---- unknown events and oversized messages ----------------------------------------------------
async def test_an_unknown_socket_event_gets_unknown_event_and_the_connection_keeps_working(rooms, srv):
    room = rooms(srv)
    mod, phone = await room.join("moderator"), await room.join("s1")
    for event, data in (("drop_table", {}), ("cmd", {"name": "sign_in"}), ("snapshot", None), ("x" * 200, [1, 2])):
        ack = await refused_without_change(room, "unknown_event",
                                           lambda event=event, data=data: phone.call(event, data))
        assert ack["error"]["details"]["event"] == event[:40]
    assert_up(srv)
    await phone.do("sign_in")
    await mod.wait_for(lambda: "s1" in mod.view["present"])


async def test_a_summary_longer_than_4000_characters_is_refused_as_text_too_long(rooms, srv):
    room = rooms(srv)
    mod, rec = await to_debate(room)
    speech_id = mod.view["speeches"][0]["id"]  # the proposer's explanation
    ack = await refused_without_change(room, "text_too_long",
        lambda: rec.command("write_summary", speech_id=speech_id, text="电梯" * 2000 + "。"),
    )
    assert ack["error"]["details"] == {"field": "text", "max": 4000}
    # exactly at the limit is fine
    await rec.do("write_summary", speech_id=speech_id, text="梯" * 4000)
    await mod.wait_for(lambda: mod.view["speeches"][0]["summary"] == "梯" * 4000)
    assert_up(srv)


async def test_a_message_over_the_64_kib_buffer_is_dropped_while_the_server_and_other_phones_carry_on(rooms, srv):
    room = rooms(srv)
    mod, big, other = await room.join("moderator"), await room.join("s1"), await room.join("s2")
    before = await fresh(mod)
    huge = {"id": "big-1", "name": "sign_in", "args": {"channel": "room", "pad": "x" * (80 * 1024)}}
    try:
        ack = await big.call("command", huge, timeout=1.5)
    except (socketio.exceptions.TimeoutError, socketio.exceptions.DisconnectedError,
            socketio.exceptions.BadNamespaceError):
        ack = None  # the server dropped the connection: acceptable
    if ack is not None:
        assert ack["ok"] is False, "an oversized message must never be applied"
    assert_up(srv)
    after = await fresh(mod)
    assert after["version"] == before["version"] and after["view"] == before["view"]
    # another phone in the same meeting is not affected
    await other.do("sign_in")
    await mod.wait_for(lambda: "s2" in mod.view["present"])
    assert "s1" not in mod.view["present"]
    # and the phone that sent it can reconnect (LiveClient does so by itself) and sign in
    await big.wait_for(lambda: big.sio.connected, timeout=10)
    await big.do("sign_in")
    await mod.wait_for(lambda: "s1" in mod.view["present"])


# ---- who may do what ------------------------------------------------------------------------
async def test_a_participant_phone_cannot_send_moderator_or_recorder_commands(rooms, srv):
    room = rooms(srv)
    mod, rec = await to_debate(room)
    phone = await room.join("s1")
    staff_only = [
        ("open_vote", {"kind": "item"}),
        ("close_vote", {}),
        ("give_floor", {"person": "s1"}),
        ("end_speech", {}),
        ("begin_item", {"item": 1}),
        ("call_to_order", {"person": "s2", "reason": "other"}),
        ("end_meeting", {}),
        ("escalate", {"reason": "我要上报"}),
        ("write_summary", {"speech_id": 1, "text": "篡改记录"}),
        ("add_note", {"kind": "other", "text": "篡改记录"}),
        ("enter_hand_count", {"choice": "yes", "count": 7}),
        ("sign_out", {"person": "s2"}),
    ]
    for name, args in staff_only:
        ack = await refused_without_change(room, "forbidden_role",
                                           lambda name=name, args=args: phone.command(name, **args))
        assert ack["error"]["details"] == {"role": "participant", "command": name}
    # the projector and the supervisor are not participants either
    proj, sup = await room.join("projector"), await room.join("sup")
    await refused_without_change(room, "forbidden_role", lambda: proj.command("raise_hand", stance="for"))
    await refused_without_change(room, "forbidden_role", lambda: sup.command("cast_vote", choice="yes"))
    await refused_without_change(room, "forbidden_role", lambda: proj.command("sign_in"))
    # a participant cannot read the audit trail
    assert_refused(await phone.call("audit", {}), "forbidden_role")
    assert_up(srv)
    await phone.do("raise_hand", stance="for")
    await mod.wait_for(lambda: [h["person"] for h in mod.view["queue"]] == ["s1"])


async def test_a_participant_may_not_lower_someone_elses_hand_nor_sign_them_in(rooms, srv):
    room = rooms(srv)
    mod, rec = await to_debate(room)
    s1, s2 = await room.join("s1"), await room.join("s2")
    await s2.do("raise_hand", stance="against")
    await refused_without_change(room, "not_yourself", lambda: s1.command("lower_hand", person="s2"))
    await refused_without_change(room, "not_yourself", lambda: s1.command("sign_in", person="s2"))
    assert s2.me["hand"] == {"stance": "against", "position": 1}
    # the owner may lower it
    await s2.do("lower_hand")
    await mod.wait_for(lambda: mod.view["queue"] == [])
    assert_up(srv)


# ---- credentials and meetings ---------------------------------------------------------------
async def connect_error_of(url: str, auth) -> tuple[Exception, list]:
    """Connect with ``auth``; returns the exception raised and what connect_error received."""
    raw = socketio.AsyncClient(reconnection=False)
    received: list = []

    @raw.on("connect_error")
    async def on_connect_error(data=None):
        received.append(data)

    with pytest.raises(socketio.exceptions.ConnectionError) as info:
        await raw.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)
    if raw.connected:  # pragma: no cover - only if the server wrongly accepted
        await raw.disconnect()
    return info.value, received


@pytest.mark.parametrize("auth", [
    {"token": "not-a-real-token-at-all"},
    {"token": ""},
    {"token": 12345678},
    {"token": "x" * 500},
    {},
    "a-string-not-an-object",
    None,
], ids=["wrong", "empty", "number", "too-long", "no-token", "auth-is-a-string", "no-auth"])
async def test_a_bad_token_is_refused_at_connect(srv, auth):
    exc, received = await connect_error_of(srv.url, auth)
    assert received and "unauthenticated" in json.dumps(received, ensure_ascii=False), received
    assert_up(srv)


async def test_a_token_of_meeting_a_cannot_join_or_command_meeting_b(rooms, srv):
    a, b = rooms(srv), rooms(srv)
    assert a.id != b.id
    exc, received = await connect_error_of(srv.url, {"token": a.tokens["s1"], "meeting": b.id})
    assert received and "wrong_meeting" in json.dumps(received, ensure_ascii=False), received
    # connected to its own meeting, a command that names the other meeting is refused
    await a.join("moderator")
    mod_b, s1 = await b.join("moderator"), await a.join("s1", meeting=a.id)
    before_b = await fresh(mod_b)
    await refused_without_change(
        a, "wrong_meeting",
        lambda: s1.call("command", {"id": "w1", "name": "sign_in", "args": {}, "meeting": b.id}))
    assert_refused(await s1.call("sync", {"meeting": b.id}), "wrong_meeting")
    assert (await fresh(mod_b))["view"] == before_b["view"]
    # naming its own meeting is fine
    ack = await s1.call("command", {"id": "w2", "name": "sign_in", "args": {}, "meeting": a.id})
    assert ack["ok"], ack
    assert_up(srv)


async def test_a_refused_connection_carries_its_error_code_as_data_a_browser_can_read(rooms, srv):
    a, b = rooms(srv), rooms(srv)
    for auth, code in (({"token": "not-a-real-token-at-all"}, "unauthenticated"),
                       ({"token": a.tokens["s1"], "meeting": b.id}, "wrong_meeting")):
        _, received = await connect_error_of(srv.url, auth)
        data = received[0]
        # Socket.IO delivers {message, data}; either the data is the error object, or the message is JSON
        err = data.get("data") if isinstance(data, dict) and isinstance(data.get("data"), dict) else None
        if err is None:
            try:
                err = json.loads(data["message"])
            except (ValueError, TypeError, KeyError):
                err = None
        assert isinstance(err, dict) and err.get("code") == code, data
        assert err.get("message_zh") and err.get("message_en")


# ---- votes ----------------------------------------------------------------------------------
async def test_votes_stand_once_cast_and_nobody_votes_after_the_close(rooms, srv):
    room = rooms(srv)
    mod, rec = await to_debate(room)
    s1, s2 = await room.join("s1"), await room.join("s2")
    await mod.do("open_vote", kind="item", mode="phone")
    await s1.do("cast_vote", choice="yes")
    await s1.wait_for(lambda: s1.me["vote"]["voted"])
    ack = await refused_without_change(room, "already_voted", lambda: s1.command("cast_vote", choice="no"))
    assert ack["error"]["message_zh"] == "您已投票，票决一经投出不能更改"
    # Choices are not shown before the close (for anyone): one ballot, s1's.
    assert mod.view["vote"]["phone_ballots"] == 1 and mod.view["vote"]["voted"] == ["s1"]
    await mod.do("close_vote")
    await refused_without_change(room, "no_vote_open", lambda: s2.command("cast_vote", choice="yes"))
    await mod.wait_for(lambda: mod.view["vote"] is None)
    result = mod.view["votes"][-1]["result"]
    assert (result["yes"], result["no"], result["base"]) == (1, 0, 7)
    assert mod.view["votes"][-1]["choices"] == {"s1": "yes"}  # named ballot: the first choice stood
    assert_up(srv)


async def test_the_item_vote_cannot_open_while_an_under_cap_hand_is_up(rooms, srv):
    room = rooms(srv)
    mod, rec = await to_debate(room)
    s1 = await room.join("s1")
    await s1.do("raise_hand", stance="against")
    ack = await refused_without_change(room, "hands_waiting", lambda: mod.command("open_vote", kind="item"))
    assert ack["error"]["details"] == {"count": 1}
    # once the person has spoken, and their hand is down, the vote opens
    await mod.do("give_floor", person="s1")
    await mod.do("end_speech")
    await mod.do("open_vote", kind="item")
    await mod.wait_for(lambda: mod.view["vote"] is not None)


# ---- rate limiting ----------------------------------------------------------------------------
async def test_a_burst_of_commands_is_partly_rate_limited_and_nothing_breaks(rooms, srv):
    room = rooms(srv)
    mod, rec = await room.join("moderator"), await room.join("recorder")
    before = await fresh(mod)
    burst = 60
    acks = await asyncio.gather(*(rec.command("add_note", command_id=f"burst-{n}", kind="other", text=f"第{n}条")
                                  for n in range(burst)))
    accepted = [a for a in acks if a.get("ok")]
    limited = [a for a in acks if not a.get("ok")]
    assert limited, "60 commands at once must hit the limit (burst 30)"
    assert 20 <= len(accepted) <= 40, len(accepted)
    for a in limited:
        assert_refused(a, "rate_limited")
    # what went through was applied exactly once, what was limited was not applied at all
    after = await fresh(mod)
    assert after["version"] == before["version"] + len(accepted)
    assert len(after["view"]["notes"]) == len(accepted)
    # other connections were never limited
    await mod.do("present_rules")
    # after a pause the bucket refills and the recorder works again
    await asyncio.sleep(1.0)
    await rec.do("sign_in", person="s5")
    assert_up(srv)


# ---- the admin HTTP API -----------------------------------------------------------------------
@pytest.mark.parametrize("headers", [lambda t: {}, lambda t: {"Authorization": "Bearer wrong"},
                                     lambda t: {"Authorization": t}, lambda t: {"Authorization": f"Basic {t}"},
                                     lambda t: {"Authorization": f"Bearer {t}x"},
                                     lambda t: {"Authorization": f"Bearer {t[:-1]}"},
                                     lambda t: {"Authorization": f"Bearer {ADMIN_KEY}x"}],
                         ids=["none", "wrong", "no-scheme", "basic", "longer", "shorter", "admin-key-longer"])
def test_the_admin_api_without_a_staff_token_is_401(srv, headers):
    srv.create_meeting(meeting_config())
    before = httpx.get(f"{srv.url}/api/meetings", headers=srv.auth()).json()["meetings"]
    assert before
    headers = headers(srv.api_token())
    created = httpx.post(f"{srv.url}/api/meetings", json=meeting_config(), headers=headers)
    listed = httpx.get(f"{srv.url}/api/meetings", headers=headers)
    links = httpx.get(f"{srv.url}/api/meetings/{before[0]['id']}/links", headers=headers)
    roster = httpx.post(f"{srv.url}/api/roster", content=b"name\n", headers=headers)
    for r in (created, listed, links, roster):
        assert r.status_code == 401, r.text
        assert r.json()["error"]["code"] == "unauthenticated"
        assert "links" not in r.json() and "meetings" not in r.json() and "roster" not in r.json()
    after = httpx.get(f"{srv.url}/api/meetings", headers=srv.auth()).json()["meetings"]
    assert after == before, "nothing was created"


def test_the_admin_key_only_bootstraps_and_is_refused_by_every_other_api_call(srv):
    """Issue 12: the admin key stays only for bootstrapping the first admin."""
    mid, _ = srv.create_meeting(meeting_config())
    before = httpx.get(f"{srv.url}/api/meetings", headers=srv.auth()).json()["meetings"]
    key = {"Authorization": f"Bearer {ADMIN_KEY}"}
    for r in (httpx.post(f"{srv.url}/api/meetings", json=meeting_config(), headers=key),
              httpx.get(f"{srv.url}/api/meetings", headers=key),
              httpx.get(f"{srv.url}/api/meetings/{mid}/links", headers=key),
              httpx.post(f"{srv.url}/api/roster", content=b"name\n", headers=key)):
        assert r.status_code == 403, r.text
        err = r.json()["error"]
        assert err["code"] == "admin_key_bootstrap_only" and CJK.search(err["message_zh"]) and err["message_en"]
        assert "links" not in r.json() and "meetings" not in r.json() and "roster" not in r.json()
    assert httpx.get(f"{srv.url}/api/meetings", headers=srv.auth()).json()["meetings"] == before
    assert_up(srv)


BAD_BODIES = {
    "not-json": (b"{title: ", "bad_payload"),
    "empty": (b"", "bad_payload"),
    "truncated-utf8": ("{\"title\": \"电".encode()[:-1], "bad_payload"),
    "a-list": (json.dumps([meeting_config()]).encode(), "bad_payload"),
    "no-title": (json.dumps({**meeting_config(), "title": ""}).encode(), "bad_config"),
    "unknown-field": (json.dumps({**meeting_config(), "owner": "me"}).encode(), "bad_config"),
    "bad-form": (json.dumps({**meeting_config(), "form": "telepathy"}).encode(), "bad_config"),
    "duplicate-person": (json.dumps({**meeting_config(), "roster": [
        {"id": "a", "name": "甲"}, {"id": "a", "name": "乙"}]}).encode(), "bad_config"),
    "observer-votes": (json.dumps({**meeting_config(), "roster": [
        {"id": "a", "name": "甲", "category": "observer", "votes": True}]}).encode(), "bad_config"),
    "bad-threshold": (json.dumps(meeting_config(adoption_threshold=[3, 2, True])).encode(), "bad_rules"),
    "title-too-long": (json.dumps({**meeting_config(), "title": "长" * 201}).encode(), "text_too_long"),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_the_admin_api_refuses_a_bad_body_with_400_and_a_code(srv, case):
    body, code = BAD_BODIES[case]
    auth = srv.auth()
    before = httpx.get(f"{srv.url}/api/meetings", headers=auth).json()["meetings"]
    r = httpx.post(f"{srv.url}/api/meetings", content=body, headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == code and CJK.search(err["message_zh"]) and err["message_en"]
    assert httpx.get(f"{srv.url}/api/meetings", headers=auth).json()["meetings"] == before
    assert_up(srv)


def test_the_admin_api_refuses_a_body_over_a_megabyte(srv):
    auth = srv.auth()
    config = {**meeting_config(), "description": "x" * (1024 * 1024)}
    r = httpx.post(f"{srv.url}/api/meetings", json=config, headers=auth, timeout=10)
    assert r.status_code == 413 and r.json()["error"]["code"] == "text_too_long"
    assert_up(srv)


def test_links_of_an_unknown_meeting_are_404(srv):
    r = httpx.get(f"{srv.url}/api/meetings/nosuchmeet/links", headers=srv.auth())
    assert r.status_code == 404 and r.json()["error"]["code"] == "meeting_not_found"
