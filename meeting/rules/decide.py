"""``decide(state, command, actor, now) -> list[Event]``: the rules of RULES.md §1–§5.

Pure: no I/O, no clock (``now`` is given, in ms), and the state is never changed here. Each
command has one handler; a rule is a check that raises DomainError before any event exists.
"""
from __future__ import annotations

from typing import Callable

from . import events as ev
from .commands import SPECS, Actor, Command
from .config import normalize_config
from .errors import DomainError
from .floor import recommend
from .params import RulesParams
from .roster import ANSWERING_CATEGORIES, Role
from .state import MeetingState, Phase
from .votes import tally

Handler = Callable[[MeetingState, Command, Actor, int], list]
_DECIDERS: dict[str, Handler] = {}

# Only the record may still be completed once the meeting has ended.
AFTER_END = frozenset({"write_summary", "add_note", "sign_record", "file_record", "communicate_result"})


def _handles(name: str):
    def register(fn: Handler) -> Handler:
        assert name in SPECS, name
        _DECIDERS[name] = fn
        return fn

    return register


def decide(state: MeetingState, command: Command, actor: Actor, now: int) -> list[ev.Event]:
    spec = SPECS[command.name]
    if actor.role not in spec.roles:
        raise DomainError("forbidden_role", role=str(actor.role), command=command.name)
    if command.name != "create_meeting":
        if state.phase == Phase.NEW:
            raise DomainError("no_meeting")
        if state.phase == Phase.ENDED and command.name not in AFTER_END:
            raise DomainError("meeting_ended")
        if actor.role in (Role.PARTICIPANT, Role.SUPERVISOR) and actor.person not in state.roster:
            raise DomainError("unknown_person", person=str(actor.person))
    return _DECIDERS[command.name](state, command, actor, now)


# ---- checks ---------------------------------------------------------------------------------
def check_phase(state: MeetingState, *phases: Phase) -> None:
    if state.phase not in phases:
        raise DomainError("wrong_phase", phase=str(state.phase))


def check_no_speech(state: MeetingState) -> None:
    if state.speech is not None:
        raise DomainError("speech_in_progress")


def check_no_vote(state: MeetingState) -> None:
    if state.vote is not None:
        raise DomainError("vote_open")


def person_of(state: MeetingState, pid: str | None) -> str:
    if pid is None:
        raise DomainError("bad_payload", reason="person is required")
    if pid not in state.roster:
        raise DomainError("unknown_person", person=pid)
    return pid


def self_or_named(state: MeetingState, cmd: Command, actor: Actor) -> str:
    """Participants act for themselves; staff name the person."""
    if actor.role in (Role.PARTICIPANT, Role.SUPERVISOR):
        if cmd.get("person") not in (None, actor.person):
            raise DomainError("not_yourself")
        return actor.person
    return person_of(state, cmd.get("person"))


def name(state: MeetingState, pid: str | None) -> str:
    return state.roster[pid].name if pid in state.roster else str(pid)


# ---- set-up and sign-in ---------------------------------------------------------------------
@_handles("create_meeting")
def _create(state, cmd, actor, now):
    if state.phase != Phase.NEW:
        raise DomainError("meeting_exists")
    return [ev.MeetingCreated(at=now, config=normalize_config(cmd.get("config")))]


@_handles("sign_in")
def _sign_in(state, cmd, actor, now):
    pid = self_or_named(state, cmd, actor)
    if actor.role in (Role.PARTICIPANT, Role.SUPERVISOR):
        channel = cmd.get("channel") or ("online" if state.roster[pid].remote else "room")
    else:
        if cmd.get("channel") is not None:
            raise DomainError("bad_channel")
        channel = "recorder"
    if pid in state.signed_in:
        raise DomainError("already_signed_in", person=name(state, pid))
    return [ev.SignedIn(at=now, person=pid, channel=channel, by=str(actor.role))]


@_handles("sign_out")
def _sign_out(state, cmd, actor, now):
    pid = person_of(state, cmd.get("person"))
    if pid not in state.signed_in:
        raise DomainError("not_signed_in", person=name(state, pid))
    if state.speech is not None and state.speech.person == pid:
        raise DomainError("speech_in_progress")
    return [ev.SignedOut(at=now, person=pid, by=str(actor.role))]


# ---- rules of procedure ----------------------------------------------------------------------
@_handles("present_rules")
def _present_rules(state, cmd, actor, now):
    check_phase(state, Phase.SIGNIN)
    return [ev.RulesPresented(at=now)]


@_handles("amend_rules")
def _amend_rules(state, cmd, actor, now):
    check_phase(state, Phase.SIGNIN, Phase.RULES)
    check_no_vote(state)
    if state.rules_adopted:
        raise DomainError("rules_already_adopted")
    new = RulesParams.from_dict(cmd.get("params"), base=state.params)
    if new.adoption_threshold != state.params.adoption_threshold:
        raise DomainError("bad_rules", reason="the adoption threshold is fixed when the meeting is set up")
    return [ev.RulesAmended(at=now, params=new.to_dict())]


