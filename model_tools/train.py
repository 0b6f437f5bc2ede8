"""`beatgen train DATA_DIR -o RUN_DIR`: next-token training at every position, best checkpoint kept."""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np

from bridge.music.bar_memory import LOOKBACK_BARS, lookback_inputs, lookback_signature
from bridge.music.conditions import CONDITIONS, condition_sizes, conditions_signature
from bridge.music.tokens import PAD, POSITION_BUCKETS, TokenizerConfig, Vocabulary

from .clips import FINE_TUNE_HELD_OUT_SHARE, HELD_OUT_SHARE, split_clips
from .conditioning import drop_conditions, label_counts, part_conditions, style_table, token_conditions
from .config import TrainConfig
from .dataset import tokenize_parts
from .finetune import closer_line, held_out_bits, load_start, save_start

BEST_MODEL = "best.keras"
LAST_MODEL = "last.keras"
HISTORY = "history.csv"
RUN_INFO = "run.json"
MIN_METER_SHARE = 0.05


def make_windows(sequences, config: TrainConfig, vocabulary: Vocabulary, conditions=None):
    """(tokens, positions, lookback, conditions, targets) windows that start on bar lines; PAD fills the tail.

    Lookback is computed per window from the window alone, as generation does from its seed.
    `conditions` holds one (tokens, 4) array per sequence (conditioning.token_conditions);
    without it the conditions are all UNKNOWN.  The phrase place is the file's own
    bar count, so a window that starts on bar 2 starts on phrase place 3.
    """
    length = config.sequence_length
    inputs, positions, lookbacks, window_conditions, targets = [], [], [], [], []
    for index, (tokens, pos, bar_indexes) in enumerate(sequences):
        token_conditions = conditions[index] if conditions is not None else np.zeros((len(tokens), len(CONDITIONS)))
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
            window_conditions.append(np.pad(token_conditions[chunk], ((0, pad), (0, 0)))[:-1])
            targets.append(window_tokens[1:])
    return (
        np.array(inputs, np.int32),
        np.array(positions, np.int32),
        np.array(lookbacks, np.int32).reshape(len(inputs), length, LOOKBACK_BARS),
        np.array(window_conditions, np.int32).reshape(len(inputs), length, len(CONDITIONS)),
        np.array(targets, np.int32),
    )


def oversample_fills(x, p, lb, conditions, y, times: int):
    """Windows with a fill bar repeated `times` times in all (1 = as they are)."""
    if times <= 1:
        return x, p, lb, conditions, y
    has_fill = conditions[:, :, CONDITIONS.index("fill")].any(axis=1)
    order = np.concatenate([np.arange(len(x))] + [np.flatnonzero(has_fill)] * (times - 1))
    return x[order], p[order], lb[order], conditions[order], y[order]


def model_inputs(x, p, lb, conditions, config: TrainConfig) -> list[np.ndarray]:
    """The Keras model's inputs in build_model's order: one array per condition when conditioned."""
    inputs = [x, p, lb]
    if config.conditioning:
        inputs += [conditions[:, :, column] for column in range(len(CONDITIONS))]
    return inputs


