"""Refusals: wrong roles, malformed payloads, text cleaning, and the catalogue of error codes."""
from __future__ import annotations

import ast
import pathlib
import string

import pytest
from hypothesis import given, settings, strategies as st

from meeting.rules import MESSAGES, SPECS, Actor, DomainError, Role, parse_command
from meeting.rules.commands import ID_MAX, NAME_MAX, REASON_MAX, TEXT_MAX, GiveFloor, clean_text
from tests.engine import MOD, Room, config, person
from tests.rules.helpers import debate_room

RULES_DIR = pathlib.Path(__file__).resolve().parents[2] / "meeting" / "rules"

# A valid payload for every command (valid in form; whether the meeting allows it is decide's affair).
VALID_ARGS = {
    "create_meeting": {"config": config(3)},
    "sign_in": {},
    "sign_out": {"person": "s1"},
    "present_rules": {},
    "amend_rules": {"params": {"speeches_per_item": 3}},
    "open_vote": {"kind": "item", "mode": "phone"},
    "cast_vote": {"choice": "yes"},
    "enter_hand_count": {"choice": "yes", "count": 1},
    "close_vote": {},
    "declare_open": {},
    "start_explanation": {},
    "begin_item": {"item": 0},
    "raise_hand": {"stance": "for"},
    "lower_hand": {},
    "give_floor": {"person": "s1"},
    "give_expert_floor": {"person": "exp"},
    "end_speech": {},
    "yield_floor": {},
    "pause_timer": {},
    "resume_timer": {},
    "tick": {},
    "call_to_order": {"person": "s1", "reason": "other"},
    "write_summary": {"speech_id": 1, "text": "x"},
    "add_note": {"kind": "other", "text": "x"},
    "declare_outcome": {"item": 0, "outcome": "b"},
    "escalate": {"reason": "x"},
    "end_meeting": {},
    "sign_record": {},
    "file_record": {"note": "x"},
    "communicate_result": {"how": "x"},
}


def actor_for(role: Role) -> Actor:
    if role == Role.PARTICIPANT:
        return person("s1")
    if role == Role.SUPERVISOR:
        return person("sup", Role.SUPERVISOR)
    return Actor(role)


def test_every_command_has_a_valid_payload_in_this_table():
    assert set(VALID_ARGS) == set(SPECS)
    for name, args in VALID_ARGS.items():
        parse_command(name, args)


WRONG = [(name, role) for name, spec in SPECS.items() for role in Role if role not in spec.roles]


@pytest.mark.parametrize("name,role", WRONG, ids=[f"{n}-as-{r}" for n, r in WRONG])
def test_wrong_role_is_refused(name, role):
    room = debate_room()
    err = room.refused("forbidden_role", actor_for(role), name, **VALID_ARGS[name])
    assert err.details == {"role": str(role), "command": name}


@pytest.mark.parametrize("name", ["give_floor", "give_expert_floor", "open_vote", "close_vote", "end_speech",
                                  "pause_timer", "resume_timer", "begin_item", "declare_outcome", "escalate",
                                  "end_meeting", "present_rules", "amend_rules", "declare_open", "start_explanation",
                                  "call_to_order", "enter_hand_count", "sign_out", "write_summary", "add_note", "tick",
                                  "create_meeting", "file_record", "communicate_result"])
def test_a_participant_may_not_send_staff_commands(name):
    room = debate_room()
    room.refused("forbidden_role", person("s1"), name, **VALID_ARGS[name])


def test_the_projector_may_send_nothing():
    room = debate_room()
    for name in SPECS:
        room.refused("forbidden_role", Actor(Role.PROJECTOR), name, **VALID_ARGS[name])


def test_a_participant_not_on_the_roster_is_refused():
    room = debate_room()
    room.refused("unknown_person", person("stranger"), "raise_hand", stance="for")
    room.refused("unknown_person", Actor(Role.PARTICIPANT), "raise_hand", stance="for")


def test_a_participant_acts_only_for_themselves():
    room = Room(config(3))
    room.refused("not_yourself", person("s1"), "sign_in", person="s2")
    room.do(person("s1"), "sign_in", person="s1")


# ---- parse_command -----------------------------------------------------------------------------
def code_of(name, args) -> str:
    with pytest.raises(DomainError) as info:
        parse_command(name, args)
    return info.value.code


@pytest.mark.parametrize("name", ["nope", "", None, 3, ["raise_hand"], "Raise_Hand", "__init__"])
def test_unknown_command(name):
    assert code_of(name, {}) == "unknown_command"


