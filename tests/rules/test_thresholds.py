"""RULES.md §4 thresholds: integer comparisons, inclusive (以上) and exclusive (超过/过半数), at the
boundaries for bases 9–12. Expected values are written out by hand and checked against Fraction."""
from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from meeting.rules.params import HALF, ONE_THIRD, TWO_THIRDS, Threshold
from tests.engine import MOD, REC
from tests.rules.helpers import min_count, voters_room

# (num, den, inclusive) -> {base: smallest passing yes count}, worked out by hand.
BY_HAND = {
    (2, 3, True): {9: 6, 10: 7, 11: 8, 12: 8},
    (2, 3, False): {9: 7, 10: 7, 11: 8, 12: 9},
    (1, 2, True): {9: 5, 10: 5, 11: 6, 12: 6},
    (1, 2, False): {9: 5, 10: 6, 11: 6, 12: 7},
    (1, 3, True): {9: 3, 10: 4, 11: 4, 12: 4},
    (1, 3, False): {9: 4, 10: 4, 11: 4, 12: 5},
}
CASES = [(n, d, inc, base, need) for (n, d, inc), row in BY_HAND.items() for base, need in row.items()]


def ids(case):
    n, d, inc, base, need = case
    return f"{n}/{d}-{'incl' if inc else 'excl'}-base{base}-need{need}"


@pytest.mark.parametrize("case", CASES, ids=[ids(c) for c in CASES])
def test_hand_table_agrees_with_fraction(case):
    n, d, inc, base, need = case
    assert min_count(Fraction(n, d), base, inc) == need


@pytest.mark.parametrize("case", CASES, ids=[ids(c) for c in CASES])
def test_threshold_met_exactly_at_the_minimum_and_not_one_below(case):
    n, d, inc, base, need = case
    t = Threshold(n, d, inc)
    assert t.met(need, base)
    assert not t.met(need - 1, base)
    assert t.met(base, base)
    assert t.minimum(base) == need


@pytest.mark.parametrize("case", CASES, ids=[ids(c) for c in CASES])
def test_rules_vote_through_the_engine_at_the_boundary(case):
    """A rules vote by show of hands with the adoption threshold set to each fraction."""
    n, d, inc, base, need = case
    for yes, passes in ((need, True), (need - 1, False)):
        room = voters_room(base, params={"adoption_threshold": [n, d, inc]})
        room.do(MOD, "present_rules")
        [opened] = room.do(MOD, "open_vote", kind="rules", mode="hands")
        assert opened.threshold == [n, d, inc] and len(opened.base) == base
        room.do(REC, "enter_hand_count", choice="yes", count=yes)
        room.do(REC, "enter_hand_count", choice="no", count=base - yes)
        r = room.do(MOD, "close_vote")[0].result
        assert r["passed"] is passes, (yes, r)
        assert r["needed"] == need
        assert room.state.rules_adopted is passes


@pytest.mark.parametrize("frac,inc", [((2, 3), True), ((2, 3), False), ((1, 2), True), ((1, 2), False)])
@pytest.mark.parametrize("base", [9, 10, 11, 12])
def test_item_vote_through_the_engine_at_the_boundary(frac, inc, base):
    need = BY_HAND[(*frac, inc)][base]
    for yes, passes in ((need, True), (need - 1, False)):
        room = voters_room(base, params={"substantive_threshold": [*frac, inc]})
        room.adopt_rules()
        room.do(MOD, "begin_item", item=0)
        room.do(MOD, "open_vote", kind="item", mode="hands")
        room.do(REC, "enter_hand_count", choice="yes", count=yes)
        r = room.do(MOD, "close_vote")[0].result
        assert r["passed"] is passes and r["threshold"] == [*frac, inc]


@pytest.mark.parametrize("base", [9, 10, 11, 12])
def test_terminate_line_one_third_inclusive_at_the_boundary(base):
    need = BY_HAND[(1, 3, True)][base]  # yes × 3 ≥ base
    for yes, below in ((need, False), (need - 1, True)):
        room = voters_room(base)
        room.adopt_rules()
        room.do(MOD, "begin_item", item=0)
        room.do(MOD, "open_vote", kind="item", mode="hands")
        room.do(REC, "enter_hand_count", choice="yes", count=yes)
        r = room.do(MOD, "close_vote")[0].result
        assert r["below_terminate"] is below and (yes * 3 < base) is below
        assert r["passed"] is False


def test_defaults():
    assert TWO_THIRDS == Threshold(2, 3, True)
    assert HALF == Threshold(1, 2, True)
    assert ONE_THIRD == Threshold(1, 3, True)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 1000).flatmap(lambda den: st.tuples(st.integers(1, den), st.just(den))),
       st.booleans(), st.integers(0, 2000))
def test_threshold_minimum_and_met_agree_with_fraction(nd, inc, base):
    num, den = nd
    t = Threshold(num, den, inc)
    frac = Fraction(num, den)
    need = t.minimum(base)
    if base:
        assert need == min_count(frac, base, inc)
    for k in (need - 1, need, need + 1):
        if k < 0:
            continue
        expected = (Fraction(k) >= frac * base) if inc else (Fraction(k) > frac * base)
        assert t.met(k, base) is expected


def test_at_least_as_strict_as():
    assert Threshold(1, 2, False).at_least_as_strict_as(HALF)
    assert HALF.at_least_as_strict_as(HALF)
    assert not HALF.at_least_as_strict_as(Threshold(1, 2, False))
    assert TWO_THIRDS.at_least_as_strict_as(HALF)
    assert not Threshold(49, 100).at_least_as_strict_as(HALF)
    assert Threshold(2, 4, True).at_least_as_strict_as(HALF)


@pytest.mark.parametrize("raw", [[0, 3], [4, 3], [1, 1001, True], [1.0, 2], ["1", "2"], [1, 2, "yes"], [1], 7,
                                 [True, 2], {"num": 1}])
def test_threshold_parse_refuses_bad_input(raw):
    from meeting.rules import DomainError

    with pytest.raises(DomainError) as info:
        Threshold.parse(raw, "t")
    assert info.value.code == "bad_rules"


def test_threshold_parse_accepts_lists_and_dicts():
    assert Threshold.parse([2, 3], "t") == TWO_THIRDS
    assert Threshold.parse({"num": 1, "den": 2, "inclusive": False}, "t") == Threshold(1, 2, False)
