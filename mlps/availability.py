"""How a cloud zone's range lies across the cloud's availability zones (``cloud.availability_zones``).

A zone's range is cut into equal parts, the fewest powers of two that give every availability
zone one, dealt to the availability zones in turn: with two, the lower half is the first, the
upper half the second; with three, the quarters go to the first, second, third and first again.
Each part is one vSwitch (Alibaba Cloud binds a vSwitch to one availability zone); a host runs
in the availability zone of the part holding its address. The spec check ``cloud_hosts_spread``
and the stacks read placement from here alone, so the spec and the plan cannot disagree.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

SMALLEST_PART = 29
"""The longest prefix a part may have (Alibaba Cloud's smallest vSwitch is a /29)."""


def _split_bits(count: int) -> int:
    return (count - 1).bit_length()


def parts(cidr: str, zones: Sequence[str]) -> list[tuple[str, str]]:
    """(availability zone, range) of each part of zone range ``cidr``; the whole range in the one
    availability zone when ``zones`` names one. ValueError when a part would be smaller than a /29."""
    net = ipaddress.ip_network(cidr, strict=False)
    if len(zones) <= 1:
        return [(zones[0] if zones else "", str(net))]
    bits = _split_bits(len(zones))
    if net.version == 4 and net.prefixlen + bits > SMALLEST_PART:
        raise ValueError(
            f"{cidr} is too small to give each of {len(zones)} availability zones "
            f"a /{SMALLEST_PART} or larger part"
        )
    return [(zones[i % len(zones)], str(p)) for i, p in enumerate(net.subnets(prefixlen_diff=bits))]


def labelled(cidr: str, zones: Sequence[str]) -> list[tuple[str, str, str]]:
    """(label, availability zone, range) of each part: the label is the availability zone, with
    ``-2``, ``-3`` after it for its second and third part (three zones take four quarters), and
    empty when the whole range is one part."""
    spread = parts(cidr, zones)
    if len(spread) == 1:
        return [("", *spread[0])]
    seen: dict[str, int] = {}
    out = []
    for az, part in spread:
        seen[az] = seen.get(az, 0) + 1
        out.append((az if seen[az] == 1 else f"{az}-{seen[az]}", az, part))
    return out


def fits(cidr: str, zones: Sequence[str]) -> bool:
    """``cidr`` can be cut into one part per availability zone of ``zones``."""
    try:
        parts(cidr, zones)
    except ValueError:
        return False
    return True


def placed(address: str, cidr: str, zones: Sequence[str]) -> tuple[str, str] | None:
    """(availability zone, part) holding ``address`` in zone range ``cidr`` (None outside it)."""
    ip = ipaddress.ip_address(address)
    for zone, part in parts(cidr, zones):
        if ip in ipaddress.ip_network(part):
            return zone, part
    return None
