"""The live state of one meeting, and ``evolve``: one handler per event type.

The state is a fold of the log: ``replay(events)`` from an empty state gives the live state, and
``to_dict`` gives a deterministic plain form so two states can be compared (the replay test).
``evolve`` changes the state it is given and returns it; ``decide`` never changes a state.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar, cast

from . import events as ev
from .params import RulesParams, Threshold
from .roster import Category, Person, default_votes
from .shapes import (
    CallToOrderEntry,
    CommunicationEntry,
    EscalationEntry,
    FilingEntry,
    ItemConfig,
    MeetingConfig,
    NoteEntry,
    OutcomeEntry,
    SignatureEntry,
    SignInEntry,
    VoteResult,
)


class Phase(StrEnum):
    NEW = "new"  # before meeting_created
    SIGNIN = "signin"
    RULES = "rules"  # the draft rules are presented and voted on
    EXPLANATION = "explanation"  # consultation open; the proposer explains
    DEBATE = "debate"  # one item under debate
    VOTING = "voting"  # the item's vote is open
    RESULT = "result"  # the item's vote is closed; the outcome is declared
    CONCLUDED = "concluded"  # every item has an outcome (or the topic was escalated)
    ENDED = "ended"


@dataclass
class Hand:
    person: str
    stance: str
    order: int  # server order of raising: smaller is earlier
    at: int


@dataclass
class Speech:
    id: int
    person: str
    kind: str  # debate | explanation | expert
    item: int | None
    stance: str | None
    started_at: int
    limit_ms: int | None
    warning_ms: int
    recommended: str | None = None
    departure_reason: str | None = None
    paused_total: int = 0
    paused_at: int | None = None
    warned_at: int | None = None
    overrun_at: int | None = None
    ended_at: int | None = None
    end_reason: str | None = None
    summary: str = ""

    def elapsed(self, now: int) -> int:
        """Speaking time so far, pauses excluded."""
        stop = self.paused_at if self.paused_at is not None else (self.ended_at if self.ended_at is not None else now)
        return max(0, stop - self.started_at - self.paused_total)

    def remaining(self, now: int) -> int | None:
        return None if self.limit_ms is None else self.limit_ms - self.elapsed(now)

    def due(self, offset_ms: int) -> int | None:
        """Server time at which ``offset_ms`` of speaking time is reached (None while paused)."""
        if self.paused_at is not None or self.ended_at is not None:
            return None
        return self.started_at + self.paused_total + offset_ms


@dataclass
class Vote:
    id: int
    kind: str  # rules | item
    item: int | None
    mode: str  # phone | hands | mixed
    base: list[str]
    registered: int
    threshold: Threshold
    abstain: bool
    ballot: str
    opened_at: int
    phone_voters: list[str] = field(default_factory=list)  # who voted by phone, in order
    named: dict[str, str] = field(default_factory=dict)  # named ballots only: person -> choice
    box: dict[str, int] = field(default_factory=dict)  # anonymous ballots only: choice -> count, nobody named
    hands: dict[str, int] = field(default_factory=dict)  # choice -> count
    closed_at: int | None = None
    result: VoteResult | None = None
    abandoned: bool = False
    # Indexes for membership tests (O(1) at thousands of voters); derived from base and phone_voters.
    base_set: frozenset[str] = field(init=False, repr=False, compare=False)
    voter_set: set[str] = field(default_factory=set, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.base_set = frozenset(self.base)
        self.voter_set = set(self.phone_voters)

    def in_base(self, person: str) -> bool:
        return person in self.base_set

    def count(self, choice: str) -> int:
        named = sum(1 for c in self.named.values() if c == choice)
        return named + self.box.get(choice, 0) + self.hands.get(choice, 0)

    def counted(self) -> int:
        return len(self.phone_voters) + sum(self.hands.values())

    def has_voted(self, person: str) -> bool:
        return person in self.voter_set


@dataclass
class MeetingState:
    phase: Phase = Phase.NEW
    version: int = 0  # events applied
    config: MeetingConfig = field(default_factory=MeetingConfig)
    roster: dict[str, Person] = field(default_factory=dict)
    params: RulesParams = field(default_factory=RulesParams)
    signed_in: dict[str, SignInEntry] = field(default_factory=dict)  # person -> {at, channel, by}
    rules_presented: bool = False
    rules_adopted: bool = False
    current_item: int | None = None
    hands: dict[str, Hand] = field(default_factory=dict)
    hand_counter: int = 0
    speeches: list[Speech] = field(default_factory=list)
    speech_counts: dict[int, dict[str, int]] = field(default_factory=dict)  # item -> person -> n
    last_stance: dict[int, str] = field(default_factory=dict)  # item -> stance of its last debate speech
    current_speech: int | None = None  # index into speeches
    votes: list[Vote] = field(default_factory=list)
    open_vote: int | None = None  # index into votes
    calls_to_order: list[CallToOrderEntry] = field(default_factory=list)
    notes: list[NoteEntry] = field(default_factory=list)
    outcomes: dict[int, OutcomeEntry] = field(default_factory=dict)  # item -> {outcome, details, at}
    escalation: EscalationEntry | None = None
    consultation_opened_at: int | None = None
    ended_at: int | None = None
    signatures: dict[str, SignatureEntry] = field(default_factory=dict)  # role -> {at, person}
    filed: FilingEntry | None = None  # {at, note}
    communicated: list[CommunicationEntry] = field(default_factory=list)  # [{at, how}]

    # ---- derived views used by decide and the projections -------------------------------
    @property
    def items(self) -> list[ItemConfig]:
        return self.config.get("items", [])

    @property
    def speech(self) -> Speech | None:
        return None if self.current_speech is None else self.speeches[self.current_speech]

    @property
    def vote(self) -> Vote | None:
        return None if self.open_vote is None else self.votes[self.open_vote]

    def speeches_by(self, person: str, item: int | None = None) -> int:
        item = self.current_item if item is None else item
        return self.speech_counts.get(item, {}).get(person, 0) if item is not None else 0

    def voting_signed_in(self) -> list[str]:
        return [pid for pid, p in self.roster.items() if p.votes and pid in self.signed_in]

    def voting_registered(self) -> int:
        return sum(1 for p in self.roster.values() if p.votes)

    def item_vote(self, item: int) -> Vote | None:
        for v in self.votes:
            if v.kind == "item" and v.item == item and v.result is not None:
                return v
        return None

    def to_dict(self) -> dict[str, Any]:
        """A plain, deterministic form of the whole state (used to compare replay with live)."""

        def plain(x: object) -> object:
            if isinstance(x, Threshold):
                return x.to_list()
            if isinstance(x, Person):
                return x.to_dict()
            if isinstance(x, RulesParams):
                return x.to_dict()
            if isinstance(x, (Hand, Speech, Vote)):
                return {k: plain(v) for k, v in x.__dict__.items() if k not in ("base_set", "voter_set")}
            if isinstance(x, dict):
                return {str(k): plain(v) for k, v in x.items()}
            if isinstance(x, (list, tuple)):
                return [plain(v) for v in x]
            return x

        return {k: plain(v) for k, v in self.__dict__.items()}


# ---- evolve ---------------------------------------------------------------------------------
E = TypeVar("E", bound=ev.Event)
_HANDLERS: dict[type[ev.Event], Callable[[MeetingState, Any], None]] = {}


def _on(cls: type[E]) -> Callable[[Callable[[MeetingState, E], None]], Callable[[MeetingState, E], None]]:
    def register(fn: Callable[[MeetingState, E], None]) -> Callable[[MeetingState, E], None]:
        _HANDLERS[cls] = fn
        return fn

    return register


def _open_vote(s: MeetingState) -> Vote:
    vote = s.vote
    if vote is None:
        raise ValueError("a vote event without an open vote")
    return vote


def evolve(state: MeetingState, event: ev.Event) -> MeetingState:
    """Apply one event. An event type without a handler is a programming error and fails loudly."""
    handler = _HANDLERS.get(type(event))
    if handler is None:
        raise TypeError(f"no evolve handler for {type(event).__name__}")
    handler(state, event)
    if not event.secret:  # a secret ballot is not an entry of the log (events.SecretBallot)
        state.version += 1
    return state


def replay(events: Iterable[ev.Event], ballot_box: dict[int, dict[str, int]] | None = None) -> MeetingState:
    """The state from a meeting's log and its ballot box (vote_id -> choice -> count of the
    anonymous ballots, which are never in the log). The box is folded in after the log: its
    ballots only add to their votes' counters, so their place in the order changes nothing."""
    state = MeetingState()
    for e in events:
        evolve(state, e)
    for vote_id, counts in sorted((ballot_box or {}).items()):
        for b in ev.ballot_box_events(vote_id, counts):
            evolve(state, b)
    return state


