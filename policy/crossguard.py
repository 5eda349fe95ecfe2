"""The plan policies as a Pulumi CrossGuard pack (``pulumi preview --policy-pack policy``)."""

from __future__ import annotations

import os
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy.policies import POLICIES, PlanGraph, PlanPolicy, PlanResource

PACK_NAME = "mlps"
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


def to_crossguard(policy: PlanPolicy, level: int) -> ResourceValidationPolicy | StackValidationPolicy:
    enforcement = _LEVELS[policy.enforcement(level)]
    description = f"{policy.description} ({', '.join(policy.controls)})"
    if policy.needs_graph:

        def validate_stack(args: StackValidationArgs, report: ReportViolation) -> None:
            graph = PlanGraph([_resource(r) for r in args.resources], level=level)
            for resource, (control, text) in policy.run(graph):
                report(_message(control, text), resource.urn)

        return StackValidationPolicy(
            name=policy.name,
            description=description,
            enforcement_level=enforcement,
            validate=validate_stack,
        )

    def validate_resource(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in policy.types:
            return
        resource = _resource(args)
        for control, text in policy.check(resource, PlanGraph([resource], level=level)):
            report(_message(control, text), None)

    return ResourceValidationPolicy(
        name=policy.name,
        description=description,
        enforcement_level=enforcement,
        validate=validate_resource,
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
