"""``mlps controls`` lists the catalog; ``mlps schemas build`` regenerates the level schemas."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import typer

from mlps import levels
from mlps.cli import app
from mlps.cli.common import Command, user_errors
from mlps.controls import LEVELS, catalog
from mlps.validate.engine import check_level


class ListFormat(StrEnum):
    text = "text"
    json = "json"


@app.command(cls=Command)
@user_errors
def controls(
    level: Annotated[int | None, typer.Option(help="Only controls that apply at this level.")] = None,
    fmt: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.text,
) -> None:
    """List the control catalog (id, clause, levels, checkpoints, title)."""
    if level is not None:
        check_level(level, "--level")
    chosen = catalog().at_level(level) if level else list(catalog())
    if fmt is ListFormat.json:
        rows = [{"id": c.id, "clause": c.clause_at(level) if level else c.clause,
                 "clauses": {str(k): v for k, v in sorted(c.clauses.items())},
                 "levels": list(c.levels), "family": c.family, "severity": c.severity,
                 "checkpoints": list(c.checkpoints),
                 "title": {"zh": c.title.zh, "en": c.title.en}} for c in chosen]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    for c in chosen:
        lv = "".join(str(x) for x in c.levels)
        clause = c.clause_at(level) if level else c.clause
        print(f"{c.id:<16} {clause:<13} L{lv:<4} {','.join(c.checkpoints):<16} "
              f"{c.title.zh} / {c.title.en}")
    print(f"{len(chosen)} controls", file=sys.stderr)


schemas_app = typer.Typer(help="The level schemas generated from the catalog.", no_args_is_help=True,
                          rich_markup_mode=None)
app.add_typer(schemas_app, name="schemas")


@schemas_app.command("build", cls=Command)
@user_errors
def schemas_build(
    check: Annotated[bool, typer.Option(help="Only report whether they are up to date.")] = False,
) -> None:
    """Regenerate schemas/level-{2,3,4}.schema.json from mlps/catalog."""
    stale = levels.build(catalog(), check=check)
    for path in stale:
        print(f"{'out of date' if check else 'wrote'}: {path}", file=sys.stderr)
    if check and stale:
        print("run `mlps schemas build` and commit the result", file=sys.stderr)
        raise typer.Exit(1)
    if not stale:
        print(f"level schemas up to date ({', '.join(f'level-{n}' for n in LEVELS)})",
              file=sys.stderr)