@_on(ev.MeetingCreated)
def _created(s: MeetingState, e: ev.MeetingCreated) -> None:
    s.config = cast(MeetingConfig, {k: v for k, v in e.config.items() if k not in ("roster", "params")})
    for raw in e.config["roster"]:
        cat = Category(raw["category"])
        s.roster[raw["id"]] = Person(
            id=raw["id"],
            name=raw["name"],
            category=cat,
            votes=raw.get("votes", default_votes(cat)),
            has_phone=raw.get("has_phone", True),
            phone=raw.get("phone"),
            remote=raw.get("remote", False),
        )
    s.params = RulesParams.from_dict(e.config.get("params") or {})
    s.phase = Phase.SIGNIN


@_on(ev.SignedIn)
def _signed_in(s: MeetingState, e: ev.SignedIn) -> None:
    s.signed_in[e.person] = {"at": e.at, "channel": e.channel, "by": e.by}


@_on(ev.SignedOut)
def _signed_out(s: MeetingState, e: ev.SignedOut) -> None:
    s.signed_in.pop(e.person, None)
    s.hands.pop(e.person, None)


@_on(ev.RulesPresented)
def _rules_presented(s: MeetingState, e: ev.RulesPresented) -> None:
    s.rules_presented = True
    s.phase = Phase.RULES


