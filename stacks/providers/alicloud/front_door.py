"""The front door of a zone the internet reaches (ABS-BOUND-01, CLD-ACL-01).

A flow from the internet never ends on the zone's nodes. It ends on an application load balancer
of the WAF-enabled edition (``StandardWithWaf``: WAF 3.0 built in, its default protection
template on the balancer) on fixed public addresses, one elastic IP in each of two or more
availability zones. The balancer has its own security group admitting the flow's port from
anywhere and dropping every other inbound packet; the zone's own group admits the backend ports
from the balancer's group alone. Cloud Firewall guards the public addresses at the internet
boundary: the flow's port to them accepted, every other inbound packet dropped. The balancer's
access logs go to a store of the central log project kept at least 180 days (built with the
flow logs, which need the project). ACK's ALB ingress controller binds the zone's pods to it
(``stacks.components.front_door``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_alicloud as ali

from mlps.retention import LOG_MIN_DAYS
from stacks.naming import res
from stacks.providers.alicloud.ranges import POD_CIDRS, free_cidr
from stacks.providers.alicloud.sls import LogStores
from stacks.providers.base import KEEP, CloudNetwork, FrontDoor, SecurityRule

ALB_EDITION = "StandardWithWaf"
"""The ALB edition with WAF 3.0 built in."""
FRONT_TAG = "mlps:front-door"
"""Tag of a front door's balancer, security group and addresses: the zone it serves."""
ACCESS_LOG_STORE = "alb-access"
ACCESS_FIELDS = ("client_ip", "host", "request_method", "request_uri", "status", "upstream_addr")
"""Fields of an ALB access log record indexed for search and analysis."""
INTERNET = "0.0.0.0/0"
ALL_PORTS = "0/0"
"""Cloud Firewall's notation for every destination port."""
LOWEST = -1
"""Cloud Firewall's order of the lowest-priority policy."""


@dataclass(frozen=True)
class Door:
    """One zone's front door: the zone's flows from the internet, its balancer and its public
    addresses."""

    name: str
    zone: str
    rules: tuple[SecurityRule, ...]
    balancer: ali.alb.LoadBalancer
    addresses: tuple[tuple[str, ali.ecs.EipAddress], ...]
    """Each public address and its resource name."""

    @property
    def ports(self) -> tuple[int, ...]:
        return tuple(sorted({r.port for r in self.rules}))


