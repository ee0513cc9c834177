"""The demo meeting: a lift for an old residential block, with a roster that covers every category;
and the demo community that owns it, with an admin account to log in to /admin."""
from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .accounts import Accounts

DEMO_ID = "demo"
DEMO_COMMUNITY = "幸福社区（演示）"
DEMO_LOGIN = "demo-admin"


def demo_admin(accounts: Accounts, meeting_id: str = DEMO_ID) -> tuple[str, str]:
    """The demo community and its admin (made on the first start) own the demo meeting, so /admin
    shows it. The admin gets a newly generated password at every start (its sessions end; the
    login throttle forgets it); returns (user name, password) to print with the links."""
    password = secrets.token_urlsafe(9)  # 12 characters
    staff = accounts.staff_by_login(DEMO_LOGIN)
    if staff is None:
        community = accounts.create_community(DEMO_COMMUNITY)
        staff = accounts.create_staff(community.id, DEMO_LOGIN, "王主任", "admin", password)
    else:
        accounts.reset_password(staff.community_id, DEMO_LOGIN, password, activate=True)
    accounts.assign_meeting(meeting_id, staff.community_id)
    return DEMO_LOGIN, password

DEMO_CONFIG = {
    "title": "幸福小区3号楼加装电梯",
    "description": "3号楼居民提出加装电梯，费用按楼层分摊。",
    "place": "幸福社区党群服务中心二楼会议室",
    "form": "mixed",
    "scheduled_at": "2026-11-24 19:00",
    "moderator_name": "王主任",
    "recorder_name": "李记录",
    "video_url": "https://meeting.example.invalid/yishi-demo",
    "items": [
        {"title": "是否加装电梯", "description": "在3号楼北侧加装一部电梯"},
        {"title": "费用分摊方案", "description": "一楼不分摊，二楼起按楼层递增"},
    ],
    "roster": [
        {"id": "zhang", "name": "张建国", "category": "proposer"},
        {"id": "liu", "name": "刘秀英", "category": "stakeholder"},
        {"id": "chen", "name": "陈伟", "category": "stakeholder"},
        {"id": "zhao", "name": "赵桂兰", "category": "stakeholder", "has_phone": False},
        {"id": "sun", "name": "孙立军", "category": "stakeholder", "remote": True},
        {"id": "zhou", "name": "周玉梅", "category": "stakeholder", "has_phone": False},
        {"id": "wu", "name": "吴海", "category": "stakeholder"},
        {"id": "zheng", "name": "郑工程师", "category": "expert"},
        {"id": "feng", "name": "冯科长", "category": "department"},
        {"id": "he", "name": "何老师", "category": "observer"},
        {"id": "lin", "name": "林监督", "category": "supervisor"},
        {"id": "guo", "name": "郭指导", "category": "guide"},
    ],
}
