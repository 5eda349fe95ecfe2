"""The cloud end of the dedicated lines (GB/T 22239-2019 8.1.2.1: redundant communication lines
and key network devices): per line an Express Connect circuit of its carrier and a border router
(VBR) peering by BGP with BFD with the hospital's edge, both border routers and the VPC attached
to one CEN transit router, each border router health-checked by CEN.

Where each circuit lands comes from the stack configuration ``mlps:expressConnect``, an object
keyed by line name whose keys all have defaults: ``accessPoint`` (``ap-<region>-<n>``, n the
line's position from 1: set it to the access point the carrier terminates at), ``portType``
(``1000Base-LX``), ``vlanId`` (``100 + n``), ``localGateway`` and ``peerGateway`` (the cloud's
and the hospital edge's address on the line: ``192.168.254.<4n-3>`` and ``<4n-2>``, a /30). The
transit router's vSwitches lie in the spec's first two ``cloud.availability_zones``; with one
named, the second is ``mlps:secondZoneId`` (``<region>-g``).

The primary line is preferred by route priority: what the hospital announces over a backup line
enters the transit router at priority ``BACKUP_PREFERENCE``, behind the default 50 of the primary
(the hospital's edges prefer the primary by local preference and prepend the backup's
announcements: the ``link_failover`` role).
"""

from __future__ import annotations

import math
from typing import Any

import pulumi
import pulumi_alicloud as ali

from mlps.carriers import carrier_key
from stacks.model import Link
from stacks.naming import res
from stacks.providers.alicloud.base import AlicloudBase
from stacks.providers.alicloud.ranges import last_free_subnets, supernet
from stacks.providers.base import CloudNetwork

OPERATORS: dict[str, str] = {"china-telecom": "CT", "china-unicom": "CU", "china-mobile": "CM"}
"""Express Connect's code of each national carrier by ``mlps.carriers.carrier_key`` (``CO``: any
other mainland carrier)."""
BANDWIDTHS = (50, 100, 200, 300, 400, 500, 1000, 2048, 5120, 8192, 10240, 20480, 40960, 50120, 61440, 102400)
"""The bandwidths (Mbit/s) a border router of a dedicated circuit takes."""
BFD_MS = (200, 1000)
"""The BFD intervals a border router takes (ms)."""
HEALTH_CHECK_SECONDS = (2, 3)
HEALTH_CHECK_PROBES = (3, 8)
"""CEN's bounds of a border router's health check: seconds between probes, probes lost."""
BACKUP_PREFERENCE = 60
"""Route priority of what a backup line brings into the transit router (lower wins; default 50)."""
TRANSIT_PREFIX = 28
"""Size of the transit router's own vSwitches, taken from the top of the VPC range."""


def line_operator(carrier: str) -> str:
    return OPERATORS.get(carrier_key(carrier), "CO")


def bandwidth(link: Link) -> int:
    """The smallest border router bandwidth carrying the line's larger direction."""
    wanted = max(link.up_mbps, link.down_mbps)
    return next((b for b in BANDWIDTHS if b >= wanted), BANDWIDTHS[-1])


def _clamp(value: int, bounds: tuple[int, int]) -> int:
    return max(bounds[0], min(bounds[1], value))


def health_check(link: Link) -> tuple[int, int]:
    """CEN's probe interval (s) and lost probes for the line: the BFD interval rounded up to a
    second and the BFD multiplier, each within CEN's bounds."""
    return (
        _clamp(math.ceil(link.bfd_interval_ms / 1000), HEALTH_CHECK_SECONDS),
        _clamp(link.bfd_multiplier, HEALTH_CHECK_PROBES),
    )


def line_settings(link: Link, position: int, region: str, given: dict[str, Any]) -> dict[str, Any]:
    """The circuit and border router settings of the line at ``position`` (from 1): ``given``
    over the defaults."""
    base = 4 * position - 4
    return {
        "accessPoint": f"ap-{region}-{position}",
        "portType": "1000Base-LX",
        "vlanId": 100 + position,
        "localGateway": f"192.168.254.{base + 1}",
        "peerGateway": f"192.168.254.{base + 2}",
        **given,
    }


