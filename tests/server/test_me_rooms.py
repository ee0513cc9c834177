"""``me`` after each committed batch, to each person room and role room whose ``me`` changed
(a patch of the ``me`` the connection holds), and only to rooms that have a connection.

A connection without a person (moderator, recorder, projector) joins ``<meeting>:r:<role>`` and
gets its function's ``me``; a person gets theirs. Each ``me`` message is ``{version, me}`` with
``me.version == version``, the version of the batch's delta, which arrives first on the same
connection. A batch that does not change someone's ``me`` sends them none: checked by order, not
by waiting (a later ``me`` on the same connection comes after any earlier one would have).
"""
from __future__ import annotations

from tests.server.harness import ServerProcess, meeting_config
from tests.server.test_secret_ballot import Witness


async def test_me_goes_to_person_and_role_rooms_only_when_it_changed(server: ServerProcess):
    meeting_id, tokens = server.create_meeting(meeting_config())
    join = lambda key: Witness(server.url, tokens[key], name=key).connect()  # noqa: E731
    mod, rec, s1, s2 = await join("moderator"), await join("recorder"), await join("s1"), await join("s2")
    assert mod.snapshot["me"]["role"] == "moderator" and mod.snapshot["me"]["version"] == mod.snapshot["version"]
    assert "allowed" in mod.snapshot["me"] and s1.snapshot["me"]["id"] == "s1"

    signed = await s1.do("sign_in")  # changes s1's me; the recorder's sign-in targets may change too
    await s1.wait_for(lambda: s1.me["signed_in"] and s1.me["version"] == signed["version"])
    note = await rec.do("add_note", kind="other", text="与s2无关的记录")
    shown = await mod.do("present_rules")  # the moderator may now open the rules' vote
    await mod.wait_for(lambda: mod.me["version"] == shown["version"])
    assert mod.me["allowed"]["open_vote"]["ok"] is True, mod.me["allowed"]["open_vote"]
    hand = await s2.do("sign_in")
    await s2.wait_for(lambda: s2.me["signed_in"])

    for c in (mod, rec, s1, s2):
        seen_delta = set()
        for kind, data in c.received:
            if kind == "delta":
                seen_delta.add(data["version"])
            elif kind == "me":
                if "patch" in data:  # a patch of the me the connection holds (of from_version or later)
                    assert data["from_version"] < data["version"] and data["patch"], (c.name, data)
                    assert "version" not in [op[1][0] for op in data["patch"]], (c.name, data)
                else:
                    assert data["me"]["version"] == data["version"], (c.name, data)
                assert data["version"] in seen_delta, f"{c.name}: a me arrived before its delta"
        mine = [data["version"] for kind, data in c.received if kind == "me"]
        assert mine == sorted(set(mine)), (c.name, mine)
    # s1's me changed with its sign-in; the recorder's note changed nobody's me but its own
    # function's at most: s2 got no me for it, though it did get later ones.
    assert signed["version"] in [d["version"] for k, d in s1.received if k == "me"]
    s2_me = [d["version"] for k, d in s2.received if k == "me"]
    assert hand["version"] in s2_me and note["version"] not in s2_me, s2_me
    assert shown["version"] in [d["version"] for k, d in mod.received if k == "me"]
    for c in (mod, rec, s1, s2):
        await c.close()
