"""A private JACK server with MIDI clock, transport, recorders and a groove player.

For end-to-end tests and live benchmarks of the bridge over real JACK MIDI
ports.  Standalone on purpose (stdlib + python-rtmidi, nothing else from
`bridge`), so it can test the bridge without sharing its bugs.  Needs the
Debian packages jackd2 and jack-midi-clock (jackd, jack_lsp, jack_transport,
jack_midi_dump, jack_midi_clock) and libjack.so.0.

    with JackRig(period=256).start() as rig:
        clock = rig.start_clock(120)          # "jack_midi_clock:mclk_out"
        recorder = rig.record(clock)          # jack_midi_dump, connected
        rig.activate_in_this_process()        # rtmidi JACK clients -> rig
        player = ClockedPlayer([(0, 36, 100), (12, 38, 90)], rig=rig)
        clock_in, notes_out = player.open()
        rig.connect(clock, clock_in)
        rig.connect(notes_out, recorder.port)
        rig.transport("locate 0", "play")
        ...
        events = recorder.stop()              # [(seconds, b"\\x99$d"), ...]

API
---
JackRig(rate=48000, period=64, name=None, realtime=False)  context manager; __exit__ closes.
  realtime=True runs jackd -R (as JACK users do; needs realtime_allowed()).
    name: JACK server name; by default start() picks the first of
    "beatgen-test-1".."beatgen-test-16" that no server answers to (not a
    pid-based name: see JackRig._start_server), so a rig never touches a
    user's default server and concurrent rigs never share one.
  .start(timeout=10.0) -> self   jackd -n NAME --no-realtime -d dummy -r RATE
                                 -p PERIOD; waits until jack_lsp answers;
                                 RigError with jackd's output tail on failure.
  .env() -> dict                 os.environ + JACK_DEFAULT_SERVER=NAME,
                                 JACK_NO_START_SERVER=1, for child processes.
  .activate_in_this_process()    the same two variables in os.environ, so
                                 python-rtmidi JACK clients opened afterwards
                                 in this process join the rig (verified);
                                 close() restores the previous values.
  .start_clock(bpm, force_bpm=False, resync_delay=None) -> clock port name
                                 (jack_midi_clock -b BPM [-B] [-d SEC]);
                                 .stop_clock(); .clock_port.
  .transport(*commands)          "play", "stop", "locate FRAME", "tempo BPM",
                                 or any other jack_transport command
                                 ("master", "release"...); each returns once
                                 JACK has applied it.
  .transport_state() -> TransportState(state, frame, bbt, bpm)
  .log() -> str, .xruns() -> int jackd's output; its lines about xruns.
  .ports(pattern="") -> [names]  port names containing pattern (listed by the
                                 transport agent's client, not by jack_lsp).
  .wait_for_port(pattern, timeout=5.0) -> full port name (an exact match
                                 wins; otherwise exactly one must contain it).
  .connect(source, destination, timeout=2.0)   through the agent's client;
                                 retried while JACK refuses it (a client's
                                 ports appear before it is active); returns
                                 once the running graph has the connection.
  .disconnect(source, destination, timeout=2.0)   undo connect().
  .kill_server(signum=SIGKILL)   kill jackd as a crash would; clients are left
                                 to notice.
  .unfinished_clients() -> [names]   clients jackd's log names as late or dead
                                 ("was not finished"); also in transport errors.
  .record(*sources) -> MidiRecorder   jack_midi_dump -a, sources connected.
  .close()                       players, recorders, clock, transport helper,
                                 then jackd; idempotent, also run at exit.
  .processes() -> [Popen]        its children still running (for tests).

MidiRecorder: .port (its JACK input), .events() -> [(seconds, bytes)] so
  far, .frame_events() -> [(frame, bytes)], .stop() -> final events.
ClockedPlayer(notes, client_name="groove-player", rig=None, channel=9,
  note_ticks=3, loop_ticks=None): a "DAW" playing (tick, note, velocity)
  notes on MIDI clock.  .open() -> (clock input port, note output port),
  also kept as .clock_in/.notes_out; .sent -> [(tick, bytes)]; .close();
  with rig, open() activates the rig in this process and rig.close()
  closes the player too.
PlayerProcess(notes, rig, channel=0, loop_ticks=None): the same player in
  a child process (what LiveSession and the tests use; see its docstring);
  .open() -> (clock input, note output), .close() before the rig's.

What jack_midi_clock 0.4.3 sends (measured with this rig, JACK 1.9.21)
----------------------------------------------------------------------
Tempo: with no timebase master, `-b BPM` alone sets it; `-B` (force_bpm)
also ignores a master's tempo (but still sends SPP when a master exists).
Clock ticks are exactly rate*60/bpm/24 frames apart (1000 frames at 120 BPM
and 48 kHz), each at its exact frame inside the period.  Start, Stop, SPP
and Continue are at frame 0 of a cycle, except the delayed Continue below.
Without a timebase master (the default here):
- play at frame 0: Start (0xFA) in the first (Starting) cycle; tick 0 at
  frame 0 of the next cycle, one period after Start; then every interval.
- stop: Stop (0xFC).  No Song Position Pointer, ever (it needs BBT).
- play at frame > 0: Stop + Continue (0xFC 0xFB) in one cycle (a second
  Stop, though stopped already), no tick in that cycle; the first tick one
  interval later.
- locate while stopped: nothing.  Locate while rolling: as play at the new
  frame (Start at 0, else Stop + Continue).
With a timebase master (transport("tempo BPM") makes a jack_transport
helper the master; "release" ends it):
- the clock follows the master's tempo at once, also while rolling.
- stop: Stop + SPP.  Locate while stopped: SPP.  Play at 1|1|0: Start.
- play at frame > 0: SPP (a Stop first unless an SPP was the last thing
  sent), ticks one interval later, and Continue only when the song reaches
  the SPP, which points resync_delay (default 2 s) ahead: ticks run during
  the wait, and the Continue shares a tick's frame.  The SPP sent on
  stop/locate points that far ahead too (except at 1|1|0).
- "release" while rolling: Stop + Continue, then ticks at -b BPM.
- locate while rolling is broken in JACK 1.9.21 with jack_transport as
  master: the transport often stays in Starting and loses the locate, so
  transport() refuses it (RigError); stop, locate, play instead.
Each transport() command waits until JACK has applied it; a locate and a
play requested in the same cycle would make the clock see "play at the old
frame", so transport("locate 0", "play") is the way to get a clean Start.

jack_midi_dump -a output, one line per event
--------------------------------------------
"%7d:" frame, then " %02x" per byte, then for note on/off and control
change a description: "  29440: 99 24 64 note on  (channel  9): pitch  36,
velocity 100".  The frame counts from the dump client's own first cycle
(not jack_frame_time), so times compare within one recorder only: record
every port of interest with the same recorder.  Times are frame-accurate
(each event keeps its offset inside its period).  jack_midi_dump drops what
is still queued when it quits, so stop() waits a few cycles first.

Timing of python-rtmidi JACK clients
------------------------------------
Output: send_message() goes through a ring buffer that the output client
empties at frame 0 of its next process cycle, so sent events are quantised
to period starts.  A note sent from an input callback lands at frame 0 of
the same cycle as the tick that caused it (up to one period *before* the
tick's frame) or of the next one.  Input: the callback runs in the input
client's JACK thread; its delta times are period-quantised too.
Without realtime scheduling, period 64 gives xruns on a small machine
(late clients shift or lose events); period 256 ran clean here.  With
realtime=True (jackd -R, SCHED_FIFO process threads for the server and for
every client, the way JACK is normally run) period 64 runs clean too.
Check rig.xruns() before trusting a measurement.

JACK facts that shaped the rig
------------------------------
- libjack binds a whole process to the first server it connects to: a
  second in-process client opened with another server name silently reads
  and drives the first server's transport.  So the rig keeps no libjack
  client in this process; transport control runs in a child (this file
  with --transport-agent).  Close one rig's rtmidi clients before opening
  another rig's in the same process.
- Never a short-lived client (jack_lsp, jack_connect) while the rig runs:
  ports are listed and connected by the transport agent's long-lived client.
  libjack (JACK 1.9.21, and the copy in python-rtmidi's wheel) keeps one
  table of other clients' wake-up futexes per process, indexed by refnum.
  A client that closes while a process is inside jack_client_open stays in
  that table (JackLibClient ignores a remove notification that arrives
  before its own open has completed, and connecting a used slot is a
  no-op).  If the process then opens a second client, as `beatgen run` and
  ClockedPlayer do (an rtmidi MidiIn, then a MidiOut), that client gets the
  freed refnum and waits on the dead client's futex forever: /proc/PID/maps
  shows "jack_sem..._lsp (deleted)" and no futex of its own.  With the
  rig's old jack_lsp polling in wait_for_port this hit about 1 LiveSession
  in 4: the bridge's output client never ran a cycle (jackd: "client = Beat
  Generation-01 was not finished"), the graph advanced only every 0.5 s
  (the client time-out), and the transport stayed in Starting until JACK's
  10 s sync time-out, since every active client with a process callback
  must run a cycle before Starting turns into Rolling.  (No client here
  registers a slow-sync callback, and retrying play cannot revive the dead
  client.)
- JACK's server registry has 8 slots; a killed jackd keeps its slot until a
  server of the same name starts again, hence the reusable default names.
- jackd needs 1-2 s to exit on SIGTERM, about 5 s more if one of its
  clients was killed instead of closed, so helpers are closed politely
  first (EOF, SIGINT), and a player's rtmidi clients are deleted, not just
  their ports closed (close_port() keeps the JACK client).
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import dataclasses
import errno
import itertools
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import IO, Any, TypeVar, cast

TICKS_PER_QUARTER = 24
CLOCK, START, CONTINUE, STOP, SONG_POSITION = 0xF8, 0xFA, 0xFB, 0xFC, 0xF2
TOOLS = ("jackd", "jack_lsp", "jack_transport", "jack_midi_dump", "jack_midi_clock")

# JACK transport states (jack/transport.h) and option bits (jack/types.h).
STOPPED, ROLLING, STARTING = 0, 1, 3
_NO_START_SERVER, _SERVER_NAME = 0x01, 0x04
_POSITION_BBT = 0x10

NAME_PREFIX = "beatgen-test-"
REGISTRY_FULL_HINT = (
    "\nJACK's registry of servers (8 slots, /dev/shm/jack-shm-registry) is full, probably of"
    " servers that were killed: start a server under each stale name (they are listed in that"
    " file) and stop it cleanly, or remove the file while no JACK server runs."
)
_names = itertools.count(1)
_live_rigs: set[JackRig] = set()  # strong refs: closed at exit even if dropped


class RigError(RuntimeError):
    """The JACK rig could not do what was asked (the message says why)."""


@dataclass(frozen=True)
class TransportState:
    state: int  # STOPPED, ROLLING or STARTING
    frame: int
    bbt: bool  # a timebase master supplies bar/beat/tick
    bpm: float | None  # the master's tempo, when bbt


def list_ports(env: dict | None = None, pattern: str = "") -> list[str]:
    """Port names from jack_lsp on the server named in env (default os.environ).
    A JackRig lists its ports with rig.ports() instead (see "JACK facts")."""
    # Never let jack_lsp start a server of its own (the default one, on a
    # machine without a sound card, fails noisily and leaves files behind).
    env = dict(os.environ if env is None else env, JACK_NO_START_SERVER="1")
    result = subprocess.run(["jack_lsp"], env=env, capture_output=True, text=True, timeout=10)
    if result.returncode != 0:
        raise RigError(f"jack_lsp failed: {result.stderr.strip()[-500:]}")
    return [line for line in result.stdout.splitlines() if line and pattern in line]


def _server_answers(name: str) -> bool:
    env = dict(os.environ, JACK_DEFAULT_SERVER=name, JACK_NO_START_SERVER="1")
    return subprocess.run(["jack_lsp"], env=env, capture_output=True, timeout=10).returncode == 0


def parse_dump_line(line: str) -> tuple[int, bytes] | None:
    """One `jack_midi_dump -a` line -> (frame, raw bytes); None if it is not an event."""
    stamp, colon, rest = line.partition(":")
    if not colon or not stamp.strip().lstrip("+-").isdigit():
        return None
    data = bytearray()
    # Hex bytes come first; a description ("note on  (channel 9): ...") may follow.
    for token in rest.split():
        if len(token) != 2 or any(c not in "0123456789abcdef" for c in token):
            break
        data.append(int(token, 16))
    return (int(stamp), bytes(data)) if data else None


_Stream = TypeVar("_Stream", bound=IO[Any])


def _piped(stream: _Stream | None) -> _Stream:
    """A Popen stream asked for with PIPE: never None."""
    assert stream is not None
    return stream


def _stop_process(
    process: subprocess.Popen | None, first_signal=signal.SIGTERM, grace: float = 2.0, exit_wait: float = 0.0
) -> None:
    """Wait exit_wait for it to quit by itself, then signal, wait grace, kill.
    Always reaps, so no zombie is left behind.  A JACK client that is killed
    rather than closed costs jackd a client time-out (about 5 s) at exit."""
    if process is None:
        return
    try:
        process.wait(timeout=exit_wait)
        return
    except subprocess.TimeoutExpired:
        pass
    try:
        process.send_signal(first_signal)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def _tail(path: str, limit: int = 2000) -> str:
    try:
        with open(path, errors="replace") as log:
            return log.read()[-limit:]
    except OSError:
        return "(no jackd output)"


class _Position(ctypes.Structure):
    # jack_position_t is packed; these leading fields have the same offsets
    # packed or not.  The tail is reserve, larger than the real remainder.
    _pack_ = 1
    _fields_ = [
        ("unique_1", ctypes.c_uint64),
        ("usecs", ctypes.c_uint64),
        ("frame_rate", ctypes.c_uint32),
        ("frame", ctypes.c_uint32),
        ("valid", ctypes.c_int32),
        ("bar", ctypes.c_int32),
        ("beat", ctypes.c_int32),
        ("tick", ctypes.c_int32),
        ("bar_start_tick", ctypes.c_double),
        ("beats_per_bar", ctypes.c_float),
        ("beat_type", ctypes.c_float),
        ("ticks_per_beat", ctypes.c_double),
        ("beats_per_minute", ctypes.c_double),
        ("reserve", ctypes.c_uint8 * 256),
    ]


def _libjack() -> ctypes.CDLL:
    path = ctypes.util.find_library("jack") or "libjack.so.0"
    lib = ctypes.CDLL(path)
    client = ctypes.c_void_p
    lib.jack_client_open.restype = client
    lib.jack_client_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    lib.jack_client_close.argtypes = [client]
    lib.jack_transport_start.argtypes = [client]
    lib.jack_transport_start.restype = None
    lib.jack_transport_stop.argtypes = [client]
    lib.jack_transport_stop.restype = None
    lib.jack_transport_locate.argtypes = [client, ctypes.c_uint32]
    lib.jack_transport_query.argtypes = [client, ctypes.POINTER(_Position)]
    lib.jack_frame_time.argtypes = [client]
    lib.jack_frame_time.restype = ctypes.c_uint32
    # char** that the caller frees with jack_free: kept as a plain pointer.
    lib.jack_get_ports.restype = ctypes.c_void_p
    lib.jack_get_ports.argtypes = [client, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong]
    lib.jack_free.argtypes = [ctypes.c_void_p]
    lib.jack_free.restype = None
    lib.jack_connect.argtypes = [client, ctypes.c_char_p, ctypes.c_char_p]
    lib.jack_port_by_name.restype = ctypes.c_void_p
    lib.jack_port_by_name.argtypes = [client, ctypes.c_char_p]
    lib.jack_port_connected_to.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    return lib


class _TransportClient:
    """A libjack client (never activated) that starts, stops, locates and
    queries the transport, lists ports and connects them.  Direct calls
    rather than jack_transport, because they can be followed by polling until
    JACK has applied them; and one long-lived client rather than a jack_lsp
    or jack_connect per call, because every short-lived client can leave a
    multi-client process with a dead client (see "JACK facts" in the module
    docstring).  Used only inside the agent process (see _TransportAgent)."""

    def __init__(self, server: str) -> None:
        self._lib = _libjack()
        status = ctypes.c_int()
        # jack_client_open is variadic: the server name follows JackServerName.
        handle = self._lib.jack_client_open(
            b"beatgen-rig-transport",
            _NO_START_SERVER | _SERVER_NAME,
            ctypes.byref(status),
            ctypes.c_char_p(server.encode()),
        )
        if not handle:
            raise RigError(f"libjack could not open a client on server {server!r} (status 0x{status.value:x})")
        self._client: ctypes.c_void_p | None = ctypes.c_void_p(handle)

    def query(self) -> TransportState:
        position = _Position()
        state = self._lib.jack_transport_query(self._client, ctypes.byref(position))
        bbt = bool(position.valid & _POSITION_BBT)
        return TransportState(state, position.frame, bbt, position.beats_per_minute if bbt else None)

    def frame_time(self) -> int:
        return self._lib.jack_frame_time(self._client)

    def start(self) -> None:
        self._lib.jack_transport_start(self._client)

    def stop(self) -> None:
        self._lib.jack_transport_stop(self._client)

    def locate(self, frame: int) -> None:
        if self._lib.jack_transport_locate(self._client, frame) != 0:
            raise RigError(f"jack_transport_locate({frame}) was refused")

    def ports(self) -> list[str]:
        """Every port's full name, in the server's order (as jack_lsp lists them)."""
        names = self._lib.jack_get_ports(self._client, None, None, 0)
        if not names:
            return []
        try:
            array = ctypes.cast(names, ctypes.POINTER(ctypes.c_char_p))
            listed = itertools.takewhile(bool, (array[i] for i in itertools.count()))  # NULL-terminated
            return [name.decode(errors="replace") for name in listed]
        finally:
            self._lib.jack_free(names)

    def connect(self, source: str, destination: str) -> None:
        result = self._lib.jack_connect(self._client, source.encode(), destination.encode())
        if result == errno.EEXIST:
            raise RigError("already connected")
        if result != 0:
            raise RigError(f"refused ({result}): no such ports, not output -> input, or a client not active")

    def disconnect(self, source: str, destination: str) -> None:
        if self._lib.jack_disconnect(self._client, source.encode(), destination.encode()) != 0:
            raise RigError("refused: not connected, or no such ports")

    def connected(self, source: str, destination: str) -> bool:
        """Whether the graph JACK runs now (not only the next one) has the connection."""
        port = self._lib.jack_port_by_name(self._client, source.encode())
        return bool(port) and self._lib.jack_port_connected_to(ctypes.c_void_p(port), destination.encode()) == 1

    def close(self) -> None:
        if self._client:
            self._lib.jack_client_close(self._client)
            self._client = None


def _agent_main(server: str) -> None:
    """The agent's loop: one JSON request line in ([verb, *arguments]), one
    JSON reply line out (["ok", result] or ["error", message])."""
    # The replies get a descriptor of their own; descriptor 1 is pointed at
    # stderr, so what libjack prints itself (all of it with `jackd -v`)
    # cannot end up in a reply.
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)

    def answer(status: str, result=None) -> None:
        replies.write(json.dumps([status, result]) + "\n")

    try:
        client = _TransportClient(server)
    except RigError as error:
        answer("error", str(error))
        return
    answer("ok", "ready")
    commands: dict[str, Callable[..., Any]] = {
        "query": lambda: dataclasses.astuple(client.query()),
        "frame_time": client.frame_time,
        "start": client.start,
        "stop": client.stop,
        "locate": client.locate,
        "ports": client.ports,
        "connect": client.connect,
        "disconnect": client.disconnect,
        "connected": client.connected,
    }
    for line in sys.stdin:
        verb, *arguments = json.loads(line)
        try:
            if verb not in commands:
                raise RigError(f"unknown command {verb!r}")
            answer("ok", commands[verb](*arguments))
        except RigError as error:
            answer("error", str(error))
    client.close()


class _TransportAgent:
    """Transport control from a child process, not from this one: libjack
    (JACK 1.9.21) binds a whole process to the first server it talks to, so a
    second rig's in-process client would silently drive the first rig's
    transport (verified).  The child runs this file with --transport-agent."""

    def __init__(self, env: dict, server: str) -> None:
        self._pending = b""
        self._lock = threading.Lock()  # one request and its reply at a time
        self.process = subprocess.Popen(
            [sys.executable, "-I", os.path.abspath(__file__), "--transport-agent", server],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # libjack's own complaints
            bufsize=0,
        )
        status, reply = json.loads(self._reply(timeout=10))
        if status != "ok":
            raise RigError(f"transport agent: {reply}")

    def _reply(self, timeout: float = 5.0) -> str:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([_piped(self.process.stdout)], [], [], remaining)[0]:
                raise RigError("the transport agent did not answer")
            chunk = os.read(_piped(self.process.stdout).fileno(), 4096)
            if not chunk:
                raise RigError(f"the transport agent exited with {self.process.wait()}")
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        return line.decode()

    def call(self, verb: str, *arguments):
        with self._lock:
            _piped(self.process.stdin).write(json.dumps([verb, *arguments]).encode() + b"\n")
            status, result = json.loads(self._reply())
        if status != "ok":
            raise RigError(f"transport agent: {result}")
        return result

    def query(self) -> TransportState:
        return TransportState(*self.call("query"))

    def frame_time(self) -> int:
        return self.call("frame_time")

    def start(self) -> None:
        self.call("start")

    def stop(self) -> None:
        self.call("stop")

    def locate(self, frame: int) -> None:
        self.call("locate", frame)

    def ports(self) -> list[str]:
        return self.call("ports")

    def connect(self, source: str, destination: str) -> None:
        self.call("connect", source, destination)

    def disconnect(self, source: str, destination: str) -> None:
        self.call("disconnect", source, destination)

    def connected(self, source: str, destination: str) -> bool:
        return self.call("connected", source, destination)

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                _piped(self.process.stdin).close()  # EOF: the agent closes its client and exits
            except OSError:
                pass
        _stop_process(self.process, exit_wait=2.0)


class _TransportShell:
    """A long-lived interactive jack_transport, for what needs a timebase
    master ("master", "tempo BPM"): the master lives only as long as the
    process, so one-shot `echo tempo 90 | jack_transport` would not stick."""

    PROMPT = b"jack_transport> "

    def __init__(self, env: dict) -> None:
        self._output = bytearray()
        self._sent = 0
        self.process = subprocess.Popen(
            ["jack_transport"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            bufsize=0,
        )
        threading.Thread(target=self._read, daemon=True).start()
        self._wait_prompts(1)

    def _read(self) -> None:
        while chunk := os.read(_piped(self.process.stdout).fileno(), 4096):
            self._output.extend(chunk)

    def _wait_prompts(self, count: int, timeout: float = 5.0) -> None:
        # readline prints the next prompt only after the previous command ran.
        deadline = time.monotonic() + timeout
        while self._output.count(self.PROMPT) < count:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RigError(f"jack_transport did not answer: {bytes(self._output[-500:])!r}")
            time.sleep(0.002)

    def send(self, command: str) -> None:
        _piped(self.process.stdin).write(command.encode() + b"\n")
        self._sent += 1
        self._wait_prompts(self._sent + 1)

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                _piped(self.process.stdin).close()  # EOF: jack_transport exits cleanly
            except OSError:
                pass
        _stop_process(self.process, exit_wait=2.0)


class MidiRecorder:
    """A jack_midi_dump client whose output is parsed as it arrives."""

    def __init__(self, rig: JackRig, client_name: str) -> None:
        self.rate = rig.rate
        self._period = rig.period
        self._events: list[tuple[int, bytes]] = []
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            ["jack_midi_dump", "-a", client_name],
            env=rig.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # "Can not lock memory" and the like
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port = rig.wait_for_port(f"{client_name}:input", process=self.process)

    def _read(self) -> None:
        for line in _piped(self.process.stdout):
            event = parse_dump_line(line)
            if event:
                with self._lock:
                    self._events.append(event)

    def frame_events(self) -> list[tuple[int, bytes]]:
        """(frame since the recorder started, raw bytes) received so far."""
        with self._lock:
            return list(self._events)

    def events(self) -> list[tuple[float, bytes]]:
        """(seconds = frame / rate, raw bytes) received so far."""
        return [(frame / self.rate, data) for frame, data in self.frame_events()]

    def stop(self) -> list[tuple[float, bytes]]:
        if self.process.poll() is None:
            # jack_midi_dump prints each cycle's events on the next wake-up
            # and drops what is queued when it quits: let a few cycles pass.
            time.sleep(4 * self._period / self.rate + 0.02)
            # SIGINT is what it handles (it exits after the next cycle);
            # SIGTERM would kill it without flushing.
            _stop_process(self.process, signal.SIGINT, grace=1.0)
        self._reader.join(timeout=2)
        return self.events()


def realtime_allowed() -> bool:
    """Whether this process may use SCHED_FIFO (root, or an rtprio limit): then jackd -R works."""
    try:
        previous = os.sched_getscheduler(0), os.sched_getparam(0)
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    except (AttributeError, OSError):
        return False
    os.sched_setscheduler(0, previous[0], previous[1])
    return True


class JackRig:
    """A private jackd (dummy driver) and the JACK tools around it; see the module docstring."""

    def __init__(
        self, rate: int = 48000, period: int = 64, name: str | None = None, realtime: bool = False,
        port_max: int | None = None,
    ) -> None:  # fmt: skip
        self.rate = rate
        self.period = period
        # jackd --port-max (default 2048): the server's port-buffer segment, which
        # every client maps and counts in its RSS, grows with it (~50 KB a port).
        self.port_max = port_max
        self.realtime = realtime  # jackd -R: SCHED_FIFO for the server and every client's process thread
        self.name = name  # chosen by start() when None
        self._fixed_name = name is not None
        self.clock_port: str | None = None
        self._jackd: subprocess.Popen | None = None
        self._log_path: str | None = None
        self._clock: subprocess.Popen | None = None
        self._recorders: list[MidiRecorder] = []
        self._players: list[ClockedPlayer] = []
        self._transport: _TransportAgent | None = None
        self._shell: _TransportShell | None = None
        self._master = False  # the jack_transport helper is timebase master
        self._saved_env: dict[str, str | None] | None = None

    # -- server ---------------------------------------------------------

    def start(self, timeout: float = 10.0) -> JackRig:
        missing = [tool for tool in TOOLS if shutil.which(tool) is None]
        if missing:
            raise RigError(f"missing JACK tools: {', '.join(missing)} (apt install jackd2 jack-midi-clock)")
        if self._jackd is not None:
            raise RigError("rig already started")
        _live_rigs.add(self)
        try:
            self._start_server(timeout)
            assert self.name is not None  # _start_server chose it
            self._transport = _TransportAgent(self.env(), self.name)
        except BaseException:
            self.close()
            raise
        return self

    def _start_server(self, timeout: float) -> None:
        if self._fixed_name:
            assert self.name is not None  # given to __init__
            if _server_answers(self.name):
                raise RigError(f"a JACK server named {self.name!r} is already running")
            self._launch_jackd(timeout)
            return
        # JACK keeps running servers in a registry of 8 slots
        # (/dev/shm/jack-shm-registry); a server that dies without cleaning
        # up keeps its slot until a server of the same name starts.  So the
        # default names come from a small fixed set, not from pids: a crashed
        # run's slot is reclaimed by the next run instead of leaking.
        for n in range(1, 17):
            self.name = f"{NAME_PREFIX}{n}"
            if _server_answers(self.name):
                continue
            try:
                self._launch_jackd(timeout)
                return
            except RigError as error:
                if "already active" not in str(error):  # another process won this name
                    raise
        raise RigError(f"no free JACK server name {NAME_PREFIX}1..16")

    def _launch_jackd(self, timeout: float) -> None:
        assert self.name is not None  # _start_server chose it
        self._close_jackd()
        log_fd, self._log_path = tempfile.mkstemp(prefix=f"{self.name}-", suffix=".log")
        scheduling = "--realtime" if self.realtime else "--no-realtime"
        ports = ["--port-max", str(self.port_max)] if self.port_max else []
        command = [
            "jackd",
            "-n",
            self.name,
            scheduling,
            *ports,
            "-d",
            "dummy",
            "-r",
            str(self.rate),
            "-p",
            str(self.period),
        ]
        # No device reservation over D-Bus: the dummy driver needs no device.
        env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1")
        with os.fdopen(log_fd, "w") as log:
            self._jackd = subprocess.Popen(
                command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while not _server_answers(self.name):
            if self._jackd.poll() is not None or time.monotonic() > deadline:
                _stop_process(self._jackd)
                hint = REGISTRY_FULL_HINT if "Too many servers" in self.log() else ""
                raise RigError(f"jackd -n {self.name} failed ({self._jackd.returncode}):\n{self.log()[-2000:]}{hint}")
            time.sleep(0.05)
        # A same-named server of another process may have answered; ours
        # would have failed to register by now (registering comes first).
        time.sleep(0.1)
        if self._jackd.poll() is not None:
            raise RigError(f"jackd -n {self.name} failed ({self._jackd.returncode}):\n{self.log()[-2000:]}")

    def log(self) -> str:
        """jackd's output so far (its stdout and stderr)."""
        return _tail(self._log_path, limit=10**7) if self._log_path else ""

    def xruns(self) -> int:
        """Lines of jackd's log about xruns (late clients or driver).  Not 0
        means some cycles ran late and timings measured over them are suspect:
        with --no-realtime on a small machine, try a larger period."""
        return sum("XRun" in line for line in self.log().splitlines())

    def env(self) -> dict:
        return dict(os.environ, JACK_DEFAULT_SERVER=self.name, JACK_NO_START_SERVER="1")

    def activate_in_this_process(self) -> None:
        if self._saved_env is None:
            self._saved_env = {key: os.environ.get(key) for key in ("JACK_DEFAULT_SERVER", "JACK_NO_START_SERVER")}
        assert self.name is not None, "start() the rig first"
        os.environ["JACK_DEFAULT_SERVER"] = self.name
        os.environ["JACK_NO_START_SERVER"] = "1"

    def _restore_env(self) -> None:
        if self._saved_env is None or os.environ.get("JACK_DEFAULT_SERVER") != self.name:
            return  # someone else has switched servers since; leave theirs
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env = None

    @property
    def _agent(self) -> _TransportAgent:
        """The transport agent start() runs with the server."""
        assert self._transport is not None, "the rig is not started"
        return self._transport

    def _require_running(self) -> None:
        if self._jackd is None or self._jackd.poll() is not None:
            raise RigError(f"the JACK server {self.name!r} is not running")

    # -- ports ------------------------------------------------------------

    def ports(self, pattern: str = "") -> list[str]:
        """Port names containing pattern, listed by the transport agent's
        long-lived client (never by a jack_lsp: see "JACK facts" above)."""
        self._require_running()
        return [name for name in self._agent.ports() if pattern in name]

    def wait_for_port(self, pattern: str, timeout: float = 5.0, process: subprocess.Popen | None = None) -> str:
        """The port named pattern, or the one port containing it; waits for it to appear.
        process: a client being started, whose early exit ends the wait."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.ports(pattern)
            if pattern in found:
                return pattern
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise RigError(f"{pattern!r} is ambiguous: {found}")
            if process is not None and process.poll() is not None:
                program = cast("list[str]", process.args)[0]  # every client is started from a list
                raise RigError(f"{program} exited with {process.returncode} before {pattern!r} appeared")
            if time.monotonic() > deadline:
                raise RigError(f"no JACK port matching {pattern!r} after {timeout} s; ports: {self.ports()}")
            time.sleep(0.02)

    def connect(self, source: str, destination: str, timeout: float = 2.0) -> None:
        """Connect two ports through the transport agent's client (no
        jack_connect process).  A client's ports appear before it activates,
        and JACK refuses to connect an inactive client's ports, so a refusal
        is retried until timeout; then waits until the graph JACK runs has
        the connection."""
        self._require_running()
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._agent.connect(source, destination)
                break
            except RigError as error:
                reason = str(error).removeprefix("transport agent: ")
                if reason == "already connected" or time.monotonic() > deadline:
                    raise RigError(f"connect {source} {destination}: {reason}") from None
            time.sleep(0.005)
        # JACK applies a new connection at a cycle boundary; events sent
        # before then (a Start right after) would miss it.
        while not self._agent.connected(source, destination):
            if time.monotonic() > deadline:
                raise RigError(f"connect {source} {destination}: not applied after {timeout} s")
            time.sleep(0.001)

    def disconnect(self, source: str, destination: str, timeout: float = 2.0) -> None:
        """Undo connect(); returns once the graph JACK runs no longer has the connection."""
        self._require_running()
        self._agent.disconnect(source, destination)
        deadline = time.monotonic() + timeout
        while self._agent.connected(source, destination):
            if time.monotonic() > deadline:
                raise RigError(f"disconnect {source} {destination}: not applied after {timeout} s")
            time.sleep(0.001)

    def kill_server(self, signum: int = signal.SIGKILL, timeout: float = 10.0) -> None:
        """Kill jackd as a crash or a user would (its clients are left to notice); the rig is then closed
        but for close() itself.  A SIGKILLed server leaves its registry slot, which the next server of
        the same name reclaims (see _start_server)."""
        assert self._jackd is not None, "start() the rig first"
        self._jackd.send_signal(signum)
        self._jackd.wait(timeout)

    # -- clock and transport ------------------------------------------------

    def start_clock(self, bpm: float, force_bpm: bool = False, resync_delay: float | None = None) -> str:
        """Run jack_midi_clock at bpm while no timebase master is present (and
        always, with force_bpm); returns its output port.  Replaces a running clock."""
        self._require_running()
        self.stop_clock()
        command = ["jack_midi_clock", "-b", str(bpm)]
        if force_bpm:
            command.append("-B")
        if resync_delay is not None:
            command += ["-d", str(resync_delay)]
        quiet: dict[str, Any] = {
            "stdin": subprocess.DEVNULL,
            "stdout": subprocess.DEVNULL,
            "stderr": subprocess.DEVNULL,
        }
        self._clock = subprocess.Popen(command, env=self.env(), **quiet)
        self.clock_port = self.wait_for_port(":mclk_out", process=self._clock)
        return self.clock_port

    def stop_clock(self) -> None:
        # jack_midi_clock quits on SIGINT/SIGHUP (SIGTERM also ends it, uncleanly).
        _stop_process(self._clock, signal.SIGINT)
        self._clock = None
        self.clock_port = None

    def transport_state(self) -> TransportState:
        self._require_running()
        return self._agent.query()

    def transport(self, *commands: str) -> None:
        """Run transport commands in order, each until JACK has applied it:
        "play" (alias "start"), "stop", "locate FRAME", "tempo BPM" (becomes
        timebase master first), or any other jack_transport command."""
        self._require_running()
        for command in commands:
            verb, _, argument = command.strip().partition(" ")
            if verb in ("play", "start"):
                self._agent.start()
                self._wait_transport(lambda s: s.state == ROLLING, command)
            elif verb == "stop":
                self._agent.stop()
                self._wait_transport(lambda s: s.state == STOPPED, command)
            elif verb == "locate":
                self._locate(int(argument))
            elif verb == "tempo":
                self._set_tempo(float(argument))
            else:
                self._shell_send(command)
                self._master = {"master": True, "release": False}.get(verb, self._master)
                self._wait_cycles(3)

    def _locate(self, frame: int) -> None:
        if self._master and self._agent.query().state != STOPPED:
            raise RigError(
                "locate while rolling with jack_transport as timebase master hangs in JACK 1.9.21; stop first"
            )
        self._agent.locate(frame)
        # Applied at a cycle boundary; while rolling, the frame moves on at once.
        self._wait_cycles(3)
        self._wait_transport(
            lambda s: s.state != STARTING and (s.state != STOPPED or s.frame == frame), f"locate {frame}"
        )

    def _set_tempo(self, bpm: float) -> None:
        if not self._master:
            self._shell_send("master")
            self._master = True
        self._shell_send(f"tempo {bpm}")
        state = self._agent.query()
        if state.state == STOPPED:
            # A stopped transport calls the timebase master only on a new
            # position; re-locating to the same frame applies the tempo
            # without moving.  (Away from frame 0 the bar/beat/tick of that
            # frame changes with the tempo, and the clock sends an SPP.)
            self._agent.locate(state.frame)
        self._wait_transport(lambda s: s.bbt and abs(s.bpm - bpm) < 1e-6, f"tempo {bpm}")

    def _shell_send(self, command: str) -> None:
        if self._shell is None:
            self._shell = _TransportShell(self.env())
        self._shell.send(command)

    def _wait_cycles(self, cycles: int, timeout: float = 2.0) -> None:
        start = self._agent.frame_time()
        deadline = time.monotonic() + timeout
        while (self._agent.frame_time() - start) % 2**32 < cycles * self.period:
            if time.monotonic() > deadline:
                raise RigError("the JACK server stopped running cycles")
            time.sleep(self.period / self.rate / 2)

    def _wait_transport(self, done, command: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not done(state := self._agent.query()):
            if time.monotonic() > deadline:
                stuck = self.unfinished_clients()
                hint = f"; clients jackd reports as not finishing their cycles: {stuck}" if stuck else ""
                raise RigError(f"transport {command!r} not applied after {timeout} s: {state}{hint}")
            time.sleep(0.001)

    def unfinished_clients(self, lines: int = 200) -> list[str]:
        """Clients named in jackd's last log lines as "was not finished", most
        often first: late ones (xruns), or a dead one that holds the transport
        in Starting and leads the list (module docstring, "JACK facts")."""
        counts: dict[str, int] = {}
        for line in self.log().splitlines()[-lines:]:
            head, found, rest = line.partition("client = ")
            if found and "XRun" in head and " was not finished" in rest:
                name = rest.split(" was not finished")[0]
                counts[name] = counts.get(name, 0) + 1
        return sorted(counts, key=lambda name: counts[name], reverse=True)

    # -- recording ------------------------------------------------------------

    def record(self, *sources: str) -> MidiRecorder:
        self._require_running()
        recorder = MidiRecorder(self, f"rec-{next(_names)}")
        self._recorders.append(recorder)
        for source in sources:
            self.connect(source, recorder.port)
        return recorder

    # -- teardown -------------------------------------------------------------

    def close(self) -> None:
        """Stop everything this rig started, clients first, then jackd.  Idempotent."""
        for player in list(self._players):  # close() unregisters itself
            player.close()
        for recorder in self._recorders:
            recorder.stop()
        self._recorders.clear()
        if self._shell is not None:
            self._shell.close()
            self._shell = None
            self._master = False
        self.stop_clock()
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        self._close_jackd()
        self._restore_env()
        _live_rigs.discard(self)

    def _close_jackd(self) -> None:
        # SIGTERM lets jackd free its registry slot and its files in /dev/shm;
        # it takes about 1-2 s to exit (longer if a client was killed).
        _stop_process(self._jackd, signal.SIGTERM, grace=10.0)
        self._jackd = None
        if self._log_path:
            try:
                os.unlink(self._log_path)
            except OSError:
                pass
            self._log_path = None

    def processes(self) -> list[subprocess.Popen]:
        """Every child process this rig has started and not yet reaped (for tests)."""
        children = [self._jackd, self._clock, self._shell.process if self._shell else None]
        children.append(self._transport.process if self._transport else None)
        children += [recorder.process for recorder in self._recorders]
        return [child for child in children if child is not None and child.poll() is None]

    def __enter__(self) -> JackRig:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


@atexit.register
def _close_live_rigs() -> None:
    # A test that forgets close() (or dies on an exception outside `with`)
    # must not leave jackd running after the interpreter exits.
    for rig in list(_live_rigs):
        rig.close()


class ClockedPlayer:
    """A "DAW" that plays a drum groove in time with a MIDI clock.

    Two python-rtmidi JACK clients: one listens to MIDI clock on its input
    port, the other sends the notes.  Ticks (24 per quarter note) count from
    the last Start (the first Clock after Start is tick 0) or from a Song
    Position Pointer (position * 6); Continue resumes, Stop pauses (and sends
    the note-offs still pending).  A note (tick, note, velocity) is sent as a
    note-on when the Clock with that index arrives, from inside the rtmidi
    callback, and its note-off note_ticks later.  With loop_ticks, the notes
    repeat every loop_ticks ticks.

    The clients join the JACK server named by os.environ; with rig, open()
    calls rig.activate_in_this_process() first and rig.close() closes the
    player.  JACK renames a client whose name is taken (NAME-01), so open()
    finds its ports by looking for ports that were not there before.
    `sent` lists (tick, message bytes) as sent.
    """

    def __init__(
        self,
        notes: list[tuple[int, int, int]],
        client_name: str = "groove-player",
        rig: JackRig | None = None,
        channel: int = 9,
        note_ticks: int = 3,
        loop_ticks: int | None = None,
    ) -> None:
        self.client_name = client_name
        self.rig = rig
        self.loop_ticks = loop_ticks
        self.sent: list[tuple[int, bytes]] = []
        self._schedule: dict[int, list[list[int]]] = {}
        for tick, note, velocity in notes:
            # Offs before ons at the same tick, so a repeated note retriggers.
            self._at(tick + note_ticks).insert(0, [0x80 | channel, note, 0])
            self._at(tick).append([0x90 | channel, note, velocity])
        self._next_tick = 0
        self._running = False
        self._pending_offs: dict[int, list[int]] = {}
        self._midi_in: Any = None  # rtmidi.MidiIn / MidiOut once open (rtmidi has no type information)
        self._midi_out: Any = None
        self._lock = threading.Lock()
        self.clock_in: str | None = None  # JACK port names, once open
        self.notes_out: str | None = None

    def _at(self, tick: int) -> list[list[int]]:
        if self.loop_ticks:
            tick %= self.loop_ticks
        return self._schedule.setdefault(tick, [])

    def open(self) -> tuple[str, str]:
        """Open the ports; returns (clock input, note output) JACK port names."""
        import rtmidi  # only the player needs it

        if self._midi_in is not None:
            raise RigError("ClockedPlayer is already open")
        if self.rig:
            self.rig.activate_in_this_process()  # rtmidi reads the server name from os.environ
        # With a rig, list through its agent: a jack_lsp closing while the
        # two clients below open could leave the second one dead (module docstring).
        list_ports_now = self.rig.ports if self.rig else list_ports
        before = set(list_ports_now())
        self._midi_in = rtmidi.MidiIn(rtmidi.API_UNIX_JACK, name=self.client_name)
        # Keep timing messages (clock, start, stop...); drop sysex and active sensing.
        self._midi_in.ignore_types(sysex=True, timing=False, active_sense=True)
        self._midi_in.set_callback(self._on_message)
        self._midi_in.open_virtual_port("clock_in")
        self._midi_out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name=self.client_name)
        self._midi_out.open_virtual_port("notes_out")
        if self.rig:
            self.rig._players.append(self)
        deadline = time.monotonic() + 5
        while True:
            new = set(list_ports_now()) - before
            clock_in = [p for p in new if p.endswith(":clock_in")]
            notes_out = [p for p in new if p.endswith(":notes_out")]
            if len(clock_in) == 1 and len(notes_out) == 1:
                self.clock_in, self.notes_out = clock_in[0], notes_out[0]
                return self.clock_in, self.notes_out
            if time.monotonic() > deadline:
                self.close()
                raise RigError(f"ClockedPlayer ports did not appear as expected: {sorted(new)}")
            time.sleep(0.02)

    def _on_message(self, event, _data=None) -> None:
        # Runs in the JACK process thread of the input client.
        message, _delta = event
        status = message[0]
        with self._lock:
            if status == CLOCK:
                if self._running:
                    self._play_tick(self._next_tick)
                    self._next_tick += 1
            elif status == START:
                self._next_tick, self._running = 0, True
            elif status == CONTINUE:
                self._running = True
            elif status == STOP:
                self._running = False
                self._release_all()
            elif status == SONG_POSITION and len(message) == 3:
                self._next_tick = 6 * (message[1] | message[2] << 7)

    def _play_tick(self, tick: int) -> None:
        key = tick % self.loop_ticks if self.loop_ticks else tick
        for message in self._schedule.get(key, ()):
            if message[0] & 0xF0 == 0x80:
                if self._pending_offs.pop(message[1], None) is None:
                    continue  # its note-on was never sent (started mid-note)
            else:
                self._pending_offs[message[1]] = message
            self._send(tick, message)

    def _release_all(self) -> None:
        for note, on in list(self._pending_offs.items()):
            self._send(self._next_tick, [0x80 | (on[0] & 0x0F), note, 0])
        self._pending_offs.clear()

    def _send(self, tick: int, message: list[int]) -> None:
        self._midi_out.send_message(message)
        self.sent.append((tick, bytes(message)))

    def close(self) -> None:
        """Close both clients (before the JACK server goes away).  Idempotent."""
        if self._midi_in is not None:
            self._midi_in.cancel_callback()
            self._midi_in.close_port()
            self._midi_in.delete()  # close_port keeps the JACK client open
            self._midi_in = None
        if self._midi_out is not None:
            with self._lock:
                self._release_all()
            self._midi_out.close_port()
            self._midi_out.delete()
            self._midi_out = None
        if self.rig and self in self.rig._players:
            self.rig._players.remove(self)

    def __enter__(self) -> ClockedPlayer:
        self.open()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def _player_main(server: str, notes, channel: int, loop_ticks: int | None, connection) -> None:
    """PlayerProcess's child: a ClockedPlayer on the rig's server until "close"."""
    os.environ["JACK_DEFAULT_SERVER"], os.environ["JACK_NO_START_SERVER"] = server, "1"
    player = ClockedPlayer(notes, channel=channel, loop_ticks=loop_ticks)
    try:
        connection.send(player.open())
        connection.recv()  # "close"
    finally:
        player.close()
        connection.send("closed")


class PlayerProcess:
    """A ClockedPlayer (the "DAW") in a process of its own; open() -> (clock input, note output).

    In the process that runs the test or the benchmark, the player's JACK
    callback waits for that interpreter's GIL (measured: 20-40 xruns a run
    with a busy UI there, the player named as the late client), and closing
    its clients there once hung jack_client_close for good (a CI run stuck
    in ClockedPlayer.close).  A child waits for nobody, and one that does not
    close within a few seconds is killed.  Close it before the rig.
    """

    def __init__(
        self, notes: list[tuple[int, int, int]], rig: JackRig, channel: int = 0, loop_ticks: int | None = None
    ) -> None:
        self.arguments = (rig.name, notes, channel, loop_ticks)
        self.process: BaseProcess | None = None
        self.connection: Connection | None = None

    def open(self, timeout: float = 15.0) -> tuple[str, str]:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.connection, theirs = context.Pipe()
        self.process = context.Process(
            target=_player_main, args=(*self.arguments, theirs), name="groove-player", daemon=True
        )
        self.process.start()
        theirs.close()
        if not self.connection.poll(timeout):
            self.process.kill()
            raise RigError("the player process did not open its ports")
        return self.connection.recv()

    def close(self) -> None:
        """Idempotent; a no-op before open()."""
        if self.process is None:
            return
        assert self.connection is not None  # opened with the process
        try:
            self.connection.send("close")
            self.connection.poll(5.0)
        except (OSError, EOFError):
            pass
        self.process.join(5.0)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5.0)
        self.process = None


if __name__ == "__main__" and sys.argv[1:2] == ["--transport-agent"]:
    _agent_main(sys.argv[2])
