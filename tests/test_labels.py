"""The one catalog of enum texts (meeting/labels.py, Chinese in labels.po): every value the engine
knows has a label in both languages, nothing else has one, the record and the screens read it, and
the screens' scripts keep no enum tables of their own."""
from __future__ import annotations

import ast
import enum
import importlib
import re
import typing
from pathlib import Path

import pytest

from meeting import i18n, labels
from meeting.rules import events as ev

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "meeting" / "rules"
ENGINE_MODULES = ("meeting.rules", "meeting.rules.roster", "meeting.rules.state", "meeting.rules.commands",
                  "meeting.rules.events", "meeting.rules.votes", "meeting.rules.params", "meeting.rules.config",
                  "meeting.rules.floor", "meeting.rules.decide")


def named(*names: str) -> set[str] | None:
    """The values of the first of these names the engine defines: a StrEnum, a Literal type or a
    tuple of strings."""
    for modname in ENGINE_MODULES:
        mod = importlib.import_module(modname)
        for n in names:
            obj = getattr(mod, n, None)
            if obj is None:
                continue
            if isinstance(obj, type) and issubclass(obj, enum.Enum):
                return {str(m.value) for m in obj}
            if typing.get_args(obj):
                return {str(a) for a in typing.get_args(obj)}
            if isinstance(obj, (tuple, list, set, frozenset)):
                return {str(a) for a in obj}
    return None


def _constants(tree: ast.AST, pick) -> set[str]:
    out = set()
    for node in ast.walk(tree):
        for c in pick(node) or ():
            if isinstance(c, ast.Constant) and isinstance(c.value, str):
                out.add(c.value)
    return out


def _call_name(node: ast.AST) -> str:
    if not isinstance(node, ast.Call):
        return ""
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def scanned(kind: str) -> set[str]:
    """Values the engine uses but does not (yet) name as a type: read from its source, so a new
    value still needs a label. (Engineer D: a Literal type for these would replace this scan.)"""
    decide = ast.parse((RULES / "decide.py").read_text(encoding="utf-8"))
    if kind == "speech_kind":  # _floor(state, now, pid, <kind>, ...) / FloorGiven(kind=...)
        return _constants(
            decide,
            lambda n: (
                ([n.args[3]] if _call_name(n) == "_floor" and len(n.args) > 3 else [])
                + [k.value for k in getattr(n, "keywords", []) if _call_name(n) == "FloorGiven" and k.arg == "kind"]
            ),
        )
    if kind == "end_reason":  # SpeechEnded(reason=...)
        return _constants(
            decide,
            lambda n: [
                k.value for k in getattr(n, "keywords", []) if _call_name(n) == "SpeechEnded" and k.arg == "reason"
            ],
        )
    if kind == "ballot":  # RulesParams' check: self.ballot not in (...)
        params = ast.parse((RULES / "params.py").read_text(encoding="utf-8"))
        return _constants(
            params,
            lambda n: (
                n.comparators[0].elts
                if isinstance(n, ast.Compare)
                and isinstance(n.left, ast.Attribute)
                and n.left.attr == "ballot"
                and isinstance(n.comparators[0], ast.Tuple)
                else []
            ),
        )
    if kind == "recommendation":  # floor.recommend: reason = "..."
        floor = ast.parse((RULES / "floor.py").read_text(encoding="utf-8"))
        return _constants(
            floor,
            lambda n: (
                [n.value]
                if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "reason" for t in n.targets)
                else []
            ),
        )
    raise KeyError(kind)


def engine_values(kind: str) -> set[str]:
    found = {
        "category": lambda: named("Category"),
        "phase": lambda: named("Phase"),
        "role": lambda: named("Role"),
        "channel": lambda: named("Channel"),
        "stance": lambda: named("Stance", "STANCES"),
        "choice": lambda: named("Choice", "CHOICES"),
        "outcome": lambda: named("OutcomeClass", "OUTCOMES"),
        "outcome_meaning": lambda: named("OutcomeClass", "OUTCOMES"),
        "vote_mode": lambda: named("VoteMode", "VOTE_MODES"),
        "vote_kind": lambda: named("VoteKind", "VOTE_KINDS"),
        "order_reason": lambda: named("OrderReason", "ORDER_REASONS"),
        "note_kind": lambda: named("NoteKind", "NOTE_KINDS"),
        "form": lambda: named("Form", "FORMS"),
        "track": lambda: named("Track", "TRACKS"),
        "event": lambda: set(ev.EVENT_TYPES) - set(getattr(ev, "SECRET_EVENT_TYPES", {})),
        "speech_kind": lambda: named("SpeechKind", "SPEECH_KINDS") or scanned("speech_kind"),
        "end_reason": lambda: named("EndReason", "END_REASONS") or scanned("end_reason"),
        "ballot": lambda: named("Ballot", "BALLOTS") or scanned("ballot"),
        "recommendation": lambda: named("RecommendReason", "RECOMMEND_REASONS") or scanned("recommendation"),
    }[kind]()
    assert found, f"found no engine values for {kind}"
    return found


@pytest.mark.parametrize("kind", sorted(labels.KINDS))
def test_every_engine_value_has_a_label_and_nothing_else_has_one(kind):
    expected = engine_values(kind) | labels.EXTRA_VALUES.get(kind, frozenset())
    assert set(labels.KINDS[kind]) == expected


