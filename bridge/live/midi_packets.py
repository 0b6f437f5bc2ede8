"""Split one raw packet from a MIDI driver into whole messages, whatever it contains.

Drivers usually hand over one message per packet, but a port can carry
anything: running status (several notes after one status byte), realtime
bytes (clock) in the middle of another message, sysex, truncated messages,
stray data bytes.  mido's parser handles most of this but drops running
status, which hardware and some loopback drivers use, so this small
splitter follows the MIDI 1.0 rules itself.  Incomplete messages and sysex
are dropped; nothing here raises.
"""

from __future__ import annotations

SYSEX_START, SYSEX_END = 0xF0, 0xF7
# Data bytes after each status: channel messages by high nibble, system common by byte.
CHANNEL_DATA_LENGTH = {0x80: 2, 0x90: 2, 0xA0: 2, 0xB0: 2, 0xC0: 1, 0xD0: 1, 0xE0: 2}
COMMON_DATA_LENGTH = {0xF1: 1, 0xF2: 2, 0xF3: 1, 0xF6: 0}


def split_packet(packet) -> list[list[int]]:
    messages: list[list[int]] = []
    running: int | None = None  # status reused by data bytes that follow a complete channel message
    current: list[int] = []
    needed = 0
    in_sysex = False
    for byte in packet:
        byte = int(byte) & 0xFF
        if byte >= 0xF8:  # realtime: legal anywhere, even inside another message
            messages.append([byte])
            continue
        if byte & 0x80:
            in_sysex = byte == SYSEX_START
            current, running = [], None
            if byte >= 0xF0:
                needed = COMMON_DATA_LENGTH.get(byte, -1)
                if needed == 0:
                    messages.append([byte])
                elif needed > 0:
                    current = [byte]
                continue
            running, current, needed = byte, [byte], CHANNEL_DATA_LENGTH[byte & 0xF0]
            continue
        if in_sysex:
            continue
        if not current:
            if running is None:
                continue  # a stray data byte
            current, needed = [running], CHANNEL_DATA_LENGTH[running & 0xF0]
        current.append(byte)
        if len(current) == needed + 1:
            messages.append(current)
            current = []
    return messages
