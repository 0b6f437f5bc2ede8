"""The Conductor: what each mode plans at each bar line (call & response, continuous, loop)."""

from __future__ import annotations

import pytest

from bridge.live.modes import (
    AHEAD_BARS,
    ANSWERING,
    CONTINUING,
    HEARING,
    LISTENING,
    LOOPING,
    Conductor,
    ModeSettings,
    Plan,
)
from bridge.music.hits import Hit
from bridge.settings.presets import load_preset

HITS = [Hit(0.0, 0, 100), Hit(1.0, 1, 90)]
MORE = [Hit(0.5, 3, 70)]
LOUD_ENOUGH = 0.0  # silent_beats when the producer just played


def conductor(kind: str = "call_response", **settings) -> Conductor:
    return Conductor(ModeSettings(kind, **settings))


def start_call(c: Conductor, first_bar: int, bars: int) -> list[Plan]:
    """The producer plays `bars` bars from `first_bar`; the plans of those bar ends."""
    return [c.bar_ended(bar, HITS, LOUD_ENOUGH) for bar in range(first_bar, first_bar + bars)]


def test_empty_plan_is_falsy_and_any_instruction_is_truthy():
    assert not Plan()
    assert Plan(generate_from=0)
    assert Plan(loop_swap=True)


def test_mode_settings_come_from_the_preset():
    settings = ModeSettings.from_preset(load_preset("call-and-response"))
    assert settings == ModeSettings("call_response", listen_bars=2, silence_beats=4.0, response_bars=2, loop_bars=4)
    assert ModeSettings.from_preset(load_preset("4-bar-loop")).kind == "loop"


# -- call & response ---------------------------------------------------------------------


def test_silence_while_listening_plans_nothing():
    c = conductor()
    for bar in range(5):
        assert c.bar_ended(bar, [], 1e9) == Plan()
    assert c.state == LISTENING


def test_first_hit_starts_a_fresh_stream_at_its_bar():
    c = conductor(listen_bars=2)
    plan = c.bar_ended(3, HITS, LOUD_ENOUGH)
    assert plan == Plan(reset_at=3, hear=[(3, HITS)])
    assert c.state == HEARING and c.call_start == 3


def test_answer_starts_on_the_line_after_listen_bars():
    c = conductor(listen_bars=2, response_bars=3)
    c.bar_ended(3, HITS, LOUD_ENOUGH)
    plan = c.bar_ended(4, MORE, LOUD_ENOUGH)
    assert plan == Plan(hear=[(4, MORE)], generate_from=5, bars=3)
    assert c.state == ANSWERING


def test_a_silent_bar_inside_the_call_is_still_heard():
    c = conductor(listen_bars=3)
    c.bar_ended(0, HITS, LOUD_ENOUGH)
    assert c.bar_ended(1, [], 4.0) == Plan(hear=[(1, [])])
    assert c.bar_ended(2, HITS, LOUD_ENOUGH).generate_from == 3


def test_silence_beats_end_the_call_early():
    c = conductor(listen_bars=8, silence_beats=4.0, response_bars=2)
    c.bar_ended(10, HITS, LOUD_ENOUGH)
    assert c.bar_ended(11, [], 3.5) == Plan(hear=[(11, [])])  # not silent long enough yet
    plan = c.bar_ended(12, [], 7.5)
    assert plan == Plan(hear=[(12, [])], generate_from=13, bars=2)
    assert c.state == ANSWERING


def test_silence_beats_zero_means_bar_count_only():
    c = conductor(listen_bars=3, silence_beats=0.0)
    c.bar_ended(0, HITS, LOUD_ENOUGH)
    assert c.bar_ended(1, [], 1e9).generate_from is None
    assert c.state == HEARING


def test_trigger_ends_the_call_at_the_next_bar_end():
    c = conductor(listen_bars=8, response_bars=2)
    c.bar_ended(0, HITS, LOUD_ENOUGH)
    assert c.trigger(1) == Plan()  # nothing happens before the bar line
    plan = c.bar_ended(1, HITS, LOUD_ENOUGH)
    assert plan == Plan(hear=[(1, HITS)], generate_from=2, bars=2)
    assert c.state == ANSWERING


