"""The ``mlps`` command line: one sub-command per module of this package."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="mlps",
    help="Hospital infrastructure that meets GB/T 22239-2019 (等保 2.0) by construction, and proves it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def main() -> None:
    """Entry point of the ``mlps`` script."""
    from mlps.cli import commands  # noqa: F401  (registers the sub-commands)

    app()
