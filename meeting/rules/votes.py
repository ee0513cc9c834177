"""Votes (RULES.md §4): tallies, the integer threshold test and percentages of the base."""
from __future__ import annotations

from .params import Threshold
from .shapes import VoteResult
from .state import Vote

CHOICES = ("yes", "no", "abstain")


def tenths(count: int, base: int) -> int:
    """count / base as a percentage in tenths, rounded half up, in integers (667 means 66.7%)."""
    if base <= 0:
        return 0
    return (count * 2000 + base) // (2 * base)


def format_tenths(t: int) -> str:
    return f"{t // 10}.{t % 10}%"


def tally(vote: Vote, terminate_below: Threshold) -> VoteResult:
    base = len(vote.base)
    yes, no, abstain = (vote.count(c) for c in CHOICES)
    not_voting = base - yes - no - abstain
    return {
        "base": base,
        "registered": vote.registered,
        "yes": yes,
        "no": no,
        "abstain": abstain,
        "not_voting": not_voting,
        "tenths": {
            "yes": tenths(yes, base),
            "no": tenths(no, base),
            "abstain": tenths(abstain, base),
            "not_voting": tenths(not_voting, base),
        },
        "threshold": vote.threshold.to_list(),
        "needed": vote.threshold.minimum(base),
        "passed": vote.threshold.met(yes, base),
        # RULES.md §5: b when yes is below the terminate line (yes × 3 < base at 1/3), else c
        "below_terminate": not terminate_below.met(yes, base),
    }