@pytest.mark.parametrize("name,args", [
    ("raise_hand", []), ("raise_hand", "for"), ("raise_hand", 1),  # args not an object
    ("raise_hand", {}),  # missing field
    ("raise_hand", {"stance": None}),  # missing (null)
    ("raise_hand", {"stance": "maybe"}),  # not a choice
    ("raise_hand", {"stance": 1}),  # wrong type
    ("raise_hand", {"stance": "for", "extra": 1}),  # unexpected field
    ("raise_hand", {"stance": "for", "person": "s2"}),
    ("begin_item", {"item": "0"}), ("begin_item", {"item": 0.0}), ("begin_item", {"item": True}),
    ("begin_item", {"item": -1}), ("begin_item", {"item": 1000}),
    ("enter_hand_count", {"choice": "yes", "count": -1}), ("enter_hand_count", {"choice": "yes", "count": 100_001}),
    ("enter_hand_count", {"choice": "yes"}),
    ("write_summary", {"speech_id": 0, "text": "x"}), ("write_summary", {"speech_id": 1, "text": "   "}),
    ("create_meeting", {"config": []}), ("create_meeting", {}),
    ("amend_rules", {"params": [1]}),
    ("escalate", {"reason": ""}), ("escalate", {"reason": "\x00\x01"}),
    ("give_floor", {"person": ["s1"]}), ("give_floor", {"person": {"id": "s1"}}),
    ("open_vote", {"kind": "item", "mode": "email"}), ("open_vote", {"mode": "phone"}),
    ("sign_in", {"channel": "recorder"}),
])
def test_malformed_payload_is_bad_payload(name, args):
    assert code_of(name, args) == "bad_payload"


@pytest.mark.parametrize("name,field,limit,base", [
    ("give_floor", "reason", REASON_MAX, {"person": "s1"}),
    ("give_floor", "person", ID_MAX, {}),
    ("write_summary", "text", TEXT_MAX, {"speech_id": 1}),
    ("add_note", "text", TEXT_MAX, {"kind": "other"}),
    ("escalate", "reason", TEXT_MAX, {}),
    ("declare_outcome", "by_when", NAME_MAX, {"item": 0, "outcome": "a"}),
    ("call_to_order", "note", REASON_MAX, {"person": "s1", "reason": "other"}),
])
def test_oversized_text_is_text_too_long_and_the_limit_itself_is_fine(name, field, limit, base):
    parse_command(name, {**base, field: "议" * limit})
    with pytest.raises(DomainError) as info:
        parse_command(name, {**base, field: "议" * (limit + 1)})
    assert info.value.code == "text_too_long" and info.value.details == {"field": field, "max": limit}


def test_text_length_is_measured_after_cleaning():
    cmd = parse_command("give_floor", {"person": "s1", "reason": "议" * REASON_MAX + "\x00" * 10})
    assert isinstance(cmd, GiveFloor) and cmd.reason == "议" * REASON_MAX


def test_null_args_means_no_args():
    assert parse_command("end_speech", None).args == {}


def test_parse_returns_only_the_given_fields_cleaned():
    cmd = parse_command("give_floor", {"person": "s1", "reason": "先\x07请\u202e老人"})
    assert cmd.name == "give_floor" and cmd.args == {"person": "s1", "reason": "先请老人"}


# ---- clean_text --------------------------------------------------------------------------------
@pytest.mark.parametrize("raw,clean", [
    ("张三", "张三"),
    ("a\x00b\x1bc\x7fd", "abcd"),
    ("第一行\n第二行\t完", "第一行\n第二行\t完"),
    ("\u202eevil\u202c", "evil"),
    ("\u2066x\u2069", "x"),
    ("\r\n", "\n"),
    ("a\x85b", "ab"),
    ("a\ud800b", "ab"),
    ("", ""),
])
def test_clean_text_strips_control_and_bidi_characters(raw, clean):
    assert clean_text(raw) == clean


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_clean_text_leaves_no_control_characters(raw):
    import unicodedata

    out = clean_text(raw)
    assert all(ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs") for ch in out)
    assert not any(0x202A <= ord(ch) <= 0x202E or 0x2066 <= ord(ch) <= 0x2069 for ch in out)
    assert clean_text(out) == out
    # printable characters are all kept, in order
    assert [ch for ch in raw if ch.isprintable()] == [ch for ch in out if ch.isprintable()]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(SPECS)), st.dictionaries(
    st.sampled_from(["person", "stance", "choice", "count", "item", "text", "reason", "kind", "mode", "params",
                     "config", "speech_id", "outcome", "note", "channel", "what", "zzz"]),
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=5), st.lists(st.integers(), max_size=2),
              st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)), max_size=4))
