"""Address ranges of the VPC, the pods and the services."""

from __future__ import annotations

import ipaddress

POD_CIDRS = ("10.244.0.0/16", "172.30.0.0/16", "192.168.128.0/18")
SERVICE_CIDRS = ("10.96.0.0/16", "172.31.0.0/16", "192.168.192.0/18")


def supernet(cidrs: list[str]) -> str:
    """Smallest network holding every zone of the VPC (at least a /24, at most a /8)."""
    nets = [ipaddress.IPv4Network(c) for c in cidrs]
    first = nets[0]
    for prefix in range(min(24, *(n.prefixlen for n in nets)), 7, -1):
        candidate = first.supernet(new_prefix=prefix)
        if all(n.subnet_of(candidate) for n in nets):
            return str(candidate)
    raise ValueError(f"zones {cidrs} do not fit one private VPC range")


def free_cidr(candidates: tuple[str, ...], used: list[str]) -> str:
    taken = [ipaddress.ip_network(c) for c in used]
    for c in candidates:
        if not any(ipaddress.ip_network(c).overlaps(t) for t in taken):
            return c
    raise ValueError("no free range for the cluster's pods and services")


def last_free_subnets(network: str, used: list[str], prefix: int, count: int) -> list[str]:
    """``count`` subnets of length ``prefix`` from the top of ``network`` overlapping none of
    ``used`` (the transit router's own vSwitches, apart from the zones)."""
    taken = [ipaddress.ip_network(c) for c in used]
    net = ipaddress.IPv4Network(network)
    size = 2 ** (32 - prefix)
    free: list[str] = []
    for i in reversed(range(net.num_addresses // size)):
        candidate = ipaddress.IPv4Network((int(net.network_address) + i * size, prefix))
        if not any(candidate.overlaps(t) for t in taken):
            free.append(str(candidate))
            if len(free) == count:
                return free
    raise ValueError(f"{network} has no {count} free /{prefix} beside the zones {used}")
