"""Words for the topic engine's values (categories, statuses, tracks, deadlines…), Chinese and English.

The pages call ``word(lang, kind, key)``; the static texts of the templates are in the .po catalog
(meeting/locale/zh_Hans/LC_MESSAGES/topics.po).
"""
from __future__ import annotations

from .errors import WORDS

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    # 000 表1: the kinds of topic and who proposes them
    "category": {
        "resident": ("社区（村）与居（村）民之间的协商事项", "Between the community and residents"),
        "building": ("楼宇（小区、村民小组、自然村）的协商事项", "A building, estate or village group"),
        "organisation": ("社区（村）与其他组织之间的协商事项", "Between the community and another organisation"),
        "government": ("社区（村）与政府部门之间的协商事项", "Between the community and a government department"),
        "internal": ("社区（村）内部之间的协商事项", "Within the community"),
    },
    "status": WORDS["status"],
    "decision": {"approved": ("通过", "approved"), "rejected": ("不予通过", "rejected")},
    # 004 五不议
    "reject_reason": {
        "five_no_law": ("党的政策、国家法律法规有明文规定的事项", "Settled by policy, law or regulation"),
        "five_no_superior": ("上级党委、政府有明确要求的事项", "A superior authority's explicit requirement"),
        "five_no_voted": ("已经村（居）民（代表）会议表决通过的事项", "Already voted by a residents' meeting"),
        "five_no_unfair": ("明显不公平、有悖长远规划与公序良俗的事项", "Plainly unfair or against public order"),
        "five_no_private": ("属于个体矛盾、双方纠纷的事项", "A private dispute between two parties"),
        "other": ("其他理由", "Another reason"),
    },
    "kind": {"community": ("社区（村）落实", "The community"), "other": ("其他主体落实", "Another party"),
             "reported_up": ("上报政府部门", "Reported up to government")},
    "channel": {"board": ("公告栏", "notice board"), "wechat": ("微信群", "WeChat groups"),
                "online": ("网站或公众号", "website or public account"), "broadcast": ("广播", "broadcast")},
    "source": {"resident": ("居民提交", "by a resident"), "staff": ("工作人员登记", "entered by staff"),
               "reconsult": ("再次协商", "re-consultation")},
    "received": {"phone": ("电话", "by phone"), "in_person": ("来访", "in person")},
    "deadline": {
        "announce": ("发布公告", "announce"), "settle": ("确定协商事宜（10 个工作日）", "settle the matters (10 wd)"),
        "consult": ("开展协商（15 个工作日）", "hold the consultation (15 wd)"),
        "file": ("记录备案（当日或次日）", "file the record (same or next day)"),
        "communicate": ("传达结果（2 日内）", "communicate the result (2 days)"),
        "implement": ("简单事项落实（30 个工作日）", "implement a simple matter (30 wd)"), "task": ("任务", "task"),
    },
    "due_status": {"on_time": ("按时完成", "done on time"), "late": ("逾期完成", "done late"),
                   "due": ("待办", "due"), "overdue": ("已逾期", "overdue")},
}


def word(lang: str, kind: str, key: object) -> str:
    pair = LABELS.get(kind, {}).get(str(key))
    if pair is None:
        return str(key) if key is not None else ""
    return pair[1] if lang == "en" else pair[0]


# Kinds the live meeting already names (meeting/labels.py, one catalog for every screen and the record):
# the topic pages use the same words, not a second vocabulary.
SHARED = {"outcome": "outcome", "people": "category", "form": "form", "track": "track"}


def _shared(kind: str) -> dict[str, tuple[str, str]]:
    from meeting import labels  # the live meeting's catalog (not this module)

    zh, en = labels.enums("zh")[kind], labels.enums("en")[kind]
    return {key: (text, en.get(key, key)) for key, text in zh.items()}


LABELS.update({mine: _shared(theirs) for mine, theirs in SHARED.items()})
