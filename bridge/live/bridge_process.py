"""The live bridge in a child process, for the terminal UI: `BridgeProcess`, with LiveBridge's API.

The child (multiprocessing, spawn) runs a LiveBridge: the engine's timing
thread shares a GIL with nothing but the bridge itself, so no amount of
drawing, typing or Python work in the UI can delay a note.

Between the two processes runs one Pipe: the parent sends commands, history
requests and "close"; the child sends log lines, a status snapshot 30 times
a second (its bars only when they changed), replies, and "ready" or the
error that stopped it from opening.  The child never sends from the engine
thread: the engine's log lines go through a queue to a sender thread, so a
parent that stops reading can never block a note.

The child ends in one of two ways.  Asked to ("close", or EOF: the parent is
gone), or by SIGTERM, SIGHUP (a closed terminal signals the whole foreground
process group, the child too) or SIGQUIT: it closes the bridge, every note
switched off, and exits 0.  SIGINT it ignores: ctrl+c reaches the whole
group, and the parent decides.  Or it ends without being asked: a signal it
handles, a fault of the bridge (LiveBridge.fault(), e.g. the JACK server
went away: the child closes and exits), or a death nothing can handle
(SIGKILL, a crash).  The parent then knows why: `exit_reason()` gives a
sentence once the child is gone unexpectedly, for the UI to show.
"""

from __future__ import annotations

import dataclasses
import itertools
import multiprocessing
import queue
import signal
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from bridge.live.runner import (
    CLOSE_TIMEOUT_S,
    KNOWN_ERRORS,
    READY_TIMEOUT_S,
    REPLY_TIMEOUT_S,
    STATUS_HZ,
    TEMPO_LOG_INTERVAL_S,
    LiveBridge,
    Log,
    TempoLog,
    stderr_log,
)
from bridge.midi_io.ports import DEFAULT_IN_NAME, DEFAULT_OUT_NAME
from bridge.model.files import DEFAULT_MODEL_DIR
from bridge.settings.presets import Preset
from bridge.system.priority import raise_bridge_priority


