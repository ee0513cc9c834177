"""The docs are part of the contract: the protocol reference matches the code."""
from pathlib import Path

from meeting import docgen
from meeting.rules.commands import SPECS
from meeting.rules.errors import MESSAGES
from meeting.rules.events import EVENT_TYPES

ROOT = Path(__file__).resolve().parents[1]


def test_protocol_reference_tables_are_generated_from_the_code():
    current = docgen.DOC.read_text(encoding="utf-8")
    assert docgen.render(current) == current, "run: python -m meeting.docgen"


def test_every_command_event_and_error_code_is_documented():
    doc = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    for name in [*SPECS, *EVENT_TYPES, *MESSAGES]:
        assert f"`{name}`" in doc, name


def test_readme_has_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "./run.sh" in readme and "bash .ci/run" in readme
