"""What every command shares: clean exits on user mistakes, atomic output files."""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
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


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` completely or not at all."""
    if path.is_dir():
        raise InputError(str(path), "is a directory", "give a file name for the output")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as exc:
        raise InputError(str(path), f"cannot write here: {exc.strerror}",
                         "choose a writable place for the output") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
