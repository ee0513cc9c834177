"""The shared view of an audience: a pure function of the state.

Staff get the whole meeting: the roster with phone numbers, the sign-in map, every speech with
the recorder's summaries and notes and, in an open named ballot, who has voted. Per-choice counts
of an open vote are in no view (the result comes with the close); see redaction.py for the events.

The public audience (the projector, the public live view) gets only what static/js/projector.js
draws (``PUBLIC_KEYS``, ``public_view``): like the phone's, without the roster, the sign-in map
(a count instead), the finished speeches or the base of a vote; of the closed votes the latest.

The phone audience (participants' phones) gets only what static/js/phone.js draws (``PHONE_KEYS``):
no roster beyond the people the view names (the queue, the speaker), no sign-in map, no finished
speeches, no list of voters, and of the closed votes only the latest result. Its size does not
grow with the roster (issue 11: a phone's snapshot ≤ 8 KB at 500 people); what a phone needs
about its own person (sign-in channel, remote) is in its ``me``.
"""
from __future__ import annotations

from ..rules import Phase, queue_order, recommend
from ..rules.state import MeetingState, Speech, Vote
from ..rules.votes import format_tenths
from .audience import PHONE, PUBLIC, STAFF

# The keys of the public view (the projector), in the order of the staff view.
PUBLIC_KEYS = ("meeting", "phase", "rules_presented", "rules_adopted", "params", "current_item", "roster", "signin",
               "rule_numbers", "queue", "recommended", "speech", "vote", "votes", "outcomes", "escalation", "ended_at")
# The keys of the phone view, in the order of the other views.
PHONE_KEYS = ("meeting", "phase", "rules_presented", "rules_adopted", "params", "current_item", "roster",
              "rule_numbers", "queue", "speech", "vote", "votes", "outcomes", "ended_at")


