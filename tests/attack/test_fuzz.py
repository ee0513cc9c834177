"""The fuzzer: hypothesis throws malformed, oversized, mistyped and hostile payloads at every
Socket.IO event and every command, and at the HTTP forms and APIs, and checks that each one gets
an answer with a documented code (never ``internal_error``, never a 5xx), that the server keeps
running, and that every meeting's log still replays to its live state with an intact chain.

The Socket.IO part drives the server's own handlers (``meeting.transport.attach`` on a real
python-socketio server object, a real Service and a SQLite store), in process so that tens of
thousands of payloads fit in CI; the frame layer is attacked over the wire by the other tests of
this folder. Budget: ``YISHI_FUZZ_PAYLOADS`` (default 20,000 in CI, about a minute). A longer run:

    YISHI_FUZZ_PAYLOADS=500000 .venv/bin/python -m pytest -q -p no:cacheprovider tests/attack/test_fuzz.py
"""
from __future__ import annotations

import asyncio
import json
import os

import httpx
import pytest
import socketio
from hypothesis import HealthCheck, given, settings, strategies as st

from meeting import chain
from meeting.rules import MESSAGES, Role
from meeting.rules.commands import SPECS
from meeting.service import Service
from meeting.store import Store
from meeting.transport import attach
from tests.server.harness import ADMIN_KEY, meeting_config

PAYLOADS = int(os.environ.get("YISHI_FUZZ_PAYLOADS", "20000"))
PER_EXAMPLE = 25
HTTP_PAYLOADS = max(1000, PAYLOADS // 10)
PEOPLE = ["prop", "s1", "s2", "s3", "s4", "s5", "s6", "exp", "obs", "sup"]
SENT = {"socket": 0, "http": 0, "accepted": 0}

NASTY = ["", " ", "\x00", "yes\x00", "\ud800", "a\udfffb", "\u202eevil", "<script>alert(1)</script>", "🙂" * 70,
         "长" * 4001, "1e400", "NaN", "__proto__", "constructor", "s1", "prop", "exp", "sup", "nobody", "moderator",
         "yes", "no", "abstain", "for", "against", "rules", "item", "phone", "hands", "mixed", "a", "b", "c", "d",
         "room", "online", "other", "consensus", "interrupting"]
BIG_INTS = [-1, 0, 1, 2, 3, 999, 1000, 100_000, 100_001, 2**31, 2**53, 2**63, 2**64, 2**70, -2**70, 10**40]

json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.sampled_from(BIG_INTS),
                        st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20), st.sampled_from(NASTY))
json_value = st.recursive(json_scalar, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.one_of(st.text(max_size=8), st.sampled_from(NASTY)), inner, max_size=4),
                          max_leaves=12)
nasty_text = st.one_of(st.sampled_from(NASTY), st.text(max_size=80), st.text(max_size=80).map(lambda t: t + "\ud800"))


def field_value(f) -> st.SearchStrategy:
    if f.kind == "str":
        good = st.sampled_from(list(f.choices)) if f.choices else st.sampled_from(PEOPLE + ["一段发言摘要"])
        return st.one_of(good, good, nasty_text, json_value)
    if f.kind == "int":
        lo, hi = f.min if f.min is not None else -5, f.max if f.max is not None else 10
        return st.one_of(st.integers(lo, hi), st.integers(lo, hi), st.sampled_from(BIG_INTS), json_value)
    return st.one_of(json_value, st.just(meeting_config()))


@st.composite
def command_args(draw, name: str):
    spec = SPECS[name]
    args = {}
    for key, f in spec.fields.items():
        if f.required or draw(st.booleans()):
            args[key] = draw(field_value(f))
    if draw(st.integers(0, 9)) == 0:
        args[draw(st.sampled_from(["extra", "__proto__", "meeting", "\ud800"]))] = draw(json_value)
    return args


def good_value(f) -> st.SearchStrategy:
    if f.kind == "str":
        return st.sampled_from(list(f.choices)) if f.choices else st.sampled_from(PEOPLE + ["一段发言摘要", "明天"])
    if f.kind == "int":
        return st.integers(f.min if f.min is not None else 0, min(f.max if f.max is not None else 5, 5))
    return st.just({})


