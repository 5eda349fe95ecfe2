"""What a layout asks of a cloud. A second cloud implements this protocol and nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pulumi
import pulumi_kubernetes as k8s

from stacks.model import Bucket, Host, Zone


@dataclass
class CloudNetwork:
    """Handles of the isolated network: one subnet and one security group per zone."""

    network_id: pulumi.Output[str]
    subnets: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    security_groups: dict[str, pulumi.Output[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class SecurityRule:
    """One allowed flow at a zone's boundary; everything else is denied."""

    zone: str
    direction: str
    protocol: str
    port: int
    cidr: str
    description: str


class CloudBucket(Protocol):
    """A cloud bucket: its endpoint inside the cloud network (host name)."""

    @property
    def intranet_endpoint(self) -> pulumi.Output[str]: ...


class CloudProvider(Protocol):
    def network(self, zones: tuple[Zone, ...], parent: pulumi.Resource) -> CloudNetwork: ...

    def security_rules(
        self, net: CloudNetwork, rules: list[SecurityRule], parent: pulumi.Resource
    ) -> None: ...

    def encryption_key(self, parent: pulumi.Resource) -> pulumi.Output[str]: ...

    def instance(
        self, host: Host, net: CloudNetwork, key: pulumi.Output[str], parent: pulumi.Resource
    ) -> pulumi.Resource: ...

    def log_store(self, retention_days: int, parent: pulumi.Resource) -> pulumi.Output[str]: ...

    def bucket(self, bucket: Bucket, key: pulumi.Output[str], parent: pulumi.Resource) -> CloudBucket: ...

    def audit_trail(self, parent: pulumi.Resource) -> pulumi.Resource: ...

    def kubernetes(
        self,
        net: CloudNetwork,
        zones: list[str],
        key: pulumi.Output[str],
        log_project: pulumi.Output[str],
        retention_days: int,
        parent: pulumi.Resource,
    ) -> k8s.Provider: ...