class BridgeProcess:
    """LiveBridge's API with the bridge in a child process (see the module docstring)."""

    def __init__(
        self,
        preset: Preset,
        model_dir: str | Path = DEFAULT_MODEL_DIR,
        variant: str = "float32",
        backend: str = "auto",
        in_name: str = DEFAULT_IN_NAME,
        out_name: str = DEFAULT_OUT_NAME,
        clock: str | None = None,
        log: Log = stderr_log,
    ) -> None:
        self._arguments = {
            "preset": preset, "model_dir": str(model_dir), "variant": variant, "backend": backend,
            "in_name": in_name, "out_name": out_name, "clock": clock,
        }  # fmt: skip
        self.log = log
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None
        self._reader: threading.Thread | None = None
        self._send_lock = threading.Lock()
        self._answered = threading.Event()  # "ready", an error, or the child gone
        self._gone = threading.Event()
        self._startup_error: tuple[str, str] | None = None
        self._description = "not open"
        self._status = None
        self._bars: tuple = ()
        self._replies: dict[int, list] = {}
        self._reply_ready = threading.Condition()
        self._request_ids = itertools.count(1)
        self._closing = False
        self._stop_reason: str | None = None  # what the child said when it stopped by itself (a signal, a fault)
        self._exit_reason: str | None = None

    def open(self) -> BridgeProcess:
        """Start the child and wait (at most READY_TIMEOUT_S) until its ports are open.

        The child's PortError, ModelError, PresetError or NoteMapError is
        raised here as the same class with the child's message.
        """
        if self._process is not None:
            raise RuntimeError("BridgeProcess.open() was called already")
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads or locks copied from the UI
        ours, theirs = context.Pipe(duplex=True)
        self._process = context.Process(
            target=_child_main, args=(theirs, self._arguments), name="beatgen-bridge", daemon=True
        )
        self._process.start()
        theirs.close()  # our copy of the child's end: without it we would never see EOF when the child dies
        self._connection = ours
        self._reader = threading.Thread(target=self._read, name="beatgen-bridge-reader", daemon=True)
        self._reader.start()
        if not self._answered.wait(READY_TIMEOUT_S):
            self._process.terminate()  # still opening: nothing sounds yet
            self._stop_child()
            raise TimeoutError(f"the bridge process did not open its ports within {READY_TIMEOUT_S:g} s")
        if self._startup_error is not None or self._gone.is_set():
            self._stop_child()
            if self._startup_error is None:
                raise RuntimeError(
                    f"the bridge process exited before it was ready (exit code {self._process.exitcode})"
                )
            kind, message = self._startup_error
            raise KNOWN_ERRORS.get(kind, RuntimeError)(message)
        return self

    def describe(self) -> str:
        return self._description

    def exit_reason(self) -> str | None:
        """Why the child stopped when nobody asked it to ("killed by SIGKILL", "the JACK server went away"):
        None while it runs, and after close().  Set the moment the parent sees it gone (its pipe closed
        and the process exited), so a 20 Hz poll notices within a poll of the death."""
        return self._exit_reason

    def command(self, command) -> None:
        """Forward a typed command; a preset's note maps are checked here first, as Engine.command does."""
        from bridge.live.events import UsePreset
        from bridge.live.settings import LiveSettings

        if isinstance(command, UsePreset):
            LiveSettings.from_preset(command.preset)  # a bad note map raises NoteMapError here, not in the child
        self._send(("command", command))

    def status(self):
        """The latest snapshot the child pushed (at most 1/STATUS_HZ old); RuntimeError once the child is gone."""
        self._check_alive()
        return self._status

    def history(self, limit_bars: int = 256) -> list:
        """The engine's history(), asked of the child."""
        request = next(self._request_ids)
        self._send(("history", request, limit_bars))
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        with self._reply_ready:
            while request not in self._replies:
                self._check_alive()
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the bridge process did not answer a history request")
                self._reply_ready.wait(left)
            return self._replies.pop(request)

    def close(self) -> None:
        """Ask the child to close the engine (all notes off) and exit; killed after CLOSE_TIMEOUT_S.  Idempotent."""
        if self._process is None or self._closing:
            return
        self._closing = True
        try:
            self._send(("close",))
        except (RuntimeError, OSError):
            pass  # already gone
        self._stop_child()

    # -- internals --------------------------------------------------------------------------

    def _send(self, message) -> None:
        self._check_alive()
        assert self._connection is not None  # opened with the process
        with self._send_lock:
            try:
                self._connection.send(message)
            except (OSError, EOFError) as error:
                raise RuntimeError(f"the bridge process is gone ({error})") from None

    def _check_alive(self) -> None:
        if self._process is None:
            raise RuntimeError("the bridge is not open")
        if self._gone.is_set():
            raise RuntimeError(f"the bridge process has exited (exit code {self._process.exitcode})")

    def _stop_child(self) -> None:
        assert self._process is not None and self._connection is not None  # only once open() started the child
        self._process.join(CLOSE_TIMEOUT_S)
        if self._process.is_alive():
            self.log(f"the bridge process did not exit within {CLOSE_TIMEOUT_S:g} s: killed")
            self._process.kill()
            self._process.join(1.0)
        if self._reader is not None:
            self._reader.join(1.0)  # every log line the child sent is delivered before close() returns
        self._connection.close()

    def _read(self) -> None:
        """The parent's reader thread: status, log lines, replies; EOF when the child exits."""
        assert self._process is not None and self._connection is not None  # started by open()
        try:
            while True:
                message = self._connection.recv()
                kind = message[0]
                if kind == "status":
                    status, with_bars = message[1], message[2]
                    if with_bars:
                        self._bars = status.bars
                    else:
                        status = dataclasses.replace(status, bars=self._bars)
                    self._status = status
                elif kind == "log":
                    self.log(message[1])
                elif kind == "history":
                    with self._reply_ready:
                        self._replies[message[1]] = message[2]
                        self._reply_ready.notify_all()
                elif kind == "ready":
                    self._description = message[1]
                    self._answered.set()
                elif kind == "error":
                    self._startup_error = (message[1], message[2])
                    self._answered.set()
                elif kind == "stopping":
                    self._stop_reason = message[1]
        except (EOFError, OSError):
            pass
        finally:
            if not self._closing and self._status is not None:  # it was ready, and nobody asked it to stop
                # EOF comes as the child exits: let it finish, for its exit code; the reason is set before
                # _gone, so whoever sees the bridge gone (status() raising) can also ask why.
                self._process.join(CLOSE_TIMEOUT_S)
                code = self._process.exitcode
                self._exit_reason = self._stop_reason or describe_exit(code)
                self.log(f"the bridge process exited unexpectedly (exit code {code}: {self._exit_reason})")
            self._gone.set()
            self._answered.set()
            with self._reply_ready:
                self._reply_ready.notify_all()


def describe_exit(code: int | None) -> str:
    """An exit code in words, as a shell would put it: negative codes are the signal that killed the process."""
    if code is None:
        return "it closed its pipe but has not exited"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return "it exited" if code == 0 else f"it exited with status {code}"


# Signals that close the child as "close" does (every note off), each for its reason; see the module docstring.
CLOSING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGQUIT") if hasattr(signal, name))
FAULT_POLL_S = 0.2  # how often the child asks the bridge whether it can still play (LiveBridge.fault)


