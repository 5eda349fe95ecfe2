"""The example stacks synthesized once per test session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthfix import synthesize_all

from mlps.synth.run import SynthResult


@pytest.fixture(scope="session")
def synthesized() -> dict[str, SynthResult]:
    return synthesize_all()