def test_parse_command_either_parses_or_refuses_cleanly(name, args):
    try:
        cmd = parse_command(name, args)
    except DomainError as e:
        assert e.code in ("bad_payload", "text_too_long")
    else:
        assert set(cmd.args) <= set(SPECS[name].fields)
        for key, value in cmd.args.items():
            f = SPECS[name].fields[key]
            assert {"str": str, "int": int, "dict": dict}[f.kind] is type(value)


# ---- the catalogue of error codes --------------------------------------------------------------
def raised_codes() -> list[tuple[str, frozenset, str]]:
    """(code, detail keys, where) for every DomainError("code", ...) written in meeting/rules."""
    found = []
    for path in sorted(RULES_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "DomainError":
                first = node.args[0]
                assert isinstance(first, ast.Constant) and isinstance(first.value, str), f"{path.name}:{node.lineno}"
                keys = frozenset(k.arg for k in node.keywords)
                found.append((first.value, keys, f"{path.name}:{node.lineno}"))
    return found


def test_the_scan_finds_the_raises():
    codes = {c for c, _, _ in raised_codes()}
    assert {"forbidden_role", "hands_waiting", "speech_cap_reached", "count_exceeds", "bad_rules"} <= codes


def test_every_code_raised_in_the_rules_is_documented_and_its_details_fill_the_templates():
    for code, keys, where in raised_codes():
        assert code in MESSAGES, f"{where}: {code} is not in errors.MESSAGES"
        for template in MESSAGES[code]:
            fields = {f for _, f, _, _ in string.Formatter().parse(template) if f}
            assert fields <= keys, f"{where}: {code} leaves {fields - keys} unfilled"


def test_every_message_template_formats():
    for code, (zh, en) in MESSAGES.items():
        assert zh and en
        fields = {f for t in (zh, en) for _, f, _, _ in string.Formatter().parse(t) if f}
        err = DomainError(code, **{f: f"<{f}>" for f in fields})
        for f in fields:
            assert f"<{f}>" in err.message_zh and f"<{f}>" in err.message_en
        assert err.to_dict()["code"] == code


def test_unknown_code_is_a_programming_error():
    with pytest.raises(KeyError):
        DomainError("no_such_code")


def test_missing_details_show_a_question_mark_instead_of_failing():
    err = DomainError("hands_waiting")
    assert "?" in err.message_en


# ---- a refused command changes nothing, whatever it is -----------------------------------------
@pytest.mark.parametrize("name", sorted(SPECS))
def test_refused_commands_change_nothing_in_the_middle_of_a_vote(name):
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.speak("s1")
    room.do(MOD, "open_vote", kind="item", mode="mixed")
    room.do(person("s2"), "cast_vote", choice="yes")
    before = room.state.to_dict()
    for role in Role:
        try:
            room.do(actor_for(role), name, **VALID_ARGS[name])
        except DomainError:
            assert room.state.to_dict() == before
        else:
            before = room.state.to_dict()
    assert room.replayed().to_dict() == room.state.to_dict()


def test_a_refusal_names_a_person_by_id_as_well_as_by_name():
    room = Room(config(3))
    room.do(person("s1"), "sign_in")
    err = room.refused("already_signed_in", MOD, "sign_in", person="s1")
    assert err.to_dict()["details"] == {"person": "居民1", "person_id": "s1"}
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(person("s2"), "raise_hand", stance="against")
    err = room.refused("reason_required", MOD, "give_floor", person="s2")
    assert err.to_dict()["details"] == {"recommended": room.state.roster["s1"].name, "recommended_id": "s1"}


def test_bad_rules_reasons_are_in_words_and_a_detail_from_the_request_is_never_a_template():
    err = DomainError("bad_rules", reason="speeches_range", low=1, high=20)
    assert err.message_zh == "议事规则参数无效：每人每项发言次数须为 1 至 20 次"
    assert err.message_en == "Invalid rules of procedure: speeches per item must be 1 to 20"
    # a reason that is not a known word is shown as given, braces and all, never formatted
    err = DomainError("bad_payload", reason="unexpected field {0.__class__}")
    assert err.message_en == "Malformed payload: unexpected field {0.__class__}"
    room = Room(config(3))
    room.do(MOD, "present_rules")
    err = room.refused("bad_rules", MOD, "amend_rules", params={"speech_limit_ms": 5})
    assert "秒" in err.message_zh and "speech_limit_ms" not in err.message_zh
