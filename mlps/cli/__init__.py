"""The ``mlps`` command line: one sub-command per module of this package."""

from __future__ import annotations

from typing import Annotated

import typer

from mlps import __version__

app = typer.Typer(
    name="mlps",
    help="Hospital infrastructure that meets GB/T 22239-2019 (等保 2.0) by construction, and proves it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mlps {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """Hospital infrastructure that meets GB/T 22239-2019 (等保 2.0) by construction, and proves it."""


def main() -> None:
    """Entry point of the ``mlps`` script."""
    from mlps.cli import commands  # noqa: F401  (registers the sub-commands)

    app(prog_name="mlps")
