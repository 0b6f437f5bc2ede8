"""Text from users' files made safe to print: control characters shown as escapes, length bounded.

Preset names and descriptions, file names and values quoted in error lines come
from files anyone can write.  Printed raw, an ESC starts a terminal escape
sequence, a CR or LF forges a new log line and a bidi override reorders what the
reader sees; a 10 MB description floods the log.  `printable` shows each such
character as a visible escape (\\x1b, \\n, \\u202e) and cuts the text to a limit.
"""

from __future__ import annotations

import unicodedata

ELLIPSIS = "…"
DEFAULT_LIMIT = 200
# Named escapes read better than \x0a for the three most common ones.
NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Unicode categories that draw nothing or move the cursor: controls (C0, DEL, C1), formats
# (bidi overrides and isolates, zero-width characters), line and paragraph separators,
# unassigned and surrogate code points.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cn", "Cs", "Co"})


def printable(text: object, limit: int = DEFAULT_LIMIT) -> str:
    """`text` (str() of anything) with unsafe characters escaped, at most `limit` characters long.

    A longer result is cut and ends with "…", so the limit counts the ellipsis.
    Escapes are never cut in half.  Only the characters that fit are looked
    at, so a huge text costs no more than a short one.
    """
    text = str(text)
    limit = max(limit, 1)
    pieces: list[str] = []
    length = 0
    for index, char in enumerate(text):
        piece = _escaped(char)
        remaining = len(text) - index - 1
        # Keep room for the ellipsis unless this piece ends the text.
        room = limit - length - (1 if remaining else 0)
        if len(piece) > room:
            pieces.append(ELLIPSIS)
            return "".join(pieces)
        pieces.append(piece)
        length += len(piece)
    return "".join(pieces)


def _escaped(char: str) -> str:
    """One character as it is safe to show: itself, or a backslash escape."""
    if char in NAMED_ESCAPES:
        return NAMED_ESCAPES[char]
    if unicodedata.category(char) not in UNSAFE_CATEGORIES:
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
