"""Progress of the commands whose steps take seconds (``mlps lab up``, ``mlps synth``,
``mlps report --synth``): a rich display on standard error, drawn only when standard error is a
terminal, so CI logs and piped or redirected output carry no progress at all."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich loads only when there is a terminal to draw on
    from rich.console import Console

Step = Callable[[str], None]
"""``step(text)``: the step before is done and ``text`` is under way."""


def quiet(_text: str) -> None:
    """The step callback when nothing is shown."""


def stderr_console() -> Console | None:
    """A rich console on standard error when it is a terminal (not a dumb one), else None."""
    if not sys.stderr.isatty() or os.environ.get("TERM") == "dumb":
        return None
    from rich.console import Console

    return Console(stderr=True)


@contextmanager
def steps(console: Console | None = None) -> Iterator[Step]:
    """Yield a :data:`Step` that shows a spinner, the current step and the time elapsed.

    ``console`` defaults to :func:`stderr_console`; without a terminal the step does nothing.
    The display is removed when the block ends, so what the command prints after stays plain.
    """
    shown = console if console is not None else stderr_console()
    if shown is None or not shown.is_terminal:
        yield quiet
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=shown, transient=True, redirect_stdout=False) as display:
        task = display.add_task("", total=None)

        def step(text: str) -> None:
            display.update(task, description=text, refresh=True)

        yield step
