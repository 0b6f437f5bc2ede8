"""The per-bar conditioning rules: density scale, phrase places, the fill rule, the plan a set of controls makes."""

from __future__ import annotations

import pytest

from bridge.music.conditions import (
    DENSITY_VALUES,
    FILL_NO,
    FILL_YES,
    UNKNOWN,
    BarPlan,
    Controls,
    continuation_plan,
    density_value,
    hits_by_bar,
    is_fill_bar,
    phrase_value,
    played_conditions,
)
from bridge.music.hits import Hit

KICK, SNARE, HAT, LOW_TOM, HIGH_TOM, CRASH = 0, 1, 3, 6, 8, 9


def _bar(drums, start: float = 0.0) -> list[Hit]:
    return [Hit(start + index * 0.25, drum, 90) for index, drum in enumerate(drums)]


GROOVE = _bar([KICK, HAT, SNARE, HAT] * 4)  # 16 hits, no toms
FILL = _bar([SNARE, SNARE, LOW_TOM, LOW_TOM, HIGH_TOM, HIGH_TOM, CRASH, KICK])


def test_density_is_monotonic_log_scaled_and_bounded():
    values = [density_value(hits) for hits in range(0, 200)]
    assert values == sorted(values)
    assert density_value(0) == 1 and density_value(1) == 2
    assert density_value(16) - density_value(8) == 3  # three steps per doubling
    assert max(values) == DENSITY_VALUES - 1 and UNKNOWN not in values


def test_density_targets_half_and_one_and_a_half_land_on_other_values():
    assert density_value(20 * 0.5) < density_value(20) < density_value(20 * 1.5)


def test_phrase_places_cycle_over_four_bars_from_one():
    assert [phrase_value(i) for i in range(9)] == [1, 2, 3, 4, 1, 2, 3, 4, 1]


def test_a_bar_that_turns_to_the_toms_is_a_fill_only_after_a_bar_that_did_not():
    assert is_fill_bar(FILL, GROOVE)
    assert is_fill_bar(FILL, None)
    assert not is_fill_bar(FILL, FILL)  # a tom groove (or a second fill bar) is not a new fill
    assert not is_fill_bar(GROOVE, FILL)
    assert not is_fill_bar([], GROOVE)


def test_hits_are_grouped_by_bar_and_outside_hits_dropped():
    hits = [Hit(0.0, KICK, 90), Hit(3.99, SNARE, 90), Hit(4.0, KICK, 90), Hit(8.0, KICK, 90)]
    assert hits_by_bar(hits, [0.0, 4.0, 8.0]) == [hits[:2], [hits[2]]]


def test_played_bars_are_labelled_as_played():
    later_fill = [Hit(h.time + 4, h.drum, h.velocity) for h in FILL]
    rows = played_conditions([GROOVE, later_fill], style=3)
    assert rows == [(3, FILL_NO, density_value(16), 1), (3, FILL_YES, density_value(8), 2)]
    assert all(row[1] == FILL_YES for row in played_conditions([GROOVE], 0, fill_file=True))


def test_plan_asks_for_the_seed_density_times_the_factor():
    plan = continuation_plan([GROOVE, GROOVE], 2, Controls(style=2, density=0.5))
    assert plan.bars[:2] == [(2, FILL_NO, density_value(16), 1), (2, FILL_NO, density_value(16), 2)]
    assert plan.bars[2:] == [(2, FILL_NO, density_value(8), 3), (2, FILL_NO, density_value(8), 4)]
    assert continuation_plan([GROOVE], 1, Controls(density=0.0)).bars[1][2] == density_value(0)


def test_density_one_leaves_the_density_to_the_seed():
    assert continuation_plan([GROOVE], 2, Controls()).bars[1:] == [(0, FILL_NO, UNKNOWN, 2), (0, FILL_NO, UNKNOWN, 3)]


def test_the_seed_density_is_its_last_bar_with_hits():
    from bridge.music.conditions import seed_density

    pickup = GROOVE[:3]
    assert seed_density([pickup, GROOVE]) == 16 and seed_density([GROOVE, pickup, []]) == 3
    assert seed_density([[], []]) == 0
    assert continuation_plan([pickup, GROOVE], 1, Controls(density=1.5)).bars[2][2] == density_value(24)
    assert continuation_plan([[]], 1, Controls(density=1.5)).bars[1][2] == UNKNOWN


@pytest.mark.parametrize(
    ("controls", "fills"),
    [
        (Controls(), [False] * 6),
        (Controls(fill_every=4), [False, True, False, False, False, True]),  # bars 4 and 8 counted from the seed
        (Controls(fill_last=True), [False] * 5 + [True]),
        (Controls(fill_every=2, fill_last=True), [False, True, False, True, False, True]),
    ],
)
def test_fills_fall_every_n_bars_from_the_seed_start_and_on_the_last_bar(controls, fills):
    plan = continuation_plan([GROOVE, GROOVE], 6, controls)
    assert [row[1] == FILL_YES for row in plan.bars[2:]] == fills


def test_a_plan_gives_nothing_outside_its_bars():
    assert BarPlan().at(0) == BarPlan([(1, 1, 5, 2)]).at(3) == (UNKNOWN, FILL_NO, UNKNOWN, UNKNOWN)
    assert BarPlan([(1, 1, 5, 2)]).at(-1) == (UNKNOWN, FILL_NO, UNKNOWN, UNKNOWN)


def test_adherence_fades_with_distance_from_the_seed_density():
    from bridge.music.conditions import DENSITY_RELEASE, density_hold

    assert density_hold(1.0) == 1.0
    assert density_hold(DENSITY_RELEASE) == density_hold(1 / DENSITY_RELEASE) == pytest.approx(0.0)
    assert density_hold(0.5) == density_hold(2.0) == density_hold(0.0) == 0.0
    assert 1.0 > density_hold(1.1) > density_hold(1.25) > 0.0
    assert density_hold(1.25) == pytest.approx(density_hold(1 / 1.25))


def test_fill_bars_and_density_changes_lower_the_hold_of_generated_bars_only():
    plan = continuation_plan([GROOVE, GROOVE], 3, Controls(density=1.25, fill_last=True))
    assert plan.holds[:2] == [1.0, 1.0]
    assert 0 < plan.hold(2) == plan.hold(3) < 1 and plan.hold(4) == 0.0
    assert plan.hold(5) == 1.0  # past the plan: the sampler's own adherence
    assert continuation_plan([GROOVE], 2, Controls()).holds == [1.0, 1.0, 1.0]
