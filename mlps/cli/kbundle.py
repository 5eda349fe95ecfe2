"""``mlps bundle verify DIR``: check an offline Kubernetes bundle before it enters the site."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlps.cli import app
from mlps.errors import InputError
from mlps.kubebundle import MANIFEST, verify_bundle

bundle_app = typer.Typer(help="Offline Kubernetes bundle (release binaries, OCI images, CNI).",
                         no_args_is_help=True)
app.add_typer(bundle_app, name="bundle")


@bundle_app.command("verify")
def verify(
    directory: Annotated[Path, typer.Argument(help=f"Bundle directory holding {MANIFEST}.")],
) -> None:
    """Exit 0 when every file is listed and matches its SHA-256; 1 on any mismatch; 2 on bad input."""
    try:
        check = verify_bundle(directory)
    except InputError as exc:
        typer.echo(exc.line(), err=True)
        raise typer.Exit(2) from exc
    for problem in check.problems:
        typer.echo(f"{directory}: {problem}", err=True)
    if not check.ok:
        typer.echo(f"mlps: bundle {directory} refused: {len(check.problems)} problem(s)", err=True)
        raise typer.Exit(1)
    typer.echo(f"bundle {directory}: {len(check.verified)} file(s) match {MANIFEST}")