@_on(ev.RulesAmended)
def _rules_amended(s: MeetingState, e: ev.RulesAmended) -> None:
    s.params = RulesParams.from_dict(e.params)


@_on(ev.VoteOpened)
def _vote_opened(s: MeetingState, e: ev.VoteOpened) -> None:
    s.votes.append(
        Vote(
            id=e.vote_id, kind=e.kind, item=e.item, mode=e.mode, base=list(e.base),
            registered=e.registered, threshold=Threshold.from_list(e.threshold), abstain=e.abstain,
            ballot=e.ballot, opened_at=e.at,
        )
    )
    s.open_vote = len(s.votes) - 1
    if e.kind == "item":
        s.phase = Phase.VOTING


@_on(ev.VoteCast)
def _vote_cast(s: MeetingState, e: ev.VoteCast) -> None:
    vote = _open_vote(s)
    vote.phone_voters.append(e.person)
    vote.voter_set.add(e.person)
    vote.named[e.person] = e.choice


@_on(ev.BallotCast)
def _ballot_cast(s: MeetingState, e: ev.BallotCast) -> None:
    vote = _open_vote(s)
    vote.phone_voters.append(e.person)
    vote.voter_set.add(e.person)


@_on(ev.SecretBallot)
def _secret_ballot(s: MeetingState, e: ev.SecretBallot) -> None:
    vote = next(v for v in s.votes if v.id == e.vote_id)
    vote.box[e.choice] = vote.box.get(e.choice, 0) + 1


@_on(ev.HandCountEntered)
def _hand_count(s: MeetingState, e: ev.HandCountEntered) -> None:
    _open_vote(s).hands[e.choice] = e.count


@_on(ev.VoteClosed)
def _vote_closed(s: MeetingState, e: ev.VoteClosed) -> None:
    vote = _open_vote(s)
    vote.closed_at = e.at
    vote.result = e.result.copy()
    s.open_vote = None
    if vote.kind == "rules":
        s.rules_adopted = bool(e.result["passed"])
    else:
        s.phase = Phase.RESULT


@_on(ev.VoteAbandoned)
def _vote_abandoned(s: MeetingState, e: ev.VoteAbandoned) -> None:
    vote = _open_vote(s)
    vote.closed_at = e.at
    vote.abandoned = True
    s.open_vote = None


@_on(ev.ConsultationOpened)
def _opened(s: MeetingState, e: ev.ConsultationOpened) -> None:
    s.consultation_opened_at = e.at
    s.phase = Phase.EXPLANATION


@_on(ev.ItemBegun)
def _item_begun(s: MeetingState, e: ev.ItemBegun) -> None:
    s.current_item = e.item
    s.hands.clear()
    s.speech_counts.setdefault(e.item, {})
    s.phase = Phase.DEBATE


@_on(ev.HandRaised)
def _hand_raised(s: MeetingState, e: ev.HandRaised) -> None:
    s.hand_counter += 1
    s.hands[e.person] = Hand(person=e.person, stance=e.stance, order=s.hand_counter, at=e.at)


