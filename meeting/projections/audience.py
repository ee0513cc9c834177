"""Audiences: who shares which view. Staff (moderator, recorder, supervisor), phone (the
participants' phones: only what static/js/phone.js draws) and public (the projector and the
public live view)."""
from __future__ import annotations

from ..rules.roster import FUNCTION_ROLES, Person, Role

STAFF, PUBLIC, PHONE = "staff", "public", "phone"
AUDIENCES = (STAFF, PHONE, PUBLIC)
AUDIENCE = {
    Role.MODERATOR: STAFF, Role.RECORDER: STAFF, Role.SUPERVISOR: STAFF,
    Role.PARTICIPANT: PHONE, Role.PROJECTOR: PUBLIC,
}

__all__ = ["AUDIENCE", "AUDIENCES", "FUNCTION_ROLES", "PHONE", "PUBLIC", "STAFF", "audience", "person_role"]


def audience(role: Role) -> str:
    return AUDIENCE[role]


def person_role(p: Person) -> Role:
    """The role a roster person connects with (``Person.role``, as the tokens are issued)."""
    return p.role
