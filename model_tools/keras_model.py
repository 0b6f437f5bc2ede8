"""The Keras LSTM that is trained on every position of token windows."""

from __future__ import annotations

import keras
from keras import layers

from .config import TrainConfig

# Layer names are the contract between training and conversion.
TOKEN_EMBEDDING = "token_embedding"  # noqa: S105 - a layer name, not a secret
POSITION_EMBEDDING = "position_embedding"
LOOKBACK_EMBEDDING = "lookback_embedding"
CONDITION_EMBEDDINGS = {name: f"{name}_embedding" for name in ("style", "fill", "density", "phrase")}
LSTM = "lstm"
NORM_1 = "norm_1"
DENSE = "dense"
NORM_2 = "norm_2"
LOGITS = "logits"


def build_model(
    vocabulary_size: int,
    position_buckets: int,
    config: TrainConfig,
    lookback_bars: int,
    condition_sizes: dict[str, int] | None = None,
) -> keras.Model:
    """Sequence model: (tokens, positions, lookback tokens[, conditions]) -> next-token logits at every position.

    `condition_sizes` (values per conditioning input, in CONDITIONS order) adds one
    input and one embedding per condition when config.conditioning is set.
    """
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    positions = keras.Input((None,), dtype="int32", name="positions")
    lookback = keras.Input((None, lookback_bars), dtype="int32", name="lookback")
    lookback_vectors = layers.Embedding(vocabulary_size, config.lookback_embedding, name=LOOKBACK_EMBEDDING)(lookback)
    parts = [
        layers.Embedding(vocabulary_size, config.token_embedding, name=TOKEN_EMBEDDING)(tokens),
        layers.Embedding(position_buckets, config.position_embedding, name=POSITION_EMBEDDING)(positions),
        # one slot per lookback bar, so the LSTM can tell "one bar ago" from "two bars ago"
        layers.Reshape((-1, lookback_bars * config.lookback_embedding))(lookback_vectors),
    ]
    inputs = [tokens, positions, lookback]
    if config.conditioning:
        assert condition_sizes is not None, "a conditioned model needs the size of each condition"
        for name, size in condition_sizes.items():
            condition = keras.Input((None,), dtype="int32", name=name)
            width = getattr(config, f"{name}_embedding")
            parts.append(layers.Embedding(size, width, name=CONDITION_EMBEDDINGS[name])(condition))
            inputs.append(condition)
    x = layers.Concatenate()(parts)
    x = layers.LSTM(config.lstm_units, return_sequences=True, name=LSTM)(x)
    x = layers.BatchNormalization(name=NORM_1)(x)
    x = layers.Dropout(config.dropout)(x)
    x = layers.Dense(config.dense_units, name=DENSE)(x)
    x = layers.BatchNormalization(name=NORM_2)(x)
    x = layers.ELU()(x)
    x = layers.Dropout(config.dropout)(x)
    logits = layers.Dense(vocabulary_size, name=LOGITS)(x)
    return keras.Model(inputs, logits, name="beat_lstm")


def compile_model(model: keras.Model, config: TrainConfig) -> None:
    # PAD (id 0) fills short windows; ignoring it keeps the loss per real token.
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0)
    optimizer = keras.optimizers.Adam(config.learning_rate, clipnorm=config.clipnorm)
    model.compile(optimizer=optimizer, loss=loss)
