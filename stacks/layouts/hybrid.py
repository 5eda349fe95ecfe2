"""Hybrid: core medical data on-prem, patient-facing services in the cloud, two lines between."""

from __future__ import annotations

import pulumi

from stacks.capabilities import Capability, capabilities
from stacks.components.link_failover import LinkFailover, LinkFailoverArgs
from stacks.components.object_storage import ObjectStorage
from stacks.inventory import render_inventory
from stacks.layouts.parts import (
    cloud_backup,
    cloud_cluster,
    cloud_foundation,
    cloud_lines,
    host_services,
    onprem_cluster,
)
from stacks.model import Bucket, Environment, Workload
from stacks.naming import res


def core_in_cloud(env: Environment) -> list[str]:
    """Names of core-data workloads or buckets placed in the cloud (CLD-DATA-01)."""
    items: list[Workload | Bucket] = [*env.workloads, *env.buckets]
    return sorted(i.name for i in items if i.data_class == "core" and i.placement == "cloud")


def cloud_kubeadm(env: Environment) -> list[str]:
    """Cloud workloads that would need a second kubeadm cluster (the cloud has no managed one)."""
    if not env.kubernetes.enabled or Capability.MANAGED_KUBERNETES in capabilities(env):
        return []
    return sorted(w.name for w in env.workloads if w.placement == "cloud")


def build(env: Environment, parent: pulumi.ComponentResource) -> ObjectStorage:
    misplaced = core_in_cloud(env)
    if misplaced:
        raise pulumi.RunError(
            f"CLD-DATA-01: core medical data must stay on-prem in a hybrid layout: {misplaced}"
        )
    second = cloud_kubeadm(env)
    if second:
        raise pulumi.RunError(
            "a hybrid layout runs one kubeadm cluster (the roles' k8s groups), on-prem; "
            f"the cloud has no managed Kubernetes for the cloud workloads {second}: "
            "place them on-prem, or use layout cloud"
        )
    foundation = cloud_foundation(env, parent)
    logs, storage = host_services(env, parent, foundation)
    cloud_backup(env, parent, foundation)
    if env.links:
        links = LinkFailover(
            res(env.name, "links"),
            LinkFailoverArgs(env, render_inventory(env)),
            pulumi.ResourceOptions(parent=parent, depends_on=[logs]),
        )
        cloud_lines(env, parent, foundation, links.passwords)
    onprem_cluster(env, parent, logs, storage)
    cloud_cluster(env, parent, foundation, logs, storage)
    return storage
