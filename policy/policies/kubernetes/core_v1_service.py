"""kubernetes:core/v1:Service — no LoadBalancer or NodePort in core zones (ABS-BOUND-01)."""

from __future__ import annotations

from collections.abc import Iterator

from policy.policies.base import NAMESPACE, SERVICE, PlanGraph, PlanPolicy, PlanResource, Violation

ZONE_KIND = "mlps.dev/zone-kind"
EXPOSED = ("LoadBalancer", "NodePort")
IMPORTANT = ("core", "storage", "management")


def _zone_kind(service: PlanResource, graph: PlanGraph) -> str | None:
    for ns in graph.in_namespace(NAMESPACE, service, "default"):
        if ns.meta("name") == service.namespace:
            return str((ns.meta("labels") or {}).get(ZONE_KIND))
    return None


def _check(service: PlanResource, graph: PlanGraph) -> Iterator[Violation]:
    kind = (service.props.get("spec") or {}).get("type") or "ClusterIP"
    if kind not in EXPOSED:
        return
    zone = _zone_kind(service, graph)
    if zone in IMPORTANT:
        yield (
            "ABS-BOUND-01",
            f"Service {service.meta('name')} of type {kind} exposes namespace "
            f"{service.namespace} ({zone} zone) outside the cluster",
        )


NO_EXTERNAL_SERVICE_IN_CORE = PlanPolicy(
    name="no_external_service_in_core",
    description="No Service of type LoadBalancer or NodePort in core, storage or management zones.",
    controls=("ABS-BOUND-01",),
    levels=(2, 3, 4),
    types=(SERVICE,),
    check=_check,
    needs_graph=True,
)

POLICIES = (NO_EXTERNAL_SERVICE_IN_CORE,)
