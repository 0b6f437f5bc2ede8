"""Tokenizer: grammar, round trips on real files, and properties on arbitrary hit lists."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.midi_io.midi_files import read_drum_part
from bridge.music.drums import DRUM_CLASSES, class_of_pitch
from bridge.music.hits import Hit
from bridge.music.tokens import BAR, PAD, BarCursor, TokenizerConfig, Vocabulary, decode, encode
from model_tools.analyze import round_trip_errors
from model_tools.dataset import list_midi_files, load_parts, select

VOCAB = Vocabulary(TokenizerConfig())
UPB = VOCAB.config.units_per_beat


def test_every_groove_pitch_has_a_class():
    groove_pitches = {22, 26, 36, 37, 38, 40, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 55, 57, 58, 59}
    assert {p for p in groove_pitches if class_of_pitch(p) is None} == set()
    assert DRUM_CLASSES[class_of_pitch(44)].name == "pedal_hh"


def test_simultaneous_hits_have_no_shift_between_them():
    hits = [Hit(1.0, 0, 100), Hit(1.0, 3, 80), Hit(1.0, 1, 90)]
    tokens, _ = encode(hits, [0.0, 4.0], VOCAB)
    names = [VOCAB.names[t] for t in tokens]
    assert names == ["BAR", "SHIFT_96", "HIT_kick_v7", "HIT_snare_v7", "HIT_closed_hh_v6", "BAR"]


def test_empty_bars_are_bar_lines_only():
    tokens, positions = encode([], [0.0, 4.0, 8.0, 12.0], VOCAB)
    assert tokens.tolist() == [BAR] * 4
    assert positions.tolist() == [0, 0, 0, 0]


def test_long_gap_uses_coarse_then_fine_shift():
    tokens, _ = encode([Hit(3.6, 0, 64)], [0.0, 4.0], VOCAB)
    assert [VOCAB.names[t] for t in tokens[1:-2]] == ["SHIFT_336", "SHIFT_10"]


def test_position_input_follows_the_cursor():
    tokens, positions = encode([Hit(1.0, 0, 64), Hit(2.5, 1, 64)], [0.0, 4.0], VOCAB)
    # 12 position buckets per beat: after the shift to beat 1 -> 12, beat 2.5 -> 30
    assert positions.tolist() == [0, 12, 12, 30, 30, 0]


def test_cursor_forbids_shift_past_bar_line_and_out_of_order_hits():
    cursor = BarCursor(VOCAB, 4 * UPB)
    assert cursor.allowed_mask().nonzero()[0].tolist() == [BAR]
    cursor.advance(BAR)
    cursor.advance(VOCAB.shift_token(336))  # 48 units (half a beat) left in a 4/4 bar
    mask = cursor.allowed_mask()
    assert mask[VOCAB.shift_token(47)] and not mask[VOCAB.shift_token(48)] and not mask[PAD]
    cursor.advance(VOCAB.hit_token(3, 80))
    assert not cursor.allowed_mask()[VOCAB.hit_token(0, 80)] and cursor.allowed_mask()[VOCAB.hit_token(5, 80)]


def test_decode_rejects_invalid_stream():
    with pytest.raises(ValueError, match="not allowed"):
        decode([BAR, VOCAB.shift_token(336), VOCAB.shift_token(48)], VOCAB, 4 * UPB)


def test_real_file_round_trip(groove):
    part = read_drum_part(groove / "drummer7/session1/13_funk_102_beat_4-4.mid")
    tokens, _ = encode(part.hits, part.bar_lines, VOCAB)
    assert (tokens == BAR).sum() == part.bar_count + 1
    decoded = decode(tokens, VOCAB, 4 * UPB)
    assert len(decoded) == len(part.hits)
    for original, back in zip(sorted(part.hits, key=lambda h: (round(h.time * UPB), h.drum)), decoded):
        assert back.drum == original.drum
        assert abs(back.time - original.time) <= 0.5 / UPB + 1e-9
        assert abs(back.velocity - original.velocity) <= 20


def test_validation_round_trip_error_is_small(groove):
    entries = select(list_midi_files(groove), "validation")[:15]
    errors = round_trip_errors(load_parts(entries), VOCAB)
    assert errors["timing_ms_max"] <= 0.5 / UPB * 60000 / 50  # half a unit at the slowest tempo (50 BPM)
    assert errors["timing_ms_mean"] < 2.0
    assert errors["velocity_mean"] < 4.0
    assert errors["merged_share"] < 0.005


hit_lists = st.lists(
    st.builds(
        Hit,
        time=st.floats(0, 15.99, allow_nan=False),
        drum=st.integers(0, len(DRUM_CLASSES) - 1),
        velocity=st.integers(1, 127),
    ),
    max_size=80,
)


@settings(max_examples=150, deadline=None)
@given(hit_lists)
def test_encode_decode_encode_is_stable(hits):
    lines = [0.0, 4.0, 8.0, 12.0, 16.0]
    tokens, positions = encode(hits, lines, VOCAB)
    decoded = decode(tokens, VOCAB, 4 * UPB)
    again, again_positions = encode(decoded, lines, VOCAB)
    assert tokens.tolist() == again.tolist()
    assert positions.tolist() == again_positions.tolist()
    assert (tokens == BAR).sum() == 5


@settings(max_examples=150, deadline=None)
@given(hit_lists)
def test_decoded_hits_are_the_quantized_originals(hits):
    decoded = decode(encode(hits, [0.0, 4.0, 8.0, 12.0, 16.0], VOCAB)[0], VOCAB, 4 * UPB)
    expected = {}
    for hit in hits:
        unit = round(hit.time * UPB)
        if unit < 16 * UPB:
            key = (unit, hit.drum)
            expected[key] = max(expected.get(key, 0), hit.velocity)
    assert sorted((round(h.time * UPB), h.drum) for h in decoded) == sorted(expected)
    for hit in decoded:
        velocity = expected[(round(hit.time * UPB), hit.drum)]
        assert VOCAB.velocity_bin(hit.velocity) == VOCAB.velocity_bin(velocity)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 8 * UPB - 1))
def test_any_gap_inside_a_bar_is_written_exactly(gap):
    assert sum(VOCAB.split_gap(gap)) == gap
    assert len(VOCAB.split_gap(gap)) <= 1 + gap // 432 + 1


def test_encoded_streams_satisfy_the_grammar(groove):
    entries = select(list_midi_files(groove), "validation")[:10]
    for _entry, part in load_parts(entries):
        tokens, _ = encode(part.hits, part.bar_lines, VOCAB)
        cursor = BarCursor(VOCAB, round(part.beats_per_bar * UPB))
        for token in tokens:
            assert cursor.allowed_mask()[token]
            cursor.advance(int(token))
        assert np.all(tokens != PAD)
