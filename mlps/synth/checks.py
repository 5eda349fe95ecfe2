"""The plan-time policies over a synthesized graph, as mlps findings."""

from __future__ import annotations

from dataclasses import dataclass, field

from mlps.controls import Catalog
from mlps.errors import InputError
from mlps.findings import Finding
from mlps.required_flows import RequiredFlow
from mlps.synth.mockrun import Registration
from mlps.synth.output import clean
from policy.policies import POLICIES, PlanGraph, PlanResource


@dataclass
class PlanCheck:
    findings: list[Finding] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)
    mandatory: int = 0


def plan_graph(
    regs: list[Registration],
    level: int,
    approved_images: tuple[str, ...] | None = None,
    rpo_hours: int | None = None,
    required_flows: tuple[RequiredFlow, ...] | None = None,
    dedicated_lines: int | None = None,
) -> PlanGraph:
    """The policies' view of the mocked registrations and of what the spec approves."""
    return PlanGraph(
        [
            PlanResource(r.type, r.name, r.urn, clean(r.inputs), r.provider, r.deps)
            for r in regs
            if r.custom or r.type.startswith("pulumi:providers:")
        ],
        level=level,
        approved_images=approved_images,
        rpo_hours=rpo_hours,
        required_flows=required_flows,
        dedicated_lines=dedicated_lines,
    )


def run_policies(graph: PlanGraph, cat: Catalog) -> PlanCheck:
    """Every policy over the graph; findings for the controls that apply at the graph's level."""
    level = graph.level
    result = PlanCheck()
    for policy in POLICIES:
        controls = {}
        for control_id in policy.controls:
            control = cat.get(control_id)
            if control is None:
                raise InputError(
                    None,
                    f"policy {policy.name} reports {control_id}, which is not in the control catalog",
                    "add the control to mlps/catalog/",
                )
            if control.applies(level):
                controls[control_id] = control
        result.checked |= set(controls)
        for resource, (control_id, text) in policy.run(graph):
            control = controls.get(control_id)
            if control is None:
                continue
            if policy.enforcement(level) == "mandatory":
                result.mandatory += 1
            result.findings.append(
                Finding(
                    control=control_id,
                    clause=control.clause_at(level),
                    severity=control.severity,  # type: ignore[arg-type]
                    checkpoint="plan",
                    pointer=resource.pointer,
                    message_zh=f"{control.title.zh} ({policy.name}): {text}",
                    message_en=f"{control.title.en} ({policy.name}): {text}",
                    remediation_zh=control.remediation.zh,
                    remediation_en=control.remediation.en,
                )
            )
    result.findings.sort(key=Finding.sort_key)
    return result
