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

import numpy as np

from bridge.live.events import Downbeat, GeneratedBar, Job, Preview, WorkerError
from bridge.model.controls import sampling_for_model
from bridge.model.step_model import StepModel
from bridge.model.stream import LiveStream
from bridge.music.hits import Hit
from bridge.system.priority import WORKER_PRIORITY, raise_bridge_priority


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

    def cancel(self, epoch: int) -> None:
        """Drop every job older than `epoch`, queued or running (a running one stops between bars)."""
        self.epoch = max(self.epoch, epoch)

    def shutdown(self) -> None:
        self.cancel(self.epoch + 1)
        self.jobs.put(None)

    def run(self) -> None:
        raise_bridge_priority(WORKER_PRIORITY)  # it holds the GIL the engine thread waits for (see priority.py)
        while (job := self.jobs.get()) is not None:
            self.busy.set()
            try:
                self.handle(job)
            finally:
                self.busy.clear()

    def handle(self, job: Job | Preview) -> None:
        """Carry out one job on the calling thread; its results go to `results` as they are written."""
        if job.epoch < self.epoch:
            return
        try:
            if isinstance(job, Preview):
                self._hear_ahead(job)
            else:
                self._run(job)
        except Exception as error:  # noqa: BLE001 - report to the engine, keep serving
            self.results.put(WorkerError(f"generation failed: {type(error).__name__}: {error}"))

    def _hear_ahead(self, preview: Preview) -> None:
        stream = self.stream
        stream.plan.request = preview.request
        if preview.starts_call and not stream.stands_fresh_at(preview.line):
            stream.reset(preview.line)
        if stream.line == preview.line:  # else the stream is not in step with the call: the cut hears it all
            stream.hear_ahead(preview.hits, preview.until)

    def _run(self, job: Job) -> None:
        stream = self.stream
        stream.plan.request = job.request  # from the first token fed: a reset feeds a bar line
        if job.reset_at is not None:
            if not stream.stands_fresh_at(job.reset_at):  # where a preview started the call, keep what it heard
                stream.reset(job.reset_at)
            self.rng = np.random.default_rng(job.random_seed if job.random_seed >= 0 else None)
        if job.rewind_to is not None and not stream.rewind(job.rewind_to):
            stream.reset(job.rewind_to)  # too far back to remember: the model starts fresh there
        if stream.line is None:
            stream.reset(job.hear[0][0] if job.hear else job.generate_from or 0)
        self._plan_bars(job)
        for _line, hits in job.hear:
            stream.hear_bar(hits)
        settings = sampling_for_model(stream.continuer.model.info, job.settings)
        for index in range(job.bars):
            if job.epoch < self.epoch:
                return
            assert job.generate_from is not None  # a job with bars to write says where they start
            line = job.generate_from + index
            sent: list[int] = []

            def send_downbeat(hits: list[Hit], line: int = line, sent: list[int] = sent) -> None:  # during play_bar
                sent.append(line)
                self.results.put(Downbeat(job.epoch, line, hits))

            # Only the first bar can be urgent: the others are written while it plays.
            hits = stream.play_bar(settings, self.rng, send_downbeat if index == 0 else None)
            self.results.put(GeneratedBar(job.epoch, line, hits, job.loop, downbeat_sent=bool(sent)))

    def _plan_bars(self, job: Job) -> None:
        """Tell the stream's plan which bars are played and which the model writes, before any is fed:
        a bar line carries the conditions of the bar it opens."""
        stream = self.stream
        for offset in range(len(job.hear)):
            stream.plan.hearing(stream.bar + offset)
        first_written = stream.bar + len(job.hear)
        if job.bars and job.generate_from is not None:
            stream.plan.will_write(first_written, job.generate_from, job.request)
        else:
            stream.plan.hearing(first_written)  # only hearing: the call goes on
