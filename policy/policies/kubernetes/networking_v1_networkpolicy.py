"""kubernetes:networking.k8s.io/v1:NetworkPolicy — no internet ingress to important zones, nor
to a workload holding core medical data wherever its namespace is."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

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

POD_OWNERS = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:core/v1:Pod",
)
LABEL_DATA = "mlps.dev/data-class"
LABEL_APP = "app.kubernetes.io/name"
RECORD_TOKENS = frozenset({"his", "emr", "pacs", "lis", "ris", "cis", "nis", "dicom", "orthanc",
                           "image", "images", "record", "records"})
"""Name parts of a hospital record system (mlps.checks.placement.RECORD_TOKENS)."""


def _is_internet(peer: dict[str, Any]) -> bool:
    cidr = (peer.get("ipBlock") or {}).get("cidr")
    if cidr is None:
        return False
    try:
        return ipaddress.ip_network(str(cidr), strict=False).prefixlen == 0
    except ValueError:
        return str(cidr) in ANYWHERE


def _template(owner: PlanResource) -> tuple[dict[str, Any], dict[str, Any]]:
    """(pod labels, pod spec) of a resource that runs pods."""
    spec = owner.props.get("spec") or {}
    if owner.type.endswith(":Pod"):
        return dict(owner.meta("labels") or {}), dict(spec)
    template = spec.get("template") or {}
    return dict((template.get("metadata") or {}).get("labels") or {}), dict(template.get("spec") or {})


def _selects(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    """Kubernetes label-selector semantics (matchLabels and matchExpressions)."""
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def _core_reason(owner: PlanResource, labels: dict[str, Any]) -> str | None:
    """Why the pods hold core medical data: their label, or a name naming a record system."""
    if labels.get(LABEL_DATA) == "core" or (owner.meta("labels") or {}).get(LABEL_DATA) == "core":
        return "data class core"
    for name in (owner.meta("name"), labels.get(LABEL_APP)):
        if set(re.split(r"[^a-z0-9]+", str(name or "").casefold())) & RECORD_TOKENS:
            return f"{name} is a medical record system"
    return None


def _reaches(rule_ports: list[dict[str, Any]], pod: dict[str, Any]) -> list[str]:
    """Container ports a rule's ports admit (every port when the rule names none)."""
    declared = [(str(p.get("name", "")), p.get("containerPort"))
                for c in pod.get("containers") or [] for p in c.get("ports") or []]
    if not rule_ports:
        return [str(n) for _, n in declared] or ["any"]
    hits = []
    for rp in rule_ports:
        port, end = rp.get("port"), rp.get("endPort")
        for name, number in declared:
            ranged = (isinstance(port, int) and isinstance(end, int)
                      and isinstance(number, int) and port <= number <= end)
            if port is None or port in (name, number) or ranged:
                hits.append(str(number))
        if not declared:
            hits.append(str(port if port is not None else "any"))
    return sorted(set(hits))


def _check_core(policy: PlanResource, graph: PlanGraph) -> Iterator[Violation]:
    spec = policy.props.get("spec") or {}
    open_rules = [rule for rule in spec.get("ingress") or []
                  if not rule.get("from") or any(_is_internet(p) for p in rule["from"])]
    if not open_rules:
        return
    selector = spec.get("podSelector") or {}
    for type_ in POD_OWNERS:
        for owner in graph.in_namespace(type_, policy, policy.namespace):
            labels, pod = _template(owner)
            reason = _core_reason(owner, labels)
            if reason is None or not _selects(selector, labels):
                continue
            ports = sorted({p for rule in open_rules for p in _reaches(rule.get("ports") or [], pod)})
            if ports:
                yield (
                    "CNS-ZONE-03",
                    f"NetworkPolicy {policy.meta('name')} admits the internet to "
                    f"{type_.rsplit(':', 1)[-1]} {owner.meta('name')} ({reason}) on port "
                    f"{', '.join(ports)}: records and images are sensitive personal information "
                    "(PIPL art. 28); move the workload to a core zone and drop the 0.0.0.0/0 rule",
                )


NO_INTERNET_INGRESS_TO_CORE = PlanPolicy(
    name="no_internet_ingress_to_core_workloads",
    description="No NetworkPolicy admits the internet to the port of a workload holding core "
                "medical data (by label or by name), whatever zone its namespace is.",
    controls=("CNS-ZONE-03",),
    levels=(2, 3, 4),
    types=(NETWORK_POLICY,),
    check=_check_core,
    needs_graph=True,
)

POLICIES = (NO_INTERNET_INGRESS, NO_INTERNET_INGRESS_TO_CORE)
