"""Small helpers shared by the rules tests (not a test module)."""
from __future__ import annotations

from fractions import Fraction

from meeting.rules import Role
from tests.engine import MOD, Room, config, person


def voters_room(n_voters: int, items=("加装电梯",), params=None, sign_in: int | None = None) -> Room:
    """A room whose roster has ``n_voters`` voting people (the proposer and n_voters − 1
    stakeholders) plus the four non-voting categories; ``sign_in`` voters are signed in
    (all of them by default), and every non-voter too."""
    room = Room(config(n_voters - 1, items=items, params=params))
    voters = [pid for pid, p in room.state.roster.items() if p.votes]
    assert len(voters) == n_voters
    k = n_voters if sign_in is None else sign_in
    for pid in voters[:k]:
        room.do(person(pid), "sign_in")
    for pid, p in room.state.roster.items():
        if not p.votes:
            room.do(person(pid, Role.SUPERVISOR if pid == "sup" else Role.PARTICIPANT), "sign_in")
    return room


def adopt_by_phone(room: Room) -> Room:
    """Present the rules, adopt them unanimously by phone and declare the consultation open."""
    return room.adopt_rules()


def debate_room(n_stakeholders: int = 6, items=("加装电梯",), params=None) -> Room:
    room = Room(config(n_stakeholders, items=items, params=params))
    room.to_debate()
    return room


def phone_vote(room: Room, yes: int, no: int = 0, abstain: int = 0, kind: str = "item") -> dict:
    """Open a phone vote, cast yes/no/abstain by the first voters of the base, close it; return the result."""
    room.do(MOD, "open_vote", kind=kind, mode="phone")
    base = list(room.state.vote.base)
    choices = ["yes"] * yes + ["no"] * no + ["abstain"] * abstain
    assert len(choices) <= len(base)
    for pid, choice in zip(base, choices, strict=False):
        room.do(person(pid), "cast_vote", choice=choice)
    room.do(MOD, "close_vote")
    return room.state.votes[-1].result


def min_count(frac: Fraction, base: int, inclusive: bool) -> int:
    """The smallest count k with k/base ≥ frac (inclusive) or > frac (exclusive), by Fraction, by search."""
    for k in range(base + 2):
        share = Fraction(k, base)
        if (share >= frac) if inclusive else (share > frac):
            return k
    raise AssertionError("unreachable")
