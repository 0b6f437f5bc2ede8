"""What the live bridge would play for a seed, worked out offline: the inference worker's own code, inline.

`beatgen generate` and the TUI's offline screen continue a MIDI file through
here, so a preset and a random seed give what the bridge plays after hearing
the same call: the same model stream and bar plan (style, density, fills),
the same sampler settings and random draws (the worker seeds its generator
at the call's start), and the same shaping of the notes on their way out
(mute, lock, velocity, swing, quantize, humanize drawn from the random seed
as Performance draws them).
"""

from __future__ import annotations

import queue
from collections.abc import Sequence

from bridge.live.events import GeneratedBar, Job, WorkerError
from bridge.live.worker import InferenceWorker
from bridge.model.step_model import StepModel
from bridge.music.hits import Hit
from bridge.settings.controls import Controls, humanize_rng, shape_bar


class OfflineError(RuntimeError):
    """The model failed while writing (the live bridge would log it and play on)."""


def play_after(
    model: StepModel,
    call: Sequence[list[Hit]],
    bars: int,
    controls: Controls,
    *,
    fill_last: bool = False,
    loop: bool = False,
    bpm: float = 120.0,
) -> list[list[Hit]]:
    """The notes (drum classes, beats from each bar's start) of the `bars` bars the bridge writes after
    hearing `call` (the bars of the call, in order), shaped by `controls`."""
    results: queue.SimpleQueue = queue.SimpleQueue()
    worker = InferenceWorker(model, results)  # its stream is 4/4, as the live bridge's (model.json's meters)
    first = len(call)
    fill_lines = frozenset({first + bars - 1}) if fill_last else frozenset()
    job = Job(
        0, controls.sampling(), controls.random_seed, reset_at=0, hear=list(enumerate(call)),
        generate_from=first, bars=bars, loop=loop, request=controls.bar_request(fill_lines),
    )  # fmt: skip
    worker.handle(job)
    written: list[list[Hit]] = []
    while not results.empty():
        result = results.get()
        if isinstance(result, WorkerError):
            raise OfflineError(result.message)
        if isinstance(result, GeneratedBar):
            written.append(result.hits)
    rng = humanize_rng(controls.random_seed)
    return [
        shape_bar(hits, controls, bpm, rng, call[(first + index) % len(call)] if call else [])
        for index, hits in enumerate(written)
    ]
