"""The cloud end of Alibaba Cloud dedicated lines as neutral facts.

A line is an Express Connect ``PhysicalConnection``; its border router is the
``VirtualBorderRouter`` whose ``physicalConnectionId`` comes from it, carrying the carrier's key
as tag ``mlps:carrier`` (else the circuit's ``lineOperator`` names the carrier). The router runs
BGP through a ``BgpGroup`` on it (``routerId``) with a ``BgpPeer``; BFD detects a failure in
``detectMultiplier`` times the slower of ``minRxInterval`` and ``minTxInterval`` when the peer
enables it. A ``VbrHealthCheck`` (``vbrInstanceId``) probes the line, a
``TransitRouterVbrAttachment`` (``vbrId``) on a transit router attaches it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from policy.facts import alicloud
from policy.facts.model import DedicatedLine, subject
from policy.facts.values import whole

if TYPE_CHECKING:
    from policy.policies.base import PlanGraph, PlanResource

CIRCUIT = "alicloud:expressconnect/physicalConnection:PhysicalConnection"
VBR = "alicloud:expressconnect/virtualBorderRouter:VirtualBorderRouter"
BGP_GROUP = "alicloud:vpc/bgpGroup:BgpGroup"
BGP_PEER = "alicloud:vpc/bgpPeer:BgpPeer"
HEALTH_CHECK = "alicloud:cen/vbrHealthCheck:VbrHealthCheck"
ATTACHMENT = "alicloud:cen/transitRouterVbrAttachment:TransitRouterVbrAttachment"
CARRIER_TAG = "mlps:carrier"


def _detection_ms(vbr: PlanResource) -> int | None:
    """BFD's detection time on the border router (None when its timers are not set)."""
    p = vbr.props
    intervals = [whole(p.get("minRxInterval")), whole(p.get("minTxInterval"))]
    multiplier = whole(p.get("detectMultiplier"))
    if multiplier is None or None in intervals:
        return None
    return max(i for i in intervals if i is not None) * multiplier


def _line(graph: PlanGraph, circuit: PlanResource) -> DedicatedLine:
    vbrs = graph.referencing(VBR, "physicalConnectionId", circuit)
    groups = [g for v in vbrs for g in graph.referencing(BGP_GROUP, "routerId", v)]
    peers = [p for g in groups for p in graph.referencing(BGP_PEER, "bgpGroupId", g)]
    detecting = [v for v in vbrs if any(p.props.get("enableBfd") is True for p in peers)]
    times = [t for t in (_detection_ms(v) for v in detecting) if t is not None]
    tags = [dict(v.props.get("tags") or {}).get(CARRIER_TAG) for v in vbrs]
    carrier = next((str(t) for t in tags if t), str(circuit.props.get("lineOperator") or ""))
    return DedicatedLine(
        name=str(circuit.props.get("physicalConnectionName") or circuit.name),
        provider=alicloud.PACKAGE,
        carrier=carrier,
        bgp=bool(peers),
        bfd_ms=max(times) if times else None,
        health_check=any(graph.referencing(HEALTH_CHECK, "vbrInstanceId", v) for v in vbrs),
        attached=any(
            a.props.get("transitRouterId") for v in vbrs for a in graph.referencing(ATTACHMENT, "vbrId", v)
        ),
        subject=subject(circuit),
    )


def dedicated_lines(graph: PlanGraph) -> list[DedicatedLine]:
    return [_line(graph, c) for c in graph.of_type(CIRCUIT)]
