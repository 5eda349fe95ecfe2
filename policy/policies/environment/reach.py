"""Reachability over the plan's boundaries: every flow the spec needs passes, and no accept rule
lets through more than those flows.

A flow passes when the boundary of the cloud zone it leaves lets it out and the boundary of the
cloud zone it enters lets it in, each deciding as :mod:`policy.policies.environment.decision`
says. A flow from the internet passes
the firewall at the internet boundary in front of a load balancer listening on its port for the
zone (its first matching rule deciding), the listener's source ranges and the balancer's own
groups, then on each port the listener forwards to, out of the balancer's groups to every range
its backends lie in and into the zone's group from every range the balancer sends from; with no
such listener it must enter the zone's group directly (which ``internet_front_door`` refuses).
What the plan cannot settle (a rule naming a group the peer may belong to, ports or groups it
does not say) leaves a flow not judged, never passed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mlps.required_flows import INTERNET, RequiredFlow
from policy.facts.boundaries import Boundary, EdgeRule, FirewallRule, Listener, Zone
from policy.facts.model import Facts
from policy.policies.environment.base import EnvironmentPolicy, Found
from policy.policies.environment.decision import (
    Step,
    covers,
    decide,
    merged,
    network,
    port_text,
    together,
    within,
)


@dataclass(frozen=True)
class Verdict:
    """A required flow and what the boundaries on its way do with it (``passes`` None: not
    judged here, ``note`` says why)."""

    flow: RequiredFlow
    passes: bool | None
    steps: tuple[Step, ...]
    note: str = ""


def _guard(facts: Facts, zone: str) -> Boundary | None:
    return next((b for b in facts.boundaries if b.zone == zone), None)


def _holding(facts: Facts, address: str) -> Zone | None:
    """The plan's zone whose range holds a server's address."""
    net = network(address)
    return next((zone for zone in facts.zones if within(net, network(zone.cidr))), None)


def _target_zone(facts: Facts, flow: RequiredFlow) -> str | None:
    if any(z.name == flow.target for z in facts.zones):
        return flow.target
    holder = _holding(facts, flow.target_cidr)
    return holder.name if holder else None


def _listening(facts: Facts, flow: RequiredFlow) -> list[Listener]:
    """The listeners of load balancers taking ``flow`` from the internet into its zone."""
    target = _target_zone(facts, flow)
    return [li for li in facts.listeners
            if li.zone == target and li.protocol == flow.protocol and li.port == flow.port]


def _edge_decides(rules: tuple[EdgeRule, ...], flow: RequiredFlow) -> bool | None:
    """What a firewall at the internet boundary does with the flow: its first matching rule
    decides (None: one whose place is unknown); a packet none matches passes."""
    for action, protocol, low, high in rules:
        if protocol in ("all", flow.protocol) and low <= flow.port <= high:
            return None if action == "unordered" else action == "accept"
    return True


def _edge(facts: Facts, listener: Listener, flow: RequiredFlow) -> Step:
    """The firewall at the internet boundary in front of the listener's balancer: the flow passes
    when it lets it in to every public address it guards."""
    door = next((d for d in facts.front_doors
                 if d.name == listener.balancer and d.provider == listener.provider), None)
    name = f"at the internet boundary in front of {listener.balancer}"
    if door is None or door.edge is None:
        return Step("internet", "ingress", True, None, listener.subject, note=f"{name}: no firewall filters")
    each = [_edge_decides(rules, flow) for rules in door.edge]
    passes = together(each)
    what = {True: "lets it in",
            False: f"its first rule matching {flow.protocol}/{flow.port} drops it",
            None: f"a rule whose order the plan does not say matches {flow.protocol}/{flow.port}, "
                  "not judged"}[passes]
    return Step("internet", "ingress", passes, None, door.subject, note=f"{name}: {what}")


def _heard(listener: Listener, flow: RequiredFlow, what: str) -> Step:
    """Whether the listener's ACL lets the flow's clients in: all of them, not only some."""
    source = network(flow.source_cidr)
    if listener.sources is None:
        return Step(listener.zone, "ingress", None, None, listener.subject,
                    note=f"{what}: whom its ACL lets in is not in the plan, not judged")
    heard = any(within(source, network(s)) for s in listener.sources)
    blocked = any(within(source, network(r)) for r in listener.refused)
    if not heard:
        note = f"does not accept connections from {flow.source_cidr} (only {', '.join(listener.sources)})"
    elif blocked:
        note = f"refuses connections from {flow.source_cidr} (its blacklist: {', '.join(listener.refused)})"
    else:
        but = f" except {', '.join(listener.refused)}" if listener.refused else ""
        note = f"accepts connections from {flow.source_cidr}{but}"
    return Step(listener.zone, "ingress", heard and not blocked, None, listener.subject,
                note=f"{what} {note}")


def _through(facts: Facts, flow: RequiredFlow, listener: Listener) -> list[Step]:
    """The steps of a flow from the internet through one listener to the zone's backends."""
    steps = [_edge(facts, listener, flow)]
    what = f"the listener {listener.protocol}/{listener.port} of {listener.balancer}"
    steps.append(_heard(listener, flow, what))
    found = [b for b in facts.boundaries if b.group and b.group in listener.groups]
    label = f"the group of {listener.balancer}"
    own = merged(found) if found and len(found) == len(listener.groups) else None
    if listener.groups and own is None:
        missing = [g for g in listener.groups if not any(b.group == g for b in found)]
        steps.append(Step(listener.zone, "ingress", None, None, listener.subject,
                          note=f"{label}: {', '.join(missing)} not in the plan, not judged"))
    elif own is not None:
        steps.append(decide(own, "ingress", flow.protocol, flow.port, flow.source_cidr, False, label=label))
    if listener.backends is None:
        steps.append(Step(listener.zone, "egress", None, None, listener.subject,
                          note=f"{what}: the ports it forwards to are not in the plan, not judged"))
        return steps
    if not listener.backends:
        steps.append(Step(listener.zone, "egress", listener.redirects, None, listener.subject,
                          note=f"{what}: " + ("it answers itself, redirecting to HTTPS"
                                              if listener.redirects else "it forwards to nothing")))
    into = _guard(facts, listener.zone)
    protocol = listener.backend_protocol
    for port in listener.backends:
        if own is not None:
            steps += [dataclasses.replace(decide(own, "egress", protocol, port, t, False, label=label),
                                          across=t) for t in listener.targets]
        if into is not None:
            steps += [dataclasses.replace(decide(into, "ingress", protocol, port, a, False,
                                                 peer_groups=listener.groups), across=a)
                      for a in listener.addresses]
    return steps


