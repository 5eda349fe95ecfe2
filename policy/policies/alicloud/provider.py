"""pulumi:providers:alicloud — resources only in mainland-China regions (CLD-LOC-01)."""

from __future__ import annotations

from collections.abc import Iterator

from policy.facts.model import mainland
from policy.policies.base import PlanGraph, PlanPolicy, PlanResource, Violation


def _check(provider: PlanResource, graph: PlanGraph) -> Iterator[Violation]:
    region = str(provider.props.get("region") or "")
    if not mainland(region):
        yield (
            "CLD-LOC-01",
            f"cloud provider {provider.name} targets region {region or '(unset)'}, outside mainland China",
        )


CHINA_REGION = PlanPolicy(
    name="china_region",
    description="Every cloud resource is created in a mainland-China region.",
    controls=("CLD-LOC-01",),
    levels=(2, 3, 4),
    types=("pulumi:providers:alicloud",),
    check=_check,
)

POLICIES = (CHINA_REGION,)
