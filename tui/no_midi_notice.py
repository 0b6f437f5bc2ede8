"""The notice shown instead of the pattern when the bridge cannot open MIDI ports: why, and what to do.

A PortError (no JACK server, no ALSA sequencer) is not fatal: the app stays
up, says why, and offers offline generation, the port picker and a retry.
The same notice tells of a bridge that stopped while it played (killed, its
JACK server gone): why, what became of its notes, and r to restart it.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

# The reason above it already says what to do for each backend tried (bridge.midi_io.ports.HINTS):
# this adds only what the app offers, so the panel says each thing once.
NO_MIDI_HELP = (
    "Once that is done, press r to retry; w picks another backend or port names. "
    "docs/setup.md shows how to route a DAW. Meanwhile o continues a MIDI file offline with this preset."
)
# What is true of a bridge that died: its output port went with it, so nothing can reach the notes it left on.
GONE_HELP = (
    "Notes it was playing may still sound: its output port went with it, so nothing more can be sent there. "
    "Press r to restart the bridge with this preset: it opens its ports again and at once switches every note "
    "off on its channel (All Notes Off, All Sound Off), which reaches your synth if it is connected to the new "
    "port (reconnect it if your setup does not do that by itself)."
)


class NoMidiNotice(Vertical):
    """Shown instead of the pattern when the bridge cannot open MIDI ports."""

    DEFAULT_CSS = """
    NoMidiNotice { height: auto; border: round $warning; padding: 0 1; display: none; }
    NoMidiNotice.-shown { display: block; }
    NoMidiNotice #no-midi-reason { color: $warning; }
    NoMidiNotice Horizontal { height: auto; }
    NoMidiNotice Button { margin: 0 1 0 0; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="no-midi-reason", markup=False)
        yield Static(NO_MIDI_HELP, id="no-midi-help", markup=False)
        with Horizontal():
            yield Button("Offline generation (o)", id="offline", variant="primary")
            yield Button("Ports (w)", id="ports")
            yield Button("Retry (r)", id="retry")

    def show_failure(self, state: str, text: str) -> None:
        """Say why the bridge is not running ("no-midi": no ports; anything else: it could not start)."""
        reason = f"No MIDI: {text}" if state == "no-midi" else f"The bridge could not start: {text}"
        self._show(reason, NO_MIDI_HELP, "Retry (r)")

    def show_gone(self, text: str) -> None:
        """The bridge stopped while it ran: `text` says why ("the bridge stopped unexpectedly (...)")."""
        self._show(f"{text[:1].upper()}{text[1:]}.", GONE_HELP, "Restart (r)")

    def _show(self, reason: str, help_text: str, retry_label: str) -> None:
        self.query_one("#no-midi-reason", Static).update(reason)
        self.query_one("#no-midi-help", Static).update(help_text)
        self.query_one("#retry", Button).label = retry_label
        self.set_class(True, "-shown")
