"""The flows an environment needs through its cloud boundaries, in a form the plan policies and
the CrossGuard pack config share.

``stacks.components.network_zones.required_flows`` lists them from the spec: the spec's own
flows, the flows the roles' services need and the servers the roles reach. The policy
``required_flows_permitted`` evaluates each against the security groups of the plan and prints
the verdict per flow (``reachability.json`` of ``mlps synth``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

INTERNET = "internet"
FIELDS = ("source", "source_cidr", "target", "target_cidr", "protocol", "port", "why")


@dataclass(frozen=True, order=True)
class RequiredFlow:
    """Traffic the environment needs: from a zone (or ``internet``) to a zone or one server."""

    source: str
    source_cidr: str
    target: str
    """A zone's name, or a server's address (the hospital's NTP servers)."""
    target_cidr: str
    protocol: str
    port: int
    why: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def flows_from_json(data: Any, where: str = "requiredFlows") -> tuple[RequiredFlow, ...]:
    """Required flows from their JSON form; ValueError naming the entry and field at fault."""
    if not isinstance(data, list):
        raise ValueError(f"{where}: a list of flows is expected")
    flows = []
    for n, entry in enumerate(data):
        at = f"{where}/{n}"
        if not isinstance(entry, dict) or set(entry) != set(FIELDS):
            raise ValueError(f"{at}: an object with exactly {', '.join(FIELDS)} is expected")
        port = entry["port"]
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            raise ValueError(f"{at}/port: a port number 1-65535 is expected")
        for name in FIELDS:
            if name != "port" and not isinstance(entry[name], str):
                raise ValueError(f"{at}/{name}: a string is expected")
        for name in ("source_cidr", "target_cidr"):
            try:
                ipaddress.ip_network(entry[name])
            except ValueError:
                raise ValueError(f"{at}/{name}: {entry[name]!r} is not a network") from None
        flows.append(RequiredFlow(**entry))
    return tuple(sorted(set(flows)))


def flows_to_json(flows: Iterable[RequiredFlow]) -> list[dict[str, Any]]:
    return [f.to_json() for f in sorted(set(flows))]
