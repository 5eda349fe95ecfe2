"""``mlps synth``: the stack program offline (no engine, no cloud), output for review."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mlps.cli import app
from mlps.cli.common import EXIT_FINDINGS, EXIT_OK, user_errors
from mlps.plan_findings import SYNTH
from mlps.safe_output import check_target


@app.command()
@user_errors
def synth(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack name: reads Pulumi.<stack>.yaml.")],
    out: Annotated[Path | None, typer.Option(
        help="Output directory: new, empty or an earlier synth output (replaced).")] = None,
) -> None:
    """Synthesize a stack: resources.json, manifests/, inventory.yml, findings.json.

    Exit 0 when the plan passes every mandatory policy, 1 on findings or a spec that fails
    validation (nothing is synthesized then), 2 on unusable input.
    """
    import pulumi

    from mlps.synth import synthesize

    target = out or Path("build") / "synth" / stack
    check_target(target, SYNTH)  # refused before the program runs, and again when published
    try:
        result = synthesize(stack, target)
    except pulumi.RunError as exc:
        print(f"mlps: {exc}", file=sys.stderr)
        raise typer.Exit(EXIT_FINDINGS) from None
    manifests = sum(1 for name in result.files if name.startswith("manifests/"))
    print(
        f"mlps: {stack}: {len(result.registrations)} resources, {manifests} Kubernetes "
        f"manifests, inventory and {len(result.findings)} plan finding(s) in {target}"
    )
    for f in result.findings:
        print(f"  {f.control} [{f.clause}] {f.pointer}: {f.message_en}")
    raise typer.Exit(EXIT_FINDINGS if result.mandatory else EXIT_OK)
