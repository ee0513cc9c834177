"""Bytes per phone: what each connection receives per change and per (re)connect (issue 11).

    .venv/bin/python bench/bytes.py [--sizes 100 500 2000] [--json OUT]

One meeting in process (the real ``Service`` on a temporary SQLite file, the real publisher),
with every person's phone, the moderator, the recorder and the projector taken as connected.
Every message the publisher sends to a room is encoded as python-socketio puts it on the wire
(``42["delta",{…}]``, encoded by the server's ``WireJson``: UTF-8, no ``\\uXXXX`` escapes, plus
Engine.IO's one-byte packet type; ``--ascii`` counts the old ASCII-escaped encoding)
and counted for every connection in that room. A phone is in its audience's room and its own
person room; a snapshot is what ``Service.snapshot`` gives on connect and on ``sync``.

The meeting: everyone signs in (the crowd at once, then 20 measured one by one), the rules are
presented and put to a phone vote (every voter at once, then 20 measured ballots), the consultation
opens, the proposer explains, item 1 is debated (30 hands, five speeches), its named phone vote
(20 measured ballots, then the rest at once), the close and the outcome. "per change" is per
committed batch of one command; "storm" is the whole vote at once (group commit: several ballots
per delta), reported per ballot.

No network: this counts bytes, not time (bench/load.py measures time over real sockets).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from socketio import packet  # noqa: E402

from meeting.projections import audience  # noqa: E402
from meeting.projections.wire import WireJson  # noqa: E402
from meeting.publish import person_room, role_room, room  # noqa: E402
from meeting.rules import Actor, Role, recommend  # noqa: E402
from meeting.service import Service  # noqa: E402
from meeting.store import Store  # noqa: E402

MOD, REC = Actor(Role.MODERATOR), Actor(Role.RECORDER)
MEASURED = 20  # changes measured one by one per stage


def wire_bytes(event: str, data: dict) -> int:
    """Bytes of one Socket.IO event as python-socketio sends it over a WebSocket (the Engine.IO
    MESSAGE type '4' before the Socket.IO packet)."""
    encoded = packet.Packet(packet.EVENT, data=[event, data]).encode()
    return 1 + len(encoded.encode("utf-8"))


def roster(n: int) -> list[dict]:
    people = [{"id": "prop", "name": "提议人", "category": "proposer"}]
    people += [{"id": f"s{i}", "name": f"居民{i}号", "category": "stakeholder"} for i in range(1, n - 3)]
    people += [{"id": "exp", "name": "专家", "category": "expert"},
               {"id": "obs", "name": "旁听", "category": "observer"},
               {"id": "sup", "name": "监督员", "category": "supervisor"}]
    return people


class Failures(logging.Handler):
    """Counts the errors the publisher logs (a failed publish would make every count zero)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


FAILURES = Failures()
logging.getLogger("yishi").addHandler(FAILURES)


