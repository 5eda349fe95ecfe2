"""The host firewall checks of the baseline probe (CES-IPS-02, CES-IPS-03, ABS-ACL-01,
ABS-ACL-04): who the input chain lets open SSH, read from ``nft -j``, and whether every outbound
and forwarded accept names its destinations."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from ansible.module_utils.baseline_probe_host import Result, not_applicable, result, run

YES, NO, MAYBE = "yes", "no", "maybe"
# Payload matches of these protocols imply a packet of that protocol: never a TCP SYN.
_NOT_TCP = {"udp", "udplite", "icmp", "icmpv6", "sctp", "dccp", "igmp", "esp", "ah", "comp", "gre", "arp"}
_VERDICTS = {"accept", "drop", "reject", "jump", "goto", "vmap", "queue", "return", "continue"}


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
            return _named(op, right, {"tcp", "6"})
        return MAYBE
    if "meta" in left:
        key = left["meta"].get("key")
        if key == "l4proto":
            return _named(op, right, {"tcp", "6"})
        if key in ("iif", "iifname") and op in ("==", "in") and right == "lo":
            return NO
        return MAYBE
    if "ct" in left and left["ct"].get("key") == "state":
        return _named(op, right, {"new"})
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


def _sources(matches: list[dict[str, Any]], sets: dict[str, dict[str, Any]]) -> list[str] | None:
    """The source addresses a rule is limited to; None for any (no limit, a negation, a set
    verify cannot read)."""
    out: list[str] | None = None
    for match in filter(_is_saddr, matches):
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


def ssh_admission(ruleset: dict[str, Any], port: int) -> tuple[list[str], list[str]]:
    """Who the input chains of ``nft -j list table inet mlps_filter`` let open an SSH
    connection (CES-IPS-03), read in order up to the first rule dropping SSH from anyone: the
    sources admitted by address or set, and what admits any source — an accept without a source
    limit, a negated source, a set filled at run time, a jump, goto, verdict map or queue (whose
    outcome is not read), a chain whose policy is not drop. What is not understood counts as
    admitting: a rule is passed over only when one of its matches rules a new TCP connection to
    ``port`` out."""
    items = _objects(ruleset)
    sets = {v["name"]: v for k, v in items if k == "set"}
    chains = _input_chains(items)
    admitted: list[str] = []
    open_rules: list[str] = []
    for chain in chains:
        closed = False
        for rule in (v for k, v in items if k == "rule" and v.get("chain") == chain["name"]):
            exprs = rule.get("expr", [])
            matches = [e["match"] for e in exprs if "match" in e]
            met = [_condition(m, port) for m in matches if not _is_saddr(m)]
            if NO in met:
                continue
            verdicts = [k for e in exprs for k in e if k in _VERDICTS]
            if not verdicts or verdicts[-1] == "continue":
                continue
            verdict = verdicts[-1]
            sources = _sources(matches, sets)
            comment = rule.get("comment")
            named = f"rule {rule.get('handle', '?')}" + (f" ({comment})" if comment else "")
            if verdict in ("drop", "reject"):
                if _drops_every_source(exprs, matches, met):
                    closed = True
                    break
                continue
            if verdict == "return":
                break
            if verdict != "accept":
                open_rules.append(f"{named}: {verdict} (not followed)")
            elif sources is None:
                open_rules.append(f"{named}: accepts any source")
            else:
                admitted += sources
        if not closed and chain.get("policy") != "drop":
            open_rules.append(f"chain {chain['name']}: policy {chain.get('policy', 'accept')}")
    if not chains:
        open_rules.append("no input chain")
    return sorted(set(admitted)), open_rules


def _objects(ruleset: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(kind, object) of each table, chain, set and rule of an ``nft -j`` listing."""
    return [next(iter(i.items())) for i in ruleset.get("nftables", []) if isinstance(i, dict) and i]


