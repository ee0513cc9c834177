"""Checks shared by the projection tests: ``allowed`` against what ``decide`` really does, and
the redaction invariants of every audience's view, ``me`` and events."""
from __future__ import annotations

import copy
import json

from meeting.projections import (
    PUBLIC,
    STAFF,
    DryRun,
    apply_patch,
    commands_of,
    diff,
    personal_views,
    redact,
    role_views,
)
from meeting.projections.allowed import NOT_SENT, ROSTER_WIDE, expand, unnamed
from meeting.rules import SPECS, Actor, DomainError, Role, decide, evolve, parse_command
from meeting.rules.state import MeetingState

PAYLOAD_CODES = {"bad_payload", "text_too_long", "unknown_command"}
# keys only staff may receive, in a view or an event
STAFF_ONLY = {"phone", "has_phone", "notes", "summary", "voted", "config"}


def really(state: MeetingState, actor: Actor, name: str, args: dict, now: int, evolve_too: bool = False):
    """Execute the command for real on ``state`` (a working copy): None when accepted, else the
    refusal as DomainError.to_dict(). The command is parsed afresh (nothing shared with the dry run)."""
    try:
        events = decide(state, parse_command(name, copy.deepcopy(args)), actor, now)
    except DomainError as e:
        return e.to_dict()
    if evolve_too:
        s = copy.deepcopy(state)
        for e in events:
            evolve(s, e)
        assert s.version >= state.version
    return None


def assert_verdict_matches(verdict: dict, real: dict | None, where: str, generic: bool = False) -> None:
    """``generic``: a ROSTER_WIDE target's refusal, which names the person generically."""
    if real is not None and generic:
        real = dict(real)
        real["message_zh"], real["message_en"] = unnamed(real["code"], real.get("details", {}))
    if real is None:
        assert verdict["ok"] is True, f"{where}: allowed says {verdict}, decide accepts"
        assert not {"code", "message_zh", "message_en"} & set(verdict), where
    else:
        assert verdict["ok"] is False, f"{where}: allowed says ok, decide refuses {real['code']}"
        assert (verdict["code"], verdict["message_zh"], verdict["message_en"]) == (
            real["code"], real["message_zh"], real["message_en"]), where
        assert verdict["code"] not in PAYLOAD_CODES, f"{where}: the representative arguments are malformed: {verdict}"


def check_allowed(state: MeetingState, now: int, actor: Actor, allowed: dict) -> int:
    """Every verdict of ``allowed`` agrees with a real execution of the same command with the
    same arguments. Returns how many verdicts were checked."""
    expected = [n for n, s in SPECS.items() if actor.role in s.roles and n not in NOT_SENT]
    assert list(allowed) == expected == commands_of(actor.role)
    before = state.to_dict()
    work = copy.deepcopy(state)
    dry = DryRun(state, now)
    checked = 0
    for name, entry in allowed.items():
        where = f"{actor.role}/{actor.person} {name}"
        kind, values = dry.candidates(actor, name)
        if kind is None:
            assert not {"targets", "options"} & set(entry), where
            assert_verdict_matches(entry, really(work, actor, name, dry.args(name), now, evolve_too=True), where)
            checked += 1
            continue
        if kind == "targets" and name in ROSTER_WIDE:
            assert "others" in entry and set(entry["targets"]) <= {str(v) for v in values}, where
            assert all(v is not entry["others"] and v != entry["others"] for v in entry["targets"].values()), where
        else:
            assert list(entry[kind]) == [str(v) for v in values], where
        found = expand(entry, kind, [str(v) for v in values])
        for value in values:
            args = dry.args(name, target=value) if kind == "targets" else dry.args(name, option=value)
            v = found[str(value)]
            real = really(work, actor, name, args, now)
            assert_verdict_matches(v, real, f"{where} {value}", generic=kind == "targets" and name in ROSTER_WIDE)
            checked += 1
            if name == "enter_hand_count":
                assert ("max" in v) == v["ok"], where
                if v["ok"]:  # the largest count accepted: max is, max + 1 is not (unless max is the field's limit)
                    assert really(work, actor, name, {**args, "count": v["max"]}, now) is None, where
                    if v["max"] < SPECS[name].fields["count"].max:
                        assert really(work, actor, name, {**args, "count": v["max"] + 1}, now) is not None, where
        oks = [v for v in found.values() if v["ok"]]
        if oks:
            assert entry["ok"] is True, where
        else:
            assert entry["ok"] is False, where
            if found:
                first = next(iter(found.values()))
                assert (entry["code"], entry["message_en"]) == (first["code"], first["message_en"]), where
    assert state.to_dict() == before, "computing allowed changed the state"
    assert work.to_dict() == before, "decide changed the state"
    return checked


