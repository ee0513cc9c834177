"""What each screen may see: the shared view of an audience, a person's own view, and deltas.

Two audiences share a view: ``staff`` (moderator, recorder, supervisor) and ``public``
(participants' phones, the projector and the public live view). Each person also gets ``me``.
A delta is the list of (redacted) events plus a patch of the audience's view, so a screen
never re-implements the rules: it only applies patches.
"""
from __future__ import annotations

from ..rules import Phase, queue_order, recommend
from ..rules.roster import Role
from ..rules.state import MeetingState, Speech, Vote
from ..rules.votes import format_tenths

STAFF, PUBLIC = "staff", "public"
AUDIENCE = {
    Role.MODERATOR: STAFF, Role.RECORDER: STAFF, Role.SUPERVISOR: STAFF,
    Role.PARTICIPANT: PUBLIC, Role.PROJECTOR: PUBLIC,
}


def audience(role: Role) -> str:
    return AUDIENCE[role]


def shared_view(state: MeetingState, aud: str) -> dict:
    staff = aud == STAFF
    cfg = state.config
    rec = recommend(state) if state.phase == Phase.DEBATE else None
    view = {
        "meeting": {k: cfg.get(k) for k in ("title", "description", "place", "form", "track", "scheduled_at",
                                            "moderator_name", "recorder_name", "video_url", "items", "proposer")},
        "phase": str(state.phase),
        "rules_presented": state.rules_presented,
        "rules_adopted": state.rules_adopted,
        "params": state.params.to_dict(),
        "current_item": state.current_item,
        "roster": {pid: _person(p, staff) for pid, p in state.roster.items()},
        "present": {pid: {"channel": s["channel"], "at": s["at"]} for pid, s in state.signed_in.items()},
        "signin": _signin(state),
        "queue": [
            {"person": h.person, "stance": h.stance, "raised_at": h.at, "speeches": state.speeches_by(h.person)}
            for h in queue_order(state)
        ],
        "recommended": {"person": rec.person, "reason": rec.reason} if rec else None,
        "speech": _speech(state.speech, staff) if state.speech else None,
        "speeches": [_speech(s, staff) for s in state.speeches if s.ended_at is not None],
        "speech_counts": {str(i): dict(c) for i, c in state.speech_counts.items()},
        "vote": _open_vote(state.vote, staff) if state.vote else None,
        "votes": [_closed_vote(v) for v in state.votes if v.closed_at is not None],
        "calls_to_order": list(state.calls_to_order),
        "outcomes": {str(i): o for i, o in state.outcomes.items()},
        "escalation": state.escalation,
        "ended_at": state.ended_at,
        "signatures": dict(state.signatures),
        "filed": state.filed,
        "communicated": list(state.communicated),
    }
    if staff:
        view["notes"] = list(state.notes)
    return view


def _person(p, staff: bool) -> dict:
    d = {"name": p.name, "category": str(p.category), "votes": p.votes, "remote": p.remote}
    if staff:
        d.update(has_phone=p.has_phone, phone=p.phone)
    return d


def _signin(state: MeetingState) -> dict:
    signed, registered = len(state.voting_signed_in()), state.voting_registered()
    q = state.params.quorum
    return {"voting_signed_in": signed, "voting_registered": registered, "quorum_check": state.params.quorum_check,
            "quorum_needed": q.minimum(registered), "quorum_met": q.met(signed, registered)}


def _speech(sp: Speech, staff: bool) -> dict:
    d = {k: getattr(sp, k) for k in ("id", "person", "kind", "item", "stance", "started_at", "limit_ms", "warning_ms",
                                     "paused_total", "paused_at", "warned_at", "overrun_at", "ended_at", "end_reason",
                                     "recommended", "departure_reason")}
    if staff:
        d["summary"] = sp.summary
    return d


def _open_vote(v: Vote, staff: bool) -> dict:
    d = {"id": v.id, "kind": v.kind, "item": v.item, "mode": v.mode, "base": len(v.base), "registered": v.registered,
         "threshold": v.threshold.to_list(), "needed": v.threshold.minimum(len(v.base)), "abstain": v.abstain,
         "ballot": v.ballot, "opened_at": v.opened_at, "phone_ballots": len(v.phone_voters),
         "hand_counts": dict(v.hands), "voters": list(v.base)}
    # Per-choice counts stay hidden from everyone until the close; staff see how many have voted
    # and, in a named ballot only, who.
    if staff and v.ballot == "named":
        d["voted"] = sorted(v.phone_voters)
    return d


