"""The docs are part of the contract: the protocol reference matches the code."""
import re
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


def _view_table_keys(doc: str) -> set[str]:
    """The keys named in the first column of "## The view"'s table."""
    section = doc.split("## The view", 1)[1].split("\n## ", 1)[0]
    keys: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first = line.split("|")[1]
            keys.update(part.strip().strip("`") for part in first.split(","))
    return keys


def test_the_view_table_lists_every_key_of_both_views_and_me():
    """docs/protocol.md's view table names every key a staff view has (the public view's are a
    subset), and the `me` paragraph every key of a person's and a function's `me`."""
    from meeting.projections import STAFF, personal_views, role_views, shared_view
    from tests.engine import MOD, Room, config

    room = Room(config(4)).to_debate()
    room.do(MOD, "open_vote", kind="item", mode="phone")
    doc = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    view = shared_view(room.state, STAFF)
    assert set(view) <= _view_table_keys(doc), set(view) - _view_table_keys(doc)
    me_section = doc.split("`me` and the version rule", 2)[-1]
    for me in (personal_views(room.state, room.now)["s1"], role_views(room.state, room.now)["moderator"]):
        for key in me:
            assert re.search(rf"[{{ ]{key}[,}}]", me_section), key
