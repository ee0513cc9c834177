"""Every state change is one of these named events. The log of a meeting is a list of them.

Events are small frozen dataclasses; ``at`` is the server time in milliseconds since the epoch,
given to the engine by the service (the engine never reads a clock). ``to_dict``/``from_dict``
give the JSON form stored in the database and sent to clients. docs/protocol.md lists them all;
a test checks the two agree.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

from .shapes import CreatedConfig, OutcomeDetails, ParamsRecord, ThresholdList, VoteResult


@dataclass(frozen=True, kw_only=True)
class Event:
    """The base of every event: ``type`` names it in the log, ``at`` is the server time (ms)."""

    type: ClassVar[str] = ""
    secret: ClassVar[bool] = False  # True only for SecretBallot: kept out of the log
    at: int

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["type"] = self.type
        return d


@dataclass(frozen=True, kw_only=True)
class MeetingCreated(Event):
    """The meeting was set up with these settings: title, topic, items, place, form, staff names,
    rules draft, roster."""

    type: ClassVar[str] = "meeting_created"
    config: CreatedConfig


@dataclass(frozen=True, kw_only=True)
class SignedIn(Event):
    """person signed in by channel (room | online | recorder); by = the role that did it."""

    type: ClassVar[str] = "signed_in"
    person: str
    channel: str
    by: str


@dataclass(frozen=True, kw_only=True)
class SignedOut(Event):
    """person left the meeting; later votes no longer count them in the base."""

    type: ClassVar[str] = "signed_out"
    person: str
    by: str


@dataclass(frozen=True, kw_only=True)
class RulesPresented(Event):
    """The moderator presented the draft rules of procedure; sign-in goes on."""

    type: ClassVar[str] = "rules_presented"


@dataclass(frozen=True, kw_only=True)
class RulesAmended(Event):
    """The draft rules after an amendment (the whole parameter set)."""

    type: ClassVar[str] = "rules_amended"
    params: ParamsRecord


@dataclass(frozen=True, kw_only=True)
class VoteOpened(Event):
    """A vote was opened: vote_id, kind (rules | item), item index or null, mode (phone | hands |
    mixed), the base (ids of signed-in voting stakeholders), registered voting count, threshold
    [num, den, inclusive], abstain offered, ballot (named | anonymous)."""

    type: ClassVar[str] = "vote_opened"
    vote_id: int
    kind: str
    item: int | None
    mode: str
    base: list[str]
    registered: int
    threshold: ThresholdList
    abstain: bool
    ballot: str


@dataclass(frozen=True, kw_only=True)
class VoteCast(Event):
    """In a named ballot (记名表决): person cast choice (yes | no | abstain) by phone in vote_id."""

    type: ClassVar[str] = "vote_cast"
    vote_id: int
    person: str
    choice: str


@dataclass(frozen=True, kw_only=True)
class BallotCast(Event):
    """In an anonymous ballot: person has voted by phone in vote_id (the poll book); the choice is
    counted in the ballot box, apart from the log (docs/security.md)."""

    type: ClassVar[str] = "ballot_cast"

    # The choice is not part of this event: it is a SecretBallot, which the service adds to the
    # ballot box with nothing that orders one against the other.

    vote_id: int
    person: str


# ---- the ballot box ---------------------------------------------------------------------------
# A secret ballot is an event of the engine (decide returns it, evolve counts it) but never an
# entry of the log: the service adds it to the meeting's ballot box, a per-choice counter stored
# apart from the log, in the same transaction as the BallotCast that marks the voter. It has no
# seq and does not advance the state's version. On a rebuild the counters are folded in after the
# log (``ballot_box_events``, ``state.replay``); a closed vote's counts are also in its vote_closed.
@dataclass(frozen=True, kw_only=True)
class SecretBallot(Event):
    """One anonymous ballot's choice in vote_id; it names nobody."""

    type: ClassVar[str] = "secret_ballot"
    secret: ClassVar[bool] = True
    vote_id: int
    choice: str


SECRET_EVENT_TYPES: dict[str, type[Event]] = {SecretBallot.type: SecretBallot}


def ballot_box_events(vote_id: int, counts: dict[str, int]) -> list[SecretBallot]:
    """The ballot box's counters for vote_id as the secret ballots to fold into a rebuilt state."""
    return [SecretBallot(at=0, vote_id=vote_id, choice=c) for c, n in sorted(counts.items()) for _ in range(n)]


@dataclass(frozen=True, kw_only=True)
class HandCountEntered(Event):
    """The recorder's count of raised hands for one choice in vote_id (replaces an earlier entry)."""

    type: ClassVar[str] = "hand_count_entered"
    vote_id: int
    choice: str
    count: int
    by: str


@dataclass(frozen=True, kw_only=True)
class VoteClosed(Event):
    """vote_id was closed and counted; result holds base, registered, yes, no, abstain, not_voting, tenths
    (percentages of the base ×10), threshold, passed, below_terminate."""

    type: ClassVar[str] = "vote_closed"
    vote_id: int
    result: VoteResult


@dataclass(frozen=True, kw_only=True)
class VoteAbandoned(Event):
    """An open vote was abandoned (only by escalation)."""

    type: ClassVar[str] = "vote_abandoned"
    vote_id: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class ConsultationOpened(Event):
    """The moderator declared the consultation open (rules adopted)."""

    type: ClassVar[str] = "consultation_opened"


