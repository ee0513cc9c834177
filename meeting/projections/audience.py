"""Audiences: who shares which view. Staff (moderator, recorder, supervisor) and public
(participants' phones, the projector and the public live view)."""
from __future__ import annotations

from ..rules.roster import FUNCTION_ROLES, Person, Role

STAFF, PUBLIC = "staff", "public"
AUDIENCE = {
    Role.MODERATOR: STAFF, Role.RECORDER: STAFF, Role.SUPERVISOR: STAFF,
    Role.PARTICIPANT: PUBLIC, Role.PROJECTOR: PUBLIC,
}

__all__ = ["AUDIENCE", "FUNCTION_ROLES", "PUBLIC", "STAFF", "audience", "person_role"]


def audience(role: Role) -> str:
    return AUDIENCE[role]


def person_role(p: Person) -> Role:
    """The role a roster person connects with (``Person.role``, as the tokens are issued)."""
    return p.role
