"""One shaping path (issue 12): offline generation gives what the live bridge plays after the same call,
for the same preset and random seed: the real worker and model in the core with fake time, against
bridge.live.offline.play_after (what `beatgen generate --preset` and the offline screen use)."""

from __future__ import annotations

import pytest

from bridge.live.bar_history import GENERATED
from bridge.live.offline import play_after
from bridge.settings.controls import Controls
from tests.live.core_rig import STOP, CoreRig, ModelWorker, preset

BAR = 96
# A two-bar call on the 16th grid: hats on 8ths, kick on 1 and the "and" of 3, snare on 2 and 4.
CALL = {tick: [(42, 70)] for tick in range(0, 2 * BAR, 12)}
for bar_start in (0, BAR):
    CALL[bar_start] = CALL[bar_start] + [(36, 100)]
    CALL[bar_start + 60] = CALL.get(bar_start + 60, []) + [(36, 90)]
    CALL[bar_start + 24] = CALL[bar_start + 24] + [(38, 95)]
    CALL[bar_start + 72] = CALL[bar_start + 72] + [(38, 95)]

PRESETS = {
    "default feel": {"generation": {"random_seed": 11}},
    "style, density, fills, feel": {
        "generation": {"random_seed": 5, "style": "funk", "density": 1.3, "fill_every": 4, "temperature": 1.1},
        "feel": {"swing": 0.4, "humanize_ms": 6.0, "velocity_scale": 0.8, "quantize": 0.5},
        "drums": {"mute": ["ride"], "lock": ["closed_hh"]},
    },
}


@pytest.mark.parametrize("name", PRESETS)
def test_generate_with_a_preset_plays_what_the_live_bridge_plays(model, name):
    values = {"mode": {"kind": "call_response", "listen_bars": 2, "response_bars": 4}, **PRESETS[name]}
    rig = CoreRig(values, worker=ModelWorker(model))
    rig.play_ticks(6 * BAR + 10, CALL, start=True)
    rig.midi(STOP)
    live = {view.bar: list(view.hits) for view in rig.core.performance.history.copy() if view.source == GENERATED}
    call = [rig.core.performance.call_bars[line] for line in (0, 1)]
    assert sorted(live) == [2, 3, 4, 5]

    controls = Controls.from_preset(preset(values))
    offline = play_after(model, call, 4, controls, bpm=rig.bpm)
    # Humanize spreads by the tempo: live it is the clock's estimate, a hair off 120 BPM.
    assert notes(offline) == notes([live[line] for line in (2, 3, 4, 5)])
    assert all(bar for bar in offline), "the answer has notes"


def notes(bars: list) -> list:
    return [[(round(hit.time, 9), hit.drum, hit.velocity) for hit in bar] for bar in bars]
