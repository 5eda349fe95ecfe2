"""What each cloud offers as a managed service, and which of the project's roles stands in.

A capability a provider lacks is never skipped: when the spec needs it, the layout puts the
project's own role on the spec's hosts instead (object lock → the ``object_storage`` role,
SeaweedFS with object lock; audit trail, log store, flow logs and event alerts → the
``log_audit_server`` role; host threat detection → the baseline's malware scanner on every cloud
host;
managed Kubernetes → the kubeadm roles), and ``mlps synth`` writes a notice naming that part
into the plan, which ``mlps report`` prints. A spec without the hosts the stand-in needs is
refused before anything is built. What only the cloud's owner can run (``OWNER_PARTS``: the
cloud's identity service) is no role of the project: the notice names the owner's part instead;
the cloud end of dedicated lines a cloud cannot build is the carrier's own termination, with the
``link_failover`` role on the hospital's edge (``line_notices``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from mlps.plan_findings import Notice
from mlps.roles import every_host

if TYPE_CHECKING:
    from stacks.model import Bucket, Environment


class Capability(StrEnum):
    """A managed cloud service a layout can use."""

    OBJECT_STORAGE = "object_storage"
    OBJECT_LOCK = "object_lock"
    AUDIT_TRAIL = "audit_trail"
    MANAGED_LOG_STORE = "managed_log_store"
    MANAGED_KUBERNETES = "managed_kubernetes"
    KMS = "kms"
    LOAD_BALANCER = "load_balancer"
    CLOUD_IDENTITY = "cloud_identity"
    MANAGED_BACKUP = "managed_backup"
    FLOW_LOGS = "flow_logs"
    EVENT_ALERTS = "event_alerts"
    DEDICATED_LINES = "dedicated_lines"
    SM4_KEYS = "sm4_keys"
    THREAT_DETECTION = "threat_detection"


CAPABILITIES: dict[str, frozenset[Capability]] = {
    "alicloud": frozenset(Capability),
    # Swift has no object lock; OpenStack has no audit trail or log store service of its own
    # (keystonemiddleware's CADF records go to the cloud's own logs), and Magnum is optional;
    # Keystone's accounts and their password and MFA rules are the cloud owner's.
    "openstack": frozenset(
        {Capability.OBJECT_STORAGE, Capability.KMS, Capability.LOAD_BALANCER}
    ),
}
"""Capabilities per value of the spec's ``/cloud/provider``: the one capability vocabulary, read
by the layouts here and by the plan's fact adapters (``policy/facts/``)."""


@dataclass(frozen=True)
class StandIn:
    """The project's role standing in for a capability a cloud lacks, the control it serves, and
    whether it must run on a host of that cloud (``cloud_only``) or may run anywhere."""

    role: str
    control: str
    cloud_only: bool


STAND_INS: dict[Capability, StandIn] = {
    Capability.OBJECT_LOCK: StandIn("object_storage", "CES-INT-02", cloud_only=True),
    Capability.AUDIT_TRAIL: StandIn("log_audit_server", "CLD-AUDIT-01", cloud_only=False),
    Capability.MANAGED_LOG_STORE: StandIn("log_audit_server", "SMC-CEN-04", cloud_only=False),
    Capability.MANAGED_KUBERNETES: StandIn("k8s_control_plane", "K8S-HA-01", cloud_only=True),
    Capability.FLOW_LOGS: StandIn("log_audit_server", "ABS-AUDIT-01", cloud_only=False),
    Capability.EVENT_ALERTS: StandIn("log_audit_server", "SMC-CEN-07", cloud_only=False),
    Capability.THREAT_DETECTION: StandIn("baseline", "CLD-VMIDS-03", cloud_only=True),
}
"""The capabilities a layout replaces by a role when the cloud lacks them."""


def lacking(provider: str) -> tuple[Capability, ...]:
    """The capabilities with a stand-in that ``provider`` lacks, in the order of ``STAND_INS``."""
    return tuple(c for c in STAND_INS if c not in CAPABILITIES[provider])


def capabilities(env: Environment) -> frozenset[Capability]:
    """What the spec's cloud offers (nothing without a cloud)."""
    return CAPABILITIES[env.cloud.provider] if env.cloud is not None else frozenset()


def locked(bucket: Bucket) -> bool:
    return bucket.lock_mode != "none"


