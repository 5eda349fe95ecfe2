"""Lab topology: hosts, networks (segments) with their members' addresses, and groups.

The management network (``eth0`` on every host) is always there; each further network a
host belongs to becomes ``eth1``, ``eth2``… in the order the networks are listed.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from mlps.errors import InputError
from mlps.lab.names import check_host_name
from mlps.safe_input import read_text

MGMT = "mgmt"
DEFAULT_MGMT_CIDR = "10.99.0.0/24"
MAX_BYTES = 1024 * 1024
RELAY_SLOTS = 4  # top addresses of the management network kept for the apt relay
NET_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
TOP_KEYS = {"hosts", "networks", "groups", "management", "routers", "routes"}
NET_KEYS = {"name", "cidr", "members"}


@dataclass(frozen=True)
class Network:
    """One layer-2 segment (a bridge in the lab namespace) and its members' addresses."""

    name: str
    cidr: ipaddress.IPv4Network
    members: dict[str, ipaddress.IPv4Address]

    def interface(self, address: ipaddress.IPv4Address) -> str:
        """``address/prefix`` as ``ip addr add`` takes it."""
        return f"{address}/{self.cidr.prefixlen}"


@dataclass
class Topology:
    """Hosts, networks (the first is management) and Ansible groups of one lab."""

    hosts: list[str]
    networks: list[Network]
    groups: dict[str, list[str]] = field(default_factory=dict)
    routers: list[str] = field(default_factory=list)
    routes: dict[str, list[tuple[ipaddress.IPv4Network, ipaddress.IPv4Address]]] = field(
        default_factory=dict
    )

    @property
    def management(self) -> Network:
        return self.networks[0]

    @property
    def lab_address(self) -> ipaddress.IPv4Address:
        """Address of the lab namespace on the management network (the first usable one)."""
        return self.management.cidr.network_address + 1

    def relay_address(self, index: int) -> ipaddress.IPv4Address:
        """Address the ``index``-th apt relay listens on (from the top of the range down)."""
        return self.management.cidr.broadcast_address - 1 - index

    def interfaces(self, host: str) -> list[tuple[str, Network]]:
        """``(ifname, network)`` of ``host``: eth0 for management, then eth1… in file order."""
        nets = [n for n in self.networks if host in n.members]
        return [(f"eth{i}", net) for i, net in enumerate(nets)]

    def network(self, name: str) -> Network:
        for net in self.networks:
            if net.name == name:
                return net
        names = ", ".join(n.name for n in self.networks)
        raise InputError(None, f"no network named {name!r} in this lab", f"known: {names}")


def default_topology(count: int, mgmt_cidr: str = DEFAULT_MGMT_CIDR) -> Topology:
    """``count`` hosts h1…hN on the management network only."""
    if count < 1 or count > 64:
        raise InputError(None, f"--hosts {count} is out of range", "use 1 to 64 hosts")
    return build({"hosts": [f"h{i}" for i in range(1, count + 1)]}, "--hosts", mgmt_cidr)


def load_topology(path: Path) -> Topology:
    """Read and check a topology file; every mistake is one InputError naming its place."""
    file = str(path)
    try:
        text = read_text(path, MAX_BYTES)
    except InputError as exc:
        raise InputError(file, f"cannot read the topology file: {exc.message}", exc.hint) from None
    try:
        data = YAML(typ="safe").load(text)
    except (ValueError, RecursionError) as exc:
        raise InputError(file, f"not a usable topology: {str(exc)[:120]}",
                         "write plain names, numbers and lists") from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise InputError(file, f"not valid YAML: {getattr(exc, 'problem', exc)}", "", where) from exc
    return build(data, file)


def build(data: Any, file: str, mgmt_cidr: str = DEFAULT_MGMT_CIDR) -> Topology:
    """Check the parsed YAML ``data`` and build the Topology."""
    if not isinstance(data, dict):
        raise InputError(file, "a topology is a mapping with 'hosts' and 'networks'", "", "/")
    _no_unknown(data, TOP_KEYS, file, "")
    hosts, wanted = _hosts(data.get("hosts"), file)
    mgmt = data.get("management") or {}
    if not isinstance(mgmt, dict):
        raise InputError(file, "'management' must be a mapping with 'cidr'", "", "/management")
    _no_unknown(mgmt, {"cidr"}, file, "/management")
    cidr = _cidr(mgmt.get("cidr", mgmt_cidr), file, "/management/cidr")
    if cidr.prefixlen > 26 or cidr.num_addresses - 2 - RELAY_SLOTS - 1 < len(hosts):
        raise InputError(
            file, f"management network {cidr} is too small", "use /26 or larger", "/management/cidr"
        )
    networks = [_management(cidr, hosts, wanted, file)]
    raw_nets = data.get("networks") or []
    if not isinstance(raw_nets, list):
        raise InputError(file, "'networks' must be a list", "", "/networks")
    routers = _routers(data.get("routers") or [], hosts, file)
    for i, raw in enumerate(raw_nets):
        networks.append(_network(raw, hosts, file, f"/networks/{i}", routers))
    _distinct(networks, file)
    groups = _groups(data.get("groups") or {}, hosts, file)
    topo = Topology(hosts=hosts, networks=networks, groups=groups, routers=routers)
    topo.routes = _routes(data.get("routes") or {}, topo, file)
    return topo