def test_trigger_with_nothing_heard_does_not_answer_a_later_call_early():
    c = conductor(listen_bars=2)
    c.trigger(0)
    c.bar_ended(0, [], 1e9)
    c.bar_ended(1, HITS, LOUD_ENOUGH)
    assert c.bar_ended(2, HITS, LOUD_ENOUGH).generate_from == 3  # a full 2-bar call, not 1


def test_input_during_the_answer_is_ignored():
    c = conductor(listen_bars=1, response_bars=3)
    assert c.bar_ended(0, HITS, LOUD_ENOUGH).generate_from == 1  # answer: bars 1, 2, 3
    for bar in (1, 2, 3):
        assert c.bar_ended(bar, HITS, LOUD_ENOUGH) == Plan()
    assert c.state == LISTENING


def test_after_the_answer_a_new_hit_starts_a_new_call_with_a_reset():
    c = conductor(listen_bars=2, response_bars=2)
    start_call(c, 0, 2)  # answer in bars 2 and 3
    c.bar_ended(2, [], 1e9)
    c.bar_ended(3, [], 1e9)
    assert c.state == LISTENING
    assert c.bar_ended(4, [], 1e9) == Plan()
    plan = c.bar_ended(5, MORE, LOUD_ENOUGH)
    assert plan == Plan(reset_at=5, hear=[(5, MORE)])
    assert c.bar_ended(6, HITS, LOUD_ENOUGH) == Plan(hear=[(6, HITS)], generate_from=7, bars=2)


def test_listen_bars_one_answers_on_the_next_line():
    c = conductor(listen_bars=1, response_bars=2)
    assert c.bar_ended(7, HITS, LOUD_ENOUGH) == Plan(reset_at=7, hear=[(7, HITS)], generate_from=8, bars=2)


# -- continuous ------------------------------------------------------------------------------


def continuing(listen_bars: int = 2) -> Conductor:
    c = conductor("continuous", listen_bars=listen_bars)
    plans = start_call(c, 0, listen_bars)
    assert plans[-1].generate_from == listen_bars and plans[-1].bars == AHEAD_BARS
    assert c.state == CONTINUING
    return c


def test_continuous_generates_ahead_bars_after_the_call():
    c = conductor("continuous", listen_bars=2)
    start_call(c, 0, 1)
    plan = c.bar_ended(1, HITS, LOUD_ENOUGH)
    assert plan == Plan(hear=[(1, HITS)], generate_from=2, bars=AHEAD_BARS)
    assert c.generated_until == 2 + AHEAD_BARS


def test_continuous_keeps_two_bars_ahead_one_bar_per_bar():
    c = continuing()
    generated = set(range(2, 2 + AHEAD_BARS))
    for bar in range(2, 20):
        plan = c.bar_ended(bar, [], 1e9)
        line = bar + 1
        assert plan.bars == 1 and plan.rewind_to is None and plan.drop_from is None
        assert plan.generate_from not in generated  # never a bar twice
        generated.add(plan.generate_from)
        assert c.generated_until >= line + 2
        assert generated == set(range(2, c.generated_until))
    assert c.state == CONTINUING


def test_input_while_continuing_replaces_the_models_bar_and_regenerates():
    c = continuing()
    c.bar_ended(2, [], 1e9)
    c.bar_ended(3, [], 1e9)
    plan = c.bar_ended(4, MORE, LOUD_ENOUGH)
    assert plan == Plan(rewind_to=4, hear=[(4, MORE)], drop_from=5, generate_from=5, bars=AHEAD_BARS)
    assert c.generated_until == 5 + AHEAD_BARS
    assert c.bar_ended(5, [], 1e9) == Plan(generate_from=7, bars=1)  # then one bar per bar again


def test_a_downbeat_played_early_that_ends_the_call_does_not_replace_the_models_first_bar():
    """The seed's last hits a tick before the line (174 BPM, inside the cut's window) belong to
    the first generated bar; heard as the producer's bar they made the answer go sparse."""
    c = continuing()
    assert c.bar_ended(2, [Hit(0.0, 0, 100), Hit(0.0, 2, 80)], LOUD_ENOUGH, only_early=True) == Plan(
        generate_from=4, bars=1
    )
    plan = c.bar_ended(3, [Hit(0.0, 0, 100)] + MORE, LOUD_ENOUGH)  # playing on: a re-seed as before
    assert plan.rewind_to == 3 and plan.drop_from == 4


