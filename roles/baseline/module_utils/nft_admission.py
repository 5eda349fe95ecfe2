"""What a host firewall lets through, read from a table's ``nft -j`` listing the way the kernel
walks it: who may open a TCP port (CES-IPS-03 for SSH, ABS-ACL-01 for the object store's ports)
and which outbound or forwarded accepts name no destination (CES-IPS-02, ABS-ACL-01). Shared by
the roles whose verify judges a host firewall, with no import of its own so that each role can
carry it."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

YES, NO, MAYBE = "yes", "no", "maybe"
# Payload matches of these protocols imply a packet of that protocol: never a TCP SYN.
_NOT_TCP = {"udp", "udplite", "icmp", "icmpv6", "sctp", "dccp", "igmp", "esp", "ah", "comp", "gre", "arp"}
_VERDICTS = {"accept", "drop", "reject", "jump", "goto", "vmap", "queue", "return", "continue"}
# Statements that neither change the packet nor decide for it. Any other (a rewrite, NAT, notrack,
# synproxy, a set update, ct count, a meter) makes the rule one verify does not understand.
_INERT = {"match", "counter", "log", "limit", "quota", "comment"} | _VERDICTS


def _unknown(exprs: list[dict[str, Any]]) -> list[str]:
    """The statements of a rule verify does not read."""
    return sorted({k for e in exprs for k in e if k not in _INERT})


def _filled_at_run_time(items: list[tuple[str, dict[str, Any]]]) -> set[str]:
    """Sets and maps a rule adds to or updates: their members at listing time say nothing."""
    out = set()
    for kind, value in items:
        if kind == "rule":
            for expr in value.get("expr", []):
                for key in ("set", "map"):
                    target = expr.get(key, {}).get(key) if isinstance(expr.get(key), dict) else None
                    if isinstance(target, str):
                        out.add(target.lstrip("@"))
    return out


def _literals(right: Any) -> list[Any] | None:
    """The literal values of a match's right side; None for a named set or an expression."""
    if isinstance(right, str) and right.startswith("@"):
        return None
    items = right["set"] if isinstance(right, dict) and "set" in right else right
    items = items if isinstance(items, list) else [items]
    return None if any(isinstance(i, dict) and set(i) - {"range", "prefix"} for i in items) else items


def _holds(op: str, found: bool) -> str:
    if op in ("==", "in"):
        return YES if found else NO
    if op == "!=":
        return NO if found else YES
    return MAYBE


def _port(op: str, right: Any, port: int) -> str:
    if op in ("<", "<=", ">", ">=") and isinstance(right, int):
        return YES if {"<": port < right, "<=": port <= right, ">": port > right,
                       ">=": port >= right}[op] else NO
    items = _literals(right)
    if items is None:
        return MAYBE
    found = False
    for item in items:
        if isinstance(item, dict) and "range" in item:
            low, high = item["range"]
            found = found or (isinstance(low, int) and isinstance(high, int) and low <= port <= high)
        elif isinstance(item, int):
            found = found or item == port
        else:
            return MAYBE
    return _holds(op, found)


def _named(op: str, right: Any, wanted: set[str]) -> str:
    items = _literals(right)
    if items is None or not all(isinstance(i, str | int) for i in items):
        return MAYBE
    return _holds(op, bool({str(i) for i in items} & wanted))


def _condition(match: dict[str, Any], port: int) -> str:
    """Whether a new TCP connection to ``port`` from a network source meets one match
    (sources are judged apart); MAYBE for anything not understood."""
    left, op, right = match.get("left"), match.get("op", "=="), match.get("right")
    if not isinstance(left, dict):
        return MAYBE
    if "payload" in left:
        proto, field = left["payload"].get("protocol"), left["payload"].get("field")
        if proto in _NOT_TCP:
            return NO
        if proto in ("tcp", "th") and field == "dport":
            return _port(op, right, port)
        if (proto, field) in (("ip", "protocol"), ("ip6", "nexthdr")):
            # One family only, and an IPv6 SYN may sit behind extension headers: such a match
            # can rule a packet out (== another protocol) but never hold for every packet.
            held = _named(op, right, {"tcp", "6"})
            return NO if held == NO and (proto == "ip" or op != "!=") else MAYBE
        return MAYBE
    if "meta" in left:
        key = left["meta"].get("key")
        if key == "l4proto":
            return _named(op, right, {"tcp", "6"})
        if key in ("iif", "iifname") and op in ("==", "in") and right == "lo":
            return NO
        return MAYBE
    if "ct" in left and left["ct"].get("key") == "state":
        # A SYN is new, or untracked when notrack ran first: a match holds for sure only when it
        # holds for both.
        first, second = _named(op, right, {"new"}), _named(op, right, {"untracked"})
        return first if first == second else MAYBE
    return MAYBE


