"""``allowed``: what a connection may do now, by dry runs of the pure ``decide``.

For each command a role may send (``SPECS[name].roles``, without ``create_meeting`` and
``tick``) ``decide`` runs on the state with representative arguments; its events are thrown
away and the state is never changed (``decide`` does not change a state). A refusal becomes
``{"ok": false, "code", "message_zh", "message_en"}`` from the engine's own DomainError, so no
rule is restated here: this module only chooses what to try (the candidate persons and the
options a screen offers), never the answer.

Commands that name a person get ``targets`` (a verdict per candidate person), commands whose
choice matters to a screen get ``options`` (a verdict per value); their top-level verdict is ok
when one target or option is ok, else the first refusal. ``enter_hand_count`` options also carry
``max``: the largest count the engine accepts now for that choice (found by asking ``decide``).

Compact forms (issue 11: a moderator's ``me`` was 408 KB at 2,000 people), which
static/js/live.js's ``allowed`` helpers read back:
- an option or target verdict that is the command's own refusal is sent as ``false``;
- the commands with a verdict for every person on the roster (``ROSTER_WIDE``) send the most
  common verdict once as ``others`` and in ``targets`` only the persons whose verdict differs;
  their refusals name the person generically ("此人" / "This person": the screen shows the
  verdict in that person's row), so that the same refusal is one verdict for everyone.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..rules import SPECS, Actor, DomainError, Role, decide, parse_command, queue_order
from ..rules.roster import ANSWERING_CATEGORIES
from ..rules.state import MeetingState

Verdict = dict[str, Any]
OK: Verdict = {"ok": True}
NOT_SENT = frozenset({"create_meeting", "tick"})  # set up by the admin; the server's own timer
TEXT = "…"  # a placeholder for free text: the engine checks presence and length, never content
ROSTER_WIDE = frozenset({"sign_in", "sign_out", "call_to_order"})  # a verdict per roster person
PERSON_WORDS = ("此人", "This person")  # the person of a ROSTER_WIDE target's refusal
SAME = False  # an option's or target's verdict that is the command's own refusal (never a count)

# What a screen chooses among, per command: the payload field whose values get a verdict each.
OPTION_FIELDS = {"cast_vote": "choice", "enter_hand_count": "choice", "open_vote": "kind", "declare_outcome": "outcome"}


def commands_of(role: Role) -> list[str]:
    """The commands a role may send, in SPECS order."""
    names = _COMMANDS.get(role)
    if names is None:
        names = _COMMANDS[role] = [n for n, s in SPECS.items() if role in s.roles and n not in NOT_SENT]
    return names


_COMMANDS: dict[Role, list[str]] = {}


def field_choices(name: str, key: str) -> tuple:
    return tuple(SPECS[name].fields[key].choices or ())


class DryRun:
    """Verdicts of ``decide`` on one state at one time. Parsed commands and refusal verdicts are
    shared (the same refusal is one dict), which keeps ``allowed`` for 2,000 people cheap."""

    def __init__(self, state: MeetingState, now: int) -> None:
        self.state, self.now = state, now

    def verdict(self, actor: Actor, name: str, args: dict | None = None) -> Verdict:
        return self._try(actor, _parse(name, args or {}))

    def tried(self, actor: Actor, name: str, target: str | None = None, option: Any = None) -> Verdict:
        """The verdict for the representative arguments of ``name`` (and target or option); the
        parsed command is kept, since the same few are tried for every person and target."""
        key = (name, target, option, self._context(name))
        cmd = _TRIED.get(key)
        if cmd is None:
            if len(_TRIED) > 100_000:
                _TRIED.clear()
            cmd = _TRIED[key] = _parse(name, self.args(name, target=target, option=option))
        return self._try(actor, cmd, unnamed=target is not None and name in ROSTER_WIDE)

    def _try(self, actor: Actor, cmd: Any, unnamed: bool = False) -> Verdict:
        try:
            decide(self.state, cmd, actor, self.now)
        except DomainError as e:
            return _unnamed_refusal(e) if unnamed else _refusal(e)
        return OK

    def _context(self, name: str) -> int | None:
        """What of the state the representative arguments of ``name`` depend on (see ``args``)."""
        if name == "write_summary":
            return len(self.state.speeches)
        if name == "declare_outcome":
            return self.state.current_item
        return None

    # ---- per command -------------------------------------------------------------------------
    def allowed(self, actor: Actor, names: Iterable[str] | None = None) -> dict[str, Verdict]:
        return {name: self.entry(actor, name) for name in (commands_of(actor.role) if names is None else names)}

    def entry(self, actor: Actor, name: str) -> Verdict:
        kind, values = self.candidates(actor, name)
        if kind is None:
            return self.tried(actor, name)
        if kind == "targets":
            found = {pid: self.tried(actor, name, target=pid) for pid in values}
        else:
            found = {str(v): self.tried(actor, name, option=v) for v in values}
            if name == "enter_hand_count":
                for choice, v in found.items():
                    if v["ok"]:
                        found[choice] = dict(v, max=self._max_count(actor, choice))
        if not found:  # nothing to name or choose: the verdict for a placeholder (a refusal)
            if kind == "targets":
                args = self.args(name, target=next(iter(self.state.roster), "-"))
            else:
                args = self.args(name, option=0)
            return dict(self.verdict(actor, name, args), **{kind: {}})
        own = _combine(found.values())
        if kind == "targets" and name in ROSTER_WIDE:
            others = _most_common(found.values())
            return dict(own, others=others, targets={pid: v for pid, v in found.items() if v is not others})
        return dict(own, **{kind: {k: SAME if _same(v, own) else v for k, v in found.items()}})

    def candidates(self, actor: Actor, name: str) -> tuple[str | None, list]:
        """What gets a verdict of its own: ``("targets", persons)``, ``("options", values)`` or
        ``(None, [])`` for a command tried once."""
        s = self.state
        if actor.person is not None and name in ("sign_in", "lower_hand"):
            return None, []  # a person acts for themselves
        if name in ("sign_in", "sign_out", "call_to_order"):
            return "targets", list(s.roster)
        if name in ("give_floor", "lower_hand"):
            return "targets", [h.person for h in queue_order(s)]
        if name == "give_expert_floor":
            return "targets", [pid for pid, p in s.roster.items() if p.category in ANSWERING_CATEGORIES]
        if name == "begin_item":
            return "options", list(range(len(s.items)))
        if name in OPTION_FIELDS:
            return "options", list(field_choices(name, OPTION_FIELDS[name]))
        return None, []

    def args(self, name: str, target: str | None = None, option: Any = None) -> dict:
        """The arguments tried for a command (and target person or option value)."""
        args = dict(_ARGS.get(name, {}))
        if name == "write_summary":  # the latest speech: a screen summarises the one just given
            args["speech_id"] = max(1, len(self.state.speeches))
        if name == "declare_outcome":  # the current item, the details of every class filled in
            args["item"] = self.state.current_item if self.state.current_item is not None else 0
        if target is not None:
            args["person"] = target
        if option is not None:
            args["item" if name == "begin_item" else OPTION_FIELDS[name]] = option
        return args

    def _max_count(self, actor: Actor, choice: str) -> int:
        """The largest count ``decide`` accepts for this choice (it accepts 0; the counts it
        accepts are the ones up to a limit, so a binary search finds the limit)."""
        lo, hi = 0, SPECS["enter_hand_count"].fields["count"].max or 0

        def ok(count: int) -> bool:
            return self.verdict(actor, "enter_hand_count", {"choice": choice, "count": count})["ok"]

        if ok(hi):
            return hi
        while hi - lo > 1:  # lo accepted, hi refused
            mid = (lo + hi) // 2
            if ok(mid):
                lo = mid
            else:
                hi = mid
        return lo


# representative arguments (free text filled in; the screen asks the user for the real text)
_ARGS: dict[str, dict] = {
    "amend_rules": {"params": {}},
    "call_to_order": {"reason": "other"},
    "enter_hand_count": {"count": 0},
    "declare_outcome": {"what": TEXT, "who": TEXT, "by_when": TEXT, "when": TEXT, "terms": TEXT, "note": TEXT},
    "add_note": {"kind": "other", "text": TEXT},
    "write_summary": {"text": TEXT},
    "escalate": {"reason": TEXT},
    "communicate_result": {"how": TEXT},
    "raise_hand": {"stance": "for"},
}


def _combine(verdicts: Iterable[Verdict]) -> Verdict:
    first = None
    for v in verdicts:
        if v["ok"]:
            return OK
        first = first or v
    return _bare(first) if first else OK


def expand(entry: Verdict, kind: str, keys: Iterable[str]) -> dict[str, Verdict | None]:
    """The verdict of each target or option ``keys`` of a command's ``entry``, from its compact
    form, as static/js/live.js's ``allowed.target`` / ``allowed.option`` read it (tests, clients)."""
    own = _bare(entry) if not entry["ok"] else OK
    listed = entry.get(kind) or {}
    out: dict[str, Verdict | None] = {}
    for key in keys:
        v = listed.get(key)
        if v is SAME:
            v = own
        out[key] = v or entry.get("others")
    return out


