"""A JACK MIDI recorder that stamps each event in microseconds on JACK's clock, for comparing with Link time.

    python -m devtools.stamp_recorder NAME     (JACK_DEFAULT_SERVER picks the server)

jack_midi_dump stamps frames counted from its own first cycle, which cannot
be tied to any other clock: a cycle it misses in an xrun shifts every later
stamp.  This client (libjack through ctypes; standalone, nothing from
`bridge`) stamps an event at frame offset `f` of a cycle with
`current_usecs + f * period_usecs / nframes` from jack_get_cycle_times: the
time JACK's own clock gives that frame, cycle by cycle, so a missed cycle
shifts nothing.  jack_get_time is CLOCK_MONOTONIC_RAW on Linux, as is Ableton
Link's clock; the recorder measures the difference at start (it should be
about 0) and reports it, so a consumer can check before mixing the two.

Protocol: one JSON line {"port": full port name, "jack_minus_raw_us": d} once
active; on stdin closing (or a "dump" line), one JSON line {"events":
[[usecs, [bytes...]], ...]} and exit.  The process callback only copies
bytes into a list; everything else happens on the main thread.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import sys
import time

_NO_START_SERVER = 0x01
_PORT_IS_INPUT = 0x1
_MIDI_TYPE = b"8 bit raw midi"


class _MidiEvent(ctypes.Structure):
    _fields_ = [("time", ctypes.c_uint32), ("size", ctypes.c_size_t), ("buffer", ctypes.POINTER(ctypes.c_ubyte))]


_PROCESS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_uint32, ctypes.c_void_p)


def _libjack() -> ctypes.CDLL:
    lib = ctypes.CDLL(ctypes.util.find_library("jack") or "libjack.so.0")
    lib.jack_client_open.restype = ctypes.c_void_p
    lib.jack_client_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    lib.jack_port_register.restype = ctypes.c_void_p
    text = ctypes.c_char_p
    lib.jack_port_register.argtypes = [ctypes.c_void_p, text, text, ctypes.c_ulong, ctypes.c_ulong]
    lib.jack_port_name.restype = ctypes.c_char_p
    lib.jack_port_name.argtypes = [ctypes.c_void_p]
    lib.jack_set_process_callback.argtypes = [ctypes.c_void_p, _PROCESS, ctypes.c_void_p]
    lib.jack_activate.argtypes = [ctypes.c_void_p]
    lib.jack_client_close.argtypes = [ctypes.c_void_p]
    lib.jack_port_get_buffer.restype = ctypes.c_void_p
    lib.jack_port_get_buffer.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
    lib.jack_midi_get_event_count.restype = ctypes.c_uint32
    lib.jack_midi_get_event_count.argtypes = [ctypes.c_void_p]
    lib.jack_midi_event_get.argtypes = [ctypes.POINTER(_MidiEvent), ctypes.c_void_p, ctypes.c_uint32]
    lib.jack_get_cycle_times.argtypes = [
        ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint32), ctypes.POINTER(ctypes.c_uint64),
        ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_float),
    ]  # fmt: skip
    lib.jack_get_time.restype = ctypes.c_uint64
    return lib


class StampRecorder:
    """One input port; events as (microseconds on JACK's clock, bytes)."""

    def __init__(self, name: str) -> None:
        self._lib = _libjack()
        status = ctypes.c_int()
        self._client = self._lib.jack_client_open(name.encode(), _NO_START_SERVER, ctypes.byref(status))
        if not self._client:
            raise RuntimeError(f"jack_client_open failed (status 0x{status.value:x})")
        self._port = self._lib.jack_port_register(self._client, b"in", _MIDI_TYPE, _PORT_IS_INPUT, 0)
        self.events: list[tuple[float, bytes]] = []
        self._event = _MidiEvent()
        self._frames, self._usecs, self._next = ctypes.c_uint32(), ctypes.c_uint64(), ctypes.c_uint64()
        self._period = ctypes.c_float()
        self._callback = _PROCESS(self._process)  # kept: JACK holds only the C pointer
        self._lib.jack_set_process_callback(self._client, self._callback, None)
        if self._lib.jack_activate(self._client) != 0:
            raise RuntimeError("jack_activate failed")

    @property
    def port(self) -> str:
        return self._lib.jack_port_name(self._port).decode()

    def jack_minus_raw_us(self) -> float:
        """jack_get_time() minus CLOCK_MONOTONIC_RAW, read between two of the latter."""
        before = time.clock_gettime_ns(time.CLOCK_MONOTONIC_RAW)
        jack = self._lib.jack_get_time()
        after = time.clock_gettime_ns(time.CLOCK_MONOTONIC_RAW)
        return jack - (before + after) / 2000

    def _process(self, nframes: int, _arg: int) -> int:
        buffer = self._lib.jack_port_get_buffer(self._port, nframes)
        count = self._lib.jack_midi_get_event_count(buffer)
        if not count:
            return 0
        lib, event = self._lib, self._event
        lib.jack_get_cycle_times(
            self._client, ctypes.byref(self._frames), ctypes.byref(self._usecs), ctypes.byref(self._next),
            ctypes.byref(self._period),
        )  # fmt: skip
        per_frame = self._period.value / nframes
        for index in range(count):
            if lib.jack_midi_event_get(ctypes.byref(event), buffer, index) == 0:
                data = ctypes.string_at(event.buffer, event.size)
                self.events.append((self._usecs.value + event.time * per_frame, data))
        return 0

    def close(self) -> None:
        self._lib.jack_client_close(self._client)


def main(argv: list[str]) -> int:
    recorder = StampRecorder(argv[0] if argv else "stamp-rec")
    print(json.dumps({"port": recorder.port, "jack_minus_raw_us": recorder.jack_minus_raw_us()}), flush=True)
    for line in sys.stdin:
        if line.strip() == "dump":
            break
    time.sleep(0.05)  # the cycles in flight
    recorder.close()
    print(json.dumps({"events": [[when, list(data)] for when, data in recorder.events]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
