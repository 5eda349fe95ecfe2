"""``mlps synth``: the stack program offline (no engine, no cloud), output for review."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mlps.cli import app
from mlps.cli.common import EXIT_FINDINGS, EXIT_OK, Command, one_spec, require_extra, user_errors
from mlps.errors import InputError
from mlps.plan_findings import SYNTH
from mlps.progress import Step, steps
from mlps.safe_output import check_target

if TYPE_CHECKING:  # the stack program loads only when synth runs
    from mlps.synth import SynthResult


def stack_name(spec: Path) -> str:
    """``Pulumi.<stack>.yaml`` names its stack; any other file is named by its stem."""
    name = spec.name
    if name.startswith("Pulumi.") and name.endswith((".yaml", ".yml")):
        return name.removeprefix("Pulumi.").rsplit(".", 1)[0]
    return spec.stem


@app.command(cls=Command)
@user_errors
def synth(
    spec_arg: Annotated[Path | None, typer.Argument(
        metavar="SPEC", help="Pulumi.<env>.yaml or spec file (or give it with --spec).",
        show_default=False)] = None,
    spec: Annotated[Path | None, typer.Option(
        metavar="SPEC", help="Pulumi.<env>.yaml or spec file (same as the SPEC argument).")] = None,
    stack: Annotated[str | None, typer.Option(
        "--stack", "-s", metavar="STACK", help="Stack name: reads Pulumi.<STACK>.yaml.")] = None,
    out: Annotated[Path | None, typer.Option(
        metavar="DIR", help="Output directory: new, empty or an earlier synth output (replaced).")] = None,
) -> None:
    """Synthesize a stack: resources.json, manifests/, inventory.yml, findings.json.

    Exit 0 when the plan passes every mandatory policy, 1 on findings or a spec that fails
    validation (nothing is synthesized then), 2 on unusable input.
    """
    require_extra("synth", "pulumi", "iac")
    import pulumi

    from mlps.synth import synthesize

    if stack is not None and (spec_arg is not None or spec is not None):
        raise InputError("mlps synth", "both a stack and a spec given", "give one: SPEC or --stack")
    path = one_spec("synth", spec_arg, spec) if stack is None else None
    name = stack if stack is not None else stack_name(path) if path is not None else ""
    target = out or Path("build") / "synth" / name
    check_target(target, SYNTH)  # refused before the program runs, and again when published
    try:
        with steps() as step:  # on a terminal only; gone before anything below is printed
            result: SynthResult = (synthesize(name, target, progress=step) if path is None
                                   else _from_file(path, target, step))
    except pulumi.RunError as exc:
        print(f"mlps: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_FINDINGS) from None
    manifests = sum(1 for f in result.files if f.startswith("manifests/"))
    print(
        f"mlps: {name}: {len(result.registrations)} resources, {manifests} Kubernetes "
        f"manifests, inventory and {len(result.findings)} plan finding(s) in {target}"
    )
    for f in result.findings:
        print(f"  {f.control} [{f.clause}] {f.pointer}: {f.message_en}")
    for n in result.notices:
        print(f"  notice {n.control} {n.pointer}: {n.message_en}")
    raise typer.Exit(EXIT_FINDINGS if result.mandatory else EXIT_OK)


def _from_file(path: Path, target: Path, progress: Step) -> SynthResult:
    from mlps.spec import load_spec
    from mlps.synth.output import write_tree
    from mlps.synth.project import project_root
    from mlps.synth.run import synthesize_spec

    loaded = load_spec(path)
    try:  # the project holding the spec, else the one around the current directory
        root = project_root(path.resolve().parent)
    except InputError:
        root = project_root()
    result = synthesize_spec(loaded, root, stack_name(path), progress)
    progress(f"writing {target}")
    write_tree(target, result.files)
    return result