@st.composite
def well_formed(draw):
    """A command as a real screen sends it (right shape, plausible values), from someone who may
    send it: these reach the engine and the group commit, and change the meetings."""
    # The meeting-ending commands rarely, so the meetings stay open for most of the run.
    final = ("escalate", "end_meeting")
    name = draw(st.sampled_from(sorted(n for n in SPECS if n not in ("create_meeting", "tick", *final))))
    if draw(st.integers(0, 199)) == 0:
        name = draw(st.sampled_from(final))
    spec = SPECS[name]
    args = {k: draw(good_value(f)) for k, f in spec.fields.items() if f.required or draw(st.booleans())}
    roles = sorted(str(r) for r in spec.roles)
    role = draw(st.sampled_from(roles)) if roles else "moderator"
    who = {"participant": draw(st.sampled_from(PEOPLE[:-1])), "supervisor": "sup"}.get(role, role)
    if who not in ("moderator", "recorder", "projector", *PEOPLE):
        who = "moderator"
    data = {"name": name, "args": args}
    if draw(st.booleans()):
        data["id"] = draw(st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=8))
    return who, "command", (data,)


@st.composite
def frame(draw):
    """One client call: (who, event, the data arguments)."""
    if draw(st.integers(0, 9)) < 5:
        return draw(well_formed())
    who = draw(st.sampled_from(["moderator", "recorder", "projector", *PEOPLE]))
    kind = draw(st.integers(0, 19))
    if kind < 15:  # a hostile command
        name = draw(st.one_of(st.sampled_from(sorted(SPECS)), st.sampled_from(NASTY), json_value))
        data: dict = {"name": name}
        if isinstance(name, str) and name in SPECS:
            data["args"] = draw(st.one_of(command_args(name), command_args(name), command_args(name), json_value))
        elif draw(st.booleans()):
            data["args"] = draw(json_value)
        if draw(st.booleans()):
            data["id"] = draw(st.one_of(st.text(min_size=1, max_size=70), st.sampled_from(NASTY), json_value))
        if draw(st.integers(0, 9)) == 0:
            data[draw(st.sampled_from(["meeting", "extra", "\ud800"]))] = draw(json_value)
        args = (data,) if draw(st.integers(0, 19)) else (data, draw(json_value))
        if draw(st.integers(0, 19)) == 0:
            args = (draw(json_value),)
        return who, "command", args
    event = draw(st.sampled_from(["sync", "audit", "audit", "whatever", "\ud800", "command ", "snapshot"]))
    if event == "audit":
        data = {"after": draw(st.one_of(st.integers(0, 50), st.sampled_from(BIG_INTS), json_value)),
                "limit": draw(st.one_of(st.integers(0, 600), st.sampled_from(BIG_INTS), json_value))}
        return who, event, (data,) if draw(st.integers(0, 4)) else (draw(json_value),)
    return who, event, tuple(draw(st.lists(json_value, max_size=2)))


