"""Model-side controls changed while bars are written ahead: those bars are written again from the next
bar line (issue 12: a change used to wait for bars the model had not written yet).  Exact lists from
the core with fake time; the worker writes each bar with velocities that tell its temperature."""

from __future__ import annotations

from bridge.live.events import Job, Preview, SetControls, Trigger, Undo
from bridge.music.hits import Hit
from tests.live.core_rig import KICK, SNARE, STOP, CoreRig, EchoWorker

BAR = 96
CALL = {0: [(36, 100)], 24: [(38, 90)]}


class TemperatureWorker(EchoWorker):
    """Kick on 1, snare on 2; the kick's velocity is 10 x the job's temperature plus the bar's line."""

    def results(self, job: Job | Preview) -> list:
        if isinstance(job, Job):
            base = round(10 * job.settings.temperature)
            self.pattern = [Hit(0.0, KICK, base), Hit(1.0, SNARE, 40)]
        return super().results(job)


def kicks(rig: CoreRig) -> list[tuple[int, int]]:
    return [(tick, velocity) for tick, note, velocity in rig.note_ons() if note == 36]


def rig_for(kind: str, **mode) -> CoreRig:
    return CoreRig({"mode": {"kind": kind, "listen_bars": 1, **mode}}, worker=TemperatureWorker())


def hotter(rig: CoreRig, temperature: float = 1.5) -> None:
    rig.step(SetControls(rig.core.controls.with_changes(temperature=temperature)))


def test_a_temperature_change_rewrites_the_rest_of_the_answer_from_the_next_bar_line():
    rig = rig_for("call_response", response_bars=4)
    rig.play_ticks(BAR + 30, CALL, start=True)  # in the answer's first bar (line 1)
    hotter(rig)
    rig.play_ticks(4 * BAR)
    rig.midi(STOP)
    assert kicks(rig) == [(96, 11), (192, 17), (288, 18), (384, 19)]
    assert "model controls changed: bars 3-5 written again" in rig.logs
    rewrite = rig.jobs[-1]
    assert isinstance(rewrite, Job) and (rewrite.rewind_to, rewrite.generate_from, rewrite.bars) == (2, 2, 3)


def test_a_change_inside_the_cut_window_takes_the_bar_line_after():
    rig = rig_for("call_response", response_bars=4)
    rig.play_ticks(2 * BAR, CALL, start=True)  # the last tick before line 2: 21 ms before it
    hotter(rig)
    rig.play_ticks(4 * BAR)
    rig.midi(STOP)
    assert kicks(rig) == [(96, 11), (192, 12), (288, 18), (384, 19)]


def test_continuous_rewrites_the_bars_it_wrote_ahead():
    rig = rig_for("continuous")
    rig.play_ticks(BAR + 30, CALL, start=True)
    hotter(rig)
    rig.play_ticks(3 * BAR)
    rig.midi(STOP)
    assert kicks(rig) == [(96, 11), (192, 17), (288, 18), (384, 19)]


def test_a_loop_keeps_playing_as_written_and_the_next_regeneration_uses_the_change():
    rig = rig_for("loop", loop_bars=1)
    rig.play_ticks(BAR + 30, CALL, start=True)
    hotter(rig)
    rig.play_ticks(BAR)
    rig.step(Trigger())
    rig.play_ticks(2 * BAR)
    rig.midi(STOP)
    assert kicks(rig) == [(96, 11), (192, 11), (288, 18), (384, 18)]
    assert not any("written again" in line for line in rig.logs)


def test_the_answers_take_holds_the_rewritten_bars_and_undo_repeats_them():
    rig = rig_for("call_response", response_bars=2)
    rig.play_ticks(BAR + 30, CALL, start=True)  # call at line 0, answer at lines 1-2
    hotter(rig)
    rig.play_ticks(2 * BAR - 30)
    rig.play_ticks(3 * BAR, CALL)  # call at line 3, answer at lines 4-5
    rig.step(Undo())  # the next answer repeats the first one
    rig.play_ticks(3 * BAR, CALL)  # call at line 6, answer at lines 7-8
    rig.midi(STOP)
    assert kicks(rig) == [(96, 11), (192, 17), (384, 19), (480, 20), (672, 11), (768, 17)]


def test_a_repeated_answer_stays_as_chosen_and_feel_changes_rewrite_nothing():
    rig = rig_for("call_response", response_bars=2)
    rig.play_ticks(3 * BAR, CALL, start=True)  # call, answer at lines 1-2
    rig.play_ticks(3 * BAR, CALL)  # call, answer at lines 4-5
    rig.step(Undo())
    rig.play_ticks(BAR, CALL)  # call at line 6: the answer at lines 7-8 repeats answer 1
    rig.play_ticks(30)
    hotter(rig)
    rig.step(SetControls(rig.core.controls.with_changes(swing=0.3)))
    rig.play_ticks(2 * BAR - 30)
    rig.midi(STOP)
    assert kicks(rig) == [(96, 11), (192, 12), (384, 14), (480, 15), (672, 11), (768, 12)]
    assert not any("written again" in line for line in rig.logs)


def test_with_the_real_model_the_stream_goes_back_to_the_line_and_writes_on_from_there(model):
    """The shipped model's stream rewinds to the snapshot it took at the line (no fresh start, which
    would forget the call), and the bars it writes again play."""
    from tests.live.core_rig import ModelWorker

    worker = ModelWorker(model)
    rig = CoreRig({"mode": {"kind": "continuous", "listen_bars": 2}, "feel": {"quantize": 1.0}}, worker=worker)
    stream = worker.worker.stream
    rewinds: list[tuple[int, bool]] = []
    rewind = stream.rewind

    def recorded(line: int) -> bool:
        rewinds.append((line, went_back := rewind(line)))
        return went_back

    stream.rewind = recorded  # type: ignore[method-assign]
    call = {tick: [(36, 100)] for tick in range(0, 2 * BAR, 24)} | {tick: [(38, 90)] for tick in range(12, 2 * BAR, 48)}
    rig.play_ticks(2 * BAR + 30, call, start=True)
    hotter(rig, 1.3)
    rig.play_ticks(2 * BAR)
    rig.midi(STOP)
    assert rewinds == [(3, True)]
    assert "model controls changed: bar 4 written again" in rig.logs
    assert any(BAR * 3 <= tick < BAR * 4 for tick, _note, _velocity in rig.note_ons()), "the rewritten bar plays"
