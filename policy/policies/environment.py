"""Environment policies: what the whole plan must contain, judged on neutral facts.

A per-resource policy cannot see what is missing; these can. Each reads the facts every adapter
of :mod:`policy.facts` found and reports a missing trail, boundary or lock as a finding on the
resource that should have had it (the cloud, the zone, the bucket). A capability the cloud lacks
(a :class:`~policy.facts.model.Gap`, named in the vocabulary of ``stacks.capabilities``) is met
only by the project's role standing in for it on a cloud host of that provider, which the role's
verify then reports on the host; without that host ``stand_ins_present`` reports the gap under the
control the stand-in serves and names the role. A met gap is no finding: ``mlps synth`` writes it as
a notice naming the role and its hosts (``stacks.capabilities.notices``), and the report prints it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from mlps.checks.placement import record_reason
from policy.facts import collect
from policy.facts.model import (
    AuditTrail,
    Bucket,
    Cloud,
    Facts,
    LogSink,
    Subject,
)
from policy.policies.base import PlanGraph, Violation
from stacks.capabilities import STAND_INS, Capability

MIN_RETENTION_DAYS = 180
"""Cybersecurity Law art. 21 and GB/T 22239-2019 8.1.5.4 d: network logs kept ≥ 6 months."""
SENSITIVE = ("core", "personal")

Found = tuple[Subject, Violation]
FactCheck = Callable[[Facts, int], Iterable[Found]]


@dataclass(frozen=True)
class EnvironmentPolicy:
    """A policy over the facts of the whole plan (CrossGuard: a stack validation policy)."""

    name: str
    description: str
    controls: tuple[str, ...]
    levels: tuple[int, ...]
    check: FactCheck
    types: tuple[str, ...] = ()
    needs_graph: bool = True

    def enforcement(self, level: int) -> str:
        return "mandatory" if level in self.levels else "advisory"

    def run(self, graph: PlanGraph) -> Iterator[Found]:
        yield from self.check(collect(graph), graph.level)


def _gap_unmet(facts: Facts, cloud: Cloud, capability: Capability, what: str) -> str | None:
    """Why ``cloud`` cannot provide ``capability`` here, or None when it can or is compensated."""
    gap = facts.gap(cloud.provider, capability)
    if gap is None or facts.compensated(gap):
        return None
    return (
        f"{cloud.provider} has no {what}; the project's {gap.compensated_by} role on a cloud "
        f"host stands in for it, and no {cloud.provider} host runs that role"
    )


def _trails(facts: Facts, cloud: Cloud) -> list[AuditTrail]:
    return [t for t in facts.trails if t.provider == cloud.provider and t.enabled]


def _destination(facts: Facts, trail: AuditTrail, kind: str, name: str) -> LogSink | Bucket | None:
    pool: list[LogSink] | list[Bucket] = facts.log_sinks if kind == "log_store" else facts.buckets
    return next((d for d in pool if d.provider == trail.provider and d.name == name), None)


def _kept(sink: LogSink | Bucket) -> int:
    return sink.kept_days if isinstance(sink, Bucket) else sink.retention_days or 0


def _where(cloud: Cloud) -> str:
    return f"{cloud.provider} ({cloud.region or 'no region'})"


def _audit_trail(facts: Facts, level: int) -> Iterator[Found]:
    for cloud in facts.clouds:
        if facts.gap(cloud.provider, Capability.AUDIT_TRAIL) is not None:
            continue
        trails = _trails(facts, cloud)
        if not trails:
            yield (
                cloud.subject,
                (
                    "CLD-AUDIT-01",
                    f"no enabled audit trail records the management operations on {_where(cloud)}",
                ),
            )
        for t in trails:
            if not t.all_regions:
                yield t.subject, ("CLD-AUDIT-01", f"audit trail {t.name} does not cover every region")
            if not any(_destination(facts, t, d.kind, d.name) for d in t.destinations):
                yield (
                    t.subject,
                    (
                        "CLD-AUDIT-01",
                        f"audit trail {t.name} delivers to nothing the plan "
                        "builds (only the provider's short event history)",
                    ),
                )


def _audit_retention(facts: Facts, level: int) -> Iterator[Found]:
    for cloud in facts.clouds:
        if facts.gap(cloud.provider, Capability.AUDIT_TRAIL) is not None:
            continue
        trails = _trails(facts, cloud)
        if not trails:
            yield (
                cloud.subject,
                (
                    "SMC-CEN-04",
                    f"no audit trail of {_where(cloud)} delivers to a "
                    f"destination kept {MIN_RETENTION_DAYS} days or more",
                ),
            )
        for t in trails:
            kept = {d.name: _destination(facts, t, d.kind, d.name) for d in t.destinations}
            if any(s is not None and _kept(s) >= MIN_RETENTION_DAYS for s in kept.values()):
                continue
            held = (
                ", ".join(
                    f"{n}: {'not in the plan' if s is None else f'{_kept(s)} days'}" for n, s in kept.items()
                )
                or "no destination"
            )
            yield (
                t.subject,
                (
                    "SMC-CEN-04",
                    f"audit trail {t.name} delivers to no destination kept "
                    f"{MIN_RETENTION_DAYS} days or more ({held})",
                ),
            )


def _audit_archive(facts: Facts, level: int) -> Iterator[Found]:
    for cloud in facts.clouds:
        if facts.gap(cloud.provider, Capability.AUDIT_TRAIL) is not None:
            continue
        for t in _trails(facts, cloud):
            names = [d.name for d in t.destinations if d.kind == "bucket"]
            if not names:
                yield t.subject, ("CES-AUDIT-03", f"audit trail {t.name} keeps no copy in a locked bucket")
            for name in names:
                bucket = _destination(facts, t, "bucket", name)
                if not isinstance(bucket, Bucket):
                    yield (
                        t.subject,
                        (
                            "CES-AUDIT-03",
                            f"audit trail {t.name} delivers to bucket {name}, which the plan does not build",
                        ),
                    )
                    continue
                problems = []
                if not bucket.public_access_blocked:
                    problems.append("public access is not blocked")
                if not bucket.access_logging:
                    problems.append("access is not logged")
                if facts.gap(cloud.provider, Capability.OBJECT_LOCK) is not None:
                    unmet = _gap_unmet(facts, cloud, Capability.OBJECT_LOCK, "object lock")
                    problems += [unmet] if unmet else []
                elif bucket.lock != "locked":
                    problems.append("its retention is not locked")
                if problems:
                    yield (
                        bucket.subject,
                        (
                            "CES-AUDIT-03",
                            f"bucket {name} archives audit trail {t.name} but {'; '.join(problems)}",
                        ),
                    )


def _zones(facts: Facts, level: int) -> Iterator[Found]:
    for zone in facts.zones:
        guards = [b for b in facts.boundaries if b.provider == zone.provider and b.zone == zone.name]
        if not guards:
            for control in ("ABS-ACL-01", "CLD-ACL-01"):
                yield (
                    zone.subject,
                    (
                        control,
                        f"zone {zone.name} ({zone.cidr}) has no boundary: no firewall of the plan guards it",
                    ),
                )
        for b in guards:
            missing = [
                what
                for ok, what in (
                    (b.deny_ingress, "inbound traffic is not denied by default"),
                    (b.deny_egress, "outbound traffic is not denied by default"),
                    (b.isolates_members, "its members reach each other freely"),
                )
                if not ok
            ]
            if missing:
                for control in ("ABS-ACL-01", "CLD-ACL-01"):
                    yield (
                        b.subject,
                        (
                            control,
                            f"the boundary of zone {zone.name} does not deny by "
                            f"default: {'; '.join(missing)}",
                        ),
                    )


def holds_records(bucket: Bucket) -> str | None:
    """Why ``bucket`` holds medical records or images (data class core, or its name), or None."""
    if bucket.data_class == "core":
        return "data class core"
    return record_reason({"name": bucket.name})


def _cloud_of(facts: Facts, provider: str) -> Cloud | None:
    return next((c for c in facts.clouds if c.provider == provider), None)


def _records_locked(facts: Facts, level: int) -> Iterator[Found]:
    for bucket in facts.buckets:
        why = holds_records(bucket)
        if why is None:
            continue
        cloud = _cloud_of(facts, bucket.provider)
        if cloud is not None and facts.gap(cloud.provider, Capability.OBJECT_LOCK) is not None:
            unmet = _gap_unmet(facts, cloud, Capability.OBJECT_LOCK, "object lock")
            if unmet:
                yield (
                    bucket.subject,
                    (
                        "CES-INT-02",
                        f"bucket {bucket.name} holds medical records or images ({why}) but {unmet}",
                    ),
                )
            continue
        if not bucket.versioning:
            yield (
                bucket.subject,
                (
                    "CES-INT-02",
                    f"bucket {bucket.name} holds medical records or images ({why}) but keeps no versions",
                ),
            )
        if bucket.lock != "locked":
            state = (
                "an unlocked retention policy, which can be withdrawn and lapses"
                if bucket.lock == "unlocked"
                else "no retention policy"
            )
            yield (
                bucket.subject,
                (
                    "CES-INT-02",
                    f"bucket {bucket.name} holds medical records or images "
                    f"({why}) but has {state}; only a locked one keeps "
                    "them unaltered",
                ),
            )


def _bucket_access(facts: Facts, level: int) -> Iterator[Found]:
    for b in facts.buckets:
        if not b.public_access_blocked:
            yield b.subject, ("CES-PII-02", f"bucket {b.name} does not block public access")
        if not b.access_logging:
            yield b.subject, ("CES-AUDIT-01", f"bucket {b.name} does not log access")


def _bucket_tls(facts: Facts, level: int) -> Iterator[Found]:
    for b in facts.buckets:
        if not b.tls_only:
            yield (
                b.subject,
                ("CES-CONF-01", f"bucket {b.name} has no policy refusing requests made without TLS"),
            )


def _encryption(facts: Facts, level: int) -> Iterator[Found]:
    keys = {k.id: k for k in facts.keys if k.custody != "provider"}
    for b in facts.buckets:
        if not b.encrypted:
            yield b.subject, ("CES-CONF-02", f"bucket {b.name} is not encrypted at rest")
        elif b.data_class in SENSITIVE and b.key not in keys:
            where = "a provider-held key" if b.key is None else f"key {b.key}, not a customer key of the plan"
            yield b.subject, ("CLD-KMS-01", f"bucket {b.name} holds {b.data_class} data under {where}")
    for i in facts.instances:
        if not i.disk_encrypted:
            yield i.subject, ("CES-CONF-02", f"instance {i.name} has an unencrypted disk")
        elif i.disk_key not in keys:
            where = (
                "a provider-held key"
                if i.disk_key is None
                else f"key {i.disk_key}, not a customer key of the plan"
            )
            yield i.subject, ("CLD-KMS-01", f"instance {i.name} encrypts its disk under {where}")


PLAN_STAND_INS = {c: s for c, s in STAND_INS.items() if c is not Capability.MANAGED_KUBERNETES}
"""The stand-ins the plan must show on every cloud lacking their capability (a kubeadm cluster is
needed only for cloud workloads, which the spec checks: K8S-HA-01)."""


def _stand_ins(facts: Facts, level: int) -> Iterator[Found]:
    for cloud in facts.clouds:
        for gap in facts.gaps:
            if gap.provider != cloud.provider or gap.capability not in PLAN_STAND_INS:
                continue
            why = _gap_unmet(facts, cloud, gap.capability, gap.capability.value.replace("_", " "))
            if why:
                yield cloud.subject, (PLAN_STAND_INS[gap.capability].control, why)


def _cluster_network_policy(facts: Facts, level: int) -> Iterator[Found]:
    for c in facts.clusters:
        if c.enforces_network_policy:
            continue
        plugin = (
            f"its network plugin {c.network_plugin} does not"
            if c.network_plugin
            else "the plan names no network plugin, and the provider's default does not"
        )
        yield (
            c.subject,
            (
                "K8S-NETPOL-01",
                f"cluster {c.name}: {plugin} enforce NetworkPolicy, so the namespaces' "
                "default-deny policies are not applied (the plugin is fixed when the cluster is created)",
            ),
        )


AUDIT_TRAIL_DELIVERED = EnvironmentPolicy(
    name="audit_trail_delivered",
    description=(
        "Every cloud has an enabled audit trail over all regions delivering to a store the plan builds."
    ),
    controls=("CLD-AUDIT-01",),
    levels=(2, 3, 4),
    check=_audit_trail,
)

AUDIT_TRAIL_RETENTION = EnvironmentPolicy(
    name="audit_trail_retention",
    description=f"The audit trail delivers to a destination kept at least {MIN_RETENTION_DAYS} days.",
    controls=("SMC-CEN-04",),
    levels=(3, 4),
    check=_audit_retention,
)

AUDIT_ARCHIVE_PROTECTED = EnvironmentPolicy(
    name="audit_archive_protected",
    description=(
        "The audit trail keeps a copy in a private bucket with a locked retention and access logging."
    ),
    controls=("CES-AUDIT-03",),
    levels=(2, 3, 4),
    check=_audit_archive,
)

ZONE_BOUNDARY_DEFAULT_DENY = EnvironmentPolicy(
    name="zone_boundary_default_deny",
    description="Every zone has a boundary that denies inbound, outbound and member traffic by default.",
    controls=("ABS-ACL-01", "CLD-ACL-01"),
    levels=(2, 3, 4),
    check=_zones,
)

RECORD_BUCKETS_LOCKED = EnvironmentPolicy(
    name="record_buckets_locked",
    description="Every bucket holding medical records or images keeps versions under a locked retention.",
    controls=("CES-INT-02",),
    levels=(3, 4),
    check=_records_locked,
)

BUCKET_ACCESS_GUARDED = EnvironmentPolicy(
    name="bucket_access_guarded",
    description="Every bucket blocks public access and logs access.",
    controls=("CES-PII-02", "CES-AUDIT-01"),
    levels=(2, 3, 4),
    check=_bucket_access,
)

BUCKET_TLS_ONLY = EnvironmentPolicy(
    name="bucket_tls_only",
    description="Every bucket's policy refuses requests made without TLS.",
    controls=("CES-CONF-01",),
    levels=(3, 4),
    check=_bucket_tls,
)

ENCRYPTION_AT_REST = EnvironmentPolicy(
    name="encryption_at_rest",
    description=(
        "Buckets and disks are encrypted; core and personal data and disks under a customer key of the plan."
    ),
    controls=("CES-CONF-02", "CLD-KMS-01"),
    levels=(3, 4),
    check=_encryption,
)

STAND_INS_PRESENT = EnvironmentPolicy(
    name="stand_ins_present",
    description=(
        "Every capability a cloud lacks and the plan needs has the project's role standing in for "
        "it on a host of that cloud."
    ),
    controls=tuple(sorted({s.control for s in PLAN_STAND_INS.values()})),
    levels=(3, 4),
    check=_stand_ins,
)

CLUSTER_NETWORK_POLICY_ENFORCED = EnvironmentPolicy(
    name="cluster_network_policy_enforced",
    description="Every managed Kubernetes cluster has a network plugin that enforces NetworkPolicy.",
    controls=("K8S-NETPOL-01",),
    levels=(2, 3, 4),
    check=_cluster_network_policy,
)

POLICIES = (
    AUDIT_TRAIL_DELIVERED,
    AUDIT_TRAIL_RETENTION,
    AUDIT_ARCHIVE_PROTECTED,
    ZONE_BOUNDARY_DEFAULT_DENY,
    RECORD_BUCKETS_LOCKED,
    BUCKET_ACCESS_GUARDED,
    BUCKET_TLS_ONLY,
    ENCRYPTION_AT_REST,
    STAND_INS_PRESENT,
    CLUSTER_NETWORK_POLICY_ENFORCED,
)
