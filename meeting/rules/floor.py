"""The floor (RULES.md §3): who is recommended to speak next, and the speech timer's arithmetic."""
from __future__ import annotations

from dataclasses import dataclass

from .state import Hand, MeetingState

OPPOSITE = {"for": "against", "against": "for"}


@dataclass(frozen=True)
class Recommendation:
    person: str
    reason: str  # first_hand | not_yet_spoken | alternation


def queue_order(state: MeetingState) -> list[Hand]:
    """All raised hands, best-ranked first, by the three rules of RULES.md §3:
    1. fewest speeches so far on this item;
    2. within that tier, the opposite stance to the last debate speaker first (as far as possible);
    3. earliest raised (server order)."""
    last = state.last_stance.get(state.current_item) if state.current_item is not None else None
    want = OPPOSITE.get(last) if last else None

    def rank(h: Hand) -> tuple[int, int, int]:
        tier = state.speeches_by(h.person)
        return (tier, 0 if want is None or h.stance == want else 1, h.order)

    # Tiers compare first, so rule 2 picks the opposite stance only among the fewest-speeches
    # hands, and only when one is there: alternation never overrides not-yet-spoken priority.
    return sorted(state.hands.values(), key=rank)


def recommend(state: MeetingState) -> Recommendation | None:
    order = queue_order(state)
    if not order:
        return None
    best = order[0]
    earliest = min(state.hands.values(), key=lambda h: h.order)
    if best.person == earliest.person:
        reason = "first_hand"
    elif state.speeches_by(best.person) < state.speeches_by(earliest.person):
        reason = "not_yet_spoken"
    else:
        reason = "alternation"
    return Recommendation(best.person, reason)


def next_timer_due(state: MeetingState) -> int | None:
    """Server time of the next timer event of the running speech (warning, overrun, auto end)."""
    sp = state.speech
    if sp is None or sp.limit_ms is None or sp.paused_at is not None:
        return None
    if sp.warned_at is None and sp.warning_ms > 0:
        return sp.due(sp.limit_ms - sp.warning_ms)
    if sp.overrun_at is None:
        return sp.due(sp.limit_ms)
    if state.params.auto_end:
        return sp.due(sp.limit_ms)
    return None
