"""Cloud: a China-region cloud through the provider interface, same hosts and baseline."""

from __future__ import annotations

import pulumi

from stacks.components.object_storage import ObjectStorage
from stacks.layouts.parts import cloud_backup, cloud_cluster, cloud_foundation, host_services
from stacks.model import Environment


def build(env: Environment, parent: pulumi.ComponentResource) -> ObjectStorage:
    foundation = cloud_foundation(env, parent)
    logs, storage = host_services(env, parent, foundation)
    cloud_backup(env, parent, foundation)
    cloud_cluster(env, parent, foundation, logs, storage)
    return storage