@_handles("declare_open")
def _declare_open(state, cmd, actor, now):
    check_phase(state, Phase.RULES)
    check_no_vote(state)
    if not state.rules_adopted:
        raise DomainError("rules_not_adopted")
    return [ev.ConsultationOpened(at=now)]


# ---- votes ----------------------------------------------------------------------------------
@_handles("open_vote")
def _open_vote(state, cmd, actor, now):
    check_no_vote(state)
    p = state.params
    if cmd.get("kind") == "rules":
        check_phase(state, Phase.RULES)
        if state.rules_adopted:
            raise DomainError("rules_already_adopted")
        threshold, item = p.adoption_threshold, None
    else:
        check_phase(state, Phase.DEBATE)
        check_no_speech(state)
        waiting = [h for h in state.hands.values() if state.speeches_by(h.person) < p.speeches_per_item]
        if waiting:
            raise DomainError("hands_waiting", count=len(waiting))
        threshold, item = p.substantive_threshold, state.current_item
    base = state.voting_signed_in()
    registered = state.voting_registered()
    if p.quorum_check and not p.quorum.met(len(base), registered):
        raise DomainError("quorum_not_met", signed_in=len(base), registered=registered, needed=p.quorum.minimum(registered))
    if not base:
        raise DomainError("empty_base")
    return [
        ev.VoteOpened(
            at=now, vote_id=len(state.votes) + 1, kind=cmd.get("kind"), item=item, mode=cmd.get("mode") or "mixed",
            base=base, registered=registered, threshold=threshold.to_list(), abstain=p.abstain_on_phones, ballot=p.ballot,
        )
    ]


def open_vote_of(state: MeetingState):
    vote = state.vote
    if vote is None:
        raise DomainError("no_vote_open")
    return vote


@_handles("cast_vote")
def _cast_vote(state, cmd, actor, now):
    vote = open_vote_of(state)
    if vote.mode == "hands":
        raise DomainError("channel_closed", mode=vote.mode)
    if actor.person not in vote.base:
        raise DomainError("not_voter")
    if actor.person not in state.signed_in:  # §4: only voters who are signed in (someone may leave mid-vote)
        raise DomainError("not_signed_in", person=name(state, actor.person))
    if vote.has_voted(actor.person):
        raise DomainError("already_voted")
    choice = cmd.get("choice")
    if choice == "abstain" and not vote.abstain:
        raise DomainError("abstain_not_offered")
    if vote.counted() + 1 > len(vote.base):
        raise DomainError("count_exceeds", base=len(vote.base))
    if vote.ballot == "anonymous":
        # The voter goes into the log, the choice into the ballot box: nothing links the two.
        return [ev.BallotCast(at=now, vote_id=vote.id, person=actor.person),
                ev.SecretBallot(at=now, vote_id=vote.id, choice=choice)]
    return [ev.VoteCast(at=now, vote_id=vote.id, person=actor.person, choice=choice)]


@_handles("enter_hand_count")
def _enter_hand_count(state, cmd, actor, now):
    vote = open_vote_of(state)
    if vote.mode == "phone":
        raise DomainError("channel_closed", mode=vote.mode)
    choice, count = cmd.get("choice"), cmd.get("count")
    if choice == "abstain" and not vote.abstain:
        raise DomainError("abstain_not_offered")
    # Nobody is counted twice: the hands together may not exceed those who did not vote by phone.
    if vote.counted() - vote.hands.get(choice, 0) + count > len(vote.base):
        raise DomainError("count_exceeds", base=len(vote.base))
    return [ev.HandCountEntered(at=now, vote_id=vote.id, choice=choice, count=count, by=str(actor.role))]


@_handles("close_vote")
def _close_vote(state, cmd, actor, now):
    vote = open_vote_of(state)
    return [ev.VoteClosed(at=now, vote_id=vote.id, result=tally(vote, state.params.terminate_below))]


# ---- explanation, items, floor --------------------------------------------------------------
@_handles("start_explanation")
def _start_explanation(state, cmd, actor, now):
    check_phase(state, Phase.EXPLANATION)
    check_no_speech(state)
    proposer = state.config.get("proposer")
    if proposer is None:
        raise DomainError("not_proposer")
    if proposer not in state.signed_in:
        raise DomainError("not_signed_in", person=name(state, proposer))
    return [_floor(state, now, proposer, "explanation", None, None, None)]


