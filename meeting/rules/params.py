"""The rules of procedure put to the 2/3 vote (RULES.md §8), and exact thresholds.

Thresholds are integer fractions with an inclusive or exclusive comparison; nothing here ever
uses floating point. In Chinese legal usage 以上 includes the number itself, so "2/3以上" is
inclusive, while "超过三分之二" and "过半数" are exclusive.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from .errors import DomainError
from .shapes import ParamsRecord, ThresholdList


@dataclass(frozen=True)
class Threshold:
    """pass iff count × den ≥ num × base (inclusive) or count × den > num × base (exclusive)."""

    num: int
    den: int
    inclusive: bool = True

    def met(self, count: int, base: int) -> bool:
        lhs, rhs = count * self.den, self.num * base
        return lhs >= rhs if self.inclusive else lhs > rhs

    def minimum(self, base: int) -> int:
        """The smallest count that meets the threshold for this base."""
        need = -(-self.num * base // self.den)  # ceil(num*base/den)
        if not self.inclusive and need * self.den == self.num * base:
            need += 1
        return need

    def at_least_as_strict_as(self, other: Threshold) -> bool:
        a, b = self.num * other.den, other.num * self.den
        if a != b:
            return a > b
        return (not self.inclusive) or other.inclusive

    def to_list(self) -> ThresholdList:
        return [self.num, self.den, self.inclusive]

    @classmethod
    def from_list(cls, stored: ThresholdList) -> Threshold:
        """The threshold of a stored [num, den, inclusive] (an event's; checked when it was made)."""
        num, den, *rest = stored
        return cls(int(num), int(den), bool(rest[0]) if rest else True)

    @classmethod
    def parse(cls, raw: object, field_name: str) -> Threshold:
        if isinstance(raw, Threshold):
            return raw
        if isinstance(raw, dict):
            raw = [raw.get("num"), raw.get("den"), raw.get("inclusive", True)]
        if not (isinstance(raw, (list, tuple)) and len(raw) in (2, 3)):
            raise DomainError("bad_rules", reason="threshold_shape", param=field_name)
        num, den = raw[0], raw[1]
        inclusive = raw[2] if len(raw) == 3 else True
        if not (_is_int(num) and _is_int(den) and isinstance(inclusive, bool)):
            raise DomainError("bad_rules", reason="threshold_types", param=field_name)
        if not (0 < num <= den <= 1000):
            raise DomainError("bad_rules", reason="threshold_range", param=field_name)
        return cls(num, den, inclusive)


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


# Limits of the parameters (RulesParams.check enforces them; docs/protocol.md's table is made from
# them and PARAM_DOCS by meeting.docgen).
SPEECH_LIMIT_MS = (10_000, 3_600_000)
SPEECHES_PER_ITEM = (1, 20)
BALLOTS = ("named", "anonymous")
# Fixed when the meeting is set up: amend_rules may change every other parameter.
FIXED_AT_SETUP = frozenset({"adoption_threshold"})

TWO_THIRDS = Threshold(2, 3, True)
HALF = Threshold(1, 2, True)
ONE_THIRD = Threshold(1, 3, True)


@dataclass(frozen=True)
class RulesParams:
    """RULES.md §8. Times are in milliseconds."""

    speech_limit_ms: int = 180_000
    warning_ms: int = 30_000
    speeches_per_item: int = 2
    auto_end: bool = False
    adoption_threshold: Threshold = field(default=TWO_THIRDS)
    substantive_threshold: Threshold = field(default=HALF)
    terminate_below: Threshold = field(default=ONE_THIRD)
    quorum_check: bool = False
    quorum: Threshold = field(default=TWO_THIRDS)
    abstain_on_phones: bool = False
    ballot: str = "named"  # named | anonymous

    def to_dict(self) -> ParamsRecord:
        return {
            "speech_limit_ms": self.speech_limit_ms,
            "warning_ms": self.warning_ms,
            "speeches_per_item": self.speeches_per_item,
            "auto_end": self.auto_end,
            "adoption_threshold": self.adoption_threshold.to_list(),
            "substantive_threshold": self.substantive_threshold.to_list(),
            "terminate_below": self.terminate_below.to_list(),
            "quorum_check": self.quorum_check,
            "quorum": self.quorum.to_list(),
            "abstain_on_phones": self.abstain_on_phones,
            "ballot": self.ballot,
        }

    @classmethod
    def from_dict(cls, raw: object, base: RulesParams | None = None) -> RulesParams:
        """Validate and build; keys absent from ``raw`` keep the value of ``base`` (or the default)."""
        base = base or cls()
        if raw is None:
            return base
        if not isinstance(raw, dict):
            raise DomainError("bad_rules", reason="not_object")
        known = {f.name: f for f in fields(cls)}
        changes: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in known:
                raise DomainError("bad_rules", reason="unknown_parameter", param=str(key)[:40])
            current = getattr(base, key)
            if isinstance(current, Threshold):
                changes[key] = Threshold.parse(value, key)
            elif isinstance(current, bool):
                if not isinstance(value, bool):
                    raise DomainError("bad_rules", reason="not_bool", param=key)
                changes[key] = value
            elif isinstance(current, int):
                if not _is_int(value):
                    raise DomainError("bad_rules", reason="not_int", param=key)
                changes[key] = value
            else:
                changes[key] = value
        params = replace(base, **changes)
        params.check()
        return params

    def check(self) -> None:
        lo, hi = SPEECH_LIMIT_MS
        if not (lo <= self.speech_limit_ms <= hi):
            raise DomainError("bad_rules", reason="speech_limit_range", low=lo // 1000, high=hi // 60_000)
        if not (0 <= self.warning_ms < self.speech_limit_ms):
            raise DomainError("bad_rules", reason="warning_below_limit")
        lo, hi = SPEECHES_PER_ITEM
        if not (lo <= self.speeches_per_item <= hi):
            raise DomainError("bad_rules", reason="speeches_range", low=lo, high=hi)
        if self.ballot not in BALLOTS:
            raise DomainError("bad_rules", reason="ballot_choice")
        if not self.substantive_threshold.at_least_as_strict_as(HALF):
            raise DomainError("bad_rules", reason="substantive_below_half")


# What each parameter means and which values it takes (docs/protocol.md, generated).
PARAM_DOCS: dict[str, tuple[str, str]] = {
    "speech_limit_ms": ("time per debate speech, ms",
                        f"{SPEECH_LIMIT_MS[0]}..{SPEECH_LIMIT_MS[1]} (10 s to 60 min)"),
    "warning_ms": ("warning this long before the limit (0: none)", "0 ≤ warning_ms < speech_limit_ms"),
    "speeches_per_item": ("speeches per person per item", f"{SPEECHES_PER_ITEM[0]}..{SPEECHES_PER_ITEM[1]}"),
    "auto_end": ("end a speech automatically at the limit (else it shows as overrun)", "true \\| false"),
    "adoption_threshold": ("the vote that adopts the rules of procedure",
                           "[num, den, inclusive], 0 < num ≤ den ≤ 1000"),
    "substantive_threshold": ("an item's vote passes at", "[num, den, inclusive], never below 1/2"),
    "terminate_below": ("an item that failed with yes below this is terminated (b), else re-consulted (c)",
                        "[num, den, inclusive]"),
    "quorum_check": ("refuse to open a vote below the quorum", "true \\| false"),
    "quorum": ("signed-in share of the registered voting stakeholders", "[num, den, inclusive]"),
    "abstain_on_phones": ("phones offer abstain", "true \\| false"),
    "ballot": ("named (记名) or anonymous (无记名) phone ballots", " \\| ".join(BALLOTS)),
}
