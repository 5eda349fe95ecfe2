"""How one boundary decides a packet, as the clouds do: of its rules matching the packet
(direction, protocol, port, peer), those with the lowest priority number decide, a drop before an
accept; with no matching rule, its default (deny or allow) does. Members of one zone pass between
themselves freely unless the boundary isolates them. What the plan cannot settle is ``None``.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from dataclasses import dataclass

from policy.facts.boundaries import Boundary, FirewallRule
from policy.facts.model import Subject

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Step:
    """What one boundary does with a flow: ``rule`` decided it, or None for the default."""

    zone: str
    direction: str
    passes: bool | None
    """None: the plan cannot settle it (not judged here)."""
    rule: FirewallRule | None
    subject: Subject
    note: str = ""
    """What the step is when it is no boundary's (a listener, the internet's edge)."""
    peer_groups: tuple[str, ...] = ()
    """The groups of the load balancer the packet comes from, where it is one's."""
    across: str = ""
    """The range the packet goes to or comes from, where the path names it (a balancer's)."""

    def text(self) -> str:
        if self.note:
            return self.note
        where = "out of" if self.direction == "egress" else "into"
        if self.across:
            where = f"{where} {self.zone} {'to' if self.direction == 'egress' else 'from'} {self.across}:"
        else:
            where = f"{where} {self.zone}:"
        verdict = "passes" if self.passes else "dropped"
        if self.rule is None:
            return f"{where} {verdict} by the boundary's default"
        r = self.rule
        peer = r.cidr if r.cidr == "self" or network(r.cidr) else \
            r.group if r.group.startswith("prefix list ") else "another group's members"
        if self.rule.group and self.rule.group in self.peer_groups:
            peer = "the load balancer's group"
        way = "from" if r.direction == "ingress" else "to"
        rule = f"the {r.action} rule {r.protocol}/{port_text(r)} {way} {peer} (priority {r.priority})"
        if self.passes is None:
            return f"{where} not judged, {rule} may decide it"
        return f"{where} {verdict} by {rule}"


def network(text: str) -> Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def within(inner: Network | None, outer: Network | None) -> bool:
    """Whether ``inner`` lies inside ``outer`` (False when either is unreadable or the IP
    versions differ)."""
    return (inner is not None and outer is not None and inner.version == outer.version
            and inner.subnet_of(outer))  # type: ignore[arg-type]


def port_text(rule: FirewallRule) -> str:
    low, high = rule.ports
    return f"{low}" if low == high else f"{low}-{high}"


def covers(rule: FirewallRule, peer: Network, same_zone: bool) -> bool:
    if rule.cidr == "self":
        return same_zone
    return within(peer, network(rule.cidr))


def matches(rule: FirewallRule, direction: str, protocol: str, port: int) -> bool:
    return (rule.direction == direction and rule.protocol in ("all", protocol)
            and rule.ports[0] <= port <= rule.ports[1])


def decide(boundary: Boundary, direction: str, protocol: str, port: int, peer: str, same_zone: bool,
           peer_groups: tuple[str, ...] = (), label: str = "") -> Step:
    """What ``boundary`` does with a packet of ``protocol``/``port`` to or from ``peer`` (a range;
    ``peer_groups``: the groups of a load balancer sending from inside that range). A rule naming
    another group leaves the packet not judged only where it could change the outcome: before
    the deciding rule, or a drop beside a deciding accept, or against the default. ``label`` names
    the boundary in the step where it guards no zone."""
    where = label or boundary.zone
    if same_zone and not boundary.isolates_members:
        return Step(where, direction, True, None, boundary.subject)
    net = network(peer)
    named = [r for r in boundary.rules if r.group and r.group in peer_groups]
    matching = [r for r in boundary.rules if matches(r, direction, protocol, port)
                and (r in named or (net is not None and covers(r, net, same_zone)))]
    groups = sorted((r for r in boundary.rules if matches(r, direction, protocol, port)
                     and r.cidr != "self" and network(r.cidr) is None and r not in named),
                    key=lambda r: r.priority)
    if matching:
        first = min(r.priority for r in matching)
        deciding = [r for r in matching if r.priority == first]
        rule = next((r for r in deciding if r.action == "drop"), deciding[0])
        unsure = next((g for g in groups if g.priority < first or (
            g.priority == first and g.action == "drop" and rule.action == "accept")), None)
        if unsure is not None:
            return Step(where, direction, None, unsure, boundary.subject, peer_groups=peer_groups)
        return Step(where, direction, rule.action == "accept", rule, boundary.subject,
                    peer_groups=peer_groups)
    denies = boundary.deny_ingress if direction == "ingress" else boundary.deny_egress
    flips = next((g for g in groups if (g.action == "accept") == denies), None)
    if flips is not None:
        return Step(where, direction, None, flips, boundary.subject, peer_groups=peer_groups)
    return Step(where, direction, not denies, None, boundary.subject)


def merged(boundaries: list[Boundary]) -> Boundary:
    """The groups of one interface judged together, as the cloud does: all their rules, denying
    by default where each does."""
    if len(boundaries) == 1:
        return boundaries[0]
    first = boundaries[0]
    return dataclasses.replace(
        first, deny_ingress=all(b.deny_ingress for b in boundaries),
        deny_egress=all(b.deny_egress for b in boundaries),
        rules=tuple(r for b in boundaries for r in b.rules))


def together(values: list[bool | None]) -> bool | None:
    if False in values:
        return False
    return None if None in values else True
