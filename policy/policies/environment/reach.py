"""Reachability over the plan's boundaries: every flow the spec needs passes, and no accept rule
lets through more than those flows.

A flow passes when the boundary of the cloud zone it leaves lets it out and the boundary of the
cloud zone it enters lets it in. Each boundary decides as the clouds do: of its rules matching the
packet (direction, protocol, port, peer), those with the lowest priority number decide, a drop
before an accept; with no matching rule, its default (deny or allow) does. Members of one zone
pass between themselves freely unless the boundary isolates them. A flow from the internet ends
on the zone's front door, which ``internet_front_door`` judges; here it is listed, not judged.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mlps.required_flows import INTERNET, RequiredFlow
from policy.facts.model import Boundary, Facts, FirewallRule, Subject, Zone
from policy.policies.environment.base import EnvironmentPolicy, Found

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Step:
    """What one boundary does with a flow: ``rule`` decided it, or None for the default."""

    zone: str
    direction: str
    passes: bool | None
    """None: a rule naming another group instead of a range may decide it (not judged here)."""
    rule: FirewallRule | None
    subject: Subject

    def text(self) -> str:
        where = "out of" if self.direction == "egress" else "into"
        verdict = "passes" if self.passes else "dropped"
        if self.rule is None:
            return f"{where} {self.zone}: {verdict} by the boundary's default"
        r = self.rule
        peer = r.cidr if r.cidr == "self" or _network(r.cidr) else "another group's members"
        way = "from" if r.direction == "ingress" else "to"
        rule = f"the {r.action} rule {r.protocol}/{_ports(r)} {way} {peer} (priority {r.priority})"
        if self.passes is None:
            return f"{where} {self.zone}: not judged, {rule} may decide it"
        return f"{where} {self.zone}: {verdict} by {rule}"


@dataclass(frozen=True)
class Verdict:
    """A required flow and what the boundaries on its way do with it (``passes`` None: not
    judged here, ``note`` says why)."""

    flow: RequiredFlow
    passes: bool | None
    steps: tuple[Step, ...]
    note: str = ""


def _network(text: str) -> Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _within(inner: Network | None, outer: Network | None) -> bool:
    """Whether ``inner`` lies inside ``outer`` (False when either is unreadable or the IP
    versions differ)."""
    return (inner is not None and outer is not None and inner.version == outer.version
            and inner.subnet_of(outer))  # type: ignore[arg-type]


def _ports(rule: FirewallRule) -> str:
    low, high = rule.ports
    return f"{low}" if low == high else f"{low}-{high}"


def _covers(rule: FirewallRule, peer: Network, same_zone: bool) -> bool:
    if rule.cidr == "self":
        return same_zone
    return _within(peer, _network(rule.cidr))


def _matches(rule: FirewallRule, direction: str, protocol: str, port: int) -> bool:
    return (rule.direction == direction and rule.protocol in ("all", protocol)
            and rule.ports[0] <= port <= rule.ports[1])


def decide(boundary: Boundary, direction: str, protocol: str, port: int, peer: str, same_zone: bool) -> Step:
    """What ``boundary`` does with a packet of ``protocol``/``port`` to or from ``peer``."""
    if same_zone and not boundary.isolates_members:
        return Step(boundary.zone, direction, True, None, boundary.subject)
    net = _network(peer)
    matching = [r for r in boundary.rules
                if net is not None and _matches(r, direction, protocol, port) and _covers(r, net, same_zone)]
    groups = [r for r in boundary.rules if _matches(r, direction, protocol, port)
              and r.cidr != "self" and _network(r.cidr) is None]
    if matching:
        first = min(r.priority for r in matching)
        deciding = [r for r in matching if r.priority == first]
        rule = next((r for r in deciding if r.action == "drop"), deciding[0])
        unsure = next((g for g in groups if g.priority <= first), None)
        if unsure is not None:
            return Step(boundary.zone, direction, None, unsure, boundary.subject)
        return Step(boundary.zone, direction, rule.action == "accept", rule, boundary.subject)
    if groups:
        return Step(boundary.zone, direction, None, groups[0], boundary.subject)
    denies = boundary.deny_ingress if direction == "ingress" else boundary.deny_egress
    return Step(boundary.zone, direction, not denies, None, boundary.subject)


def _guard(facts: Facts, zone: str) -> Boundary | None:
    return next((b for b in facts.boundaries if b.zone == zone), None)


def _holding(facts: Facts, address: str) -> Zone | None:
    """The plan's zone whose range holds a server's address."""
    net = _network(address)
    return next((zone for zone in facts.zones if _within(net, _network(zone.cidr))), None)


def _target_zone(facts: Facts, flow: RequiredFlow) -> str | None:
    if any(z.name == flow.target for z in facts.zones):
        return flow.target
    holder = _holding(facts, flow.target_cidr)
    return holder.name if holder else None


def verdicts(facts: Facts) -> list[Verdict]:
    """The verdict on each required flow, in the order the spec needs them."""
    found = []
    for flow in facts.required_flows or ():
        if flow.source == INTERNET:
            found.append(Verdict(flow, None, (), "from the internet: judged at the front door "
                                                 "(internet_front_door)"))
            continue
        target = _target_zone(facts, flow)
        same = target == flow.source
        steps = []
        out, into = _guard(facts, flow.source), _guard(facts, target) if target else None
        if out is not None:
            steps.append(decide(out, "egress", flow.protocol, flow.port, flow.target_cidr, same))
        if into is not None:
            steps.append(decide(into, "ingress", flow.protocol, flow.port, flow.source_cidr, same))
        if not steps:
            found.append(Verdict(flow, None, (), "no boundary of the plan on its way"))
            continue
        found.append(Verdict(flow, _together(steps), tuple(steps)))
    return found


def _together(steps: list[Step]) -> bool | None:
    """A flow passes when every boundary lets it; one that drops it decides; else not judged."""
    if any(s.passes is False for s in steps):
        return False
    return None if any(s.passes is None for s in steps) else True


def _served(rule: FirewallRule, boundary: Boundary, facts: Facts) -> tuple[list[RequiredFlow], bool]:
    """The required flows an accept rule lets through, and whether it is exactly as wide as one
    of them (one port, the flow's own peer)."""
    flows = facts.required_flows or ()
    served, exact = [], False
    for flow in flows:
        if rule.direction == "ingress":
            if _target_zone(facts, flow) != boundary.zone:
                continue
            peer = flow.source_cidr
            if flow.source == INTERNET:
                peer = next((z.cidr for z in facts.zones if z.name == boundary.zone), peer)
        else:
            if flow.source != boundary.zone:
                continue
            peer = flow.target_cidr
        same = (flow.source == boundary.zone and _target_zone(facts, flow) == boundary.zone)
        net = _network(peer)
        if net is None or not _matches(rule, rule.direction, flow.protocol, flow.port) \
                or not _covers(rule, net, same):
            continue
        served.append(flow)
        peer_net = _network(rule.cidr)
        exact = exact or (rule.ports == (flow.port, flow.port) and rule.protocol == flow.protocol
                          and (rule.cidr == "self" or peer_net == net))
    return served, exact


def excess(facts: Facts) -> Iterator[tuple[Boundary, FirewallRule, str]]:
    """Accept rules of the boundaries that no required flow needs, or that are wider than the
    flows they serve. Rules naming another group instead of a range (a front door's) are judged
    at the front door."""
    zones = {z.name for z in facts.zones}
    for boundary in facts.boundaries:
        if boundary.zone not in zones:  # a front door's own group: internet_front_door's
            continue
        for rule in boundary.rules:
            if rule.action != "accept" or (rule.cidr != "self" and _network(rule.cidr) is None):
                continue  # a rule naming another group, not a range
            served, exact = _served(rule, boundary, facts)
            if not served:
                yield boundary, rule, "no flow of the spec or of the roles needs it"
            elif not exact:
                needs = sorted({f"{f.protocol}/{f.port} {f.source} to {f.target}" for f in served})
                yield boundary, rule, f"it admits more than the flows it serves ({'; '.join(needs)})"


def _rule_text(rule: FirewallRule) -> str:
    way = "from" if rule.direction == "ingress" else "to"
    return f"{rule.direction} {rule.protocol}/{_ports(rule)} {way} {rule.cidr}"


def _reachability(facts: Facts, level: int) -> Iterator[Found]:
    if not facts.boundaries:
        return
    if facts.required_flows is None:
        first = facts.boundaries[0]
        for control in ("ABS-ACL-01", "ABS-ACL-02"):
            yield first.subject, (control, f"the flows the spec needs were not given (pack config "
                                           f"requiredFlows): the rules of {len(facts.boundaries)} "
                                           "boundaries cannot be judged")
        return
    for verdict in verdicts(facts):
        if verdict.passes is False:
            f = verdict.flow
            stops = [s for s in verdict.steps if s.passes is False]
            stopped = "; ".join(s.text() for s in stops)
            for control in ("ABS-ACL-01", "CLD-ACL-01"):
                yield stops[0].subject, (control, f"{f.protocol}/{f.port} from {f.source} to {f.target} "
                                               f"({f.why}) is needed but cannot pass: {stopped}")
    for boundary, rule, why in excess(facts):
        for control in ("ABS-ACL-02", "CLD-ACL-01"):
            yield boundary.subject, (control, f"the boundary of zone {boundary.zone} accepts "
                                              f"{_rule_text(rule)}: {why}")


PROBE = ("tcp", 22)
"""The flow tried between every two zones that no required flow asks for: SSH."""


def probes(facts: Facts) -> list[Verdict]:
    """SSH from every zone of the plan to every other guarded zone where the spec needs none:
    each should be denied."""
    wanted = {(f.source, _target_zone(facts, f), f.protocol, f.port) for f in facts.required_flows or ()}
    found = []
    first: dict[str, Zone] = {}
    for zone in sorted(facts.zones, key=lambda z: (z.name, z.cidr)):  # split: its first part
        first.setdefault(zone.name, zone)
    zones = list(first.values())
    for target in zones:
        into = _guard(facts, target.name)
        for source in zones:
            if into is None or source.name == target.name or \
                    (source.name, target.name, *PROBE) in wanted:
                continue
            flow = RequiredFlow(source.name, source.cidr, target.name, target.cidr, *PROBE,
                                "not needed: tried to show it is denied")
            steps = [decide(into, "ingress", *PROBE, source.cidr, False)]
            out = _guard(facts, source.name)
            if out is not None:
                steps.insert(0, decide(out, "egress", *PROBE, target.cidr, False))
            found.append(Verdict(flow, _together(steps), tuple(steps)))
    return found


def _row(v: Verdict) -> dict[str, Any]:
    verdict = "not judged" if v.passes is None else "permitted" if v.passes else "denied"
    return {**v.flow.to_json(), "verdict": verdict, "path": [s.text() for s in v.steps] or [v.note]}


def report(facts: Facts) -> dict[str, Any]:
    """The reachability report: every required flow with its verdict and the boundaries' steps,
    the unneeded flows tried (SSH between zones), and every accept rule no flow justifies."""
    return {
        "flows": [_row(v) for v in verdicts(facts)],
        "unneeded_flows_tried": [_row(v) for v in probes(facts)],
        "excess_rules": sorted(({"zone": b.zone, "rule": _rule_text(r), "why": why}
                                for b, r, why in excess(facts)), key=lambda x: (x["zone"], x["rule"])),
    }


REQUIRED_FLOWS_PERMITTED = EnvironmentPolicy(
    name="required_flows_permitted",
    description="Every flow the spec and the roles need passes the cloud boundaries, and no "
    "accept rule lets through more than those flows",
    controls=("ABS-ACL-01", "ABS-ACL-02", "CLD-ACL-01"),
    levels=(2, 3, 4),
    check=_reachability,
)