class _Closing(BaseException):
    """A closing signal in the child: close the bridge as for "close".

    A BaseException, so that the `except Exception` around one command cannot swallow it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _child_main(connection, arguments: dict) -> None:
    """The child process: a LiveBridge serving the parent until "close", EOF (parent gone), a closing
    signal or a fault of the bridge (the last two are told to the parent as the reason it stopped)."""
    # Ctrl-C in a terminal signals the whole process group; the parent decides when the bridge closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise_bridge_priority()  # every thread of the child: they share the GIL with the engine's (bridge/priority.py)
    outbox: queue.SimpleQueue = queue.SimpleQueue()
    # A thread that dies reports to the parent's log, not to a terminal the UI is drawing on.
    threading.excepthook = lambda hook: outbox.put(
        ("log", f"{hook.thread.name if hook.thread else 'a thread'} failed: {hook.exc_type.__name__}: {hook.exc_value}")
    )
    bridge = LiveBridge(**arguments, log=lambda line: outbox.put(("log", line)))
    sender = _Sender(connection, outbox)
    try:
        bridge.open()
    except Exception as error:  # noqa: BLE001 - reported to the parent, which raises it
        outbox.put(("error", type(error).__name__, str(error)))
        sender.finish()
        return

    def terminate(signum, _frame) -> None:
        raise _Closing(signum)

    try:
        for signum in CLOSING_SIGNALS:
            signal.signal(signum, terminate)
        outbox.put(("status", bridge.status(), True))  # the parent has a status as soon as open() returns
        outbox.put(("ready", bridge.describe()))
        sender.push_status_of(bridge)
        _serve(connection, bridge, outbox)
    except _Closing as closing:
        name = signal.Signals(closing.signum).name
        outbox.put(("stopping", f"it received {name} and closed, every note off"))
    finally:
        for signum in CLOSING_SIGNALS:  # closing now; a second signal must not cut it short
            signal.signal(signum, signal.SIG_IGN)
        bridge.close()
        sender.finish()


def _serve(connection, bridge: LiveBridge, outbox: queue.SimpleQueue) -> None:
    """The child's main loop: the parent's messages as they come, and every FAULT_POLL_S the bridge's fault.

    Returns on "close", on EOF (the parent is gone: close anyway, so no note is left sounding) and on a
    fault, which is sent to the parent first as the reason.
    """
    next_check = time.monotonic()
    while True:
        if time.monotonic() >= next_check:  # by the clock, so a stream of commands cannot put it off
            fault = bridge.fault()
            if fault:
                outbox.put(("stopping", str(fault)))
                bridge.log(f"the bridge cannot play on: {fault}")
                return
            next_check = time.monotonic() + FAULT_POLL_S
        if not connection.poll(max(0.0, next_check - time.monotonic())):
            continue
        try:
            message = connection.recv()
        except EOFError:
            return
        if message[0] == "close":
            return
        if message[0] == "command":
            try:
                bridge.command(message[1])
            except Exception as error:  # noqa: BLE001 - one bad command must not end the session
                bridge.log(f"command {type(message[1]).__name__} failed: {type(error).__name__}: {error}")
        elif message[0] == "history":
            outbox.put(("history", message[1], bridge.history(message[2])))


class _Sender(threading.Thread):
    """The child's only writer to the pipe: queued messages as they come, the status at STATUS_HZ,
    and the tempo lines `beatgen run` logs (TempoLog)."""

    _STOP = object()

    def __init__(self, connection, outbox: queue.SimpleQueue) -> None:
        super().__init__(name="beatgen-bridge-sender", daemon=True)
        self.connection, self.outbox = connection, outbox
        self.bridge: LiveBridge | None = None
        self.start()

    def push_status_of(self, bridge: LiveBridge) -> None:
        self.bridge = bridge

    def finish(self) -> None:
        """Send what is queued, then stop."""
        self.outbox.put(self._STOP)
        self.join(5.0)

    def run(self) -> None:
        interval = 1.0 / STATUS_HZ
        next_push = next_tempo = time.monotonic()
        last = sent_bars = None
        tempo = TempoLog(lambda line: self.connection.send(("log", line)))
        try:
            while True:
                wait = max(0.0, next_push - time.monotonic()) if self.bridge is not None else None
                try:
                    item = self.outbox.get(timeout=wait)
                except queue.Empty:
                    item = None
                if item is self._STOP:
                    return
                if item is not None:
                    self.connection.send(item)
                    if item[0] == "status":
                        last, sent_bars = item[1], item[1].bars
                if self.bridge is not None and time.monotonic() >= next_push:
                    next_push = max(next_push + interval, time.monotonic())
                    status = self.bridge.status()
                    if next_push >= next_tempo:
                        tempo.update(status)
                        next_tempo = next_push + TEMPO_LOG_INTERVAL_S
                    if status != last:  # a stopped transport sends nothing new
                        with_bars = status.bars is not sent_bars
                        payload = status if with_bars else dataclasses.replace(status, bars=())
                        self.connection.send(("status", payload, with_bars))
                        last, sent_bars = status, status.bars
        except (OSError, EOFError):
            return  # the parent is gone; the main thread closes the bridge on EOF
