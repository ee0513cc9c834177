"""Generates the reference tables of docs/protocol.md from the code, so the two never drift.

    python -m meeting.docgen          # rewrite the tables in docs/protocol.md
    python -m meeting.docgen --check  # exit 1 if they are out of date (a test runs this)
"""
from __future__ import annotations

import dataclasses
import inspect
import json
import re
import sys
from pathlib import Path

from .projections.audience import AUDIENCES
from .projections.redaction import DELTA_EVENTS
from .rules.commands import SPECS, Field
from .rules.errors import MESSAGES
from .rules.events import EVENT_TYPES
from .rules.params import FIXED_AT_SETUP, PARAM_DOCS, RulesParams

DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"


def _field(name: str, f: Field) -> str:
    text = f"`{name}`: {f.kind}"
    if f.choices:
        text += " (" + " \\| ".join(f.choices) + ")"
    if f.max_len and f.kind == "str":
        text += f" ≤{f.max_len}"
    if f.min is not None or f.max is not None:
        text += f" [{f.min if f.min is not None else ''}..{f.max if f.max is not None else ''}]"
    if f.required:
        text += " **required**"
    return text


def commands_table() -> str:
    rows = ["| command | who may send it | args | what it does |", "|---|---|---|---|"]
    for name, spec in SPECS.items():
        roles = ", ".join(sorted(str(r) for r in spec.roles))
        args = "<br>".join(_field(k, f) for k, f in spec.fields.items()) or "—"
        rows.append(f"| `{name}` | {roles} | {args} | {spec.doc} |")
    return "\n".join(rows)


def events_table() -> str:
    rows = ["| event | fields (besides `type`, `at`) | meaning |", "|---|---|---|"]
    for name, cls in EVENT_TYPES.items():
        fields = ", ".join(f"`{f.name}`" for f in dataclasses.fields(cls) if f.name != "at") or "—"
        doc = " ".join((inspect.getdoc(cls) or "").split()).replace("|", "\\|")
        rows.append(f"| `{name}` | {fields} | {doc} |")
    return "\n".join(rows)


def errors_table() -> str:
    rows = ["| code | 中文 | English |", "|---|---|---|"]
    for code, (zh, en) in MESSAGES.items():
        rows.append(f"| `{code}` | {zh} | {en} |")
    return "\n".join(rows)


def params_table() -> str:
    rows = ["| parameter | default | values | meaning | `amend_rules` may change it |", "|---|---|---|---|---|"]
    defaults = RulesParams().to_dict()
    for f in dataclasses.fields(RulesParams):
        meaning, values = PARAM_DOCS[f.name]
        default = json.dumps(defaults[f.name])  # type: ignore[literal-required]
        amendable = "no: fixed at set-up" if f.name in FIXED_AT_SETUP else "yes"
        rows.append(f"| `{f.name}` | `{default}` | {values} | {meaning} | {amendable} |")
    return "\n".join(rows)


def delta_events_table() -> str:
    rows = ["| audience | event types its deltas carry |", "|---|---|"]
    for aud in AUDIENCES:
        kinds = DELTA_EVENTS[aud]
        carried = "every one" if kinds is None else ", ".join(f"`{k}`" for k in sorted(kinds)) or "none"
        rows.append(f"| `{aud}` | {carried} |")
    return "\n".join(rows)


TABLES = {"commands": commands_table, "events": events_table, "errors": errors_table, "params": params_table,
          "delta-events": delta_events_table}


def render(text: str) -> str:
    for name, make in TABLES.items():
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(<!-- END {name} -->)", re.S)
        found = pattern.search(text)
        if not found:
            raise SystemExit(f"docs/protocol.md has no {name} markers")
        text = text[: found.end(1)] + make() + "\n" + text[found.start(2):]
    return text


def main(argv: list[str]) -> int:
    current = DOC.read_text(encoding="utf-8")
    fresh = render(current)
    if "--check" in argv:
        if fresh != current:
            print("docs/protocol.md is out of date: run python -m meeting.docgen")
            return 1
        return 0
    DOC.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
