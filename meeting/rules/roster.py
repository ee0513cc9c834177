"""People on a meeting's roster (RULES.md §1): seven categories, who votes, who may queue."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .shapes import PersonRecord


class Category(StrEnum):
    STAKEHOLDER = "stakeholder"  # 利益相关方 / 居(村)民代表
    PROPOSER = "proposer"  # 议题提出人
    EXPERT = "expert"  # 专家学者 / 专业技术人员 / 第三方机构
    DEPARTMENT = "department"  # 辖区职能部门
    OBSERVER = "observer"  # 非涉利益相关人员 / 旁听
    SUPERVISOR = "supervisor"  # 村(居)务监督委员会 监督员
    GUIDE = "guide"  # 协商指导人


QUEUE_CATEGORIES = frozenset({Category.STAKEHOLDER, Category.PROPOSER})
ANSWERING_CATEGORIES = frozenset({Category.EXPERT, Category.DEPARTMENT})


class Role(StrEnum):
    """Who sends a command. Moderator and recorder are staff functions held by devices."""

    ADMIN = "admin"
    MODERATOR = "moderator"
    RECORDER = "recorder"
    SUPERVISOR = "supervisor"
    PARTICIPANT = "participant"
    PROJECTOR = "projector"
    SYSTEM = "system"  # the server's own timer


# The functions held by a device, without a person: each has its own join link.
FUNCTION_ROLES = (Role.MODERATOR, Role.RECORDER, Role.PROJECTOR)


class Channel(StrEnum):
    ROOM = "room"  # own phone, in the room
    ONLINE = "online"  # own device, remote
    RECORDER = "recorder"  # signed in by the recorder (no phone)


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    category: Category
    votes: bool  # a voting stakeholder: part of the vote base when signed in
    has_phone: bool = True
    phone: str | None = None  # private: staff views only
    remote: bool = False  # expected to take part online

    @property
    def may_queue(self) -> bool:
        return self.category in QUEUE_CATEGORIES

    @property
    def role(self) -> Role:
        """The role this person connects with: a person of category supervisor is the
        supervisor, everyone else a participant."""
        return Role.SUPERVISOR if self.category == Category.SUPERVISOR else Role.PARTICIPANT

    def to_dict(self) -> PersonRecord:
        return {
            "id": self.id,
            "name": self.name,
            "category": str(self.category),
            "votes": self.votes,
            "has_phone": self.has_phone,
            "phone": self.phone,
            "remote": self.remote,
        }


def default_votes(category: Category) -> bool:
    """Stakeholders vote; a proposer votes by default (as a stakeholder too); nobody else votes."""
    return category in (Category.STAKEHOLDER, Category.PROPOSER)
