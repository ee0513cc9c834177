"""A whole meeting over real Socket.IO against a real uvicorn: a moderator, a recorder, a
supervisor, a projector and eight participants, two residents without phones signed in by the
recorder and counted by hand. Each role's client is checked for what it received."""
import json

from meeting import chain
from meeting.client import LiveClient
from tests.server.harness import meeting_config

PHONES = ["prop", "s1", "s2", "s3", "s4"]  # voting stakeholders with their own phones
NO_PHONE = ["s5", "s6"]  # signed in by the recorder, vote by show of hands


async def test_a_whole_meeting_as_each_role_sees_it(server):
    meeting_id, tokens = server.create_meeting(meeting_config())
    url = server.url

    async def join(key):
        return await LiveClient(url, tokens[key], name=key).connect()

    mod, rec, sup, proj = [await join(k) for k in ("moderator", "recorder", "sup", "projector")]
    people = {pid: await join(pid) for pid in PHONES + ["exp", "obs"]}
    clients = [mod, rec, sup, proj, *people.values()]
    assert mod.snapshot["audience"] == "staff" and proj.snapshot["audience"] == "public"
    assert people["s1"].me["name"] == "刘秀英" and people["s1"].me["signed_in"] is False

    # 1. sign-in: phones themselves (one online), the recorder for those without a phone
    for pid, p in people.items():
        await p.do("sign_in", channel="online" if pid == "s3" else "room")
    await sup.do("sign_in")
    for pid in NO_PHONE:
        await rec.do("sign_in", person=pid)
    await proj.wait_for(lambda: proj.view["signin"]["voting_signed_in"] == 7)
    assert mod.view["present"]["s5"]["channel"] == "recorder"
    assert mod.view["present"]["s3"]["channel"] == "online"
    assert proj.view["signin"] == {"voting_signed_in": 7, "voting_registered": 7, "signed_in_total": 10,
                                   "quorum_check": False, "quorum_needed": 5, "quorum_met": True}

    # 2. the rules of procedure, adopted by a mixed vote at 2/3 of the base
    await mod.do("present_rules")
    await mod.do("open_vote", kind="rules", mode="mixed")
    for pid in PHONES:
        await people[pid].do("cast_vote", choice="yes" if pid != "s4" else "no")
    await rec.do("enter_hand_count", choice="yes", count=1)
    await rec.do("enter_hand_count", choice="no", count=1)
    await proj.wait_for(lambda: proj.view["vote"] and proj.view["vote"]["phone_ballots"] == 5)
    assert "counts" not in proj.view["vote"], "the public sees no running tally"
    # Nor does staff (since 9a2f728): how many voted by phone and, in a named ballot, who; the
    # hand counts as entered. The tally comes with the close (checked below).
    assert "counts" not in mod.view["vote"], "staff see no running tally either"
    assert mod.view["vote"]["phone_ballots"] == 5 and mod.view["vote"]["voted"] == sorted(PHONES)
    assert mod.view["vote"]["hand_counts"] == {"yes": 1, "no": 1}
    await mod.do("close_vote")
    for c in clients:
        await c.wait_for(lambda c=c: c.view["rules_adopted"])
    result = proj.view["votes"][0]["result"]
    assert (result["base"], result["yes"], result["no"], result["passed"]) == (7, 5, 2, True)
    assert proj.view["votes"][0]["percent"]["yes"] == "71.4%"

    # 3. the consultation opens; the proposer explains (not a speech)
    await mod.do("declare_open")
    await mod.do("start_explanation")
    await people["s1"].wait_for(
        lambda: people["s1"].view["speech"] and people["s1"].view["speech"]["kind"] == "explanation")
    assert people["prop"].me["speaking"] is True
    await mod.do("end_speech")

    # 4. debate on item 1 with the queue of RULES.md §3
    await mod.do("begin_item", item=0)
    await people["s1"].do("raise_hand", stance="for")
    await people["s2"].do("raise_hand", stance="for")
    await people["s3"].do("raise_hand", stance="against")
    await mod.wait_for(lambda: len(mod.view["queue"]) == 3)
    assert mod.view["recommended"] == {"person": "s1", "reason": "first_hand"}
    assert people["s3"].me["hand"] == {"stance": "against", "position": 3}
    await mod.do("give_floor", person="s1")
    await people["s1"].wait_for(lambda: people["s1"].me["speaking"])
    await proj.wait_for(lambda: proj.view["speech"] and proj.view["speech"]["person"] == "s1")
    assert proj.view["speech"]["stance"] == "for" and proj.view["speech"]["limit_ms"] == 180_000
    assert people["s1"].me["speeches_left"] == 1
    await rec.do("write_summary", speech_id=proj.view["speech"]["id"], text="支持加装，老人上下楼困难")
    await people["s1"].do("yield_floor")
    await mod.wait_for(lambda: mod.view["recommended"] and mod.view["recommended"]["person"] == "s3")
    assert mod.view["recommended"]["reason"] == "alternation"
    # the moderator departs from the recommendation, with a reason that goes on the record
    await mod.do("give_floor", person="s2", reason="陈伟需提前离场")
    await mod.do("end_speech")
    await mod.do("give_floor", person="s3")
    await mod.do("call_to_order", person="s3", reason="interrupting", note="打断他人")
    await mod.do("end_speech")
    await mod.do("give_expert_floor", person="exp")
    await mod.do("end_speech")
    await rec.do("add_note", kind="expert_answer", text="北侧空间满足安装条件")

    # 5. the item's vote, mixed: five phones and two hands, nobody counted twice
    await mod.do("open_vote", kind="item", mode="mixed")
    for pid, choice in zip(PHONES, ["yes", "yes", "no", "yes", "no"], strict=True):
        await people[pid].do("cast_vote", choice=choice)
    twice = await rec.command("enter_hand_count", choice="yes", count=3)
    assert twice["ok"] is False and twice["error"]["code"] == "count_exceeds"
    await rec.do("enter_hand_count", choice="yes", count=2)
    await people["s1"].wait_for(lambda: people["s1"].me["vote"] and people["s1"].me["vote"]["voted"])
    again = await people["s1"].command("cast_vote", choice="no")
    assert again["error"]["code"] == "already_voted"
    await mod.do("close_vote")
    # the projector holds the latest result only; the staff hold every vote and a named ballot's choices
    await proj.wait_for(lambda: proj.view["votes"] and proj.view["votes"][-1]["kind"] == "item")
    assert len(proj.view["votes"]) == 1 and "choices" not in proj.view["votes"][0]
    item_result = proj.view["votes"][0]["result"]
    assert (item_result["yes"], item_result["no"], item_result["not_voting"]) == (5, 2, 0)
    await mod.wait_for(lambda: len(mod.view["votes"]) == 2)
    item_vote = mod.view["votes"][1]
    assert {k: v for k, v in item_vote["result"].items() if k in item_result} == item_result
    assert item_vote["result"]["passed"] is True and item_vote["choices"]["s2"] == "no"  # named ballot

    await mod.do("declare_outcome", item=0, outcome="a", what="北侧加装电梯一部", who="社区居委会",
                 by_when="2027-06-30")
    # item 2 is escalated: it concerns most residents of the estate
    await mod.do("begin_item", item=1)
    await mod.do("escalate", reason="费用方案涉及全小区多数居民利益")
    await mod.do("end_meeting")
    for c in clients:
        await c.wait_for(lambda c=c: c.view["phase"] == "ended")
    assert proj.view["outcomes"]["0"]["outcome"] == "a" and proj.view["outcomes"]["1"]["outcome"] == "d"

    # what each audience received
    assert [s["person"] for s in sup.view["speeches"]] == ["prop", "s1", "s2", "s3", "exp"]
    assert sup.view["speeches"][2]["departure_reason"] == "陈伟需提前离场"
    assert sup.view["speeches"][1]["summary"] == "支持加装，老人上下楼困难"
    # the projector draws the speech under way, not the finished ones (nor any summary)
    assert "speeches" not in proj.view
    assert "老人上下楼困难" not in json.dumps([proj.snapshot, proj.events, proj.view], ensure_ascii=False)
    assert sup.view["notes"][0]["kind"] == "expert_answer" and "notes" not in people["s1"].view
    assert mod.view["calls_to_order"][0]["reason"] == "interrupting"
    assert mod.view["roster"]["s1"]["phone"] == "13800000001"
    for p in people.values():
        received = json.dumps([p.snapshot, p.events, p.view, p.me], ensure_ascii=False)
        assert "13800000001" not in received, "a participant never sees phone numbers"
        assert not any(t in received for t in tokens.values()), "nor anybody's token"
        assert p.gaps == 0

    # every client's patched view equals a fresh snapshot: deltas and snapshots agree
    for c in clients:
        fresh = (await c.call("sync"))["snapshot"]
        assert fresh["version"] == c.version
        assert fresh["view"] == c.view, c.name

    # the supervisor's audit trail is the whole log, its hash chain intact
    audit = await sup.call("audit", {"after": 0, "limit": 500})
    assert audit["ok"] and audit["events"][-1]["type"] == "meeting_ended"
    assert len(audit["events"]) == mod.version
    intact, position, message = chain.verify(meeting_id, audit["events"])
    assert intact, (position, message)
    denied = await people["s1"].call("audit", {})
    assert denied["error"]["code"] == "forbidden_role"
    for c in clients:
        await c.close()


# The anonymous ballot (who receives what, the database, restarts): tests/server/test_secret_ballot.py.
