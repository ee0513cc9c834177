"""``me``: each connection's own view. A person's (their sign-in, hand, speeches, vote) or a
function's without a person (moderator, recorder, projector); every ``me`` carries the state
``version`` it was computed from and ``allowed`` (allowed.py)."""
from __future__ import annotations

from collections.abc import Iterable

from ..rules import Actor, queue_order
from ..rules.roster import Role
from ..rules.state import MeetingState
from .allowed import DryRun
from .audience import FUNCTION_ROLES, audience, person_role
from .views import shared_view


def personal_views(state: MeetingState, now: int, persons: Iterable[str] | None = None) -> dict[str, dict]:
    """``me`` for every person on the roster, or only for ``persons`` (a publisher computes the
    ``me`` of the persons with a connection only); queue positions and dry runs are shared."""
    shared = _Shared(state)
    dry = DryRun(state, now)
    roster = state.roster
    chosen = roster if persons is None else [pid for pid in persons if pid in roster]
    return {pid: _person_me(state, pid, person_role(roster[pid]), shared, dry) for pid in chosen}


class _Shared:
    """What every person's ``me`` reads, computed once: the queue positions. (The open vote's
    base and who has voted are the vote's own indexes: ``Vote.in_base``, ``Vote.has_voted``.)"""

    def __init__(self, state: MeetingState) -> None:
        self.positions = {h.person: n for n, h in enumerate(queue_order(state), start=1)}


def person_me(state: MeetingState, pid: str, now: int, role: Role | None = None) -> dict | None:
    """One person's ``me`` (a snapshot needs only one)."""
    p = state.roster.get(pid)
    if p is None:
        return None
    return _person_me(state, pid, role or person_role(p), _Shared(state), DryRun(state, now))


def _person_me(state: MeetingState, pid: str, role: Role, shared: _Shared, dry: DryRun) -> dict:
    p = state.roster[pid]
    hand = state.hands.get(pid)
    signed = state.signed_in.get(pid)
    used = state.speeches_by(pid)
    cap = state.params.speeches_per_item
    vote = state.vote
    me = {
        "id": pid, "name": p.name, "category": str(p.category), "votes": p.votes, "may_queue": p.may_queue,
        "signed_in": pid in state.signed_in, "channel": signed["channel"] if signed else None,
        "remote": p.remote,
        "hand": {"stance": hand.stance, "position": shared.positions[pid]} if hand else None,
        "speeches": used, "speeches_left": max(0, cap - used) if p.may_queue else 0,
        "speaking": state.speech is not None and state.speech.person == pid,
        "vote": None,
        "version": state.version,
        "allowed": dry.allowed(Actor(role, pid)),
    }
    if vote is not None:
        me["vote"] = _vote_of(state, pid)
    return me


def _vote_of(state: MeetingState, pid: str) -> dict | None:
    vote = state.vote
    if vote is None:
        return None
    # In an anonymous ballot the server does not know a voter's choice: the phone keeps it.
    return {"id": vote.id, "eligible": vote.in_base(pid), "voted": vote.has_voted(pid), "choice": vote.named.get(pid)}


def after_own_ballot(state: MeetingState, pid: str, last: dict, dry: DryRun) -> dict:
    """A participant's ``me`` after a batch of phone ballots in which they voted, from the ``me``
    computed before it (``meeting.publish.ballot_voters`` says why nothing else of it can change:
    the person's own ``vote`` and their ``cast_vote`` verdict, run dry again here). The rest is
    shared with ``last``, which keeps its patch small to compute; tests/projections/
    test_ballot_me.py compares the result with the full computation."""
    allowed = dict(last["allowed"])
    allowed["cast_vote"] = dry.entry(Actor(Role.PARTICIPANT, pid), "cast_vote")
    return {**last, "version": state.version, "vote": _vote_of(state, pid), "allowed": allowed}


def role_views(state: MeetingState, now: int, roles: Iterable[str] | None = None) -> dict[str, dict]:
    """``me`` for the functions without a person: moderator, recorder, projector (or only ``roles``)."""
    dry = DryRun(state, now)
    wanted = None if roles is None else set(roles)
    return {str(r): _role_me(state, r, dry) for r in FUNCTION_ROLES if wanted is None or str(r) in wanted}


def _role_me(state: MeetingState, role: Role, dry: DryRun) -> dict:
    return {"role": str(role), "version": state.version, "allowed": dry.allowed(Actor(role))}


def same_me(a: dict | None, b: dict | None) -> bool:
    """Whether two ``me`` differ in anything but their version (a publisher sends a new ``me``
    only when this is False)."""
    if a is None or b is None:
        return a is b
    return {k: v for k, v in a.items() if k != "version"} == {k: v for k, v in b.items() if k != "version"}


def snapshot(state: MeetingState, role: Role, person: str | None, now: int, meeting_id: str) -> dict:
    if person:
        me = person_me(state, person, now, role)
    elif role in FUNCTION_ROLES:
        me = _role_me(state, role, DryRun(state, now))
    else:
        me = None
    return {"meeting_id": meeting_id, "version": state.version, "now": now, "role": str(role),
            "audience": audience(role), "view": shared_view(state, audience(role)), "me": me}
