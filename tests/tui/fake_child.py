"""A bridge child without MIDI: the real child main (bridge_process._child_main) serving a stand-in LiveBridge.

Tests point BridgeProcess at `child_main` (monkeypatching bridge_process._child_main in the parent:
`open()` looks it up when it starts the child), so a real child process speaks the real protocol
(signals, the fault poll, the sender thread), with no JACK server needed.  What the stand-in does
shows in the parent's log: each command ("command Panic"), and "stopped: all notes off" on close.
The environment (inherited by the spawned child) steers it: FAKE_CHILD_FAULT is the sentence its
fault() returns from FAKE_CHILD_FAULT_AFTER seconds after open.
"""

from __future__ import annotations

import os
import time

from bridge.live import bridge_process

FAULT = "FAKE_CHILD_FAULT"
FAULT_AFTER = "FAKE_CHILD_FAULT_AFTER"


class StandInBridge:
    """LiveBridge's API as the child main uses it; no model, no ports."""

    def __init__(self, preset, log, **_ports) -> None:
        self.preset, self.log = preset, log
        self.opened_at = 0.0

    def open(self) -> StandInBridge:
        self.opened_at = time.monotonic()
        self.log(f"ports ready (stand-in for {self.preset.name})")
        return self

    def describe(self) -> str:
        return "stand-in: no ports"

    def status(self):
        from tests.tui.support import engine_status

        return engine_status(preset_name=self.preset.name)

    def command(self, command) -> None:
        self.log(f"command {type(command).__name__}")

    def history(self, limit_bars: int = 256) -> list:
        return []

    def fault(self) -> str | None:
        sentence = os.environ.get(FAULT)
        if sentence and time.monotonic() - self.opened_at >= float(os.environ.get(FAULT_AFTER, "0")):
            return sentence
        return None

    def close(self) -> None:
        self.log("stopped: all notes off (stand-in)")


def child_main(connection, arguments: dict) -> None:
    """The real child main, with the stand-in in place of LiveBridge (this is the child process)."""
    bridge_process.LiveBridge = StandInBridge  # type: ignore[misc,assignment]
    bridge_process._child_main(connection, arguments)
