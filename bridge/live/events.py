"""What goes into the engine core (events, commands, worker results) and what comes out (actions).

All are small frozen dataclasses: the core's whole contract with the world.
The thread shell turns port callbacks, UI and CLI commands and the worker's
results into events, feeds them to `EngineCore.step(event, now)`, and
carries out the actions it returns in order.  Status is not an action: the
shell reads `EngineCore.status()` once after each batch of events, since a
snapshot per event would be built and thrown away at the clock's rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Union

from bridge.model.live_plan import BarRequest
from bridge.music.hits import Hit
from bridge.music.sampling import SamplingSettings

if TYPE_CHECKING:
    from bridge.live.link_timeline import LinkState
    from bridge.live.settings import LiveSettings
    from bridge.settings.controls import Controls
    from bridge.settings.presets import Preset

# -- from the MIDI input and the shell ---------------------------------------------------


@dataclass(frozen=True)
class MidiIn:
    """One packet from the input port, stamped on arrival (monotonic seconds)."""

    packet: tuple[int, ...]
    stamp: float


@dataclass(frozen=True)
class Wake:
    """Nothing arrived: time has moved on to `now` (a deadline came)."""


@dataclass(frozen=True)
class Started:
    """The shell's thread is running: an internal or auto clock starts ticking now."""


@dataclass(frozen=True)
class Closing:
    """The engine is closing: silence everything."""


@dataclass(frozen=True)
class LinkUpdate:
    """A look at the Ableton Link session (link_session.py), its times in monotonic seconds."""

    state: LinkState


@dataclass(frozen=True)
class LinkMissing:
    """The Link session could not be opened (the extra is not installed): the reason, in one line."""

    reason: str


# -- commands (UI, CLI, signals, MIDI triggers) ------------------------------------------


@dataclass(frozen=True)
class Trigger:
    """Answer at the end of this bar; in loop mode regenerate for the next loop boundary."""


@dataclass(frozen=True)
class Listen:
    """Forget the performance and wait for a new call from the next bar line."""


@dataclass(frozen=True)
class Arm:
    """armed=False: stop answering (and listen afresh); True: answer again."""

    armed: bool


@dataclass(frozen=True)
class Panic:
    """All notes off on every channel, now; the model's work in progress is dropped."""


@dataclass(frozen=True)
class SetControls:
    controls: Controls


@dataclass(frozen=True)
class SetBpm:
    """The internal clock's tempo."""

    bpm: float


@dataclass(frozen=True)
class ApplyPreset:
    """A whole preset, read (note maps included) off the engine thread."""

    settings: LiveSettings


@dataclass(frozen=True)
class UsePreset:
    """A preset for the shell (Engine.command) to read into an ApplyPreset on the caller's thread."""

    preset: Preset


@dataclass(frozen=True)
class Fill:
    """A fill on the next bar the model writes, from the next bar line on (a drummer's fill on cue)."""


@dataclass(frozen=True)
class Learn:
    """MIDI learn: while on, the next CC or note-on is reported (EngineStatus.learned), not played."""

    on: bool


@dataclass(frozen=True)
class Undo:
    """Step back to the loop or answer before."""


@dataclass(frozen=True)
class Redo:
    """Step forward to the loop or answer after (or a new one)."""


Command = Union[Trigger, Listen, Arm, Panic, Fill, Learn, SetControls, SetBpm, ApplyPreset, Undo, Redo]  # noqa: UP007


# -- jobs for the inference worker, and what it sends back -------------------------------


@dataclass(frozen=True)
class Job:
    """Bars for the model's stream to hear and to write, in order."""

    epoch: int
    settings: SamplingSettings
    random_seed: int = -1  # applied when the job starts a fresh stream; -1 = not fixed
    reset_at: int | None = None
    rewind_to: int | None = None
    hear: list[tuple[int, list[Hit]]] = field(default_factory=list)
    generate_from: int | None = None
    bars: int = 0
    loop: bool = False
    request: BarRequest = BarRequest()  # style, density and fills of the bars written (a conditioned model)


@dataclass(frozen=True)
class Preview:
    """The bar being played so far, for the stream to hear ahead of its cut (LiveStream.hear_ahead)."""

    epoch: int
    line: int  # the bar's own line (where it starts)
    hits: list[Hit]
    until: float  # beats from the bar start: every hit before this has come
    starts_call: bool  # the call starts in this bar: the stream is reset at its line
    request: BarRequest = BarRequest()  # the controls of now: a reset feeds a bar line with their style


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


WorkerResult = Union[GeneratedBar, Downbeat, WorkerError]  # noqa: UP007
Event = Union[MidiIn, Wake, Started, Closing, LinkUpdate, LinkMissing, Command, WorkerResult]  # noqa: UP007


# -- actions: what the shell carries out, in order ----------------------------------------


@dataclass(frozen=True)
class Send:
    """A MIDI message to the output port, now."""

    message: tuple[int, ...]


@dataclass(frozen=True)
class Submit:
    """A job (or a preview) for the inference worker."""

    job: Job | Preview


@dataclass(frozen=True)
class CancelJobs:
    """The worker drops every job older than `epoch`, queued or running (between bars)."""

    epoch: int


@dataclass(frozen=True)
class Log:
    line: str


@dataclass(frozen=True)
class LinkControl:
    """For the Link session: join (enable) or leave it, share a tempo, or start/stop the peers at `at`
    (monotonic seconds).  Fields left None are left alone."""

    enable: bool | None = None
    tempo: float | None = None
    playing: bool | None = None
    at: float | None = None


Action = Union[Send, Submit, CancelJobs, Log, LinkControl]  # noqa: UP007


class Outbox:
    """The actions of one step, in order; every part of the core writes here."""

    def __init__(self) -> None:
        self.actions: list[Action] = []

    def send(self, messages: Iterable[Iterable[int]]) -> None:
        self.actions.extend(Send(tuple(message)) for message in messages)

    def submit(self, job: Job | Preview) -> None:
        self.actions.append(Submit(job))

    def cancel(self, epoch: int) -> None:
        self.actions.append(CancelJobs(epoch))

    def log(self, line: str) -> None:
        self.actions.append(Log(line))

    def link(self, control: LinkControl) -> None:
        self.actions.append(control)

    def take(self) -> list[Action]:
        actions, self.actions = self.actions, []
        return actions
