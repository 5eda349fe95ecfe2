"""What a layout asks of a cloud: ``CloudProvider`` from every cloud, and one protocol per
managed service a cloud may offer (``stacks.capabilities`` lists which cloud offers which)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import pulumi
import pulumi_kubernetes as k8s

from stacks.keys import KeyPurpose
from stacks.model import Admin, Backup, Bucket, Cloud, Host, Link, Passwords, Zone

KEEP: dict[str, bool] = {"protect": True, "retain_on_delete": True}
"""Options of what must outlive a mistaken ``pulumi destroy`` (keys, audit log stores, locked
buckets): ``pulumi destroy`` refuses them; removed from the program, they stay in the cloud."""


@dataclass(frozen=True)
class Subnet:
    """One part of a zone's range in one availability zone (``mlps.availability``)."""

    availability_zone: str
    cidr: str
    id: pulumi.Output[str]


@dataclass
class CloudNetwork:
    """Handles of the isolated network: one security group per zone and its subnets, one per
    availability zone where the cloud binds a subnet to one (``subnets`` holds the first)."""

    network_id: pulumi.Output[str]
    subnets: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    security_groups: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    parts: dict[str, tuple[Subnet, ...]] = field(default_factory=dict)

    def subnet_of(self, host: Host) -> Subnet:
        """The part of the host's zone holding its address."""
        address = ipaddress.ip_address(host.address)
        for part in self.parts[host.zone]:
            if address in ipaddress.ip_network(part.cidr):
                return part
        raise ValueError(f"host {host.name}: {host.address} lies in no subnet of zone {host.zone}")

    def subnet_ids(self, zone: str) -> list[pulumi.Output[str]]:
        """Every subnet of ``zone``, one per part."""
        return [p.id for p in self.parts[zone]]


@dataclass(frozen=True)
class SecurityRule:
    """One allowed flow at a zone's boundary; everything else is denied."""

    zone: str
    direction: str
    protocol: str
    port: int
    cidr: str
    description: str
    backends: tuple[int, ...] | None = None
    """For a flow from the internet: the ports the zone's workloads serve it on behind the
    cloud's load balancer (``network_zones.backend_ports``; empty: none, the balancer answers
    it itself; None: the flow's own port)."""


@dataclass(frozen=True)
class FrontDoor:
    """A load balancer of the cloud taking a zone's traffic from the internet on ``ports`` (the
    cluster binds the zone's workloads to it: ``stacks.components.front_door``)."""

    zone: str
    ports: tuple[int, ...]
    balancer_id: pulumi.Output[str]


class CloudBucket(Protocol):
    """A cloud bucket: its endpoint inside the cloud network (host name)."""

    @property
    def intranet_endpoint(self) -> pulumi.Output[str]: ...


class CloudProvider(Protocol):
    """What every cloud gives a layout: an isolated network, keys, instances, buckets."""

    def network(self, zones: tuple[Zone, ...], parent: pulumi.Resource) -> CloudNetwork: ...

    def security_rules(
        self, net: CloudNetwork, rules: list[SecurityRule], parent: pulumi.Resource
    ) -> None: ...

    def encryption_key(self, purpose: KeyPurpose, parent: pulumi.Resource) -> pulumi.Output[str]: ...

    def instance(
        self, host: Host, net: CloudNetwork, key: pulumi.Output[str], parent: pulumi.Resource
    ) -> pulumi.Resource: ...

    def bucket(self, bucket: Bucket, key: pulumi.Output[str], parent: pulumi.Resource) -> CloudBucket: ...


@runtime_checkable
class ManagedLogStore(Protocol):
    """Capability ``managed_log_store``: the cloud keeps the audit logs for the retention."""

    def log_store(self, retention_days: int, parent: pulumi.Resource) -> pulumi.Output[str]: ...


@runtime_checkable
class AuditTrail(Protocol):
    """Capability ``audit_trail``: the cloud records its own API operations."""

    def audit_trail(self, parent: pulumi.Resource) -> pulumi.Resource: ...


@runtime_checkable
class ManagedKubernetes(Protocol):
    """Capability ``managed_kubernetes``: the cloud runs the cluster of the cloud workloads (the
    spec's Kubernetes ``version``), with one node pool per zone labelled with the zone
    (``kube.LABEL_ZONE``) and a network plugin that enforces NetworkPolicy."""

    def kubernetes(
        self,
        net: CloudNetwork,
        zones: list[str],
        key: pulumi.Output[str],
        log_project: pulumi.Output[str],
        retention_days: int,
        version: str,
        parent: pulumi.Resource,
    ) -> k8s.Provider: ...


@runtime_checkable
class IngressFrontDoors(Protocol):
    """A cloud whose front doors (``FrontDoor``) reach a managed cluster's workloads through an
    ingress controller of the cloud, which binds each workload's pods to the load balancer."""

    def front_doors(self) -> list[FrontDoor]: ...


@runtime_checkable
class ManagedBackup(Protocol):
    """Capability ``managed_backup``: the cloud backs up the instances and buckets the provider
    built (``backup.local``) and copies the buckets of core and personal data to a second region
    (``backup.offsite``)."""

    def backup(self, backup: Backup, parent: pulumi.Resource) -> None: ...


@runtime_checkable
class FlowLogsAndAlerts(Protocol):
    """Capabilities ``flow_logs`` and ``event_alerts``: the cloud records the traffic of the
    environment's network into the central log project, kept the retention (at least 180 days),
    and alerts on its own management events recorded by the audit trail."""

    def flow_logs(
        self, net: CloudNetwork, log_project: pulumi.Output[str], retention_days: int, parent: pulumi.Resource
    ) -> None: ...

    def event_alerts(self, parent: pulumi.Resource) -> None: ...


@runtime_checkable
class HostThreatDetection(Protocol):
    """Capability ``threat_detection``: the cloud's host security service watches every instance
    for intrusions and malware, new instances included (CLD-VMIDS-03)."""

    def threat_detection(self, parent: pulumi.Resource) -> None: ...


class ProviderFactory(Protocol):
    """A provider class: built from the spec's cloud, the environment name and the parent."""

    def __call__(self, cloud: Cloud, env: str, parent: pulumi.Resource) -> CloudProvider: ...


@runtime_checkable
class CloudIdentity(Protocol):
    """Capability ``cloud_identity``: the cloud's own accounts follow the spec's password and
    lockout rules, log in to the console with MFA only, and its administrators hold the three
    separated roles (system, security, audit), each of ``admins`` a member of their role's group."""

    def identity(self, passwords: Passwords, admins: tuple[Admin, ...], parent: pulumi.Resource) -> None: ...


@runtime_checkable
class DedicatedLines(Protocol):
    """Capability ``dedicated_lines``: the cloud end of the spec's dedicated lines, each a circuit
    of its carrier into a border router peering by BGP with BFD with the hospital's edge (the
    line's BGP password from ``passwords``, by line name), both routers attached to one transit
    router with the environment's network, the primary line preferred."""

    def dedicated_lines(
        self,
        net: CloudNetwork,
        links: tuple[Link, ...],
        passwords: dict[str, pulumi.Output[str]],
        parent: pulumi.Resource,
    ) -> None: ...
