"""Live controls: presets and MIDI CC set them; shape_bar applies mute, lock, quantize, swing, humanize, velocity."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.music.drums import DRUM_NAMES
from bridge.music.hits import Hit
from bridge.music.sampling import SamplingSettings
from bridge.settings.controls import (
    CONTINUOUS_CC,
    DOWNBEAT_CELL_BEATS,
    Controls,
    control_from_cc,
    shape_bar,
    split_downbeat,
)
from bridge.settings.presets import PRESET_SCHEMA, Preset, load_preset, validate

KICK, SNARE, CLOSED_HH, RIDE = (DRUM_NAMES.index(n) for n in ("kick", "snare", "closed_hh", "ride"))
GROOVE = [
    Hit(0.0, KICK, 100),
    Hit(0.5, CLOSED_HH, 70),
    Hit(1.0, SNARE, 110),
    Hit(1.5, CLOSED_HH, 60),
    Hit(2.0, KICK, 90),
]


def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def shaped(hits, bpm: float = 120.0, source=(), **changes) -> list[Hit]:
    return shape_bar(hits, Controls().with_changes(**changes), bpm, rng(), source)


# -- presets -------------------------------------------------------------------------------


def test_controls_from_the_wild_fills_preset():
    controls = Controls.from_preset(load_preset("wild-fills"))
    assert (controls.temperature, controls.variation, controls.density) == (1.15, 0.6, 1.2)
    assert controls.sampling() == SamplingSettings(temperature=1.15, top_k=0, top_p=1.0, adherence=0.4, density=1.2)


@pytest.mark.parametrize("name", ["call-and-response", "endless", "4-bar-loop", "wild-fills"])
def test_every_factory_preset_gives_controls_matching_its_values(name):
    preset = load_preset(name)
    controls = Controls.from_preset(preset)
    for section in ("generation", "feel"):
        for key, value in preset[section].items():
            if (section, key) == ("generation", "model"):
                continue  # not a live control: another model restarts the bridge
            assert getattr(controls, key) == value, f"{name}: {section}.{key}"
    assert controls.offset_ms == preset["output"]["offset_ms"] and controls.thru == preset["output"]["thru"]
    assert controls.mute == frozenset() and controls.lock == frozenset()
    controls.sampling()  # valid sampling settings


def test_controls_from_a_preset_with_mute_lock_and_feel():
    values = validate(
        {
            "drums": {"mute": ["crash", "kick"], "lock": ["snare"]},
            "feel": {"swing": 0.5, "humanize_ms": 8, "quantize": 0.25, "velocity_scale": 1.5},
            "generation": {"top_k": 40, "random_seed": 7},
            "output": {"offset_ms": -12, "thru": True},
        }
    )
    controls = Controls.from_preset(Preset("custom", None, values))
    assert controls.mute == {KICK, DRUM_NAMES.index("crash")} and controls.lock == {SNARE}
    assert (controls.swing, controls.humanize_ms, controls.quantize, controls.velocity_scale) == (0.5, 8.0, 0.25, 1.5)
    assert (controls.top_k, controls.random_seed, controls.offset_ms, controls.thru) == (40, 7, -12.0, True)


def test_with_changes_builds_a_new_object():
    controls = Controls()
    changed = controls.with_changes(swing=0.3)
    assert changed.swing == 0.3 and controls.swing == 0.0


# -- MIDI CC --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CONTINUOUS_CC))
def test_cc_sweeps_the_schema_range(name):
    field = PRESET_SCHEMA[CONTINUOUS_CC[name]][name]
    assert getattr(control_from_cc(Controls(), name, 0), name) == pytest.approx(field.low)
    assert getattr(control_from_cc(Controls(), name, 127), name) == pytest.approx(field.high)
    middle = getattr(control_from_cc(Controls(), name, 64), name)
    assert field.low < middle < field.high
    expected = field.low + (field.high - field.low) * 64 / 127
    assert middle == pytest.approx(expected, abs=0.5 if field.kind is int else 1e-9)


@pytest.mark.parametrize("value", [0, 1, 63, 64, 100, 127])
def test_int_fields_stay_int(value):
    top_k = control_from_cc(Controls(), "top_k", value).top_k
    assert type(top_k) is int and 0 <= top_k <= 200


def test_cc_values_outside_0_127_are_clamped():
    assert control_from_cc(Controls(), "swing", 300).swing == pytest.approx(1.0)
    assert control_from_cc(Controls(), "swing", -5).swing == 0.0


def test_cc_result_is_valid_sampling_settings_everywhere():
    for name in ("temperature", "top_k", "top_p", "variation", "density"):
        for value in range(128):
            control_from_cc(Controls(), name, value).sampling()  # never raises


def test_random_seed_cc_sets_the_value():
    assert control_from_cc(Controls(), "random_seed", 42).random_seed == 42


def test_mute_and_lock_switch_on_at_64_and_off_below():
    controls = control_from_cc(Controls(), "mute_kick", 64)
    assert controls.mute == {KICK}
    controls = control_from_cc(controls, "mute_closed_hh", 127)
    assert controls.mute == {KICK, CLOSED_HH}
    assert control_from_cc(controls, "mute_kick", 63).mute == {CLOSED_HH}
    assert control_from_cc(controls, "mute_snare", 0).mute == {KICK, CLOSED_HH}  # off when already off
    locked = control_from_cc(Controls(), "lock_snare", 100)
    assert locked.lock == {SNARE} and locked.mute == frozenset()
    assert control_from_cc(locked, "lock_snare", 10).lock == frozenset()
    assert control_from_cc(Controls(), "lock_ride_bell", 64).lock == {DRUM_NAMES.index("ride_bell")}


def test_every_midi_cc_key_of_the_schema_is_a_control_or_an_action():
    from bridge.settings.midi_map import ACTIONS

    for name in PRESET_SCHEMA["midi_cc"]:
        if name not in ACTIONS:  # actions are fired by the core (control_surface.py), not set
            control_from_cc(Controls(), name, 127)  # no KeyError


@pytest.mark.parametrize("name", ["volume", "mute_cowbell", "lock_", "solo_kick", "thru"])
def test_unknown_control_name_is_a_key_error(name):
    with pytest.raises(KeyError):
        control_from_cc(Controls(), name, 64)


# -- shape_bar ------------------------------------------------------------------------------


def test_default_controls_leave_a_bar_untouched():
    assert shaped(GROOVE) == sorted(GROOVE, key=lambda h: (h.time, h.drum))


def test_mute_removes_a_drum():
    out = shaped(GROOVE, mute=frozenset({CLOSED_HH}))
    assert [h.drum for h in out] == [KICK, SNARE, KICK]


def test_lock_replaces_a_drums_generated_hits_by_the_sources():
    source = [Hit(0.75, SNARE, 80), Hit(3.0, SNARE, 120), Hit(0.0, RIDE, 50)]
    out = shaped(GROOVE, source=source, lock=frozenset({SNARE}))
    assert [h for h in out if h.drum == SNARE] == [Hit(0.75, SNARE, 80), Hit(3.0, SNARE, 120)]
    assert [h for h in out if h.drum != SNARE] == [h for h in GROOVE if h.drum != SNARE]  # the ride is not locked


def test_a_locked_drum_absent_from_the_source_falls_silent():
    out = shaped(GROOVE, source=[Hit(0.0, KICK, 100)], lock=frozenset({SNARE}))
    assert SNARE not in {h.drum for h in out}


def test_mute_wins_over_lock():
    out = shaped(GROOVE, source=[Hit(0.75, SNARE, 80)], lock=frozenset({SNARE}), mute=frozenset({SNARE}))
    assert SNARE not in {h.drum for h in out}


def test_full_quantize_puts_hits_on_the_16th_grid():
    hits = [Hit(0.3, KICK, 100), Hit(1.12, SNARE, 100), Hit(2.6, CLOSED_HH, 100)]
    assert [h.time for h in shaped(hits, quantize=1.0)] == pytest.approx([0.25, 1.0, 2.5])


def test_two_hits_of_one_drum_quantized_onto_one_16th_are_sent_once_at_the_louder_velocity():
    """Sent as they were, the second made a note-on, note-off, note-on at once (a bench run)."""
    hits = [Hit(1.0, CLOSED_HH, 60), Hit(1.04, CLOSED_HH, 90), Hit(1.04, KICK, 100)]
    assert shaped(hits, quantize=1.0) == [Hit(1.0, KICK, 100), Hit(1.0, CLOSED_HH, 90)]
    assert len(shaped(hits, quantize=0.5)) == 3  # not at one moment: a flam stays


def test_half_quantize_moves_halfway():
    hits = [Hit(0.3, KICK, 100), Hit(2.6, CLOSED_HH, 100)]
    assert [h.time for h in shaped(hits, quantize=0.5)] == pytest.approx([0.275, 2.55])


def test_full_swing_moves_the_offbeat_16th_to_the_triplet():
    hits = [Hit(t, CLOSED_HH, 80) for t in (0.0, 0.25, 0.5, 0.75, 1.0, 3.25)]
    times = [h.time for h in shaped(hits, swing=1.0)]
    assert times == pytest.approx([0.0, 1 / 3, 0.5, 0.5 + 1 / 3, 1.0, 3 + 1 / 3])


def test_half_swing_lands_between_straight_and_triplet():
    (hit,) = shaped([Hit(0.25, CLOSED_HH, 80)], swing=0.5)
    assert 0.25 < hit.time < 1 / 3


def test_swing_keeps_the_order_of_hits():
    times = [i / 24 for i in range(96)]
    out = shaped([Hit(t, CLOSED_HH, 80) for t in times], swing=1.0)
    assert [h.time for h in out] == sorted(h.time for h in out)
    assert len({round(h.time, 9) for h in out}) == len(times)


@pytest.mark.parametrize("bpm, ms", [(120.0, 10.0), (90.0, 30.0), (180.0, 5.0)])
def test_humanize_spreads_within_plus_minus_humanize_ms(bpm, ms):
    hits = [Hit(0.5 + i * 0.25, CLOSED_HH, 80) for i in range(12)]
    generator = np.random.default_rng(11)
    spread = ms / 1000 * bpm / 60
    moved = []
    for _ in range(50):
        out = shape_bar(hits, Controls(humanize_ms=ms), bpm, generator)
        moved += [shaped_hit.time - hit.time for shaped_hit, hit in zip(out, hits)]
    assert all(abs(delta) <= spread + 1e-12 for delta in moved)
    assert max(abs(delta) for delta in moved) > spread / 2  # really spread, not left alone
    assert len(set(moved)) > len(moved) // 2


def test_humanize_with_a_seeded_generator_is_reproducible():
    controls = Controls(humanize_ms=20.0)
    first = shape_bar(GROOVE, controls, 100.0, np.random.default_rng(5))
    assert shape_bar(GROOVE, controls, 100.0, np.random.default_rng(5)) == first
    assert shape_bar(GROOVE, controls, 100.0, np.random.default_rng(6)) != first


def test_velocity_scale_scales_and_clamps():
    hits = [Hit(0.0, KICK, 100), Hit(1.0, SNARE, 90)]
    assert [h.velocity for h in shaped(hits, velocity_scale=0.5)] == [50, 45]
    assert [h.velocity for h in shaped(hits, velocity_scale=2.0)] == [127, 127]


def test_velocity_scale_zero_drops_every_note():
    assert shaped(GROOVE, velocity_scale=0.0) == []


def test_a_note_scaled_below_1_is_dropped_not_sent_at_0():
    out = shaped([Hit(0.0, KICK, 1), Hit(1.0, SNARE, 100)], velocity_scale=0.4)
    assert out == [Hit(1.0, SNARE, 40)]


feel = st.fixed_dictionaries(
    {
        "quantize": st.floats(0, 1),
        "swing": st.floats(0, 1),
        "humanize_ms": st.floats(0, 30),
        "velocity_scale": st.floats(0, 2),
    }
)
bar = st.lists(
    st.builds(Hit, st.floats(0, 4, exclude_max=True), st.integers(0, len(DRUM_NAMES) - 1), st.integers(1, 127)),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(bar, feel, st.floats(20, 300), st.integers(0, 2**32 - 1))
def test_shaped_times_stay_inside_the_bar_and_velocities_in_midi_range(hits, changes, bpm, seed):
    out = shape_bar(hits, Controls(**changes), bpm, np.random.default_rng(seed))
    assert len(out) <= len(hits)
    assert all(0.0 <= h.time < 4.0 for h in out)
    assert all(1 <= h.velocity <= 127 and isinstance(h.velocity, int) for h in out)


@settings(max_examples=200, deadline=None)
@given(bar)
def test_full_quantize_result_is_always_on_a_16th(hits):
    for hit in shaped(hits, quantize=1.0):
        sixteenths = hit.time * 4
        # a hit in the bar's last 32nd snaps to the next downbeat, kept just inside the bar
        assert sixteenths == pytest.approx(round(sixteenths), abs=1e-5)


def test_the_downbeat_cell_is_what_full_quantize_puts_on_the_downbeat():
    edge = [Hit(DOWNBEAT_CELL_BEATS, KICK, 100), Hit(DOWNBEAT_CELL_BEATS + 1e-9, SNARE, 100)]
    downbeat, rest = split_downbeat(edge)
    assert downbeat == edge[:1] and rest == edge[1:]
    assert [h.time for h in shaped(edge, quantize=1.0)] == [0.0, 0.25]


@settings(max_examples=300, deadline=None)
@given(bar, feel, bar, st.sets(st.integers(0, len(DRUM_NAMES) - 1), max_size=3), st.integers(0, 2**32 - 1))
def test_shaping_the_downbeat_and_the_rest_apart_gives_the_whole_bars_notes(hits, changes, source, lock, seed):
    """The engine shapes an answer's downbeat before the worker has written the rest of its bar."""
    edges = [
        Hit(0.0, 0, 60),
        Hit(DOWNBEAT_CELL_BEATS, 0, 90),
        Hit(0.13, 0, 80),
        Hit(0.12, 3, 70),
    ]  # each side of the split
    hits, controls = hits + edges, Controls(**changes, lock=frozenset(lock))
    whole = shape_bar(hits, controls, 120.0, np.random.default_rng(seed), source)
    generator = np.random.default_rng(seed)
    parts = [shape_bar(part, controls, 120.0, generator, source_part)
             for part, source_part in zip(split_downbeat(hits), split_downbeat(source))]  # fmt: skip
    in_order = lambda notes: sorted(notes, key=lambda h: (h.time, h.drum, h.velocity))  # noqa: E731
    assert in_order(parts[0] + parts[1]) == in_order(whole)