def shared_view(state: MeetingState, aud: str) -> dict:
    if aud == PHONE:
        return phone_view(state)
    if aud == PUBLIC:
        return public_view(state)
    staff = aud == STAFF
    rec = recommend(state) if state.phase == Phase.DEBATE else None
    view = {
        "meeting": _meeting(state),
        "phase": str(state.phase),
        "rules_presented": state.rules_presented,
        "rules_adopted": state.rules_adopted,
        "params": state.params.to_dict(),
        "current_item": state.current_item,
        "roster": {pid: _person(p, staff) for pid, p in state.roster.items()},
        "present": {pid: {"channel": s["channel"], "at": s["at"]} for pid, s in state.signed_in.items()},
        "signin": _signin(state),
        "rule_numbers": _rule_numbers(state),
        "queue": [
            {"person": h.person, "stance": h.stance, "raised_at": h.at, "speeches": state.speeches_by(h.person),
             "spoken_ms": _spoken_ms(state, h.person)}
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


def _meeting(state: MeetingState) -> dict:
    cfg = state.config
    return {k: cfg.get(k) for k in ("title", "description", "place", "form", "track", "scheduled_at",
                                    "moderator_name", "recorder_name", "video_url", "items", "proposer")}


def phone_view(state: MeetingState) -> dict:
    """The view of the participants' phones: ``PHONE_KEYS``, each no bigger than the phone draws it."""
    queue = queue_order(state)
    named = [h.person for h in queue]
    if state.speech is not None:
        named.append(state.speech.person)
    last = _last_result(state)
    vote = None
    if state.vote is not None:
        vote = _public_vote(state.vote)
        del vote["phone_ballots"]  # not drawn; it changes with every ballot
    return {
        "meeting": _meeting(state),
        "phase": str(state.phase),
        "rules_presented": state.rules_presented,
        "rules_adopted": state.rules_adopted,
        "params": state.params.to_dict(),
        "current_item": state.current_item,
        "roster": {pid: _person(state.roster[pid], False) for pid in named if pid in state.roster},
        "rule_numbers": _rule_numbers(state),
        "queue": [{"person": h.person, "stance": h.stance} for h in queue],
        "speech": _phone_speech(state.speech) if state.speech else None,
        "vote": vote,
        "votes": [_latest_result(last, tenths=False)] if last else [],
        "outcomes": {str(i): o for i, o in state.outcomes.items()},
        "ended_at": state.ended_at,
    }


def public_view(state: MeetingState) -> dict:
    """The view of the projector (and the public live view): ``PUBLIC_KEYS``, each no bigger than
    static/js/projector.js draws it. As the phone's, its size does not grow with the roster: the
    names of the people the queue and the speaker name, how many are signed in (not who), the
    open vote without its base, of the closed votes only the latest result."""
    queue = queue_order(state)
    rec = recommend(state) if state.phase == Phase.DEBATE else None
    view = phone_view(state)
    return {
        "meeting": view["meeting"],
        "phase": view["phase"],
        "rules_presented": state.rules_presented,
        "rules_adopted": state.rules_adopted,
        "params": view["params"],
        "current_item": state.current_item,
        "roster": view["roster"],
        "signin": _signin(state),
        "rule_numbers": view["rule_numbers"],
        "queue": [{"person": h.person, "stance": h.stance, "speeches": state.speeches_by(h.person)} for h in queue],
        "recommended": {"person": rec.person, "reason": rec.reason} if rec else None,
        "speech": view["speech"],
        "vote": _public_vote(state.vote) if state.vote else None,
        "votes": [_latest_result(last, tenths=True)] if (last := _last_result(state)) else [],
        "outcomes": view["outcomes"],
        "escalation": state.escalation,
        "ended_at": state.ended_at,
    }


def _last_result(state: MeetingState) -> Vote | None:
    return next((v for v in reversed(state.votes) if v.closed_at is not None and not v.abandoned and v.result), None)


# What the result card of a phone and the projector draws of the latest closed vote (live.js
# lastResult, drawResult, resultRows; the projector's bars also read `tenths`).
_RESULT_KEYS = ("base", "registered", "needed", "passed", "yes", "no", "abstain", "not_voting")


def _latest_result(v: Vote, tenths: bool) -> dict:
    d = _closed_vote(v, choices=False)
    result = {k: d["result"][k] for k in _RESULT_KEYS if k in d["result"]}
    if tenths:
        result["tenths"] = d["result"]["tenths"]
    return {"id": d["id"], "kind": d["kind"], "item": d["item"], "abandoned": d["abandoned"], "result": result,
            "percent": d["percent"]}


def _public_vote(v: Vote) -> dict:
    vote = _open_vote(v, False)
    for key in ("voters", "hand_counts"):  # not drawn; the base's persons are O(people)
        del vote[key]
    return vote


# What of the speech under way neither the phone nor the projector draws (the item is the
# view's current_item; the rest is the record's).
_UNDRAWN_SPEECH = ("item", "end_reason", "recommended", "departure_reason")


def _phone_speech(sp: Speech) -> dict:
    d = _speech(sp, False)
    for key in _UNDRAWN_SPEECH:
        del d[key]
    return d


def _rule_numbers(state: MeetingState) -> dict:
    """The thresholds in numbers for the voting people signed in now (the base a vote opened now
    would have), for the screens that present the draft rules."""
    base, p = len(state.voting_signed_in()), state.params
    return {"base": base, "adoption_needed": p.adoption_threshold.minimum(base),
            "substantive_needed": p.substantive_threshold.minimum(base),
            "terminate_needed": p.terminate_below.minimum(base)}


def _spoken_ms(state: MeetingState, person: str) -> int:
    """A person's speaking time on the current item so far (ended speeches, pauses excluded)."""
    return sum(sp.elapsed(sp.ended_at) for sp in state.speeches
               if sp.person == person and sp.item == state.current_item and sp.ended_at is not None)


def _person(p, staff: bool) -> dict:
    d = {"name": p.name, "category": str(p.category), "votes": p.votes, "remote": p.remote}
    if staff:
        d.update(has_phone=p.has_phone, phone=p.phone)
    return d


def _signin(state: MeetingState) -> dict:
    signed, registered = len(state.voting_signed_in()), state.voting_registered()
    q = state.params.quorum
    return {"voting_signed_in": signed, "voting_registered": registered, "signed_in_total": len(state.signed_in),
            "quorum_check": state.params.quorum_check,
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
        # Who has not voted by phone yet, in the order of the base (for the recorder to prompt them).
        d["not_voted"] = [pid for pid in v.base if not v.has_voted(pid)]
    return d


def _closed_vote(v: Vote, choices: bool = True) -> dict:
    d = {"id": v.id, "kind": v.kind, "item": v.item, "mode": v.mode, "ballot": v.ballot, "opened_at": v.opened_at,
         "closed_at": v.closed_at, "abandoned": v.abandoned, "result": v.result}
    if v.result:
        d["percent"] = {k: format_tenths(t) for k, t in v.result["tenths"].items()}
    if choices and v.ballot == "named":
        d["choices"] = dict(v.named)
    return d
