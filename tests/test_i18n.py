"""UI text comes from message catalogs: Simplified Chinese for every message id the screens use,
no literal text in templates, and both languages render."""
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

from meeting import i18n

ROOT = Path(__file__).resolve().parents[1]
# Language names are shown in their own language on purpose (the switch must be readable).
ALLOWED_LITERALS = {"English", "中文"}


def used_message_ids() -> set[str]:
    ids = set()
    for sub, method, opts in (
        ("templates", "jinja2", {"extensions": "jinja2.ext.i18n"}),
        ("static/js", "javascript", {}),
    ):
        mapping = [("**.html", method)] if method == "jinja2" else [("**.js", method)]
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            ROOT / sub,
            method_map=mapping,
            options_map={"**.html": opts, "**.js": opts},
            keywords={"_": None, "gettext": None, "t": None},
        ):
            ids.add(message if isinstance(message, str) else message[0])
    # messages raised by the admin pages' form reader
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        ROOT / "meeting",
        method_map=[("admin.py", "python")],
        keywords={"FormError": None},
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_every_message_the_screens_use_has_a_chinese_translation():
    zh = i18n.catalog("zh")
    missing = sorted(m for m in used_message_ids() if m not in zh)
    assert not missing, f"add these to a .po under meeting/locale/zh_Hans: {missing}"


def test_templates_hold_no_literal_ui_text():
    offenders = []
    for path in (ROOT / "templates").glob("*.html"):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"\{#.*?#\}", " ", text, flags=re.S)
        # blocks that fill in the print sheet's CSS (templates/documents/_sheet.html)
        text = re.sub(r"\{%-?\s*block\s+(style|print|margin|line_height|grid_size)\s*-?%\}.*?\{%-?\s*endblock\b.*?%\}",
                      " ", text, flags=re.S)
        text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", " ", text, flags=re.S)
        text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S)
        text = re.sub(r"<[^>]*>", " ", text)
        for word in re.findall(r"[A-Za-z\u4e00-\u9fff][^\s<>]*", text):
            if word not in ALLOWED_LITERALS:
                offenders.append(f"{path.name}: {word}")
    assert not offenders, offenders


def test_language_is_chinese_by_default_and_english_on_request():
    assert i18n.pick_lang(None, None, "en-US,en;q=0.9") == "zh"
    assert i18n.pick_lang("en", None, None) == "en"
    assert i18n.pick_lang(None, "en", None) == "en"
    assert i18n.pick_lang("fr", None, None) == "zh"
    assert i18n.translations("zh").gettext("Connected") == "已连接"
    assert i18n.translations("en").gettext("Connected") == "Connected"


def test_a_message_id_means_the_same_in_every_catalog():
    """The .po files are merged; one id with two different translations would depend on file order."""
    from babel.messages.pofile import read_po

    seen: dict[tuple, tuple[str, str]] = {}
    clashes = []
    for po in sorted((i18n.LOCALE_DIR / "zh_Hans" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as fh:
            for m in read_po(fh):
                if not m.id or not m.string:
                    continue
                key = (m.context, m.id)  # an enum label (labels.po) is its own message: its context is its kind
                if key in seen and seen[key][1] != m.string:
                    clashes.append(f"{key!r}: {seen[key][0]} {seen[key][1]!r} vs {po.name} {m.string!r}")
                seen.setdefault(key, (po.name, m.string))
    assert not clashes, clashes


def test_enum_labels_stay_out_of_the_screens_messages(tmp_path, monkeypatch):
    """A message with a context (labels.po: the context is the enum kind) is kept apart from the
    screens' plain catalog, so the vote choice "Yes" and a button's "Yes" never overwrite each other."""
    folder = tmp_path / "zh_Hans" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "a.po").write_text(
        'msgid "Yes"\nmsgstr "同意"\n\nmsgctxt "choice"\nmsgid "Yes"\nmsgstr "赞成"\n', encoding="utf-8"
    )
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.catalog.cache_clear(), i18n.contextual.cache_clear()
    try:
        assert i18n.catalog("zh") == {"Yes": "同意"}
        assert i18n.contextual("zh") == {("choice", "Yes"): "赞成"}
    finally:
        i18n.catalog.cache_clear(), i18n.contextual.cache_clear()


def test_labels_po_holds_only_enum_labels():
    from babel.messages.pofile import read_po

    with (i18n.LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "labels.po").open("rb") as fh:
        messages = [m for m in read_po(fh) if m.id]
    assert messages and all(m.context for m in messages)
    assert i18n.contextual("zh")[("choice", "Yes")] == "赞成"


def test_refusals_name_phases_fields_modes_and_reasons_in_words():
    """Issue 9: a toast never says "当前阶段（result）" or "须填写：what"."""
    import re as _re

    from meeting.rules.errors import WORDS, DomainError
    from tests.engine import MOD, Room, config

    cases = [("wrong_phase", {"phase": "result"}, "表决结果", "result"),
             ("details_required", {"field": "by_when"}, "完成时限", "by when"),
             ("channel_closed", {"mode": "hands"}, "举手表决", "show of hands"),
             ("outcome_mismatch", {"reason": "below_terminate"}, "终止（b）", "terminated (b)")]
    for code, details, zh, en in cases:
        e = DomainError(code, **details)
        assert zh in e.message_zh and en in e.message_en, e.to_dict()
        assert not _re.search(r"[A-Za-z_]{3,}", e.message_zh), e.message_zh
        assert e.to_dict()["details"] == details   # the details keep the values for programs
    for key, table in WORDS.items():
        assert all(zh and en for zh, en in table.values()), key
    # A real refusal from the engine: declaring "a" for an item whose vote failed.
    room = Room(config(3)).to_debate()
    room.do(MOD, "open_vote", kind="item", mode="hands")
    room.do(MOD, "enter_hand_count", choice="no", count=3)
    room.do(MOD, "close_vote")
    refusal = room.refused("outcome_mismatch", MOD, "declare_outcome", item=0, outcome="a",
                           what="x", who="y", by_when="z")
    assert "表决未通过" in refusal.message_zh