def _floor(state, now, pid, kind, stance, recommended, reason) -> ev.FloorGiven:
    timed = kind == "debate"
    return ev.FloorGiven(
        at=now, speech_id=len(state.speeches) + 1, person=pid, kind=kind, item=state.current_item, stance=stance,
        limit_ms=state.params.speech_limit_ms if timed else None, warning_ms=state.params.warning_ms if timed else 0,
        recommended=recommended, departure_reason=reason,
    )


@_handles("begin_item")
def _begin_item(state, cmd, actor, now):
    check_phase(state, Phase.EXPLANATION, Phase.RESULT)
    check_no_speech(state)
    item = cmd.get("item")
    if item >= len(state.items):
        raise DomainError("unknown_item", item=item + 1)
    if state.current_item is not None and state.current_item not in state.outcomes:
        raise DomainError("outcome_pending")
    expected = 0 if state.current_item is None else state.current_item + 1
    if item != expected:
        raise DomainError("item_not_next", expected=expected + 1)
    return [ev.ItemBegun(at=now, item=item)]


@_handles("raise_hand")
def _raise_hand(state, cmd, actor, now):
    check_phase(state, Phase.DEBATE)
    pid = actor.person
    if not state.roster[pid].may_queue:
        raise DomainError("not_in_queue_category")
    if pid not in state.signed_in:
        raise DomainError("not_signed_in", person=name(state, pid))
    if state.speech is not None and state.speech.person == pid:
        raise DomainError("is_speaking")
    if pid in state.hands:
        raise DomainError("hand_already_up")
    if state.speeches_by(pid) >= state.params.speeches_per_item:
        raise DomainError("speech_cap_reached", cap=state.params.speeches_per_item)
    return [ev.HandRaised(at=now, person=pid, stance=cmd.get("stance"))]


@_handles("lower_hand")
def _lower_hand(state, cmd, actor, now):
    pid = self_or_named(state, cmd, actor)
    if pid not in state.hands:
        raise DomainError("no_hand", person=name(state, pid))
    return [ev.HandLowered(at=now, person=pid, by=str(actor.role))]


@_handles("give_floor")
def _give_floor(state, cmd, actor, now):
    check_phase(state, Phase.DEBATE)
    check_no_speech(state)
    pid = person_of(state, cmd.get("person"))
    hand = state.hands.get(pid)
    if hand is None:
        raise DomainError("no_hand", person=name(state, pid))
    rec = recommend(state)
    reason = None
    if rec.person != pid:
        reason = (cmd.get("reason") or "").strip()
        if not reason:
            raise DomainError("reason_required", recommended=name(state, rec.person))
    return [_floor(state, now, pid, "debate", hand.stance, rec.person, reason)]


@_handles("give_expert_floor")
def _give_expert_floor(state, cmd, actor, now):
    check_phase(state, Phase.DEBATE)
    check_no_speech(state)
    pid = person_of(state, cmd.get("person"))
    if state.roster[pid].category not in ANSWERING_CATEGORIES:
        raise DomainError("not_expert")
    if pid not in state.signed_in:
        raise DomainError("not_signed_in", person=name(state, pid))
    return [_floor(state, now, pid, "expert", None, None, None)]


def running_speech(state: MeetingState):
    if state.speech is None:
        raise DomainError("no_speech")
    return state.speech


@_handles("end_speech")
def _end_speech(state, cmd, actor, now):
    return [ev.SpeechEnded(at=now, speech_id=running_speech(state).id, reason="moderator")]


@_handles("yield_floor")
def _yield_floor(state, cmd, actor, now):
    sp = state.speech
    if sp is None or sp.person != actor.person:
        raise DomainError("not_speaker")
    return [ev.SpeechEnded(at=now, speech_id=sp.id, reason="yield")]


@_handles("pause_timer")
def _pause(state, cmd, actor, now):
    sp = running_speech(state)
    if sp.paused_at is not None:
        raise DomainError("timer_paused")
    return [ev.TimerPaused(at=now, speech_id=sp.id)]


@_handles("resume_timer")
def _resume(state, cmd, actor, now):
    sp = running_speech(state)
    if sp.paused_at is None:
        raise DomainError("timer_running")
    return [ev.TimerResumed(at=now, speech_id=sp.id)]


@_handles("tick")
def _tick(state, cmd, actor, now):
    """The server's timer: emits what is due by ``now`` (also after a restart, all at once)."""
    sp = state.speech
    if sp is None or sp.limit_ms is None or sp.paused_at is not None:
        return []
    out: list[ev.Event] = []
    elapsed = sp.elapsed(now)
    warn_at = sp.limit_ms - sp.warning_ms
    if sp.warning_ms > 0 and sp.warned_at is None and elapsed >= warn_at:
        out.append(ev.SpeechWarned(at=now, speech_id=sp.id, due_at=sp.due(warn_at)))
    if elapsed >= sp.limit_ms:
        if sp.overrun_at is None:
            out.append(ev.SpeechOverran(at=now, speech_id=sp.id, due_at=sp.due(sp.limit_ms)))
        if state.params.auto_end:
            out.append(ev.SpeechEnded(at=now, speech_id=sp.id, reason="auto"))
    return out