def _address(item: Any) -> str:
    if isinstance(item, dict) and "prefix" in item:
        return f"{item['prefix']['addr']}/{item['prefix']['len']}"
    if isinstance(item, dict) and "range" in item:
        return "-".join(str(x) for x in item["range"])
    return str(item)


def _set_members(sets: dict[str, dict[str, Any]], name: str) -> list[str] | None:
    """A named set's addresses; None when it is missing or filled at run time (dynamic,
    timeout), whose members verify cannot know."""
    found = sets.get(name)
    if found is None or "dynamic" in found.get("flags", []) or "timeout" in found.get("flags", []) \
            or "timeout" in found:
        return None
    return [_address(e["elem"]["val"] if isinstance(e, dict) and "elem" in e else e)
            for e in found.get("elem", [])]


def _sources(matches: list[dict[str, Any]], sets: dict[str, dict[str, Any]],
             field: str = "saddr") -> list[str] | None:
    """The source (or, with ``field="daddr"``, destination) addresses a rule is limited to; None
    for any (no limit, a negation, a set verify cannot read)."""
    out: list[str] | None = None
    for match in (m for m in matches if _is_field(m, field)):
        right = match.get("right")
        if match.get("op", "==") not in ("==", "in"):
            return None
        if isinstance(right, str) and right.startswith("@"):
            members = _set_members(sets, right[1:])
            if members is None:
                return None
            out = (out or []) + members
        else:
            items = right["set"] if isinstance(right, dict) and "set" in right else [right]
            out = (out or []) + [_address(i) for i in items]
    return out


def admission(ruleset: dict[str, Any], port: int) -> tuple[list[str], list[str]]:
    """Who the input chains of one table's ``nft -j`` listing let open a TCP connection to
    ``port``, read in order up to the first rule dropping it from anyone: the sources admitted by
    address or set, and what admits any source — an accept without a source limit, a negated
    source, a set filled at run time, a jump, goto, verdict map or queue (whose outcome is not
    read), a return into a policy that is not drop, a statement verify does not read (here or in
    the table's other base chains), a chain whose policy is not drop. What is not understood
    counts as admitting: a rule is passed over only when one of its matches rules a new TCP
    connection to ``port`` out."""
    items = objects(ruleset)
    sets = _fixed_sets(items)
    chains = input_chains(items)
    admitted: list[str] = []
    open_rules = _altered_elsewhere(items, "input")
    for chain in chains:
        closed = False
        for rule in (v for k, v in items if k == "rule" and v.get("chain") == chain["name"]):
            exprs = rule.get("expr", [])
            matches = [e["match"] for e in exprs if "match" in e]
            met = [_condition(m, port) for m in matches if not _is_saddr(m)]
            if NO in met:
                continue
            unknown = _unknown(exprs)
            verdicts = [k for e in exprs for k in e if k in _VERDICTS]
            verdict = verdicts[-1] if verdicts else "continue"
            if verdict == "return":  # back to the base chain's policy
                verdict = "drop" if chain.get("policy") == "drop" else "accept"
            named = _named_rule(chain["name"], rule)
            if verdict in ("drop", "reject"):
                if not unknown and _drops_every_source(exprs, matches, met):
                    closed = True
                    break
            elif unknown:
                open_rules.append(f"{named}: {', '.join(unknown)} (not understood)")
            elif verdict == "continue":
                continue
            elif verdict != "accept":
                open_rules.append(f"{named}: {verdict} (not followed)")
            elif (sources := _sources(matches, sets)) is None:
                open_rules.append(f"{named}: accepts any source")
            else:
                admitted += sources
        if not closed and chain.get("policy") != "drop":
            open_rules.append(f"chain {chain['name']}: policy {chain.get('policy', 'accept')}")
    if not chains:
        open_rules.append("no input chain")
    return sorted(set(admitted)), open_rules


def _named_rule(chain: str, rule: dict[str, Any], texts: dict[int, str] | None = None) -> str:
    text = (texts or {}).get(rule.get("handle", -1)) or rule.get("comment") or ""
    return f"{chain} rule {rule.get('handle', '?')}" + (f" ({text})" if text else "")