@dataclass(frozen=True, kw_only=True)
class ItemBegun(Event):
    """Debate on item (0-based index) begins; hands are cleared."""

    type: ClassVar[str] = "item_begun"
    item: int


@dataclass(frozen=True, kw_only=True)
class HandRaised(Event):
    """person raised a hand with stance (for | against); places are in server order."""

    type: ClassVar[str] = "hand_raised"
    person: str
    stance: str


@dataclass(frozen=True, kw_only=True)
class HandLowered(Event):
    """person's hand went down; by = the role that lowered it."""

    type: ClassVar[str] = "hand_lowered"
    person: str
    by: str


@dataclass(frozen=True, kw_only=True)
class FloorGiven(Event):
    """The moderator gave person the floor and speech_id starts: kind (debate | explanation |
    expert), item, stance, limit_ms (null = untimed), warning_ms, the recommended person at that
    moment and the reason for a departure from it."""

    type: ClassVar[str] = "floor_given"
    speech_id: int
    person: str
    kind: str
    item: int | None
    stance: str | None
    limit_ms: int | None
    warning_ms: int
    recommended: str | None
    departure_reason: str | None


@dataclass(frozen=True, kw_only=True)
class SpeechWarned(Event):
    """The warning time before the limit was reached (due_at: when it was due)."""

    type: ClassVar[str] = "speech_warned"
    speech_id: int
    due_at: int


@dataclass(frozen=True, kw_only=True)
class SpeechOverran(Event):
    """The limit was reached (due_at: when it was due)."""

    type: ClassVar[str] = "speech_overran"
    speech_id: int
    due_at: int


@dataclass(frozen=True, kw_only=True)
class SpeechEnded(Event):
    """speech_id ended; reason: moderator (ended by the moderator) | yield (the speaker ended it) |
    auto (the limit was reached and auto end is on) | escalated."""

    type: ClassVar[str] = "speech_ended"
    speech_id: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class TimerPaused(Event):
    """The moderator stopped the clock of speech_id; speaking time does not run until it resumes."""

    type: ClassVar[str] = "timer_paused"
    speech_id: int


@dataclass(frozen=True, kw_only=True)
class TimerResumed(Event):
    """The clock of speech_id runs again; the paused time is not counted as speaking time."""

    type: ClassVar[str] = "timer_resumed"
    speech_id: int


@dataclass(frozen=True, kw_only=True)
class CalledToOrder(Event):
    """A call to order (制止) against person: reason (interrupting | direct_debate |
    personal_attack | questioning_motives | labelling | other), note, the speech under way."""

    type: ClassVar[str] = "called_to_order"
    person: str
    reason: str
    note: str
    speech_id: int | None


@dataclass(frozen=True, kw_only=True)
class SummaryWritten(Event):
    """The recorder's summary of speech_id (replaces an earlier one)."""

    type: ClassVar[str] = "summary_written"
    speech_id: int
    text: str


@dataclass(frozen=True, kw_only=True)
class NoteAdded(Event):
    """A recorder's note: kind (expert_answer | consensus | dissent | other), text, item."""

    type: ClassVar[str] = "note_added"
    note_id: int
    kind: str
    text: str
    item: int | None


@dataclass(frozen=True, kw_only=True)
class OutcomeDeclared(Event):
    """item's outcome class a | b | c | d with details: implementation {what, who, by_when, and
    optionally supervision: how its implementation is supervised} (a), reconsult {when, terms} (c),
    note (d, or any)."""

    type: ClassVar[str] = "outcome_declared"
    item: int
    outcome: str
    details: OutcomeDetails


@dataclass(frozen=True, kw_only=True)
class Escalated(Event):
    """The moderator found the matter concerns most residents: items without an outcome get d."""

    type: ClassVar[str] = "escalated"
    reason: str


@dataclass(frozen=True, kw_only=True)
class MeetingEnded(Event):
    """The meeting ended; only the record may still be completed."""

    type: ClassVar[str] = "meeting_ended"


@dataclass(frozen=True, kw_only=True)
class RecordSigned(Event):
    """The record was signed by role (moderator | recorder | supervisor); person for the supervisor."""

    type: ClassVar[str] = "record_signed"
    role: str
    person: str | None


@dataclass(frozen=True, kw_only=True)
class RecordFiled(Event):
    """The record was filed with the supervision committee (000 §5(7)①: the same or the next day)."""

    type: ClassVar[str] = "record_filed"
    note: str


@dataclass(frozen=True, kw_only=True)
class ResultCommunicated(Event):
    """The result was communicated to the stakeholders, and how (000 §5(7)③: within 2 days)."""

    type: ClassVar[str] = "result_communicated"
    how: str


# Every event of the log, by its type: built from the classes above (the secret ballot is not one).
EVENT_TYPES: dict[str, type[Event]] = {cls.type: cls for cls in Event.__subclasses__() if not cls.secret}
assert len(EVENT_TYPES) == len(Event.__subclasses__()) - 1, "two events share a type"


def from_dict(data: Mapping[str, Any]) -> Event:
    """The event of a stored or sent dict (its ``type`` and fields; unknown keys are ignored)."""
    cls = EVENT_TYPES[data["type"]]
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})
