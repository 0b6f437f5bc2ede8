"""MIDI ports: the only module that touches python-rtmidi.

On Linux (ALSA sequencer or JACK) and macOS (CoreMIDI) the bridge creates two
virtual ports that the DAW sees: "Beat Generation In" (the DAW sends the drum
track and MIDI clock there) and "Beat Generation Out" (the DAW listens to it).
Windows' MME API has no virtual ports, so there the bridge opens existing
ports (loopMIDI or Windows MIDI Services loopbacks) whose names contain the
requested names, and says so.

Incoming messages are stamped with time.monotonic() as soon as they are
handed over and passed to a callback.  ALSA, CoreMIDI and WinMM call back
from a driver thread of their own.  JACK would call back from its realtime
process thread, where waiting for Python's GIL makes the whole JACK graph
miss its deadline (xruns, lost clock ticks), so on JACK a small thread of
ours polls rtmidi's lock-free queue instead, every POLL_INTERVAL_S.  The
poll time would add up to that interval of jitter, so polled messages are
stamped from rtmidi's own delta times (taken in the JACK thread) anchored to
time.monotonic() (input_edge.ArrivalStamps).  rtmidi is asked to drop
nothing, and the bridge drops sysex and Active Sensing itself: input_edge.py
says why, and why JACK gets a keepalive client that also tells when the
server is gone.  On JACK the server's period is asked too (jack_period): the
clock needs it to tell a tick JACK delivered twice from two ticks of one
period.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import rtmidi

from bridge.midi_io.input_edge import KEEPALIVE_MESSAGE, ArrivalStamps, ServerWatch, is_dropped, swallowed_messages
from bridge.system.native_output import native_stderr_silenced
from bridge.system.priority import raise_bridge_priority

DEFAULT_IN_NAME = "Beat Generation In"
DEFAULT_OUT_NAME = "Beat Generation Out"
CLIENT_NAME = "Beat Generation"

BACKEND_APIS = {
    "alsa": rtmidi.API_LINUX_ALSA,
    "jack": rtmidi.API_UNIX_JACK,
    "coremidi": rtmidi.API_MACOSX_CORE,
    "winmm": rtmidi.API_WINDOWS_MM,
}
VIRTUAL_BACKENDS = ("alsa", "jack", "coremidi")
HINTS = {
    "alsa": "no ALSA sequencer (load it with `modprobe snd-seq`; containers need /dev/snd/seq) - or use --backend jack",
    "jack": "no JACK server running (start `jackd`, or run the bridge under PipeWire's `pw-jack`)",
    "coremidi": "CoreMIDI is only available on macOS",
    "winmm": "Windows MIDI (winmm) is only available on Windows",
}

MessageCallback = Callable[[list, float], None]
POLL_INTERVAL_S = 0.001
POLLED_BACKENDS = ("jack",)
SERVER_GONE = (
    "the JACK server stopped answering (no input for {seconds:.0f} s, not even our keepalive): "
    "it quit or dropped the bridge"
)


class PortError(OSError):
    """No usable MIDI system or port; the message says what was tried and what to do."""


def auto_backends(platform: str = sys.platform) -> tuple[str, ...]:
    """Backends `--backend auto` tries, in order, on this platform."""
    if platform.startswith("linux"):
        return ("alsa", "jack")
    if platform == "darwin":
        return ("coremidi",)
    if platform.startswith(("win", "cygwin")):
        return ("winmm",)
    return ("alsa", "jack")


def _client(kind: type, backend: str, name: str):
    """An rtmidi MidiIn/MidiOut on `backend`, or PortError saying why not."""
    if BACKEND_APIS[backend] not in rtmidi.get_compiled_api():
        raise PortError(f"{backend}: {HINTS[backend]} (not compiled into this python-rtmidi)")
    try:
        with native_stderr_silenced():  # libjack/ALSA print their own complaints on failure
            return kind(rtapi=BACKEND_APIS[backend], name=name)
    except (SystemError, RuntimeError, rtmidi.SystemError):
        # rtmidi's own words ("MidiInAlsa::initialize: error creating ALSA sequencer client object.",
        # "JACK server not running?") say what the hint says, less helpfully: the user reads it once.
        raise PortError(f"{backend}: {HINTS[backend]}") from None


@dataclass
class MidiPorts:
    """An open input/output pair; `send` is safe to call from one thread at a time."""

    backend: str
    input_name: str
    output_name: str
    virtual: bool
    _midi_in: rtmidi.MidiIn = field(repr=False)
    _midi_out: rtmidi.MidiOut = field(repr=False)
    _poller: _Poller | None = field(default=None, repr=False)
    # Seconds between the batches the backend hands input over in (JACK's period), where known.
    input_period: float | None = None
    # Why each backend tried before this one (--backend auto) could not open ports.
    passed_over: tuple[str, ...] = ()

    @property
    def fault(self) -> str | None:
        """Why these ports can no longer play (the JACK server gone), or None while they work."""
        return self._poller.fault if self._poller is not None else None

    def send(self, message) -> None:
        """Send, or drop once the ports are faulted: rtmidi's JACK output spins, holding the GIL, on a
        full buffer, and with no server nothing empties it."""
        if self._poller is None or self._poller.fault is None:
            self._midi_out.send_message(message)

    @property
    def output_period(self) -> float | None:
        """Seconds between the moments the output port writes what was sent, where known: rtmidi's
        JACK output writes every event at frame 0 of the next period (the server's, as for input).
        ALSA, CoreMIDI and WinMM pass an event on when it is sent."""
        return self.input_period if self.backend == "jack" else None

    def describe(self) -> str:
        kind = "virtual ports" if self.virtual else "existing ports"
        period = f", period {self.input_period * 1000:.2f} ms" if self.input_period else ""
        return f"{self.backend}: {kind} in={self.input_name!r} out={self.output_name!r}{period}"

    def close(self) -> None:
        if self._poller is not None:
            self._poller.stop()
        ports = [self._midi_in, self._midi_out] + (
            [self._poller.keepalive] if self._poller and self._poller.keepalive else []
        )
        for port in ports:
            try:
                port.cancel_callback() if port is self._midi_in else None
                port.close_port()
                port.delete()
            except Exception:  # noqa: S110 - closing must go on for the other port whatever happens
                pass


def open_ports(
    on_message: MessageCallback,
    backend: str = "auto",
    in_name: str = DEFAULT_IN_NAME,
    out_name: str = DEFAULT_OUT_NAME,
    platform: str = sys.platform,
) -> MidiPorts:
    """Open the bridge's input and output on the first backend that works.

    `on_message(bytes_list, monotonic_time)` runs on the driver's thread (our
    poller on JACK) for every incoming message but sysex and Active Sensing.
    A port name another client already has is refused (PortError): the DAW
    would see two ports of that name and no word of which is which.  Raises
    PortError listing every backend tried and why it failed; where a later one
    worked, the earlier ones' reasons are in `passed_over`.
    """
    if backend != "auto" and backend not in BACKEND_APIS:
        raise PortError(f"unknown backend {backend!r}; choose from auto, {', '.join(BACKEND_APIS)}")
    candidates = auto_backends(platform) if backend == "auto" else (backend,)
    failures = []
    for name in candidates:
        try:
            ports = _open_on(name, on_message, in_name, out_name)
        except PortError as error:
            failures.append(str(error))
            continue
        ports.passed_over = tuple(failures)
        return ports
    tried = "; ".join(failures)
    raise PortError(f"no MIDI backend could open ports (tried {', '.join(candidates)}): {tried}")


def _open_on(backend: str, on_message: MessageCallback, in_name: str, out_name: str) -> MidiPorts:
    # Before our clients exist: a short-lived JACK client that closes while this process is opening
    # its second client can leave that one dead (devtools/jack_rig.py, "JACK facts").
    period = jack_period() if backend == "jack" else None
    midi_in = _client(rtmidi.MidiIn, backend, CLIENT_NAME)
    midi_out = _client(rtmidi.MidiOut, backend, CLIENT_NAME)
    try:
        if backend in VIRTUAL_BACKENDS:
            _refuse_taken_names(backend, midi_in.get_ports(), midi_out.get_ports(), in_name, out_name)
            midi_in.open_virtual_port(in_name)
            midi_out.open_virtual_port(out_name)
            names, virtual = (in_name, out_name), True
        else:
            names, virtual = _open_existing(midi_in, midi_out, in_name, out_name), False
    except (rtmidi.RtMidiError, SystemError, PortError) as error:
        midi_in.delete()
        midi_out.delete()
        raise error if isinstance(error, PortError) else PortError(f"{backend}: cannot open ports ({error})") from None
    # Nothing is dropped by rtmidi, sysex and Active Sensing included: input_edge.py says why.
    midi_in.ignore_types(sysex=False, timing=False, active_sense=False)
    if backend in POLLED_BACKENDS:
        poller = _Poller(midi_in, on_message, _keepalive(backend, in_name))
        return MidiPorts(backend, names[0], names[1], virtual, midi_in, midi_out, poller, period)
    midi_in.set_callback(_edge_callback(on_message))
    return MidiPorts(backend, names[0], names[1], virtual, midi_in, midi_out)


def _edge_callback(on_message: MessageCallback):
    """A driver-thread callback: stamp at once, drop what the bridge never uses (input_edge.is_dropped)."""

    def callback(event, _data) -> None:
        now = time.monotonic()
        if not is_dropped(event[0]):
            on_message(event[0], now)

    return callback


def _refuse_taken_names(backend: str, outputs: list[str], inputs: list[str], in_name: str, out_name: str) -> None:
    """PortError when a port of either name exists: another bridge (or app) already has it.

    JACK would rename our client and the DAW would see two ports of one name;
    `outputs`/`inputs` are what our input/output clients can connect to."""
    for wanted, existing in ((in_name, inputs + outputs), (out_name, outputs + inputs)):
        taken = [name for name in existing if port_name_matches(name, wanted)]
        if taken:
            raise PortError(
                f"{backend}: a MIDI port named {wanted!r} already exists ({taken[0]}): is another Beat Generation "
                "bridge running? Stop it, or give this one other names with --in NAME --out NAME"
            )


def port_name_matches(listed: str, wanted: str) -> bool:
    """Whether a port as rtmidi lists it ("client:port" on JACK, "client:port 128:0" on ALSA, the bare
    name on CoreMIDI) is the port named `wanted`."""
    return re.fullmatch(rf"(?:.*:)?{re.escape(wanted)}(?: \d+:\d+)?", listed) is not None


def _keepalive(backend: str, in_name: str):
    """An output client of ours connected to our own input: input_edge.py says what it is for."""
    keepalive = _client(rtmidi.MidiOut, backend, f"{CLIENT_NAME} keepalive")
    targets = [index for index, name in enumerate(keepalive.get_ports()) if port_name_matches(name, in_name)]
    if len(targets) != 1:
        keepalive.delete()
        raise PortError(f"{backend}: our input port {in_name!r} is not listed once by JACK ({len(targets)} found)")
    keepalive.open_port(targets[0], "keepalive")
    return keepalive


class _Poller(threading.Thread):
    """Drains rtmidi's input queue from a thread of ours (see the module docstring for why).

    It also sends the keepalive and sets `fault` when the input has been
    silent for input_edge.SILENT_SERVER_S (the server is gone).
    """

    def __init__(self, midi_in, on_message: MessageCallback, keepalive=None) -> None:
        super().__init__(name="beatgen-midi-in", daemon=True)
        self.midi_in, self.on_message, self.keepalive = midi_in, on_message, keepalive
        self.fault: str | None = None
        self._stopping = threading.Event()
        self.start()

    def run(self) -> None:
        raise_bridge_priority()  # stamps arrivals: a late poll is a late stamp (see bridge/priority.py)
        get_message, sleep, now = self.midi_in.get_message, time.sleep, time.monotonic
        stamps = ArrivalStamps()
        watch = ServerWatch(now())
        while not self._stopping.is_set():
            event = get_message()
            if event is not None:
                polled = now()
                messages, deltas = [], []
                while event is not None:
                    messages.append(event[0])
                    deltas.append(event[1])
                    event = get_message()
                watch.heard(polled)
                restart = next((i for i, message in enumerate(messages) if swallowed_messages(message)), None)
                for message, stamp in zip(messages, stamps.batch(deltas, polled, restart)):
                    if not is_dropped(message):
                        self.on_message(message, stamp)
            self._watch_server(watch, now())
            sleep(POLL_INTERVAL_S)

    def _watch_server(self, watch: ServerWatch, now: float) -> None:
        if self.keepalive is None or self.fault is not None:
            return
        if watch.silent(now):
            self.fault = SERVER_GONE.format(seconds=now - watch.last_heard)
        elif watch.keepalive_due(now):
            self.keepalive.send_message(KEEPALIVE_MESSAGE)

    def stop(self) -> None:
        self._stopping.set()
        self.join(1.0)


def jack_period() -> float | None:
    """The JACK server's period in seconds (jack_bufsize / jack_samplerate, both in jackd2), or None
    where they are missing or do not answer.  Asked of those tools, not of a client of ours: a
    short-lived second client in this process could leave its other JACK clients dead
    (bridge/jack_rig.py); asked before this process opens any, for the same reason."""
    values = []
    # Never start a server: with none running, the bridge's own ports say so (PortError).
    environment = dict(os.environ, JACK_NO_START_SERVER="1")
    for tool in ("jack_bufsize", "jack_samplerate"):
        if shutil.which(tool) is None:
            return None
        try:
            answer = subprocess.run(
                [tool], capture_output=True, text=True, timeout=3, stdin=subprocess.DEVNULL, env=environment
            )
            if answer.returncode != 0:
                return None
            values.append(int(re.findall(r"\d+", answer.stdout)[0]))
        except (OSError, subprocess.SubprocessError, IndexError):
            return None
    frames, rate = values
    return frames / rate if frames > 0 and rate > 0 else None


def _open_existing(midi_in, midi_out, in_name: str, out_name: str) -> tuple[str, str]:
    """Windows: no virtual ports; open the existing ports whose names contain the requested ones."""
    opened = []
    for port, wanted, role in ((midi_in, in_name, "input"), (midi_out, out_name, "output")):
        available = port.get_ports()
        matches = [i for i, name in enumerate(available) if wanted.lower() in name.lower()]
        if not matches:
            raise PortError(
                f"Windows has no virtual MIDI ports: create a loopback {role} port named {wanted!r} "
                f"(loopMIDI or Windows MIDI Services) or pass --{'in' if role == 'input' else 'out'} with an "
                f"existing port; {role}s now: {available or 'none'}"
            )
        port.open_port(matches[0])
        opened.append(available[matches[0]])
    return opened[0], opened[1]


def list_ports(backend: str) -> tuple[list[str], list[str]]:
    """(inputs, outputs) the backend sees now; PortError when the backend is not available."""
    midi_in = _client(rtmidi.MidiIn, backend, f"{CLIENT_NAME} (list)")
    midi_out = _client(rtmidi.MidiOut, backend, f"{CLIENT_NAME} (list)")
    try:
        return midi_in.get_ports(), midi_out.get_ports()
    finally:
        midi_in.delete()
        midi_out.delete()