def unnamed(code: str, details: dict) -> tuple[str, str]:
    """The two messages of a ROSTER_WIDE target's refusal (the person named generically)."""
    rest = {k: v for k, v in details.items() if k not in ("person", "person_id")}
    return (DomainError(code, **{**rest, "person": PERSON_WORDS[0]}).message_zh,
            DomainError(code, **{**rest, "person": PERSON_WORDS[1]}).message_en)


def _same(v: Verdict, own: Verdict) -> bool:
    """Whether a target's or option's verdict is the command's own refusal (sent as ``SAME``)."""
    return not own["ok"] and not v["ok"] and len(v) == 4 and v["code"] == own["code"] \
        and v["message_zh"] == own["message_zh"] and v["message_en"] == own["message_en"]


def _most_common(verdicts: Iterable[Verdict]) -> Verdict:
    """The verdict most targets have (the first such in roster order on a tie). Verdicts are
    shared dicts (``OK``, one per refusal), so they are counted by identity."""
    counts: dict[int, list] = {}
    for v in verdicts:
        entry = counts.get(id(v))
        if entry is None:
            counts[id(v)] = [1, v]
        else:
            entry[0] += 1
    best = max(counts.values(), key=lambda e: e[0])  # max() keeps the first of equal counts
    return best[1]


