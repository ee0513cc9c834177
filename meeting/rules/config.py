"""Validation of a new meeting's settings (the payload of create_meeting).

Returns the normalised config that goes into the meeting_created event: every person has an
id, every item a title, the rules draft is complete.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from .commands import NAME_MAX, REASON_MAX, TEXT_MAX, clean_text
from .errors import DomainError
from .params import RulesParams
from .roster import Category, default_votes
from .shapes import CreatedConfig, ItemConfig, PersonRecord

MAX_PEOPLE = 2000
MAX_ITEMS = 50
FORMS = ("onsite", "online", "mixed")
TRACKS = ("immediate", "in_depth")
_TEXT_FIELDS = {
    "title": 200, "description": TEXT_MAX, "place": REASON_MAX, "scheduled_at": NAME_MAX,
    "moderator_name": NAME_MAX, "recorder_name": NAME_MAX, "video_url": REASON_MAX, "previous_meeting": NAME_MAX,
}


def _text(raw: Mapping[str, object], key: str, max_len: int, required: bool = False) -> str | None:
    value = raw.get(key)
    if value is None:
        if required:
            raise DomainError("bad_config", reason=f"{key} is required")
        return None
    if not isinstance(value, str):
        raise DomainError("bad_config", reason=f"{key} must be text")
    value = clean_text(value).strip()
    if len(value) > max_len:
        raise DomainError("text_too_long", field=key, max=max_len)
    if required and not value:
        raise DomainError("bad_config", reason=f"{key} is required")
    return value


def _required_text(raw: Mapping[str, object], key: str, max_len: int) -> str:
    value = _text(raw, key, max_len, required=True)
    assert value is not None  # _text refuses a missing required text
    return value


def normalize_config(raw: object) -> CreatedConfig:
    if not isinstance(raw, dict):
        raise DomainError("bad_config", reason="an object is expected")
    allowed = set(_TEXT_FIELDS) | {"form", "track", "items", "roster", "params", "proposer"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise DomainError("bad_config", reason=f"unknown field {unknown[0][:40]}")
    out: dict[str, object] = {}
    for key, max_len in _TEXT_FIELDS.items():
        value = _text(raw, key, max_len, required=key == "title")
        if value is not None:
            out[key] = value
    out["form"] = raw.get("form", "onsite")
    if out["form"] not in FORMS:
        raise DomainError("bad_config", reason="form must be onsite, online or mixed")
    out["track"] = raw.get("track", "immediate")
    if out["track"] not in TRACKS:
        raise DomainError("bad_config", reason="track must be immediate or in_depth")
    out["items"] = _items(raw.get("items"), str(out["title"]))
    roster = out["roster"] = _roster(raw.get("roster"))
    out["params"] = RulesParams.from_dict(raw.get("params") or {}).to_dict()
    proposer = raw.get("proposer")
    ids = {p["id"]: p for p in roster}
    if proposer is None:
        proposer = next((p["id"] for p in roster if p["category"] == Category.PROPOSER), None)
    elif not isinstance(proposer, str) or proposer not in ids or ids[proposer]["category"] != Category.PROPOSER:
        raise DomainError("bad_config", reason="proposer must name a person of category proposer")
    out["proposer"] = proposer
    return cast(CreatedConfig, out)  # every key above was checked


def _items(raw: object, title: str) -> list[ItemConfig]:
    if raw is None:
        return [{"title": title}]
    if not isinstance(raw, list) or not (1 <= len(raw) <= MAX_ITEMS):
        raise DomainError("bad_config", reason=f"items must be a list of 1 to {MAX_ITEMS}")
    items: list[ItemConfig] = []
    for entry in raw:
        if isinstance(entry, str):
            entry = {"title": entry}
        if not isinstance(entry, dict):
            raise DomainError("bad_config", reason="each item needs a title")
        item: ItemConfig = {"title": _required_text(entry, "title", 200)}
        desc = _text(entry, "description", TEXT_MAX)
        if desc:
            item["description"] = desc
        items.append(item)
    return items


def _roster(raw: object) -> list[PersonRecord]:
    if not isinstance(raw, list) or len(raw) > MAX_PEOPLE:
        raise DomainError("bad_config", reason=f"roster must be a list of at most {MAX_PEOPLE} people")
    people: list[PersonRecord] = []
    seen: set[str] = set()
    for n, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict):
            raise DomainError("bad_config", reason="each person is an object")
        pid = entry.get("id", f"p{n}")
        if not (isinstance(pid, str) and 0 < len(pid) <= 32 and pid.isascii()
                and pid.replace("-", "").replace("_", "").isalnum()):
            raise DomainError("bad_config", reason="person ids are short ASCII letters, digits, - or _")
        if pid in seen:
            raise DomainError("bad_config", reason=f"duplicate person id {pid}")
        seen.add(pid)
        try:
            cat = Category(entry.get("category", "stakeholder"))
        except ValueError:
            raise DomainError("bad_config", reason="unknown category") from None
        votes = entry.get("votes", default_votes(cat))
        if not isinstance(votes, bool) or (votes and cat not in (Category.STAKEHOLDER, Category.PROPOSER)):
            raise DomainError("bad_config", reason="only stakeholders and proposers vote")
        has_phone, remote = entry.get("has_phone", True), entry.get("remote", False)
        if not (isinstance(has_phone, bool) and isinstance(remote, bool)):
            raise DomainError("bad_config", reason="has_phone and remote are true or false")
        person: PersonRecord = {
            "id": pid, "name": _required_text(entry, "name", NAME_MAX), "category": str(cat), "votes": votes,
            "has_phone": has_phone, "remote": remote, "phone": _text(entry, "phone", 32) or None,
        }
        extra = set(entry) - {"id", "name", "category", "votes", "has_phone", "remote", "phone"}
        if extra:
            raise DomainError("bad_config", reason=f"unknown person field {sorted(extra)[0][:40]}")
        people.append(person)
    return people
