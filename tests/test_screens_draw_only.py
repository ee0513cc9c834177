"""The screens draw what the server sends; they decide no rule (issue 7, point 3).

A screen that compares a value against a roster category or a phase is re-deciding what the
engine decides (who may queue, which buttons a phase has, when the meeting may end). So no
script in static/js and no template may name a category or a phase as a string literal in a
condition: ``===``, ``!==``, ``==``, ``!=``, ``includes(...)``/``indexOf(...)`` of a literal list,
a ``switch`` case, or a Jinja ``{% if %}`` / ``{% elif %}`` that tests one. Text that depends on
such a value comes from a table keyed by it (an object's keys are not conditions); the screens'
buttons come from ``me.allowed``.

The values come from the engine (``meeting.rules``), so the check follows it.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from meeting.rules import Category, Phase

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "static" / "js").glob("*.js"))
TEMPLATES = sorted((ROOT / "templates").glob("*.html"))
VALUES = sorted({str(c) for c in Category} | {str(p) for p in Phase})

_LIT = r"""(?P<q>["'`])(?P<v>[A-Za-z_]+)(?P=q)"""
_OP = r"(?:===|!==|==|!=)"
# A literal beside a comparison operator, on either side.
JS_COMPARE = [re.compile(_LIT + r"\s*" + _OP), re.compile(_OP + r"\s*" + _LIT)]
# case "debate":
JS_CASE = re.compile(r"\bcase\s+" + _LIT + r"\s*:")
# ["signin", "rules"].includes(x) / .indexOf(x), and x.includes("debate")
JS_LIST_TEST = re.compile(r"\[(?P<items>[^\[\]]*)\]\s*\.\s*(?:includes|indexOf)\s*\(")
JS_CALL_LITERAL = re.compile(r"\.\s*(?:includes|indexOf|startsWith|endsWith)\s*\(\s*" + _LIT)
# {% if ... %} / {% elif ... %} in a template
JINJA_TEST = re.compile(r"\{%-?\s*(?:if|elif)\b(?P<cond>.*?)-?%\}", re.S)
JINJA_COMPARE = [re.compile(_LIT + r"\s*(?:==|!=|\bin\b|\bnot\s+in\b)"), re.compile(r"(?:==|!=|\bin\b)\s*" + _LIT)]
# A literal inside a tuple or list that a Jinja condition tests with `in`.
JINJA_IN_LIST = re.compile(r"\bin\s*[\(\[](?P<items>[^\)\]]*)[\)\]]")
STRING = re.compile(_LIT)


def _strip_js_comments(text: str) -> str:
    """Drop // and /* */ comments (keeping the line count), leaving strings alone."""
    out, i, n = [], 0, len(text)
    quote = None
    while i < n:
        ch = text[i]
        if quote:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if ch == quote:
                quote = None
            i += 1
            continue
        if ch in "\"'`":
            quote = ch
            out.append(ch)
            i += 1
            continue
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def js_offenders(text: str, values=VALUES) -> list[tuple[int, str]]:
    """(line, value) for each category or phase named as a literal in a condition of a script."""
    wanted = set(values)
    code = _strip_js_comments(text)
    found = []
    for rx in (*JS_COMPARE, JS_CASE, JS_CALL_LITERAL):
        for m in rx.finditer(code):
            if m.group("v") in wanted:
                found.append((_line(code, m.start()), m.group("v")))
    for m in JS_LIST_TEST.finditer(code):
        for lit in STRING.finditer(m.group("items")):
            if lit.group("v") in wanted:
                found.append((_line(code, m.start()), lit.group("v")))
    return sorted(set(found))


def template_offenders(text: str, values=VALUES) -> list[tuple[int, str]]:
    """(line, value) for each category or phase that a Jinja condition tests."""
    wanted = set(values)
    code = re.sub(r"\{#.*?#\}", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    found = []
    for m in JINJA_TEST.finditer(code):
        cond = m.group("cond")
        for rx in JINJA_COMPARE:
            for lit in rx.finditer(cond):
                if lit.group("v") in wanted:
                    found.append((_line(code, m.start()), lit.group("v")))
        for lst in JINJA_IN_LIST.finditer(cond):
            for lit in STRING.finditer(lst.group("items")):
                if lit.group("v") in wanted:
                    found.append((_line(code, m.start()), lit.group("v")))
    # Inline scripts in a template are scripts too.
    for m in re.finditer(r"<script\b[^>]*>(?P<js>.*?)</script>", code, flags=re.S):
        base = _line(code, m.start("js")) - 1
        found.extend((base + line, v) for line, v in js_offenders(m.group("js"), values))
    return sorted(set(found))


# ---- the check itself must be able to fail --------------------------------------------------
@pytest.mark.parametrize("snippet", [
    'if (p.category === "stakeholder") x();',
    "const mayQueue = 'proposer' == p.category;",
    'if (view.phase !== "debate") return;',
    'return view.phase === `ended` ? a : b;',
    'const mayEnd = ["signin", "rules"].includes(phase);',
    'if (["expert", "department"].indexOf(c) >= 0) y();',
    'switch (view.phase) {\n  case "voting": return 1;\n}',
    'if (phases.includes("concluded")) z();',
])
def test_the_check_finds_a_rule_in_a_script(snippet):
    assert js_offenders(snippet), snippet


@pytest.mark.parametrize("snippet", [
    '{% if view.phase == "ended" %}x{% endif %}',
    "{% if p.category != 'observer' %}x{% endif %}",
    '{% elif screen in ("moderator", "supervisor") %}',
    '{% if "guide" == c %}x{% endif %}',
    '<script>if (phase === "result") go();</script>',
])
def test_the_check_finds_a_rule_in_a_template(snippet):
    assert template_offenders(snippet), snippet


@pytest.mark.parametrize("snippet", [
    'const PHASE_TEXT = { signin: () => t("x"), rules: (v) => t("y") };',   # a table keyed by the value
    'const KIND = { "debate": 1 };',
    '// if (view.phase === "debate") — a comment',
    'setText(node, t("debate"));',                                           # a message id, not a test
    'if (vote.mode !== "hands") show(x);',                                    # not a category or a phase
    'const own = PHASE_TEXT[view.phase];',
])
def test_the_check_leaves_tables_and_other_values_alone(snippet):
    assert not js_offenders(snippet), snippet


def test_the_values_come_from_the_engine():
    assert {"stakeholder", "proposer", "expert", "department", "supervisor", "guide", "observer"} <= set(VALUES)
    assert {"signin", "rules", "explanation", "debate", "voting", "result", "concluded", "ended"} <= set(VALUES)


# ---- the screens ----------------------------------------------------------------------------
def test_there_are_screens_to_check():
    assert len(SCRIPTS) >= 5 and len(TEMPLATES) >= 5


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_no_script_names_a_category_or_phase_in_a_condition(path):
    offenders = js_offenders(path.read_text(encoding="utf-8"))
    assert not offenders, f"{path.name}: {offenders} — draw me.allowed or use a table keyed by the value"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_no_template_names_a_category_or_phase_in_a_condition(path):
    offenders = template_offenders(path.read_text(encoding="utf-8"))
    assert not offenders, f"{path.name}: {offenders} — draw me.allowed or use a table keyed by the value"
