"""One line per epoch with the held-out loss and how long the rest of the run can take (an ETA).

Keras' own bar shows progress inside an epoch; this line adds the view of
the whole run.  The ETA is an upper bound: early stopping may end the run
sooner, and the line says so.
"""

from __future__ import annotations

import time


def epoch_progress(total_epochs: int, out=print):
    """A Keras callback printing "epoch 3/12: held-out 2.41 nats/token (best 2.39), 4 s/epoch, <= 36 s left"."""
    import keras

    class EpochProgress(keras.callbacks.Callback):
        def on_train_begin(self, logs=None) -> None:
            self.started = time.monotonic()
            self.epochs_here = 0
            self.best = float("inf")

        def on_epoch_end(self, epoch, logs=None) -> None:
            self.epochs_here += 1
            loss = float((logs or {}).get("val_loss", float("nan")))
            self.best = min(self.best, loss)
            per_epoch = (time.monotonic() - self.started) / self.epochs_here
            left = per_epoch * (total_epochs - epoch - 1)
            out(
                f"epoch {epoch + 1}/{total_epochs}: held-out {loss:.4f} nats/token (best {self.best:.4f}), "
                f"{per_epoch:.0f} s/epoch, at most {duration(left)} left (early stopping may end it sooner)"
            )

    return EpochProgress()


def duration(seconds: float) -> str:
    """'45 s', '3 min 20 s', '1 h 05 min'."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
