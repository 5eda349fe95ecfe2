"""Network zones in the cloud: one isolated network, a subnet and a default-deny group per zone."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from stacks.model import Environment, Zone
from stacks.providers.base import CloudNetwork, CloudProvider, SecurityRule

INTERNET = "0.0.0.0/0"


def zone_rules(env: Environment, zones: tuple[Zone, ...]) -> list[SecurityRule]:
    """Ingress rules for each flow into a cloud zone, egress rules for each flow out of one."""
    here = {z.name for z in zones}
    rules: list[SecurityRule] = []
    for zone in env.zones:
        for flow in zone.ingress:
            cidr = INTERNET if flow.source == "internet" else env.zone(flow.source).cidr
            for port in flow.ports:
                why = flow.description or f"{flow.source} to {zone.name}"
                if zone.name in here:
                    rules.append(SecurityRule(zone.name, "ingress", flow.protocol, port, cidr, why))
                if flow.source in here:
                    rules.append(SecurityRule(flow.source, "egress", flow.protocol, port, zone.cidr, why))
    return rules


@dataclass(frozen=True)
class NetworkZonesArgs:
    env: Environment
    zones: tuple[Zone, ...]
    provider: CloudProvider


class NetworkZones(pulumi.ComponentResource):
    """The environment's own network in the cloud (CLD-NET-01, CLD-ACL-01, ABS-ACL-01)."""

    network: CloudNetwork

    def __init__(self, name: str, args: NetworkZonesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlps:cloud:NetworkZones", name, None, opts)
        self.network = args.provider.network(args.zones, self)
        args.provider.security_rules(self.network, zone_rules(args.env, args.zones), self)
        self.register_outputs({"network_id": self.network.network_id})