@_on(ev.HandLowered)
def _hand_lowered(s: MeetingState, e: ev.HandLowered) -> None:
    s.hands.pop(e.person, None)


@_on(ev.FloorGiven)
def _floor_given(s: MeetingState, e: ev.FloorGiven) -> None:
    s.speeches.append(
        Speech(
            id=e.speech_id, person=e.person, kind=e.kind, item=e.item, stance=e.stance,
            started_at=e.at, limit_ms=e.limit_ms, warning_ms=e.warning_ms,
            recommended=e.recommended, departure_reason=e.departure_reason,
        )
    )
    s.current_speech = len(s.speeches) - 1
    if e.kind == "debate":
        s.hands.pop(e.person, None)
        if e.item is not None:  # debate is always on an item
            counts = s.speech_counts.setdefault(e.item, {})
            counts[e.person] = counts.get(e.person, 0) + 1
            if e.stance is not None:
                s.last_stance[e.item] = e.stance


def _speech(s: MeetingState, speech_id: int) -> Speech:
    return s.speeches[speech_id - 1]  # speech ids are 1-based positions


@_on(ev.SpeechWarned)
def _warned(s: MeetingState, e: ev.SpeechWarned) -> None:
    _speech(s, e.speech_id).warned_at = e.due_at


@_on(ev.SpeechOverran)
def _overran(s: MeetingState, e: ev.SpeechOverran) -> None:
    _speech(s, e.speech_id).overrun_at = e.due_at


@_on(ev.SpeechEnded)
def _ended(s: MeetingState, e: ev.SpeechEnded) -> None:
    sp = _speech(s, e.speech_id)
    if sp.paused_at is not None:
        sp.paused_total += e.at - sp.paused_at
        sp.paused_at = None
    sp.ended_at = e.at
    sp.end_reason = e.reason
    s.current_speech = None


@_on(ev.TimerPaused)
def _paused(s: MeetingState, e: ev.TimerPaused) -> None:
    _speech(s, e.speech_id).paused_at = e.at


@_on(ev.TimerResumed)
def _resumed(s: MeetingState, e: ev.TimerResumed) -> None:
    sp = _speech(s, e.speech_id)
    if sp.paused_at is not None:
        sp.paused_total += e.at - sp.paused_at
    sp.paused_at = None


@_on(ev.CalledToOrder)
def _called(s: MeetingState, e: ev.CalledToOrder) -> None:
    s.calls_to_order.append({
        "at": e.at, "person": e.person, "reason": e.reason, "note": e.note, "speech_id": e.speech_id,
        "item": s.current_item,
    })


@_on(ev.SummaryWritten)
def _summary(s: MeetingState, e: ev.SummaryWritten) -> None:
    _speech(s, e.speech_id).summary = e.text


@_on(ev.NoteAdded)
def _note(s: MeetingState, e: ev.NoteAdded) -> None:
    s.notes.append({"id": e.note_id, "at": e.at, "kind": e.kind, "text": e.text, "item": e.item})


@_on(ev.OutcomeDeclared)
def _outcome(s: MeetingState, e: ev.OutcomeDeclared) -> None:
    s.outcomes[e.item] = {"outcome": e.outcome, "details": e.details.copy(), "at": e.at}
    if len(s.outcomes) == len(s.items):
        s.phase = Phase.CONCLUDED


@_on(ev.Escalated)
def _escalated(s: MeetingState, e: ev.Escalated) -> None:
    s.escalation = {"at": e.at, "reason": e.reason}
    for i in range(len(s.items)):
        if i not in s.outcomes:
            s.outcomes[i] = {"outcome": "d", "details": {"note": e.reason}, "at": e.at}
    s.hands.clear()
    s.phase = Phase.CONCLUDED


@_on(ev.MeetingEnded)
def _meeting_ended(s: MeetingState, e: ev.MeetingEnded) -> None:
    s.ended_at = e.at
    s.hands.clear()
    s.phase = Phase.ENDED


@_on(ev.RecordSigned)
def _signed(s: MeetingState, e: ev.RecordSigned) -> None:
    s.signatures[e.role] = {"at": e.at, "person": e.person}


@_on(ev.RecordFiled)
def _filed(s: MeetingState, e: ev.RecordFiled) -> None:
    s.filed = {"at": e.at, "note": e.note}


@_on(ev.ResultCommunicated)
def _communicated(s: MeetingState, e: ev.ResultCommunicated) -> None:
    s.communicated.append({"at": e.at, "how": e.how})
