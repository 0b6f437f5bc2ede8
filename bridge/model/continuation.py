"""Prime the step model on a seed and continue it bar by bar, never re-running a window."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from bridge.model import fill_guidance
from bridge.model.step_model import StepModel
from bridge.music.bar_memory import BarMemory
from bridge.music.conditions import BarPlan, Controls, continuation_plan, hits_by_bar
from bridge.music.hits import DrumPart, Hit
from bridge.music.sampling import SamplingSettings, sample
from bridge.music.tokens import BAR, BarCursor, decode, encode

# A bar with more tokens than this is cut short with a bar line: no drummer
# plays that many onsets, and it bounds the time one bar can take to generate.
MAX_TOKENS_PER_BAR = 200


@dataclass
class GeneratedBars:
    tokens: list[int]  # starting with the BAR that opens the first generated bar
    forced_bar_lines: int  # bars cut short by MAX_TOKENS_PER_BAR


class Continuer:
    """Owns a step model and the cursor of the stream it has been fed.

    A conditioned model also gets each bar's conditions from `plan` (indexed by
    the bar the stream is in: the first BAR fed opens bar 0); the default plan
    gives none, so the model follows the seed.
    """

    def __init__(self, model: StepModel, bar_units: int, plan: BarPlan | None = None) -> None:
        self.model = model
        self.vocabulary = model.vocabulary
        self.cursor = BarCursor(self.vocabulary, bar_units)
        self.memory = BarMemory(self.vocabulary)
        self.logits: np.ndarray | None = None
        self.lookback: tuple[int, ...] = ()
        self.conditioned = "conditions" in model.info
        self.plan = plan or BarPlan()
        self.bar = -1  # index of the bar the stream is in (-1 before the first BAR)
        self.shadow: fill_guidance.Shadow | None = None  # the unflagged twin of a guided bar

    def feed(self, token: int) -> None:
        self.memory.record(self.cursor, token)
        self.cursor.advance(token)
        self.bar += token == BAR
        self.lookback = self.memory.lookback(self.cursor)
        if not self.conditioned:
            self.logits = self.model.step(token, self.cursor.position_bucket, self.lookback)
            return
        conditions, position = self.plan.at(self.bar), self.cursor.position_bucket
        # A guided bar's unflagged twin reads the token first (bridge/model/fill_guidance.py).
        strength = self.plan.strength(self.bar)
        self.shadow = fill_guidance.follow(
            self.shadow, self.model, token, token == BAR, strength, position, self.lookback, conditions
        )
        self.logits = self.model.step(token, position, self.lookback + conditions)

    def prime(self, tokens) -> None:
        """Start over and feed a seed that ends on a bar line (its last token is BAR)."""
        self.model.reset()
        self.cursor = BarCursor(self.vocabulary, self.cursor.bar_units)
        self.memory = BarMemory(self.vocabulary)
        self.bar = -1
        self.shadow = None
        for token in tokens:
            self.feed(int(token))

    def next_distribution(self) -> np.ndarray:
        """The model's probabilities for the next token."""
        assert self.logits is not None, "feed or prime the model first"
        logits = self.logits.astype(np.float64)
        probabilities = np.exp(logits - logits.max())
        return probabilities / probabilities.sum()

    def write_token(self, settings: SamplingSettings, rng: np.random.Generator, in_bar: int) -> int:
        """Sample the next token and feed it back; `in_bar` tokens already written in this bar
        (at MAX_TOKENS_PER_BAR the bar is closed with a bar line instead)."""
        if in_bar >= MAX_TOKENS_PER_BAR:
            token = BAR
        else:
            assert self.logits is not None, "feed or prime the model first"
            hold = self.plan.hold(self.bar)
            if hold < 1.0:  # a fill or a density change: the groove's proposals count less here
                settings = replace(settings, adherence=settings.adherence * hold)
            logits = self.logits
            if self.shadow is not None:  # a guided fill bar: two model steps per token, here only
                logits = fill_guidance.guided_logits(logits, self.shadow.logits, self.shadow.strength)
            proposals = fill_guidance.groove_proposals(self.plan, self.bar, self.lookback)
            token = sample(logits, self.cursor.allowed_mask(), settings, rng, proposals, self.vocabulary.first_hit)
        self.feed(token)
        return token

    def generate_bars(self, bars: int, settings: SamplingSettings, rng: np.random.Generator) -> GeneratedBars:
        """Sample until `bars` more bar lines have been written."""
        tokens, forced, in_bar = [BAR], 0, 0
        while bars > 0:
            forced += in_bar >= MAX_TOKENS_PER_BAR
            token = self.write_token(settings, rng, in_bar)
            tokens.append(token)
            in_bar = 0 if token == BAR else in_bar + 1
            bars -= token == BAR
        return GeneratedBars(tokens, forced)


def seed_tokens(part: DrumPart, seed_bars: int, vocabulary) -> np.ndarray:
    """Tokens of the part's first `seed_bars` bars, ending with the bar line where generation starts."""
    lines = part.bar_lines[: seed_bars + 1]
    tokens, _positions = encode(part.hits, lines, vocabulary)
    return tokens


def continue_part(
    model: StepModel,
    part: DrumPart,
    seed_bars: int,
    bars: int,
    settings: SamplingSettings,
    rng: np.random.Generator,
    controls: Controls | None = None,
) -> tuple[list[Hit], GeneratedBars]:
    """Hits of `bars` generated bars, timed in beats from the start of the first generated bar.

    `controls` (style, density, fills) reach a conditioned model as its bar plan:
    the seed bars as played, the generated bars as asked.
    """
    bar_units = round(part.beats_per_bar * model.vocabulary.config.units_per_beat)
    seed = hits_by_bar(part.hits, part.bar_lines[: seed_bars + 1])
    continuer = Continuer(model, bar_units, continuation_plan(seed, bars, controls or Controls()))
    continuer.prime(seed_tokens(part, seed_bars, model.vocabulary))
    generated = continuer.generate_bars(bars, settings, rng)
    return decode(generated.tokens, model.vocabulary, bar_units), generated