RANK = {True: 0, None: 1, False: 2}
"""Which path through several listeners a verdict shows: one passing, else one not judged."""


def _internet(facts: Facts, flow: RequiredFlow) -> Verdict:
    """A flow from the internet through the listener that serves it best, else straight into
    the zone's group."""
    paths = [_through(facts, flow, li) for li in _listening(facts, flow)]
    if paths:
        steps = min(paths, key=lambda p: RANK[_together(p)])
        return Verdict(flow, _together(steps), tuple(steps))
    target = _target_zone(facts, flow)
    into = _guard(facts, target) if target else None
    if into is None:
        return Verdict(flow, None, (), "no load balancer listens for it and no boundary of the plan "
                                       "is on its way")
    step = decide(into, "ingress", flow.protocol, flow.port, flow.source_cidr, False)
    return Verdict(flow, _together([step]), (step,), "no load balancer listens for it")


def verdicts(facts: Facts) -> list[Verdict]:
    """The verdict on each required flow, in the order the spec needs them."""
    found = []
    for flow in facts.required_flows or ():
        if flow.source == INTERNET:
            found.append(_internet(facts, flow))
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
    return together([s.passes for s in steps])


@dataclass(frozen=True)
class Need:
    """What a flow asks of one boundary: a peer range (and the groups of a balancer sending from
    it), a protocol and a port (None: the plan does not say which)."""

    peer: str
    protocol: str
    port: int | None
    groups: tuple[str, ...] = ()


