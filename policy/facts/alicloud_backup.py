"""Alibaba Cloud backup as neutral facts: Hybrid Backup Recovery plans and OSS replication.

An ``EcsBackupPlan`` backs up the instance its ``instanceId`` comes from, an ``OssBackupPlan``
the bucket it names, each for ``retention`` days. A ``BucketReplication`` copies its ``bucket``
to ``destination.bucket`` in the region of ``destination.location`` (``oss-<region>``); the
source's region is that of the provider configuration the replication is made with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from policy.facts import alicloud
from policy.facts.model import BackupPlan, Replication, subject

if TYPE_CHECKING:
    from policy.policies.base import PlanGraph, PlanResource

ECS_PLAN = "alicloud:hbr/ecsBackupPlan:EcsBackupPlan"
OSS_PLAN = "alicloud:hbr/ossBackupPlan:OssBackupPlan"
REPLICATION = "alicloud:oss/bucketReplication:BucketReplication"
LOCATION_PREFIX = "oss-"


def _days(r: PlanResource) -> int | None:
    value = r.props.get("retention")
    return int(value) if value is not None and str(value).isdigit() else None


def _instance_name(graph: PlanGraph, r: PlanResource) -> str:
    """The name of the plan's instance behind ``instanceId`` (else the id as written)."""
    sources = set(r.deps.get("instanceId", ()))
    for instance in graph.of_type(alicloud.INSTANCE):
        if instance.urn in sources:
            return str(instance.props.get("instanceName") or instance.name)
    return str(r.props.get("instanceId") or "")


def backup_plans(graph: PlanGraph) -> list[BackupPlan]:
    plans = [
        BackupPlan("instance", _instance_name(graph, r), alicloud.PACKAGE, _days(r), subject(r))
        for r in graph.of_type(ECS_PLAN)
    ]
    plans += [
        BackupPlan("bucket", str(r.props.get("bucket") or ""), alicloud.PACKAGE, _days(r), subject(r))
        for r in graph.of_type(OSS_PLAN)
    ]
    return plans


def replications(graph: PlanGraph) -> list[Replication]:
    regions = {p.urn: str(p.props.get("region") or "") for p in graph.of_type(alicloud.PROVIDER)}
    found = []
    for r in graph.of_type(REPLICATION):
        destination = r.props.get("destination") or {}
        location = str(destination.get("location") or "")
        found.append(
            Replication(
                source=str(r.props.get("bucket") or ""),
                target=str(destination.get("bucket") or ""),
                provider=alicloud.PACKAGE,
                source_region=regions.get(r.provider, ""),
                target_region=location.removeprefix(LOCATION_PREFIX),
                subject=subject(r),
            )
        )
    return found
