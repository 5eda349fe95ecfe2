"""``mlps validate``: findings per control for one or more specs, offline."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from mlps.cli import app
from mlps.cli.common import (
    REPORT_MODE,
    Command,
    Format,
    SoftFail,
    SpecOption,
    digests,
    findings_exit,
    hospital_name,
    user_errors,
)
from mlps.controls import catalog
from mlps.errors import InputError
from mlps.report import Report, build_section, render
from mlps.report.model import now
from mlps.safe_output import replace_file
from mlps.spec import load_spec
from mlps.validate import validate as validate_spec
from mlps.validate.engine import check_level
from mlps.waivers import WAIVER_CONTROL, load_waivers


@app.command(cls=Command)
@user_errors
def validate(
    paths: Annotated[list[Path] | None, typer.Argument(
        metavar="SPEC...", help="Pulumi.<env>.yaml or spec files (YAML/JSON).", show_default=False)] = None,
    spec: SpecOption = None,
    level: Annotated[int | None, typer.Option(
        metavar="LEVEL", help="等保 level 2, 3 or 4 (default: the spec's own).")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Report format.")] = Format.text,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="FILE", help="Write the report here.")] = None,
    waivers: Annotated[Path | None, typer.Option(
        metavar="FILE", help="YAML file of accepted exceptions.")] = None,
    soft_fail: SoftFail = False,
) -> None:
    """Check specs against the 等保 level rules. Exit 0 compliant, 1 findings (0 with
    --soft-fail), 2 unusable input."""
    started = now()
    if level is not None:
        check_level(level, "--level")
    named = [*(paths or []), *(spec or [])]
    if not named:
        raise InputError("mlps validate", "no spec given", "name it: SPEC... or --spec SPEC")
    specs = [load_spec(p) for p in named]
    accepted = load_waivers(waivers) if waivers else None
    cat = catalog()
    sections = []
    for loaded in specs:
        begun = time.monotonic()
        result = validate_spec(loaded, level=level, waivers=accepted, cat=cat)
        checked = set(result.checked) | ({WAIVER_CONTROL} if accepted is not None else set())
        section = build_section(cat, loaded.name, loaded.file, result.level, result.findings,
                                {"spec": checked}, hospital=hospital_name(loaded),
                                layout=str(loaded.effective.get("layout", "")))
        section.seconds = time.monotonic() - begun
        sections.append(section)
    report = Report(sections=sections, started=started,
                    inputs=digests([*named, *([waivers] if waivers else [])]))
    text = render(report, fmt.value)
    if output:
        replace_file(output, text.encode("utf-8"), mode=REPORT_MODE)
        print(f"mlps: wrote {fmt.value} report to {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    raise findings_exit(report.failed, soft_fail)
