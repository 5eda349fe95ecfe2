"""Network zones in the cloud: one isolated network, a subnet and a default-deny group per zone."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi

from mlps.role_flows import role_flows, role_reaches
from stacks.components.kube import pod_ports
from stacks.inventory import role_vars
from stacks.model import Environment, Zone
from stacks.providers.base import CloudNetwork, CloudProvider, SecurityRule

INTERNET = "0.0.0.0/0"


def backend_ports(env: Environment, zone: str, port: int) -> tuple[int, ...]:
    """The ports a flow from the internet to ``port`` of cloud zone ``zone`` ends on behind the
    cloud's load balancer: the container ports of the zone's cloud workloads whose Service or pod
    port it names (the flow's own port when none does: ``front_door_problems`` refuses that on a
    cloud whose front door forwards to workloads only)."""
    workloads = [w for w in env.workloads if w.zone == zone and w.placement == "cloud"]
    return tuple(sorted(pod_ports(workloads, (port,)))) or (port,)


def zone_rules(env: Environment, zones: tuple[Zone, ...]) -> list[SecurityRule]:
    """Ingress rules for each flow into a cloud zone, egress rules for each flow out of one: the
    spec's flows, then the flows the roles' services need (:func:`mlps.role_flows.role_flows`)
    that the spec does not already open, counting the cluster nodes in the zones of cloud
    workloads as hosts (they forward their logs like every host); last, from each zone with
    hosts, the servers the roles reach (:func:`mlps.role_flows.role_reaches`: the hospital's NTP
    servers), to their one address, and into the cloud zone holding a server."""
    here = {z.name for z in zones}
    rules: list[SecurityRule] = []
    opened: set[tuple[str, str, str, int]] = set()

    def add(zone: str, direction: str, protocol: str, port: int, cidr: str, why: str,
            backends: tuple[int, ...] = ()) -> None:
        # one rule per boundary, direction, protocol, port and peer: the rule's name
        key = (zone, direction, protocol, port, cidr)
        if not any((r.zone, r.direction, r.protocol, r.port, r.cidr) == key for r in rules):
            rules.append(SecurityRule(zone, direction, protocol, port, cidr, why, backends))

    def admit(source: str, zone: Zone, protocol: str, port: int, why: str) -> None:
        cidr = INTERNET if source == "internet" else env.zone(source).cidr
        opened.add((source, zone.name, protocol, port))
        if zone.name in here:
            behind = backend_ports(env, zone.name, port) if source == "internet" else ()
            add(zone.name, "ingress", protocol, port, cidr, why, behind)
        if source in here:
            add(source, "egress", protocol, port, zone.cidr, why)

    for zone in env.zones:
        for flow in zone.ingress:
            for port in flow.ports:
                admit(flow.source, zone, flow.protocol, port,
                      flow.description or f"{flow.source} to {zone.name}")
    # a cloud cluster's nodes run in the zones of its workloads and ship their logs too
    placed: list[tuple[str, tuple[str, ...]]] = [(h.zone, h.roles) for h in env.hosts]
    placed += [(w.zone, ()) for w in env.workloads if w.zone in here]
    for need in role_flows(placed):
        if (need.source, need.zone, need.protocol, need.port) not in opened:
            admit(need.source, env.zone(need.zone), need.protocol, need.port, need.why)
    for reach in role_reaches([(h.zone, h.roles) for h in env.hosts], role_vars(env)):
        try:
            address = ipaddress.IPv4Address(reach.server)
        except ValueError:  # a name or IPv6: refused where a cloud zone has hosts (cloud_server_problems)
            continue
        host_net = f"{address}/32"
        if reach.source in here:
            add(reach.source, "egress", reach.protocol, reach.port, host_net, reach.why)
        for zone in zones:
            if address in ipaddress.ip_network(zone.cidr):
                add(zone.name, "ingress", reach.protocol, reach.port, env.zone(reach.source).cidr, reach.why)
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
