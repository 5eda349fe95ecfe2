"""Input rules JSON Schema does not express: hidden characters, addresses and networks not in
canonical form or written with host bits, names a list repeats, references to buckets that do
not exist. Each problem is unusable input (exit 2)."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterator
from typing import Any

from mlps.availability import SMALLEST_PART, fits
from mlps.normalise import canonical, fold
from mlps.pointers import escape, walk
from mlps.spec.shape import ShapeProblem

BIDI_CONTROLS = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A))
"""Bidirectional embeddings, overrides and isolates (U+202A to 202E, U+2066 to 2069): they make text
display in an order other than the one programs read."""

BIDI_MARKS = frozenset({0x200E, 0x200F, 0x061C})
"""Left-to-right, right-to-left and Arabic letter marks: invisible, they reorder the neutral
characters around them (``张伟\u200f.exe``), so text reads differently from what is stored."""

LINE_SEPARATORS = frozenset({0x2028, 0x2029})
"""Unicode line and paragraph separators: a line break to some readers and logs, none to others."""

MULTILINE_KEYS = frozenset({"description"})
"""Keys whose text may span lines: there, tab and line feed are allowed."""

CIDR_PATHS: tuple[tuple[str, ...], ...] = (
    ("zones", "*", "cidr"),
    ("bastion", "allowed_sources", "*"),
    ("baseline", "ssh", "controller_sources", "*"),
    ("link_failover", "prefixes", "*"),
)
"""Every place of the environment schema that holds a network (``$defs/cidr``)."""


def _forbidden(c: str, multiline: bool) -> str | None:
    code = ord(c)
    if multiline and c in "\t\n":
        return None
    if code < 0x20 or code == 0x7F:
        return f"control character U+{code:04X}"
    if 0x80 <= code <= 0x9F:
        return f"C1 control character U+{code:04X}"
    if code in BIDI_CONTROLS:
        return f"bidi control U+{code:04X}"
    if code in BIDI_MARKS:
        return f"bidi mark U+{code:04X}"
    if code in LINE_SEPARATORS:
        return f"{'line' if code == 0x2028 else 'paragraph'} separator U+{code:04X}"
    return None


def _strings(value: Any, pointer: str, key: str) -> Iterator[tuple[str, str, str]]:
    """(pointer, key it sits under, text) for every string, mapping keys included."""
    if isinstance(value, str):
        yield pointer, key, value
    elif isinstance(value, dict):
        for k, v in value.items():
            child = f"{pointer}/{escape(str(k))}"
            if isinstance(k, str):
                yield child, "", k
            yield from _strings(v, child, str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{pointer}/{i}", key)


def text_problems(data: Any) -> list[ShapeProblem]:
    """Every string holding NUL or another C0/C1 control character, a bidi control or mark, or a
    Unicode line or paragraph separator (tab and line feed are allowed in descriptions), one
    problem per string. Zero-width characters are left to the name normaliser (``fold``)."""
    problems = []
    for pointer, key, text in _strings(data, "", ""):
        for pos, c in enumerate(text):
            what = _forbidden(c, key in MULTILINE_KEYS)
            if what:
                problems.append(ShapeProblem(
                    pointer, f"text holds a {what} at character {pos + 1}",
                    "delete it: names and descriptions are plain printable text (retype the value "
                    "if it was pasted)"))
                break
    return problems


ADDRESS_PATHS: tuple[tuple[str, ...], ...] = (
    ("hosts", "*", "address"),
)
"""Every place of the environment schema that holds one IPv4 address (``$defs/ipv4``)."""

SERVER_PATHS: tuple[tuple[str, ...], ...] = (
    ("baseline", "time_sync", "servers", "*"),
)
"""Places holding a server as an address or a host name: one written as an address must be
one canonical address (no network, no leading zeros)."""

NAMED_LISTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("zones",), "zone"),
    (("workloads",), "workload"),
    (("object_storage", "buckets"), "bucket"),
    (("links",), "line"),
    (("admins",), "administrator account"),
)
"""Every list whose entries the stack, the inventory or the reports key by ``name`` (hosts,
log servers among them, are compared by name and address in the CNS-ZONE-01 check)."""


def _not_canonical(pointer: str, value: str, what: str) -> ShapeProblem | None:
    """A problem when ``value`` is an IPv4 ``what`` spelled other than canonically."""
    written = canonical(value)
    if written is not None and written != value:
        return ShapeProblem(
            pointer, f"{value} is not a canonical IPv4 {what} (a number written with a leading "
            "zero, which some tools read as octal)", f"write {written}")
    return None


def number_problems(data: Any, pointer: str = "") -> list[ShapeProblem]:
    """Every number that is infinite or not a number (``.inf``, ``.nan`` reaching the spec from
    Pulumi config or a caller): the schema engine would see it as null and say so misleadingly."""
    if isinstance(data, float) and not math.isfinite(data):
        return [ShapeProblem(pointer, f"{data} is not a finite number",
                             "write a plain number within the bound the schema gives")]
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in number_problems(v, f"{pointer}/{escape(str(k))}")]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in number_problems(v, f"{pointer}/{i}")]
    return []


def cidr_problems(data: Any) -> list[ShapeProblem]:
    """Every network not written canonically (``10.20.00.0/24``), not a network at all, or
    written with host bits set (``10.40.0.1/20``): which network was meant is a guess, so the
    spec must say ``10.40.0.0/20`` (or the host's /32)."""
    problems = []
    for path in CIDR_PATHS:
        for pointer, value in walk(data, path):
            if not isinstance(value, str):
                continue
            spelling = _not_canonical(pointer, value, "network")
            if spelling is not None:
                problems.append(spelling)
                continue
            try:
                ipaddress.IPv4Network(value)
            except ValueError as exc:
                try:
                    net = ipaddress.IPv4Network(value, strict=False)
                except ValueError:
                    problems.append(ShapeProblem(
                        pointer, f"{value} is not an IPv4 network ({exc})",
                        "write a network as four numbers 0-255 and a prefix length, e.g. "
                        "10.20.0.0/24"))
                    continue
                problems.append(ShapeProblem(
                    pointer, f"{value} has host bits set",
                    f"write the network address {net} (or {value.split('/')[0]}/32 for one host)"))
    return problems


def address_problems(data: Any) -> list[ShapeProblem]:
    """Every host address or server address not written as one canonical IPv4 address
    (``10.20.01.11``, ``10.10.0.1/24``): checks and the inventory compare addresses as written."""
    problems = []
    for pointer, value in (pv for path in ADDRESS_PATHS for pv in walk(data, path)):
        if not isinstance(value, str):
            continue
        spelling = _not_canonical(pointer, value, "address")
        if spelling is not None:
            problems.append(spelling)
            continue
        try:
            ipaddress.IPv4Address(value)
        except ValueError as exc:
            problems.append(ShapeProblem(
                pointer, f"{value} is not an IPv4 address ({exc})",
                "write the address as four numbers 0-255, e.g. 10.20.1.11"))
    for pointer, value in (pv for path in SERVER_PATHS for pv in walk(data, path)):
        if not isinstance(value, str):
            continue
        address = value.split("/")[0]
        looks_numeric = all(c.isascii() and (c.isdigit() or c in "./") for c in value)
        if "/" in value and canonical(value) is not None:
            problems.append(ShapeProblem(
                pointer, f"{value} is a network, not a server",
                f"write the server's address {canonical(address) or address}"))
        elif looks_numeric or ":" in value:
            spelling = _not_canonical(pointer, value, "address")
            if spelling is not None:
                problems.append(spelling)
                continue
            try:
                written = str(ipaddress.ip_address(value))
            except ValueError as exc:
                problems.append(ShapeProblem(
                    pointer, f"{value} is not an IP address ({exc})",
                    "write the server's address (e.g. 10.10.0.1) or its host name"))
                continue
            if written != value:
                problems.append(ShapeProblem(
                    pointer, f"{value} is not an IP address in canonical form",
                    f"write {written}"))
    return problems


def duplicate_problems(data: Any) -> list[ShapeProblem]:
    """Every entry of a named list whose name (folded: case, width, spaces and invisible
    characters ignored) repeats an earlier entry's: the stack names resources, manifests and
    inventory entries after it, so two entries would merge into one or clash."""
    problems = []
    for path, what in NAMED_LISTS:
        for pointer, entries in walk(data, path):
            if not isinstance(entries, list):
                continue
            seen: dict[str, int] = {}
            for i, entry in enumerate(entries):
                name = entry.get("name") if isinstance(entry, dict) else None
                if not isinstance(name, str):
                    continue
                first = seen.setdefault(fold(name), i)
                if first != i:
                    problems.append(ShapeProblem(
                        f"{pointer}/{i}/name",
                        f"{what} name '{name}' repeats {pointer}/{first}/name",
                        f"give each {what} its own name, or remove the repeated entry "
                        f"({pointer}/{i}): resources and inventory entries are named after it"))
    return problems


def reference_problems(data: Any) -> list[ShapeProblem]:
    """Every workload naming a bucket that object_storage.buckets does not define."""
    if not isinstance(data, dict):
        return []
    storage = data.get("object_storage")
    buckets = storage.get("buckets") if isinstance(storage, dict) else None
    names = {b.get("name") for b in buckets if isinstance(b, dict)} if isinstance(buckets, list) else set()
    problems = []
    workloads = data.get("workloads")
    for i, w in enumerate(workloads if isinstance(workloads, list) else []):
        bucket = w.get("bucket") if isinstance(w, dict) else None
        if isinstance(bucket, str) and bucket not in names:
            problems.append(ShapeProblem(
                f"/workloads/{i}/bucket",
                f"workload '{w.get('name')}' writes to bucket '{bucket}', which "
                "/object_storage/buckets does not define",
                f"add a bucket named {bucket} under /object_storage/buckets, or correct the name"))
    return problems


def _listed(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return value if isinstance(value, list) else []


def cloud_server_problems(data: Any) -> list[ShapeProblem]:
    """Every time server a cloud zone's boundary cannot admit while a host sits in one: that
    zone's security group denies what it does not admit, and it admits IPv4 addresses (the
    zones are IPv4 networks), not names."""
    if not isinstance(data, dict):
        return []
    cloud = {z.get("name") for z in _listed(data, "zones")
             if isinstance(z, dict) and z.get("placement") == "cloud"}
    host = next((h for h in _listed(data, "hosts") if isinstance(h, dict) and h.get("zone") in cloud), None)
    if host is None:
        return []
    where = f"host '{host.get('name')}' is in cloud zone '{host.get('zone')}', whose security group"
    problems = []
    for pointer, value in walk(data, ("baseline", "time_sync", "servers", "*")):
        if not isinstance(value, str):
            continue
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            what = "an IPv6 address" if ":" in value else "a host name"
            problems.append(ShapeProblem(
                pointer, f"time server {value} is {what}; {where} admits IPv4 addresses only",
                "write the NTP server's IPv4 address (CES-AUDIT-02)"))
    return problems


def availability_problems(data: Any) -> list[ShapeProblem]:
    """Every cloud zone whose range cannot be cut into a part for each of the availability zones
    the spec names (``mlps.availability``): no vSwitch layout exists for it, at any level."""
    if not isinstance(data, dict) or not isinstance(data.get("cloud"), dict):
        return []
    azs = data["cloud"].get("availability_zones")
    if not isinstance(azs, list) or len(azs) < 2:
        return []
    problems = []
    for i, zone in enumerate(_listed(data, "zones")):
        if not isinstance(zone, dict) or zone.get("placement") != "cloud":
            continue
        cidr = zone.get("cidr")
        try:
            ipaddress.IPv4Network(cidr)
        except (ValueError, TypeError):
            continue  # cidr_problems reports it
        if not fits(str(cidr), [str(a) for a in azs]):
            problems.append(ShapeProblem(
                f"/zones/{i}/cidr",
                f"cloud zone {zone.get('name')}: {cidr} is too small to give each of the {len(azs)} "
                f"availability zones in cloud.availability_zones a /{SMALLEST_PART} or larger part",
                "widen the zone's range or name fewer availability zones (CES-BAK-03)"))
    return problems


def _served(data: dict[str, Any], zone: str, port: Any, ports: set[Any]) -> bool:
    """A cloud workload of ``zone`` serves ``port``: its pod port or its Service port (443 for a
    TLS workload, 80 otherwise, ``stacks.components.kube.service_port``); or ``port`` is 80 and
    the front door redirects it to HTTPS for a TLS workload another of the zone's internet
    ``ports`` reaches (``stacks.components.front_door``)."""
    for w in _listed(data, "workloads"):
        if not isinstance(w, dict) or w.get("zone") != zone or w.get("placement", "onprem") != "cloud":
            continue
        tls = w.get("tls", True)
        serves = {w.get("port"), 443 if tls else 80}
        if port in serves or (port == 80 and tls and bool(serves & (ports - {80}))):
            return True
    return False


def front_door_problems(data: Any) -> list[ShapeProblem]:
    """Every flow from the internet into an Alibaba Cloud zone that its front door cannot carry:
    an application load balancer needs two availability zones, and it forwards to the zone's
    cloud workloads (the ALB ingress), so each port of the flow must be one a workload serves (or
    80, redirected to HTTPS)."""
    if not isinstance(data, dict) or not isinstance(data.get("cloud"), dict):
        return []
    cloud = data["cloud"]
    if cloud.get("provider", "alicloud") != "alicloud":
        return []
    azs = cloud.get("availability_zones")
    named = len(azs) if isinstance(azs, list) else 0
    problems = []
    for i, zone in enumerate(_listed(data, "zones")):
        if not isinstance(zone, dict) or zone.get("placement") != "cloud":
            continue
        ports = {p for f in _listed(zone, "ingress") if isinstance(f, dict) and f.get("from") == "internet"
                 for p in _listed(f, "ports") if isinstance(p, int)}
        for j, flow in enumerate(_listed(zone, "ingress")):
            if not isinstance(flow, dict) or flow.get("from") != "internet":
                continue
            where = f"/zones/{i}/ingress/{j}"
            if named < 2:
                problems.append(ShapeProblem(
                    f"{where}/from",
                    f"cloud zone {zone.get('name')} takes traffic from the internet: its front door, an "
                    "application load balancer, needs two availability zones and cloud.availability_zones "
                    f"names {named}",
                    "name two availability zones of the region in cloud.availability_zones (ABS-BOUND-01)"))
            for k, port in enumerate(_listed(flow, "ports")):
                if not _served(data, str(zone.get("name")), port, ports):
                    problems.append(ShapeProblem(
                        f"{where}/ports/{k}",
                        f"cloud zone {zone.get('name')} takes port {port} from the internet, but no cloud "
                        "workload of the zone serves it: the front door forwards to the zone's workloads "
                        "only, never to its hosts",
                        "place the workload that serves the port in the zone, or take the port out of the "
                        "flow (ABS-BOUND-01)"))
    return problems


def input_problems(data: Any) -> list[ShapeProblem]:
    """Networks and addresses not in canonical form, repeated names, dangling bucket
    references, time servers a cloud boundary cannot admit, cloud zones too small for their
    availability zones and Alibaba Cloud front doors without two, in that order."""
    return (cidr_problems(data) + address_problems(data) + duplicate_problems(data)
            + reference_problems(data) + cloud_server_problems(data) + availability_problems(data)
            + front_door_problems(data))