def test_continuous_never_stops_listening_by_itself():
    c = continuing()
    for bar in range(2, 40):
        c.bar_ended(bar, HITS if bar % 3 == 0 else [], 0.0)
    assert c.state == CONTINUING


# -- loop ------------------------------------------------------------------------------------


def looping(loop_bars: int = 4, listen_bars: int = 2) -> tuple[Conductor, Plan]:
    c = conductor("loop", listen_bars=listen_bars, loop_bars=loop_bars)
    plan = start_call(c, 0, listen_bars)[-1]
    return c, plan


def test_loop_generates_its_bars_once_after_the_call():
    c, plan = looping(loop_bars=4)
    assert plan == Plan(hear=[(1, HITS)], generate_from=2, bars=4, loop=True, loop_swap=True)
    assert c.state == LOOPING


def test_loop_first_pass_plans_nothing_then_repeats_cycling_the_index():
    c, _ = looping(loop_bars=4)  # loop at lines 2-5
    for bar in (2, 3, 4):
        assert c.bar_ended(bar, [], 1e9) == Plan()
    indexes = []
    for bar in range(5, 15):
        plan = c.bar_ended(bar, [], 1e9)
        assert plan.play_loop_line == bar + 1 and not plan.generate_from and not plan.loop_swap
        indexes.append(plan.loop_index)
    assert indexes == [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]


def test_input_while_looping_does_not_disturb_the_loop():
    c, _ = looping(loop_bars=2)  # loop at lines 2-3
    c.bar_ended(2, [], 1e9)
    assert c.bar_ended(3, HITS, LOUD_ENOUGH) == Plan(play_loop_line=4, loop_index=0)


def test_trigger_while_looping_regenerates_from_the_seed_for_the_next_boundary():
    c, _ = looping(loop_bars=4)  # boundaries at lines 2, 6, 10, 14
    for bar in range(2, 7):
        c.bar_ended(bar, [], 1e9)
    plan = c.trigger(7)  # playing bar 7: the next boundary is line 10
    assert plan == Plan(rewind_to=2, generate_from=10, bars=4, loop=True)
    assert c.bar_ended(7, [], 1e9) == Plan(play_loop_line=8, loop_index=2)  # the old loop plays on
    assert c.bar_ended(8, [], 1e9) == Plan(play_loop_line=9, loop_index=3)
    assert c.bar_ended(9, [], 1e9) == Plan(loop_swap=True)
    for bar in (10, 11, 12):  # the new loop's first pass was scheduled as it was generated
        assert c.bar_ended(bar, [], 1e9) == Plan()
    assert c.bar_ended(13, [], 1e9) == Plan(play_loop_line=14, loop_index=0)


@pytest.mark.parametrize("current_line, boundary", [(2, 6), (5, 6), (6, 10), (9, 10), (10, 14)])
def test_trigger_boundary_is_the_first_loop_start_after_the_current_bar(current_line, boundary):
    c, _ = looping(loop_bars=4)  # boundaries at lines 2, 6, 10, 14
    assert c.trigger(current_line).generate_from == boundary


def test_a_second_trigger_before_the_swap_aims_at_the_same_boundary():
    c, _ = looping(loop_bars=4)
    assert c.trigger(7).generate_from == 10
    assert c.trigger(8).generate_from == 10


def test_trigger_outside_hearing_and_looping_plans_nothing():
    c = conductor("continuous", listen_bars=1)
    c.bar_ended(0, HITS, LOUD_ENOUGH)
    assert c.trigger(1) == Plan()
    assert c.state == CONTINUING


def test_resume_keeps_a_loop_playing_from_the_new_line():
    c, _ = looping(loop_bars=4)
    for bar in range(2, 9):
        c.bar_ended(bar, [], 1e9)
    assert c.resume(20) == Plan(play_loop_line=20, loop_index=0)
    assert c.state == LOOPING