class Wire:
    """Records what the publisher sends, per room, between two marks."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int, str]] = []  # (event, bytes, room)

    async def emit(self, event: str, data: dict, where: str) -> None:
        self.sent.append((event, wire_bytes(event, data), where))

    def take(self) -> list[tuple[str, int, str]]:
        out, self.sent = self.sent, []
        return out


class Bench:
    def __init__(self, n: int, tmp: Path) -> None:
        self.n = n
        self.wire = Wire()
        self.service = Service(Store(f"sqlite:///{tmp / 'bytes.db'}"), b"k" * 32, emit=self.wire.emit)
        self.changes: list[dict] = []
        self.snapshots: dict[str, dict[str, int]] = {}
        self.publish_cpu = 0.0  # CPU seconds spent publishing (views, diffs, me, encoding)
        publish = self.service.publisher.publish

        async def timed_publish(*args):
            t = time.process_time()
            await publish(*args)
            self.publish_cpu += time.process_time() - t

        self.service.publisher.publish = timed_publish

    async def setup(self) -> None:
        cfg = {"title": "加装电梯协商会", "items": ["是否加装电梯", "费用分摊"], "roster": roster(self.n),
               "params": {"ballot": "named"}}
        self.mid, _ = await self.service.create_meeting(cfg)
        self.live = await self.service.get(self.mid)
        self.people = list(self.live.state.roster)
        self.phones = [p for p in self.people if self.live.state.roster[p].role == Role.PARTICIPANT]
        # the rooms of each connection (every person and function connected)
        phone_room = room(self.mid, audience(Role.PARTICIPANT))
        self.rooms = {pid: {phone_room, person_room(self.mid, pid)} for pid in self.phones}
        self.mod_rooms = {room(self.mid, audience(Role.MODERATOR)), role_room(self.mid, "moderator")}
        listening = set().union(*self.rooms.values(), self.mod_rooms,
                                {room(self.mid, audience(Role.PROJECTOR)), role_room(self.mid, "projector"),
                                 role_room(self.mid, "recorder"), person_room(self.mid, "sup")})
        if hasattr(self.service.publisher, "listening"):
            self.service.publisher.listening = lambda: listening

    async def do(self, actor: Actor, name: str, **args) -> dict:
        return await self.service.execute(self.mid, actor, name, args)

    def per_phone(self, sent: list[tuple[str, int, str]]) -> list[int]:
        by_room: dict[str, int] = {}
        for _, size, where in sent:
            by_room[where] = by_room.get(where, 0) + size
        return [sum(by_room.get(r, 0) for r in rooms) for rooms in self.rooms.values()]

    def moderator(self, sent) -> int:
        return sum(size for _, size, where in sent if where in self.mod_rooms)

    async def measured(self, stage: str, actor: Actor, name: str, **args) -> None:
        self.wire.take()
        cpu = self.publish_cpu
        await self.do(actor, name, **args)
        sent = self.wire.take()
        phones = self.per_phone(sent)
        self.changes.append({"stage": stage, "command": name, "phone_mean": statistics.mean(phones),
                             "phone_max": max(phones), "moderator": self.moderator(sent),
                             "publish_ms": (self.publish_cpu - cpu) * 1000})

    async def storm(self, stage: str, actors: list[Actor], name: str, **args) -> None:
        """Everyone at once (group commit); bytes per phone per command."""
        self.wire.take()
        await asyncio.gather(*(self.do(a, name, **args) for a in actors))
        sent = self.wire.take()
        phones = self.per_phone(sent)
        deltas = sum(1 for e, _, w in sent if e == "delta" and w == room(self.mid, audience(Role.PARTICIPANT)))
        self.changes.append({"stage": stage, "command": f"{name} ×{len(actors)} at once ({deltas} deltas)",
                             "phone_mean": statistics.mean(phones) / len(actors),
                             "phone_max": max(phones) / len(actors), "moderator": self.moderator(sent) / len(actors),
                             "storm": True})

    def snap(self, label: str) -> None:
        s, live = self.service, self.live
        sizes = {
            "phone": wire_bytes("snapshot", s.snapshot(live, Role.PARTICIPANT, self.phones[1])),
            "projector": wire_bytes("snapshot", s.snapshot(live, Role.PROJECTOR, None)),
            "moderator": wire_bytes("snapshot", s.snapshot(live, Role.MODERATOR, None)),
        }
        self.snapshots[label] = sizes

    async def run(self) -> dict:
        await self.setup()
        p = lambda pid: Actor(Role.PARTICIPANT, pid)  # noqa: E731
        self.snap("before sign-in")
        crowd, measured = self.phones[:-MEASURED], self.phones[-MEASURED:]
        await self.storm("sign-in", [p(x) for x in crowd], "sign_in")
        for pid in measured:
            await self.measured("sign-in", p(pid), "sign_in")
        await self.do(Actor(Role.SUPERVISOR, "sup"), "sign_in")
        await self.measured("rules", MOD, "present_rules")
        await self.measured("rules", MOD, "open_vote", kind="rules", mode="phone")
        voters = list(self.live.state.vote.base)
        for pid in voters[:MEASURED]:
            await self.measured("vote (rules)", p(pid), "cast_vote", choice="yes")
        self.snap("rules vote open, 20 ballots in")
        await self.storm("vote storm (rules)", [p(x) for x in voters[MEASURED:]], "cast_vote", choice="yes")
        self.snap("rules vote open, all ballots in")
        await self.measured("rules", MOD, "close_vote")
        await self.measured("rules", MOD, "declare_open")
        await self.measured("explanation", MOD, "start_explanation")
        await self.measured("explanation", MOD, "end_speech")
        await self.measured("debate", MOD, "begin_item", item=0)
        for i, pid in enumerate(voters[1:31]):
            await self.measured("debate", p(pid), "raise_hand", stance="for" if i % 2 else "against")
        self.snap("debate, 30 hands up")
        for _ in range(5):
            await self.measured("debate", MOD, "give_floor", person=recommend(self.live.state).person)
            await self.measured("debate", MOD, "end_speech")
        for pid in list(self.live.state.hands):
            await self.do(MOD, "lower_hand", person=pid)
        await self.measured("vote (item)", MOD, "open_vote", kind="item", mode="phone")
        voters = list(self.live.state.vote.base)
        for pid in voters[:MEASURED]:
            await self.measured("vote (item)", p(pid), "cast_vote", choice="yes")
        self.snap("item vote open, 20 ballots in")
        await self.storm("vote storm (item)", [p(x) for x in voters[MEASURED:]], "cast_vote", choice="no")
        await self.measured("vote (item)", MOD, "close_vote")
        self.snap("item vote closed")
        await self.measured("result", MOD, "declare_outcome", item=0, outcome="b")
        roles = self.live.published.me if self.live.published else {}
        mod_me = roles.get(role_room(self.mid, "moderator"))
        return {"people": len(self.people), "phones": len(self.phones), "snapshots": self.snapshots,
                "changes": self.changes,
                "moderator me bytes": wire_bytes("me", {"version": 0, "me": mod_me}) if mod_me else None}


def summarize(result: dict) -> list[dict]:
    rows: dict[str, dict] = {}
    for c in result["changes"]:
        r = rows.setdefault(c["stage"], {"stage": c["stage"], "changes": 0, "phone_mean": [], "phone_max": 0,
                                         "moderator_max": 0, "publish_ms": []})
        if "publish_ms" in c:
            r["publish_ms"].append(c["publish_ms"])
        r["changes"] += 1
        r["phone_mean"].append(c["phone_mean"])
        r["phone_max"] = max(r["phone_max"], c["phone_max"])
        r["moderator_max"] = max(r["moderator_max"], c["moderator"])
    for r in rows.values():
        r["phone_mean"] = round(statistics.mean(r["phone_mean"]))
        r["phone_max"] = round(r["phone_max"])
        r["moderator_max"] = round(r["moderator_max"])
        r["publish_ms"] = round(statistics.mean(r["publish_ms"]), 1) if r["publish_ms"] else None
    return list(rows.values())


async def main_async(sizes: list[int]) -> list[dict]:
    out = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            b = Bench(n, Path(tmp))
            result = await b.run()
            b.service.store.close()
        if FAILURES.count:
            raise SystemExit(f"the publisher failed {FAILURES.count} times: the counts are not valid")
        result["summary"] = summarize(result)
        worst = max(c["phone_max"] for c in result["changes"])
        print(f"\n## N = {n} ({result['phones']} phones)")
        print("snapshot bytes:", json.dumps(result["snapshots"], ensure_ascii=False))
        print("moderator me bytes:", result["moderator me bytes"])
        print("| stage | changes | bytes per phone per change, mean | max (any phone) | moderator max "
              "| publish CPU ms per change |")
        print("|---|---|---|---|---|---|")
        for r in result["summary"]:
            print(f"| {r['stage']} | {r['changes']} | {r['phone_mean']} | {r['phone_max']} | {r['moderator_max']} "
                  f"| {r['publish_ms'] if r['publish_ms'] is not None else '—'} |")
        print(f"worst change for any phone: {round(worst)} bytes")
        out.append(result)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[100, 500, 2000])
    ap.add_argument("--json", type=Path, help="write every measured change here")
    ap.add_argument("--ascii", action="store_true", help="count python-socketio's default ASCII-escaped JSON")
    a = ap.parse_args()
    if not a.ascii:
        packet.Packet.json = WireJson  # as server.py's AsyncServer(json=WireJson) sets it
    results = asyncio.run(main_async(a.sizes))
    if a.json:
        a.json.write_text(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
