"""One plan-time policy: what it guards, which controls it reports, how it checks.

The same ``check`` runs under CrossGuard (``pulumi preview --policy-pack policy``) and in
``mlps synth`` over the mocked resource graph, so both report the same findings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mlps.required_flows import RequiredFlow

Violation = tuple[str, str]
"""(control id, message)"""


@dataclass(frozen=True)
class PlanResource:
    """A resource as a policy sees it: type token, logical name, URN and input properties."""

    type: str
    name: str
    urn: str
    props: dict[str, Any]
    provider: str = ""
    deps: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """URNs each input property depends on (how a rule finds its security group)."""

    def meta(self, key: str) -> Any:
        """A field of a Kubernetes object's metadata (None where the metadata is no mapping)."""
        metadata = self.props.get("metadata")
        return metadata.get(key) if isinstance(metadata, dict) else None

    @property
    def namespace(self) -> str:
        return str(self.meta("namespace") or "default")

    @property
    def pointer(self) -> str:
        return f"{self.type}::{self.name}"


@dataclass
class PlanGraph:
    """All resources of one plan at one 等保 level, indexed once and read by every policy."""

    resources: list[PlanResource]
    level: int = 3
    approved_images: tuple[str, ...] | None = None
    """The spec's ``cloud.approved_images`` (None: the plan's spec declares none)."""
    rpo_hours: int | None = None
    """The spec's ``backup.rpo_hours`` (None: not given to the policies)."""
    required_flows: tuple[RequiredFlow, ...] | None = None
    """The flows the spec needs through the cloud boundaries (None: not given to the policies)."""
    dedicated_lines: int | None = None
    """How many dedicated lines the spec's layout ends in the cloud (its ``links`` in a hybrid
    layout, 0 in a cloud layout; None: not given to the policies)."""
    by_type: dict[str, list[PlanResource]] = field(default_factory=dict)
    _namespaced: dict[tuple[str, str, str], list[PlanResource]] = field(default_factory=dict)
    _refs: dict[tuple[str, str], dict[str, list[PlanResource]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for r in self.resources:
            self.by_type.setdefault(r.type, []).append(r)
            if "metadata" in r.props:
                key = (r.type, r.provider, r.namespace)
                self._namespaced.setdefault(key, []).append(r)

    def of_type(self, *types: str) -> Iterator[PlanResource]:
        for t in types:
            yield from self.by_type.get(t, ())

    def in_namespace(self, type_: str, like: PlanResource, namespace: str) -> list[PlanResource]:
        """Resources of ``type_`` in ``namespace`` of the same cluster as ``like``."""
        return self._namespaced.get((type_, like.provider, namespace), [])

    def referencing(self, type_: str, prop: str, target: PlanResource) -> list[PlanResource]:
        """Resources of ``type_`` whose input ``prop`` comes from ``target``."""
        index = self._refs.get((type_, prop))
        if index is None:
            index = {}
            for r in self.of_type(type_):
                for urn in r.deps.get(prop, ()):
                    index.setdefault(urn, []).append(r)
            self._refs[(type_, prop)] = index
        return index.get(target.urn, [])


Check = Callable[[PlanResource, PlanGraph], Iterable[Violation]]


@dataclass(frozen=True)
class PlanPolicy:
    """A policy guarding ``types``; ``levels`` are the 等保 levels where it is mandatory.

    ``needs_graph`` policies look at other resources too (CrossGuard stack policy).
    """

    name: str
    description: str
    controls: tuple[str, ...]
    levels: tuple[int, ...]
    types: tuple[str, ...]
    check: Check
    needs_graph: bool = False

    def enforcement(self, level: int) -> str:
        return "mandatory" if level in self.levels else "advisory"

    def run(self, graph: PlanGraph) -> Iterator[tuple[PlanResource, Violation]]:
        for resource in graph.of_type(*self.types):
            for violation in self.check(resource, graph):
                yield resource, violation


NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SERVICE = "kubernetes:core/v1:Service"
RESOURCE_QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMIT_RANGE = "kubernetes:core/v1:LimitRange"
WORKLOAD_NAMESPACE_KIND = "workload"
