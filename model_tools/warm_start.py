"""Start a conditioned model from a trained unconditioned one: same function at step 0, new inputs at zero.

Every layer of the earlier model is copied by name.  The LSTM's input kernel
gains rows for the conditioning embeddings; they start at zero, so before
the first update the new model computes exactly what the old one did, and
training only has to learn what the conditions add.
"""

from __future__ import annotations

import numpy as np


def warm_start(model, model_dir: str) -> list[str]:
    """Copy the weights of MODEL_DIR's model (keras_weights.npz) into `model`; returns the layers copied."""
    from . import keras_model as names
    from .convert import keras_reference

    source = keras_reference(model_dir)
    copied = []
    for layer in source.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        target = model.get_layer(layer.name)
        if layer.name == names.LSTM:
            weights = [_grown_kernel(weights[0], target.get_weights()[0].shape[0]), *weights[1:]]
        target.set_weights(weights)
        copied.append(layer.name)
    return copied


def _grown_kernel(kernel: np.ndarray, rows: int) -> np.ndarray:
    """The input kernel with zero rows appended for the new inputs (concatenated after the old ones)."""
    if rows < kernel.shape[0]:
        raise ValueError(
            f"the new model has fewer LSTM inputs ({rows}) than the one it starts from ({kernel.shape[0]})"
        )
    return np.vstack([kernel, np.zeros((rows - kernel.shape[0], kernel.shape[1]), kernel.dtype)])
