"""What the engine core takes from an incoming packet: the whole messages it uses, nothing else.

The port layer passes every packet through as the driver handed it over
(sysex, active sensing, MIDI time code, running status, stray bytes).  The
core uses only the clock and transport (Clock, Start, Continue, Stop, a
whole Song Position Pointer) and whole channel messages; everything else is
dropped here, before it can touch the clock, the song position or the
performance: an incomplete Song Position Pointer is no transport message,
and an unused system message does not make `auto` follow the DAW's clock.
"""

from __future__ import annotations

from collections.abc import Sequence

from bridge.live.midi_packets import CHANNEL_DATA_LENGTH, split_packet
from bridge.live.midi_transport import CLOCK, CONTINUE, SONG_POSITION, START, STOP

CLOCK_MESSAGES = {CLOCK, START, CONTINUE, STOP}
TRANSPORT_MESSAGES = CLOCK_MESSAGES | {SONG_POSITION}  # what the core hands the clock


def usable_messages(packet: Sequence[int]) -> list[list[int]]:
    """The messages of `packet` the core acts on, in order (split_packet splits the rest)."""
    if len(packet) == 1 or (len(packet) == 3 and 0x80 <= packet[0] < 0xF0 and packet[1] < 0x80 > packet[2]):
        messages = [list(packet)]  # the common case: one whole message
    else:
        messages = split_packet(packet)
    return [message for message in messages if is_usable(message)]


def is_usable(message: Sequence[int]) -> bool:
    """A clock or transport message, or a whole channel message with its data bytes in range."""
    if not message:
        return False
    status = message[0]
    if status in CLOCK_MESSAGES:
        return len(message) == 1
    if status == SONG_POSITION:
        return len(message) == 3 and all(0 <= byte < 0x80 for byte in message[1:])
    if 0x80 <= status < 0xF0:
        data = message[1:]
        return len(data) == CHANNEL_DATA_LENGTH[status & 0xF0] and all(0 <= byte < 0x80 for byte in data)
    return False
