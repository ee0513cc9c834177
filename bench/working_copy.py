"""The cost of the working copy a batch is evolved on (meeting/live.py), at 2,000 people.

    .venv/bin/python bench/working_copy.py [--people 2000]

Builds a meeting with the pure engine: everyone signed in, the rules adopted by a phone vote of
everyone, an item debated with 40 speeches and voted on by everyone (named ballots: the heavier case), then
times ``working_copy`` against ``copy.deepcopy`` of the same state. Results: docs/performance.md.
"""
from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from meeting.live import working_copy  # noqa: E402
from meeting.rules import Actor, Role  # noqa: E402
from tests.engine import MOD, Room  # noqa: E402


def build(people: int) -> Room:
    roster = [{"id": "prop", "name": "提议人", "category": "proposer"}]
    roster += [{"id": f"s{i}", "name": f"居民{i}", "category": "stakeholder"} for i in range(1, people)]
    room = Room({"title": "大会", "items": ["议题一", "议题二"], "roster": roster, "params": {}})
    for pid in room.state.roster:
        room.do(Actor(Role.PARTICIPANT, pid), "sign_in")
    room.do(MOD, "present_rules")
    room.do(MOD, "open_vote", kind="rules", mode="phone")
    for pid in room.state.vote.base:
        room.do(Actor(Role.PARTICIPANT, pid), "cast_vote", choice="yes")
    room.do(MOD, "close_vote")
    room.do(MOD, "declare_open")
    room.do(MOD, "begin_item", item=0)
    for n in range(1, 41):
        pid = f"s{n}"
        room.do(Actor(Role.PARTICIPANT, pid), "raise_hand", stance="for" if n % 2 else "against")
    for n in range(1, 41):
        room.tick(60).do(MOD, "give_floor", person=f"s{n}", reason="测试")
        room.tick(60).do(MOD, "end_speech")
    room.do(MOD, "open_vote", kind="item", mode="phone")
    for n, pid in enumerate(room.state.vote.base):
        room.do(Actor(Role.PARTICIPANT, pid), "cast_vote", choice=("yes", "no")[n % 2])
    return room


def timed(fn, state, rounds: int) -> float:
    runs = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn(state)
        runs.append((time.perf_counter() - t) * 1000)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    room = build(args.people)
    state = room.state
    print(f"{len(state.roster)} people, version {state.version}, {len(state.votes)} votes, "
          f"{len(state.speeches)} speeches")
    print(f"working_copy   median {timed(working_copy, state, args.rounds):.2f} ms")
    print(f"copy.deepcopy  median {timed(copy.deepcopy, state, args.rounds):.2f} ms")


if __name__ == "__main__":
    main()
