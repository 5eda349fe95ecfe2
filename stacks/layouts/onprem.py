"""On-prem: Ansible builds the hosts and the nodes, pulumi-kubernetes the in-cluster baseline."""

from __future__ import annotations

import pulumi

from stacks.components.object_storage import ObjectStorage
from stacks.layouts.parts import host_services, onprem_cluster
from stacks.model import Environment


def build(env: Environment, parent: pulumi.ComponentResource) -> ObjectStorage:
    logs, storage = host_services(env, parent, None)
    onprem_cluster(env, parent, logs, storage)
    return storage