def _routers(raw: Any, hosts: list[str], file: str) -> list[str]:
    """Hosts that forward between their networks (ip_forward on, nothing filtered)."""
    if not isinstance(raw, list) or any(h not in hosts for h in raw):
        raise InputError(file, "'routers' must be a list of the topology's hosts", "", "/routers")
    return [str(h) for h in raw]


def _routes(
    raw: Any, topo: Topology, file: str
) -> dict[str, list[tuple[ipaddress.IPv4Network, ipaddress.IPv4Address]]]:
    """``host: [{to: CIDR, via: ADDRESS}]``; ``via`` is on one of the host's own networks."""
    if not isinstance(raw, dict):
        raise InputError(file, "'routes' must map a host to a list of {to, via}", "", "/routes")
    out: dict[str, list[tuple[ipaddress.IPv4Network, ipaddress.IPv4Address]]] = {}
    for host, entries in raw.items():
        where = f"/routes/{host}"
        if host not in topo.hosts:
            raise InputError(file, f"{host!r} is not one of the hosts", "", where)
        if not isinstance(entries, list):
            raise InputError(file, "routes are a list of {to, via}", "", where)
        own = [net for _i, net in topo.interfaces(host)]
        routes = []
        for i, entry in enumerate(entries):
            place = f"{where}/{i}"
            if not isinstance(entry, dict):
                raise InputError(file, "a route is a mapping with 'to' and 'via'", "", place)
            _no_unknown(entry, {"to", "via"}, file, place)
            to = _cidr(entry.get("to"), file, f"{place}/to")
            via = _address_or_none(entry.get("via"))
            if via is None or not any(via in net.cidr for net in own):
                raise InputError(
                    file,
                    f"{entry.get('via')!r} is not an address on one of {host}'s networks",
                    "",
                    f"{place}/via",
                )
            routes.append((to, via))
        out[str(host)] = routes
    return out


def _address_or_none(raw: Any) -> ipaddress.IPv4Address | None:
    try:
        return ipaddress.IPv4Address(str(raw))
    except ValueError:
        return None


def _no_unknown(data: dict[str, Any], allowed: set[str], file: str, where: str) -> None:
    for key in data:
        if key not in allowed:
            raise InputError(
                file,
                f"unknown key {key!r}",
                f"allowed: {', '.join(sorted(allowed))}",
                f"{where}/{key}",
            )


def _hosts(raw: Any, file: str) -> tuple[list[str], dict[str, str]]:
    wanted: dict[str, str] = {}
    if isinstance(raw, list):
        names = raw
    elif isinstance(raw, dict):
        names = list(raw)
        for name, opts in raw.items():
            opts = opts or {}
            if not isinstance(opts, dict):
                raise InputError(file, "host options must be a mapping", "", f"/hosts/{name}")
            _no_unknown(opts, {"address"}, file, f"/hosts/{name}")
            if "address" in opts:
                wanted[str(name)] = str(opts["address"])
    else:
        raise InputError(file, "'hosts' must be a non-empty list of host names", "", "/hosts")
    if not names:
        raise InputError(file, "'hosts' must be a non-empty list of host names", "", "/hosts")
    seen: list[str] = []
    for i, name in enumerate(names):
        check_host_name(name, file, f"/hosts/{i}")
        if name in seen:
            raise InputError(file, f"host {name!r} is listed twice", "", f"/hosts/{i}")
        seen.append(name)
    return seen, wanted


def _cidr(raw: Any, file: str, where: str) -> ipaddress.IPv4Network:
    try:
        net = ipaddress.ip_network(str(raw), strict=True)
    except ValueError as exc:
        raise InputError(file, f"{raw!r} is not an IPv4 network: {exc}", "e.g. 10.20.1.0/30", where) from exc
    if not isinstance(net, ipaddress.IPv4Network) or net.prefixlen > 30:
        raise InputError(file, f"{raw!r} must be an IPv4 network of /30 or larger", "", where)
    return net


