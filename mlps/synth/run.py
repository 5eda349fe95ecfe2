"""Synthesize one stack: spec → validation gate → mocked program → files and findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mlps.controls import catalog
from mlps.findings import Finding
from mlps.plan_findings import FINDINGS_FILE, Notice, dump_plan_findings
from mlps.progress import Step, quiet
from mlps.spec import LoadedSpec, load_spec
from mlps.synth.mockrun import Registration, run_program
from mlps.synth.output import render_files, write_tree
from mlps.synth.project import importable, project_root, stack_file

PROJECT = "mlps"


@dataclass
class SynthResult:
    """What one synth produced."""

    spec: LoadedSpec
    registrations: list[Registration]
    files: dict[str, str]
    findings: list[Finding] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)
    mandatory: int = 0
    notices: list[Notice] = field(default_factory=list)


def synthesize_spec(spec: LoadedSpec, root: Path, stack: str, progress: Step = quiet) -> SynthResult:
    """Run the stack program for ``spec`` offline and collect its output (nothing written);
    ``progress`` is told each step as it starts."""
    progress(f"running the stack program of {stack} offline (Pulumi mock runtime)")
    importable(root)
    from mlps.synth.checks import plan_graph, run_policies
    from stacks.capabilities import notices as capability_notices
    from stacks.components.audit_policy import render_audit_policy
    from stacks.inventory import render_inventory
    from stacks.known_hosts import KNOWN_HOSTS, render_known_hosts
    from stacks.model import environment
    from stacks.program import build

    regs = run_program(lambda: build(spec), PROJECT, stack, {})
    progress("rendering the files and checking the plan")
    files = render_files(regs)
    env = environment(spec.effective)
    files["inventory.yml"] = render_inventory(env)
    files[KNOWN_HOSTS] = render_known_hosts(env.raw)
    if env.kubernetes.enabled and env.kubernetes.audit_log:
        files["files/kube-apiserver-audit-policy.yaml"] = render_audit_policy()
    approved = env.cloud.approved_images if env.cloud is not None else None
    check = run_policies(plan_graph(regs, spec.level, approved), catalog())
    notices = capability_notices(env)
    files[FINDINGS_FILE] = dump_plan_findings(check.findings, check.checked, notices)
    return SynthResult(spec, regs, files, check.findings, check.checked, check.mandatory, notices)


def synthesize(stack: str, out: Path | None = None, start: Path | None = None,
               progress: Step = quiet) -> SynthResult:
    """``mlps synth --stack <stack> [--out DIR]``: synthesize and write DIR (replaced whole)."""
    root = project_root(start)
    spec = load_spec(stack_file(root, stack))
    result = synthesize_spec(spec, root, stack, progress)
    if out is not None:
        progress(f"writing {out}")
        write_tree(out, result.files)
    return result
