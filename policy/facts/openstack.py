"""OpenStack (pulumi-openstack) resources as neutral facts.

A zone is a Neutron subnet; its boundary is the security group carrying the same ``mlps:zone=``
tag. A group admits nothing it has no rule for, reaches nothing outside once its default
allow-all egress rules are deleted (``deleteDefaultRules``), and isolates its members unless a
rule admits the group itself (``remoteGroupId``). An instance has a public address when a
floating address is bound to it or to one of its ports, or when it sits directly on a network the
plan does not build; its disk is encrypted when it boots from volumes of a named Cinder type (the
type's LUKS encryption is the cloud operator's, its keys live in Barbican), so its key is the
plan's Barbican key of that cloud. Barbican orders of type ``key`` are customer keys. A Swift
container is a bucket with no lock (Swift has none), no access log, no TLS-only policy and no
encryption of its own. The capabilities OpenStack lacks are stated by :func:`policy.facts.collect`
from ``stacks.capabilities``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from policy.facts import openstack_front
from policy.facts.boundaries import Boundary, FirewallRule, Zone
from policy.facts.model import Bucket, Cloud, Facts, Instance, Key, mainland, subject
from policy.facts.values import EVERY_PORT, whole
from stacks.keys import KEY_PURPOSES

if TYPE_CHECKING:
    from policy.policies.base import PlanGraph, PlanResource

PACKAGE = "openstack"
PROVIDER = "pulumi:providers:openstack"
SUBNET = "openstack:networking/subnet:Subnet"
NETWORK = "openstack:networking/network:Network"
GROUP = "openstack:networking/secGroup:SecGroup"
RULE = "openstack:networking/secGroupRule:SecGroupRule"
PORT = "openstack:networking/port:Port"
INSTANCE = "openstack:compute/instance:Instance"
ORDER = "openstack:keymanager/orderV1:OrderV1"
CONTAINER = "openstack:objectstorage/container:Container"
FLOATING = (
    ("openstack:networking/floatingIpAssociate:FloatingIpAssociate", "portId"),
    ("openstack:networking/floatingIp:FloatingIp", "portId"),
    ("openstack:compute/floatingIpAssociate:FloatingIpAssociate", "instanceId"),
)
"""Resources binding a floating (public) address, and the input naming what they bind it to."""
ZONE_TAG = "mlps:zone="
ANYWHERE = {"IPv4": "0.0.0.0/0", "IPv6": "::/0"}


def zone_of(r: PlanResource) -> str | None:
    """The zone named by the resource's ``mlps:zone=<zone>`` tag."""
    return next((t[len(ZONE_TAG) :] for t in r.props.get("tags") or () if t.startswith(ZONE_TAG)), None)


def _zone(r: PlanResource) -> Zone:
    name = zone_of(r) or str(r.props.get("name") or r.name)
    return Zone(name, PACKAGE, str(r.props.get("cidr") or ""), subject(r))


def _ports(low: Any, high: Any) -> tuple[int, int]:
    """A rule's port range: every port without one, or where it cannot be read."""
    first, last = whole(low), whole(high or low)
    if not low or first is None or last is None or not 0 < first <= last <= EVERY_PORT[1]:
        return EVERY_PORT
    return (first, last)


def _rule(group: PlanResource, r: PlanResource) -> FirewallRule:
    p = r.props
    low, high = p.get("portRangeMin"), p.get("portRangeMax")
    remote, other = p.get("remoteIpPrefix"), ""
    if not remote:
        named = r.deps.get("remoteGroupId", ())
        if group.urn in named:
            remote = "self"
        elif named or p.get("remoteGroupId"):  # another group's members: no range
            remote, other = "", (named[0] if named else str(p["remoteGroupId"]))
        else:
            remote = ANYWHERE[str(p.get("ethertype") or "IPv4")]
    return FirewallRule(
        direction="egress" if p.get("direction") == "egress" else "ingress",
        action="accept",
        protocol=str(p.get("protocol") or "all"),
        ports=_ports(low, high),
        cidr=str(remote),
        group=other,
    )


def _everything(rule: FirewallRule) -> bool:
    return rule.protocol == "all" and rule.ports == (1, 65535) and rule.cidr in ANYWHERE.values()