class FrontDoors(LogStores):
    def front_doors(self) -> list[FrontDoor]:
        """The front doors built so far, for the cluster's ingress."""
        return [FrontDoor(d.zone, d.ports, d.balancer.id) for d in self._doors]

    def _front_door(
        self, net: CloudNetwork, zone: str, rules: list[SecurityRule], parent: pulumi.Resource
    ) -> None:
        """The balancer in front of ``zone`` on the ports of its flows from the internet
        (``rules``), and the zone's group admitting the backend ports from the balancer's group
        only."""
        name = res(self.env, "alb", zone)
        first: dict[str, str] = {}
        for part in net.parts[zone]:
            first.setdefault(part.availability_zone, part.cidr)
        if len(first) < 2:
            raise pulumi.RunError(
                f"zone {zone} takes traffic from the internet: an application load balancer needs "
                "two availability zones (cloud.availability_zones)"
            )
        backends = sorted({p for r in rules for p in (r.port,) if r.backends is None}
                          | {p for r in rules for p in r.backends or ()})
        why = "; ".join(dict.fromkeys(r.description for r in rules if r.description)) or f"internet to {zone}"
        group = ali.ecs.SecurityGroup(
            f"{name}-sg",
            security_group_name=name,
            vpc_id=net.network_id,
            inner_access_policy="Drop",
            security_group_type="normal",
            description=f"{zone}: the front door's load balancer",
            tags={FRONT_TAG: zone},
            opts=self._opts(parent),
        )
        for port in sorted({r.port for r in rules}):
            self._front_rule(f"{name}-sg-in-{port}", group.id, port, "accept", why, parent)
        self._front_rule(f"{name}-sg-in-deny-all", group.id, None, "drop",
                         "Default deny: the internet reaches the flows' ports only", parent)
        # Terway gives pods addresses of the pod range: the balancer forwards there or to the zone.
        for cidr in (self._zone_cidrs[zone], free_cidr(POD_CIDRS, self._cidrs)):
            for port in backends:
                self._front_rule(f"{name}-sg-out-{port}-{cidr.replace('/', '-').replace('.', '-')}",
                                 group.id, port, "accept", f"to the backends of {zone}", parent,
                                 direction="egress", cidr=cidr)
        self._front_rule(f"{name}-sg-egress-deny-all", group.id, None, "drop",
                         "Default deny: the balancer reaches its backends only", parent, direction="egress")
        for port in backends:
            ali.ecs.SecurityGroupRule(
                res(self.env, "sg", zone, "ingress", "tcp", str(port), "front-door"),
                security_group_id=net.security_groups[zone],
                type="ingress",
                ip_protocol="tcp",
                port_range=f"{port}/{port}",
                source_security_group_id=group.id,
                policy="accept",
                priority=1,
                nic_type="intranet",
                description=f"{why} (through the front door)"[:512],
                opts=self._opts(parent),
            )
        addresses = tuple(
            (f"{name}-eip-{az}", ali.ecs.EipAddress(
                f"{name}-eip-{az}",
                address_name=f"{name}-{az}",
                isp="BGP",
                payment_type="PayAsYouGo",
                internet_charge_type="PayByTraffic",
                deletion_protection=True,
                description=f"{zone}: public address of the front door in {az}",
                tags={FRONT_TAG: zone},
                opts=self._opts(parent),
            ))
            for az in first
        )
        balancer = ali.alb.LoadBalancer(
            name,
            load_balancer_name=name,
            load_balancer_edition=ALB_EDITION,
            address_type="Internet",
            address_allocated_mode="Fixed",
            vpc_id=net.network_id,
            load_balancer_billing_config=ali.alb.LoadBalancerLoadBalancerBillingConfigArgs(pay_type="PayAsYouGo"),
            deletion_protection_enabled=True,
            modification_protection_config=ali.alb.LoadBalancerModificationProtectionConfigArgs(
                status="ConsoleProtection", reason="Managed-by-mlps"
            ),
            zone_mappings=[
                ali.alb.LoadBalancerZoneMappingArgs(
                    vswitch_id=next(p.id for p in net.parts[zone] if p.availability_zone == az),
                    zone_id=az,
                    allocation_id=eip.id,
                )
                for az, (_, eip) in zip(first, addresses, strict=True)
            ],
            tags={FRONT_TAG: zone},
            opts=self._opts(parent),
        )
        ali.alb.LoadBalancerSecurityGroupAttachment(
            f"{name}-sg-attachment",
            load_balancer_id=balancer.id,
            security_group_id=group.id,
            opts=self._opts(parent),
        )
        self._doors.append(Door(name, zone, tuple(rules), balancer, addresses))

    def _front_rule(self, name: str, group: pulumi.Output[str], port: int | None, action: str, why: str,
                    parent: pulumi.Resource, direction: str = "ingress", cidr: str = INTERNET) -> None:
        """A rule of the balancer's group: ``port`` accepted from or to ``cidr``, or (None) every
        port dropped behind the accepts."""
        ali.ecs.SecurityGroupRule(
            name,
            security_group_id=group,
            type=direction,
            ip_protocol="tcp" if port else "all",
            port_range=f"{port}/{port}" if port else "-1/-1",
            cidr_ip=cidr,
            policy=action,
            priority=1 if action == "accept" else 100,
            nic_type="intranet",
            description=why[:512],
            opts=self._opts(parent),
        )

    def _cloud_firewall(self, parent: pulumi.Resource) -> None:
        """Cloud Firewall on every front door's public addresses: each door's port accepted to
        its addresses (first in the account's order), everything else inbound dropped (the
        lowest priority, below the account's other policies too). One instance per account,
        pay-as-you-go, its traffic logs on; kept with the account (a second environment in the
        account imports it)."""
        if not self._doors:
            return
        firewall = ali.cloudfirewall.InstanceV2(
            res(self.env, "cloud-firewall"),
            payment_type="PayAsYouGo",
            product_code="cfw",
            product_type="cfw_elasticity_public_cn",
            spec="payg_version",
            cfw_log=True,
            opts=self._opts(parent, **KEEP),
        )
        after = self._opts(parent, depends_on=[firewall])
        order = 0
        for door in self._doors:
            for eip_name, eip in door.addresses:
                ali.cloudfirewall.FwSwitch(
                    f"{eip_name}-firewall",
                    internet_address=eip.ip_address,
                    ip_version="4",
                    opts=after,
                )
                for port in door.ports:
                    order += 1
                    self._inbound_policy(
                        f"{eip_name}-firewall-accept-{port}", "accept", "TCP",
                        eip.ip_address.apply(lambda a: f"{a}/32"), f"{port}/{port}",
                        f"{door.zone}: internet to the front door on {port}", order, after, parent,
                    )
        self._inbound_policy(
            res(self.env, "cloud-firewall", "in-deny-all"), "drop", "ANY", INTERNET, ALL_PORTS,
            "Default deny: only the front doors' ports enter from the internet", LOWEST, after, parent,
        )

    def _inbound_policy(self, name: str, action: str, proto: str, destination: pulumi.Input[str], ports: str,
                        why: str, order: int, opts: pulumi.ResourceOptions, parent: pulumi.Resource) -> None:
        """An inbound Cloud Firewall policy from anywhere, placed at ``order``."""
        policy = ali.cloudfirewall.ControlPolicy(
            name,
            direction="in",
            acl_action=action,
            application_name="ANY",
            proto=proto,
            source=INTERNET,
            source_type="net",
            destination=destination,
            destination_type="net",
            dest_port_type="port",
            dest_port=ports,
            ip_version="4",
            description=why[:512],
            opts=opts,
        )
        ali.cloudfirewall.ControlPolicyOrder(
            f"{name}-order",
            acl_uuid=policy.acl_uuid,
            direction="in",
            order=order,
            opts=self._opts(parent),
        )

    def _front_door_logs(
        self, log_project: pulumi.Output[str], retention_days: int, parent: pulumi.Resource
    ) -> None:
        """Every front door's access log into the store ``alb-access`` of the central log
        project, kept the spec's log retention and at least ``LOG_MIN_DAYS``."""
        if not self._doors:
            return
        store = self._log_store(
            res(self.env, "alb-access-store"),
            log_project,
            ACCESS_LOG_STORE,
            max(retention_days, LOG_MIN_DAYS),
            ACCESS_FIELDS,
            parent,
        )
        for door in self._doors:
            ali.alb.LoadBalancerAccessLogConfigAttachment(
                f"{door.name}-access-log",
                load_balancer_id=door.balancer.id,
                log_project=store.project_name,
                log_store=store.logstore_name,
                opts=self._opts(parent),
            )