class Harness:
    """The server's Socket.IO handlers over a real Service, with one session per (meeting, who)."""

    def __init__(self, tmp_path) -> None:
        self.loop = asyncio.new_event_loop()
        self.store = Store(f"sqlite:///{tmp_path / 'fuzz.db'}")
        self.service = Service(self.store, b"fuzz-secret")
        self.sio = socketio.AsyncServer(async_mode="asgi")
        attach(self.sio, self.service)
        self.sessions: dict[str, dict] = {}
        self.sio.get_session = self._session  # type: ignore[method-assign]
        self.stages = ("signin", "debate", "vote")
        self.meetings = [self.run(self._meeting(stage)) for stage in self.stages]
        self.done: list[str] = []  # meetings the fuzz ended (checked at the end like the others)

    def renew(self, which: int) -> None:
        """A meeting the fuzz ended is replaced by a fresh one at the same stage."""
        mid = self.meetings[which]
        if str(self.service.meetings[mid].state.phase) == "ended":
            self.done.append(mid)
            self.meetings[which] = self.run(self._meeting(self.stages[which]))

    async def _session(self, sid: str, namespace=None) -> dict:
        return self.sessions[sid]

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    async def _meeting(self, stage: str) -> str:
        mid, _ = await self.service.create_meeting(meeting_config())
        for who in ["moderator", "recorder", "projector", *PEOPLE]:
            role = (Role(who) if who in ("moderator", "recorder", "projector")
                    else Role.SUPERVISOR if who == "sup" else Role.PARTICIPANT)
            person = None if who in ("moderator", "recorder", "projector") else who
            self.sessions[f"{mid}/{who}"] = {"meeting": mid, "role": role, "person": person}
        if stage == "signin":
            return mid
        do = self.service.execute
        mod, rec = self.sessions[f"{mid}/moderator"], self.sessions[f"{mid}/recorder"]
        from meeting.rules import Actor

        m, r = Actor(mod["role"]), Actor(rec["role"])
        for pid in PEOPLE:
            await do(mid, r, "sign_in", {"person": pid})
        for name, args in [("present_rules", {}), ("open_vote", {"kind": "rules", "mode": "hands"})]:
            await do(mid, m, name, args)
        await do(mid, r, "enter_hand_count", {"choice": "yes", "count": 7})
        for name, args in [("close_vote", {}), ("declare_open", {}), ("start_explanation", {}), ("end_speech", {}),
                           ("begin_item", {"item": 0})]:
            await do(mid, m, name, args)
        if stage == "vote":
            await do(mid, m, "open_vote", {"kind": "item", "mode": "mixed"})
        return mid

    async def call(self, mid: str, who: str, event: str, args: tuple) -> object:
        sid = f"{mid}/{who}"
        handlers = self.sio.handlers["/"]
        if event in handlers and event != "*":
            return await handlers[event](sid, *args)
        return await handlers["*"](event, sid, *args)


def check_answer(answer: object, where: str) -> None:
    assert isinstance(answer, dict) and isinstance(answer.get("ok"), bool), (where, answer)
    json.dumps(answer)  # the ack can be sent
    if not answer["ok"]:
        code = answer["error"]["code"]
        assert code in MESSAGES and code != "internal_error", (where, answer)
        assert answer["error"]["message_zh"] and answer["error"]["message_en"]


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    h = Harness(tmp_path_factory.mktemp("fuzz"))
    yield h
    h.store.close()
    h.loop.close()


