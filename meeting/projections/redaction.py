"""The single redaction policy: what of an event each audience may receive in a delta.

The views (``views.py``) hold the same line: the public never gets the settings payload, phone
numbers, the recorder's summaries and notes, or who voted how in an open vote; nobody, staff
included, gets anything that links an anonymous voter to a choice, and nobody gets a per-choice
count of phone ballots before the close (the result arrives with ``vote_closed``).
"""
from __future__ import annotations

from .audience import PHONE, PUBLIC, STAFF

# event type -> keys left out, per audience
HIDDEN: dict[str, dict[str, frozenset[str]]] = {
    STAFF: {
        "meeting_created": frozenset({"config"}),  # the roster with phone numbers: the view has what staff need
        "vote_cast": frozenset({"choice"}),  # a named ballot's choices are shown at the close
        "ballot_cast": frozenset({"person"}),  # an anonymous ballot: not even who voted when
        "secret_ballot": frozenset({"choice"}),  # never in a delta; if it were, without its choice
    },
    PUBLIC: {
        "meeting_created": frozenset({"config"}),
        "vote_cast": frozenset({"person", "choice"}),
        "ballot_cast": frozenset({"person"}),
        "secret_ballot": frozenset({"choice"}),
        "summary_written": frozenset({"text"}),
        "note_added": frozenset({"text"}),
    },
}
# Neither the phones nor the projector get the base of a vote that opens (the ids of every voter:
# O(people) bytes to every screen; a phone learns whether it is in the base from its ``me``, the
# projector shows only how many are in it, from its view).
HIDDEN[PUBLIC]["vote_opened"] = frozenset({"base", "kind", "item", "mode", "registered", "threshold", "abstain",
                                           "ballot"})  # (and what the same patch sets as their view's `vote`)
# ... nor the result with `vote_closed`: the same delta's patch puts it in their view's `votes`
# (issue 11: sent twice it cost every phone about 270 bytes more per close).
HIDDEN[PUBLIC]["vote_closed"] = frozenset({"result"})
# ... nor, with `floor_given`, the speech the same patch sets as their view's `speech`.
HIDDEN[PUBLIC]["floor_given"] = frozenset({"kind", "item", "stance", "limit_ms", "warning_ms", "recommended",
                                           "departure_reason"})
HIDDEN[PHONE] = dict(HIDDEN[PUBLIC])
# The event types each audience's deltas carry (issue 11): staff every one (``None``); the phones
# and the projector only those their screens use (an ``onEvent`` listener of static/js/phone.js or
# projector.js, or static/js/live.js; tests/projections/test_delta_events.py reads the scripts).
# Everything else a delta's events would say is in the same delta's patch of the view: a ballot's
# ``vote_cast``/``ballot_cast`` sent to 2,000 phones cost each of them about 60 bytes per ballot.
DELTA_EVENTS: dict[str, frozenset[str] | None] = {
    STAFF: None,
    PHONE: frozenset({"speech_warned", "vote_opened"}),  # a vibration for the speaker; the vote just opened
    PUBLIC: frozenset(),
}
# Whatever else an event of an anonymous vote carries, it never names a person next to a choice.
_ANONYMOUS = frozenset({"person", "choice"})


def carried(event_type: str, aud: str) -> bool:
    """Whether the deltas of audience ``aud`` carry events of type ``event_type``."""
    kinds = DELTA_EVENTS[aud]
    return kinds is None or event_type in kinds


def redact(event: dict, aud: str, anonymous: bool) -> dict:
    """``event`` (``{"type", "at", "seq", ...payload}``) as audience ``aud`` may see it;
    ``anonymous``: the event belongs to an anonymous ballot."""
    hidden = HIDDEN[aud].get(event["type"], frozenset())
    if anonymous and "person" in event and "choice" in event:
        hidden = hidden | _ANONYMOUS
    return {k: v for k, v in event.items() if k not in hidden}
