"""The publisher end to end, in process: deltas per audience and ``me`` patches, as screens that
follow docs/protocol.md's version rule receive them, stay equal to a fresh snapshot (issue 11).

Screens connect and drop during the meeting (``me`` is computed only for rooms with a
connection), commands arrive one at a time and all at once (group commit: several commands in
one delta), and after every step each screen's patched view and ``me`` equal what a fresh
snapshot gives, with no version gap and no ``me`` patch that found nothing to apply to.
"""
from __future__ import annotations

import asyncio
import copy

from meeting.client import MeHolder
from meeting.projections import apply_patch, audience
from meeting.publish import person_room, role_room, room
from meeting.rules import Actor, Role, recommend
from meeting.service import Service
from meeting.store import Store
from tests.engine import config

MOD, REC = Actor(Role.MODERATOR), Actor(Role.RECORDER)


class Screen:
    """A connection: its rooms, and its view and ``me`` kept by the version rule."""

    def __init__(self, service: Service, live, role: Role, person: str | None) -> None:
        self.service, self.live, self.role, self.person = service, live, role, person
        self.rooms = {room(live.id, audience(role)),
                      person_room(live.id, person) if person else role_room(live.id, str(role))}
        self.gaps = self.me_gaps = self.patches = self.deltas = 0
        self.take(service.snapshot(live, role, person))

    def take(self, snap: dict) -> None:
        self.view, self.version = copy.deepcopy(snap["view"]), snap["version"]
        self.mes = getattr(self, "mes", None) or MeHolder()
        self.mes.snapshot(copy.deepcopy(snap["me"]), snap["version"])

    def receive(self, event: str, data: dict) -> None:
        data = copy.deepcopy(data)
        if event == "delta":
            if data["version"] <= self.version:
                return
            if data["from_version"] != self.version:
                self.gaps += 1
                self.take(self.service.snapshot(self.live, self.role, self.person))
                return
            apply_patch(self.view, data["patch"])
            self.version = data["version"]
            self.deltas += 1
            self.mes.view_at(self.version)
        elif event == "me":
            me = data.get("me")
            if "patch" in data:
                if data["version"] < self.mes.newest_version():
                    return
                me = self.mes.patched(data["patch"], data["version"], data["from_version"])
                if me is None:
                    self.me_gaps += 1
                    self.take(self.service.snapshot(self.live, self.role, self.person))
                    return
                self.patches += 1
            self.mes.receive(me, data["version"], self.version)


class Hall:
    def __init__(self, tmp) -> None:
        self.screens: list[Screen] = []
        self.service = Service(Store(f"sqlite:///{tmp / 'pub.db'}"), b"k" * 32, emit=self.emit)
        self.service.publisher.listening = lambda: set().union(*(s.rooms for s in self.screens))

    async def emit(self, event: str, data: dict, where: str) -> None:
        for s in list(self.screens):
            if where in s.rooms:
                s.receive(event, data)

    async def open(self, n: int) -> None:
        self.mid, _ = await self.service.create_meeting(config(n, items=("一", "二"), params={"ballot": "named"}))
        self.live = await self.service.get(self.mid)

    def connect(self, role: Role, person: str | None = None) -> Screen:
        s = Screen(self.service, self.live, role, person)
        self.screens.append(s)
        return s

    def drop(self, s: Screen) -> None:
        self.screens.remove(s)

    async def do(self, actor: Actor, name: str, **args) -> dict:
        ack = await self.service.execute(self.mid, actor, name, args)
        # The ack goes out once the batch is durable, before its publish (docs/protocol.md): the
        # screens are compared with a fresh snapshot once the publish is done.
        await self.service.publisher.settled(self.live)
        return ack

    def check(self, label: str) -> None:
        for s in self.screens:
            fresh = self.service.snapshot(self.live, s.role, s.person)
            assert s.version == fresh["version"], (label, s.role, s.person)
            assert s.view == fresh["view"], (label, s.role, s.person)
            mine = s.mes.shown
            assert {k: v for k, v in mine.items() if k != "version"} == \
                {k: v for k, v in fresh["me"].items() if k != "version"}, (label, s.role, s.person)
            assert s.gaps == 0 and s.me_gaps == 0, (label, s.role, s.person, s.gaps, s.me_gaps)