@_handles("call_to_order")
def _call_to_order(state, cmd, actor, now):
    pid = person_of(state, cmd.get("person"))
    sp = state.speech
    return [ev.CalledToOrder(at=now, person=pid, reason=cmd.get("reason"), note=cmd.get("note") or "",
                             speech_id=sp.id if sp else None)]


# ---- the recorder ---------------------------------------------------------------------------
@_handles("write_summary")
def _write_summary(state, cmd, actor, now):
    sid = cmd.get("speech_id")
    if not 1 <= sid <= len(state.speeches):
        raise DomainError("unknown_speech")
    return [ev.SummaryWritten(at=now, speech_id=sid, text=cmd.get("text"))]


@_handles("add_note")
def _add_note(state, cmd, actor, now):
    return [ev.NoteAdded(at=now, note_id=len(state.notes) + 1, kind=cmd.get("kind"), text=cmd.get("text"),
                         item=state.current_item)]


# ---- outcomes and the end -------------------------------------------------------------------
def _required(cmd: Command, *keys: str) -> dict:
    out = {}
    for key in keys:
        value = (cmd.get(key) or "").strip()
        if not value:
            raise DomainError("details_required", field=key)
        out[key] = value
    return out


@_handles("declare_outcome")
def _declare_outcome(state, cmd, actor, now):
    item, outcome = cmd.get("item"), cmd.get("outcome")
    if item >= len(state.items):
        raise DomainError("unknown_item", item=item + 1)
    if item in state.outcomes:
        raise DomainError("outcome_declared")
    vote = state.item_vote(item)
    if vote is None:
        raise DomainError("not_voted")
    r = vote.result
    if outcome == "a":
        if not r["passed"]:
            raise DomainError("outcome_mismatch", reason="the vote did not pass")
        details = _required(cmd, "what", "who", "by_when")
    elif outcome in ("b", "c"):
        if r["passed"]:
            raise DomainError("outcome_mismatch", reason="the vote passed")
        if outcome == "b" and not r["below_terminate"]:
            raise DomainError("outcome_mismatch", reason="yes reached the terminate line: re-consult (c)")
        if outcome == "c" and r["below_terminate"]:
            raise DomainError("outcome_mismatch", reason="yes is below the terminate line: terminated (b)")
        details = _required(cmd, "when", "terms") if outcome == "c" else {}
    else:
        details = _required(cmd, "note")
    if cmd.get("note") and "note" not in details:
        details["note"] = cmd.get("note")
    return [ev.OutcomeDeclared(at=now, item=item, outcome=outcome, details=details)]


@_handles("escalate")
def _escalate(state, cmd, actor, now):
    if state.phase == Phase.CONCLUDED:
        raise DomainError("wrong_phase", phase=str(state.phase))
    out: list[ev.Event] = []
    if state.speech is not None:
        out.append(ev.SpeechEnded(at=now, speech_id=state.speech.id, reason="escalated"))
    if state.vote is not None:
        out.append(ev.VoteAbandoned(at=now, vote_id=state.vote.id, reason="escalated"))
    out.append(ev.Escalated(at=now, reason=cmd.get("reason")))
    return out


@_handles("end_meeting")
def _end_meeting(state, cmd, actor, now):
    check_no_speech(state)
    check_no_vote(state)
    # Before any item is debated a meeting may be abandoned (no quorum, rules not adopted);
    # once debate has begun every item needs an outcome first.
    if state.phase not in (Phase.CONCLUDED, Phase.SIGNIN, Phase.RULES, Phase.EXPLANATION):
        raise DomainError("outcomes_pending")
    return [ev.MeetingEnded(at=now)]


# ---- after the meeting: the record's signatures, filing and communication ---------------------
def check_ended(state: MeetingState) -> None:
    if state.phase != Phase.ENDED:
        raise DomainError("meeting_not_ended")


@_handles("sign_record")
def _sign_record(state, cmd, actor, now):
    check_ended(state)
    if str(actor.role) in state.signatures:
        raise DomainError("already_signed")
    return [ev.RecordSigned(at=now, role=str(actor.role), person=actor.person)]


@_handles("file_record")
def _file_record(state, cmd, actor, now):
    check_ended(state)
    if state.filed is not None:
        raise DomainError("already_filed")
    return [ev.RecordFiled(at=now, note=cmd.get("note") or "")]


@_handles("communicate_result")
def _communicate_result(state, cmd, actor, now):
    check_ended(state)
    return [ev.ResultCommunicated(at=now, how=cmd.get("how"))]


missing = set(SPECS) - set(_DECIDERS)
assert not missing, f"commands without a handler: {missing}"
