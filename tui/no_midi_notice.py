"""The notice shown instead of the pattern when the bridge cannot open MIDI ports: why, and what to do.

A PortError (no JACK server, no ALSA sequencer) is not fatal: the app stays
up, says why, and offers offline generation, the port picker and a retry.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

NO_MIDI_HELP = (
    "What to do: start a JACK server (jackd, or run under PipeWire's pw-jack) or load the ALSA sequencer "
    "(modprobe snd-seq), then press r to retry; w picks another backend or port names. "
    "docs/setup.md shows how to route a DAW. Meanwhile o continues a MIDI file offline with this preset."
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
        yield Static(NO_MIDI_HELP, markup=False)
        with Horizontal():
            yield Button("Offline generation (o)", id="offline", variant="primary")
            yield Button("Ports (w)", id="ports")
            yield Button("Retry (r)", id="retry")

    def show_failure(self, state: str, text: str) -> None:
        """Say why the bridge is not running ("no-midi": no ports; anything else: it could not start)."""
        reason = f"No MIDI: {text}" if state == "no-midi" else f"The bridge could not start: {text}"
        self.query_one("#no-midi-reason", Static).update(reason)
        self.set_class(True, "-shown")
