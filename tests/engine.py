"""A small driver for the pure engine: run commands as a given actor and keep the log.

``Room.do`` goes through the same steps as the service (parse → decide → evolve) with an
explicit clock, so unit tests read like the meeting they describe.
"""
from __future__ import annotations

import copy

import pytest

from meeting.rules import Actor, DomainError, MeetingState, Role, SecretBallot, decide, evolve, parse_command, replay

MOD = Actor(Role.MODERATOR)
REC = Actor(Role.RECORDER)
SYSTEM = Actor(Role.SYSTEM)
ADMIN = Actor(Role.ADMIN)


def person(pid: str, role: Role = Role.PARTICIPANT) -> Actor:
    return Actor(role, pid)


def roster(n_stakeholders: int = 6, **extra) -> list[dict]:
    people = [{"id": "prop", "name": "提议人", "category": "proposer"}]
    people += [{"id": f"s{i}", "name": f"居民{i}", "category": "stakeholder"} for i in range(1, n_stakeholders + 1)]
    people += [
        {"id": "exp", "name": "专家", "category": "expert"},
        {"id": "dept", "name": "城管", "category": "department"},
        {"id": "obs", "name": "旁听", "category": "observer"},
        {"id": "sup", "name": "监督员", "category": "supervisor"},
    ]
    return people


def config(n_stakeholders: int = 6, items=("加装电梯",), params=None, **extra) -> dict:
    cfg = {"title": "老旧小区加装电梯", "items": list(items), "roster": roster(n_stakeholders), "params": params or {}}
    cfg.update(extra)
    return cfg


class Room:
    def __init__(self, cfg: dict | None = None, now: int = 1_700_000_000_000):
        self.state = MeetingState()
        self.log = []  # what the service would append to the event log
        self.box: dict[int, dict[str, int]] = {}  # the ballot box: anonymous choices, apart from the log
        self.now = now
        if cfg is not None:
            self.do(ADMIN, "create_meeting", config=cfg)

    def tick(self, seconds: float) -> Room:
        self.now += int(seconds * 1000)
        return self

    def do(self, actor: Actor, name: str, **args):
        cmd = parse_command(name, args)
        events = decide(self.state, cmd, actor, self.now)
        for e in events:
            evolve(self.state, e)
            if isinstance(e, SecretBallot):
                counts = self.box.setdefault(e.vote_id, {})
                counts[e.choice] = counts.get(e.choice, 0) + 1
            else:
                self.log.append(e)
        return events

    def refused(self, code: str, actor: Actor, name: str, **args) -> DomainError:
        before = copy.deepcopy(self.state.to_dict())
        with pytest.raises(DomainError) as info:
            self.do(actor, name, **args)
        assert info.value.code == code, info.value
        assert self.state.to_dict() == before, "a refused command changed the state"
        return info.value

    def replayed(self) -> MeetingState:
        return replay(self.log, self.box)

    # ---- common stretches of a meeting ----
    def sign_in_all(self) -> Room:
        for pid in self.state.roster:
            if pid not in self.state.signed_in:
                self.do(person(pid, Role.SUPERVISOR if pid == "sup" else Role.PARTICIPANT), "sign_in")
        return self

    def adopt_rules(self) -> Room:
        self.do(MOD, "present_rules")
        self.do(MOD, "open_vote", kind="rules", mode="phone")
        for pid in self.state.vote.base:
            self.do(person(pid), "cast_vote", choice="yes")
        self.do(MOD, "close_vote")
        assert self.state.rules_adopted
        self.do(MOD, "declare_open")
        return self

    def to_debate(self) -> Room:
        self.sign_in_all().adopt_rules()
        self.do(MOD, "begin_item", item=0)
        return self

    def speak(self, pid: str, seconds: float = 60, reason: str | None = None) -> None:
        args = {"person": pid}
        if reason:
            args["reason"] = reason
        self.do(MOD, "give_floor", **args)
        self.tick(seconds)
        self.do(MOD, "end_speech")

    def recommended(self) -> str | None:
        from meeting.rules import recommend

        rec = recommend(self.state)
        return rec.person if rec else None