def own_storage(env: Environment, bucket: Bucket) -> bool:
    """The bucket is kept by the ``object_storage`` role: on-prem, or a locked bucket in a cloud
    without object lock."""
    if bucket.placement == "onprem":
        return True
    return locked(bucket) and Capability.OBJECT_LOCK not in capabilities(env)


@dataclass(frozen=True)
class Compensation:
    """A capability the cloud lacks and the spec needs, and the role on hosts that stands in."""

    capability: Capability
    control: str
    role: str
    hosts: tuple[str, ...]
    needed_by: str

    def message_en(self, provider: str) -> str:
        where = ", ".join(self.hosts) or "no host"
        return (f"{provider} has no {self.capability.value.replace('_', ' ')}: {self.needed_by} "
                f"is provided by the {self.role} role on {where}")

    def message_zh(self, provider: str) -> str:
        where = "、".join(self.hosts) or "无主机"
        return (f"{provider} 不提供 {self.capability.value}：{self.needed_by} 由主机 {where} 上的 "
                f"{self.role} 角色承担")


def _compensation(env: Environment, capability: Capability, needed_by: str) -> Compensation:
    stand_in = STAND_INS[capability]
    pool = env.hosts_at("cloud") if stand_in.cloud_only else env.hosts
    everywhere = stand_in.role in every_host()
    hosts = tuple(h.name for h in pool if everywhere or stand_in.role in h.roles)
    return Compensation(capability, stand_in.control, stand_in.role, hosts, needed_by)


def compensations(env: Environment) -> list[Compensation]:
    """Every capability the spec needs that its cloud lacks, with the role and hosts standing in."""
    if env.cloud is None:
        return []
    have = capabilities(env)
    out: list[Compensation] = []
    lock_buckets = [b.name for b in env.buckets if b.placement == "cloud" and locked(b)]
    if lock_buckets and Capability.OBJECT_LOCK not in have:
        out.append(_compensation(
            env, Capability.OBJECT_LOCK,
            "object lock of cloud bucket(s) " + ", ".join(lock_buckets) + " (SeaweedFS)"))
    if env.cloud.audit_trail and Capability.AUDIT_TRAIL not in have:
        out.append(_compensation(
            env, Capability.AUDIT_TRAIL,
            "the record of the cloud's API operations (CADF audit records forwarded by the cloud's "
            "controllers)"))
    if Capability.MANAGED_LOG_STORE not in have:
        out.append(_compensation(
            env, Capability.MANAGED_LOG_STORE, f"central log storage for {env.log_retention_days} days"))
    cloud_workloads = [w for w in env.workloads if w.placement == "cloud"]
    if env.kubernetes.enabled and cloud_workloads and Capability.MANAGED_KUBERNETES not in have:
        out.append(_compensation(
            env, Capability.MANAGED_KUBERNETES,
            "the Kubernetes cluster of the cloud workloads (kubeadm, with k8s_node)"))
    if Capability.FLOW_LOGS not in have:
        out.append(_compensation(
            env, Capability.FLOW_LOGS,
            "the record of the cloud network's refused traffic (each host's firewall logs what it "
            "drops, at most 10 records a second per chain, kept by the audit servers; accepted "
            "connections only in the services' own logs)"))
    if Capability.THREAT_DETECTION not in have and env.hosts_at("cloud"):
        out.append(_compensation(
            env, Capability.THREAT_DETECTION,
            "malware detection on the cloud hosts (the baseline's scanner with its daily scan, "
            "CES-MAL-01, and file integrity checking, in place of a host security service)"))
    if env.cloud.audit_trail and Capability.EVENT_ALERTS not in have:
        out.append(_compensation(
            env, Capability.EVENT_ALERTS,
            "alerting on the cloud's management events (failed and administrator sign-ins, "
            "account, role, security group and key changes, instances created or started, in the "
            "CADF records the audit servers receive)"))
    return out


@dataclass(frozen=True)
class OwnerPart:
    """What the cloud's owner operates in place of a capability the project cannot build in that
    cloud (``part``), what it provides (``needed_by``, English and Chinese) and the control."""

    part: str
    control: str
    needed_by: str
    part_zh: str
    needed_by_zh: str


