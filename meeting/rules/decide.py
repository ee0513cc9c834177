"""``decide(state, command, actor, now) -> list[Event]``: the rules of RULES.md §1–§5.

Pure: no I/O, no clock (``now`` is given, in ms), and the state is never changed here. Each
command has one handler; a rule is a check that raises DomainError before any event exists.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from . import commands as c, events as ev
from .commands import Actor, Command
from .config import normalize_config
from .errors import DomainError
from .floor import recommend
from .params import FIXED_AT_SETUP, RulesParams
from .roster import ANSWERING_CATEGORIES, Role
from .shapes import OutcomeDetails
from .state import MeetingState, Phase, Speech, Vote
from .votes import tally

C = TypeVar("C", bound=Command)
Handler = Callable[[MeetingState, C, Actor, int], list[ev.Event]]
_DECIDERS: dict[type[Command], Handler[Any]] = {}

# Only the record may still be completed once the meeting has ended.
AFTER_END = frozenset({"write_summary", "add_note", "sign_record", "file_record", "communicate_result"})


def _handles(cls: type[C]) -> Callable[[Handler[C]], Handler[C]]:
    def register(fn: Handler[C]) -> Handler[C]:
        _DECIDERS[cls] = fn
        return fn

    return register


def decide(state: MeetingState, command: Command, actor: Actor, now: int) -> list[ev.Event]:
    if actor.role not in command.roles:
        raise DomainError("forbidden_role", role=str(actor.role), command=command.name)
    if command.name != "create_meeting":
        if state.phase == Phase.NEW:
            raise DomainError("no_meeting")
        if state.phase == Phase.ENDED and command.name not in AFTER_END:
            raise DomainError("meeting_ended")
        if actor.role in (Role.PARTICIPANT, Role.SUPERVISOR) and actor.person not in state.roster:
            raise DomainError("unknown_person", person=str(actor.person))
    return _DECIDERS[type(command)](state, command, actor, now)


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


def own(actor: Actor) -> str:
    """The person a participant or supervisor acts as (decide has checked they are on the roster)."""
    if actor.person is None:
        raise DomainError("unknown_person", person=str(actor.person))
    return actor.person


def self_or_named(state: MeetingState, named: str | None, actor: Actor) -> str:
    """Participants act for themselves; staff name the person."""
    if actor.role in (Role.PARTICIPANT, Role.SUPERVISOR):
        if named not in (None, actor.person):
            raise DomainError("not_yourself")
        return own(actor)
    return person_of(state, named)


def name(state: MeetingState, pid: str | None) -> str:
    person = state.roster.get(pid) if pid is not None else None
    return person.name if person is not None else str(pid)


# ---- set-up and sign-in ---------------------------------------------------------------------
@_handles(c.CreateMeeting)
def _create(state: MeetingState, cmd: c.CreateMeeting, actor: Actor, now: int) -> list[ev.Event]:
    if state.phase != Phase.NEW:
        raise DomainError("meeting_exists")
    return [ev.MeetingCreated(at=now, config=normalize_config(cmd.config))]


@_handles(c.SignIn)
def _sign_in(state: MeetingState, cmd: c.SignIn, actor: Actor, now: int) -> list[ev.Event]:
    pid = self_or_named(state, cmd.person, actor)
    channel: str
    if actor.role in (Role.PARTICIPANT, Role.SUPERVISOR):
        channel = cmd.channel or ("online" if state.roster[pid].remote else "room")
    else:
        if cmd.channel is not None:
            raise DomainError("bad_channel")
        channel = "recorder"
    if pid in state.signed_in:
        raise DomainError("already_signed_in", person=name(state, pid), person_id=pid)
    return [ev.SignedIn(at=now, person=pid, channel=channel, by=str(actor.role))]


@_handles(c.SignOut)
def _sign_out(state: MeetingState, cmd: c.SignOut, actor: Actor, now: int) -> list[ev.Event]:
    pid = person_of(state, cmd.person)
    if pid not in state.signed_in:
        raise DomainError("not_signed_in", person=name(state, pid), person_id=pid)
    if state.speech is not None and state.speech.person == pid:
        raise DomainError("speech_in_progress")
    return [ev.SignedOut(at=now, person=pid, by=str(actor.role))]


# ---- rules of procedure ----------------------------------------------------------------------
@_handles(c.PresentRules)
def _present_rules(state: MeetingState, cmd: c.PresentRules, actor: Actor, now: int) -> list[ev.Event]:
    check_phase(state, Phase.SIGNIN)
    return [ev.RulesPresented(at=now)]


@_handles(c.AmendRules)
def _amend_rules(state: MeetingState, cmd: c.AmendRules, actor: Actor, now: int) -> list[ev.Event]:
    check_phase(state, Phase.SIGNIN, Phase.RULES)
    check_no_vote(state)
    if state.rules_adopted:
        raise DomainError("rules_already_adopted")
    new = RulesParams.from_dict(cmd.params, base=state.params)
    for key in sorted(FIXED_AT_SETUP):
        if getattr(new, key) != getattr(state.params, key):
            raise DomainError("bad_rules", reason="fixed_at_setup", param=key)
    return [ev.RulesAmended(at=now, params=new.to_dict())]


@_handles(c.DeclareOpen)
def _declare_open(state: MeetingState, cmd: c.DeclareOpen, actor: Actor, now: int) -> list[ev.Event]:
    check_phase(state, Phase.RULES)
    check_no_vote(state)
    if not state.rules_adopted:
        raise DomainError("rules_not_adopted")
    return [ev.ConsultationOpened(at=now)]


# ---- votes ----------------------------------------------------------------------------------
@_handles(c.OpenVote)
def _open_vote(state: MeetingState, cmd: c.OpenVote, actor: Actor, now: int) -> list[ev.Event]:
    check_no_vote(state)
    p = state.params
    if cmd.kind == "rules":
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
        raise DomainError("quorum_not_met", signed_in=len(base), registered=registered,
                          needed=p.quorum.minimum(registered))
    if not base:
        raise DomainError("empty_base")
    return [
        ev.VoteOpened(
            at=now, vote_id=len(state.votes) + 1, kind=cmd.kind, item=item, mode=cmd.mode or "mixed",
            base=base, registered=registered, threshold=threshold.to_list(), abstain=p.abstain_on_phones,
            ballot=p.ballot,
        )
    ]


def open_vote_of(state: MeetingState) -> Vote:
    vote = state.vote
    if vote is None:
        raise DomainError("no_vote_open")
    return vote


@_handles(c.CastVote)
def _cast_vote(state: MeetingState, cmd: c.CastVote, actor: Actor, now: int) -> list[ev.Event]:
    vote = open_vote_of(state)
    if vote.mode == "hands":
        raise DomainError("channel_closed", mode=vote.mode)
    pid = own(actor)
    if not vote.in_base(pid):
        raise DomainError("not_voter")
    if pid not in state.signed_in:  # §4: only voters who are signed in (someone may leave mid-vote)
        raise DomainError("not_signed_in", person=name(state, pid), person_id=pid)
    if vote.has_voted(pid):
        raise DomainError("already_voted")
    choice = cmd.choice
    if choice == "abstain" and not vote.abstain:
        raise DomainError("abstain_not_offered")
    # No count check: a phone ballot names a voter of the base who has not voted, so it is always
    # taken; in a mixed vote it may push the hands over the base (the voter's hand was counted
    # too), and then the recorder recounts before the close (docs/rules.md, "mixed votes").
    if vote.ballot == "anonymous":
        # The voter goes into the log, the choice into the ballot box: nothing links the two.
        return [ev.BallotCast(at=now, vote_id=vote.id, person=pid),
                ev.SecretBallot(at=now, vote_id=vote.id, choice=choice)]
    return [ev.VoteCast(at=now, vote_id=vote.id, person=pid, choice=choice)]


@_handles(c.EnterHandCount)
def _enter_hand_count(state: MeetingState, cmd: c.EnterHandCount, actor: Actor, now: int) -> list[ev.Event]:
    vote = open_vote_of(state)
    if vote.mode == "phone":
        raise DomainError("channel_closed", mode=vote.mode)
    choice, count = cmd.choice, cmd.count
    if choice == "abstain" and not vote.abstain:
        raise DomainError("abstain_not_offered")
    # Nobody is counted twice: the hands together may not exceed those who did not vote by phone.
    # A lower count is always taken (the recount after a phone ballot overtook a hand).
    if count > vote.hands.get(choice, 0) and vote.counted() - vote.hands.get(choice, 0) + count > len(vote.base):
        raise DomainError("count_exceeds", base=len(vote.base))
    return [ev.HandCountEntered(at=now, vote_id=vote.id, choice=choice, count=count, by=str(actor.role))]


@_handles(c.CloseVote)
def _close_vote(state: MeetingState, cmd: c.CloseVote, actor: Actor, now: int) -> list[ev.Event]:
    vote = open_vote_of(state)
    if vote.counted() > len(vote.base):  # a phone ballot came in for someone counted by hand
        raise DomainError("hands_over_base", counted=vote.counted(), base=len(vote.base))
    return [ev.VoteClosed(at=now, vote_id=vote.id, result=tally(vote, state.params.terminate_below))]


# ---- explanation, items, floor --------------------------------------------------------------
@_handles(c.StartExplanation)
def _start_explanation(state: MeetingState, cmd: c.StartExplanation, actor: Actor, now: int) -> list[ev.Event]:
    check_phase(state, Phase.EXPLANATION)
    check_no_speech(state)
    proposer = state.config.get("proposer")
    if proposer is None:
        raise DomainError("not_proposer")
    if proposer not in state.signed_in:
        raise DomainError("not_signed_in", person=name(state, proposer), person_id=proposer)
    return [_floor(state, now, proposer, "explanation", None, None, None)]


def _floor(state: MeetingState, now: int, pid: str, kind: str, stance: str | None, recommended: str | None,
           reason: str | None) -> ev.FloorGiven:
    timed = kind == "debate"
    return ev.FloorGiven(
        at=now, speech_id=len(state.speeches) + 1, person=pid, kind=kind, item=state.current_item, stance=stance,
        limit_ms=state.params.speech_limit_ms if timed else None, warning_ms=state.params.warning_ms if timed else 0,
        recommended=recommended, departure_reason=reason,
    )


@_handles(c.BeginItem)
def _begin_item(state: MeetingState, cmd: c.BeginItem, actor: Actor, now: int) -> list[ev.Event]:
    check_phase(state, Phase.EXPLANATION, Phase.RESULT)
    check_no_speech(state)
    item = cmd.item
    if item >= len(state.items):
        raise DomainError("unknown_item", item=item + 1)
    if state.current_item is not None and state.current_item not in state.outcomes:
        raise DomainError("outcome_pending")
    expected = 0 if state.current_item is None else state.current_item + 1
    if item != expected:
        raise DomainError("item_not_next", expected=expected + 1)
    return [ev.ItemBegun(at=now, item=item)]


@_handles(c.RaiseHand)
def _raise_hand(state: MeetingState, cmd: c.RaiseHand, actor: Actor, now: int) -> list[ev.Event]:
    check_phase(state, Phase.DEBATE)
    pid = own(actor)
    if not state.roster[pid].may_queue:
        raise DomainError("not_in_queue_category")
    if pid not in state.signed_in:
        raise DomainError("not_signed_in", person=name(state, pid), person_id=pid)
    if state.speech is not None and state.speech.person == pid:
        raise DomainError("is_speaking")
    if pid in state.hands:
        raise DomainError("hand_already_up")
    if state.speeches_by(pid) >= state.params.speeches_per_item:
        raise DomainError("speech_cap_reached", cap=state.params.speeches_per_item)
    return [ev.HandRaised(at=now, person=pid, stance=cmd.stance)]


@_handles(c.LowerHand)
def _lower_hand(state: MeetingState, cmd: c.LowerHand, actor: Actor, now: int) -> list[ev.Event]:
    pid = self_or_named(state, cmd.person, actor)
    if pid not in state.hands:
        raise DomainError("no_hand", person=name(state, pid), person_id=pid)
    return [ev.HandLowered(at=now, person=pid, by=str(actor.role))]


@_handles(c.GiveFloor)
def _give_floor(state: MeetingState, cmd: c.GiveFloor, actor: Actor, now: int) -> list[ev.Event]:
    check_phase(state, Phase.DEBATE)
    check_no_speech(state)
    pid = person_of(state, cmd.person)
    hand = state.hands.get(pid)
    if hand is None:
        raise DomainError("no_hand", person=name(state, pid), person_id=pid)
    rec = recommend(state)  # there is one: pid's hand is up
    recommended = rec.person if rec is not None else None
    reason = None
    if recommended != pid:
        reason = (cmd.reason or "").strip()
        if not reason:
            raise DomainError("reason_required", recommended=name(state, recommended), recommended_id=recommended)
    return [_floor(state, now, pid, "debate", hand.stance, recommended, reason)]


@_handles(c.GiveExpertFloor)
def _give_expert_floor(state: MeetingState, cmd: c.GiveExpertFloor, actor: Actor, now: int) -> list[ev.Event]:
    check_phase(state, Phase.DEBATE)
    check_no_speech(state)
    pid = person_of(state, cmd.person)
    if state.roster[pid].category not in ANSWERING_CATEGORIES:
        raise DomainError("not_expert")
    if pid not in state.signed_in:
        raise DomainError("not_signed_in", person=name(state, pid), person_id=pid)
    return [_floor(state, now, pid, "expert", None, None, None)]


def running_speech(state: MeetingState) -> Speech:
    if state.speech is None:
        raise DomainError("no_speech")
    return state.speech


@_handles(c.EndSpeech)
def _end_speech(state: MeetingState, cmd: c.EndSpeech, actor: Actor, now: int) -> list[ev.Event]:
    return [ev.SpeechEnded(at=now, speech_id=running_speech(state).id, reason="moderator")]


@_handles(c.YieldFloor)
def _yield_floor(state: MeetingState, cmd: c.YieldFloor, actor: Actor, now: int) -> list[ev.Event]:
    sp = state.speech
    if sp is None or sp.person != actor.person:
        raise DomainError("not_speaker")
    return [ev.SpeechEnded(at=now, speech_id=sp.id, reason="yield")]


@_handles(c.PauseTimer)
def _pause(state: MeetingState, cmd: c.PauseTimer, actor: Actor, now: int) -> list[ev.Event]:
    sp = running_speech(state)
    if sp.paused_at is not None:
        raise DomainError("timer_paused")
    return [ev.TimerPaused(at=now, speech_id=sp.id)]


@_handles(c.ResumeTimer)
def _resume(state: MeetingState, cmd: c.ResumeTimer, actor: Actor, now: int) -> list[ev.Event]:
    sp = running_speech(state)
    if sp.paused_at is None:
        raise DomainError("timer_running")
    return [ev.TimerResumed(at=now, speech_id=sp.id)]


@_handles(c.Tick)
def _tick(state: MeetingState, cmd: c.Tick, actor: Actor, now: int) -> list[ev.Event]:
    """The server's timer: emits what is due by ``now`` (also after a restart, all at once)."""
    sp = state.speech
    if sp is None or sp.limit_ms is None or sp.paused_at is not None:
        return []
    out: list[ev.Event] = []
    elapsed = sp.elapsed(now)
    warn_at = sp.limit_ms - sp.warning_ms
    warn_due, limit_due = sp.due(warn_at), sp.due(sp.limit_ms)
    if warn_due is None or limit_due is None:  # the clock is not running: nothing falls due
        return []
    if sp.warning_ms > 0 and sp.warned_at is None and elapsed >= warn_at:
        out.append(ev.SpeechWarned(at=now, speech_id=sp.id, due_at=warn_due))
    if elapsed >= sp.limit_ms:
        if sp.overrun_at is None:
            out.append(ev.SpeechOverran(at=now, speech_id=sp.id, due_at=limit_due))
        if state.params.auto_end:
            out.append(ev.SpeechEnded(at=now, speech_id=sp.id, reason="auto"))
    return out


