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
    """A patch from old to new: [["set", path, value] | ["del", path]] with paths of one or two
    keys (the maps in KEYED are compared key by key)."""
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
        else:
            ops.append(["set", [key], value])
    for key in old:
        if key not in new:
            ops.append(["del", [key]])
    return ops


def apply_patch(view: dict, patch: list) -> dict:
    """Apply a patch in place (and return the view): like live.js, a missing or non-object
    intermediate becomes an empty object, ``set`` replaces, ``del`` of a missing key does nothing.
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
        else:
            target.pop(path[-1], None)
    return view
