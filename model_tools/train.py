"""`beatgen train DATA_DIR -o RUN_DIR`: next-token training at every position, best checkpoint kept."""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np

from bridge.music.bar_memory import LOOKBACK_BARS, lookback_inputs, lookback_signature
from bridge.music.tokens import PAD, POSITION_BUCKETS, TokenizerConfig, Vocabulary

from .config import TrainConfig
from .dataset import list_midi_files, load_parts, select, tokenize_parts

BEST_MODEL = "best.keras"
LAST_MODEL = "last.keras"
HISTORY = "history.csv"
RUN_INFO = "run.json"
MIN_METER_SHARE = 0.05


def make_windows(sequences, config: TrainConfig, vocabulary: Vocabulary):
    """(tokens, positions, lookback, targets) windows that start on bar lines; PAD fills the tail.

    Lookback is computed per window from the window alone, as generation does from its seed.
    """
    length = config.sequence_length
    inputs, positions, lookbacks, targets = [], [], [], []
    for tokens, pos, bar_indexes in sequences:
        for start in bar_indexes[:-1][:: config.window_stride_bars]:
            chunk = slice(start, start + length + 1)
            window_tokens, window_positions = tokens[chunk], pos[chunk]
            if len(window_tokens) < 2:
                continue
            pad = length + 1 - len(window_tokens)
            window_tokens = np.pad(window_tokens, (0, pad), constant_values=PAD)
            window_positions = np.pad(window_positions, (0, pad))
            inputs.append(window_tokens[:-1])
            positions.append(window_positions[:-1])
            lookbacks.append(lookback_inputs(window_tokens[:-1], vocabulary))
            targets.append(window_tokens[1:])
    return (
        np.array(inputs, np.int32),
        np.array(positions, np.int32),
        np.array(lookbacks, np.int32).reshape(len(inputs), length, LOOKBACK_BARS),
        np.array(targets, np.int32),
    )


def load_split_parts(folder: str, split: str, max_files: int = 0):
    entries = select(list_midi_files(folder), split)
    if max_files:
        entries = entries[:max_files]
    parts = load_parts(entries)
    if not parts:
        raise FileNotFoundError(f"{folder}: no usable MIDI files in split '{split}'")
    return parts


def training_meters(parts) -> list[str]:
    """Meters with at least MIN_METER_SHARE of the training bars: what the model can be asked to continue."""
    bars: Counter[str] = Counter()
    for _entry, part in parts:
        bars["{}/{}".format(*part.time_signature)] += part.bar_count
    total = sum(bars.values())
    return sorted(meter for meter, count in bars.items() if count >= MIN_METER_SHARE * total)


def train(folder: str, run_dir: str, config: TrainConfig, resume: bool = False, verbose: int = 1) -> Path:
    """Train on `folder`'s train split, select on its validation split; returns the best model path."""
    import keras

    from .keras_model import build_model, compile_model

    run = Path(run_dir)
    if not resume and run.exists() and any(run.iterdir()):
        raise FileExistsError(f"{run}: already holds a run; pass --resume to continue it or choose another folder")
    run.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(config.seed)
    vocabulary = Vocabulary(TokenizerConfig())
    train_parts = load_split_parts(folder, "train", config.max_files)
    validation_parts = load_split_parts(folder, "validation", config.max_files)
    train_sequences, train_files = tokenize_parts(train_parts, vocabulary), len(train_parts)
    validation_sequences, validation_files = tokenize_parts(validation_parts, vocabulary), len(validation_parts)
    x, p, lb, y = make_windows(train_sequences, config, vocabulary)
    vx, vp, vlb, vy = make_windows(validation_sequences, config, vocabulary)
    model, done, best = _resume_point(run) if resume else (None, 0, None)
    if model is None:
        model = build_model(len(vocabulary), POSITION_BUCKETS, config, LOOKBACK_BARS)
        compile_model(model, config)
    started = time.time()
    model.fit(
        [x, p, lb],
        y,
        batch_size=config.batch_size,
        epochs=config.epochs,
        initial_epoch=done,
        validation_data=([vx, vp, vlb], vy),
        callbacks=_callbacks(run, config, best),
        shuffle=True,
        verbose=verbose,
    )
    info = {
        "data": str(folder),
        "train_files": train_files,
        "validation_files": validation_files,
        "train_windows": int(len(x)),
        "train_tokens": int(sum(len(s[0]) for s in train_sequences)),
        "seconds": round(time.time() - started, 1),
        "epochs_run": len(_history_rows(run)),
        "best_val_loss_nats": min(float(row["val_loss"]) for row in _history_rows(run)),
        "meters": training_meters(train_parts),
        "config": config.to_json(),
        "tokenizer": vocabulary.signature(),
        "lookback": lookback_signature(),
    }
    (run / RUN_INFO).write_text(json.dumps(info, indent=1))
    return run / BEST_MODEL


def _resume_point(run: Path):
    """(model with optimizer state, epochs done, best val loss) of an earlier run in `run`, if any."""
    import keras

    if not (run / LAST_MODEL).is_file():
        return None, 0, None
    rows = _history_rows(run)
    best = min((float(row["val_loss"]) for row in rows), default=None)
    return keras.models.load_model(run / LAST_MODEL), len(rows), best


def _history_rows(run: Path) -> list[dict]:
    with (run / HISTORY).open() as stream:
        return list(csv.DictReader(stream))


def _callbacks(run: Path, config: TrainConfig, best_so_far: float | None):
    import keras

    return [
        # The last epoch's model (with optimizer state) is what --resume continues from.
        keras.callbacks.ModelCheckpoint(str(run / LAST_MODEL)),
        keras.callbacks.ModelCheckpoint(
            str(run / BEST_MODEL), monitor="val_loss", save_best_only=True, initial_value_threshold=best_so_far
        ),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=1e-4),
        keras.callbacks.CSVLogger(str(run / HISTORY), append=True),
    ]
