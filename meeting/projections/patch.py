"""Patches between two versions of an audience's view, and applying one (the same semantics as
``applyPatch`` in static/js/live.js and ``meeting/client.py``)."""
from __future__ import annotations

import copy

# Top-level maps patched key by key (a patch path of two keys); every other key is set whole.
# The open vote is one of them: a ballot changes its count, not the vote's whole object (with the
# base's persons), which at 1,000 people cost every phone 7 KB per ballot.
KEYED = frozenset({"present", "roster", "outcomes", "speech_counts", "vote"})
_MISSING = object()


def diff(old: dict, new: dict) -> list[list]:
    """A patch from old to new: [["set", path, value] | ["del", path] | ["splice", path, start,
    count, items]] with paths of one or two keys (the maps in KEYED are compared key by key; a
    list that kept a head or a tail, such as the queue with one more hand or the speeches with
    one more, gets a splice of what changed between them)."""
    ops: list[list] = []
    for key, value in new.items():
        before = old.get(key, _MISSING)
        if before == value:
            continue
        if isinstance(value, dict) and isinstance(before, dict) and key in KEYED:
            for sub, v in value.items():
                if before.get(sub, _MISSING) != v:
                    ops.append(["set", [key, sub], v])
            for sub in before:
                if sub not in value:
                    ops.append(["del", [key, sub]])
        elif isinstance(value, list) and isinstance(before, list) and (splice := _splice(before, value)):
            ops.append(["splice", [key], *splice])
        else:
            ops.append(["set", [key], value])
    for key in old:
        if key not in new:
            ops.append(["del", [key]])
    return ops


def _splice(old: list, new: list) -> tuple[int, int, list] | None:
    """(start, count, items) such that old[start:start + count] = items makes new, when old and
    new share a head or a tail; None when they share neither (the list is set whole)."""
    n = min(len(old), len(new))
    head = 0
    while head < n and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < n - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    if head == 0 and tail == 0:
        return None
    return head, len(old) - head - tail, new[head:len(new) - tail]


def apply_patch(view: dict, patch: list) -> dict:
    """Apply a patch in place (and return the view): like live.js, a missing or non-object
    intermediate becomes an empty object, ``set`` replaces, ``del`` of a missing key does nothing,
    ``splice`` replaces ``count`` items from ``start`` of a list (of a missing list: an empty one).
    Values are copied so the view never shares structure with the message."""
    for op in patch:
        path = op[1]
        target = view
        for key in path[:-1]:
            if not isinstance(target.get(key), dict):
                target[key] = {}
            target = target[key]
        if op[0] == "set":
            target[path[-1]] = copy.deepcopy(op[2])
        elif op[0] == "splice":
            items = target.get(path[-1])
            if not isinstance(items, list):
                items = target[path[-1]] = []
            start, count = op[2], op[3]
            items[start:start + count] = copy.deepcopy(op[4])
        else:
            target.pop(path[-1], None)
    return view


def deep_diff(old: dict, new: dict, path: tuple = ()) -> list[list]:
    """A patch from old to new descending into every map both have (paths of any depth); lists
    and other values are set whole. Used for ``me`` patches: a moderator's ``allowed`` has a
    verdict per roster person, of which a change flips a few."""
    ops: list[list] = []
    for key, value in new.items():
        before = old.get(key, _MISSING)
        if before is value or before == value:
            continue
        if isinstance(value, dict) and isinstance(before, dict) and _nested(value):
            ops.extend(deep_diff(before, value, (*path, key)))
        else:
            ops.append(["set", [*path, key], value])
    for key in old:
        if key not in new:
            ops.append(["del", [*path, key]])
    return ops


def _nested(d: dict) -> bool:
    """Whether a map is worth patching key by key: a big one, or one holding maps (``me``,
    ``allowed``, a verdict with targets); a small flat one (a verdict) is set whole."""
    return len(d) > 4 or any(isinstance(v, dict) for v in d.values())