def test_resume_drops_a_pending_regeneration():
    c, _ = looping(loop_bars=4)
    c.trigger(7)
    c.resume(20)
    assert c.pending_loop_start is None
    assert c.trigger(21).generate_from == 24


def test_after_resume_the_loop_goes_on_with_its_next_bars():
    # BUG: resume() sets loop_start to the resumed line, so _loop_bar takes the next
    # loop_bars - 1 lines for a "first pass scheduled as generated" and plans nothing:
    # only bar 0 of the loop is played after a transport restart, then 3 silent bars.
    c, _ = looping(loop_bars=4)
    for bar in range(2, 9):
        c.bar_ended(bar, [], 1e9)
    c.resume(20)
    plans = [c.bar_ended(bar, [], 1e9) for bar in range(20, 24)]
    assert [(p.play_loop_line, p.loop_index) for p in plans] == [(21, 1), (22, 2), (23, 3), (24, 0)]


@pytest.mark.parametrize("kind", ["call_response", "continuous"])
def test_resume_outside_a_loop_listens_afresh(kind):
    c = conductor(kind, listen_bars=2)
    c.bar_ended(0, HITS, LOUD_ENOUGH)
    assert c.state == HEARING
    assert c.resume(8) == Plan()
    assert c.state == LISTENING and c.call_start is None
    assert c.bar_ended(8, HITS, LOUD_ENOUGH).reset_at == 8


def test_resume_before_the_loop_exists_listens_afresh():
    c = conductor("loop", listen_bars=2)
    c.bar_ended(0, HITS, LOUD_ENOUGH)
    assert c.resume(4) == Plan()
    assert c.state == LISTENING


@pytest.mark.parametrize("kind", ["call_response", "continuous", "loop"])
def test_listen_forgets_everything_and_drops_scheduled_notes(kind):
    c = conductor(kind, listen_bars=1)
    c.bar_ended(0, HITS, LOUD_ENOUGH)
    assert c.state != LISTENING
    assert c.listen(3) == Plan(drop_from=3)
    assert c.state == LISTENING and c.loop_start is None and c.seed_line is None
    assert c.bar_ended(3, [], 1e9) == Plan()
    assert c.bar_ended(4, MORE, LOUD_ENOUGH).reset_at == 4


# -- recall (undo/redo of loops) ------------------------------------------------------------


def test_recall_switches_at_the_next_boundary_and_plays_its_first_pass_from_memory():
    c, _ = looping(loop_bars=2)  # boundaries at lines 2, 4, 6
    c.bar_ended(2, [], 1e9)
    assert c.recall(4) == 6  # playing bar 4 (second pass, index 0): the next boundary is line 6
    assert c.bar_ended(4, [], 1e9) == Plan(play_loop_line=5, loop_index=1)  # the current loop plays on
    assert c.bar_ended(5, [], 1e9) == Plan(loop_swap=True, play_loop_line=6, loop_index=0)
    assert c.bar_ended(6, [], 1e9) == Plan(play_loop_line=7, loop_index=1)
    assert c.bar_ended(7, [], 1e9) == Plan(play_loop_line=8, loop_index=0)


def test_trigger_after_recall_generates_instead_and_cancel_pending_keeps_the_loop():
    c, _ = looping(loop_bars=2)
    c.recall(3)
    assert c.trigger(3) == Plan(rewind_to=2, generate_from=4, bars=2, loop=True)
    assert not c.recalling
    assert c.bar_ended(3, [], 1e9) == Plan(loop_swap=True)  # a generated loop's first pass was scheduled as generated
    c.recall(5)
    c.cancel_pending()
    assert c.bar_ended(4, [], 1e9) == Plan()  # still the new loop's first pass
    assert c.bar_ended(5, [], 1e9) == Plan(play_loop_line=6, loop_index=0)


def test_recall_without_a_loop_does_nothing():
    c = conductor("loop", listen_bars=2)
    assert c.recall(0) is None
    c.bar_ended(0, HITS, LOUD_ENOUGH)
    assert c.recall(1) is None and c.pending_loop_start is None
