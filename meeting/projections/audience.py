"""Audiences: who shares which view. Staff (moderator, recorder, supervisor) and public
(participants' phones, the projector and the public live view)."""
from __future__ import annotations

from ..rules.roster import Category, Person, Role

STAFF, PUBLIC = "staff", "public"
AUDIENCE = {
    Role.MODERATOR: STAFF, Role.RECORDER: STAFF, Role.SUPERVISOR: STAFF,
    Role.PARTICIPANT: PUBLIC, Role.PROJECTOR: PUBLIC,
}

# The functions without a person: each has its own ``me`` (see ``role_views``).
FUNCTION_ROLES = (Role.MODERATOR, Role.RECORDER, Role.PROJECTOR)


def audience(role: Role) -> str:
    return AUDIENCE[role]


def person_role(p: Person) -> Role:
    """The role a roster person connects with (the service issues the tokens the same way):
    a person of category supervisor is the supervisor, everyone else a participant."""
    return Role.SUPERVISOR if p.category == Category.SUPERVISOR else Role.PARTICIPANT
