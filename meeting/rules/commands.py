"""Commands: what a client asks for. Each is a frozen dataclass with typed fields, the roles that
may send it and a docstring saying what it does.

The classes are the one source of the commands' schema: ``SPECS`` (roles, field kinds, limits and
docs, used by docgen and the tests) is derived from them. A field's type gives its kind and, as a
``Literal``, its choices; a field without a default is required; text and number limits are in
the field's metadata (``text(...)``, ``number(...)``).

``parse_command(name, args)`` checks names, types and sizes and returns the command's object, or
raises DomainError (unknown_command, bad_payload, text_too_long). Who the command concerns (for
example a participant may only raise their own hand) is checked by ``decide``.
"""
from __future__ import annotations

import inspect
import types
import unicodedata
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar, Literal, Union, get_args, get_origin, get_type_hints

from .errors import DomainError
from .roster import Role

# Text limits, in characters.
NAME_MAX = 64
REASON_MAX = 500
TEXT_MAX = 4000
ID_MAX = 64

M, R, P, S, A, SYS = Role.MODERATOR, Role.RECORDER, Role.PARTICIPANT, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM

Stance = Literal["for", "against"]
Choice = Literal["yes", "no", "abstain"]
OrderReason = Literal["interrupting", "direct_debate", "personal_attack", "questioning_motives", "labelling", "other"]
NoteKind = Literal["expert_answer", "consensus", "dissent", "other"]
OutcomeClass = Literal["a", "b", "c", "d"]
VoteKind = Literal["rules", "item"]
VoteMode = Literal["phone", "hands", "mixed"]
SignInChannel = Literal["room", "online"]

STANCES: tuple[str, ...] = get_args(Stance)
ORDER_REASONS: tuple[str, ...] = get_args(OrderReason)
NOTE_KINDS: tuple[str, ...] = get_args(NoteKind)
OUTCOMES: tuple[str, ...] = get_args(OutcomeClass)

Roles = frozenset[Role]


@dataclass(frozen=True)
class Field:
    """One argument of a command, as docgen and the validation see it."""

    kind: str  # str | int | dict
    required: bool = False
    max_len: int | None = None
    choices: tuple[str, ...] | None = None
    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class Spec:
    """A command's schema: who may send it, its arguments, what it does, and its class."""

    roles: Roles
    fields: dict[str, Field]
    doc: str
    command: type[Command]


@dataclass(frozen=True)
class Actor:
    role: Role
    person: str | None = None


# The limits of a field, kept in its metadata (the type and the default say the rest).
_LIMITS = "limits"


def text(max_len: int = ID_MAX) -> dict[str, Any]:
    """Metadata of a text field: at most max_len characters after cleaning."""
    return {_LIMITS: {"max_len": max_len}}


def number(min: int | None = None, max: int | None = None) -> dict[str, Any]:
    """Metadata of a whole-number field: min ≤ value ≤ max."""
    return {_LIMITS: {"min": min, "max": max}}


@dataclass(frozen=True, kw_only=True)
class Command:
    """The base of every command: ``name`` is what clients send, ``roles`` who may send it."""

    name: ClassVar[str] = ""
    roles: ClassVar[Roles] = frozenset()

    @property
    def args(self) -> dict[str, object]:
        """The arguments that were given (cleaned), as a plain dict."""
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}


# ---- the commands, in the order of the protocol reference -------------------------------------
@dataclass(frozen=True, kw_only=True)
class CreateMeeting(Command):
    """set up the meeting"""

    name: ClassVar[str] = "create_meeting"
    roles: ClassVar[Roles] = frozenset({A})
    config: dict[str, object]


@dataclass(frozen=True, kw_only=True)
class SignIn(Command):
    """a person signs in (participants themselves; recorder or moderator for someone without a phone)"""

    name: ClassVar[str] = "sign_in"
    roles: ClassVar[Roles] = frozenset({P, S, R, M})
    person: str | None = field(default=None, metadata=text())
    channel: SignInChannel | None = None


@dataclass(frozen=True, kw_only=True)
class SignOut(Command):
    """a person leaves"""

    name: ClassVar[str] = "sign_out"
    roles: ClassVar[Roles] = frozenset({R, M})
    person: str = field(metadata=text())


@dataclass(frozen=True, kw_only=True)
class PresentRules(Command):
    """present the draft rules of procedure"""

    name: ClassVar[str] = "present_rules"
    roles: ClassVar[Roles] = frozenset({M})


@dataclass(frozen=True, kw_only=True)
class AmendRules(Command):
    """amend the draft rules"""

    name: ClassVar[str] = "amend_rules"
    roles: ClassVar[Roles] = frozenset({M})
    params: dict[str, object]


@dataclass(frozen=True, kw_only=True)
class OpenVote(Command):
    """open a vote"""

    name: ClassVar[str] = "open_vote"
    roles: ClassVar[Roles] = frozenset({M})
    kind: VoteKind
    mode: VoteMode | None = None


