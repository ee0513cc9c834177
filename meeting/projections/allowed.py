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
        return self._try(actor, cmd)

    def _try(self, actor: Actor, cmd: Any) -> Verdict:
        try:
            decide(self.state, cmd, actor, self.now)
        except DomainError as e:
            return _refusal(e)
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
        return dict(_combine(found.values()), **{kind: found})

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
