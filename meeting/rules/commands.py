"""Commands: what a client asks for. Each has a payload schema and the roles that may send it.

``parse_command(name, args)`` checks names, types and sizes and returns a Command, or raises
DomainError (unknown_command, bad_payload, text_too_long). Who the command concerns (for example
a participant may only raise their own hand) is checked by ``decide``.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from .errors import DomainError
from .roster import Role

# Text limits, in characters.
NAME_MAX = 64
REASON_MAX = 500
TEXT_MAX = 4000
ID_MAX = 64

M, R, P, S, A, SYS = Role.MODERATOR, Role.RECORDER, Role.PARTICIPANT, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM


@dataclass(frozen=True)
class Field:
    kind: str  # str | int | bool | dict | list
    required: bool = False
    max_len: int | None = None
    choices: tuple | None = None
    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class Spec:
    roles: frozenset
    fields: dict = field(default_factory=dict)
    doc: str = ""


@dataclass(frozen=True)
class Actor:
    role: Role
    person: str | None = None


@dataclass(frozen=True)
class Command:
    name: str
    args: dict

    def get(self, key: str, default=None):
        return self.args.get(key, default)


def _s(required=False, max_len=ID_MAX, choices=None):
    return Field("str", required=required, max_len=max_len, choices=choices)


def _i(required=False, min=None, max=None):
    return Field("int", required=required, min=min, max=max)


STANCES = ("for", "against")
ORDER_REASONS = ("interrupting", "direct_debate", "personal_attack", "questioning_motives", "labelling", "other")
NOTE_KINDS = ("expert_answer", "consensus", "dissent", "other")
OUTCOMES = ("a", "b", "c", "d")

SPECS: dict[str, Spec] = {
    "create_meeting": Spec(frozenset({A}), {"config": Field("dict", required=True)}, "set up the meeting"),
    "sign_in": Spec(frozenset({P, S, R, M}), {"person": _s(), "channel": _s(choices=("room", "online"))},
                    "a person signs in (participants themselves; recorder or moderator for someone without a phone)"),
    "sign_out": Spec(frozenset({R, M}), {"person": _s(required=True)}, "a person leaves"),
    "present_rules": Spec(frozenset({M}), {}, "present the draft rules of procedure"),
    "amend_rules": Spec(frozenset({M}), {"params": Field("dict", required=True)}, "amend the draft rules"),
    "open_vote": Spec(frozenset({M}), {"kind": _s(required=True, choices=("rules", "item")),
                                       "mode": _s(choices=("phone", "hands", "mixed"))}, "open a vote"),
    "cast_vote": Spec(frozenset({P}), {"choice": _s(required=True, choices=("yes", "no", "abstain"))}, "vote by phone"),
    "enter_hand_count": Spec(frozenset({R, M}), {"choice": _s(required=True, choices=("yes", "no", "abstain")),
                                                  "count": _i(required=True, min=0, max=100_000)},
                             "enter the count of raised hands for one choice"),
    "close_vote": Spec(frozenset({M}), {}, "close the open vote"),
    "declare_open": Spec(frozenset({M}), {}, "declare the consultation open"),
    "start_explanation": Spec(frozenset({M}), {}, "give the proposer the floor to explain the topic"),
    "begin_item": Spec(frozenset({M}), {"item": _i(required=True, min=0, max=999)}, "begin debate on an item"),
    "raise_hand": Spec(frozenset({P}), {"stance": _s(required=True, choices=STANCES)}, "raise a hand for or against"),
    "lower_hand": Spec(frozenset({P, M}), {"person": _s()}, "lower a hand (one's own; the moderator anyone's)"),
    "give_floor": Spec(frozenset({M}), {"person": _s(required=True), "reason": _s(max_len=REASON_MAX)},
                       "give the floor to a raised hand"),
    "give_expert_floor": Spec(frozenset({M}), {"person": _s(required=True)}, "give an expert or department the floor"),
    "end_speech": Spec(frozenset({M}), {}, "end the current speech"),
    "yield_floor": Spec(frozenset({P}), {}, "the speaker ends their own speech early"),
    "pause_timer": Spec(frozenset({M}), {}, "pause the speech timer"),
    "resume_timer": Spec(frozenset({M}), {}, "resume the speech timer"),
    "tick": Spec(frozenset({SYS}), {}, "the server's timer: warning, overrun, auto end"),
    "call_to_order": Spec(frozenset({M}), {"person": _s(required=True), "reason": _s(required=True, choices=ORDER_REASONS),
                                          "note": _s(max_len=REASON_MAX)}, "record a call to order"),
    "write_summary": Spec(frozenset({R}), {"speech_id": _i(required=True, min=1), "text": _s(required=True, max_len=TEXT_MAX)},
                          "the recorder's summary of a speech"),
    "add_note": Spec(frozenset({R}), {"kind": _s(required=True, choices=NOTE_KINDS), "text": _s(required=True, max_len=TEXT_MAX)},
                     "a recorder's note"),
    "declare_outcome": Spec(frozenset({M}), {"item": _i(required=True, min=0, max=999), "outcome": _s(required=True, choices=OUTCOMES),
                                            "what": _s(max_len=TEXT_MAX), "who": _s(max_len=REASON_MAX),
                                            "by_when": _s(max_len=NAME_MAX), "when": _s(max_len=REASON_MAX),
                                            "terms": _s(max_len=TEXT_MAX), "note": _s(max_len=TEXT_MAX)},
                            "declare an item's outcome class"),
    "escalate": Spec(frozenset({M}), {"reason": _s(required=True, max_len=TEXT_MAX)}, "hand the topic to 五议两公开"),
    "end_meeting": Spec(frozenset({M}), {}, "end the meeting"),
    "sign_record": Spec(frozenset({M, R, S}), {}, "sign the completed record (after the end; once per signer)"),
    "file_record": Spec(frozenset({R}), {"note": _s(max_len=REASON_MAX)},
                        "the record was filed with the supervision committee (after the end)"),
    "communicate_result": Spec(frozenset({R, M}), {"how": _s(required=True, max_len=REASON_MAX)},
                               "the result was communicated to the stakeholders (after the end)"),
}


def parse_command(name: object, args: object) -> Command:
    if not isinstance(name, str) or name not in SPECS:
        raise DomainError("unknown_command", command=str(name)[:40])
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise DomainError("bad_payload", reason="args must be an object")
    spec = SPECS[name]
    unknown = [k for k in args if k not in spec.fields]
    if unknown:
        raise DomainError("bad_payload", reason=f"unexpected field {str(unknown[0])[:40]}")
    clean = {}
    for key, f in spec.fields.items():
        value = args.get(key)
        if value is None:
            if f.required:
                raise DomainError("bad_payload", reason=f"{key} is required")
            continue
        clean[key] = _check(key, f, value)
    return Command(name, clean)


def _check(key: str, f: Field, value: object):
    if f.kind == "str":
        if not isinstance(value, str):
            raise DomainError("bad_payload", reason=f"{key} must be a string")
        value = clean_text(value)
        if f.max_len is not None and len(value) > f.max_len:
            raise DomainError("text_too_long", field=key, max=f.max_len)
        if f.choices is not None and value not in f.choices:
            raise DomainError("bad_payload", reason=f"{key} must be one of {', '.join(f.choices)}")
        if f.required and not value.strip():
            raise DomainError("bad_payload", reason=f"{key} is required")
        return value
    if f.kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise DomainError("bad_payload", reason=f"{key} must be a whole number")
        if (f.min is not None and value < f.min) or (f.max is not None and value > f.max):
            raise DomainError("bad_payload", reason=f"{key} is out of range")
        return value
    if f.kind == "dict":
        if not isinstance(value, dict):
            raise DomainError("bad_payload", reason=f"{key} must be an object")
        return value
    raise AssertionError(f.kind)


_BIDI = set(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))


def clean_text(value: str) -> str:
    """Drop control characters (keeping newlines and tabs) and bidi overrides: they have no place
    in a record and can disguise a name."""
    if value.isprintable():
        return value
    return "".join(
        ch for ch in value
        if ch in "\n\t" or not (unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI)
    )
