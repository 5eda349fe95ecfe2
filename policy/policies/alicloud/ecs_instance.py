"""alicloud:ecs/instance:Instance — its system disk encrypted with a KMS key (CLD-KMS-01)."""

from __future__ import annotations

from collections.abc import Iterator

from policy.policies.base import PlanGraph, PlanPolicy, PlanResource, Violation


def _check_disk(instance: PlanResource, graph: PlanGraph) -> Iterator[Violation]:
    p = instance.props
    if not p.get("systemDiskEncrypted") or not p.get("systemDiskKmsKeyId"):
        yield (
            "CLD-KMS-01",
            f"instance {instance.name} system disk is not encrypted with a KMS key",
        )


INSTANCE_DISK = PlanPolicy(
    name="instance_disk_kms_encryption",
    description="Instance system disks are encrypted with a key held in the cloud KMS.",
    controls=("CLD-KMS-01",),
    levels=(3, 4),
    types=("alicloud:ecs/instance:Instance",),
    check=_check_disk,
)

POLICIES = (INSTANCE_DISK,)
