"""The plain-data shapes the engine keeps in its events and its state: typed dicts, so that code
outside reads them as before (``state.signed_in[pid]["channel"]``, ``vote.result["passed"]``)
and type checkers know the keys. They are JSON as they stand (events are stored as JSON).
"""
from __future__ import annotations

from typing import TypedDict

# A threshold as stored: [num, den, inclusive] (params.Threshold.to_list).
ThresholdList = list[int | bool]


# ---- the meeting's settings (create_meeting, config.normalize_config) ---------------------------
class ItemConfig(TypedDict, total=False):
    title: str
    description: str


class PersonRecord(TypedDict):
    """A roster entry as it is stored in meeting_created (roster.Person in the state)."""

    id: str
    name: str
    category: str
    votes: bool
    has_phone: bool
    remote: bool
    phone: str | None


class ParamsRecord(TypedDict):
    """The rules of procedure as stored (params.RulesParams.to_dict); times in milliseconds."""

    speech_limit_ms: int
    warning_ms: int
    speeches_per_item: int
    auto_end: bool
    adoption_threshold: ThresholdList
    substantive_threshold: ThresholdList
    terminate_below: ThresholdList
    quorum_check: bool
    quorum: ThresholdList
    abstain_on_phones: bool
    ballot: str


class MeetingConfig(TypedDict, total=False):
    """``state.config``: the settings of meeting_created without the roster and the parameters
    (which live in ``state.roster`` and ``state.params``). Empty before the meeting exists."""

    title: str
    description: str
    place: str
    scheduled_at: str
    moderator_name: str
    recorder_name: str
    video_url: str
    previous_meeting: str
    form: str  # onsite | online | mixed
    track: str  # immediate | in_depth
    items: list[ItemConfig]
    proposer: str | None


class CreatedConfig(MeetingConfig, total=False):
    """The config carried by meeting_created: the settings with the roster and the rules draft."""

    roster: list[PersonRecord]
    params: ParamsRecord


# ---- votes ------------------------------------------------------------------------------------
class VoteResult(TypedDict):
    """A closed vote's result (votes.tally; vote_closed.result, ``Vote.result``)."""

    base: int
    registered: int
    yes: int
    no: int
    abstain: int
    not_voting: int
    tenths: dict[str, int]  # yes, no, abstain, not_voting: percentages of the base in tenths (667 = 66.7%)
    threshold: ThresholdList
    needed: int
    passed: bool
    below_terminate: bool


# ---- entries of the state -----------------------------------------------------------------------
class SignInEntry(TypedDict):
    """``state.signed_in[person]``: when, by which channel (room | online | recorder), by which role."""

    at: int
    channel: str
    by: str


class CallToOrderEntry(TypedDict):
    """An entry of ``state.calls_to_order``."""

    at: int
    person: str
    reason: str
    note: str
    speech_id: int | None
    item: int | None


class NoteEntry(TypedDict):
    """An entry of ``state.notes``: a recorder's note."""

    id: int
    at: int
    kind: str
    text: str
    item: int | None


class OutcomeDetails(TypedDict, total=False):
    """What an outcome class needs: a: what, who, by_when (supervision optional); c: when, terms;
    d: note (any: note)."""

    what: str
    who: str
    by_when: str
    supervision: str
    when: str
    terms: str
    note: str


class OutcomeEntry(TypedDict):
    """``state.outcomes[item]``: the class a | b | c | d, its details and when it was declared."""

    outcome: str
    details: OutcomeDetails
    at: int


class EscalationEntry(TypedDict):
    """``state.escalation``: the topic went to 五议两公开."""

    at: int
    reason: str


class SignatureEntry(TypedDict):
    """``state.signatures[role]``: the record signed by role; person for the supervisor."""

    at: int
    person: str | None


class FilingEntry(TypedDict):
    """``state.filed``: the record was filed with the supervision committee."""

    at: int
    note: str


class CommunicationEntry(TypedDict):
    """An entry of ``state.communicated``: the result communicated to the stakeholders, and how."""

    at: int
    how: str
