"""``mlps lab``: throwaway Debian 12 hosts for testing roles (needs root)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from mlps.cli import app
from mlps.cli.common import Command
from mlps.errors import InputError

if TYPE_CHECKING:  # the lab package is imported only when a lab command runs
    from mlps.lab import Lab

lab_app = typer.Typer(
    help="Throwaway Debian 12 lab hosts (systemd-nspawn, needs root).", no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(lab_app, name="lab")

NameOpt = Annotated[str, typer.Option("--name", help="Lab name; prefixes everything it makes.")]
T = TypeVar("T")


def _guard(action: Callable[[], T]) -> T:
    """Run ``action``; a lab or input problem becomes one line on stderr and exit 2 or 1."""
    from mlps.lab import LabError, LabUnavailable

    try:
        return action()
    except LabUnavailable as exc:
        typer.echo(f"mlps lab: {exc}", err=True)
        raise typer.Exit(2) from exc
    except InputError as exc:
        typer.echo(exc.line(), err=True)
        raise typer.Exit(2) from exc
    except LabError as exc:
        typer.echo(f"mlps lab: {exc}", err=True)
        raise typer.Exit(1) from exc


def _lab(name: str) -> Lab:
    def make() -> Lab:
        from mlps.lab import Lab
        from mlps.lab.proc import preflight

        preflight()
        return Lab(name)

    return _guard(make)


@lab_app.command(cls=Command)
def up(
    name: NameOpt = "mlps",
    hosts: Annotated[int | None, typer.Option("--hosts", help="N hosts h1..hN on one network.")] = None,
    topology: Annotated[Path | None, typer.Option("--topology", help="Topology YAML file.")] = None,
    spec: Annotated[
        Path | None, typer.Option("--spec", help="Environment spec (Pulumi.<env>.yaml): its hosts and zones.")
    ] = None,
) -> None:
    """Boot the lab (cleaning leftovers of the same name first) and write its inventory."""
    if sum(x is not None for x in (hosts, topology, spec)) > 1:
        typer.echo("mlps lab up: give one of --hosts, --topology or --spec", err=True)
        raise typer.Exit(2)
    if spec is not None:
        from mlps.lab import from_spec

        _guard(lambda: from_spec.load(spec))  # a bad spec is refused before root is asked for
    lab = _lab(name)
    if hosts is None and topology is None and spec is None:
        hosts = 3

    def boot() -> Lab:
        from mlps.progress import steps

        with steps() as step:  # on a terminal only; gone before anything below is printed
            return lab.up(hosts=hosts, topology=topology, spec=spec, progress=step)

    _guard(boot)
    for line in lab.log:
        typer.echo(line)
    for h in lab.hosts.values():
        nets = " ".join(f"{n}={a}" for n, a in h.addresses.items())
        typer.echo(f"{h.name}\t{nets}")
    typer.echo(f"inventory: {lab.inventory_path}")


@lab_app.command(cls=Command)
def down(name: NameOpt = "mlps") -> None:
    """Remove everything the lab made (also after a crash)."""
    lab = _lab(name)
    _guard(lab.down)
    typer.echo(f"lab {name} is down")


@lab_app.command(cls=Command)
def status(name: NameOpt = "mlps") -> None:
    """Hosts, their state and addresses, and cut links."""
    lab = _lab(name)
    rows = _guard(lab.status)
    for row in rows:
        nets = " ".join(f"{n}={a}" for n, a in row["networks"].items())
        typer.echo(f"{row['host']}\t{row['state']}\t{nets}")
    for link, mode in _guard(lambda: lab.cuts).items():
        typer.echo(f"cut\t{link}\t{mode}")
    typer.echo(f"inventory: {lab.inventory_path}")


HostArg = Annotated[str, typer.Argument(help="Host name as in the inventory.")]
LinkArg = Annotated[str, typer.Argument(help="Network (segment) name from the topology.")]


@lab_app.command(cls=Command)
def stop(host: HostArg, name: NameOpt = "mlps") -> None:
    """Power a host off cleanly."""
    lab = _lab(name)
    _guard(lambda: lab.stop(host))


@lab_app.command(cls=Command)
def start(host: HostArg, name: NameOpt = "mlps") -> None:
    """Boot a stopped host again and wait for SSH."""
    lab = _lab(name)
    _guard(lambda: lab.start(host))


@lab_app.command(cls=Command)
def kill(host: HostArg, name: NameOpt = "mlps") -> None:
    """Cut a host's power: every process ends at once."""
    lab = _lab(name)
    _guard(lambda: lab.kill(host))


@lab_app.command(cls=Command)
def cut(
    link: LinkArg,
    name: NameOpt = "mlps",
    mode: Annotated[str, typer.Option("--mode", help="down: link down; drop: silent drop.")] = "drop",
) -> None:
    """Cut a network: link down, or a silent drop that leaves both ends UP."""
    lab = _lab(name)
    _guard(lambda: lab.cut(link, mode=mode))


@lab_app.command(cls=Command)
def heal(link: LinkArg, name: NameOpt = "mlps") -> None:
    """Undo a cut."""
    lab = _lab(name)
    _guard(lambda: lab.heal(link))
