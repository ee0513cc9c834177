"""What each screen may see and do: the one projection layer between the state and the screens.

Pure functions of the state (no I/O, no clock: ``now`` is given by the caller):

- ``shared_view(state, aud)``: the view of an audience, ``staff`` (moderator, recorder,
  supervisor), ``phone`` (participants' phones: only what the phone draws) or ``public`` (the
  projector, the public live view);
- ``personal_views(state, now)`` / ``role_views(state, now)``: each person's and each function's
  ``me``, with the ``version`` it belongs to and ``allowed`` (what that connection may do now,
  from dry runs of ``decide``);
- ``snapshot(...)``: what a connection receives on connect and on ``sync``;
- ``redact(event, aud, anonymous)``: the one redaction policy for the events of a delta;
  ``carried(type, aud)``: whether an audience's deltas carry events of that type at all;
- ``diff(old, new)`` / ``apply_patch(view, patch)``: a delta's patch of a view; ``deep_diff``:
  a ``me`` patch (paths of any depth).

A screen never re-implements a rule: it applies patches and draws ``allowed``.
"""
from __future__ import annotations

from .allowed import DryRun, commands_of
from .audience import AUDIENCE, AUDIENCES, FUNCTION_ROLES, PHONE, PUBLIC, STAFF, audience, person_role
from .me import person_me, personal_views, role_views, same_me, snapshot
from .patch import apply_patch, deep_diff, diff
from .redaction import DELTA_EVENTS, carried, redact
from .views import PHONE_KEYS, PUBLIC_KEYS, phone_view, public_view, shared_view

__all__ = [
    "AUDIENCE", "AUDIENCES", "DELTA_EVENTS", "FUNCTION_ROLES", "PHONE", "PHONE_KEYS", "PUBLIC", "PUBLIC_KEYS", "STAFF",
    "DryRun", "apply_patch", "audience", "carried", "commands_of", "deep_diff", "diff", "person_me", "person_role",
    "personal_views", "phone_view", "public_view", "redact", "role_views", "same_me", "shared_view", "snapshot",
]
