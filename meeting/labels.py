"""The one catalog of enum texts: what each value of the engine's enums is called on a screen and in
the record (a category, a phase, a kind of speech, a vote choice, an event type...).

Each kind maps the engine's values to an English message id; the Chinese is in
``meeting/locale/zh_Hans/LC_MESSAGES/labels.po`` with the kind as the message context (so the
choice "Yes" and a button's "Yes" are different messages). ``enums(lang)`` gives every kind at
once: the screens get it in their boot JSON (``boot.enums[kind][value]``), the record uses
``enums("zh")``, the audit trail ``label(lang, "event", type)``. tests/test_labels.py checks that
every value the engine knows has a label here and a Chinese text in labels.po.

Where the screens and the record used to word a value differently, the record's wording won,
except where it was wrong (see ``UNIFIED``).
"""
from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from . import i18n

# kind -> value -> English msgid. Keys are the engine's values (meeting.rules), nothing else,
# except the documented extras in EXTRA_VALUES.
KINDS: dict[str, dict[str, str]] = {
    "category": {
        "proposer": "Proposer",
        "stakeholder": "Stakeholder",
        "expert": "Expert",
        "department": "Department",
        "supervisor": "Supervisor",
        "guide": "Guide",
        "observer": "Observer",
    },
    "phase": {
        "new": "Not set up",
        "signin": "Sign-in",
        "rules": "Rules of procedure",
        "explanation": "Explanation of the topic",
        "debate": "Discussion",
        "voting": "Vote",
        "result": "Result",
        "concluded": "All items are settled",
        "ended": "The meeting has ended",
    },
    "speech_kind": {
        "explanation": "Explanation of the topic",
        "debate": "Speech",
        "expert": "Expert opinion or answers",
    },
    "stance": {"for": "For", "against": "Against"},
    # A vote's choices; not_voting is the result's "did not vote" column (base − all votes).
    "choice": {"yes": "Yes", "no": "No", "abstain": "Abstain", "not_voting": "Not voting"},
    "outcome": {
        "a": "Agreed",
        "b": "Ended",
        "c": "To be consulted again",
        "d": "Handed to the residents' decision procedure",
    },
    # What each outcome class means (the record prints "a. 同意——<this>").
    "outcome_meaning": {
        "a": "the parties reached agreement",
        "b": "not passed and fewer than a third voted yes: the consultation ends",
        "c": "not passed but at least a third voted yes: consult again when the time is right",
        "d": "the matter concerns most residents and becomes a major decision",
    },
    "vote_mode": {"phone": "By phone", "hands": "By show of hands", "mixed": "By phone and show of hands"},
    "ballot": {"named": "Named ballot", "anonymous": "Secret ballot"},
    "vote_kind": {"rules": "Rules of procedure", "item": "Item"},
    "channel": {"room": "In the room (own phone)", "online": "Online", "recorder": "Signed in by staff"},
    "end_reason": {
        "moderator": "Ended by the moderator",
        "yield": "The speaker finished early",
        "auto": "Ended at the time limit",
        "escalated": "Ended by the escalation",
    },
    "order_reason": {
        "interrupting": "Interrupting",
        "direct_debate": "Direct debate",
        "personal_attack": "Personal attack",
        "questioning_motives": "Questioning motives",
        "labelling": "Labelling",
        "other": "Other",
    },
    "note_kind": {
        "expert_answer": "Expert answer",
        "consensus": "Point of consensus",
        "dissent": "Point of dissent",
        "other": "Other",
    },
    # Why the engine recommends the next speaker (meeting.rules.floor.Recommendation.reason).
    "recommendation": {
        "first_hand": "First hand up",
        "not_yet_spoken": "Has not spoken yet on this item (goes before those who have)",
        "alternation": "Alternation: the other side after the last speaker",
    },
    "role": {
        "admin": "Administrator",
        "moderator": "Moderator",
        "recorder": "Recorder",
        "supervisor": "Supervisor",
        "participant": "Participant",
        "projector": "Projector",
        "system": "System timer",
    },
    "form": {"onsite": "On site", "online": "Online", "mixed": "On site and online"},
    "track": {"immediate": "Immediate consultation", "in_depth": "In-depth consultation"},
    # The log's event types (the audit trail). secret_ballot is never in the log, so it has none.
    "event": {
        "meeting_created": "Meeting created",
        "signed_in": "Signed in",
        "signed_out": "Signed out",
        "rules_presented": "Rules presented",
        "rules_amended": "Rules amended",
        "vote_opened": "Vote opened",
        "vote_cast": "Vote cast (named)",
        "ballot_cast": "Voted (secret ballot)",
        "hand_count_entered": "Hand count entered",
        "vote_closed": "Vote closed",
        "vote_abandoned": "Vote abandoned",
        "consultation_opened": "Consultation declared open",
        "item_begun": "Item begun",
        "hand_raised": "Hand raised",
        "hand_lowered": "Hand lowered",
        "floor_given": "Floor given",
        "speech_warned": "Time warning",
        "speech_overran": "Over time",
        "speech_ended": "Speech ended",
        "timer_paused": "Timer paused",
        "timer_resumed": "Timer resumed",
        "called_to_order": "Called to order",
        "summary_written": "Summary written",
        "note_added": "Note added",
        "outcome_declared": "Outcome declared",
        "escalated": "Escalated",
        "meeting_ended": "Meeting ended",
        "record_signed": "Record signed",
        "record_filed": "Record filed",
        "result_communicated": "Result communicated",
    },
}

