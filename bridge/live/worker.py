"""The inference worker: a thread that owns the model stream and turns plans into generated bars.

The engine thread must never wait for the model, so every model call happens
here.  Jobs arrive on a queue in order; each generated bar goes back to the
engine's inbox as soon as it is written, and the first bar's downbeat goes
ahead of the rest (a Downbeat), so the first note of an answer waits for
the fewest model steps.  Previews of the bar being played let the stream
hear it before its cut, so at the cut only its last moments are left to
hear.  `cancel()` makes every queued or running job stop between bars: the
engine calls it on Stop, on a jump, and when a re-seed replaces bars
already planned.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, field

import numpy as np

from bridge.midi_io.midi_files import Hit
from bridge.model.step_model import StepModel
from bridge.model.stream import LiveStream
from bridge.music.sampling import SamplingSettings
from bridge.system.priority import WORKER_PRIORITY, raise_bridge_priority


@dataclass
class Job:
    epoch: int
    settings: SamplingSettings
    random_seed: int = -1  # applied when the job starts a fresh stream; -1 = not fixed
    reset_at: int | None = None
    rewind_to: int | None = None
    hear: list[tuple[int, list[Hit]]] = field(default_factory=list)
    generate_from: int | None = None
    bars: int = 0
    loop: bool = False


@dataclass(frozen=True)
class Preview:
    """The bar being played so far, for the stream to hear ahead of its cut (LiveStream.hear_ahead)."""

    epoch: int
    line: int  # the bar's own line (where it starts)
    hits: list[Hit]
    until: float  # beats from the bar start: every hit before this has come
    starts_call: bool  # the call starts in this bar: the stream is reset at its line


@dataclass(frozen=True)
class GeneratedBar:
    epoch: int
    line: int
    hits: list[Hit]
    loop: bool
    downbeat_sent: bool = False  # its downbeat hits went ahead as a Downbeat: schedule only the rest


@dataclass(frozen=True)
class Downbeat:
    """The downbeat hits of a job's first bar, sent before the model writes the rest of it: that
    bar's line is often only the cut's 15 ms away (the first bar of an answer or of a re-seed)."""

    epoch: int
    line: int
    hits: list[Hit]


@dataclass(frozen=True)
class WorkerError:
    message: str


class InferenceWorker(threading.Thread):
    def __init__(self, model: StepModel, results: queue.SimpleQueue) -> None:
        super().__init__(name="beatgen-inference", daemon=True)
        self.stream = LiveStream(model)
        self.results = results
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.epoch = 0  # jobs from an older epoch are dropped (written by the engine thread only)
        self.rng = np.random.default_rng()
        self.busy = threading.Event()

    def submit(self, job: Job | Preview) -> None:
        self.jobs.put(job)

    def cancel(self) -> int:
        """Drop everything queued or running; returns the new epoch for the next jobs."""
        self.epoch += 1
        return self.epoch

    def shutdown(self) -> None:
        self.cancel()
        self.jobs.put(None)

    def run(self) -> None:
        raise_bridge_priority(WORKER_PRIORITY)  # it holds the GIL the engine thread waits for (see bridge/priority.py)
        while (job := self.jobs.get()) is not None:
            if job.epoch < self.epoch:
                continue
            self.busy.set()
            try:
                if isinstance(job, Preview):
                    self._hear_ahead(job)
                else:
                    self._run(job)
            except Exception as error:  # noqa: BLE001 - report to the engine, keep serving
                self.results.put(WorkerError(f"generation failed: {type(error).__name__}: {error}"))
            finally:
                self.busy.clear()

    def _hear_ahead(self, preview: Preview) -> None:
        stream = self.stream
        if preview.starts_call and not stream.stands_fresh_at(preview.line):
            stream.reset(preview.line)
        if stream.line == preview.line:  # else the stream is not in step with the call: the cut hears it all
            stream.hear_ahead(preview.hits, preview.until)

    def _run(self, job: Job) -> None:
        stream = self.stream
        if job.reset_at is not None:
            if not stream.stands_fresh_at(job.reset_at):  # where a preview started the call, keep what it heard
                stream.reset(job.reset_at)
            self.rng = np.random.default_rng(job.random_seed if job.random_seed >= 0 else None)
        if job.rewind_to is not None and not stream.rewind(job.rewind_to):
            stream.reset(job.rewind_to)  # too far back to remember: the model starts fresh there
        for line, hits in job.hear:
            if stream.line is None:
                stream.reset(line)
            stream.hear_bar(hits)
        if stream.line is None:
            stream.reset(job.generate_from or 0)
        for index in range(job.bars):
            if job.epoch < self.epoch:
                return
            line, sent = job.generate_from + index, []

            def send_downbeat(hits: list[Hit], line: int = line, sent: list = sent) -> None:  # during play_bar
                sent.append(line)
                self.results.put(Downbeat(job.epoch, line, hits))

            # Only the first bar can be urgent: the others are written while it plays.
            hits = stream.play_bar(job.settings, self.rng, send_downbeat if index == 0 else None)
            self.results.put(GeneratedBar(job.epoch, line, hits, job.loop, downbeat_sent=bool(sent)))