def split_conditions(parts, sequences, styles: list[str]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per-bar and per-token conditions of each tokenized part."""
    bars = [part_conditions(entry, part, styles) for entry, part in parts]
    return bars, [token_conditions(tokens, rows) for rows, (tokens, _p, _b) in zip(bars, sequences)]


def training_meters(parts) -> list[str]:
    """Meters with at least MIN_METER_SHARE of the training bars: what the model can be asked to continue."""
    bars: Counter[str] = Counter()
    for _entry, part in parts:
        bars["{}/{}".format(*part.time_signature)] += part.bar_count
    total = sum(bars.values())
    return sorted(meter for meter, count in bars.items() if count >= MIN_METER_SHARE * total)


def train(
    folder: str,
    run_dir: str,
    config: TrainConfig,
    resume: bool = False,
    verbose: int = 1,
    base=None,
    out=print,
    clips: tuple[list, list] | None = None,
) -> Path:
    """Train on `folder`'s train split, select on its held-out clips; returns the best model path.

    `base` (finetune.BaseModel) makes it a fine-tuning run: that model's styles and
    meters, its clips' held-out score before and after, recorded in run.json.
    `clips`: (train, held-out) parts already chosen by clips.split_clips.
    """
    import keras

    from .keras_model import build_model, compile_model

    run = Path(run_dir)
    if not resume and run.exists() and any(run.iterdir()):
        raise FileExistsError(f"{run}: already holds a run; pass --resume to continue it or choose another folder")
    if clips is None:
        share = FINE_TUNE_HELD_OUT_SHARE if base else HELD_OUT_SHARE
        clips = split_clips(folder, config.max_files, base.meters if base else None, share, out)
    train_parts, validation_parts = clips
    run.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(config.seed)
    vocabulary = Vocabulary(TokenizerConfig())
    train_sequences, train_files = tokenize_parts(train_parts, vocabulary), len(train_parts)
    validation_sequences, validation_files = tokenize_parts(validation_parts, vocabulary), len(validation_parts)
    # A fine-tuning run keeps its base's style table (the embedding's size); user clips have no style: 0.
    styles = base.styles if base else style_table([entry for entry, _part in train_parts])
    train_bars, train_conditions = split_conditions(train_parts, train_sequences, styles)
    x, p, lb, c, y = make_windows(train_sequences, config, vocabulary, train_conditions)
    vx, vp, vlb, vc, vy = make_windows(
        validation_sequences, config, vocabulary, split_conditions(validation_parts, validation_sequences, styles)[1]
    )
    # Validation drops conditions the same way (its own fixed draw), so its loss
    # is the loss of the mix of uses the model is trained for.
    x, p, lb, c, y = oversample_fills(x, p, lb, c, y, config.fill_oversample)
    c = drop_conditions(c, config.condition_dropout, np.random.default_rng(config.seed), x)
    vc = drop_conditions(vc, config.condition_dropout, np.random.default_rng(config.seed + 1), vx)
    held_out = model_inputs(vx, vp, vlb, vc, config)
    model, done, best = _resume_point(run) if resume else (None, 0, None)
    if model is None:
        model = build_model(len(vocabulary), POSITION_BUCKETS, config, LOOKBACK_BARS, condition_sizes(len(styles)))
        if config.init_from:
            from .warm_start import warm_start

            warm_start(model, config.init_from)
        compile_model(model, config)
        if base:
            # The starting model is the first candidate: an epoch must beat it on the held-out
            # clips to replace it, so a run that only overfits hands back the model it started from.
            best = float(model.evaluate(held_out, vy, batch_size=config.batch_size, verbose=0))
            model.save(run / BEST_MODEL)
            start = held_out_bits(model, held_out, vx, vy)
            save_start(run, {**start, "val_loss": best})
            out(f"{base.name} on the held-out clips: {best:.4f} nats/token, {start['bits_per_bar']:.1f} bits/bar")
    elif base:
        scores = [best, (load_start(run) or {}).get("val_loss")]
        best = min((score for score in scores if score is not None), default=None)
    started = time.time()
    model.fit(
        model_inputs(x, p, lb, c, config),
        y,
        batch_size=config.batch_size,
        epochs=config.epochs,
        initial_epoch=done,
        validation_data=(held_out, vy),
        callbacks=_callbacks(run, config, best, out),
        shuffle=True,
        verbose=verbose,
    )
    info = {
        "data": str(folder),
        "train_files": train_files,
        "validation_files": validation_files,
        "held_out_files": [str(entry.path) for entry, _part in validation_parts],
        "train_windows": int(len(x)),
        "train_tokens": int(sum(len(s[0]) for s in train_sequences)),
        "seconds": round(time.time() - started, 1),
        "epochs_run": len(_history_rows(run)),
        "best_val_loss_nats": min(float(row["val_loss"]) for row in _history_rows(run)),
        "meters": base.meters if base else training_meters(train_parts),
        "config": config.to_json(),
        "tokenizer": vocabulary.signature(),
        "lookback": lookback_signature(),
    }
    if config.conditioning:
        info["conditions"] = {**conditions_signature(), "styles": styles, "train_labels": label_counts(train_bars)}
    if base:
        info["fine_tuned"] = _fine_tune_record(run, base, held_out, vx, vy, train_files, validation_files, out)
    (run / RUN_INFO).write_text(json.dumps(info, indent=1))
    return run / BEST_MODEL


def _fine_tune_record(run: Path, base, held_out, vx, vy, clips: int, held_out_clips: int, out) -> dict:
    """What model.json says about a fine-tuned model; prints how much closer it came to the user's clips."""
    import keras

    start = load_start(run) or {"bits_per_bar": float("nan"), "bits_per_token": float("nan")}
    tuned = held_out_bits(keras.models.load_model(run / BEST_MODEL), held_out, vx, vy)
    out(closer_line(base.name, start, tuned, held_out_clips))
    return {
        "from": base.name,
        "from_path": str(base.path),
        "clips": clips,
        "held_out_clips": held_out_clips,
        "held_out": {"start": start, "fine_tuned": tuned},
    }


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


def _callbacks(run: Path, config: TrainConfig, best_so_far: float | None, out=print):
    import keras

    from .progress import epoch_progress

    return [
        epoch_progress(config.epochs, out),
        # The last epoch's model (with optimizer state) is what --resume continues from.
        keras.callbacks.ModelCheckpoint(str(run / LAST_MODEL)),
        keras.callbacks.ModelCheckpoint(
            str(run / BEST_MODEL), monitor="val_loss", save_best_only=True, initial_value_threshold=best_so_far
        ),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=1e-4),
        keras.callbacks.CSVLogger(str(run / HISTORY), append=True),
    ]
