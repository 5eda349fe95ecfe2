"""The front doors of an Alibaba Cloud plan as neutral facts.

A front door is an internet-facing application load balancer (``addressType: Internet``) serving
the zone its tag ``mlps:front-door`` names. It inspects requests when its edition is the one with
WAF built in. Its access logs go where a ``LoadBalancerAccessLogConfigAttachment`` on it
(``loadBalancerId``) or its own ``accessLogConfig`` sends them. Its public addresses are the
elastic IPs of its ``zoneMappings`` (``allocationId``). Cloud Firewall guards an address when a
``FwSwitch`` switches protection on for it (``internetAddress``) and an inbound control policy,
lasting, at the lowest priority or below every accept, drops everything from anywhere (without
one, Cloud Firewall lets through what it does not match), while no accept opens every port or
every destination. A balancer public over IPv6 (``ipv6AddressType: Internet``) is a front door
too; its zone mappings must all use elastic IPs of the plan. For each guarded address the fact
keeps Cloud Firewall's lasting inbound IPv4 policies from anywhere to it (or to anywhere) in the
order it tries them (``ControlPolicyOrder``, ``-1`` last), the first matching deciding; a policy
without an order, or on an address book of ports, is kept as ``unordered``. The balancer's
listeners are read by :mod:`policy.facts.alicloud_listeners`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from policy.facts import alicloud
from policy.facts.boundaries import EdgeRule, FrontDoor
from policy.facts.model import subject
from policy.facts.values import port_range

if TYPE_CHECKING:
    from policy.policies.base import PlanGraph, PlanResource

ALB = "alicloud:alb/loadBalancer:LoadBalancer"
ACCESS_LOG = "alicloud:alb/loadBalancerAccessLogConfigAttachment:LoadBalancerAccessLogConfigAttachment"
EIP = "alicloud:ecs/eipAddress:EipAddress"
FW_SWITCH = "alicloud:cloudfirewall/fwSwitch:FwSwitch"
CONTROL = "alicloud:cloudfirewall/controlPolicy:ControlPolicy"
ORDER = "alicloud:cloudfirewall/controlPolicyOrder:ControlPolicyOrder"
WAF_EDITION = "StandardWithWaf"
FRONT_TAG = "mlps:front-door"
ALL_PORTS = ("0/0", "1/65535")
LOWEST = -1


def _lasting(p: dict[str, Any]) -> bool:
    """A control policy in force at all times: released, not limited to a time window."""
    return p.get("release") not in (False, "false") and p.get("repeatType") in (None, "", "Permanent")


def _every_port(p: dict[str, Any]) -> bool:
    return p.get("destPortType") in (None, "", "port") and p.get("destPort") in ALL_PORTS


def _order(graph: PlanGraph, policy: PlanResource) -> int | None:
    for o in graph.referencing(ORDER, "aclUuid", policy):
        order = o.props.get("order")
        if isinstance(order, int | float) and not isinstance(order, bool):
            return int(order)
    return None


def denies_inbound(graph: PlanGraph) -> bool:
    """Cloud Firewall drops what it does not accept from the internet: a lasting IPv4 inbound
    policy drops every protocol and port from anywhere to anywhere, ordered at the lowest
    priority or below every inbound accept of the plan, and no lasting inbound accept opens every
    port or every destination (which no deny behind it would close)."""
    inbound = [(r, r.props) for r in graph.of_type(CONTROL) if r.props.get("direction") == "in"]
    accepts = [(r, p) for r, p in inbound if p.get("aclAction") == "accept" and _lasting(p)]
    if any(_every_port(p) or p.get("destination") in alicloud.ANYWHERE for _, p in accepts):
        return False
    last = max((_order(graph, r) or 0 for r, _ in accepts), default=0)
    for r, p in inbound:
        if not (
            p.get("aclAction") == "drop"
            and _lasting(p)
            and str(p.get("proto") or "").strip().upper() == "ANY"
            and p.get("ipVersion") in (None, "", "4", 4)
            and p.get("source") == "0.0.0.0/0"
            and p.get("destination") == "0.0.0.0/0"
            and _every_port(p)
        ):
            continue
        order = _order(graph, r)
        if order is not None and (order == LOWEST or order > last):
            return True
    return False


def _access_log(graph: PlanGraph, alb: PlanResource) -> str | None:
    for a in graph.referencing(ACCESS_LOG, "loadBalancerId", alb):
        if a.props.get("logProject") and a.props.get("logStore"):
            return alicloud.sink_name(a.props["logProject"], a.props["logStore"])
    inline: dict[str, Any] = dict(alb.props.get("accessLogConfig") or {})
    if inline.get("logProject") and inline.get("logStore"):
        return alicloud.sink_name(inline["logProject"], inline["logStore"])
    return None


def _edge(graph: PlanGraph, address: PlanResource) -> tuple[EdgeRule, ...]:
    """Cloud Firewall's lasting inbound IPv4 policies from anywhere to ``address`` (or to
    anywhere), unordered ones first, then in the order it tries them."""
    placed: list[tuple[tuple[int, int], EdgeRule]] = []
    for r in graph.of_type(CONTROL):
        p = r.props
        action = p.get("aclAction")
        if (p.get("direction") != "in" or action not in ("accept", "drop") or not _lasting(p)
                or p.get("ipVersion") not in (None, "", "4", 4) or p.get("source") != "0.0.0.0/0"
                or not (p.get("destination") in alicloud.ANYWHERE
                        or address.urn in r.deps.get("destination", ()))):
            continue
        ports = port_range(p.get("destPort")) if p.get("destPortType") in (None, "", "port") else None
        order = _order(graph, r)
        protocol = str(p.get("proto") or "ANY").strip().lower().replace("any", "all")
        if ports is None or order is None:
            placed.append(((0, 0), ("unordered", protocol, *(ports or (1, 65535)))))
        else:
            placed.append(((2, 0) if order == LOWEST else (1, order), (str(action), protocol, *ports)))
    return tuple(rule for _, rule in sorted(placed, key=lambda x: (x[0], x[1][0] != "drop")))


def _front_door(graph: PlanGraph, alb: PlanResource, default_deny: bool) -> FrontDoor:
    addresses = {r.urn: r for r in graph.of_type(EIP)}
    mine = [addresses[u] for u in alb.deps.get("zoneMappings", ()) if u in addresses]
    guarded = [e for e in mine if default_deny and graph.referencing(FW_SWITCH, "internetAddress", e)]
    unguarded = tuple(str(e.props.get("addressName") or e.name) for e in mine if e not in guarded)
    foreign = len(alb.props.get("zoneMappings") or ()) - len(mine)
    if foreign > 0:
        unguarded += (f"{foreign} address(es) the plan does not hold",)
    return FrontDoor(
        name=str(alb.props.get("loadBalancerName") or alb.name),
        provider=alicloud.PACKAGE,
        zone=str(dict(alb.props.get("tags") or {}).get(FRONT_TAG) or ""),
        inspects_requests=alb.props.get("loadBalancerEdition") == WAF_EDITION,
        access_log=_access_log(graph, alb),
        unguarded=unguarded if mine else ("(no fixed public address)",),
        subject=subject(alb),
        edge=tuple(_edge(graph, e) for e in guarded) or None,
    )


def front_doors(graph: PlanGraph) -> list[FrontDoor]:
    """Every internet-facing load balancer of the plan."""
    deny = denies_inbound(graph)
    internet = (r for r in graph.of_type(ALB)
                if "Internet" in (r.props.get("addressType"), r.props.get("ipv6AddressType")))
    return [_front_door(graph, r, deny) for r in internet]