def _boundary(graph: PlanGraph, group: PlanResource) -> Boundary:
    rules = tuple(_rule(group, x) for x in graph.referencing(RULE, "securityGroupId", group))
    return Boundary(
        zone=zone_of(group) or "",
        provider=PACKAGE,
        deny_ingress=not any(x.direction == "ingress" and _everything(x) for x in rules),
        deny_egress=group.props.get("deleteDefaultRules") is True
        and not any(x.direction == "egress" and _everything(x) for x in rules),
        # one rule admitting the group's own members on every port: they reach each other freely
        isolates_members=not any(
            x.direction == "ingress" and x.cidr == "self" and x.protocol == "all" and x.ports == (1, 65535)
            for x in rules
        ),
        rules=rules,
        subject=subject(group),
        group=group.urn,
    )


def _key(r: PlanResource) -> Key:
    meta = r.props.get("meta") or {}
    return Key(
        id=r.urn,
        provider=PACKAGE,
        algorithm=f"{str(meta.get('algorithm') or '').upper()}_{meta.get('bitLength') or ''}",
        custody="customer",
        rotation=False,
        subject=subject(r),
        purpose=next((p for p in KEY_PURPOSES if str(meta.get("name") or "").endswith(f"-{p}")), None),
    )


def _public(graph: PlanGraph, r: PlanResource) -> bool:
    ports = {p.urn for p in graph.of_type(PORT)}
    private_nets = {n.urn for n in graph.of_type(NETWORK) if not n.props.get("external")}
    mine = {r.urn} | {u for u in r.deps.get("networks", ()) if u in ports}
    for type_, prop in FLOATING:
        if any(mine & set(f.deps.get(prop, ())) for f in graph.of_type(type_)):
            return True
    direct = [n for n in r.props.get("networks") or () if isinstance(n, dict) and not n.get("port")]
    nets = set(r.deps.get("networks", ())) - ports
    return bool(direct) and not (nets and nets <= private_nets)


def _volumes_typed(r: PlanResource) -> bool:
    devices = [d for d in r.props.get("blockDevices") or () if isinstance(d, dict)]
    boots = [d for d in devices if d.get("bootIndex") == 0]
    return bool(boots) and all(d.get("destinationType") == "volume" and d.get("volumeType") for d in devices)


def _instance(graph: PlanGraph, r: PlanResource, key: str | None) -> Instance:
    meta: dict[str, Any] = r.props.get("metadata") or {}
    encrypted = _volumes_typed(r)
    return Instance(
        name=str(r.props.get("name") or r.name),
        provider=PACKAGE,
        zone=meta.get("mlps-zone"),
        public_address=_public(graph, r),
        disk_encrypted=encrypted,
        disk_key=key if encrypted else None,
        roles=tuple(x for x in str(meta.get("mlps-roles") or "").split(",") if x),
        subject=subject(r),
        availability_zone=r.props.get("availabilityZone") or None,
        image=str(r.props.get("imageName") or r.props.get("imageId") or "") or None,
        placed=bool(r.props.get("networks")),
    )


def _container(r: PlanResource) -> Bucket:
    p = r.props
    public = ".r:" in str(p.get("containerRead") or "") or "*" in str(p.get("containerWrite") or "")
    return Bucket(
        name=str(p.get("name") or r.name),
        provider=PACKAGE,
        data_class=(p.get("metadata") or {}).get("mlps-data-class"),
        versioning=bool(p.get("versioning") or p.get("versioningLegacy")),
        lock="none",
        retention_days=None,
        public_access_blocked=not public,
        tls_only=False,
        access_logging=False,
        encrypted=False,
        key=None,
        subject=subject(r),
    )


def facts(graph: PlanGraph) -> Facts:
    """The facts of the plan's OpenStack resources."""
    keys = [_key(r) for r in graph.of_type(ORDER) if r.props.get("type") == "key"]
    disk_key = keys[0].id if keys else None
    regions = [(r, str(r.props.get("region") or "")) for r in graph.of_type(PROVIDER)]
    return Facts(
        clouds=[Cloud(PACKAGE, region, mainland(region), subject(r)) for r, region in regions],
        zones=[_zone(r) for r in graph.of_type(SUBNET)],
        boundaries=[_boundary(graph, r) for r in graph.of_type(GROUP)],
        keys=keys,
        instances=[_instance(graph, r, disk_key) for r in graph.of_type(INSTANCE)],
        buckets=[_container(r) for r in graph.of_type(CONTAINER)],
        listeners=openstack_front.listeners(graph),
    )