def _address(raw: Any, net: ipaddress.IPv4Network, file: str, where: str) -> ipaddress.IPv4Address:
    try:
        addr = ipaddress.IPv4Address(str(raw).split("/")[0])
    except ValueError as exc:
        raise InputError(file, f"{raw!r} is not an IPv4 address", "", where) from exc
    if addr not in net or addr in (net.network_address, net.broadcast_address):
        raise InputError(file, f"{addr} is not a usable address of {net}", "", where)
    return addr


def _management(cidr: ipaddress.IPv4Network, hosts: list[str], wanted: dict[str, str], file: str) -> Network:
    reserved = {cidr.network_address + 1}
    reserved |= {cidr.broadcast_address - 1 - i for i in range(RELAY_SLOTS)}
    members: dict[str, ipaddress.IPv4Address] = {}
    for name, raw in wanted.items():
        addr = _address(raw, cidr, file, f"/hosts/{name}/address")
        if addr in reserved or addr in members.values():
            raise InputError(file, f"{addr} is reserved or already used", "", f"/hosts/{name}")
        members[name] = addr
    free = (a for a in cidr.hosts() if a not in reserved and a not in members.values())
    for name in hosts:
        if name not in members:
            members[name] = next(free)
    return Network(MGMT, cidr, {h: members[h] for h in hosts})


def _network(raw: Any, hosts: list[str], file: str, where: str, routers: list[str]) -> Network:
    if not isinstance(raw, dict):
        raise InputError(file, "a network is a mapping with name, cidr and members", "", where)
    _no_unknown(raw, NET_KEYS, file, where)
    name = raw.get("name")
    if not isinstance(name, str) or not NET_NAME_RE.match(name) or name == MGMT:
        raise InputError(
            file,
            f"network name {name!r} is not usable",
            "use lower-case letters, digits or '-' (not 'mgmt')",
            f"{where}/name",
        )
    if "cidr" not in raw:
        raise InputError(file, f"network {name!r} has no 'cidr'", "", where)
    cidr = _cidr(raw["cidr"], file, f"{where}/cidr")
    members_raw = raw.get("members")
    if isinstance(members_raw, list):
        free = iter(cidr.hosts())
        pairs = [(h, next(free, None)) for h in members_raw]
    elif isinstance(members_raw, dict):
        pairs = list(members_raw.items())
    else:
        raise InputError(
            file,
            f"network {name!r} needs 'members' (a list or host: address)",
            "",
            f"{where}/members",
        )
    # A network served by a router alone (a zone with no hosts yet) is a segment too.
    if len(pairs) < 2 and not (len(pairs) == 1 and pairs[0][0] in routers):
        raise InputError(file, f"network {name!r} needs at least two members", "", f"{where}/members")
    members: dict[str, ipaddress.IPv4Address] = {}
    for host, addr_raw in pairs:
        place = f"{where}/members/{host}"
        if host not in hosts:
            raise InputError(file, f"{host!r} is not one of the hosts", "", place)
        if host in members:
            raise InputError(file, f"{host!r} is a member twice", "", place)
        if addr_raw is None:
            raise InputError(file, f"{cidr} has too few addresses for the members", "", place)
        addr = _address(addr_raw, cidr, file, place)
        if addr in members.values():
            raise InputError(file, f"{addr} is given to two members", "", place)
        members[host] = addr
    return Network(name, cidr, members)


def _distinct(networks: list[Network], file: str) -> None:
    for i, net in enumerate(networks):
        for other in networks[:i]:
            if net.name == other.name:
                raise InputError(
                    file, f"network name {net.name!r} is used twice", "", f"/networks/{i - 1}/name"
                )
            if net.cidr.overlaps(other.cidr):
                raise InputError(
                    file,
                    f"{net.cidr} overlaps {other.cidr} of {other.name!r}",
                    "give each network its own range",
                    f"/networks/{i - 1}/cidr",
                )


def _groups(raw: Any, hosts: list[str], file: str) -> dict[str, list[str]]:
    if not isinstance(raw, dict):
        raise InputError(file, "'groups' must map a group name to a list of hosts", "", "/groups")
    groups: dict[str, list[str]] = {}
    for name, members in raw.items():
        where = f"/groups/{name}"
        if not isinstance(name, str) or not re.match(r"^[a-z][a-z0-9_]*$", name) or name == "all":
            raise InputError(
                file,
                f"group name {name!r} is not usable",
                "use lower-case letters, digits or '_' (Ansible group names)",
                where,
            )
        if name in hosts:
            raise InputError(
                file,
                f"group {name!r} has the same name as a host",
                "Ansible needs distinct names",
                where,
            )
        if not isinstance(members, list) or not members:
            raise InputError(file, f"group {name!r} must be a non-empty list of hosts", "", where)
        for host in members:
            if host not in hosts:
                raise InputError(file, f"{host!r} in group {name!r} is not one of the hosts", "", where)
        groups[name] = [str(h) for h in members]
    return groups
