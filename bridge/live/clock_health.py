"""Whether the MIDI clock can be trusted: irregular ticks counted, and a warning with the way out.

The clock follower (clock.py, tick_arrivals.py) notices when ticks come held
up, twice, bunched into a burst, or after a long gap.  Each is absorbed, but a
tick lost on the way cannot be placed by any MIDI clock follower: it looks like
a hold-up and leaves every later note a tick late.  So the first irregularity
is worth a warning that says what to do instead (Ableton Link, whose beat is a
function of time; or JACK with real-time scheduling, which loses far fewer
ticks); later ones repeat it at most once a minute, with the count so far.
"""

from __future__ import annotations

WARN_AGAIN_S = 60.0
WAY_OUT = "for a steady grid use Ableton Link (--clock link), or run jackd -R (real-time)"


class ClockHealth:
    """Counts irregular ticks of a MIDI clock; `irregular` returns a warning when one is due."""

    def __init__(self) -> None:
        self.count = 0
        self.warned_at: float | None = None

    def irregular(self, what: str, now: float) -> str | None:
        """One irregularity (`what`, e.g. "held up") at `now`; a warning line, or None if one was given lately."""
        self.count += 1
        if self.warned_at is not None and now - self.warned_at < WARN_AGAIN_S:
            return None
        self.warned_at = now
        return (
            f"clock: the MIDI clock looks unreliable ({what}; {self.count} irregular so far: a tick lost on the "
            f"way shifts the grid for good): {WAY_OUT}"
        )
