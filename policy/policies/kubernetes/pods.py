"""Checks shared by every resource that carries a pod template (K8S-PSS-01).

The log shipper (a DaemonSet in ``mlps-logging``) may share the node's network, and only that,
where the plan builds that namespace labelled a system namespace enforcing the ``privileged``
Pod Security level: it sends from the node's address, which the zone boundaries and the dedicated lines
carry, where its own pod address would be refused (Terway gives pods addresses of their own).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policy.policies.base import NAMESPACE, PlanGraph, PlanPolicy, PlanResource, Violation

KIND_LABEL, ENFORCE_LABEL = "mlps.dev/namespace-kind", "pod-security.kubernetes.io/enforce"
NODE_AGENT = "kubernetes:apps/v1:DaemonSet"
LOG_SHIPPER_NAMESPACE = "mlps-logging"
"""The cluster baseline's logging namespace (``stacks.components.cluster_baseline``)."""


def _pod_spec(resource: PlanResource) -> dict[str, Any]:
    spec = resource.props.get("spec") or {}
    if resource.type.endswith(":Pod"):
        return dict(spec)
    if resource.type.endswith(":CronJob"):
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return dict(((spec.get("template") or {}).get("spec")) or {})


def _effective(pod: dict[str, Any], container: dict[str, Any], key: str) -> Any:
    """A container setting, falling back to the pod's securityContext where Kubernetes does."""
    own = (container.get("securityContext") or {}).get(key)
    if own is not None:
        return own
    if key in ("runAsNonRoot", "runAsUser"):
        return (pod.get("securityContext") or {}).get(key)
    return None


def _system_namespace(resource: PlanResource, graph: PlanGraph) -> bool:
    """``resource`` lies in the logging namespace of the same cluster, labelled a system
    namespace that enforces the ``privileged`` level."""
    if resource.namespace != LOG_SHIPPER_NAMESPACE:
        return False
    for ns in graph.of_type(NAMESPACE):
        labels = ns.meta("labels")
        if ns.provider == resource.provider and ns.meta("name") == resource.namespace \
                and isinstance(labels, dict):
            return labels.get(KIND_LABEL) == "system" and labels.get(ENFORCE_LABEL) == "privileged"
    return False


def check_pod_template(resource: PlanResource, graph: PlanGraph) -> Iterator[Violation]:
    pod = _pod_spec(resource)
    what = f"{resource.type.rsplit(':', 1)[-1]} {resource.meta('name') or resource.name}"
    agent = resource.type == NODE_AGENT and _system_namespace(resource, graph)
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(key) and not (key == "hostNetwork" and agent):
            yield ("K8S-PSS-01", f"{what} shares the node's namespaces ({key})")
    containers = [*(pod.get("initContainers") or []), *(pod.get("containers") or [])]
    for c in containers:
        name = f"{what} container {c.get('name')}"
        user = _effective(pod, c, "runAsUser")
        if not _effective(pod, c, "runAsNonRoot") or user == 0:
            yield ("K8S-PSS-01", f"{name} may run as root (runAsNonRoot not true)")
        if _effective(pod, c, "readOnlyRootFilesystem") is not True:
            yield ("K8S-PSS-01", f"{name} has a writable root filesystem")
        if _effective(pod, c, "allowPrivilegeEscalation") is not False:
            yield ("K8S-PSS-01", f"{name} allows privilege escalation")
        if _effective(pod, c, "privileged"):
            yield ("K8S-PSS-01", f"{name} is privileged")
        drop = ((c.get("securityContext") or {}).get("capabilities") or {}).get("drop") or []
        if "ALL" not in drop:
            yield ("K8S-PSS-01", f"{name} does not drop all capabilities")


def hardened_containers(kind: str, token: str) -> PlanPolicy:
    return PlanPolicy(
        name=f"{kind.lower()}_hardened_containers",
        description=(
            f"{kind} containers run as non-root with a read-only root filesystem, "
            "no privilege escalation and no capabilities."
        ),
        controls=("K8S-PSS-01",),
        levels=(2, 3, 4),
        types=(token,),
        check=check_pod_template,
        needs_graph=token == NODE_AGENT,
    )
