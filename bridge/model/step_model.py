"""Run the streaming step model with LiteRT: (token, position, state) -> (logits, new state).

Loading checks model.json (bridge.model.files), the .tflite file's checksum,
and that the tensors have the shapes model.json promises; any failure is one
ModelError line naming the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bridge.model.files import DEFAULT_MODEL_DIR, ModelError, load_model_info, model_file
from bridge.system.native_output import native_stderr_silenced


def _interpreter_class():
    """LiteRT first; tflite-runtime is accepted where it still installs (Python <= 3.11, numpy < 2)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        try:
            from tflite_runtime.interpreter import Interpreter
        except ImportError:
            raise ModelError("no TFLite runtime: install ai-edge-litert (or tflite-runtime)") from None
    return Interpreter


class StepModel:
    """One interpreter, one recurrent state; not thread-safe (one owner thread)."""

    def __init__(self, model_dir: str | Path = DEFAULT_MODEL_DIR, variant: str = "float32", threads: int = 1):
        self.info, self.vocabulary = load_model_info(model_dir)
        self.path = model_file(model_dir, self.info, variant)
        self.variant = variant
        interpreter_class = _interpreter_class()
        try:
            with native_stderr_silenced():  # LiteRT prints an INFO line per interpreter
                self._interpreter = interpreter_class(model_path=str(self.path), num_threads=threads)
                self._interpreter.allocate_tensors()
            self._bind_tensors()
        except ModelError:
            raise  # already one line naming the file (ModelError is a RuntimeError too)
        except (ValueError, RuntimeError) as error:
            raise ModelError(f"{self.path}: cannot be loaded ({error})") from None
        self.reset()

    def _bind_tensors(self) -> None:
        """Map signature names to tensor indexes (interpreter order is not Keras order)."""
        names = self.info["tensors"]
        runner = self._interpreter.get_signature_runner(names["signature"])
        inputs, outputs = runner.get_input_details(), runner.get_output_details()
        try:
            self._input = inputs[names["input"]]["index"]
            self._state_in = inputs[names["state"]]["index"]
            self._logits = outputs[names["logits"]]["index"]
            self._state_out = outputs[names["state_out"]]["index"]
        except KeyError as error:
            raise ModelError(f"{self.path}: has no tensor named {error}") from None
        del runner
        self.state_size = self.info["state_size"]  # load_model_info checked it is a positive int
        self._feed = np.zeros((1, len(self.info["inputs"])), np.int32)
        # A model.json that does not describe this .tflite would fail at the first step; refuse it here.
        self._check_shape(inputs[names["input"]], self._feed.shape, "'inputs' lists")
        self._check_shape(inputs[names["state"]], (1, self.state_size), "'state_size' says")
        self._check_shape(outputs[names["state_out"]], (1, self.state_size), "'state_size' says")

    def _check_shape(self, details: dict, expected: tuple[int, ...], claim: str) -> None:
        shape = tuple(int(n) for n in details["shape"])
        if shape != expected:
            raise ModelError(f"{self.path}: tensor shape {shape}, but model.json's {claim} {expected[-1]}")

    def reset(self) -> None:
        """Back to the state before any token."""
        self._interpreter.set_tensor(self._state_in, np.zeros((1, self.state_size), np.float32))

    @property
    def state(self) -> np.ndarray:
        return self._interpreter.get_tensor(self._state_in)

    @state.setter
    def state(self, value: np.ndarray) -> None:
        self._interpreter.set_tensor(self._state_in, value)

    def step(self, token: int, position: int, extra: tuple[int, ...] = (0, 0)) -> np.ndarray:
        """Feed one token with its position and `extra` inputs (the lookback tokens, then a
        conditioned model's conditions); returns the next-token logits."""
        interpreter = self._interpreter
        feed = self._feed
        feed[0, 0] = token
        feed[0, 1] = position
        for slot, value in enumerate(extra, start=2):  # scalar stores beat a tuple-to-array conversion
            feed[0, slot] = value
        interpreter.set_tensor(self._input, feed)
        interpreter.invoke()
        # The new state becomes the next input.
        interpreter.set_tensor(self._state_in, interpreter.get_tensor(self._state_out))
        return interpreter.get_tensor(self._logits)[0]
