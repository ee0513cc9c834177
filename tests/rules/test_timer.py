"""RULES.md §3, the speech timer: warning, overrun, auto end, pause/resume, restart catch-up."""
from __future__ import annotations

from meeting.rules import events as ev, next_timer_due
from tests.engine import MOD, SYSTEM, Room, person
from tests.rules.helpers import debate_room


def start(params=None) -> tuple[Room, int]:
    room = debate_room(params=params)
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(MOD, "give_floor", person="s1")
    return room, room.now


def tick(room: Room, at: int) -> list:
    room.now = at
    return room.do(SYSTEM, "tick")


def test_no_timer_event_before_the_warning_time():
    room, t0 = start()
    assert tick(room, t0 + 149_999) == []
    assert room.state.speech.warned_at is None


def test_warning_at_limit_minus_warning():
    room, t0 = start()
    [w] = tick(room, t0 + 150_000)
    assert isinstance(w, ev.SpeechWarned) and w.due_at == t0 + 150_000 and w.speech_id == 1
    assert room.state.speech.warned_at == t0 + 150_000
    assert tick(room, t0 + 160_000) == [], "the warning is given once"


def test_overrun_at_the_limit_and_the_speech_goes_on_without_auto_end():
    room, t0 = start()
    tick(room, t0 + 150_000)
    assert tick(room, t0 + 179_999) == []
    [o] = tick(room, t0 + 180_000)
    assert isinstance(o, ev.SpeechOverran) and o.due_at == t0 + 180_000
    assert room.state.speech is not None and room.state.speech.overrun_at == t0 + 180_000
    assert tick(room, t0 + 300_000) == []
    assert next_timer_due(room.state) is None


def test_auto_end_ends_the_speech_at_the_limit():
    room, t0 = start({"auto_end": True})
    tick(room, t0 + 150_000)
    out = tick(room, t0 + 180_000)
    assert [type(e) for e in out] == [ev.SpeechOverran, ev.SpeechEnded]
    assert out[1].reason == "auto"
    assert room.state.speech is None
    assert room.state.speeches[0].end_reason == "auto" and room.state.speeches[0].ended_at == t0 + 180_000


def test_custom_limit_and_warning_params():
    room, t0 = start({"speech_limit_ms": 60_000, "warning_ms": 10_000})
    assert next_timer_due(room.state) == t0 + 50_000
    [w] = tick(room, t0 + 50_000)
    assert w.due_at == t0 + 50_000
    [o] = tick(room, t0 + 60_000)
    assert o.due_at == t0 + 60_000


def test_zero_warning_means_no_warning():
    room, t0 = start({"warning_ms": 0})
    assert next_timer_due(room.state) == t0 + 180_000
    assert tick(room, t0 + 170_000) == []
    [o] = tick(room, t0 + 180_000)
    assert isinstance(o, ev.SpeechOverran)


def test_tick_long_after_emits_warning_and_overrun_at_once_with_their_due_times():
    """A server restart: the first tick comes long after both were due."""
    room, t0 = start()
    out = tick(room, t0 + 3_600_000)
    assert [type(e) for e in out] == [ev.SpeechWarned, ev.SpeechOverran]
    assert out[0].due_at == t0 + 150_000 and out[1].due_at == t0 + 180_000
    assert all(e.at == t0 + 3_600_000 for e in out)
    assert room.state.speech.warned_at == t0 + 150_000 and room.state.speech.overrun_at == t0 + 180_000


def test_tick_long_after_with_auto_end_ends_the_speech_too():
    room, t0 = start({"auto_end": True})
    out = tick(room, t0 + 3_600_000)
    assert [type(e) for e in out] == [ev.SpeechWarned, ev.SpeechOverran, ev.SpeechEnded]
    assert room.state.speech is None


def test_pause_and_resume_shift_the_due_times():
    room, t0 = start()
    room.now = t0 + 100_000
    room.do(MOD, "pause_timer")
    assert next_timer_due(room.state) is None
    assert tick(room, t0 + 500_000) == [], "no timer events while paused"
    assert room.state.speech.remaining(t0 + 500_000) == 80_000
    room.do(MOD, "resume_timer")  # paused for 400 s
    assert next_timer_due(room.state) == t0 + 550_000
    assert tick(room, t0 + 549_999) == []
    [w] = tick(room, t0 + 550_000)
    assert w.due_at == t0 + 550_000
    assert next_timer_due(room.state) == t0 + 580_000
    [o] = tick(room, t0 + 580_000)
    assert o.due_at == t0 + 580_000


def test_pause_twice_and_resume_twice_are_refused():
    room, t0 = start()
    room.refused("timer_running", MOD, "resume_timer")
    room.do(MOD, "pause_timer")
    room.refused("timer_paused", MOD, "pause_timer")
    room.do(MOD, "resume_timer")
    room.refused("timer_running", MOD, "resume_timer")


def test_pause_and_resume_need_a_speech_and_the_moderator():
    room = debate_room()
    room.refused("no_speech", MOD, "pause_timer")
    room.refused("no_speech", MOD, "resume_timer")
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(MOD, "give_floor", person="s1")
    room.refused("forbidden_role", person("s1"), "pause_timer")


def test_ending_a_paused_speech_excludes_the_pause_from_its_duration():
    room, t0 = start()
    room.now = t0 + 30_000
    room.do(MOD, "pause_timer")
    room.now = t0 + 90_000
    room.do(MOD, "end_speech")
    sp = room.state.speeches[0]
    assert sp.elapsed(t0 + 999_999) == 30_000 and sp.paused_at is None and sp.paused_total == 60_000
    assert room.replayed().to_dict() == room.state.to_dict()


def test_next_timer_due_sequence():
    room, t0 = start()
    assert next_timer_due(room.state) == t0 + 150_000
    tick(room, t0 + 150_000)
    assert next_timer_due(room.state) == t0 + 180_000
    tick(room, t0 + 180_000)
    assert next_timer_due(room.state) is None


def test_next_timer_due_is_none_without_a_timed_speech():
    room = debate_room()
    assert next_timer_due(room.state) is None
    room.do(MOD, "give_expert_floor", person="exp")
    assert next_timer_due(room.state) is None, "expert answers are not timed"
    assert tick(room, room.now + 10_000_000) == []


def test_tick_is_only_for_the_system():
    room, t0 = start()
    room.refused("forbidden_role", MOD, "tick")
    room.refused("forbidden_role", person("s1"), "tick")


def test_timer_events_replay_to_the_same_state():
    room, t0 = start()
    room.now = t0 + 20_000
    room.do(MOD, "pause_timer")
    room.now = t0 + 25_000
    room.do(MOD, "resume_timer")
    tick(room, t0 + 1_000_000)
    room.do(MOD, "end_speech")
    assert room.replayed().to_dict() == room.state.to_dict()
    assert room.state.speeches[0].warned_at == t0 + 155_000
    assert room.state.speeches[0].overrun_at == t0 + 185_000