# Values a kind carries beyond the engine's own (checked by tests/test_labels.py).
EXTRA_VALUES: dict[str, frozenset[str]] = {"choice": frozenset({"not_voting"})}

# Where the screens and the record had worded a value differently, what the catalog now says.
UNIFIED = {
    ("channel", "recorder"): "工作人员代签 (record: 记录人代签, wrong when the moderator signs someone in)",
    ("channel", "room"): "现场（本人手机） (screens: 现场)",
    ("choice", "yes"): "赞成 (screens: 同意; the vote buttons' own 'Yes' now says 赞成 too, as the standards do)",
    ("choice", "no"): "反对 (screens: 不同意; likewise)",
    ("choice", "not_voting"): "未表决 (screens also: 未投票)",
    ("category", "expert"): "专家学者/专业技术人员 (screens: 专家)",
    ("category", "department"): "辖区职能部门 (screens: 职能部门)",
    ("vote_mode", "*"): "手机表决 / 举手表决 / 手机与举手结合 (screens: 手机投票, 会场举手表决, 现场举手, ...)",
    ("speech_kind", "*"): "议题说明 / 发言 / 专家论证/解答 (screens: 议题发言, 议题提出人说明议题, 专家解答)",
    ("order_reason", "labelling"): "扣帽子/贴标签 (screens: 扣帽子、贴标签)",
    ("note_kind", "other"): "其他 (screens: 其他备注)",
    ("outcome", "*"): "同意 / 终止 / 再协商 / 提交“五议两公开” (screens: 达成一致，组织实施 ...)",
}


@cache
def _enums(lang: str) -> Mapping[str, Mapping[str, str]]:
    zh = i18n.contextual(lang) if lang != "en" else {}
    return MappingProxyType({
        kind: MappingProxyType({value: zh.get((kind, msgid), msgid) for value, msgid in values.items()})
        for kind, values in KINDS.items()
    })


def enums(lang: str) -> dict[str, dict[str, str]]:
    """{kind: {value: text}} in a language ("zh" | "en"): a fresh plain copy, ready for JSON."""
    return {kind: dict(values) for kind, values in _enums(lang).items()}


def label(lang: str, kind: str, value: object, default: str | None = None) -> str:
    """The text of one value; an unknown value shows as itself (or ``default``)."""
    text = _enums(lang)[kind].get(str(value)) if value is not None else None
    if text is not None:
        return text
    return default if default is not None else ("" if value is None else str(value))
