"""Lookback inputs: what followed this moment one and two bars ago."""

from __future__ import annotations

from bridge.music.bar_memory import BarMemory, lookback_inputs
from bridge.music.hits import Hit
from bridge.music.tokens import BAR, PAD, BarCursor, TokenizerConfig, Vocabulary, encode

VOCAB = Vocabulary(TokenizerConfig())
UPB = VOCAB.config.units_per_beat


def names(tokens):
    return [VOCAB.names[t] for t in tokens]


def backbeat(bar: int, late_units: int = 0):
    start = bar * 4.0 + late_units / UPB
    return [Hit(start, 0, 100), Hit(start + 1, 1, 100), Hit(start + 2, 0, 100), Hit(start + 3, 1, 100)]


def test_no_lookback_in_the_first_bar():
    tokens, _ = encode(backbeat(0), [0.0, 4.0], VOCAB)
    assert lookback_inputs(tokens, VOCAB)[:-1].tolist() == [[PAD, PAD]] * (len(tokens) - 1)


def test_a_repeated_bar_is_proposed_token_for_token():
    tokens, _ = encode(backbeat(0) + backbeat(1) + backbeat(2), [0.0, 4.0, 8.0, 12.0], VOCAB)
    lookback = lookback_inputs(tokens, VOCAB)
    third_bar = [i for i, t in enumerate(tokens) if t == BAR][2]
    for index in range(third_bar, len(tokens) - 1):
        assert lookback[index].tolist() == [tokens[index + 1], tokens[index + 1]], index


def test_shift_is_re_aimed_at_the_earlier_bar_grid():
    # bar 0: kick on the downbeat, snare an eighth later; in bar 1 the kick is 4 units late
    memory, cursor = BarMemory(VOCAB), BarCursor(VOCAB, 4 * UPB)
    first, _ = encode([Hit(0.0, 0, 100), Hit(0.5, 1, 100)], [0.0, 4.0], VOCAB)
    for token in first:
        memory.record(cursor, int(token))
        cursor.advance(int(token))
    cursor.advance(VOCAB.shift_token(4))
    cursor.advance(VOCAB.hit_token(0, 100))
    proposal = memory.lookback(cursor)
    assert names(proposal) == ["SHIFT_44", "PAD"]  # to where the snare was, not 48 units on


def test_moments_too_far_apart_do_not_match():
    memory, cursor = BarMemory(VOCAB), BarCursor(VOCAB, 4 * UPB)
    for token in encode(backbeat(0), [0.0, 4.0], VOCAB)[0]:
        memory.record(cursor, int(token))
        cursor.advance(int(token))
    cursor.advance(VOCAB.shift_token(40))
    cursor.advance(VOCAB.hit_token(0, 100))  # a kick 40 units in: nothing like it in the earlier bar
    assert memory.lookback(cursor) == (PAD, PAD)
