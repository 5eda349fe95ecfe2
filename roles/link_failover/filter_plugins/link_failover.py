"""Filters for the link_failover role (standard library only, no netaddr needed)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any


def link_failover_symbol(name: str) -> str:
    """Turn a line name such as ``line-ct`` into a BIRD protocol symbol ``lf_line_ct``."""
    return "lf_" + re.sub(r"[^A-Za-z0-9_]", "_", str(name))


def link_failover_covering(addresses: list[str], prefixes: list[str]) -> list[str]:
    """Return ``address in prefix`` for every protected address a prefix would capture."""
    hits = []
    for prefix in prefixes:
        net = ipaddress.ip_network(str(prefix), strict=False)
        for address in addresses:
            if address and ipaddress.ip_address(str(address).split("%")[0]) in net:
                hits.append(f"{address} in {prefix}")
    return hits


class FilterModule:
    """Register the role's filters."""

    def filters(self) -> dict[str, Any]:
        return {
            "link_failover_symbol": link_failover_symbol,
            "link_failover_covering": link_failover_covering,
        }
