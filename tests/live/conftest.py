"""Fixtures of the live engine's tests: the bundled model, and the GIL switch interval `beatgen run` sets."""

import sys

import pytest

from bridge.live.runner import SWITCH_INTERVAL_S
from bridge.model.step_model import StepModel


@pytest.fixture(scope="module")
def model():
    return StepModel()


@pytest.fixture(autouse=True)
def short_gil_switch_interval():
    """As `beatgen run` does: the test's clock thread shares the GIL with the inference worker."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    yield
    sys.setswitchinterval(previous)