def _fixed_sets(items: list[tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """The table's sets by name, less those a rule fills at run time."""
    filled = _filled_at_run_time(items)
    return {v["name"]: v for k, v in items if k == "set" and v["name"] not in filled}


def _altered_elsewhere(items: list[tuple[str, dict[str, Any]]], hook: str,
                       texts: dict[int, str] | None = None) -> list[str]:
    """Rules outside the judged hook's base chains (other hooks' base chains, and every chain
    reached by a jump or a verdict map) that rewrite or divert packets (a source rewritten in
    prerouting, notrack, synproxy, NAT): what the judged chains see is not what was sent, so
    each counts as open."""
    judged = {v["name"] for k, v in items if k == "chain" and v.get("hook") == hook}
    return [f"{_named_rule(str(v.get('chain')), v, texts)}: {', '.join(_unknown(v.get('expr', [])))} "
            f"(not understood)" for k, v in items
            if k == "rule" and v.get("chain") not in judged and _unknown(v.get("expr", []))]


def objects(ruleset: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(kind, object) of each table, chain, set and rule of an ``nft -j`` listing."""
    return [next(iter(i.items())) for i in ruleset.get("nftables", []) if isinstance(i, dict) and i]


def input_chains(items: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The base chains hooked to input, whatever their names."""
    return [v for k, v in items if k == "chain" and v.get("hook") == "input"]


def _drops_every_source(exprs: list[dict[str, Any]], matches: list[dict[str, Any]], met: list[str]) -> bool:
    """A drop every new connection to the port meets: each match holds for sure, none limits the
    source, no rate limit or quota lets some through."""
    return (set(met) <= {YES} and not any(_is_saddr(m) for m in matches)
            and not any("limit" in e or "quota" in e for e in exprs))


def _is_field(match: dict[str, Any], field: str) -> bool:
    left = match.get("left")
    return isinstance(left, dict) and "payload" in left and left["payload"].get("field") == field


def _is_saddr(match: dict[str, Any]) -> bool:
    return _is_field(match, "saddr")


def _network(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network] | None:
    """An address, prefix or ``low-high`` range as networks; None when it is none of these."""
    try:
        if "-" in text:
            low, high = (ipaddress.ip_address(x) for x in text.split("-", 1))
            return list(ipaddress.summarize_address_range(low, high))
        return [ipaddress.ip_network(text, strict=False)]
    except (TypeError, ValueError):
        return None


def outside(admitted: list[str], allowed: list[str]) -> list[str]:
    """The admitted sources not wholly inside the ``allowed`` networks taken together (a set
    that merged neighbours admits 10.0.0.2-10.0.0.4 where three hosts are allowed; an entry
    neither side can read counts as outside)."""
    read = [n for a in allowed for n in (_network(a) or [])]
    nets = [n for version in (4, 6) for n in ipaddress.collapse_addresses(  # type: ignore[type-var]
        [x for x in read if x.version == version])]
    out = []
    for source in admitted:
        parts = _network(source)
        if parts is None or not all(any(p.version == n.version and p.subnet_of(n)  # type: ignore[arg-type]
                                            for n in nets) for p in parts):
            out.append(source)
    return out


def missing(admitted: list[str], wanted: list[str]) -> list[str]:
    """The ``wanted`` sources no admitted address or network covers (compared as networks, so
    ``2001:DB8::A`` is ``2001:db8::a`` and a host inside a merged interval is admitted)."""
    return outside(wanted, admitted)


def unexpected(admitted: list[str], wanted: list[str]) -> list[str]:
    """The admitted sources not covered by the ``wanted`` ones (compared as networks)."""
    return outside(admitted, wanted)


# ICMPv6 that needs no destination: neighbour discovery and multicast listening, never echo.
_SAFE_ICMPV6 = {"nd-neighbor-solicit", "nd-neighbor-advert", "nd-router-solicit", "mld2-listener-report"}
_PASSING = {"accept", "vmap", "queue"}


def _values(right: Any) -> list[Any]:
    items = right["set"] if isinstance(right, dict) and "set" in right else right
    return items if isinstance(items, list) else [items]


def _not_new_out(match: dict[str, Any]) -> bool:
    """A match no new connection leaving the host meets: loopback, replies, neighbour discovery.
    (A segment without SYN is not one: crafted, it carries data all the same.)"""
    left, op, right = match.get("left"), match.get("op", "=="), match.get("right")
    if not isinstance(left, dict) or op not in ("==", "in"):
        return False
    if left.get("meta", {}).get("key") in ("oif", "oifname"):
        return right == "lo"
    if left.get("ct", {}).get("key") == "state":
        return set(map(str, _values(right))) <= {"established", "related"}
    if left.get("payload") == {"protocol": "icmpv6", "field": "type"}:
        return set(map(str, _values(right))) <= _SAFE_ICMPV6
    return False


def _port_is(matches: list[dict[str, Any]], proto: str, field: str, port: int) -> bool:
    return any(m.get("left") == {"payload": {"protocol": proto, "field": field}}
               and m.get("op", "==") in ("==", "in") and _values(m.get("right")) == [port] for m in matches)


def _dhcp_or_server_reply(matches: list[dict[str, Any]]) -> bool:
    """The DHCP client's request, or a segment without SYN from one privileged TCP port (a
    server's mid-stream reply, which only root can send and which starts no connection)."""
    if _port_is(matches, "udp", "sport", 68) and _port_is(matches, "udp", "dport", 67):
        return True
    no_syn = any(isinstance(m.get("left"), dict) and m["left"].get("&", [None])[0]
                 == {"payload": {"protocol": "tcp", "field": "flags"}}
                 and set(map(str, _values(m["left"]["&"][1]))) == {"syn", "ack"}
                 and m.get("op", "==") == "==" and m.get("right") == "ack" for m in matches)
    return no_syn and any(_port_is(matches, "tcp", "sport", port) for port in _single_ports(matches, "sport")
                          if port < 1024)


def _single_ports(matches: list[dict[str, Any]], field: str) -> list[int]:
    return [v for m in matches if isinstance(m.get("left"), dict)
            and m["left"].get("payload", {}).get("field") == field
            for v in _values(m.get("right")) if isinstance(v, int)]


def _names_ports(matches: list[dict[str, Any]]) -> bool:
    """A destination port match listing single ports (no range, no negation, no set by name)."""
    for match in matches:
        left = match.get("left")
        if isinstance(left, dict) and left.get("payload", {}).get("field") == "dport" \
                and match.get("op", "==") in ("==", "in"):
            values = _values(match.get("right"))
            if values and all(isinstance(v, int) for v in values):
                return True
    return False


def _too_wide(addresses: list[str]) -> bool:
    """The addresses cover at least half of every IPv4 or IPv6 address (every address but some
    names none; one that cannot be read counts as every address)."""
    nets = [n for a in addresses for n in (_network(a) or [ipaddress.ip_network("0.0.0.0/0")])]
    for version, half in ((4, 2 ** 31), (6, 2 ** 127)):
        same = [n for n in nets if n.version == version]
        if sum(n.num_addresses for n in ipaddress.collapse_addresses(same)) >= half:  # type: ignore[type-var,misc]
            return True
    return False


def _names_destination(matches: list[dict[str, Any]], sets: dict[str, dict[str, Any]],
                       own: list[str]) -> bool:
    """An accept names its destinations: some, not every address (every address only with its
    ports named), or comes from a subnet the host routes for whole (``own``)."""
    dests = _sources(matches, sets, "daddr")
    if dests is not None and (not _too_wide(dests) or _names_ports(matches)):
        return True
    sources = _sources(matches, sets) if own else None
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
        self.sets = _fixed_sets(self.items)
        self.own, self.texts = list(own), texts
        self.open: list[str] = _altered_elsewhere(self.items, hook, texts)
        self.named: list[tuple[str, list[str]]] = []

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
            unknown = _unknown(exprs)
            verdicts = [(k, v) for e in exprs for k, v in e.items() if k in _VERDICTS]
            verdict, arg = verdicts[-1] if verdicts else ("continue", None)
            where = _named_rule(name, rule, self.texts)
            if verdict == "return" and depth:
                if not own and not unknown:
                    return False
                verdict = "continue"
            elif verdict == "return":  # back to the base chain's policy
                verdict = "drop" if policy == "drop" else "accept"
            if verdict in ("drop", "reject"):
                if not own and not unknown and not any("limit" in e or "quota" in e for e in exprs):
                    return True
            elif unknown:
                self.report(f"{where}: {', '.join(unknown)} (not understood)")
            elif verdict in ("jump", "goto"):
                target = arg.get("target") if isinstance(arg, dict) else None
                if target in self.rules and depth < 8:
                    self.walk(str(target), matches, depth + 1, policy)
                else:
                    self.report(f"{where}: {verdict} to a chain verify cannot follow")
            elif verdict in _PASSING:
                self.judge(where, verdict, matches)
        return False

    def judge(self, where: str, verdict: str, matches: list[dict[str, Any]]) -> None:
        if not _names_destination(matches, self.sets, self.own):
            self.report(f"{where}: {verdict} names no destination")
            return
        dests = _sources(matches, self.sets, "daddr")
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
    chains = [v for k, v in egress.items if k == "chain" and v.get("hook") == hook]
    for chain in chains:
        policy = str(chain.get("policy", "accept"))
        if not egress.walk(chain["name"], [], 0, policy) and policy != "drop":
            egress.report(f"chain {chain['name']}: policy {policy}")
    egress.together()
    if not chains:
        egress.open.append(f"no {hook} chain")
    return egress.open
