"""``mlps pki``: the environment's small CA and host certificates for mutual TLS of logs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlps.cli import app
from mlps.cli.common import Command
from mlps.errors import InputError

pki_app = typer.Typer(help="Certificates for mutual TLS between log forwarders and audit servers.",
                      no_args_is_help=True, rich_markup_mode=None)
app.add_typer(pki_app, name="pki")


@pki_app.command("init", cls=Command)
def init(
    directory: Annotated[Path, typer.Argument(help="Where the CA and host files go (keep it "
                                                    "outside the repository; mode 0700).")],
    name: Annotated[list[str], typer.Option("--name", help="Host certificate name (repeat).")],
    ca_name: Annotated[str, typer.Option("--ca-name", help="CA common name.")] = "mlps log CA",
) -> None:
    """Create the CA if missing and one certificate per --name if missing; keys stay 0600."""
    try:
        from mlps.pki import environment_pki  # cryptography loads only for this command

        issued = environment_pki(directory, ca_name, name)
    except InputError as exc:
        typer.echo(exc.line(), err=True)
        raise typer.Exit(2) from exc
    for host, files in issued.items():
        typer.echo(f"{host}\t{files.cert}")
    typer.echo(f"set MLPS_PKI_DIR={directory} (or *_pki_src_dir) for the log roles")
