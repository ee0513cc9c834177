"""A community's catalogue of consultable matters (协商事项目录), the first review criterion.

000 §5(2) asks whether a topic "属于《城乡社区协商事项目录》中的事项"; 003 第四条 asks each community
to draw up its own catalogue "围绕上述协商内容" under the sub-district's guidance. Each community's
admin edits it on the calendar/settings page (one matter a line); until then this default applies.

The default is 004's six must-discuss (六必议, 四(一)) with the concrete matters 003 第四条 and
001 二(二) name most often. The reviewer picks one entry for the topic, or "not in the catalogue",
and the engine (meeting/topics/decide.py) refuses to approve the latter (``not_in_catalogue``).
"""
from __future__ import annotations

from ..rules.commands import clean_text
from .errors import TopicError

ENTRY_MAX = 100  # characters of one matter
ENTRIES_MAX = 100  # matters in one catalogue

# (Chinese, English); the stored catalogue holds the Chinese text, the English is only shown
DEFAULT: tuple[tuple[str, str], ...] = (
    ("涉及居民切身利益的公共事务、公益事业",
     "Public affairs and public-interest undertakings of direct concern to residents"),
    ("居民反映强烈、迫切要求解决的实际困难、问题和矛盾纠纷",
     "Pressing difficulties, problems and disputes residents strongly raise"),
    ("党委政府方针政策、重点工作部署在社区落实的相关事项",
     "Carrying out government policies and key work in the community"),
    ("法律法规和政策明确要求议事协商的事项", "Matters that laws, regulations or policies require to be consulted on"),
    ("各类协商主体提出协商需求的事项", "Matters any party asks to consult on"),
    ("物业管理与服务", "Property management and services"),
    ("小区停车与车辆停放管理", "Parking and vehicles in the estate"),
    ("公共设施使用与维护（含老旧小区加装电梯）",
     "Use and upkeep of shared facilities (including lifts in old buildings)"),
    ("环境治理（垃圾、污水、绿化、楼道管理）", "Environment (rubbish, sewage, greenery, stairwells)"),
    ("文明养犬与宠物管理", "Dogs and pets"),
    ("居民公约、村规民约、自治章程的制定和修订", "Residents' conventions and self-governance rules"),
    ("公益事业的兴办和筹资筹劳方案", "Public-interest projects and their funding and labour"),
    ("其他需要开展议事协商的事项", "Other matters that need consultation"),
)
DEFAULT_ENTRIES: tuple[str, ...] = tuple(zh for zh, _en in DEFAULT)
ENGLISH: dict[str, str] = dict(DEFAULT)


def parse(text: str) -> list[str]:
    """The catalogue from the admin's text, one matter a line (numbering such as "1." or "（一）"
    kept as typed). TopicError bad_catalogue names what is wrong; duplicates are kept once."""
    if not isinstance(text, str):
        raise TopicError("bad_catalogue", catalogue_reason="empty")
    out: list[str] = []
    for raw in text.splitlines():
        entry = clean_text(raw).strip()
        if not entry:
            continue
        if entry.lower() == "none":
            raise TopicError("bad_catalogue", catalogue_reason="reserved")
        if len(entry) > ENTRY_MAX:
            raise TopicError("bad_catalogue", catalogue_reason="too_long")
        if entry not in out:
            out.append(entry)
    if not out:
        raise TopicError("bad_catalogue", catalogue_reason="empty")
    if len(out) > ENTRIES_MAX:
        raise TopicError("bad_catalogue", catalogue_reason="too_many")
    return out


def english(entry: str) -> str:
    """The English words of a default entry, or the entry as the community typed it."""
    return ENGLISH.get(entry, entry)