@dataclass(frozen=True, kw_only=True)
class CastVote(Command):
    """vote by phone"""

    name: ClassVar[str] = "cast_vote"
    roles: ClassVar[Roles] = frozenset({P})
    choice: Choice


@dataclass(frozen=True, kw_only=True)
class EnterHandCount(Command):
    """enter the count of raised hands for one choice"""

    name: ClassVar[str] = "enter_hand_count"
    roles: ClassVar[Roles] = frozenset({R, M})
    choice: Choice
    count: int = field(metadata=number(min=0, max=100_000))


@dataclass(frozen=True, kw_only=True)
class CloseVote(Command):
    """close the open vote"""

    name: ClassVar[str] = "close_vote"
    roles: ClassVar[Roles] = frozenset({M})


@dataclass(frozen=True, kw_only=True)
class DeclareOpen(Command):
    """declare the consultation open"""

    name: ClassVar[str] = "declare_open"
    roles: ClassVar[Roles] = frozenset({M})


@dataclass(frozen=True, kw_only=True)
class StartExplanation(Command):
    """give the proposer the floor to explain the topic"""

    name: ClassVar[str] = "start_explanation"
    roles: ClassVar[Roles] = frozenset({M})


@dataclass(frozen=True, kw_only=True)
class BeginItem(Command):
    """begin debate on an item"""

    name: ClassVar[str] = "begin_item"
    roles: ClassVar[Roles] = frozenset({M})
    item: int = field(metadata=number(min=0, max=999))


@dataclass(frozen=True, kw_only=True)
class RaiseHand(Command):
    """raise a hand for or against"""

    name: ClassVar[str] = "raise_hand"
    roles: ClassVar[Roles] = frozenset({P})
    stance: Stance


@dataclass(frozen=True, kw_only=True)
class LowerHand(Command):
    """lower a hand (one's own; the moderator anyone's)"""

    name: ClassVar[str] = "lower_hand"
    roles: ClassVar[Roles] = frozenset({P, M})
    person: str | None = field(default=None, metadata=text())


@dataclass(frozen=True, kw_only=True)
class GiveFloor(Command):
    """give the floor to a raised hand"""

    name: ClassVar[str] = "give_floor"
    roles: ClassVar[Roles] = frozenset({M})
    person: str = field(metadata=text())
    reason: str | None = field(default=None, metadata=text(REASON_MAX))


@dataclass(frozen=True, kw_only=True)
class GiveExpertFloor(Command):
    """give an expert or department the floor"""

    name: ClassVar[str] = "give_expert_floor"
    roles: ClassVar[Roles] = frozenset({M})
    person: str = field(metadata=text())


@dataclass(frozen=True, kw_only=True)
class EndSpeech(Command):
    """end the current speech"""

    name: ClassVar[str] = "end_speech"
    roles: ClassVar[Roles] = frozenset({M})


@dataclass(frozen=True, kw_only=True)
class YieldFloor(Command):
    """the speaker ends their own speech early"""

    name: ClassVar[str] = "yield_floor"
    roles: ClassVar[Roles] = frozenset({P})


@dataclass(frozen=True, kw_only=True)
class PauseTimer(Command):
    """pause the speech timer"""

    name: ClassVar[str] = "pause_timer"
    roles: ClassVar[Roles] = frozenset({M})


@dataclass(frozen=True, kw_only=True)
class ResumeTimer(Command):
    """resume the speech timer"""

    name: ClassVar[str] = "resume_timer"
    roles: ClassVar[Roles] = frozenset({M})


@dataclass(frozen=True, kw_only=True)
class Tick(Command):
    """the server's timer: warning, overrun, auto end"""

    name: ClassVar[str] = "tick"
    roles: ClassVar[Roles] = frozenset({SYS})


@dataclass(frozen=True, kw_only=True)
class CallToOrder(Command):
    """record a call to order"""

    name: ClassVar[str] = "call_to_order"
    roles: ClassVar[Roles] = frozenset({M})
    person: str = field(metadata=text())
    reason: OrderReason
    note: str | None = field(default=None, metadata=text(REASON_MAX))


@dataclass(frozen=True, kw_only=True)
class WriteSummary(Command):
    """the recorder's summary of a speech"""

    name: ClassVar[str] = "write_summary"
    roles: ClassVar[Roles] = frozenset({R})
    speech_id: int = field(metadata=number(min=1))
    text: str = field(metadata=text(TEXT_MAX))


@dataclass(frozen=True, kw_only=True)
class AddNote(Command):
    """a recorder's note"""

    name: ClassVar[str] = "add_note"
    roles: ClassVar[Roles] = frozenset({R})
    kind: NoteKind
    text: str = field(metadata=text(TEXT_MAX))


