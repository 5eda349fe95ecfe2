"""OpenStack (pulumi-openstack): a hospital's private cloud or a carrier's dedicated cloud.

Neutron networks behind a router without an external gateway (no route off the cloud, no
floating address can be bound), security groups stripped of OpenStack's default allow-all
egress rules, instances booting from volumes of an encrypted Cinder type, AES-256 keys
ordered from Barbican (one per purpose), Octavia in front of the zones the internet reaches,
Swift for buckets that need no lock, instances in the availability zone of their address
(``cloud.availability_zones``, ``mlps.availability``; none named: Nova's scheduler places
them). What OpenStack lacks (``stacks.capabilities``) the
project's roles provide.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_openstack as os_

from mlps.availability import parts
from stacks.keys import KeyPurpose
from stacks.model import DEFAULT_IMAGE, Bucket, Cloud, Host, Zone
from stacks.naming import res
from stacks.providers.base import KEEP, CloudNetwork, SecurityRule, Subnet

INTERNET = "0.0.0.0/0"
DEFAULT_VOLUME_TYPE = "encrypted"
"""Cinder volume type with an encryption spec (LUKS, keys in Barbican), made by the cloud's
operator; ``mlps:volumeType`` names another."""
ZONE_TAG = "mlps:zone="
"""Tag of a zone's network, subnet and security group (``mlps:zone=<zone>``): how the plan's
fact adapter (``policy/facts/openstack.py``) finds the boundary of each zone."""


@dataclass(frozen=True)
class SwiftBucket:
    """A Swift container and the S3 host (Swift's s3api) its clients use inside the cloud."""

    container: os_.objectstorage.Container
    intranet_endpoint: pulumi.Output[str]


@dataclass(frozen=True)
class Frontend:
    """An Octavia pool in front of one zone's port; the zone's hosts become its members."""

    pool: os_.loadbalancer.Pool
    port: int
    subnet: pulumi.Output[str]


class OpenStack:
    """CloudProvider for OpenStack (capabilities: object storage, KMS, load balancer)."""

    def __init__(self, cloud: Cloud, env: str, parent: pulumi.Resource) -> None:
        config = pulumi.Config("mlps")
        self.env = env
        self.region = cloud.region
        self.flavor = config.get("flavor") or "m1.large"
        self.volume_type = config.get("volumeType") or DEFAULT_VOLUME_TYPE
        self.volume_gb = config.get_int("volumeSizeGb") or 40
        # An image outside cloud.approved_images is refused by approved_instance_image (CLD-IMG-01).
        self.image = config.get("imageId") or (cloud.approved_images or (DEFAULT_IMAGE,))[0]
        self.s3_host = config.get("objectStoreHost") or ""
        self.provider = os_.Provider(
            res(env, "openstack"),
            region=cloud.region,
            cloud=config.get("openstackCloud"),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        self._networks: dict[str, pulumi.Output[str]] = {}
        self._cidrs: dict[str, str] = {}
        self._frontends: dict[str, list[Frontend]] = {}
        self._root = parent
        self._keys: dict[KeyPurpose, pulumi.Output[str]] = {}
        self.availability_zones = cloud.availability_zones

    def _opts(self, parent: pulumi.Resource, **kw: object) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=parent, provider=self.provider, **kw)  # type: ignore[arg-type]

    def network(self, zones: tuple[Zone, ...], parent: pulumi.Resource) -> CloudNetwork:
        router = os_.networking.Router(
            res(self.env, "router"),
            name=res(self.env, "router"),
            admin_state_up=True,
            description=f"{self.env}: routes between the zones only (no external gateway)",
            opts=self._opts(parent),
        )
        net = CloudNetwork(network_id=router.id)
        for zone in zones:
            tags = [f"{ZONE_TAG}{zone.name}"]
            network = os_.networking.Network(
                res(self.env, "net", zone.name),
                name=res(self.env, zone.name),
                admin_state_up=True,
                port_security_enabled=True,
                shared=False,
                external=False,
                description=zone.description or zone.kind,
                tags=tags,
                opts=self._opts(parent),
            )
            subnet = os_.networking.Subnet(
                res(self.env, "subnet", zone.name),
                name=res(self.env, zone.name),
                network_id=network.id,
                cidr=zone.cidr,
                ip_version=4,
                enable_dhcp=True,
                description=zone.description or zone.kind,
                tags=tags,
                opts=self._opts(parent),
            )
            os_.networking.RouterInterface(
                res(self.env, "router", zone.name),
                router_id=router.id,
                subnet_id=subnet.id,
                opts=self._opts(parent),
            )
            group = os_.networking.SecGroup(
                res(self.env, "sg", zone.name),
                name=res(self.env, zone.name),
                description=f"{zone.name} ({zone.kind}): default deny",
                # OpenStack gives a new group allow-all egress rules (IPv4 and IPv6): deleted,
                # so only the spec's flows leave the zone, as only they enter it.
                delete_default_rules=True,
                stateful=True,
                tags=tags,
                opts=self._opts(parent),
            )
            self._networks[zone.name] = network.id
            self._cidrs[zone.name] = zone.cidr
            net.subnets[zone.name] = subnet.id
            # A Neutron subnet spans the availability zones: the parts only place the instances.
            net.parts[zone.name] = tuple(
                Subnet(az, cidr, subnet.id) for az, cidr in parts(zone.cidr, self.availability_zones)
            )
            net.security_groups[zone.name] = group.id
        return net

    def security_rules(self, net: CloudNetwork, rules: list[SecurityRule], parent: pulumi.Resource) -> None:
        """One rule per flow; a flow from the internet ends on an Octavia load balancer in the
        zone, and the zone's group admits it from the zone's own subnet (the balancer's side)."""
        for r in rules:
            cidr = r.cidr
            if r.direction == "ingress" and r.cidr == INTERNET:
                cidr = self._frontend(net, r, parent)
            where = cidr.replace("/", "-").replace(".", "-")
            os_.networking.SecGroupRule(
                res(self.env, "sg", r.zone, r.direction, r.protocol, str(r.port), where),
                security_group_id=net.security_groups[r.zone],
                direction=r.direction,
                ethertype="IPv4",
                protocol=r.protocol,
                port_range_min=r.port,
                port_range_max=r.port,
                remote_ip_prefix=cidr,
                description=r.description[:255] or f"{r.direction} {r.port}",
                opts=self._opts(parent),
            )

    def _frontend(self, net: CloudNetwork, rule: SecurityRule, parent: pulumi.Resource) -> str:
        """Octavia load balancer, TLS passed through to the zone's hosts; returns the zone's CIDR."""
        name = res(self.env, "lb", rule.zone, str(rule.port))
        balancer = os_.loadbalancer.LoadBalancer(
            name,
            name=name,
            vip_subnet_id=net.subnets[rule.zone],
            security_group_ids=[net.security_groups[rule.zone]],
            admin_state_up=True,
            description=rule.description[:255],
            opts=self._opts(parent),
        )
        listener = os_.loadbalancer.Listener(
            f"{name}-listener",
            loadbalancer_id=balancer.id,
            protocol="HTTPS",
            protocol_port=rule.port,
            allowed_cidrs=[rule.cidr],
            opts=self._opts(parent),
        )
        pool = os_.loadbalancer.Pool(
            f"{name}-pool",
            listener_id=listener.id,
            protocol="HTTPS",
            lb_method="ROUND_ROBIN",
            opts=self._opts(parent),
        )
        os_.loadbalancer.Monitor(
            f"{name}-monitor",
            pool_id=pool.id,
            type="TLS-HELLO",
            delay=5,
            timeout=3,
            max_retries=3,
            opts=self._opts(parent),
        )
        self._frontends.setdefault(rule.zone, []).append(
            Frontend(pool, rule.port, net.subnets[rule.zone])
        )
        return self._cidrs[rule.zone]

    def encryption_key(self, purpose: KeyPurpose, parent: pulumi.Resource) -> pulumi.Output[str]:
        """An AES-256 key ordered from Barbican per purpose, created on first use under the
        layout's root and kept; the disks' key keeps the single key's former name. Barbican
        orders no SM4 key: a spec asking for sm4 is refused (``stacks.capabilities``)."""
        if purpose not in self._keys:
            aliases = [pulumi.Alias(name=res(self.env, "barbican-key"))] if purpose == "disks" else None
            order = os_.keymanager.OrderV1(
                res(self.env, "barbican-key", purpose),
                type="key",
                meta=os_.keymanager.OrderV1MetaArgs(
                    algorithm="aes", bit_length=256, mode="cbc", name=res(self.env, "key", purpose)
                ),
                opts=self._opts(self._root, aliases=aliases, **KEEP),
            )
            self._keys[purpose] = order.secret_ref
        return self._keys[purpose]

    def instance(
        self, host: Host, net: CloudNetwork, key: pulumi.Output[str], parent: pulumi.Resource
    ) -> pulumi.Resource:
        """A port with the host's address and its zone's group, no floating address, booted from
        an encrypted volume kept when the instance goes; members of the zone's load balancers."""
        port = os_.networking.Port(
            res(self.env, "port", host.name),
            name=res(self.env, host.name),
            network_id=self._networks[host.zone],
            fixed_ips=[
                os_.networking.PortFixedIpArgs(subnet_id=net.subnets[host.zone], ip_address=host.address)
            ],
            security_group_ids=[net.security_groups[host.zone]],
            port_security_enabled=True,
            admin_state_up=True,
            opts=self._opts(parent),
        )
        server = os_.compute.Instance(
            res(self.env, "vm", host.name),
            name=host.name,
            flavor_name=self.flavor,
            image_name=self.image,
            networks=[os_.compute.InstanceNetworkArgs(port=port.id)],
            block_devices=[
                os_.compute.InstanceBlockDeviceArgs(
                    source_type="image",
                    uuid=os_.images.get_image_output(
                        name=self.image,
                        most_recent=True,
                        opts=pulumi.InvokeOutputOptions(provider=self.provider),
                    ).id,
                    destination_type="volume",
                    volume_size=self.volume_gb,
                    volume_type=self.volume_type,
                    boot_index=0,
                    delete_on_termination=False,
                )
            ],
            config_drive=True,
            availability_zone=net.subnet_of(host).availability_zone or None,
            metadata={
                "mlps-roles": ",".join(host.roles) or "baseline",
                "mlps-zone": host.zone,
            },
            opts=self._opts(parent),
        )
        for front in self._frontends.get(host.zone, []):
            os_.loadbalancer.Member(
                res(self.env, "lb", host.zone, str(front.port), host.name),
                pool_id=front.pool.id,
                address=host.address,
                protocol_port=front.port,
                subnet_id=front.subnet,
                opts=self._opts(parent),
            )
        return server

    def bucket(self, bucket: Bucket, key: pulumi.Output[str], parent: pulumi.Resource) -> SwiftBucket:
        """A Swift container for a bucket without lock (a locked one goes to the object_storage role)."""
        container = os_.objectstorage.Container(
            res(self.env, "swift", bucket.name),
            name=bucket.name,
            versioning=bucket.versioning,
            metadata={"mlps-data-class": bucket.data_class},
            opts=self._opts(parent),
        )
        return SwiftBucket(container, pulumi.Output.from_input(self.s3_host))