def _closed_vote(v: Vote) -> dict:
    d = {"id": v.id, "kind": v.kind, "item": v.item, "mode": v.mode, "ballot": v.ballot, "opened_at": v.opened_at,
         "closed_at": v.closed_at, "abandoned": v.abandoned, "result": v.result}
    if v.result:
        d["percent"] = {k: format_tenths(t) for k, t in v.result["tenths"].items()}
    if v.ballot == "named":
        d["choices"] = dict(v.named)
    return d


def personal_views(state: MeetingState) -> dict[str, dict]:
    """``me`` for every person on the roster (positions computed once for all)."""
    positions = {h.person: n for n, h in enumerate(queue_order(state), start=1)}
    cap = state.params.speeches_per_item
    vote = state.vote
    out = {}
    for pid, p in state.roster.items():
        hand = state.hands.get(pid)
        used = state.speeches_by(pid)
        me = {
            "id": pid, "name": p.name, "category": str(p.category), "votes": p.votes, "may_queue": p.may_queue,
            "signed_in": pid in state.signed_in,
            "hand": {"stance": hand.stance, "position": positions[pid]} if hand else None,
            "speeches": used, "speeches_left": max(0, cap - used) if p.may_queue else 0,
            "speaking": state.speech is not None and state.speech.person == pid,
            "vote": None,
        }
        if vote is not None:
            # In an anonymous ballot the server does not know a voter's choice: the phone keeps it.
            me["vote"] = {"id": vote.id, "eligible": pid in vote.base, "voted": vote.has_voted(pid),
                          "choice": vote.named.get(pid)}
        out[pid] = me
    return out


STAFF_ROLES = (Role.MODERATOR, Role.RECORDER, Role.PROJECTOR)


def role_views(state: MeetingState) -> dict[str, dict]:
    """``me`` for the functions without a person (moderator, recorder, projector)."""
    return {str(r): {"role": str(r)} for r in STAFF_ROLES}


def snapshot(state: MeetingState, role: Role, person: str | None, now: int, meeting_id: str) -> dict:
    me = personal_views(state).get(person) if person else role_views(state).get(str(role))
    return {"meeting_id": meeting_id, "version": state.version, "now": now, "role": str(role),
            "audience": audience(role), "view": shared_view(state, audience(role)), "me": me}


# ---- deltas ---------------------------------------------------------------------------------
_PUBLIC_HIDDEN = {"vote_cast": ("person", "choice"), "meeting_created": ("config",), "summary_written": ("text",),
                  "note_added": ("text",)}


def redact(event: dict, aud: str, anonymous: bool) -> dict:
    """An event as an audience may see it: the public never sees ballots, the recorder's notes or
    the settings payload; nobody sees the choice of an anonymous ballot."""
    hidden: tuple = ()
    if aud == PUBLIC:
        hidden = _PUBLIC_HIDDEN.get(event["type"], ())
    elif event["type"] == "vote_cast" and anonymous:
        hidden = ("choice",)
    elif event["type"] == "meeting_created":
        hidden = ("config",)
    return {k: v for k, v in event.items() if k not in hidden}


def diff(old: dict, new: dict) -> list[list]:
    """A patch from old to new: [["set", path, value] | ["del", path]] with paths of one or two
    keys (dict-valued top-level keys are compared key by key)."""
    ops: list[list] = []
    for key, value in new.items():
        before = old.get(key, _MISSING)
        if before == value:
            continue
        if isinstance(value, dict) and isinstance(before, dict) and key in _KEYED:
            for sub, v in value.items():
                if before.get(sub, _MISSING) != v:
                    ops.append(["set", [key, sub], v])
            for sub in before:
                if sub not in value:
                    ops.append(["del", [key, sub]])
        else:
            ops.append(["set", [key], value])
    for key in old:
        if key not in new:
            ops.append(["del", [key]])
    return ops


_MISSING = object()
_KEYED = {"present", "roster", "outcomes", "speech_counts"}
