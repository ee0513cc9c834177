"""The engine's types: events and commands are plain frozen dataclasses, the registries and the
command schema (SPECS) are built from the classes, and every event and command says what it means."""
from __future__ import annotations

import dataclasses
import inspect
import typing

import pytest

from meeting.rules import EVENT_TYPES, SPECS, Event, SecretBallot, commands as c, events as ev, from_dict, parse_command
from meeting.rules.decide import _DECIDERS
from meeting.rules.shapes import OutcomeDetails, VoteResult
from meeting.rules.state import MeetingState, Vote
from tests.engine import MOD
from tests.rules.helpers import debate_room, phone_vote

ALL_EVENTS = [cls for cls in vars(ev).values() if isinstance(cls, type) and issubclass(cls, Event) and cls is not Event]


def test_every_event_class_is_registered_by_its_type_except_the_secret_ballot():
    assert SecretBallot not in EVENT_TYPES.values() and SecretBallot.type not in EVENT_TYPES
    assert sorted(EVENT_TYPES.values(), key=lambda cls: cls.__name__) == sorted(
        (cls for cls in ALL_EVENTS if cls is not SecretBallot), key=lambda cls: cls.__name__)
    for name, cls in EVENT_TYPES.items():
        assert cls.type == name and not cls.secret


@pytest.mark.parametrize("cls", ALL_EVENTS, ids=lambda cls: cls.__name__)
def test_events_are_frozen_keyword_only_dataclasses_with_a_meaning(cls):
    params = dataclasses.fields(cls)
    assert cls.__dataclass_params__.frozen
    assert all(f.kw_only for f in params)
    doc = inspect.getdoc(cls) or ""
    # a dataclass without a docstring gets its signature as __doc__: that says nothing
    assert doc and not doc.startswith(cls.__name__ + "("), f"{cls.__name__} needs a docstring saying what it means"
    hints = typing.get_type_hints(cls)
    assert all(f.name in hints for f in params)


def test_an_event_survives_its_dict_form():
    room = debate_room()
    phone_vote(room, yes=5)
    for e in room.log:
        assert from_dict(e.to_dict()) == e


def test_the_command_schema_is_derived_from_the_classes():
    assert [cls.name for cls in c.COMMANDS] == list(SPECS)
    for name, spec in SPECS.items():
        cls = spec.command
        assert cls.name == name and spec.roles == cls.roles and spec.doc
        assert list(spec.fields) == [f.name for f in dataclasses.fields(cls)]
        for f in dataclasses.fields(cls):
            assert spec.fields[f.name].required == (f.default is dataclasses.MISSING)
    # a Literal type gives the choices, a field's metadata the limits
    assert SPECS["raise_hand"].fields["stance"] == c.Field("str", required=True, max_len=c.ID_MAX,
                                                           choices=("for", "against"))
    assert SPECS["enter_hand_count"].fields["count"] == c.Field("int", required=True, min=0, max=100_000)
    assert SPECS["give_floor"].fields["reason"] == c.Field("str", max_len=c.REASON_MAX)
    assert SPECS["create_meeting"].fields["config"] == c.Field("dict", required=True)
    assert c.STANCES == ("for", "against") and "other" in c.ORDER_REASONS


def test_every_command_class_has_one_decide_handler():
    assert set(_DECIDERS) == set(c.COMMANDS)


def test_parse_command_builds_the_command_class_with_typed_fields():
    cmd = parse_command("enter_hand_count", {"choice": "no", "count": 3})
    assert isinstance(cmd, c.EnterHandCount) and cmd.name == "enter_hand_count"
    assert (cmd.choice, cmd.count) == ("no", 3) and cmd.args == {"choice": "no", "count": 3}
    with pytest.raises(dataclasses.FrozenInstanceError):
        cmd.count = 4  # type: ignore[misc]
    assert parse_command("sign_in", {}) == c.SignIn()
    assert c.SignIn().args == {}


def test_the_state_records_have_the_keys_the_type_says():
    room = debate_room()
    phone_vote(room, yes=5)
    room.do(MOD, "declare_outcome", item=0, outcome="a", what="装电梯", who="社区", by_when="年底")
    state: MeetingState = room.state
    vote: Vote = state.votes[-1]
    assert vote.result is not None and set(vote.result) == VoteResult.__required_keys__
    assert set(state.outcomes[0]["details"]) <= OutcomeDetails.__optional_keys__
    assert state.signed_in["s1"]["channel"] == "room"
