"""The 25-minute whole-hospital build runs only when asked for by name (tests/conftest.py)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET = "tests/lab/test_hospital_build.py"


def collected(*args: str) -> int:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args, TARGET],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    found = re.search(r"(\d+)(?:/\d+)? tests? collected|no tests collected", run.stdout)
    assert found, run.stdout[-2000:] + run.stderr[-2000:]
    return int(found.group(1) or 0)


@pytest.mark.parametrize("args", [(), ("-m", "lab"), ("-m", "hospital"), ("-m", "lab or not lab"),
                                  ("-m", "lab or not whole_build"), ("-m", "not whole_build"),
                                  ("-k", "report")])
def test_whole_build_is_left_out_unless_named(args: tuple[str, ...]) -> None:
    assert collected(*args) == 0


@pytest.mark.parametrize("args", [("-m", "whole_build"), ("-m", "lab and whole_build"),
                                  ("-m", "hospital and whole_build or slow")])
def test_whole_build_runs_when_named(args: tuple[str, ...]) -> None:
    tests = (ROOT / TARGET).read_text(encoding="utf-8").count("\ndef test_")
    assert tests > 0
    assert collected(*args) == tests
