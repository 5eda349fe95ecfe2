"""kubernetes:networking.k8s.io/v1:NetworkPolicy — no internet ingress to important zones."""

from __future__ import annotations

from collections.abc import Iterator

from policy.policies.base import (
    NAMESPACE,
    NETWORK_POLICY,
    PlanGraph,
    PlanPolicy,
    PlanResource,
    Violation,
)
from policy.policies.kubernetes.core_v1_service import IMPORTANT, ZONE_KIND

ANYWHERE = ("0.0.0.0/0", "::/0")


def _zone_kind(policy: PlanResource, graph: PlanGraph) -> str | None:
    for ns in graph.in_namespace(NAMESPACE, policy, "default"):
        if ns.meta("name") == policy.namespace:
            return str((ns.meta("labels") or {}).get(ZONE_KIND))
    return None


def _check(policy: PlanResource, graph: PlanGraph) -> Iterator[Violation]:
    rules = (policy.props.get("spec") or {}).get("ingress") or []
    open_rules = [
        peer
        for rule in rules
        for peer in (rule.get("from") or [])
        if (peer.get("ipBlock") or {}).get("cidr") in ANYWHERE
    ]
    if not open_rules:
        return
    zone = _zone_kind(policy, graph)
    if zone in IMPORTANT:
        yield (
            "CNS-ZONE-02",
            f"NetworkPolicy {policy.meta('name')} admits the internet into namespace "
            f"{policy.namespace} ({zone} zone)",
        )


NO_INTERNET_INGRESS = PlanPolicy(
    name="no_internet_ingress_to_important_zones",
    description="No NetworkPolicy admits 0.0.0.0/0 into a core, storage or management zone.",
    controls=("CNS-ZONE-02",),
    levels=(2, 3, 4),
    types=(NETWORK_POLICY,),
    check=_check,
    needs_graph=True,
)

POLICIES = (NO_INTERNET_INGRESS,)
