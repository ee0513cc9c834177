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
        cat_word = entry.get("category", "stakeholder")
        cat = category_of(cat_word) if isinstance(cat_word, str) else None
        if cat is None:
            raise DomainError("bad_config", reason="unknown category")
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


# ---- a roster from the community's own list (a spreadsheet or CSV: one row a person) ----------
# Category words accepted wherever a category is read: the English keys and the Chinese names.
CATEGORY_WORDS: dict[str, Category] = {
    **{str(c): c for c in Category},
    "利益相关方": Category.STAKEHOLDER, "居民": Category.STAKEHOLDER, "居民代表": Category.STAKEHOLDER,
    "村民": Category.STAKEHOLDER, "村民代表": Category.STAKEHOLDER, "居(村)民代表": Category.STAKEHOLDER,
    "议题提出人": Category.PROPOSER, "提出人": Category.PROPOSER,
    "专家": Category.EXPERT, "专家学者": Category.EXPERT, "专业技术人员": Category.EXPERT,
    "职能部门": Category.DEPARTMENT, "部门": Category.DEPARTMENT, "辖区职能部门": Category.DEPARTMENT,
    "旁听": Category.OBSERVER, "列席": Category.OBSERVER, "非涉利益相关人员": Category.OBSERVER,
    "监督员": Category.SUPERVISOR, "监督": Category.SUPERVISOR,
    "指导人": Category.GUIDE, "协商指导人": Category.GUIDE,
}
# Yes/no cells: what people write in a spreadsheet (an empty cell keeps the default).
YES_WORDS = frozenset({"是", "有", "y", "yes", "true", "1", "✓", "√", "对"})
NO_WORDS = frozenset({"否", "无", "没有", "n", "no", "false", "0", "×", "x"})
# Column headings (first row), Chinese or English, to the column's key.
COLUMN_WORDS: dict[str, str] = {
    "name": "name", "姓名": "name", "名字": "name",
    "category": "category", "身份": "category", "类别": "category", "身份类别": "category",
    "has_phone": "has_phone", "has phone": "has_phone", "phone?": "has_phone", "有手机": "has_phone",
    "是否有手机": "has_phone", "智能手机": "has_phone",
    "phone": "phone", "phone number": "phone", "手机号": "phone", "手机号码": "phone", "电话": "phone",
    "联系电话": "phone",
    "remote": "remote", "online": "remote", "线上": "remote", "线上参会": "remote", "远程": "remote",
    "votes": "votes", "表决": "votes", "参加表决": "votes",
}
VOTING = (Category.STAKEHOLDER, Category.PROPOSER)
COLUMNS = ("name", "category", "has_phone", "phone", "remote")  # the order without a heading row
_PHONE_CHARS = frozenset("0123456789+-() ")


def category_of(word: str) -> Category | None:
    """A category from its English key or a Chinese name, else None."""
    return CATEGORY_WORDS.get(word.strip().lower()) or CATEGORY_WORDS.get(word.strip())


def _flag(row: int, column: str, value: object, default: bool) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    raise DomainError("roster_bad_flag", row=row, column=column, value=str(value)[:20])


def roster_rows(rows: list[list[object]]) -> tuple[list[PersonRecord], list[DomainError]]:
    """Read a roster table (the cells of each row, the first row optionally the headings) into
    people, checking each row on its own: (the people of the good rows, one refusal per bad row,
    each naming its row as the spreadsheet numbers it). Empty rows are skipped."""
    problems: list[DomainError] = []
    keys: list[str | None] = list(COLUMNS)
    first = 1
    if rows and any(isinstance(c, str) and c.strip().lower() in COLUMN_WORDS for c in rows[0]):
        keys = [COLUMN_WORDS.get(c.strip().lower()) if isinstance(c, str) else None for c in rows[0]]
        if "name" not in keys:
            return [], [DomainError("roster_bad_file", reason="no name column")]
        first = 2
    entries: list[tuple[int, dict[str, object]]] = []
    for n, cells in enumerate(rows[first - 1:], start=first):
        if len(entries) >= MAX_PEOPLE:
            problems.append(DomainError("roster_bad_file", reason=f"more than {MAX_PEOPLE} people"))
            break
        cells_by = {k: v for k, v in zip(keys, cells, strict=False) if k is not None}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in cells):
            continue
        try:
            entries.append((n, _row(n, cells_by, len(entries) + 1)))
        except DomainError as exc:
            problems.append(exc)
    people: list[PersonRecord] = []
    for n, entry in entries:
        try:
            people.extend(_roster([entry]))
        except DomainError as exc:
            problems.append(DomainError("roster_bad_row", row=n, reason=str(exc.details.get("reason") or exc.code)))
    if not people and not problems:
        problems.append(DomainError("roster_bad_file", reason="no people"))
    return people, problems


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number a spreadsheet stored as a number
    return clean_text(str(value)).strip()


def _row(n: int, cells: Mapping[str, object], number: int) -> dict[str, object]:
    name = _cell(cells.get("name"))
    if not name:
        raise DomainError("roster_no_name", row=n)
    if len(name) > NAME_MAX:
        raise DomainError("roster_too_long", row=n, max=NAME_MAX)
    entry: dict[str, object] = {"id": f"p{number}", "name": name}
    word = _cell(cells.get("category"))
    if word:
        cat = category_of(word)
        if cat is None:
            raise DomainError("roster_bad_category", row=n, value=word[:20])
        entry["category"] = str(cat)
    phone = _cell(cells.get("phone"))
    if phone:
        if len(phone) > 32 or not set(phone) <= _PHONE_CHARS:
            raise DomainError("roster_bad_phone", row=n, value=phone[:20])
        entry["phone"] = phone
    entry["has_phone"] = _flag(n, "has_phone", cells.get("has_phone"), True)
    entry["remote"] = _flag(n, "remote", cells.get("remote"), False)
    if "votes" in cells and _cell(cells.get("votes")):
        entry["votes"] = _flag(n, "votes", cells.get("votes"), True)
        if entry["votes"] and category_of(str(entry.get("category", "stakeholder"))) not in VOTING:
            raise DomainError("roster_cannot_vote", row=n)
    return entry
