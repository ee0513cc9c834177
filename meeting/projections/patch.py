"""Patches between two versions of an audience's view, and applying one (the same semantics as
``applyPatch`` in static/js/live.js and ``meeting/client.py``)."""
from __future__ import annotations

import copy
import json

# Top-level maps patched key by key (a patch path of two keys); every other key is set whole.
# The open vote is one of them: a ballot changes its count, not the vote's whole object (with the
# base's persons), which at 1,000 people cost every phone 7 KB per ballot.
KEYED = frozenset({"present", "roster", "outcomes", "speech_counts", "vote"})
_MISSING = object()


def diff(old: dict, new: dict) -> list[list]:
    """A patch from old to new: [["set", path, value] | ["del", path] | ["splice", path, start,
    count, items] | ["order", path, spec]] with paths of one or two keys (the maps in KEYED are
    compared key by key; a list that kept a head or a tail, such as the queue with one more hand
    or the speeches with one more, gets a splice of what changed between them; a list whose
    items moved, such as the queue re-sorted after a speech, gets an order op: per item of the
    new list, the index of the old item it is or the new item itself, when that is smaller)."""
    ops: list[list] = []
    for key, value in new.items():
        before = old.get(key, _MISSING)
        if before == value:
            continue
        if isinstance(value, dict) and isinstance(before, dict) and key in KEYED:
            for sub, v in value.items():
                was = before.get(sub, _MISSING)
                if was != v:  # a list in a keyed map (the open vote's voted, not_voted) may be spliced too
                    listed = isinstance(v, list) and isinstance(was, list) and _list_op([key, sub], was, v)
                    ops.append(listed or ["set", [key, sub], v])
            for sub in before:
                if sub not in value:
                    ops.append(["del", [key, sub]])
        elif isinstance(value, list) and isinstance(before, list) and (op := _list_op([key], before, value)):
            ops.append(op)
        else:
            ops.append(["set", [key], value])
    for key in old:
        if key not in new:
            ops.append(["del", [key]])
    return ops


# Lists longer than this are never compared item by item for a re-ordering (the cost of the diff).
ORDER_MAX = 2000


def _list_op(path: list, old: list, new: list) -> list | None:
    """The smallest of a splice and an order op turning ``old`` into ``new``, or None when a
    plain set is smaller (or neither applies)."""
    splice = _splice(old, new)
    candidates = [["splice", path, *splice]] if splice else []
    if not splice or len(splice[2]) > 1:
        spec = _order(old, new)
        if spec is not None:
            candidates.append(["order", path, spec])
    if not candidates:
        return None
    if len(candidates) == 1 and candidates[0][0] == "splice":
        return candidates[0]
    candidates.append(["set", path, new])
    return min(candidates, key=_size)


def _size(op: list) -> int:
    return len(json.dumps(op, ensure_ascii=False, separators=(",", ":")))


def _order(old: list, new: list) -> list | None:
    """The spec of an order op: for each item of ``new``, the index of an equal item of ``old``
    (each used once) or, when it is new, the item itself (a map: an int would read as an index).
    None when the lists are too long or a new item is not a map."""
    if len(old) > ORDER_MAX or len(new) > ORDER_MAX:
        return None
    where: dict[str, list[int]] = {}
    for i, item in enumerate(old):
        where.setdefault(_key(item), []).append(i)
    for indexes in where.values():
        indexes.reverse()  # pop() takes the first equal item
    spec: list = []
    for item in new:
        free = where.get(_key(item))
        if free:
            spec.append(free.pop())
        elif isinstance(item, dict):
            spec.append(item)
        else:
            return None
    return spec


def _key(item) -> str:
    return json.dumps(item, sort_keys=True, ensure_ascii=False)


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
    ``splice`` replaces ``count`` items from ``start`` of a list (of a missing list: an empty one),
    ``order`` makes a list of the old list's items at the spec's indexes and the spec's new items.
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
        elif op[0] == "order":
            items = target.get(path[-1])
            if not isinstance(items, list):
                items = []
            target[path[-1]] = [items[x] if type(x) is int else copy.deepcopy(x) for x in op[2]]
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
            sub = deep_diff(before, value, (*path, key))
            whole = ["set", [*path, key], value]
            # A small map whose keys nearly all changed (a verdict that became a refusal, with its
            # options) is smaller set whole than key by key (each op repeats the path).
            if len(sub) > 1 and _small(value) and _size(whole) < sum(map(_size, sub)):
                ops.append(whole)
            else:
                ops.extend(sub)
        else:
            ops.append(["set", [*path, key], value])
    for key in old:
        if key not in new:
            ops.append(["del", [*path, key]])
    return ops


def _small(value, budget: int = 64) -> bool:
    """Whether a value has at most ``budget`` maps, lists and leaves in all (cheap to measure)."""
    todo = [value]
    while todo:
        budget -= 1
        if budget < 0:
            return False
        x = todo.pop()
        if isinstance(x, dict):
            todo.extend(x.values())
        elif isinstance(x, list):
            todo.extend(x)
    return True


def _nested(d: dict) -> bool:
    """Whether a map is worth patching key by key: a big one, or one holding maps (``me``,
    ``allowed``, a verdict with targets); a small flat one (a verdict) is set whole."""
    return len(d) > 4 or any(isinstance(v, dict) for v in d.values())
