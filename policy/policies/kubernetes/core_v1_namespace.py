"""kubernetes:core/v1:Namespace — isolation, Pod Security and quotas per namespace."""

from __future__ import annotations

from collections.abc import Iterator

from policy.policies.base import (
    LIMIT_RANGE,
    NAMESPACE,
    NETWORK_POLICY,
    RESOURCE_QUOTA,
    WORKLOAD_NAMESPACE_KIND,
    PlanGraph,
    PlanPolicy,
    PlanResource,
    Violation,
)

KIND_LABEL = "mlps.dev/namespace-kind"
ENFORCE = "pod-security.kubernetes.io/enforce"


def _name(ns: PlanResource) -> str:
    return str(ns.meta("name") or ns.name)


def _is_deny_all(policy: PlanResource, direction: str) -> bool:
    spec = policy.props.get("spec") or {}
    key = direction.lower()
    return (
        spec.get("podSelector") in ({}, None)
        and direction in (spec.get("policyTypes") or [])
        and not spec.get(key)
    )


def _check_default_deny(ns: PlanResource, graph: PlanGraph) -> Iterator[Violation]:
    name = _name(ns)
    policies = graph.in_namespace(NETWORK_POLICY, ns, name)
    for direction in ("Ingress", "Egress"):
        if not any(_is_deny_all(p, direction) for p in policies):
            yield (
                "K8S-NETPOL-01",
                f"namespace {name} has no default-deny {direction.lower()} NetworkPolicy "
                f"(podSelector {{}}, policyTypes [{direction}], no {direction.lower()} rules)",
            )


def _check_pod_security(ns: PlanResource, graph: PlanGraph) -> Iterator[Violation]:
    labels = ns.meta("labels") or {}
    if labels.get(KIND_LABEL) != WORKLOAD_NAMESPACE_KIND:
        return
    accepted = ("restricted", "baseline") if graph.level == 2 else ("restricted",)
    if labels.get(ENFORCE) not in accepted:
        yield (
            "K8S-PSS-01",
            f"workload namespace {_name(ns)} does not enforce Pod Security {accepted[-1]} "
            f"at level {graph.level} ({ENFORCE}={labels.get(ENFORCE)!r})",
        )


def _check_quota(ns: PlanResource, graph: PlanGraph) -> Iterator[Violation]:
    labels = ns.meta("labels") or {}
    if labels.get(KIND_LABEL) != WORKLOAD_NAMESPACE_KIND:
        return
    name = _name(ns)
    for kind, token in (("ResourceQuota", RESOURCE_QUOTA), ("LimitRange", LIMIT_RANGE)):
        if not graph.in_namespace(token, ns, name):
            yield ("K8S-QUOTA-01", f"workload namespace {name} has no {kind}")


DEFAULT_DENY = PlanPolicy(
    name="default_deny_network_policies",
    description="Every namespace has default-deny ingress and egress NetworkPolicies.",
    controls=("K8S-NETPOL-01",),
    levels=(2, 3, 4),
    types=(NAMESPACE,),
    check=_check_default_deny,
    needs_graph=True,
)

POD_SECURITY = PlanPolicy(
    name="namespace_pod_security_restricted",
    description="Workload namespaces enforce the Pod Security restricted standard.",
    controls=("K8S-PSS-01",),
    levels=(2, 3, 4),
    types=(NAMESPACE,),
    check=_check_pod_security,
)

QUOTA = PlanPolicy(
    name="namespace_quota_and_limits",
    description="Workload namespaces have a ResourceQuota and a LimitRange.",
    controls=("K8S-QUOTA-01",),
    levels=(3, 4),
    types=(NAMESPACE,),
    check=_check_quota,
    needs_graph=True,
)

POLICIES = (DEFAULT_DENY, POD_SECURITY, QUOTA)