@dataclass(frozen=True, kw_only=True)
class DeclareOutcome(Command):
    """declare an item's outcome class"""

    name: ClassVar[str] = "declare_outcome"
    roles: ClassVar[Roles] = frozenset({M})
    item: int = field(metadata=number(min=0, max=999))
    outcome: OutcomeClass
    what: str | None = field(default=None, metadata=text(TEXT_MAX))
    who: str | None = field(default=None, metadata=text(REASON_MAX))
    by_when: str | None = field(default=None, metadata=text(NAME_MAX))
    when: str | None = field(default=None, metadata=text(REASON_MAX))
    terms: str | None = field(default=None, metadata=text(TEXT_MAX))
    note: str | None = field(default=None, metadata=text(TEXT_MAX))
    supervision: str | None = field(default=None, metadata=text(TEXT_MAX))  # a: how its implementation is supervised


@dataclass(frozen=True, kw_only=True)
class Escalate(Command):
    """hand the topic to 五议两公开"""

    name: ClassVar[str] = "escalate"
    roles: ClassVar[Roles] = frozenset({M})
    reason: str = field(metadata=text(TEXT_MAX))


@dataclass(frozen=True, kw_only=True)
class EndMeeting(Command):
    """end the meeting"""

    name: ClassVar[str] = "end_meeting"
    roles: ClassVar[Roles] = frozenset({M})


@dataclass(frozen=True, kw_only=True)
class SignRecord(Command):
    """sign the completed record (after the end; once per signer)"""

    name: ClassVar[str] = "sign_record"
    roles: ClassVar[Roles] = frozenset({M, R, S})


@dataclass(frozen=True, kw_only=True)
class FileRecord(Command):
    """the record was filed with the supervision committee (after the end)"""

    name: ClassVar[str] = "file_record"
    roles: ClassVar[Roles] = frozenset({R})
    note: str | None = field(default=None, metadata=text(REASON_MAX))


@dataclass(frozen=True, kw_only=True)
class CommunicateResult(Command):
    """the result was communicated to the stakeholders (after the end)"""

    name: ClassVar[str] = "communicate_result"
    roles: ClassVar[Roles] = frozenset({R, M})
    how: str = field(metadata=text(REASON_MAX))


# ---- the schema, derived from the classes -----------------------------------------------------
_KINDS: dict[object, str] = {str: "str", int: "int", dict: "dict"}


def _field_of(cls: type[Command], name: str, hint: object, default: object, metadata: Mapping[str, Any]) -> Field:
    required = default is MISSING
    args = get_args(hint)
    if get_origin(hint) in (Union, types.UnionType):  # X | None: optional
        assert not required and len(args) == 2 and type(None) in args, f"{cls.__name__}.{name}: only X | None"
        hint = next(a for a in args if a is not type(None))
    choices: tuple[str, ...] | None = None
    if get_origin(hint) is Literal:
        choices = get_args(hint)
        hint = str
    kind = _KINDS[get_origin(hint) or hint]
    limits = dict(metadata.get(_LIMITS, {}))
    if kind == "str":
        limits.setdefault("max_len", ID_MAX)
    return Field(kind, required=required, choices=choices, **limits)


def _spec(cls: type[Command]) -> Spec:
    doc = inspect.getdoc(cls) or ""
    assert doc and not doc.startswith(cls.__name__ + "("), f"{cls.__name__} needs a docstring saying what it does"
    hints = get_type_hints(cls)
    spec_fields = {f.name: _field_of(cls, f.name, hints[f.name], f.default, f.metadata) for f in fields(cls)}
    return Spec(cls.roles, spec_fields, " ".join(doc.split()), cls)


COMMANDS: tuple[type[Command], ...] = tuple(Command.__subclasses__())
SPECS: dict[str, Spec] = {cls.name: _spec(cls) for cls in COMMANDS}
assert len(SPECS) == len(COMMANDS), "two commands share a name"


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
    clean: dict[str, object] = {}
    for key, f in spec.fields.items():
        value = args.get(key)
        if value is None:
            if f.required:
                raise DomainError("bad_payload", reason=f"{key} is required")
            continue
        clean[key] = _check(key, f, value)
    return spec.command(**clean)


def _check(key: str, f: Field, value: object) -> object:
    if f.kind == "str":
        if not isinstance(value, str):
            raise DomainError("bad_payload", reason=f"{key} must be a string")
        if (f.choices is not None or key in IDENTIFIERS) and clean_text(value) != value:
            # A choice or an id is taken as sent or refused ("yes\0" is not "yes"); free text is
            # normalised: control characters, lone surrogates and bidi overrides are dropped.
            raise DomainError("bad_payload", reason=f"{key} contains a control character")
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
IDENTIFIERS = frozenset({"person"})  # text fields that name something: refused, never cleaned


def clean_text(value: str) -> str:
    """Drop control characters (keeping newlines and tabs) and bidi overrides: they have no place
    in a record and can disguise a name."""
    if value.isprintable():
        return value
    return "".join(
        ch for ch in value
        if ch in "\n\t" or not (unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI)
    )
