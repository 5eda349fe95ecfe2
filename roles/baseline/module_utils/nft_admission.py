"""Who a host firewall lets open a TCP port, read from one table's ``nft -j`` listing the way the
kernel walks its input chains: CES-IPS-03 for SSH, ABS-ACL-01 for the object store's ports."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.nft_ruleset import (
    MAX_STEPS,
    altered_elsewhere,
    base_chains,
    fixed_sets,
    is_saddr,
    limited_to,
    named_rule,
    objects,
    unread,
    verdict_of,
)

YES, NO, MAYBE = "yes", "no", "maybe"


# Payload matches of these protocols imply a packet of that protocol: never a TCP SYN.
_NOT_TCP = {"udp", "udplite", "icmp", "icmpv6", "sctp", "dccp", "igmp", "esp", "ah", "comp", "gre", "arp"}


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


class _Admission:
    """One walk of a table's input chains for one port."""

    def __init__(self, ruleset: dict[str, Any], port: int) -> None:
        self.items = objects(ruleset)
        self.port = port
        self.sets = fixed_sets(self.items)
        self.rules: dict[str, list[dict[str, Any]]] = {}
        for kind, value in self.items:
            if kind == "rule":
                self.rules.setdefault(str(value.get("chain", "")), []).append(value)
        self.chains = {str(v["name"]) for k, v in self.items if k == "chain" and "name" in v}
        self.admitted: list[str] = []
        self.open: list[str] = altered_elsewhere(self.items, "input")
        self.steps = 0

    def walk(self, name: str, inherited: list[dict[str, Any]], depth: int, policy: str) -> bool | None:
        """Judge one chain's rules (a jumped-to chain under the jump's matches; ``policy`` is the
        base chain's): True when a rule drops every new connection to the port the chain sees,
        None when a ``return`` sends every one of them back, else False. Once a return sent some
        back, no later drop closes the port for all."""
        escaped = False
        for rule in self.rules.get(name, []):
            exprs = rule.get("expr", [])
            own = [e["match"] for e in exprs if "match" in e]
            matches = inherited + own
            met = [_condition(m, self.port) for m in matches if not is_saddr(m)]
            if NO in met:
                continue
            self.steps += 1
            if self.steps > MAX_STEPS:
                self.open.append(f"chain {name}: more than {MAX_STEPS} rules on the paths to read")
                return False
            unknown = unread(exprs)
            verdict, arg = verdict_of(exprs)
            named = named_rule(name, rule)
            if unknown:  # whatever its verdict: the statement may take the packet first
                self.open.append(f"{named}: {', '.join(unknown)} (not understood)")
                escaped = True
                continue
            target = arg.get("target") if isinstance(arg, dict) else None
            every = _drops_every_source(exprs, matches, met)
            if verdict == "return" and depth:
                if every:
                    return None  # every connection goes back to the jump
                escaped = True
                continue
            if verdict == "return":  # back to the base chain's policy
                verdict = "drop" if policy == "drop" else "accept"
            if verdict in ("drop", "reject"):
                if every and not escaped:
                    return True
            elif verdict == "jump" and target in self.chains and depth < 8:
                if self.walk(str(target), matches, depth + 1, policy) and every and not escaped:
                    return True
            elif verdict == "goto" and target in self.chains and not depth:
                # What the chain does not decide ends at the base chain's policy.
                closed = self.walk(str(target), matches, depth + 1, policy) is True
                if not closed and policy != "drop":
                    self.open.append(f"{named}: goto, then policy {policy}")
                if every and not escaped:
                    return closed or policy == "drop"
            elif verdict in ("jump", "goto"):
                self.open.append(f"{named}: {verdict} to a chain verify cannot follow")
            elif verdict == "continue":
                continue
            elif verdict != "accept":
                self.open.append(f"{named}: {verdict} (not followed)")
            elif (sources := limited_to(matches, self.sets)) is None:
                self.open.append(f"{named}: accepts any source")
            else:
                self.admitted += sources
        return False


def admission(ruleset: dict[str, Any], port: int) -> tuple[list[str], list[str]]:
    """Who the input chains of one table's ``nft -j`` listing let open a TCP connection to
    ``port``, read in order, and into the chains they jump to, up to the first rule dropping it
    from anyone: the sources admitted by address or set, and what admits any source — an accept
    without a source limit, a negated source, a set filled at run time, a verdict map or queue
    (whose outcome is not read), a jump it cannot follow, a return into a policy that is not
    drop, a statement verify does not read (here or in the table's other base chains), a chain
    whose policy is not drop. What is not understood counts as admitting: a rule is passed over
    only when one of its matches rules a new TCP connection to ``port`` out. A jumped-to chain
    closes the port only when the jump itself holds for every such connection; what a chain
    reached by goto leaves undecided ends at the base chain's policy."""
    walk = _Admission(ruleset, port)
    chains = base_chains(walk.items, "input")
    for chain in chains:
        policy = str(chain.get("policy", "accept"))
        if not walk.walk(str(chain["name"]), [], 0, policy) and policy != "drop":
            walk.open.append(f"chain {chain['name']}: policy {policy}")
    if not chains:
        walk.open.append("no input chain")
    return sorted(set(walk.admitted)), walk.open


def _drops_every_source(exprs: list[dict[str, Any]], matches: list[dict[str, Any]], met: list[str]) -> bool:
    """A drop every new connection to the port meets: each match holds for sure, none limits the
    source, no rate limit or quota lets some through."""
    return (set(met) <= {YES} and not any(is_saddr(m) for m in matches)
            and not any("limit" in e or "quota" in e for e in exprs))
