"""The host firewall checks of the baseline probe (CES-IPS-02, CES-IPS-03, ABS-ACL-01,
ABS-ACL-04), read from ``nft -j`` (nft_admission): the chains' policies, who the input chains
let open SSH, and whether every outbound and forwarded accept names its destinations."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from ansible.module_utils.baseline_probe_host import Result, not_applicable, result, run
from ansible.module_utils.nft_admission import admission
from ansible.module_utils.nft_egress import unrestricted
from ansible.module_utils.nft_ruleset import base_chains, dormant, missing, objects, unexpected


def _json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _texts(listing: str) -> dict[int, str]:
    """Each rule's text by its handle, from ``nft -a list table`` (for the evidence only)."""
    found = re.findall(r"^\s*(.*?) # handle (\d+)$", listing, re.M)
    return {int(handle): text for text, handle in found if not text.endswith("{")}


def _stateful(items: list[tuple[str, dict[str, Any]]]) -> bool:
    """An input chain accepts replies (``ct state established,related accept``)."""
    names = {c["name"] for c in base_chains(items, "input")}
    return any(
        v.get("chain") in names and v.get("expr") == [
            {"match": {"op": "in", "left": {"ct": {"key": "state"}}, "right": ["established", "related"]}},
            {"accept": None}]
        for k, v in items if k == "rule")


def _policy(ruleset: dict[str, Any], items: list[tuple[str, dict[str, Any]]], hook: str) -> Result:
    """CES-IPS-02: every base chain of ``hook`` drops what no rule accepts."""
    policies = [chain.get("policy") for chain in base_chains(items, hook)]
    return result("CES-IPS-02", f"nftables {hook} policy", bool(policies) and set(policies) == {"drop"},
                  policies or ("no table" if not ruleset else "no chain"), "drop")


def check_firewall(exp: dict[str, Any]) -> list[Result]:
    if not exp["firewall_enabled"]:
        return [not_applicable("CES-IPS-02", "nftables host firewall", "baseline_firewall_enabled is false")]
    rc, listed = run(["nft", "-j", "list", "table", "inet", "mlps_filter"])
    listing = run(["nft", "-a", "list", "table", "inet", "mlps_filter"])[1]
    asleep = dormant(listing)
    ruleset = _json(listed) if rc == 0 and not asleep else {}
    texts = _texts(listing)
    items = objects(ruleset)
    stateful = _stateful(items)
    allowed, open_ssh = admission(ruleset, int(exp["ssh_port"]))
    wanted = sorted(set(exp["firewall_ssh_sources"]) | set(exp["controller_sources"]))
    absent = missing(allowed, [w for w in wanted if ":" not in w])
    extra = unexpected(allowed, wanted)
    results = [
        _policy(ruleset, items, "input"),
        result(
            "ABS-ACL-04", "stateful filtering (ct state established,related accept)", stateful, stateful, True
        ),
        result(
            "CES-IPS-03",
            "SSH accepted only from the bastion/controller addresses",
            bool(ruleset) and not open_ssh and not absent and not extra,
            {"allowed": allowed, "unrestricted_rules": open_ssh},
            {"allowed": wanted},
            f"missing {absent}, unexpected {extra}" if absent or extra else "",
        ),
        *check_egress(ruleset, exp.get("forward_sources") or [], texts),
    ]
    if asleep:
        for entry in results:
            entry["detail"] = "table mlps_filter is dormant (flags dormant): its rules filter nothing"
    return results


def check_egress(ruleset: dict[str, Any], forward_sources: Sequence[str] = (),
                 texts: dict[int, str] | None = None) -> list[Result]:
    """Output and forward default deny (CES-IPS-02, ABS-ACL-01); every outbound and forwarded
    accept names a destination, read from ``nft -j`` in rule order and into jumped-to chains (an
    accept to any destination would make the allowlist moot); ``forward_sources`` are the subnets
    whose traffic the host forwards whole (Kubernetes). An empty ruleset (no table) fails all."""
    items = objects(ruleset)
    out = [_policy(ruleset, items, hook) for hook in ("output", "forward")]
    for hook, word in (("output", "outbound"), ("forward", "forwarded")):
        open_rules = unrestricted(ruleset, hook, forward_sources if hook == "forward" else (), texts) \
            if ruleset else ["no table"]
        out.append(result(
            "ABS-ACL-01", f"{word} accepts name their destinations (allowlist)",
            not open_rules, {"unrestricted_rules": open_rules}, {"unrestricted_rules": []},
        ))
    return out
