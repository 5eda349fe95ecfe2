"""The plan policies as a Pulumi CrossGuard pack (``pulumi preview --policy-pack policy``).

The 等保 level comes from the pack's config (``--policy-pack-config FILE``, the ``level`` of each
policy: ``python -m policy.config 2 > level-2.json`` writes one), else ``MLPS_LEVEL``, else 3.
Each policy's description carries its framework metadata: GB/T 22239-2019, the clause and
control id of each control it reports, and the catalog's severity.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from mlps.controls import catalog
from mlps.required_flows import FIELDS, RequiredFlow, flows_from_json
from policy.policies import POLICIES, EnvironmentPolicy, PlanGraph, PlanPolicy, PlanResource

PACK_NAME = "mlps"
FRAMEWORK = "GB/T 22239-2019"
_SEVERITY = ("low", "medium", "high", "critical")
LEVEL_SCHEMA: dict[str, Any] = {"type": "integer", "enum": [2, 3, 4]}
IMAGES_SCHEMA: dict[str, Any] = {"type": "array", "items": {"type": "string", "minLength": 1},
                                 "uniqueItems": True}
"""``approvedImages``: the spec's ``cloud.approved_images`` (approved_instance_image)."""
RPO_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 1}
"""``rpoHours``: the spec's ``backup.rpo_hours`` (cloud_backup_plans)."""
FLOWS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": list(FIELDS),
        "additionalProperties": False,
        "properties": {**{f: {"type": "string"} for f in FIELDS if f != "port"},
                       "port": {"type": "integer", "minimum": 1, "maximum": 65535}},
    },
}
"""``requiredFlows``: the flows the spec needs through the cloud boundaries, as ``mlps synth``
lists them in ``reachability.json`` (required_flows_permitted)."""
LINES_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 0}
"""``dedicatedLines``: the dedicated lines the spec ends in the cloud (dedicated_lines_redundant)."""
_LEVELS = {"advisory": EnforcementLevel.ADVISORY, "mandatory": EnforcementLevel.MANDATORY}


def _resource(r: Any) -> PlanResource:
    provider = getattr(r, "provider", None)
    deps = getattr(r, "property_dependencies", None) or {}
    return PlanResource(
        type=r.resource_type,
        name=r.name,
        urn=r.urn,
        props=dict(r.props),
        provider=provider.urn if provider is not None else "",
        deps={k: tuple(d.urn for d in v) for k, v in deps.items()},
    )


def _message(control: str, text: str) -> str:
    return f"[{control}] {text}"


def metadata(policy: PlanPolicy | EnvironmentPolicy, level: int) -> dict[str, Any]:
    """Framework, controls (id and clause at ``level``) and severity of ``policy``."""
    cat = catalog()
    controls = [cat.controls[c] for c in policy.controls]
    return {
        "framework": FRAMEWORK,
        "controls": [{"id": c.id, "clause": c.clause_at(level)} for c in controls],
        "severity": max((c.severity for c in controls), key=_SEVERITY.index),
    }


def describe(policy: PlanPolicy | EnvironmentPolicy, level: int) -> str:
    meta = metadata(policy, level)
    where = ", ".join(f"{c['clause']} {c['id']}" for c in meta["controls"])
    return f"{policy.description} [{meta['framework']} {where}; severity {meta['severity']}]"


@dataclass(frozen=True)
class PackConfig:
    """What a policy's pack config sets."""

    level: int
    images: tuple[str, ...] | None = None
    rpo: int | None = None
    flows: tuple[RequiredFlow, ...] | None = None
    lines: int | None = None

    def graph(self, resources: list[PlanResource]) -> PlanGraph:
        return PlanGraph(resources, level=self.level, approved_images=self.images, rpo_hours=self.rpo,
                         required_flows=self.flows, dedicated_lines=self.lines)


def configured(config: Any, default: int) -> PackConfig:
    """The level, approved images, RPO, required flows and dedicated lines a policy's pack config
    sets (``default`` level otherwise)."""
    config = config or {}
    level = config.get("level", default)
    if level not in (2, 3, 4):
        raise ValueError(f"policy pack config level={level!r}: set it to 2, 3 or 4")
    images = config.get("approvedImages")
    rpo = config.get("rpoHours")
    flows = config.get("requiredFlows")
    lines = config.get("dedicatedLines")
    if lines is not None and (not isinstance(lines, int) or isinstance(lines, bool) or lines < 0):
        raise ValueError(f"policy pack config dedicatedLines={lines!r}: set it to a count (0 or more)")
    return PackConfig(
        int(level),
        tuple(images) if images is not None else None,
        int(rpo) if rpo is not None else None,
        flows_from_json(flows) if flows is not None else None,
        lines,
    )


def to_crossguard(
    policy: PlanPolicy | EnvironmentPolicy, level: int
) -> ResourceValidationPolicy | StackValidationPolicy:
    """A resource policy, or a stack policy for one that reads the whole plan (environment
    policies report what is missing on the resource that should have carried it)."""
    enforcement = _LEVELS[policy.enforcement(level)]
    description = describe(policy, level)
    schema: dict[str, Any] = {
        "properties": {"level": LEVEL_SCHEMA, "approvedImages": IMAGES_SCHEMA, "rpoHours": RPO_SCHEMA,
                       "requiredFlows": FLOWS_SCHEMA, "dedicatedLines": LINES_SCHEMA}
    }
    if isinstance(policy, EnvironmentPolicy) or policy.needs_graph:

        def validate_stack(args: StackValidationArgs, report: ReportViolation) -> None:
            graph = configured(args.get_config(), level).graph([_resource(r) for r in args.resources])
            for resource, (control, text) in policy.run(graph):
                report(_message(control, text), resource.urn)

        return StackValidationPolicy(
            name=policy.name,
            description=description,
            enforcement_level=enforcement,
            validate=validate_stack,
            config_schema=PolicyConfigSchema(**schema),
        )

    def validate_resource(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in policy.types:
            return
        resource = _resource(args)
        graph = configured(args.get_config(), level).graph([resource])
        for control, text in policy.check(resource, graph):
            report(_message(control, text), None)

    return ResourceValidationPolicy(
        name=policy.name,
        description=description,
        enforcement_level=enforcement,
        validate=validate_resource,
        config_schema=PolicyConfigSchema(**schema),
    )


def pack_level() -> int:
    """The 等保 level the pack enforces: ``MLPS_LEVEL`` (2, 3 or 4), level 3 when unset."""
    value = os.environ.get("MLPS_LEVEL", "3")
    if value not in ("2", "3", "4"):
        raise SystemExit(f"MLPS_LEVEL={value!r}: set it to 2, 3 or 4")
    return int(value)


def build_pack(level: int) -> PolicyPack:
    return PolicyPack(
        name=PACK_NAME,
        policies=[to_crossguard(p, level) for p in POLICIES],
    )
