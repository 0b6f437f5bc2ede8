"""The rig's ClockedPlayer (a "DAW" playing a groove on MIDI clock) in a process of its own.

The TUI's JACK test runs the app in the test process; a player there would
run its JACK callback in the same interpreter and wait for the GIL while
the app draws, overrunning JACK cycles (measured: 20-40 xruns per run, the
player named as the late client, its notes lost).  In its own process it
waits for nobody.  The child opens its two clients before anything else
opens one (see "JACK facts" in bridge/jack_rig.py) and joins the server
named in os.environ (JackRig.activate_in_this_process() in the parent).
"""

from __future__ import annotations

import multiprocessing


def _main(notes, channel: int, connection) -> None:
    from bridge.jack_rig import ClockedPlayer

    player = ClockedPlayer(notes, channel=channel)
    try:
        connection.send(player.open())
        connection.recv()  # "close"
    finally:
        player.close()
        connection.send("closed")


class PlayerProcess:
    def __init__(self, notes: list[tuple[int, int, int]], channel: int = 0) -> None:
        self.notes, self.channel = notes, channel

    def open(self, timeout: float = 15.0) -> tuple[str, str]:
        """Start the player; returns its (clock input, note output) JACK port names."""
        context = multiprocessing.get_context("spawn")
        self.connection, theirs = context.Pipe()
        self.process = context.Process(target=_main, args=(self.notes, self.channel, theirs), daemon=True)
        self.process.start()
        theirs.close()
        if not self.connection.poll(timeout):
            self.process.kill()
            raise RuntimeError("the player process did not open its ports")
        return self.connection.recv()

    def close(self) -> None:
        try:
            self.connection.send("close")
            self.connection.poll(5.0)
        except (OSError, EOFError):
            pass
        self.process.join(5.0)
        if self.process.is_alive():
            self.process.kill()
