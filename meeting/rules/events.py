"""Every state change is one of these named events. The log of a meeting is a list of them.

Events are small frozen dataclasses; ``at`` is the server time in milliseconds since the epoch,
given to the engine by the service (the engine never reads a clock). ``to_dict``/``from_dict``
give the JSON form stored in the database and sent to clients. docs/protocol.md lists them all;
a test checks the two agree.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import ClassVar


@dataclass(frozen=True, kw_only=True)
class Event:
    type: ClassVar[str] = ""
    secret: ClassVar[bool] = False  # True only for SecretBallot: kept out of the log
    at: int

    def to_dict(self) -> dict:
        d = asdict(self)
        d["type"] = self.type
        return d


EVENT_TYPES: dict[str, type[Event]] = {}


def event(name: str):
    def register(cls):
        cls.type = name
        cls = dataclass(frozen=True, kw_only=True)(cls)
        EVENT_TYPES[name] = cls
        return cls

    return register


def from_dict(data: dict) -> Event:
    cls = EVENT_TYPES[data["type"]]
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


@event("meeting_created")
class MeetingCreated(Event):
    """The meeting's settings: title, topic, items, place, form, staff names, rules draft, roster."""

    config: dict


@event("signed_in")
class SignedIn(Event):
    """person signed in by channel (room | online | recorder); by = the role that did it."""

    person: str
    channel: str
    by: str


@event("signed_out")
class SignedOut(Event):
    """person left the meeting; later votes no longer count them in the base."""

    person: str
    by: str


@event("rules_presented")
class RulesPresented(Event):
    """The moderator presented the draft rules of procedure; sign-in goes on."""


@event("rules_amended")
class RulesAmended(Event):
    """The draft rules after an amendment (the whole parameter set)."""

    params: dict


@event("vote_opened")
class VoteOpened(Event):
    """vote_id, kind (rules | item), item index or null, mode (phone | hands | mixed), the base
    (ids of signed-in voting stakeholders), registered voting count, threshold [num, den,
    inclusive], abstain offered, ballot (named | anonymous)."""

    vote_id: int
    kind: str
    item: int | None
    mode: str
    base: list
    registered: int
    threshold: list
    abstain: bool
    ballot: str


@event("vote_cast")
class VoteCast(Event):
    """In a named ballot (记名表决): person cast choice (yes | no | abstain) by phone in vote_id."""

    vote_id: int
    person: str
    choice: str


@event("ballot_cast")
class BallotCast(Event):
    """In an anonymous ballot: person has voted by phone in vote_id (the poll book); the choice is
    counted in the ballot box, apart from the log (docs/security.md)."""

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
SECRET_EVENT_TYPES: dict[str, type[Event]] = {}


@dataclass(frozen=True, kw_only=True)
class SecretBallot(Event):
    """One anonymous ballot's choice in vote_id; it names nobody."""

    type: ClassVar[str] = "secret_ballot"
    secret: ClassVar[bool] = True
    vote_id: int
    choice: str


SECRET_EVENT_TYPES[SecretBallot.type] = SecretBallot


def ballot_box_events(vote_id: int, counts: dict[str, int]) -> list[SecretBallot]:
    """The ballot box's counters for vote_id as the secret ballots to fold into a rebuilt state."""
    return [SecretBallot(at=0, vote_id=vote_id, choice=c) for c, n in sorted(counts.items()) for _ in range(n)]


@event("hand_count_entered")
class HandCountEntered(Event):
    """The recorder's count of raised hands for one choice in vote_id (replaces an earlier entry)."""

    vote_id: int
    choice: str
    count: int
    by: str


@event("vote_closed")
class VoteClosed(Event):
    """vote_id closed; result holds base, registered, yes, no, abstain, not_voting, tenths
    (percentages of the base ×10), threshold, passed, below_terminate."""

    vote_id: int
    result: dict


@event("vote_abandoned")
class VoteAbandoned(Event):
    """An open vote was abandoned (only by escalation)."""

    vote_id: int
    reason: str


@event("consultation_opened")
class ConsultationOpened(Event):
    """The moderator declared the consultation open (rules adopted)."""


@event("item_begun")
class ItemBegun(Event):
    """Debate on item (0-based index) begins; hands are cleared."""

    item: int


@event("hand_raised")
class HandRaised(Event):
    """person raised a hand with stance (for | against); places are in server order."""

    person: str
    stance: str


@event("hand_lowered")
class HandLowered(Event):
    """person's hand went down; by = the role that lowered it."""

    person: str
    by: str


@event("floor_given")
class FloorGiven(Event):
    """speech_id starts: person, kind (debate | explanation | expert), item, stance, limit_ms
    (null = untimed), warning_ms, the recommended person at that moment and the reason for a
    departure from it."""

    speech_id: int
    person: str
    kind: str
    item: int | None
    stance: str | None
    limit_ms: int | None
    warning_ms: int
    recommended: str | None
    departure_reason: str | None


@event("speech_warned")
class SpeechWarned(Event):
    """The warning time before the limit was reached (due_at: when it was due)."""

    speech_id: int
    due_at: int


@event("speech_overran")
class SpeechOverran(Event):
    """The limit was reached (due_at: when it was due)."""

    speech_id: int
    due_at: int


@event("speech_ended")
class SpeechEnded(Event):
    """reason: moderator | yield | auto | escalated."""

    speech_id: int
    reason: str


@event("timer_paused")
class TimerPaused(Event):
    speech_id: int


@event("timer_resumed")
class TimerResumed(Event):
    speech_id: int


@event("called_to_order")
class CalledToOrder(Event):
    """A call to order (制止) against person: reason (interrupting | direct_debate |
    personal_attack | questioning_motives | labelling | other), note, the speech under way."""

    person: str
    reason: str
    note: str
    speech_id: int | None


@event("summary_written")
class SummaryWritten(Event):
    """The recorder's summary of speech_id (replaces an earlier one)."""

    speech_id: int
    text: str


@event("note_added")
class NoteAdded(Event):
    """A recorder's note: kind (expert_answer | consensus | dissent | other), text, item."""

    note_id: int
    kind: str
    text: str
    item: int | None


@event("outcome_declared")
class OutcomeDeclared(Event):
    """item's outcome class a | b | c | d with details: implementation {what, who, by_when}
    (a), reconsult {when, terms} (c), note (d, or any)."""

    item: int
    outcome: str
    details: dict


@event("escalated")
class Escalated(Event):
    """The moderator found the matter concerns most residents: items without an outcome get d."""

    reason: str


@event("meeting_ended")
class MeetingEnded(Event):
    """The meeting ended; only the record may still be completed."""


@event("record_signed")
class RecordSigned(Event):
    """The record was signed by role (moderator | recorder | supervisor); person for the supervisor."""

    role: str
    person: str | None


@event("record_filed")
class RecordFiled(Event):
    """The record was filed with the supervision committee (000 §5(7)①: the same or the next day)."""

    note: str


@event("result_communicated")
class ResultCommunicated(Event):
    """The result was communicated to the stakeholders, and how (000 §5(7)③: within 2 days)."""

    how: str
