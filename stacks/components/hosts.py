"""Cloud hosts from the spec: instances in their zone's subnet, no public address."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from stacks.model import Host
from stacks.providers.base import CloudNetwork, CloudProvider


@dataclass(frozen=True)
class CloudHostsArgs:
    hosts: tuple[Host, ...]
    network: CloudNetwork
    provider: CloudProvider


class CloudHosts(pulumi.ComponentResource):
    """One instance per cloud host; Ansible then applies the same roles as on-prem."""

    def __init__(self, name: str, args: CloudHostsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlps:cloud:Hosts", name, None, opts)
        key = args.provider.encryption_key("disks", self)
        self.instances = [args.provider.instance(h, args.network, key, self) for h in args.hosts]
        self.register_outputs({"hosts": [h.name for h in args.hosts]})
