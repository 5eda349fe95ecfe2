"""``mlps validate``: findings per control for one or more specs, offline."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mlps.cli import app
from mlps.cli.common import EXIT_FINDINGS, EXIT_OK, Format, user_errors
from mlps.controls import catalog
from mlps.report import Report, build_section, render
from mlps.safe_output import replace_file
from mlps.spec import load_spec
from mlps.validate import validate as validate_spec
from mlps.validate.engine import check_level
from mlps.waivers import WAIVER_CONTROL, load_waivers


@app.command()
@user_errors
def validate(
    paths: Annotated[list[Path], typer.Argument(help="Pulumi.<env>.yaml or spec files (YAML/JSON).")],
    level: Annotated[int | None, typer.Option(help="等保 level 2, 3 or 4 (default: the spec's own).")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Report format.")] = Format.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report here.")] = None,
    waivers: Annotated[Path | None, typer.Option(help="YAML file of accepted exceptions.")] = None,
) -> None:
    """Check specs against the 等保 level rules. Exit 0 compliant, 1 findings, 2 unusable input."""
    if level is not None:
        check_level(level, "--level")
    specs = [load_spec(p) for p in paths]
    accepted = load_waivers(waivers) if waivers else None
    cat = catalog()
    sections = []
    for spec in specs:
        result = validate_spec(spec, level=level, waivers=accepted, cat=cat)
        checked = set(result.checked) | ({WAIVER_CONTROL} if accepted is not None else set())
        sections.append(build_section(cat, spec.name, spec.file, result.level, result.findings,
                                      {"spec": checked}))
    report = Report(sections=sections)
    text = render(report, fmt.value)
    if output:
        replace_file(output, text.encode("utf-8"))
        print(f"mlps: wrote {fmt.value} report to {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    raise typer.Exit(EXIT_FINDINGS if report.failed else EXIT_OK)
