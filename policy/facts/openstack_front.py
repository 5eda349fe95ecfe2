"""The listeners of an OpenStack plan's Octavia load balancers as neutral facts.

A balancer serves the zone of the subnet its address is taken from (``vipSubnetId``). A listener
accepts connections on its ``protocolPort`` from its ``allowedCidrs`` (anywhere without them) and
forwards to the ``protocolPort`` of the members of its pools (a pool naming it, or its
``defaultPoolId``), in the members' subnets. Octavia's default (amphora) driver reaches the
members from the amphorae's addresses in those subnets, under a group Octavia manages itself, so
the zone's group must admit the members' port from that range; with the ``ovn`` provider the
members see the clients' own addresses. The groups set on the balancer's own address
(``securityGroupIds``) are not read (the amphorae do not use that port). How the internet
reaches a balancer without a floating address (the hospital's edge) is outside the plan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from policy.facts import openstack
from policy.facts.boundaries import Listener
from policy.facts.model import subject
from policy.facts.values import port_number

if TYPE_CHECKING:
    from policy.policies.base import PlanGraph, PlanResource

BALANCER = "openstack:loadbalancer/loadBalancer:LoadBalancer"
LISTENER = "openstack:loadbalancer/listener:Listener"
POOL = "openstack:loadbalancer/pool:Pool"
MEMBER = "openstack:loadbalancer/member:Member"
PROTOCOLS = {"UDP": "udp", "SCTP": "sctp"}
"""Octavia's listener protocols that are not carried over TCP."""


def _subnets(graph: PlanGraph, r: PlanResource, prop: str) -> list[PlanResource]:
    named = r.deps.get(prop, ())
    return [s for s in graph.of_type(openstack.SUBNET) if s.urn in named]


def _zone(subnets: list[PlanResource]) -> str:
    first = subnets[0] if subnets else None
    return (openstack.zone_of(first) or str(first.props.get("name") or first.name)) if first else ""


def _ranges(subnets: list[PlanResource]) -> tuple[str, ...]:
    return tuple(sorted({str(s.props["cidr"]) for s in subnets if s.props.get("cidr")}))


def _members(graph: PlanGraph, listener: PlanResource) -> list[PlanResource]:
    pools = {p.urn: p for p in graph.referencing(POOL, "listenerId", listener)}
    pools.update({p.urn: p for p in graph.of_type(POOL) if p.urn in listener.deps.get("defaultPoolId", ())})
    return [m for pool in pools.values() for m in graph.referencing(MEMBER, "poolId", pool)]


def listeners(graph: PlanGraph) -> list[Listener]:
    """Every listener of the plan's Octavia balancers."""
    found = []
    for balancer in graph.of_type(BALANCER):
        vip = _subnets(graph, balancer, "vipSubnetId")
        ovn = str(balancer.props.get("loadbalancerProvider") or "").lower() == "ovn"
        for r in graph.referencing(LISTENER, "loadbalancerId", balancer):
            port = port_number(r.props.get("protocolPort"))
            if port is None:
                continue
            allowed = r.props.get("allowedCidrs")
            sources = (allowed,) if isinstance(allowed, str) else tuple(str(c) for c in allowed or ())
            members = _members(graph, r)
            ports = [port_number(m.props.get("protocolPort")) for m in members]
            homes = [s for m in members for s in _subnets(graph, m, "subnetId")] or vip
            protocol = PROTOCOLS.get(str(r.props.get("protocol")).upper(), "tcp")
            found.append(Listener(
                balancer=str(balancer.props.get("name") or balancer.name),
                provider=openstack.PACKAGE,
                zone=_zone(vip),
                protocol=protocol,
                port=port,
                sources=sources or ("0.0.0.0/0",),
                backends=None if None in ports else tuple(sorted({p for p in ports if p is not None})),
                groups=(),
                addresses=(sources or ("0.0.0.0/0",)) if ovn else _ranges(homes),
                targets=_ranges(homes),
                subject=subject(r),
                backend_protocol=protocol,
            ))
    return found