def _bare(v: Verdict) -> Verdict:
    return {k: v[k] for k in ("ok", "code", "message_zh", "message_en")}


_REFUSALS: dict[tuple, Verdict] = {}


def _refusal(e: DomainError) -> Verdict:
    """The verdict of a refusal; one dict per distinct (code, details), so the messages are
    formatted once and the same refusal is shared by every person and target it applies to."""
    key: tuple = (e.code, *sorted(e.details.items()))
    try:
        v = _REFUSALS.get(key)
    except TypeError:  # an unhashable detail: no sharing
        return {"ok": False, "code": e.code, "message_zh": e.message_zh, "message_en": e.message_en}
    if v is None:
        if len(_REFUSALS) > 50_000:
            _REFUSALS.clear()
        v = _REFUSALS[key] = {"ok": False, "code": e.code, "message_zh": e.message_zh, "message_en": e.message_en}
    return v


def _unnamed_refusal(e: DomainError) -> Verdict:
    """The refusal of a ROSTER_WIDE target with the person named generically, one dict for all
    the persons it applies to (the details that name the person are left out)."""
    details = {k: v for k, v in e.details.items() if k not in ("person", "person_id")}
    key: tuple = ("unnamed", e.code, *sorted(details.items()))
    try:
        v = _REFUSALS.get(key)
    except TypeError:
        v, key = None, ()
    if v is None:
        zh, en = unnamed(e.code, details)
        v = {"ok": False, "code": e.code, "message_zh": zh, "message_en": en}
        if key:
            if len(_REFUSALS) > 50_000:
                _REFUSALS.clear()
            _REFUSALS[key] = v
    return v


_PARSED: dict[tuple, Any] = {}
_TRIED: dict[tuple, Any] = {}  # (name, target, option, context) -> the parsed command tried


def _freeze(x: Any) -> Any:
    if isinstance(x, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in x.items()))
    return x


def _parse(name: str, args: dict):
    key: tuple = (name, *args.items())
    try:
        hash(key)
    except TypeError:
        key = (name, _freeze(args))
    cmd = _PARSED.get(key)
    if cmd is None:
        if len(_PARSED) > 100_000:
            _PARSED.clear()
        cmd = _PARSED[key] = parse_command(name, args)
    return cmd
