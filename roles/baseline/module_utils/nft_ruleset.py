"""Reading one table's ``nft -j`` listing for verify's firewall checks: its objects and base
chains, the statements verify understands, the addresses a rule is limited to (fixed sets
resolved, sets filled at run time unread), rules that rewrite or divert packets outside the
judged chains, and addresses compared as networks. Shared by nft_admission and nft_egress, with
no import of its own so that each role judging a host firewall can carry it."""

from __future__ import annotations

import ipaddress
from typing import Any

_VERDICTS = {"accept", "drop", "reject", "jump", "goto", "vmap", "queue", "return", "continue"}


# Statements that neither change the packet nor decide for it. Any other (a rewrite, NAT, notrack,
# synproxy, a set update, ct count, a meter) makes the rule one verify does not understand.
_INERT = {"match", "counter", "log", "limit", "quota", "comment"} | _VERDICTS


def unread(exprs: list[dict[str, Any]]) -> list[str]:
    """The statements of a rule verify does not read."""
    return sorted({k for e in exprs for k in e if k not in _INERT})


def verdict_of(exprs: list[dict[str, Any]]) -> tuple[str, Any]:
    """The verdict a rule ends in as verify reads it, with its argument: a verdict map or queue
    wherever it stands (the kernel takes the map's verdict first, and what follows acts only on
    what it lets by), else the last verdict, else ``continue``."""
    verdicts = [(k, v) for e in exprs for k, v in e.items() if k in _VERDICTS]
    last = verdicts[-1] if verdicts else ("continue", None)
    return next((x for x in verdicts if x[0] in ("vmap", "queue")), last)


def dormant(listing: str) -> bool:
    """Whether ``nft list table`` text shows ``flags dormant``: the table's rules are listed but
    filter nothing (nft's JSON listing does not show the flag)."""
    return any(line.split()[:1] == ["flags"] and "dormant" in line.replace(",", " ").split()
               for line in listing.splitlines())


MAX_STEPS = 20000
"""Rules a walk reads at most (jumps fan out): past it, what is left counts as open."""


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


def listed(right: Any) -> list[Any]:
    items = right["set"] if isinstance(right, dict) and "set" in right else right
    return items if isinstance(items, list) else [items]


def limited_to(matches: list[dict[str, Any]], sets: dict[str, dict[str, Any]],
             field: str = "saddr") -> list[str] | None:
    """The source (or, with ``field="daddr"``, destination) addresses a rule is limited to; None
    for any (no limit, a negation, a set verify cannot read)."""
    out: list[str] | None = None
    for match in (m for m in matches if is_field(m, field)):
        right = match.get("right")
        if match.get("op", "==") not in ("==", "in"):
            return None
        if isinstance(right, str) and right.startswith("@"):
            members = _set_members(sets, right[1:])
            if members is None:
                return None
            out = (out or []) + members
        else:
            out = (out or []) + [_address(i) for i in listed(right)]
    return out


def named_rule(chain: str, rule: dict[str, Any], texts: dict[int, str] | None = None) -> str:
    text = (texts or {}).get(rule.get("handle", -1)) or rule.get("comment") or ""
    return f"{chain} rule {rule.get('handle', '?')}" + (f" ({text})" if text else "")


def fixed_sets(items: list[tuple[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """The table's sets by name, less those a rule fills at run time."""
    filled = _filled_at_run_time(items)
    return {v["name"]: v for k, v in items if k == "set" and v["name"] not in filled}


def altered_elsewhere(items: list[tuple[str, dict[str, Any]]], hook: str,
                       texts: dict[int, str] | None = None) -> list[str]:
    """Rules outside the judged hook's base chains (other hooks' base chains, and every chain
    reached by a jump or a verdict map) that rewrite or divert packets (a source rewritten in
    prerouting, notrack, synproxy, NAT): what the judged chains see is not what was sent, so
    each counts as open."""
    judged = {c["name"] for c in base_chains(items, hook)}
    found = ((v, unread(v.get("expr", []))) for k, v in items if k == "rule" and v.get("chain") not in judged)
    return [f"{named_rule(str(rule.get('chain')), rule, texts)}: {', '.join(statements)} (not understood)"
            for rule, statements in found if statements]


def base_chains(items: list[tuple[str, dict[str, Any]]], hook: str) -> list[dict[str, Any]]:
    """The base chains hooked to ``hook``, whatever their names."""
    return [v for k, v in items if k == "chain" and v.get("hook") == hook]


def objects(ruleset: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(kind, object) of each table, chain, set and rule of an ``nft -j`` listing."""
    return [next(iter(i.items())) for i in ruleset.get("nftables", []) if isinstance(i, dict) and i]


def is_field(match: dict[str, Any], field: str) -> bool:
    left = match.get("left")
    return isinstance(left, dict) and "payload" in left and left["payload"].get("field") == field


def is_saddr(match: dict[str, Any]) -> bool:
    return is_field(match, "saddr")


def network(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network] | None:
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
    read = [n for a in allowed for n in (network(a) or [])]
    nets = [n for version in (4, 6) for n in ipaddress.collapse_addresses(  # type: ignore[type-var]
        [x for x in read if x.version == version])]
    out = []
    for source in admitted:
        parts = network(source)
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
