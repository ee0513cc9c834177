"""create_meeting: validation of the settings and the roster (RULES.md §1, §8)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from meeting.rules import DomainError
from meeting.rules.config import normalize_config
from meeting.rules.roster import Category
from tests.engine import ADMIN, Room, config


def bad(cfg, code="bad_config"):
    with pytest.raises(DomainError) as info:
        normalize_config(cfg)
    assert info.value.code == code, info.value
    return info.value


def test_defaults_are_filled_in():
    out = normalize_config({"title": " 电梯 ", "roster": [{"name": "张三"}]})
    assert out["title"] == "电梯" and out["items"] == [{"title": "电梯"}]
    assert out["form"] == "onsite" and out["track"] == "immediate" and out["proposer"] is None
    assert out["roster"] == [{"id": "p1", "name": "张三", "category": "stakeholder", "votes": True,
                              "has_phone": True, "remote": False, "phone": None}]
    assert out["params"]["speech_limit_ms"] == 180_000 and out["params"]["speeches_per_item"] == 2
    assert out["params"]["adoption_threshold"] == [2, 3, True]
    assert out["params"]["substantive_threshold"] == [1, 2, True]
    assert out["params"]["terminate_below"] == [1, 3, True]
    assert out["params"]["quorum_check"] is False and out["params"]["abstain_on_phones"] is False
    assert out["params"]["ballot"] == "named" and out["params"]["auto_end"] is False


def test_the_proposer_defaults_to_the_first_of_category_proposer():
    assert normalize_config(config(3))["proposer"] == "prop"


@pytest.mark.parametrize("category,votes", [(c, c in (Category.STAKEHOLDER, Category.PROPOSER)) for c in Category])
def test_who_votes_by_default(category, votes):
    out = normalize_config({"title": "t", "roster": [{"name": "x", "category": str(category)}]})
    assert out["roster"][0]["votes"] is votes


def test_a_proposer_may_be_set_not_to_vote():
    room = Room({"title": "t", "roster": [{"id": "p", "name": "x", "category": "proposer", "votes": False}]})
    assert room.state.roster["p"].votes is False and room.state.voting_registered() == 0


@pytest.mark.parametrize("category", ["expert", "department", "observer", "supervisor", "guide"])
def test_only_stakeholders_and_proposers_vote(category):
    bad({"title": "t", "roster": [{"name": "x", "category": category, "votes": True}]})


@pytest.mark.parametrize("cfg", [
    None, [], "x",
    {"roster": []},  # no title
    {"title": "  ", "roster": []},
    {"title": "t"},  # no roster
    {"title": "t", "roster": {}},
    {"title": "t", "roster": [], "zzz": 1},
    {"title": "t", "roster": [], "form": "paper"},
    {"title": "t", "roster": [], "track": "slow"},
    {"title": "t", "roster": [], "items": []},
    {"title": "t", "roster": [], "items": [1]},
    {"title": "t", "roster": [], "items": [{"description": "no title"}]},
    {"title": "t", "roster": [], "items": ["x"] * 51},
    {"title": 5, "roster": []},
    {"title": "t", "roster": ["x"]},
    {"title": "t", "roster": [{"name": "a", "id": "x"}, {"name": "b", "id": "x"}]},
    {"title": "t", "roster": [{"name": "a", "id": "有"}]},
    {"title": "t", "roster": [{"name": "a", "id": "a b"}]},
    {"title": "t", "roster": [{"name": "a", "id": ""}]},
    {"title": "t", "roster": [{"name": "a", "id": "x" * 33}]},
    {"title": "t", "roster": [{"name": "a", "category": "mayor"}]},
    {"title": "t", "roster": [{"name": "a", "votes": "yes"}]},
    {"title": "t", "roster": [{"name": "a", "has_phone": 1}]},
    {"title": "t", "roster": [{"name": "a", "zzz": 1}]},
    {"title": "t", "roster": [{}]},
    {"title": "t", "roster": [{"name": "a"}], "proposer": "p1"},  # p1 is a stakeholder
    {"title": "t", "roster": [{"name": "a"}], "proposer": "p9"},
    {"title": "t", "roster": [{"name": "a"}], "proposer": ["p1"]},
    {"title": "t", "roster": [{"name": "a"}], "proposer": {"id": "p1"}},
    {"title": "t", "roster": [{"name": "a", "category": ["stakeholder"]}]},
    {"title": "t", "roster": [{"name": "a", "id": ["a"]}]},
    {"title": "t", "roster": [], "form": ["onsite"]},
])
def test_bad_configs_are_refused(cfg):
    bad(cfg)


@pytest.mark.parametrize("params", [{"speeches_per_item": 0}, {"substantive_threshold": [1, 3]}, {"zzz": 1}, [1]])
def test_bad_params_are_refused(params):
    bad({"title": "t", "roster": [], "params": params}, "bad_rules")


def test_text_fields_are_cleaned_and_limited():
    out = normalize_config({"title": "电\x00梯", "place": "\u202e会议室", "roster": [{"name": "张\x07三"}]})
    assert out["title"] == "电梯" and out["place"] == "会议室" and out["roster"][0]["name"] == "张三"
    bad({"title": "t" * 201, "roster": []}, "text_too_long")
    bad({"title": "t", "roster": [{"name": "n" * 65}]}, "text_too_long")


def test_create_meeting_refuses_a_bad_config_and_changes_nothing():
    room = Room()
    room.refused("bad_config", ADMIN, "create_meeting", config={"title": "t", "roster": [], "zzz": 1})
    assert room.state.version == 0


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=4) | st.sampled_from(
        ["stakeholder", "proposer", "expert", "onsite", "p1", "a", "named"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=8,
)
PERSON = st.fixed_dictionaries({"name": st.text(min_size=1, max_size=3)}, optional={
    "id": JSON | st.sampled_from(["p1", "p2", "a"]), "category": JSON | st.sampled_from([str(c) for c in Category]),
    "votes": JSON, "has_phone": JSON, "remote": JSON, "phone": JSON,
})
CONFIG = st.fixed_dictionaries({
    "title": st.sampled_from(["电梯", "t"]) | JSON, "roster": st.lists(PERSON, max_size=3) | JSON,
}, optional={
    "items": st.lists(st.text(max_size=3) | JSON, max_size=3) | JSON, "form": JSON, "track": JSON,
    "proposer": JSON | st.sampled_from(["p1", "p2"]), "place": JSON, "params": JSON,
})


@settings(max_examples=200, deadline=None)
@given(CONFIG)
def test_any_config_is_either_normalized_or_refused_with_a_domain_error(raw):
    """Malformed settings never crash the engine with something other than a DomainError."""
    try:
        out = normalize_config(raw)
    except DomainError as e:
        assert e.code in ("bad_config", "bad_rules", "text_too_long")
    else:
        ids = [p["id"] for p in out["roster"]]
        assert len(ids) == len(set(ids))
        assert out["proposer"] is None or out["proposer"] in ids
        Room({**raw})  # and the engine accepts it
