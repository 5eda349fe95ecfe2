"""Alibaba Cloud backup as neutral facts: Hybrid Backup Recovery plans and OSS replication.

An ``EcsBackupPlan`` backs up the instance its ``instanceId`` comes from, an ``OssBackupPlan``
the bucket it names, each for ``retention`` days, unless ``disabled``, every interval of its
``schedule`` (``I|<first run>|<ISO 8601 duration>``). A ``BucketReplication`` copies its
``bucket`` to ``destination.bucket`` in the region of ``destination.location`` (``oss-<region>``),
deletions too unless its ``action`` is ``PUT``; the source's region is that of the provider
configuration the replication is made with. The target is built as the source's copy when the
plan builds both and tags the target ``mlps:copy-of=<source>``. The RPO a plan must meet is the
spec's ``backup.rpo_hours`` when the plan graph carries it (``mlps synth``, the pack config's
``rpoHours``), else the ``mlps:rpo-hours`` tag of the plan's vault.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from policy.facts import alicloud
from policy.facts.model import BackupPlan, Replication, subject

if TYPE_CHECKING:
    from policy.policies.base import PlanGraph, PlanResource

ECS_PLAN = "alicloud:hbr/ecsBackupPlan:EcsBackupPlan"
OSS_PLAN = "alicloud:hbr/ossBackupPlan:OssBackupPlan"
REPLICATION = "alicloud:oss/bucketReplication:BucketReplication"
LOCATION_PREFIX = "oss-"
COPY_OF = "mlps:copy-of"
"""The tag the stack puts on an off-site copy, naming the bucket it copies."""
VAULT = "alicloud:hbr/vault:Vault"
RPO_TAG = "mlps:rpo-hours"
"""The tag the stack puts on a vault: the spec's RPO its plans must meet."""
INTERVAL = re.compile(
    r"I\|\d+\|P(?:(?P<W>\d+)W)?(?:(?P<D>\d+)D)?(?:T(?:(?P<H>\d+)H)?(?:(?P<M>\d+)M)?(?:(?P<S>\d+)S)?)?"
)
"""An HBR schedule repeating at an interval: first run (epoch seconds), ISO 8601 duration."""
HOURS = {"W": 168.0, "D": 24.0, "H": 1.0, "M": 1 / 60, "S": 1 / 3600}


def _days(r: PlanResource) -> int | None:
    value = r.props.get("retention")
    return int(value) if value is not None and str(value).isdigit() else None


def interval_hours(schedule: object) -> float | None:
    """Hours between two runs of an HBR ``schedule``; None when it repeats at no readable interval."""
    found = INTERVAL.fullmatch(str(schedule or ""))
    if found is None:
        return None
    hours = sum(HOURS[unit] * int(n) for unit, n in found.groupdict().items() if n)
    return hours or None


def _instance_name(graph: PlanGraph, r: PlanResource) -> str:
    """The name of the plan's instance behind ``instanceId`` (else the id as written)."""
    sources = set(r.deps.get("instanceId", ()))
    for instance in graph.of_type(alicloud.INSTANCE):
        if instance.urn in sources:
            return str(instance.props.get("instanceName") or instance.name)
    return str(r.props.get("instanceId") or "")


def _rpo(graph: PlanGraph, r: PlanResource) -> int | None:
    """The RPO plan ``r`` must meet: the plan graph's, else its vault's tag (None: neither)."""
    if graph.rpo_hours is not None:
        return graph.rpo_hours
    vaults = set(r.deps.get("vaultId", ()))
    for vault in graph.of_type(VAULT):
        value = str((vault.props.get("tags") or {}).get(RPO_TAG, ""))
        if vault.urn in vaults and value.isdigit():
            return int(value)
    return None


def _plan(graph: PlanGraph, r: PlanResource, kind: Literal["instance", "bucket"], target: str) -> BackupPlan:
    return BackupPlan(
        kind,
        target,
        alicloud.PACKAGE,
        _days(r),
        subject(r),
        enabled=r.props.get("disabled") in (None, False, "false"),
        interval_hours=interval_hours(r.props.get("schedule")),
        rpo_hours=_rpo(graph, r),
    )


def backup_plans(graph: PlanGraph) -> list[BackupPlan]:
    plans = [_plan(graph, r, "instance", _instance_name(graph, r)) for r in graph.of_type(ECS_PLAN)]
    plans += [_plan(graph, r, "bucket", str(r.props.get("bucket") or "")) for r in graph.of_type(OSS_PLAN)]
    return plans


def replications(graph: PlanGraph) -> list[Replication]:
    regions = {p.urn: str(p.props.get("region") or "") for p in graph.of_type(alicloud.PROVIDER)}
    tags = {
        str(b.props.get("bucket") or ""): (b.props.get("tags") or {}).get(COPY_OF)
        for b in graph.of_type(alicloud.BUCKET)
    }
    found = []
    for r in graph.of_type(REPLICATION):
        destination = r.props.get("destination") or {}
        location = str(destination.get("location") or "")
        source, target = str(r.props.get("bucket") or ""), str(destination.get("bucket") or "")
        found.append(
            Replication(
                source=source,
                target=target,
                provider=alicloud.PACKAGE,
                source_region=regions.get(r.provider, ""),
                target_region=location.removeprefix(LOCATION_PREFIX),
                subject=subject(r),
                writes_only=r.props.get("action") == "PUT",
                built_as_copy=source in tags and target in tags and tags[target] == source,
            )
        )
    return found