@settings(max_examples=max(1, PAYLOADS // PER_EXAMPLE), deadline=None, derandomize=False, database=None,
          suppress_health_check=list(HealthCheck))
@given(frames=st.lists(frame(), min_size=PER_EXAMPLE, max_size=PER_EXAMPLE), which=st.integers(0, 2))
def test_fuzz_every_event_and_command(harness, frames, which):
    mid = harness.meetings[which]

    async def burst():
        # Sent together, as a crowd of clients would: they share group commits.
        return await asyncio.gather(*(harness.call(mid, who, event, args) for who, event, args in frames))

    answers = harness.run(burst())
    SENT["socket"] += len(frames)
    for (who, event, args), answer in zip(frames, answers, strict=True):
        check_answer(answer, f"{who} {event} {str(args)[:200]}")
        SENT["accepted"] += event == "command" and answer["ok"] is True and "version" in answer
    harness.renew(which)


def test_after_the_fuzz_every_log_replays_to_its_live_state(harness):
    assert SENT["socket"] >= PAYLOADS * 0.99, SENT
    assert SENT["accepted"] >= PAYLOADS // 200, SENT  # the fuzz reaches the engine, not only the door
    print(f"fuzz: {SENT}, meetings ended by the fuzz: {len(harness.done)}")
    for mid in [*harness.meetings, *harness.done]:
        live = harness.run(harness.service.get(mid))
        fresh = harness.run(harness.service.cache.build(mid))
        assert fresh.state.to_dict() == live.state.to_dict()
        rows = [r.to_dict() for r in harness.store.events(mid)]
        assert chain.verify(mid, rows)[0]


# ---- the HTTP forms and APIs ----------------------------------------------------------------
config_value = st.fixed_dictionaries({}, optional={
    "title": nasty_text, "description": nasty_text, "place": nasty_text, "form": st.one_of(st.sampled_from(
        ["onsite", "online", "mixed"]), json_value), "items": st.one_of(st.lists(nasty_text, max_size=3), json_value),
    "roster": st.one_of(st.lists(st.fixed_dictionaries({"name": nasty_text}, optional={
        "id": nasty_text, "category": st.one_of(st.sampled_from(["proposer", "专家", "居民", "x"]), json_value),
        "has_phone": json_value, "remote": json_value, "votes": json_value, "phone": json_value}), max_size=4),
        json_value),
    "params": st.one_of(st.dictionaries(st.sampled_from(["speech_limit_ms", "speeches_per_item", "ballot",
                                                         "abstain_on_phones", "warning_ms", "quorum_check", "x"]),
                                        json_value, max_size=4), json_value),
    "extra": json_value,
})
form_value = st.dictionaries(st.sampled_from(["title", "items", "roster", "speech_minutes", "speeches", "ballot",
                                              "form", "abstain", "quorum", "place", "csrf", "key"]),
                             st.one_of(nasty_text, st.sampled_from(["1e400", "nan", "-1", "inf", "3", "0.5"])),
                             max_size=8)
file_value = st.one_of(st.binary(max_size=300), nasty_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
                       st.lists(st.lists(nasty_text, max_size=6), max_size=6).map(
                           lambda rows: "\n".join(",".join(r) for r in rows).encode("utf-8", "surrogatepass")),
                       st.just(b"PK\x03\x04garbage"))


@pytest.fixture(scope="module")
def http_app(tmp_path_factory):
    from meeting.settings import Settings
    from server import create_app

    data = tmp_path_factory.mktemp("fuzz-http")
    app = create_app(Settings.from_env({"YISHI_DATA": str(data), "YISHI_ADMIN_KEY": ADMIN_KEY,
                                        "YISHI_SECRET": "s", "YISHI_BASE_URL": "http://testserver"}))
    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    async def login() -> str:
        import re

        staff = {"login": "fuzz", "name": "fuzz", "password": "fuzz-password"}  # a community admin (issue 12)
        r = await client.post("/api/communities", json={"name": "fuzz", "admin": staff},
                              headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        assert r.status_code == 201, r.text
        api = r.json()["token"]  # the first admin's API token: the JSON API's credential
        page = await client.get("/admin")
        token = re.findall(r'name="csrf" value="([^"]+)"', page.text)[0]
        r = await client.post("/admin/login", data={"login": "fuzz", "password": "fuzz-password", "csrf": token})
        assert r.status_code == 303, r.text[:300]
        page = await client.get("/admin")
        return re.findall(r'name="csrf" value="([^"]+)"', page.text)[0], api

    csrf, api = loop.run_until_complete(login())
    yield loop, client, csrf, api
    loop.run_until_complete(client.aclose())
    loop.close()


@settings(max_examples=max(1, HTTP_PAYLOADS // 3), deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(config=st.one_of(config_value, json_value), form=form_value, upload=file_value,
       use_csrf=st.booleans(), filename=st.sampled_from(["r.csv", "r.xlsx", "", "名单.txt"]))
def test_fuzz_the_http_forms_and_apis(http_app, config, form, upload, use_csrf, filename):
    loop, client, csrf, api = http_app
    auth = {"Authorization": f"Bearer {api}"}

    async def send():
        body = json.dumps(config, allow_nan=True).encode("utf-8", "surrogatepass")
        r1 = await client.post("/api/meetings", content=body, headers=auth)
        data = {**form, **({"csrf": csrf} if use_csrf else {})}
        data = {k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in data.items()}
        files = {"roster_file": (filename, upload, "application/octet-stream")} if filename else None
        r2 = await client.post("/admin/meetings", data=data, files=files)
        r3 = await client.post(f"/api/roster?filename={filename}", content=upload, headers=auth)
        return r1, r2, r3

    for r in loop.run_until_complete(send()):
        SENT["http"] += 1
        assert r.status_code < 500, (r.request.url, r.status_code, r.text[:300])
        if r.headers.get("content-type", "").startswith("application/json") and r.status_code >= 400:
            body = r.json()
            errors = body["problems"] if "problems" in body else [body["error"]]  # /api/roster: one per row
            assert errors and all(e["code"] in MESSAGES and e["code"] != "internal_error" for e in errors), body