@_handles(c.CallToOrder)
def _call_to_order(state: MeetingState, cmd: c.CallToOrder, actor: Actor, now: int) -> list[ev.Event]:
    pid = person_of(state, cmd.person)
    sp = state.speech
    return [ev.CalledToOrder(at=now, person=pid, reason=cmd.reason, note=cmd.note or "",
                             speech_id=sp.id if sp else None)]


# ---- the recorder ---------------------------------------------------------------------------
@_handles(c.WriteSummary)
def _write_summary(state: MeetingState, cmd: c.WriteSummary, actor: Actor, now: int) -> list[ev.Event]:
    sid = cmd.speech_id
    if not 1 <= sid <= len(state.speeches):
        raise DomainError("unknown_speech")
    return [ev.SummaryWritten(at=now, speech_id=sid, text=cmd.text)]


@_handles(c.AddNote)
def _add_note(state: MeetingState, cmd: c.AddNote, actor: Actor, now: int) -> list[ev.Event]:
    return [ev.NoteAdded(at=now, note_id=len(state.notes) + 1, kind=cmd.kind, text=cmd.text,
                         item=state.current_item)]


# ---- outcomes and the end -------------------------------------------------------------------
def _required(value: str | None, key: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError("details_required", field=key)
    return value


@_handles(c.DeclareOutcome)
def _declare_outcome(state: MeetingState, cmd: c.DeclareOutcome, actor: Actor, now: int) -> list[ev.Event]:
    item, outcome = cmd.item, cmd.outcome
    if item >= len(state.items):
        raise DomainError("unknown_item", item=item + 1)
    if item in state.outcomes:
        raise DomainError("outcome_declared")
    vote = state.item_vote(item)
    if vote is None or vote.result is None:
        raise DomainError("not_voted")
    r = vote.result
    details: OutcomeDetails
    if outcome == "a":
        if not r["passed"]:
            raise DomainError("outcome_mismatch", reason="not_passed")
        details = {"what": _required(cmd.what, "what"), "who": _required(cmd.who, "who"),
                   "by_when": _required(cmd.by_when, "by_when")}
        if cmd.supervision and cmd.supervision.strip():
            details["supervision"] = cmd.supervision.strip()
    elif outcome in ("b", "c"):
        if r["passed"]:
            raise DomainError("outcome_mismatch", reason="passed")
        if outcome == "b" and not r["below_terminate"]:
            raise DomainError("outcome_mismatch", reason="above_terminate")
        if outcome == "c" and r["below_terminate"]:
            raise DomainError("outcome_mismatch", reason="below_terminate")
        details = {}
        if outcome == "c":
            details = {"when": _required(cmd.when, "when"), "terms": _required(cmd.terms, "terms")}
    else:
        details = {"note": _required(cmd.note, "note")}
    if cmd.note and "note" not in details:
        details["note"] = cmd.note
    return [ev.OutcomeDeclared(at=now, item=item, outcome=outcome, details=details)]


@_handles(c.Escalate)
def _escalate(state: MeetingState, cmd: c.Escalate, actor: Actor, now: int) -> list[ev.Event]:
    if state.phase == Phase.CONCLUDED:
        raise DomainError("wrong_phase", phase=str(state.phase))
    out: list[ev.Event] = []
    if state.speech is not None:
        out.append(ev.SpeechEnded(at=now, speech_id=state.speech.id, reason="escalated"))
    if state.vote is not None:
        out.append(ev.VoteAbandoned(at=now, vote_id=state.vote.id, reason="escalated"))
    out.append(ev.Escalated(at=now, reason=cmd.reason))
    return out


@_handles(c.EndMeeting)
def _end_meeting(state: MeetingState, cmd: c.EndMeeting, actor: Actor, now: int) -> list[ev.Event]:
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


@_handles(c.SignRecord)
def _sign_record(state: MeetingState, cmd: c.SignRecord, actor: Actor, now: int) -> list[ev.Event]:
    check_ended(state)
    if str(actor.role) in state.signatures:
        raise DomainError("already_signed")
    return [ev.RecordSigned(at=now, role=str(actor.role), person=actor.person)]


@_handles(c.FileRecord)
def _file_record(state: MeetingState, cmd: c.FileRecord, actor: Actor, now: int) -> list[ev.Event]:
    check_ended(state)
    if state.filed is not None:
        raise DomainError("already_filed")
    return [ev.RecordFiled(at=now, note=cmd.note or "")]


@_handles(c.CommunicateResult)
def _communicate_result(state: MeetingState, cmd: c.CommunicateResult, actor: Actor, now: int) -> list[ev.Event]:
    check_ended(state)
    return [ev.ResultCommunicated(at=now, how=cmd.how)]


missing = {cls.name for cls in c.COMMANDS} - {cls.name for cls in _DECIDERS}
assert not missing, f"commands without a handler: {missing}"
