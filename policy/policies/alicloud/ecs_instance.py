"""alicloud:ecs/instance:Instance — in the environment's own network, disks encrypted."""

from __future__ import annotations

from collections.abc import Iterator

from policy.facts.alicloud import public_bandwidth
from policy.policies.base import PlanGraph, PlanPolicy, PlanResource, Violation


def _check_network(instance: PlanResource, graph: PlanGraph) -> Iterator[Violation]:
    p = instance.props
    if not p.get("vswitchId"):
        yield ("CLD-NET-01", f"instance {instance.name} is not placed in the environment's VPC")
    if public_bandwidth(p.get("internetMaxBandwidthOut")):
        yield ("CLD-NET-01", f"instance {instance.name} has a public address")


def _check_disk(instance: PlanResource, graph: PlanGraph) -> Iterator[Violation]:
    p = instance.props
    if not p.get("systemDiskEncrypted") or not p.get("systemDiskKmsKeyId"):
        yield (
            "CLD-KMS-01",
            f"instance {instance.name} system disk is not encrypted with a KMS key",
        )


INSTANCE_NETWORK = PlanPolicy(
    name="instance_isolated_network",
    description="Instances sit in the environment's own VPC without a public address.",
    controls=("CLD-NET-01",),
    levels=(2, 3, 4),
    types=("alicloud:ecs/instance:Instance",),
    check=_check_network,
)

INSTANCE_DISK = PlanPolicy(
    name="instance_disk_kms_encryption",
    description="Instance system disks are encrypted with a key held in the cloud KMS.",
    controls=("CLD-KMS-01",),
    levels=(3, 4),
    types=("alicloud:ecs/instance:Instance",),
    check=_check_disk,
)

POLICIES = (INSTANCE_NETWORK, INSTANCE_DISK)
