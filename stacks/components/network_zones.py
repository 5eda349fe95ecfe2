"""Network zones in the cloud: one isolated network, a subnet and a default-deny group per zone."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi

from mlps.required_flows import RequiredFlow
from mlps.role_flows import role_flows, role_reaches
from stacks.components.front_door import HTTP_PORT, redirects
from stacks.components.kube import pod_ports
from stacks.inventory import role_vars
from stacks.model import Environment, Zone
from stacks.providers.base import CloudNetwork, CloudProvider, SecurityRule

INTERNET = "0.0.0.0/0"


def backend_ports(env: Environment, zone: str, port: int) -> tuple[int, ...]:
    """The ports a flow from the internet to ``port`` of cloud zone ``zone`` ends on behind the
    cloud's load balancer: the container ports of the zone's cloud workloads whose Service or pod
    port it names; none for HTTP on 80 that the balancer redirects to HTTPS
    (:func:`stacks.components.front_door.redirects`); the flow's own port when no workload serves
    it (``front_door_problems`` refuses that on a cloud whose front door forwards to workloads
    only)."""
    workloads = [w for w in env.workloads if w.zone == zone and w.placement == "cloud"]
    served = pod_ports(workloads, (port,))
    internet = tuple(p for f in env.zone(zone).ingress if f.source == "internet" for p in f.ports)
    if not served and port == HTTP_PORT and any(redirects(w, internet) for w in workloads):
        return ()
    return tuple(sorted(served)) or (port,)


def required_flows(env: Environment) -> tuple[RequiredFlow, ...]:
    """The flows that cross a cloud boundary, each once, in this order: the spec's flows into or
    out of a cloud zone, the flows the roles' services need (:func:`mlps.role_flows.role_flows`,
    counting the cluster nodes in the zones of cloud workloads as hosts: they forward their logs
    like every host), then the servers the roles reach (:func:`mlps.role_flows.role_reaches`:
    the hospital's NTP servers) from a cloud zone or inside one. A server named by host name or
    IPv6 address is left out: ``cloud_server_problems`` refuses it where a cloud zone has hosts."""
    cloud = {z.name for z in env.zones_at("cloud")}
    found: dict[RequiredFlow, None] = {}

    def need(source: str, target: str, target_cidr: str, protocol: str, port: int, why: str) -> None:
        source_cidr = INTERNET if source == "internet" else env.zone(source).cidr
        found.setdefault(RequiredFlow(source, source_cidr, target, target_cidr, protocol, port, why))

    for zone in env.zones:
        for flow in zone.ingress:
            if zone.name in cloud or flow.source in cloud:
                for port in flow.ports:
                    need(flow.source, zone.name, zone.cidr, flow.protocol, port,
                         flow.description or f"{flow.source} to {zone.name}")
    placed: list[tuple[str, tuple[str, ...]]] = [(h.zone, h.roles) for h in env.hosts]
    placed += [(w.zone, ()) for w in env.workloads if w.zone in cloud]
    opened = {(f.source, f.target, f.protocol, f.port) for f in found}
    for role in role_flows(placed):
        key = (role.source, role.zone, role.protocol, role.port)
        if key not in opened and (role.zone in cloud or role.source in cloud):
            need(role.source, role.zone, env.zone(role.zone).cidr, role.protocol, role.port, role.why)
    for reach in role_reaches([(h.zone, h.roles) for h in env.hosts], role_vars(env)):
        try:
            address = ipaddress.IPv4Address(reach.server)
        except ValueError:
            continue
        inside = any(address in ipaddress.ip_network(env.zone(z).cidr) for z in cloud)
        if reach.source in cloud or inside:
            need(reach.source, reach.server, f"{address}/32", reach.protocol, reach.port, reach.why)
    return tuple(found)


def zone_rules(env: Environment, zones: tuple[Zone, ...]) -> list[SecurityRule]:
    """The security rules that let the :func:`required_flows` through ``zones``: for each, an
    ingress rule on the boundary of its cloud zone (or of the cloud zone holding its server) and
    an egress rule on the boundary of the cloud zone it leaves. A flow from the internet carries
    the ports it ends on behind the zone's front door (``backend_ports``)."""
    here = {z.name for z in zones}
    rules: list[SecurityRule] = []

    def add(zone: str, direction: str, protocol: str, port: int, cidr: str, why: str,
            backends: tuple[int, ...] | None = None) -> None:
        # one rule per boundary, direction, protocol, port and peer: the rule's name
        key = (zone, direction, protocol, port, cidr)
        if not any((r.zone, r.direction, r.protocol, r.port, r.cidr) == key for r in rules):
            rules.append(SecurityRule(zone, direction, protocol, port, cidr, why, backends))

    names = {z.name for z in env.zones}
    for flow in required_flows(env):
        if flow.target in here:
            behind = backend_ports(env, flow.target, flow.port) if flow.source == "internet" else None
            add(flow.target, "ingress", flow.protocol, flow.port, flow.source_cidr, flow.why, behind)
        elif flow.target not in names:  # a server: admitted into the cloud zone that holds it
            server = ipaddress.IPv4Network(flow.target_cidr)  # required_flows: IPv4 servers only
            for zone in zones:
                if server.subnet_of(ipaddress.IPv4Network(zone.cidr)):
                    add(zone.name, "ingress", flow.protocol, flow.port, flow.source_cidr, flow.why)
        if flow.source in here:
            add(flow.source, "egress", flow.protocol, flow.port, flow.target_cidr, flow.why)
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