def _input_chains(items: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The base chains hooked to input, whatever their names."""
    return [v for k, v in items if k == "chain" and v.get("hook") == "input"]


def _drops_every_source(exprs: list[dict[str, Any]], matches: list[dict[str, Any]], met: list[str]) -> bool:
    """A drop every new SSH connection meets: each match holds for sure, none limits the
    source, no rate limit or quota lets some through."""
    return (set(met) <= {YES} and not any(_is_saddr(m) for m in matches)
            and not any("limit" in e or "quota" in e for e in exprs))


def _is_saddr(match: dict[str, Any]) -> bool:
    left = match.get("left")
    return isinstance(left, dict) and "payload" in left and left["payload"].get("field") == "saddr"


def _json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def check_firewall(exp: dict[str, Any]) -> list[Result]:
    if not exp["firewall_enabled"]:
        return [not_applicable("CES-IPS-02", "nftables host firewall", "baseline_firewall_enabled is false")]
    rc, rules = run(["nft", "list", "table", "inet", "mlps_filter"])
    rc_json, listed = run(["nft", "-j", "list", "table", "inet", "mlps_filter"])
    ruleset = _json(listed) if rc_json == 0 else {}
    policies = [chain.get("policy") for chain in _input_chains(_objects(ruleset))]
    stateful = "ct state established,related accept" in rules
    allowed, open_ssh = ssh_admission(ruleset, int(exp["ssh_port"]))
    wanted = sorted(set(exp["firewall_ssh_sources"]) | set(exp["controller_sources"]))
    missing = [
        w for w in wanted if ":" not in w and w not in allowed and w.removesuffix("/32") not in allowed
    ]
    extra = [a for a in allowed if not {a, f"{a}/32", f"{a}/128"} & set(wanted)]
    return [
        result(
            "CES-IPS-02",
            "nftables input policy",
            rc_json == 0 and bool(policies) and set(policies) == {"drop"},
            policies or ("no table" if rc_json else "none"),
            "drop",
        ),
        result(
            "ABS-ACL-04", "stateful filtering (ct state established,related accept)", stateful, stateful, True
        ),
        result(
            "CES-IPS-03",
            "SSH accepted only from the bastion/controller addresses",
            rc_json == 0 and not open_ssh and not missing and not extra,
            {"allowed": allowed, "unrestricted_rules": open_ssh},
            {"allowed": wanted},
            f"missing {missing}, unexpected {extra}" if missing or extra else "",
        ),
        *check_egress(rules, rc, exp.get("forward_sources") or []),
    ]


_SAFE_OUT = ('oif "lo" accept', "ct state established,related accept", "udp sport 68 udp dport 67 accept")
# ICMPv6 that needs no destination: neighbour discovery and multicast listening, never echo.
_SAFE_ICMPV6 = {"nd-neighbor-solicit", "nd-neighbor-advert", "nd-router-solicit", "mld2-listener-report"}


def _safe_out(rule: str) -> bool:
    if any(rule.startswith(safe) for safe in _SAFE_OUT):
        return True
    icmp = re.fullmatch(r"icmpv6 type (?:\{ ([\w, -]+) \}|([\w-]+)) accept", rule)
    return icmp is not None and set(re.split(r",\s*", icmp.group(1) or icmp.group(2))) <= _SAFE_ICMPV6


def _open_output(rule: str) -> bool:
    """An outbound accept that admits any destination on any port: it names no destination, or
    names all (0.0.0.0/0, ::/0) or all but some (!=) and restricts no port either. A service to
    anywhere on its port (NTP with no declared server) names its port and is not counted here."""
    if not re.search(r"\baccept\b", rule) or _safe_out(rule):
        return False
    if "daddr" not in rule:
        return True
    return _ANYWHERE.search(rule) is not None and "dport" not in rule


def chain_body(rules: str, chain: str) -> list[str]:
    """The rule lines of one chain of ``nft list table`` output."""
    found = re.search(r"chain " + chain + r" \{(.*?)\n\t\}", rules, re.S)
    return [line.strip() for line in (found.group(1) if found else "").splitlines() if line.strip()]


_ANYWHERE = re.compile(r"daddr (?:!=|(?:\{ )?(?:0\.0\.0\.0/0|::/0)\b)")


def _open_forward(rule: str, sources: Sequence[str]) -> bool:
    """A forward accept that admits any destination: it names none (all, or all but some), and is
    neither the reply rule nor a rule from a subnet the host routes for (Kubernetes pods)."""
    if not re.search(r"\baccept\b", rule) or rule.startswith("ct state established,related accept"):
        return False
    if "daddr" in rule:
        return _ANYWHERE.search(rule) is not None
    own = re.fullmatch(r"ip6? saddr (\S+) accept(?: comment .*)?", rule)
    return own is None or own.group(1) not in sources


def check_egress(rules: str, rc: int, forward_sources: Sequence[str] = ()) -> list[Result]:
    """Output and forward default deny (CES-IPS-02, ABS-ACL-01); every outbound and forwarded
    accept names a destination (a rule accepting any destination would make the allowlist moot);
    ``forward_sources`` are the subnets whose traffic the host forwards whole (Kubernetes)."""
    out = []
    for chain in ("output", "forward"):
        policy = re.search(r"hook " + chain + r" priority \S+; policy (\w+);", rules)
        out.append(result(
            "CES-IPS-02", f"nftables {chain} policy",
            rc == 0 and policy is not None and policy.group(1) == "drop",
            policy.group(1) if policy else ("no table" if rc else "no chain"), "drop",
        ))
    body = chain_body(rules, "output")
    open_rules = [r for r in body if _open_output(r)]
    out.append(result(
        "ABS-ACL-01", "outbound accepts name their destinations (allowlist)",
        rc == 0 and bool(body) and not open_rules,
        {"unrestricted_rules": open_rules}, {"unrestricted_rules": []},
    ))
    forward = [r for r in chain_body(rules, "forward") if _open_forward(r, forward_sources)]
    out.append(result(
        "ABS-ACL-01", "forwarded accepts name their destinations (allowlist)",
        rc == 0 and "chain forward {" in rules and not forward,
        {"unrestricted_rules": forward}, {"unrestricted_rules": []},
    ))
    return out