@pytest.mark.parametrize("kind", sorted(labels.KINDS))
def test_every_label_has_chinese_and_english(kind):
    zh, en = labels.enums("zh")[kind], labels.enums("en")[kind]
    missing = [v for v, msgid in labels.KINDS[kind].items() if (kind, msgid) not in i18n.contextual("zh")]
    assert not missing, f"add to labels.po (msgctxt {kind!r}): {missing}"
    for value in labels.KINDS[kind]:
        assert re.search(r"[\u4e00-\u9fff]", zh[value]), (kind, value, zh[value])
        assert en[value] == labels.KINDS[kind][value] and not re.search(r"[\u4e00-\u9fff]", en[value])


def test_labels_po_has_no_stale_labels():
    known = {(kind, msgid) for kind, values in labels.KINDS.items() for msgid in values.values()}
    assert set(i18n.contextual("zh")) <= known


def test_the_record_takes_its_enum_texts_from_the_catalog():
    from meeting.record import labels as L

    zh = labels.enums("zh")
    assert L.CATEGORIES == zh["category"] and L.CHANNELS == zh["channel"] and L.VOTE_MODES == zh["vote_mode"]
    assert L.ORDER_REASONS == zh["order_reason"] and L.NOTE_KINDS == zh["note_kind"] and L.BALLOTS == zh["ballot"]
    assert L.OUTCOME_CLASSES["a"] == "a. 同意——协商利益主体达成一致意见"
    assert L.VOTES_HEAD[6:10] == ("赞成", "反对", "弃权", "未表决")
    record_src = (ROOT / "meeting" / "record" / "labels.py").read_text(encoding="utf-8")
    for text in ("专家学者/专业技术人员", "记录人代签", "手机与举手结合", "扣帽子", "不记名表决"):  # no second copy
        assert text not in record_src


def test_unknown_values_show_as_themselves():
    assert labels.label("zh", "category", "stakeholder") == "利益相关方"
    assert labels.label("en", "category", "stakeholder") == "Stakeholder"
    assert labels.label("zh", "category", "alien") == "alien"
    assert labels.label("zh", "category", None) == ""
    assert labels.enums("zh") is not labels.enums("zh")  # a fresh copy: a caller cannot spoil the catalog


# ---- the screens keep no enum tables of their own -------------------------------------------------
# A screen's own wording of an action keyed by an enum value (not a label of the value), allowed
# on purpose: (file, kind) -> why.
JS_ALLOWED = {("phone.js", "channel"): "the sign-in buttons' wording ('I am in the room — sign in'), an action"}


def enum_tables(name: str, text: str) -> list[str]:
    """Object literals (innermost braces) that map two or more values of one enum kind to texts,
    ``{ stakeholder: t("Stakeholder"), expert: t("Expert") }``: a second copy of the catalog."""
    found = []
    for block in re.findall(r"\{[^{}]*\}", text):
        for kind, values in labels.KINDS.items():
            hits = [v for v in values if re.search(rf"(?<![\w.])[\"']?{re.escape(v)}[\"']?\s*:\s*t\(", block)]
            if len(hits) >= 2 and (name, kind) not in JS_ALLOWED:
                found.append(f"{name}: {kind} {hits}")
    return found


def js_enum_tables() -> list[str]:
    return [
        hit
        for path in sorted((ROOT / "static" / "js").glob("*.js"))
        for hit in enum_tables(path.name, path.read_text(encoding="utf-8"))
    ]


def test_the_detector_sees_a_table_and_not_a_lone_key():
    assert enum_tables("x.js", 'const CATEGORY = { proposer: t("Proposer"), "stakeholder": t("Stakeholder") };')
    assert not enum_tables("x.js", 'const a = { online: t("Online") }; const b = { mixed: t("Mixed") };')
    assert not enum_tables("x.js", 'el("p", { class: "x" }, labels.category(p.category))')


def test_screen_scripts_hold_no_enum_tables():
    """The scripts read boot.enums[kind][value] (meeting/pages.py puts labels.enums(lang) there)."""
    assert not js_enum_tables()


def test_the_audit_trail_words_every_value():
    """Issue 9: "vote_id=2; threshold:[1, 2, True]", "due_at=1795435612226", item=0 were shown."""
    from meeting.pages import audit_row

    names = {"s1": "刘秀英"}
    opened = {"seq": 7, "at": 0, "type": "vote_opened", "actor": "moderator", "hash": "ab",
              "payload": {"vote_id": 2, "kind": "item", "item": 0, "mode": "mixed", "base": ["s1", "s2"],
                          "registered": 3, "threshold": [1, 2, True], "abstain": False, "ballot": "named"}}
    row = audit_row(opened, names, "zh")
    assert "议题：第1项" in row["details"] and "#2" in row["details"] and "到会表决人数：2" in row["details"]
    assert "vote_id" not in row["details"] and "threshold" not in row["details"] and "True" not in row["details"]
    warned = {"seq": 9, "at": 0, "type": "speech_warned", "actor": "system", "hash": "cd",
              "payload": {"speech_id": 3, "due_at": 1795435612226}}
    text = audit_row(warned, names, "zh")["details"]
    assert "1795435612226" not in text and re.search(r"\d\d:\d\d:\d\d", text), text
    outcome = {"seq": 10, "at": 0, "type": "outcome_declared", "actor": "moderator", "hash": "ef",
               "payload": {"item": 0, "outcome": "a",
                           "details": {"what": "加装电梯", "who": "居委会", "by_when": "年底"}}}
    text = audit_row(outcome, names, "zh")["details"]
    assert "实施内容：加装电梯" in text and "议题：第1项" in text and "what" not in text
    assert "Item: Item 1" in audit_row(outcome, names, "en")["details"]
