"""Continuing a seed with the shipped model: exact bar counts, grammar, reproducibility, state carried."""

from __future__ import annotations

import numpy as np

from bridge.midi_io.midi_files import read_drum_part
from bridge.model.continuation import Continuer, continue_part
from bridge.model.step_model import StepModel
from bridge.music.sampling import SamplingSettings
from bridge.music.tokens import BAR, decode, encode
from tests.conftest import VALIDATION_FILE

BAR_UNITS = 384


class CountingModel(StepModel):
    """The real model, counting how many tokens it is fed."""

    steps = 0

    def step(self, *args):
        self.steps += 1
        return super().step(*args)


def test_generates_exactly_the_requested_bars(groove):
    part = read_drum_part(VALIDATION_FILE)
    hits, generated = continue_part(StepModel(), part, 2, 3, SamplingSettings(), np.random.default_rng(5))
    assert generated.tokens[0] == BAR and generated.tokens[-1] == BAR
    assert generated.tokens.count(BAR) == 4 and generated.forced_bar_lines == 0
    assert hits and all(0 <= h.time < 12 for h in hits)
    assert decode(generated.tokens, StepModel().vocabulary, BAR_UNITS) == hits


def test_every_token_is_fed_once_and_never_a_window_again(groove):
    model = CountingModel()
    continuer = Continuer(model, BAR_UNITS)
    seed = [BAR, model.vocabulary.hit_token(0, 100), model.vocabulary.shift_token(48), BAR]
    continuer.prime(seed)
    generated = continuer.generate_bars(2, SamplingSettings(), np.random.default_rng(0))
    assert model.steps == len(seed) + len(generated.tokens) - 1  # the opening BAR was the seed's last token


def test_same_random_seed_same_bars():
    part = read_drum_part(VALIDATION_FILE)
    runs = [
        continue_part(StepModel(), part, 2, 2, SamplingSettings(), np.random.default_rng(9))[1].tokens for _ in range(2)
    ]
    assert runs[0] == runs[1]


def test_full_adherence_repeats_a_steady_groove():
    model = StepModel()
    v = model.vocabulary
    bar = [v.hit_token(0, 100), v.hit_token(3, 80), v.shift_token(48), v.hit_token(3, 60), v.shift_token(48)]
    bar += [v.hit_token(1, 110), v.hit_token(3, 80), v.shift_token(48), v.hit_token(3, 60)]
    continuer = Continuer(model, 2 * 96)  # a 2/4 bar: eighth notes, kick on 1, snare on 2
    continuer.prime([BAR] + bar + [BAR] + bar + [BAR])
    generated = continuer.generate_bars(1, SamplingSettings(adherence=1.0), np.random.default_rng(0))
    assert generated.tokens[1:-1] == bar


def test_a_bar_the_plan_releases_is_not_held_to_the_groove(groove):
    from bridge.music.conditions import BarPlan

    part = read_drum_part(VALIDATION_FILE)
    seed = part.bar_lines[:3]
    tokens = [int(t) for t in encode(part.hits, seed, StepModel().vocabulary)[0]]
    held = SamplingSettings(adherence=1.0, top_k=1)  # deterministic: the groove wherever it has a proposal

    def bars(plan):
        continuer = Continuer(StepModel(), BAR_UNITS, plan)
        continuer.prime(tokens)
        return continuer.generate_bars(2, held, np.random.default_rng(0)).tokens

    kept = bars(BarPlan())
    released = bars(BarPlan([(0, 0, 0, 0)] * 3, holds=[1.0, 1.0, 0.0]))  # bar 2 (the first generated) let go
    assert kept != released
    assert bars(BarPlan([(0, 0, 0, 0)] * 3, holds=[1.0, 1.0, 1.0])) == kept
