"""Fills on cue, style and fill CCs live (issue 12): exact lists from the core with fake time.

The fake worker writes a bar as a fill (a tom on beat 1) when its job asks
for one on that bar's line, else a kick: the notes show which bars the core
asked to be fills, and when.
"""

from __future__ import annotations

from bridge.live.events import Fill, Job, Preview, SetControls
from bridge.music.hits import Hit
from tests.live.core_rig import CONTROL_CHANGE, NOTE_ON, STOP, CoreRig, EchoWorker

BAR = 96
CALL = {0: [(36, 100)], 24: [(38, 90)]}
KICK_NOTE, TOM_NOTE = 36, 47  # General MIDI pitches of the kick and the mid tom (class 7)
TOM = 7


class FillWorker(EchoWorker):
    """A bar asked to be a fill is a mid tom on 1; any other bar a kick on 1."""

    def results(self, job: Job | Preview) -> list:
        out = []
        if isinstance(job, Job) and job.generate_from is not None:
            for index in range(job.bars):
                line = job.generate_from + index
                self.pattern = [Hit(0.0, TOM if line in job.request.fill_lines else 0, 80)]
                out += super().results(Job(job.epoch, job.settings, generate_from=line, bars=1, loop=job.loop))
        return out


def rig_for(kind: str, **values) -> CoreRig:
    mode = {"kind": kind, "listen_bars": 1}
    mode.update(values.pop("mode", {}))
    return CoreRig({"mode": mode, **values}, worker=FillWorker())


def downbeats(rig: CoreRig) -> list[tuple[int, str]]:
    """(bar line, "fill" or "groove") of every generated bar's first note."""
    names = {KICK_NOTE: "groove", TOM_NOTE: "fill"}
    return [(tick // BAR, names[note]) for tick, note, _velocity in rig.note_ons() if note in names]


def test_fill_inside_an_answer_rewrites_the_next_bar_as_a_fill_and_the_groove_comes_back():
    rig = rig_for("call_response", mode={"response_bars": 4})
    rig.play_ticks(BAR + 30, CALL, start=True)  # inside the answer's first bar (line 1)
    rig.step(Fill())
    rig.play_ticks(4 * BAR)
    rig.midi(STOP)
    assert downbeats(rig) == [(1, "groove"), (2, "fill"), (3, "groove"), (4, "groove")]
    assert "fill: bar 3" in rig.logs
    rewrite = rig.jobs[-1]
    assert isinstance(rewrite, Job) and (rewrite.rewind_to, rewrite.generate_from) == (2, 2)
    assert rewrite.request.fill_lines == frozenset({2})


def test_fill_while_listening_makes_the_answers_first_bar_a_fill():
    rig = rig_for("call_response", mode={"response_bars": 2, "listen_bars": 2})
    rig.play_ticks(30, CALL, start=True)  # the call's first bar
    rig.step(Fill())
    rig.play_ticks(4 * BAR)
    rig.midi(STOP)
    assert downbeats(rig)[:2] == [(2, "fill"), (2 + 1, "groove")]
    assert "fill: on the next bar the model writes" in rig.logs


def test_a_fill_asked_in_loop_mode_ends_the_next_loop():
    rig = rig_for("loop", mode={"loop_bars": 2})
    rig.play_ticks(30, CALL, start=True)
    rig.step(Fill())
    rig.play_ticks(5 * BAR)
    rig.midi(STOP)
    assert downbeats(rig) == [(1, "groove"), (2, "fill"), (3, "groove"), (4, "fill"), (5, "groove")]


def test_continuous_fill_lands_on_the_next_bar_line_and_once():
    rig = rig_for("continuous")
    rig.play_ticks(2 * BAR + 30, CALL, start=True)  # line 2 plays, 3 and 4 are written ahead
    rig.step(Fill())
    rig.play_ticks(4 * BAR)
    rig.midi(STOP)
    assert downbeats(rig) == [(1, "groove"), (2, "groove"), (3, "fill"), (4, "groove"), (5, "groove"), (6, "groove")]


def test_the_fill_note_and_cc_ask_for_fills_and_are_not_part_of_the_call():
    rig = rig_for("call_response", mode={"response_bars": 4}, triggers={"fill_note": 52, "fill_cc": 80})
    rig.play_ticks(BAR + 30, CALL, start=True)
    rig.midi(NOTE_ON | 9, 52, 100)  # inside the answer's first bar: bar 3 is a fill
    rig.play_ticks(BAR)
    rig.midi(CONTROL_CHANGE | 9, 80, 30)  # below 64: nothing
    rig.midi(CONTROL_CHANGE | 9, 80, 127)  # inside line 2: bar 4 is a fill
    rig.play_ticks(3 * BAR)
    rig.midi(STOP)
    assert downbeats(rig) == [(1, "groove"), (2, "fill"), (3, "fill"), (4, "groove")]
    assert [line for line in rig.logs if "fill" in line] == [
        "note 52: fill",
        "fill: bar 3",
        "CC 80 = 127: fill",
        "fill: bar 4",
    ]


def test_a_trigger_on_a_channel_not_listened_to_is_logged_once_and_ignored():
    rig = rig_for(
        "call_response",
        mode={"response_bars": 4},
        input={"channel": 10},
        triggers={"fill_note": 49, "cc": 81},
    )
    rig.play_ticks(BAR + 30, CALL, start=True)
    for _ in range(3):
        rig.midi(NOTE_ON | 2, 49, 100)  # channel 3
    rig.midi(CONTROL_CHANGE | 2, 81, 127)
    rig.midi(CONTROL_CHANGE | 2, 7, 127)  # not a trigger: nothing to say
    rig.play_ticks(4 * BAR)
    rig.midi(STOP)
    assert "groove" in {kind for _line, kind in downbeats(rig)} and "fill" not in {k for _l, k in downbeats(rig)}
    warnings = [line for line in rig.logs if "channel 3" in line]
    assert warnings == [
        "fill note 49 came on channel 3; the bridge listens on channel 10 only ([input] channel): ignored",
        "trigger CC 81 came on channel 3; the bridge listens on channel 10 only ([input] channel): ignored",
    ]


def test_a_style_cc_changes_the_style_and_rewrites_the_bars_ahead():
    rig = rig_for("call_response", mode={"response_bars": 4}, midi_cc={"style": 21})
    rig.play_ticks(BAR + 30, CALL, start=True)
    rig.midi(CONTROL_CHANGE | 9, 21, 127)
    rig.play_ticks(4 * BAR)
    rig.midi(STOP)
    assert rig.core.controls.style == "soul"  # the last of the shipped model's styles
    rewrite = rig.jobs[-1]
    assert isinstance(rewrite, Job) and rewrite.request.style == "soul" and rewrite.generate_from == 2
    assert "model controls changed: bars 3-5 written again" in rig.logs


def test_fill_every_and_density_reach_the_jobs_request():
    rig = rig_for("continuous", generation={"fill_every": 4, "density": 1.5, "style": "funk"})
    rig.play_ticks(2 * BAR, CALL, start=True)
    rig.step(SetControls(rig.core.controls.with_changes(fill_every=2)))
    rig.play_ticks(BAR)
    rig.midi(STOP)
    requests = [job.request for job in rig.jobs if isinstance(job, Job) and job.bars]
    assert (requests[0].style, requests[0].density, requests[0].fill_every) == ("funk", 1.5, 4)
    assert requests[-1].fill_every == 2
