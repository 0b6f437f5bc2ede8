"""Reference language models on the same tokens: unigram, and Kneser-Ney 3-gram mixed with an in-window cache."""

from __future__ import annotations

import numpy as np

from bridge.music.tokens import PAD

DISCOUNT = 0.75  # the usual single Kneser-Ney discount


class UnigramModel:
    """Token frequencies of the training data, add-one smoothed."""

    def __init__(self, sequences, vocabulary_size: int) -> None:
        counts = np.ones(vocabulary_size)
        for tokens in sequences:
            counts += np.bincount(tokens, minlength=vocabulary_size)
        counts[PAD] = 0
        self.probabilities = counts / counts.sum()

    def distribution(self, history: list[int]) -> np.ndarray:
        return self.probabilities


class KneserNeyTrigram:
    """Interpolated Kneser-Ney over dense count tables (the vocabulary is small).

    Each training sequence starts with two PAD tokens as its context, as every
    evaluated window does.
    """

    def __init__(self, sequences, vocabulary_size: int) -> None:
        v = vocabulary_size
        trigrams = np.zeros((v, v, v), np.int32)
        for tokens in sequences:
            padded = np.concatenate([[PAD, PAD], tokens])
            np.add.at(trigrams, (padded[:-2], padded[1:-1], padded[2:]), 1)
        self.trigrams = trigrams.astype(np.float64)
        self.context_totals = self.trigrams.sum(axis=2)
        self.context_types = (trigrams > 0).sum(axis=2)
        # Middle order: continuation counts N1+(. v w) instead of raw bigram counts.
        middle = (trigrams > 0).sum(axis=0).astype(np.float64)
        self.middle = middle
        self.middle_totals = middle.sum(axis=1)
        self.middle_types = (middle > 0).sum(axis=1)
        lowest = (middle > 0).sum(axis=0).astype(np.float64)
        lowest[PAD] = 0
        types = lowest.sum()
        seen = (lowest > 0).sum()
        self.lowest = (np.maximum(lowest - DISCOUNT, 0) + DISCOUNT * seen / v) / types
        self.lowest[PAD] = 0
        self.lowest /= self.lowest.sum()

    def distribution(self, history: list[int]) -> np.ndarray:
        u, v = ([PAD, PAD] + list(history))[-2:]
        middle = self._interpolate(self.middle[v], self.middle_totals[v], self.middle_types[v], self.lowest)
        return self._interpolate(self.trigrams[u, v], self.context_totals[u, v], self.context_types[u, v], middle)

    @staticmethod
    def _interpolate(counts, total, types, lower) -> np.ndarray:
        if total == 0:
            return lower
        return np.maximum(counts - DISCOUNT, 0) / total + DISCOUNT * types / total * lower


class CachedModel:
    """A base model mixed with what this window has played so far.

    The unigram cache favours tokens already heard; the bigram cache repeats
    what followed the previous token earlier in the window (drum patterns loop).
    """

    def __init__(self, base, vocabulary_size: int, unigram_weight: float, bigram_weight: float) -> None:
        self.base = base
        self.size = vocabulary_size
        self.unigram_weight = unigram_weight
        self.bigram_weight = bigram_weight

    def distribution(self, history: list[int]) -> np.ndarray:
        base = self.base.distribution(history)
        if not history:
            return base
        unigram = np.bincount(history, minlength=self.size) / len(history)
        previous = np.asarray(history[:-1])
        followers = np.asarray(history[1:])[previous == history[-1]]
        bigram = np.bincount(followers, minlength=self.size) / len(followers) if len(followers) else unigram
        mixed = (1 - self.unigram_weight - self.bigram_weight) * base
        return mixed + self.unigram_weight * unigram + self.bigram_weight * bigram


def sequence_bits(model, tokens, first_scored: int) -> np.ndarray:
    """-log2 p of tokens[first_scored:], each given everything before it in the window."""
    history = [int(t) for t in tokens]
    return np.array([-np.log2(model.distribution(history[:i])[history[i]]) for i in range(first_scored, len(history))])
