"""What every command shares: clean exits on user mistakes."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import ParamSpec, TypeVar

import typer

from mlps.errors import InputError

P = ParamSpec("P")
R = TypeVar("R")

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE = 0, 1, 2


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    html = "html"


def user_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn InputError (and unreadable output paths) into one line on stderr and exit 2."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            for line in exc.lines():
                print(f"mlps: error: {line}", file=sys.stderr)
            raise typer.Exit(EXIT_UNUSABLE) from None

    return wrapper
