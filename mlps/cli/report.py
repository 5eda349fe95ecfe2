"""``mlps report``: spec findings, plan findings and host evidence in one report and bundle."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from mlps.bundle import MANIFEST, REPORT, Input, copy_input, write_manifest
from mlps.cli import app
from mlps.cli.common import (
    REPORT_MODE,
    Command,
    Format,
    SoftFail,
    findings_exit,
    hospital_name,
    one_spec,
    require_extra,
    user_errors,
)
from mlps.controls import catalog
from mlps.evidence import load_evidence
from mlps.findings import Finding
from mlps.plan_findings import load_plan_findings
from mlps.report import Report, build_section, render
from mlps.report.model import InputDigest, now
from mlps.report.sarif import SRCROOT
from mlps.safe_output import check_target, output_dir, replace_file
from mlps.spec import LoadedSpec, load_spec
from mlps.validate import validate
from mlps.validate.engine import check_level
from mlps.waivers import WAIVER_CONTROL, apply_waivers, load_waivers

REPORT_FILES = {"text": "report.txt", "json": "report.json", "sarif": "report.sarif",
                "junit": "report.junit.xml", "html": "report.html"}


@app.command(cls=Command)
@user_errors
def report(
    spec_arg: Annotated[Path | None, typer.Argument(
        metavar="SPEC", help="Pulumi.<env>.yaml or spec file (or give it with --spec).",
        show_default=False)] = None,
    spec: Annotated[Path | None, typer.Option(
        metavar="SPEC", help="Pulumi.<env>.yaml or spec file (same as the SPEC argument).")] = None,
    evidence: Annotated[Path | None, typer.Option(
        metavar="DIR", help="Directory written by playbooks/verify.yml.")] = None,
    plan: Annotated[Path | None, typer.Option(
        metavar="DIR", help="Directory written by `mlps synth`.")] = None,
    synth: Annotated[bool, typer.Option(help="Synthesize the stack now and include its plan.")] = False,
    level: Annotated[int | None, typer.Option(
        metavar="LEVEL", help="等保 level (default: the spec's own).")] = None,
    waivers: Annotated[Path | None, typer.Option(
        metavar="FILE", help="YAML file of accepted exceptions.")] = None,
    out: Annotated[Path | None, typer.Option(
        metavar="DIR", help="Report directory (default reports/<env>).")] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="What to print.")] = Format.text,
    soft_fail: SoftFail = False,
) -> None:
    """Write every report format and a hashed evidence bundle; print a summary.

    Exit 0 compliant, 1 failing controls (0 with --soft-fail), 2 unusable input.
    """
    started, begun = now(), time.monotonic()
    spec = one_spec("report", spec_arg, spec)
    loaded = load_spec(spec)
    target = out or Path("reports") / loaded.name
    check_target(target, REPORT)  # refused before anything is read or cached
    level = check_level(loaded.level if level is None else level, "--level")
    accepted = load_waivers(waivers) if waivers else None
    cat = catalog()
    host = load_evidence(evidence, cat, level) if evidence else None
    planned = load_plan_findings(plan, cat, level) if plan else None

    result = validate(loaded, level=level, cat=cat)
    with output_dir(target, REPORT) as staging:
        if synth and not plan:
            if result.failed:
                print("mlps: the spec has failing findings: the stack is not synthesized",
                      file=sys.stderr)
            else:
                plan = _synthesize(loaded, spec, staging / "plan")
                planned = load_plan_findings(plan, cat, level)
        findings: list[Finding] = list(result.findings)
        checked: dict[str, set[str]] = {"spec": set(result.checked)}
        if planned:
            findings += planned.findings
            checked["plan"] = planned.checked
        if host:
            findings += host.findings
            checked["host"] = host.checked
        if accepted is not None:
            findings = apply_waivers(findings, accepted, cat, level=level, spec=loaded.effective)
            checked["spec"].add(WAIVER_CONTROL)
        section = build_section(cat, loaded.name, loaded.file, level, findings, checked,
                                host.by_control if host else None, hospital=hospital_name(loaded),
                                layout=str(loaded.effective.get("layout", "")))
        section.notices = planned.notices if planned else []

        bundle = staging / "bundle"
        inputs: list[Input] = [Input(spec, f"inputs/spec/{spec.name}")]
        if waivers:
            inputs.append(Input(waivers, f"inputs/waivers/{waivers.name}"))
        if host and evidence:
            inputs += [Input(p, f"inputs/evidence/{p.relative_to(evidence).as_posix()}", evidence)
                       for p in host.files]
        if planned and plan:
            inputs += [Input(p, f"inputs/plan/{p.relative_to(plan).as_posix()}", plan)
                       for p in planned.files]
        for item in inputs:
            copy_input(item, bundle)  # the report names the digests of these very copies
        bases = {SRCROOT: str(spec.parent)}
        if evidence:
            bases["EVIDENCEROOT"] = str(evidence)
        section.seconds = time.monotonic() - begun
        rep = Report(sections=[section], started=started, bases=bases, inputs=[
            InputDigest(str(i.src), hashlib.sha256((bundle / i.rel).read_bytes()).hexdigest())
            for i in inputs])

        for name, filename in REPORT_FILES.items():
            replace_file(staging / filename, render(rep, name).encode("utf-8"), mode=REPORT_MODE)
            copy_input(Input(staging / filename, f"reports/{filename}", staging), bundle)
        (bundle / "bundle.json").write_text(
            json.dumps(_describe(rep, [i.rel for i in inputs]), ensure_ascii=False, indent=2)
            + "\n", encoding="utf-8")
        write_manifest(bundle)

    sys.stdout.write(render(rep, fmt.value))
    print(f"mlps: reports in {target}/, evidence bundle {target}/bundle/ "
          f"(check it with: cd {target}/bundle && sha256sum -c {MANIFEST})", file=sys.stderr)
    raise findings_exit(rep.failed, soft_fail)


def _synthesize(loaded: LoadedSpec, spec: Path, out: Path) -> Path:
    """Run the stack program offline for ``loaded`` and write its plan into ``out``."""
    require_extra("report --synth", "pulumi", "iac")
    from mlps.progress import steps
    from mlps.synth.output import write_tree
    from mlps.synth.project import project_root
    from mlps.synth.run import synthesize_spec

    stack = spec.name.removeprefix("Pulumi.").removesuffix(".yaml") or loaded.name
    with steps() as step:  # on a terminal only
        files = synthesize_spec(loaded, project_root(), stack, step).files
        step(f"writing the plan into {out.name}/ of the report")
        write_tree(out, files)
    return out


def _describe(rep: Report, inputs: list[str]) -> dict[str, Any]:
    section = rep.sections[0]
    return {"environment": section.name, "level": section.level, "mlps": rep.version,
            "checkpoints": list(section.checkpoints), "compliant": not rep.failed,
            "inputs": inputs}
