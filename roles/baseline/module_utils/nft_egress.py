"""Which outbound or forwarded accepts of a host firewall name no destination (CES-IPS-02,
ABS-ACL-01), read from one table's ``nft -j`` listing along the output or forward chains and the
chains they jump to."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from ansible.module_utils.nft_ruleset import (
    MAX_STEPS,
    altered_elsewhere,
    base_chains,
    fixed_sets,
    limited_to,
    listed,
    named_rule,
    network,
    objects,
    outside,
    unread,
    verdict_of,
)

# ICMPv6 that needs no destination: neighbour discovery and multicast listening, never echo.
_SAFE_ICMPV6 = {"nd-neighbor-solicit", "nd-neighbor-advert", "nd-router-solicit", "mld2-listener-report"}


_PASSING = {"accept", "vmap", "queue"}


def _not_new_out(match: dict[str, Any]) -> bool:
    """A match no new connection leaving the host meets: loopback, replies, neighbour discovery.
    (A segment without SYN is not one: crafted, it carries data all the same.)"""
    left, op, right = match.get("left"), match.get("op", "=="), match.get("right")
    if not isinstance(left, dict) or op not in ("==", "in"):
        return False
    if left.get("meta", {}).get("key") in ("oif", "oifname"):
        return right == "lo"
    if left.get("ct", {}).get("key") == "state":
        return set(map(str, listed(right))) <= {"established", "related"}
    if left.get("payload") == {"protocol": "icmpv6", "field": "type"}:
        return set(map(str, listed(right))) <= _SAFE_ICMPV6
    return False


def _port_of(matches: list[dict[str, Any]], proto: str, field: str) -> int | None:
    """The one port a match of ``proto``'s ``field`` limits the packet to, if any."""
    for match in matches:
        ports = listed(match.get("right"))
        if match.get("left") == {"payload": {"protocol": proto, "field": field}} \
                and match.get("op", "==") in ("==", "in") and len(ports) == 1 and isinstance(ports[0], int):
            return int(ports[0])
    return None


def _dhcp_or_server_reply(matches: list[dict[str, Any]]) -> bool:
    """The DHCP client's request, or a segment without SYN from one privileged TCP port (a
    server's mid-stream reply, which only root can send and which starts no connection)."""
    if _port_of(matches, "udp", "sport") == 68 and _port_of(matches, "udp", "dport") == 67:
        return True
    no_syn = any(isinstance(m.get("left"), dict) and m["left"].get("&", [None])[0]
                 == {"payload": {"protocol": "tcp", "field": "flags"}}
                 and set(map(str, listed(m["left"]["&"][1]))) == {"syn", "ack"}
                 and m.get("op", "==") == "==" and m.get("right") == "ack" for m in matches)
    port = _port_of(matches, "tcp", "sport")
    return no_syn and port is not None and port < 1024


def _names_ports(matches: list[dict[str, Any]]) -> bool:
    """A destination port match listing single ports (no range, no negation, no set by name)."""
    for match in matches:
        left = match.get("left")
        if isinstance(left, dict) and left.get("payload", {}).get("field") == "dport" \
                and match.get("op", "==") in ("==", "in"):
            values = listed(match.get("right"))
            if values and all(isinstance(v, int) for v in values):
                return True
    return False


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_Net = ipaddress.IPv4Network | ipaddress.IPv6Network


def _translated(net: _Net) -> _Net:
    """An IPv6 network in the NAT64 well-known prefix (RFC 6052) as the IPv4 addresses it reaches
    through a translator; any other network as itself."""
    if isinstance(net, ipaddress.IPv6Network) and net.subnet_of(_NAT64):
        low = int(net.network_address) & 0xFFFFFFFF
        return ipaddress.IPv4Network((low, net.prefixlen - 96))
    return net


def _reach(nets: list[_Net]) -> list[_Net]:
    """The destinations ``nets`` reach, NAT64 included: a network holding the whole well-known
    prefix reaches every IPv4 address as well."""
    out = [_translated(n) for n in nets]
    if any(isinstance(n, ipaddress.IPv6Network) and _NAT64.subnet_of(n) for n in nets):
        out.append(ipaddress.IPv4Network("0.0.0.0/0"))
    return out


def _too_wide(addresses: list[str]) -> bool:
    """The addresses cover at least half of every IPv4 or IPv6 address (every address but some
    names none; one that cannot be read counts as every address). Addresses in the NAT64 prefix
    64:ff9b::/96 count as the IPv4 addresses they reach through a translator."""
    nets = _reach([n for a in addresses for n in (network(a) or [ipaddress.ip_network("0.0.0.0/0")])])
    for version, half in ((4, 2 ** 31), (6, 2 ** 127)):
        same = [n for n in nets if n.version == version]
        if sum(n.num_addresses for n in ipaddress.collapse_addresses(same)) >= half:  # type: ignore[type-var,misc]
            return True
    return False


