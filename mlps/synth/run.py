"""Synthesize one stack: spec → validation gate → mocked program → files and findings."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlps.controls import catalog
from mlps.errors import InputError
from mlps.findings import Finding
from mlps.normalise import fold
from mlps.plan_findings import FINDINGS_FILE, Notice, dump_plan_findings
from mlps.progress import Step, quiet
from mlps.spec import LoadedSpec, load_spec
from mlps.synth.mockrun import Registration, run_program
from mlps.synth.output import is_manifest, render_files, write_tree
from mlps.synth.project import importable, project_root, stack_file

if TYPE_CHECKING:
    from policy.policies import PlanGraph
    from stacks.model import Environment

REACHABILITY_FILE = "reachability.json"
"""Every flow the spec needs through the cloud boundaries, with the verdict of the plan's rules
(``policy.policies.environment.reach``); written for specs with a cloud."""

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
    from mlps.synth.checks import run_policies
    from policy.facts import collect
    from policy.policies.environment.reach import report as reachability
    from stacks.capabilities import notices as capability_notices
    from stacks.components.audit_policy import render_audit_policy
    from stacks.inventory import render_inventory
    from stacks.known_hosts import KNOWN_HOSTS, render_known_hosts
    from stacks.model import environment
    from stacks.program import build

    one_entry_each(spec)
    regs = run_program(lambda: build(spec), PROJECT, stack, spec.stack_config)
    one_resource_each(regs, spec.file)
    progress("rendering the files and checking the plan")
    files = render_files(regs)
    env = environment(spec.effective)
    files["inventory.yml"] = render_inventory(env)
    files[KNOWN_HOSTS] = render_known_hosts(env.raw)
    if env.kubernetes.enabled and env.kubernetes.audit_log:
        files["files/kube-apiserver-audit-policy.yaml"] = render_audit_policy()
    graph = spec_plan_graph(regs, spec, env=env)
    check = run_policies(graph, catalog())
    if env.cloud is not None:
        reach = reachability(collect(graph))
        files[REACHABILITY_FILE] = json.dumps(reach, indent=2, ensure_ascii=False) + "\n"
    notices = capability_notices(env)
    files[FINDINGS_FILE] = dump_plan_findings(check.findings, check.checked, notices)
    return SynthResult(spec, regs, files, check.findings, check.checked, check.mandatory, notices)


def spec_plan_graph(regs: list[Registration], spec: LoadedSpec, level: int | None = None,
                    env: Environment | None = None) -> PlanGraph:
    """The policies' view of a spec's mocked plan, with what the spec says the plan must meet
    (approved images, RPO, the flows through the cloud boundaries, the lines it ends in the
    cloud), at ``level`` (default: the
    spec's); ``env`` is the spec's environment where the caller has it already."""
    from mlps.synth.checks import plan_graph
    from stacks.components.network_zones import required_flows
    from stacks.model import environment

    env = env or environment(spec.effective)
    approved = env.cloud.approved_images if env.cloud is not None else None
    at = spec.level if level is None else level
    lines = len(env.links) if env.layout == "hybrid" else 0
    return plan_graph(regs, at, approved, env.backup.rpo_hours, required_flows(env), lines)


KEYED_BY_NAME: tuple[tuple[str, str, str], ...] = (
    ("zones", "name", "zone"), ("workloads", "name", "workload"),
    ("object_storage/buckets", "name", "bucket"), ("links", "name", "line"),
    ("admins", "name", "administrator account"),
)
"""(list, key, what) the stack program keys resources and files by: a repeated key would merge
two entries into one output entry or emit one name twice. Hosts are guarded twice already: the
gate in stacks.program refuses CNS-ZONE-01 and the inventory raises DuplicateHost."""


def one_entry_each(spec: LoadedSpec) -> None:
    """Refuse a spec two entries of which the stack would key alike (names folded), whether or
    not it passed the input rules: synth never merges or duplicates entries silently."""
    for where, key, what in KEYED_BY_NAME:
        entries: Any = spec.data
        for part in where.split("/"):
            entries = entries.get(part) if isinstance(entries, dict) else None
        seen: dict[str, int] = {}
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            value = entry.get(key) if isinstance(entry, dict) else None
            if not isinstance(value, str):
                continue
            first = seen.setdefault(fold(value), i)
            if first != i:
                raise InputError(
                    spec.file, f"{what} {value} (/{where}/{i}/{key}) repeats /{where}/{first}/{key}",
                    f"give each {what} its own {key}, or remove the repeated entry "
                    "(synth would merge the two or emit one name twice)",
                    where=spec.where(f"/{where}/{i}/{key}"))


def one_resource_each(regs: list[Registration], file: str) -> None:
    """Refuse a plan holding two resources of one type and name, or two manifests written to one
    file: the engine would reject the first and the output would silently keep only one of the
    second. The input rules refuse repeated names first; this is the last line of defence."""
    seen: set[str] = set()
    manifests: set[str] = set()
    for reg in regs:
        key = reg.urn
        path = f"manifests/{reg.name}.yaml" if is_manifest(reg) else None
        if key in seen or (path is not None and path in manifests):
            raise InputError(
                file, f"the stack would create two {reg.type} resources named {reg.name}",
                "give each zone, host, workload, bucket and line its own name (two entries of "
                "the spec became one resource name)")
        seen.add(key)
        if path is not None:
            manifests.add(path)


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
