"""printable(): control characters escaped visibly, long text cut with an ellipsis."""

from __future__ import annotations

import time

import pytest

from bridge.system.safe_text import printable


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text", "plain text"),
        ("Grooves für Ümlaute ✓", "Grooves für Ümlaute ✓"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),  # ESC: no terminal escape sequence
        ("one\nFAKE log line", "one\\nFAKE log line"),  # LF: no forged log line
        ("over\rwrite", "over\\rwrite"),  # CR: no overwritten line
        ("tab\there", "tab\\there"),
        ("bell\x07 del\x7f", "bell\\x07 del\\x7f"),  # other C0 and DEL
        ("c1\x9bcsi", "c1\\x9bcsi"),  # C1 CSI, a one-byte escape sequence on some terminals
        ("abc\u202edcba", "abc\\u202edcba"),  # bidi override
        ("iso\u2066late\u2069", "iso\\u2066late\\u2069"),  # bidi isolates
        ("zero\u200bwidth", "zero\\u200bwidth"),
        ("line\u2028sep", "line\\u2028sep"),
        ("", ""),
    ],
)
def test_unsafe_characters_are_escaped_visibly(text, shown):
    assert printable(text) == shown


@pytest.mark.parametrize(
    ("text", "limit", "shown"),
    [
        ("abcdefg", 5, "abcd…"),
        ("abcde", 5, "abcde"),
        ("abcdef", 5, "abcd…"),
        ("ab\x1bcd", 5, "ab…"),  # an escape is never cut in half
        ("x" * 10_000, 200, "x" * 199 + "…"),
    ],
)
def test_long_text_is_cut_with_an_ellipsis(text, limit, shown):
    result = printable(text, limit)
    assert result == shown
    assert len(result) <= limit


def test_a_huge_text_costs_no_more_than_its_limit():
    huge = "\x1b" * 10_000_000
    start = time.perf_counter()
    result = printable(huge, 100)
    assert time.perf_counter() - start < 0.1
    assert len(result) <= 100 and result.endswith("…")


def test_non_strings_are_shown_as_their_str():
    assert printable(42) == "42"