def check_all_allowed(state: MeetingState, now: int) -> int:
    n = 0
    for pid, me in personal_views(state, now).items():
        role = Role.SUPERVISOR if str(state.roster[pid].category) == "supervisor" else Role.PARTICIPANT
        n += check_allowed(state, now, Actor(role, pid), me["allowed"])
    for role, me in role_views(state, now).items():
        n += check_allowed(state, now, Actor(Role(role)), me["allowed"])
    return n


def keys_in(x) -> set[str]:
    """Every dict key anywhere in x."""
    out: set[str] = set()
    if isinstance(x, dict):
        for k, v in x.items():
            out.add(k)
            out |= keys_in(v)
    elif isinstance(x, list):
        for v in x:
            out |= keys_in(v)
    return out


def check_patch(old: dict, new: dict) -> None:
    """apply(old, diff(old, new)) == new, also through the patch's JSON form."""
    patch = diff(old, new)
    assert apply_patch(copy.deepcopy(old), patch) == new
    wire = json.loads(json.dumps(patch, ensure_ascii=False))
    assert apply_patch(json.loads(json.dumps(old)), wire) == json.loads(json.dumps(new))
    assert diff(new, new) == []


def anonymous_votes(state: MeetingState) -> set[int]:
    return {v.id for v in state.votes if v.ballot == "anonymous"}


def delta_events(state: MeetingState, events: list, aud: str, first_seq: int = 1) -> list[dict]:
    anonymous = anonymous_votes(state)
    return [redact({**e.to_dict(), "seq": first_seq + i}, aud, getattr(e, "vote_id", None) in anonymous)
            for i, e in enumerate(events)]


def check_redaction(state: MeetingState, views: dict, events: dict) -> None:
    """No public view or public event holds a staff-only key; no event, view or me of any
    audience links an anonymous voter to a choice, and no open vote shows per-choice counts of
    phone ballots."""
    pub = views[PUBLIC]
    assert not keys_in(pub) & STAFF_ONLY, keys_in(pub) & STAFF_ONLY
    for e in events[PUBLIC]:
        assert not set(e) & STAFF_ONLY, e
        if e["type"] in ("vote_cast", "ballot_cast"):
            assert "person" not in e and "choice" not in e, e
        if e["type"] in ("summary_written", "note_added"):
            assert "text" not in e, e
    for aud in (STAFF, PUBLIC):
        for e in events[aud]:
            assert "config" not in e, e
            assert not (e["type"] in ("vote_cast", "ballot_cast", "secret_ballot") and "choice" in e), e
            assert not (e["type"] == "ballot_cast" and "person" in e), e
        v = views[aud]["vote"]
        if v is not None:  # an open vote: how many voted, never how
            assert not {"counts", "choices", "yes", "no", "box", "named"} & set(v), v
        for closed in views[aud]["votes"]:
            if aud == PUBLIC or closed["ballot"] == "anonymous":  # the public view has no choices at all
                assert "choices" not in closed, closed
    vote = state.vote
    if vote is not None and vote.ballot == "anonymous":
        for me in personal_views(state, 0).values():
            assert me["vote"]["choice"] is None, me