def _needs(facts: Facts, flow: RequiredFlow, boundary: Boundary, direction: str) -> list[Need]:
    """What ``flow`` asks of ``boundary`` in ``direction``. A flow from the internet asks the zone
    it enters for the ports its balancers forward to, from the balancers' addresses and groups
    (its own port from anywhere where none listens)."""
    if direction == "egress":
        return [Need(flow.target_cidr, flow.protocol, flow.port)] if flow.source == boundary.zone else []
    if _target_zone(facts, flow) != boundary.zone:
        return []
    listening = _listening(facts, flow) if flow.source == INTERNET else []
    if not listening:
        return [Need(flow.source_cidr, flow.protocol, flow.port)]
    return [Need(a, li.backend_protocol, port, li.groups) for li in listening for a in li.addresses
            for port in (li.backends if li.backends is not None else (None,))]


Demand = tuple[RequiredFlow, bool, list[Need]]
"""A required flow, whether it stays inside one zone, and what it asks of one boundary."""


def _demands(facts: Facts, boundary: Boundary, direction: str) -> list[Demand]:
    """What the required flows ask of ``boundary`` in ``direction``, worked out once per
    boundary rather than once per rule."""
    found = []
    for flow in facts.required_flows or ():
        needs = _needs(facts, flow, boundary, direction)
        if needs:
            same = flow.source == boundary.zone and _target_zone(facts, flow) == boundary.zone
            found.append((flow, same, needs))
    return found


def _served(rule: FirewallRule, demands: list[Demand]) -> tuple[list[RequiredFlow], bool]:
    """The required flows an accept rule lets through, and whether it is exactly as wide as one
    of them (one port, the flow's own peer range or group; any rule that may serve a flow whose
    ports the plan does not say counts as exact)."""
    served, exact = [], False
    for flow, same, needs in demands:
        for need in needs:
            net = network(need.peer)
            by_group = bool(rule.group) and rule.group in need.groups
            port_fits = need.port is None or rule.ports[0] <= need.port <= rule.ports[1]
            if rule.protocol not in ("all", need.protocol) or not port_fits or \
                    not (by_group or (net is not None and covers(rule, net, same))):
                continue
            if flow not in served:
                served.append(flow)
            exact = exact or need.port is None or (
                rule.ports == (need.port, need.port) and rule.protocol == need.protocol
                and (by_group or rule.cidr == "self" or network(rule.cidr) == net))
    return served, exact


def excess(facts: Facts) -> Iterator[tuple[Boundary, FirewallRule, str]]:
    """Accept rules of the zones' boundaries that no required flow needs, or that are wider than
    the flows they serve. A rule naming a group that is no load balancer's, and the rules of a
    balancer's own group, are not judged here."""
    zones = {z.name for z in facts.zones}
    balancers = {g for li in facts.listeners for g in li.groups}
    for boundary in facts.boundaries:
        if boundary.zone not in zones:  # a front door's own group: internet_front_door's
            continue
        demands = {d: _demands(facts, boundary, d) for d in ("ingress", "egress")}
        for rule in boundary.rules:
            if rule.action != "accept" or (rule.cidr != "self" and network(rule.cidr) is None
                                           and rule.group not in balancers):
                continue  # a rule naming another group, not a range
            served, exact = _served(rule, demands[rule.direction])
            if not served:
                yield boundary, rule, "no flow of the spec or of the roles needs it"
            elif not exact:
                needs = sorted({f"{f.protocol}/{f.port} {f.source} to {f.target}" for f in served})
                yield boundary, rule, f"it admits more than the flows it serves ({'; '.join(needs)})"


def _rule_text(rule: FirewallRule) -> str:
    way = "from" if rule.direction == "ingress" else "to"
    peer = rule.cidr or (f"the group {rule.group.rsplit('::', 1)[-1]}" if rule.group else "another group")
    return f"{rule.direction} {rule.protocol}/{port_text(rule)} {way} {peer}"


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
    """SSH from every zone of the plan, and from the internet, to every other guarded zone where
    the spec needs none: each should be denied."""
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
        if into is not None and (INTERNET, target.name, *PROBE) not in wanted:
            found.append(_internet(facts, RequiredFlow(INTERNET, "0.0.0.0/0", target.name, target.cidr,
                                                       *PROBE, "not needed: tried to show it is denied")))
    return found


def _row(v: Verdict) -> dict[str, Any]:
    verdict = "not judged" if v.passes is None else "permitted" if v.passes else "denied"
    path = [v.note] if v.note else []
    return {**v.flow.to_json(), "verdict": verdict, "path": path + [s.text() for s in v.steps]}


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
