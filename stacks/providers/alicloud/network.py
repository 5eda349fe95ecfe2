"""The VPC, one default-deny security group per zone and one vSwitch per part of its range in
each availability zone (``mlps.availability``), the spec's flows, a front door where the internet
enters."""

from __future__ import annotations

import pulumi
import pulumi_alicloud as ali

from mlps.availability import labelled
from stacks.model import Zone
from stacks.naming import res
from stacks.providers.alicloud.front_door import INTERNET, FrontDoors
from stacks.providers.alicloud.ranges import supernet
from stacks.providers.base import CloudNetwork, SecurityRule, Subnet


class Network(FrontDoors):
    def network(self, zones: tuple[Zone, ...], parent: pulumi.Resource) -> CloudNetwork:
        self._cidrs = [z.cidr for z in zones]
        vpc = ali.vpc.Network(
            res(self.env, "vpc"),
            vpc_name=res(self.env, "vpc"),
            cidr_block=supernet(self._cidrs),
            description=f"{self.env}: isolated network of the environment",
            opts=self._opts(parent),
        )
        net = CloudNetwork(network_id=vpc.id)
        for zone in zones:
            self._zone_cidrs[zone.name] = zone.cidr
            switches = []
            for label, az, cidr in labelled(zone.cidr, self.availability_zones):
                # One availability zone keeps the zone's one vSwitch under its first name.
                tail = (label,) if label else ()
                switch = ali.vpc.Switch(
                    res(self.env, "vsw", zone.name, *tail),
                    vswitch_name=res(self.env, zone.name, *tail),
                    vpc_id=vpc.id,
                    cidr_block=cidr,
                    zone_id=az,
                    description=zone.description or zone.kind,
                    tags={"mlps:zone": zone.name},
                    opts=self._opts(parent),
                )
                switches.append(Subnet(az, cidr, switch.id))
            group = ali.ecs.SecurityGroup(
                res(self.env, "sg", zone.name),
                security_group_name=res(self.env, zone.name),
                vpc_id=vpc.id,
                inner_access_policy="Drop",
                security_group_type="normal",
                description=f"{zone.name} ({zone.kind}): default deny",
                tags={"mlps:zone": zone.name},
                opts=self._opts(parent),
            )
            net.subnets[zone.name] = switches[0].id
            net.parts[zone.name] = tuple(switches)
            net.security_groups[zone.name] = group.id
            ali.ecs.SecurityGroupRule(
                res(self.env, "sg", zone.name, "egress-deny-all"),
                security_group_id=group.id,
                type="egress",
                ip_protocol="all",
                port_range="-1/-1",
                cidr_ip="0.0.0.0/0",
                policy="drop",
                priority=100,
                nic_type="intranet",
                description="Default deny: only the spec's flows leave the zone",
                opts=self._opts(parent),
            )
        return net

    def security_rules(self, net: CloudNetwork, rules: list[SecurityRule], parent: pulumi.Resource) -> None:
        """One rule per flow; a flow from the internet ends on the zone's front door
        (``front_door``), and Cloud Firewall guards the front doors' addresses."""
        doors: dict[str, list[SecurityRule]] = {}
        for r in rules:
            if r.direction == "ingress" and r.cidr == INTERNET:
                doors.setdefault(r.zone, []).append(r)
                continue
            where = r.cidr.replace("/", "-").replace(".", "-")
            ali.ecs.SecurityGroupRule(
                res(self.env, "sg", r.zone, r.direction, r.protocol, str(r.port), where),
                security_group_id=net.security_groups[r.zone],
                type=r.direction,
                ip_protocol=r.protocol,
                port_range=f"{r.port}/{r.port}",
                cidr_ip=r.cidr,
                policy="accept",
                priority=1,
                nic_type="intranet",
                description=r.description[:512] or f"{r.direction} {r.port}",
                opts=self._opts(parent),
            )
        for zone, internet in doors.items():
            self._front_door(net, zone, internet, parent)
        self._cloud_firewall(parent)