def _names_destination(matches: list[dict[str, Any]], sets: dict[str, dict[str, Any]],
                       own: list[str]) -> bool:
    """An accept names its destinations: some, not every address (every address only with its
    ports named), or comes from a subnet the host routes for whole (``own``)."""
    dests = limited_to(matches, sets, "daddr")
    if dests is not None and (not _too_wide(dests) or _names_ports(matches)):
        return True
    sources = limited_to(matches, sets) if own else None
    return sources is not None and not outside(sources, own)


class _Egress:
    """One walk of a table's chains for one hook."""

    def __init__(self, ruleset: dict[str, Any], hook: str, own: Sequence[str], texts: dict[int, str]) -> None:
        self.items = objects(ruleset)
        self.rules: dict[str, list[dict[str, Any]]] = {
            v["name"]: [] for k, v in self.items if k == "chain" and "name" in v}
        for kind, value in self.items:
            if kind == "rule":
                self.rules.setdefault(str(value.get("chain", "")), []).append(value)
        self.sets = fixed_sets(self.items)
        self.own, self.texts = list(own), texts
        self.open: list[str] = altered_elsewhere(self.items, hook, texts)
        self.named: list[tuple[str, list[str]]] = []
        self.steps = 0

    def report(self, text: str) -> None:
        if text not in self.open:
            self.open.append(text)

    def walk(self, name: str, inherited: list[dict[str, Any]], depth: int, policy: str = "drop") -> bool:
        """Judge one chain's rules (a jumped-to chain under the jump's matches; ``policy`` is the
        base chain's); True when a rule drops every new connection the chain sees."""
        for rule in self.rules.get(name, []):
            exprs = rule.get("expr", [])
            own = [e["match"] for e in exprs if "match" in e]
            matches = inherited + own
            if any(_not_new_out(m) for m in matches) or _dhcp_or_server_reply(matches):
                continue
            self.steps += 1
            if self.steps > MAX_STEPS:
                self.report(f"chain {name}: more than {MAX_STEPS} rules on the paths to read")
                return False
            unknown = unread(exprs)
            verdict, arg = verdict_of(exprs)
            where = named_rule(name, rule, self.texts)
            if unknown:  # whatever its verdict: the statement may take the packet first
                self.report(f"{where}: {', '.join(unknown)} (not understood)")
                continue
            target = arg.get("target") if isinstance(arg, dict) else None
            if verdict == "return" and depth:
                if not own:
                    return False
                verdict = "continue"
            elif verdict == "return":  # back to the base chain's policy
                verdict = "drop" if policy == "drop" else "accept"
            if verdict in ("drop", "reject"):
                if not own and not any("limit" in e or "quota" in e for e in exprs):
                    return True
            elif verdict == "jump" and target in self.rules and depth < 8:
                self.walk(str(target), matches, depth + 1, policy)
            elif verdict == "goto" and target in self.rules and not depth:
                self.walk(str(target), matches, depth + 1, policy)
                if policy != "drop":  # what the chain leaves undecided ends at the policy
                    self.report(f"{where}: goto, then policy {policy}")
            elif verdict in ("jump", "goto"):
                self.report(f"{where}: {verdict} to a chain verify cannot follow")
            elif verdict in _PASSING:
                self.judge(where, verdict, matches)
        return False

    def judge(self, where: str, verdict: str, matches: list[dict[str, Any]]) -> None:
        if not _names_destination(matches, self.sets, self.own):
            self.report(f"{where}: {verdict} names no destination")
            return
        dests = limited_to(matches, self.sets, "daddr")
        if dests is not None and not _names_ports(matches):
            self.named.append((where, dests))

    def together(self) -> None:
        """Accepts that each name a part but together half the address space or more."""
        if self.named and _too_wide([d for _, dests in self.named for d in dests]):
            self.report("accepts without ports that together name half the address space or more: "
                        + "; ".join(where for where, _ in self.named))


def unrestricted(ruleset: dict[str, Any], hook: str, own: Sequence[str] = (),
                 texts: dict[int, str] | None = None) -> list[str]:
    """The accepts of the ``hook`` (output or forward) base chains that name no destination, read
    in order and into the chains they jump to: no destination, every destination or at least half
    of them (``!=``, 0.0.0.0/0, however split, in one rule or across several) without single
    ports, a set verify cannot read or that a rule fills; a jump it cannot follow, a verdict map
    or queue that names none, a return into a policy that is not drop, a statement verify does
    not read (in any chain of the table), a policy other than drop. Replies, loopback, neighbour
    discovery, the DHCP client and a server's mid-stream segments from a privileged port are no
    new connection out; a Kubernetes member forwards its own subnets (``own``) whole. ``texts``
    maps rule handles to the rule as ``nft -a`` prints it."""
    egress = _Egress(ruleset, hook, own, texts or {})
    chains = base_chains(egress.items, hook)
    for chain in chains:
        policy = str(chain.get("policy", "accept"))
        if not egress.walk(chain["name"], [], 0, policy) and policy != "drop":
            egress.report(f"chain {chain['name']}: policy {policy}")
    egress.together()
    if not chains:
        egress.open.append(f"no {hook} chain")
    return egress.open
