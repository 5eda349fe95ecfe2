"""``mlps bundle verify|pin DIR``: check an offline Kubernetes bundle before it enters the site."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlps.cli import app
from mlps.cli.common import Command
from mlps.errors import InputError
from mlps.kubebundle import MANIFEST, PIN_VAR, pin_text, read_manifest, read_pins, verify_bundle

bundle_app = typer.Typer(help="Offline Kubernetes bundle (release binaries, OCI images, CNI).",
                         no_args_is_help=True, rich_markup_mode=None)
app.add_typer(bundle_app, name="bundle")


@bundle_app.command("verify", cls=Command)
def verify(
    directory: Annotated[Path, typer.Argument(help=f"Bundle directory holding {MANIFEST}.")],
    pinned: Annotated[Path | None, typer.Option(
        "--pinned", help=f"YAML file (group_vars) with {PIN_VAR}: the sums kept outside the bundle.")] = None,
) -> None:
    """Exit 0 when every file matches its pinned SHA-256 (or, without --pinned, SHA256SUMS);
    1 on any mismatch; 2 on bad input."""
    try:
        pins = read_pins(pinned) if pinned is not None else None
        check = verify_bundle(directory, pins)
    except InputError as exc:
        typer.echo(exc.line(), err=True)
        raise typer.Exit(2) from exc
    for problem in check.problems:
        typer.echo(f"{directory}: {problem}", err=True)
    if not check.ok:
        typer.echo(f"mlps: bundle {directory} refused: {len(check.problems)} problem(s)", err=True)
        raise typer.Exit(1)
    against = f"the sums pinned in {pinned}" if pinned is not None else MANIFEST
    typer.echo(f"bundle {directory}: {len(check.verified)} file(s) match {against}")
    if pinned is None:
        typer.echo(f"note: {MANIFEST} travels with the bundle; pin the sums with 'mlps bundle pin' "
                   "and check with --pinned", err=True)


@bundle_app.command("pin", cls=Command)
def pin(
    directory: Annotated[Path, typer.Argument(help="Bundle directory, as received from its source.")],
) -> None:
    """Print the group_vars YAML pinning every file of a consistent bundle (run where the bundle
    was received and checked against its publisher's sums, before it travels)."""
    try:
        check = verify_bundle(directory)
    except InputError as exc:
        typer.echo(exc.line(), err=True)
        raise typer.Exit(2) from exc
    if not check.ok:
        for problem in check.problems:
            typer.echo(f"{directory}: {problem}", err=True)
        typer.echo(f"mlps: bundle {directory} not pinned: {len(check.problems)} problem(s)", err=True)
        raise typer.Exit(1)
    typer.echo(pin_text(read_manifest(directory)), nl=False)
