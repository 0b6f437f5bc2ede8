"""Training configuration: every default in one commented place, saved with the model."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass
class TrainConfig:
    # Architecture: the notebook's Embedding -> LSTM 256 -> BatchNorm -> Dropout
    # -> Dense 256 -> BatchNorm -> ELU -> Dropout -> Dense, plus small
    # embeddings of the position in the bar and of the lookback tokens
    # (bridge/bar_memory.py) next to the token embedding.
    token_embedding: int = 64
    position_embedding: int = 16
    # Embedding of each lookback token (what came next here one and two bars ago).
    lookback_embedding: int = 32
    # Conditioning (bridge/music/conditions.py): one small embedding per input,
    # concatenated like the others; `condition_dropout` of the windows lose each of
    # style, density and phrase so the model also runs without them.
    conditioning: bool = True
    style_embedding: int = 8
    fill_embedding: int = 4
    density_embedding: int = 8
    phrase_embedding: int = 4
    condition_dropout: float = 0.25
    # Windows holding a fill bar are repeated this many times: fills are 8 % of the
    # training bars, and the fill input is what a user asks for.
    fill_oversample: int = 1
    # A model folder (bridge/model) whose Keras weights start the run (model_tools/warm_start.py);
    # empty = a fresh start.
    init_from: str = ""
    lstm_units: int = 256
    dense_units: int = 256
    dropout: float = 0.3
    # Data: windows of `sequence_length` tokens starting on bar lines, every
    # `window_stride_bars` bars, so each window starts from a fresh state on a
    # bar line exactly as generation does.
    sequence_length: int = 192
    window_stride_bars: int = 2
    # Optimisation.
    batch_size: int = 32
    epochs: int = 30
    learning_rate: float = 2e-3
    clipnorm: float = 1.0
    # Stop early when validation loss has not improved for this many epochs.
    patience: int = 4
    seed: int = 1234
    # Limit the number of files per split (0 = all); used for quick runs and CI.
    max_files: int = 0

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        # Runs from before conditioning existed have no such key and no such inputs.
        values.setdefault("conditioning", False)
        return cls(**values)


# One line per option for `beatgen train --help` (a test checks every field has one).
OPTION_HELP = {
    "token_embedding": "width of the token embedding",
    "position_embedding": "width of the position-in-bar embedding",
    "lookback_embedding": "width of each lookback token's embedding",
    "conditioning": "train the style/fill/density/phrase inputs (1) or not (0)",
    "style_embedding": "width of the style embedding",
    "fill_embedding": "width of the fill embedding",
    "density_embedding": "width of the density embedding",
    "phrase_embedding": "width of the phrase-place embedding",
    "condition_dropout": "share of windows that lose each of style, density, phrase",
    "fill_oversample": "repeat windows holding a fill bar this many times in all",
    "init_from": "start from this model folder's Keras weights (see --from for fine-tuning)",
    "lstm_units": "LSTM size",
    "dense_units": "size of the dense layer after the LSTM",
    "dropout": "dropout after the LSTM and the dense layer",
    "sequence_length": "tokens per training window",
    "window_stride_bars": "a window starts every this many bars",
    "batch_size": "windows per training step",
    "epochs": "most epochs to run (early stopping may end sooner)",
    "learning_rate": "Adam's learning rate",
    "clipnorm": "clip each gradient to this norm",
    "patience": "stop after this many epochs without a better held-out loss",
    "seed": "random seed (weights, shuffling, condition dropout)",
    "max_files": "use at most this many files per split (0 = all; for quick runs)",
}