def p(pid: str) -> Actor:
    return Actor(Role.SUPERVISOR if pid == "sup" else Role.PARTICIPANT, pid)


async def test_patched_views_and_me_equal_a_fresh_snapshot_through_a_meeting(tmp_path):
    hall = Hall(tmp_path)
    await hall.open(10)
    mod, rec, proj = hall.connect(Role.MODERATOR), hall.connect(Role.RECORDER), hall.connect(Role.PROJECTOR)
    sup = hall.connect(Role.SUPERVISOR, "sup")
    phones = {pid: hall.connect(Role.PARTICIPANT, pid) for pid in ("prop", "s1", "s2", "s3", "s4")}
    hall.check("connected")

    # sign-in: one at a time, then the rest at once (group commit)
    await hall.do(p("s1"), "sign_in")
    hall.check("one sign-in")
    await asyncio.gather(*(hall.do(p(x), "sign_in") for x in ("prop", "s2", "s3", "s4", "s5", "sup")))
    hall.check("sign-in storm")
    late = hall.connect(Role.PARTICIPANT, "s6")  # connects between batches: its first me is a patch too
    await hall.do(REC, "sign_in", person="s6")
    hall.check("a late phone")
    assert late.patches >= 1

    await hall.do(MOD, "present_rules")
    await hall.do(MOD, "open_vote", kind="rules", mode="mixed")
    hall.drop(phones["s2"])  # s2's phone goes away: its me is no longer computed
    await asyncio.gather(*(hall.do(p(x), "cast_vote", choice="yes") for x in ("prop", "s1", "s3", "s4", "s5", "s6")))
    hall.check("ballot storm")
    back = hall.connect(Role.PARTICIPANT, "s2")  # back, with a fresh snapshot
    await hall.do(p("s2"), "cast_vote", choice="no")
    hall.check("s2 back")
    await hall.do(MOD, "close_vote")
    await hall.do(MOD, "declare_open")
    await hall.do(MOD, "begin_item", item=0)
    await asyncio.gather(*(hall.do(p(x), "raise_hand", stance=st)
                           for x, st in (("s1", "for"), ("s2", "against"), ("s3", "for"), ("s4", "against"))))
    hall.check("hands")
    for _ in range(3):
        await hall.do(MOD, "give_floor", person=recommend(hall.live.state).person)
        hall.check("floor")
        await hall.do(MOD, "end_speech")
    for pid in list(hall.live.state.hands):
        await hall.do(MOD, "lower_hand", person=pid)
    await hall.do(MOD, "open_vote", kind="item", mode="phone")
    await asyncio.gather(*(hall.do(p(x), "cast_vote", choice="yes") for x in ("prop", "s1", "s2", "s3", "s4")))
    await hall.do(MOD, "close_vote")
    await hall.do(MOD, "declare_outcome", item=0, outcome="a", what="加装", who="居委会", by_when="2027-06-30")
    hall.check("item done")
    for s in (mod, rec, proj, sup, back, *phones.values()):
        if s in hall.screens:
            assert s.deltas > 0
    assert mod.patches > 0 and phones["s1"].patches > 0
    hall.service.store.close()


async def test_after_a_reload_every_changed_me_is_still_right(tmp_path):
    """The first batch after the meeting is loaded (or another process wrote) patches the ``me``
    a screen holds whatever its version (from_version 0)."""
    hall = Hall(tmp_path)
    await hall.open(4)
    phone = hall.connect(Role.PARTICIPANT, "s1")
    mod = hall.connect(Role.MODERATOR)
    await hall.do(p("s1"), "sign_in")
    hall.live.published = None  # as after a restart or another writer
    await hall.do(p("s2"), "sign_in")
    await hall.do(MOD, "present_rules")
    hall.check("after reload")
    assert phone.patches >= 1 and mod.patches >= 1
    hall.service.store.close()