OWNER_PARTS: dict[str, dict[Capability, OwnerPart]] = {
    "openstack": {
        Capability.CLOUD_IDENTITY: OwnerPart(
            "Keystone, operated by the private cloud's owner",
            "CES-AUTH-01",
            "the cloud accounts' password policy, login lockout, MFA and separated administrator roles",
            "私有云运营方运维的 Keystone",
            "云账户的口令策略、登录失败锁定、多因素鉴别与管理员三权分立",
        ),
    },
}
"""Per provider, the capabilities it lacks that its owner's own service provides."""


def owner_notices(env: Environment) -> list[Notice]:
    """One notice per capability the spec's cloud lacks that its owner's part provides."""
    if env.cloud is None:
        return []
    provider = env.cloud.provider
    return [
        Notice(
            part.control,
            "/cloud/provider",
            f"{provider} 不提供 {capability.value}：{part.needed_by_zh}由{part.part_zh}承担",
            f"{provider} has no {capability.value.replace('_', ' ')}: {part.needed_by} are kept by "
            f"{part.part}",
        )
        for capability, part in OWNER_PARTS.get(provider, {}).items()
        if capability not in CAPABILITIES[provider]
    ]


def notices(env: Environment) -> list[Notice]:
    """The compensations and the owner's parts as plan notices (``findings.json``, then the report)."""
    provider = env.cloud.provider if env.cloud is not None else ""
    return [Notice(c.control, "/cloud/provider", c.message_zh(provider), c.message_en(provider))
            for c in compensations(env)] + owner_notices(env) + backup_notices(env) + line_notices(env)


def uncovered(env: Environment) -> list[str]:
    """One line per compensation without a host to carry its role, and per need no role can
    stand in for (the spec cannot be built)."""
    provider = env.cloud.provider if env.cloud is not None else ""
    sm4 = env.cloud is not None and env.cloud.key_algorithm == "sm4"
    refused = [f"SOM-CRYPTO-02: {provider} has no sm4_keys (its key manager orders AES keys only); "
               "set cloud.key_algorithm to aes-256 or build on a cloud whose KMS offers SM4"]
    return refused * (sm4 and Capability.SM4_KEYS not in capabilities(env)) + [
        f"{c.control}: {provider} has no {c.capability.value}; give {c.needed_by} "
        f"a host with the {c.role} role" + (" in a cloud zone" if STAND_INS[c.capability].cloud_only else "")
        for c in compensations(env) if not c.hosts
    ]


def backup_notices(env: Environment) -> list[Notice]:
    """A cloud without managed backup: its hosts and buckets are copied by the hospital's own
    backup (``backup.offsite``, on-prem in a cloud or hybrid layout: CLD-BAK-01)."""
    if env.cloud is None or Capability.MANAGED_BACKUP in capabilities(env):
        return []
    held = [h.name for h in env.hosts_at("cloud")] + [
        b.name for b in env.buckets if b.placement == "cloud" and not own_storage(env, b)]
    if not held:
        return []
    site = env.backup.offsite_site or "the hospital's backup site"
    what = ", ".join(held)
    provider = env.cloud.provider
    return [Notice(
        "CES-BAK-01", "/backup/offsite",
        f"{provider} 不提供 managed_backup：{what} 的备份由医院自己的备份（backup.offsite：{site}）承担",
        f"{provider} has no managed backup: the backup of {what} is provided by the hospital's own "
        f"backup (backup.offsite: {site})")]


def line_notices(env: Environment) -> list[Notice]:
    """A cloud without dedicated lines of its own (Express Connect) for a spec with ``links``: each
    line ends at the carrier's own termination in the cloud, and the hospital's edge routers run
    the ``link_failover`` role (BGP with BFD) over it."""
    if env.cloud is None or not env.links or Capability.DEDICATED_LINES in capabilities(env):
        return []
    lines = ", ".join(f"{link.name} ({link.carrier})" for link in env.links)
    edges = [h.name for h in env.hosts_with("link_failover")]
    where = ", ".join(edges) or "no host"
    provider = env.cloud.provider
    return [Notice(
        "CNS-REDUN-01", "/links",
        f"{provider} 不提供 dedicated_lines：专线 {lines} 的云端由运营商自己的专线终端承担，"
        f"医院侧由主机 {'、'.join(edges) or '无主机'} 上的 link_failover 角色（BGP + BFD）承担",
        f"{provider} has no dedicated lines: the cloud end of {lines} is the carrier's own line "
        f"termination, and the hospital end the link_failover role (BGP with BFD) on {where}")]