def _asns(link: Link) -> tuple[int, int]:
    """The cloud's and the hospital edge's ASN (the spec's are the hospital's view: its edge is
    local, the cloud the peer), after checking the line fits a border router."""
    if link.local_asn is None or link.peer_asn is None:
        raise pulumi.RunError(f"links[{link.name}].bgp needs local_asn and peer_asn")
    if link.bfd_enabled and not BFD_MS[0] <= link.bfd_interval_ms <= BFD_MS[1]:
        raise pulumi.RunError(
            f"links[{link.name}].bfd.interval_ms {link.bfd_interval_ms}: an Express Connect border "
            f"router takes {BFD_MS[0]} to {BFD_MS[1]} ms"
        )
    return link.peer_asn, link.local_asn


class Lines(AlicloudBase):
    def dedicated_lines(
        self,
        net: CloudNetwork,
        links: tuple[Link, ...],
        passwords: dict[str, pulumi.Output[str]],
        parent: pulumi.Resource,
    ) -> None:
        """Circuits, border routers with BGP and BFD, the transit router joining them to the VPC."""
        asns = {link.name: _asns(link) for link in links}
        cen = ali.cen.Instance(
            res(self.env, "cen"),
            cen_instance_name=res(self.env, "cen"),
            description=f"{self.env}: the dedicated lines to the hospital",
            opts=self._opts(parent),
        )
        router = ali.cen.TransitRouter(
            res(self.env, "transit-router"),
            cen_id=cen.id,
            transit_router_name=res(self.env, "transit-router"),
            transit_router_description=f"{self.env}: joins the dedicated lines to the VPC",
            opts=self._opts(parent),
        )
        table = ali.cen.TransitRouterRouteTable(
            res(self.env, "transit-routes"),
            transit_router_id=router.transit_router_id,
            transit_router_route_table_name=res(self.env, "lines"),
            transit_router_route_table_description=f"{self.env}: routes between the VPC and the hospital",
            opts=self._opts(parent),
        )
        attachments = {"vpc": self._vpc_attachment(net, cen, router, parent)}
        configured: dict[str, Any] = pulumi.Config("mlps").get_object("expressConnect") or {}
        for position, link in enumerate(links, start=1):
            settings = line_settings(link, position, self.region, configured.get(link.name, {}))
            vbr = self._line(link, settings, asns[link.name], passwords[link.name], parent)
            attachment = ali.cen.TransitRouterVbrAttachment(
                res(self.env, link.name, "attachment"),
                vbr_id=vbr.id,
                cen_id=cen.id,
                transit_router_id=router.transit_router_id,
                # The hospital learns the cloud zones from the border router's BGP networks only.
                auto_publish_route_enabled=False,
                transit_router_attachment_name=res(self.env, link.name),
                transit_router_attachment_description=f"{link.name} ({link.carrier}, {link.role})",
                opts=self._opts(parent),
            )
            attachments[link.name] = attachment.transit_router_attachment_id
            interval, probes = health_check(link)
            ali.cen.VbrHealthCheck(
                res(self.env, link.name, "health-check"),
                cen_id=cen.id,
                vbr_instance_id=vbr.id,
                vbr_instance_region_id=self.region,
                health_check_target_ip=settings["peerGateway"],
                health_check_interval=interval,
                healthy_threshold=probes,
                opts=self._opts(parent, depends_on=[attachment]),
            )
            if link.role != "primary":
                ali.cen.RouteMap(
                    res(self.env, link.name, "backup-preference"),
                    cen_id=cen.id,
                    cen_region_id=self.region,
                    transit_router_route_table_id=table.transit_router_route_table_id,
                    transmit_direction="RegionIn",
                    priority=position,
                    source_instance_ids=[vbr.id],
                    map_result="Permit",
                    preference=BACKUP_PREFERENCE,
                    description=f"{link.name} is a backup line: its routes lose to the primary's",
                    opts=self._opts(parent, depends_on=[attachment]),
                )
        for name, attachment_id in attachments.items():
            ali.cen.TransitRouterRouteTableAssociation(
                res(self.env, "transit-routes", "association", name),
                transit_router_attachment_id=attachment_id,
                transit_router_route_table_id=table.transit_router_route_table_id,
                opts=self._opts(parent),
            )
            ali.cen.TransitRouterRouteTablePropagation(
                res(self.env, "transit-routes", "propagation", name),
                transit_router_attachment_id=attachment_id,
                transit_router_route_table_id=table.transit_router_route_table_id,
                opts=self._opts(parent),
            )

    def _vpc_attachment(
        self, net: CloudNetwork, cen: ali.cen.Instance, router: ali.cen.TransitRouter, parent: pulumi.Resource
    ) -> pulumi.Output[str]:
        """The VPC on the transit router through two vSwitches of its own in two availability
        zones: the spec's first two, else the first and ``mlps:secondZoneId``."""
        configured = pulumi.Config("mlps").get("secondZoneId") or f"{self.region}-g"
        second = self.availability_zones[1:2] or [configured]
        zones = [self.zone_id, *second]
        cidrs = last_free_subnets(supernet(self._cidrs), self._cidrs, TRANSIT_PREFIX, len(zones))
        mappings = []
        for i, (zone, cidr) in enumerate(zip(zones, cidrs, strict=True), start=1):
            switch = ali.vpc.Switch(
                res(self.env, "vsw", "transit", str(i)),
                vswitch_name=res(self.env, "transit", str(i)),
                vpc_id=net.network_id,
                cidr_block=cidr,
                zone_id=zone,
                description="The transit router's own vSwitch (no instance)",
                tags={"mlps:transit": "true"},
                opts=self._opts(parent),
            )
            mappings.append(
                ali.cen.TransitRouterVpcAttachmentZoneMappingArgs(vswitch_id=switch.id, zone_id=zone)
            )
        attachment = ali.cen.TransitRouterVpcAttachment(
            res(self.env, "vpc-attachment"),
            vpc_id=net.network_id,
            cen_id=cen.id,
            transit_router_id=router.transit_router_id,
            zone_mappings=mappings,
            # The VPC learns the hospital's prefixes from the transit router.
            auto_publish_route_enabled=True,
            transit_router_vpc_attachment_name=res(self.env, "vpc"),
            transit_router_attachment_description=f"{self.env}: the environment's VPC",
            opts=self._opts(parent),
        )
        return attachment.id

    def _line(
        self,
        link: Link,
        settings: dict[str, Any],
        asns: tuple[int, int],
        password: pulumi.Output[str],
        parent: pulumi.Resource,
    ) -> ali.expressconnect.VirtualBorderRouter:
        """The line's circuit and border router, its BGP session with BFD to the hospital's edge
        (TCP MD5 with the line's password) and the cloud zones it announces."""
        circuit = ali.expressconnect.PhysicalConnection(
            res(self.env, link.name),
            physical_connection_name=res(self.env, link.name),
            access_point_id=settings["accessPoint"],
            line_operator=line_operator(link.carrier),
            port_type=settings["portType"],
            bandwidth=str(bandwidth(link)),
            description=f"{link.name}: {link.carrier} {link.role} line to the hospital",
            opts=self._opts(parent),
        )
        interval = link.bfd_interval_ms if link.bfd_enabled else None
        vbr = ali.expressconnect.VirtualBorderRouter(
            res(self.env, link.name, "vbr"),
            virtual_border_router_name=res(self.env, link.name),
            physical_connection_id=circuit.id,
            vlan_id=int(settings["vlanId"]),
            local_gateway_ip=settings["localGateway"],
            peer_gateway_ip=settings["peerGateway"],
            peering_subnet_mask="255.255.255.252",
            bandwidth=bandwidth(link),
            description=f"{link.name}: border router of the {link.role} line",
            tags={"mlps:line": link.name, "mlps:carrier": carrier_key(link.carrier)},
            min_rx_interval=interval,
            min_tx_interval=interval,
            detect_multiplier=link.bfd_multiplier if link.bfd_enabled else None,
            opts=self._opts(parent),
        )
        group = ali.vpc.BgpGroup(
            res(self.env, link.name, "bgp"),
            bgp_group_name=res(self.env, link.name),
            router_id=vbr.id,
            local_asn=asns[0],
            peer_asn=asns[1],
            auth_key=password,
            description=f"{link.name}: BGP with the hospital's edge",
            opts=self._opts(parent),
        )
        ali.vpc.BgpPeer(
            res(self.env, link.name, "bgp-peer"),
            bgp_group_id=group.id,
            peer_ip_address=settings["peerGateway"],
            enable_bfd=link.bfd_enabled,
            opts=self._opts(parent),
        )
        for cidr in self._cidrs:
            ali.vpc.BgpNetwork(
                res(self.env, link.name, "announce", cidr),
                router_id=vbr.id,
                dst_cidr_block=cidr,
                opts=self._opts(parent),
            )
        return vbr
