"""Administration paths: which zones may reach administrative ports of which other zones.

``ADMIN_PORTS`` is the list of administrative services (remote shells and desktops, remote
management, database administration, out-of-band management, cluster control planes). A flow
whose protocol and ports overlap one of them is an administrative path:

- into a zone of kind ``core`` or ``storage`` only from the bastion's zone (``bastion.zone``);
  a second management zone reaching core directly bypasses the bastion's MFA and recording;
- into any other zone only from a zone of kind ``management``, except SSH (tcp 22) into the
  bastion's zone from networks inside ``bastion.allowed_sources`` (the administrators'
  terminals reaching the bastion);
- ``bastion.allowed_sources`` never covers a server zone (core, storage, dmz, edge,
  application): administrator terminals live in office or management networks.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mlps.checks.registry import Problem, Spec, items, register, section


@dataclass(frozen=True)
class AdminPort:
    """One administrative service: its name, transport protocol and port range (inclusive)."""

    name: str
    protocol: str
    first: int
    last: int

    def label(self) -> str:
        ports = str(self.first) if self.first == self.last else f"{self.first}-{self.last}"
        return f"{self.name} ({self.protocol} {ports})"


ADMIN_PORTS: tuple[AdminPort, ...] = (
    AdminPort("SSH", "tcp", 22, 22),
    AdminPort("Telnet", "tcp", 23, 23),
    AdminPort("WMI/DCOM (RPC endpoint mapper)", "tcp", 135, 135),
    AdminPort("SNMP", "udp", 161, 162),
    AdminPort("SMB (administrative shares, PsExec)", "tcp", 445, 445),
    AdminPort("rexec/rlogin/rsh", "tcp", 512, 514),
    AdminPort("IPMI (RMCP)", "udp", 623, 623),
    AdminPort("IPMI (RMCP)", "tcp", 623, 623),
    AdminPort("Microsoft SQL Server", "tcp", 1433, 1433),
    AdminPort("Microsoft SQL Server browser", "udp", 1434, 1434),
    AdminPort("Oracle listener", "tcp", 1521, 1521),
    AdminPort("SSH (alternative port)", "tcp", 2222, 2222),
    AdminPort("Docker API", "tcp", 2375, 2376),
    AdminPort("etcd", "tcp", 2379, 2380),
    AdminPort("MySQL/MariaDB", "tcp", 3306, 3306),
    AdminPort("RDP", "tcp", 3389, 3389),
    AdminPort("RDP", "udp", 3389, 3389),
    AdminPort("DM (达梦) database", "tcp", 5236, 5236),
    AdminPort("PostgreSQL/openGauss", "tcp", 5432, 5432),
    AdminPort("VNC", "tcp", 5900, 5910),
    AdminPort("WinRM", "tcp", 5985, 5986),
    AdminPort("X11", "tcp", 6000, 6063),
    AdminPort("Redis", "tcp", 6379, 6379),
    AdminPort("Kubernetes API", "tcp", 6443, 6443),
    AdminPort("Cockpit", "tcp", 9090, 9090),
    AdminPort("Webmin", "tcp", 10000, 10000),
    AdminPort("kubelet", "tcp", 10250, 10250),
    AdminPort("MongoDB", "tcp", 27017, 27019),
    AdminPort("KingbaseES (人大金仓)", "tcp", 54321, 54321),
)
"""Administrative services, by protocol and port range (documented in SMC-CEN-02)."""

SERVER_KINDS = ("core", "storage", "dmz", "edge", "application")
BASTION_ONLY_KINDS = ("core", "storage")
SSH = ADMIN_PORTS[0]


def _port_ranges(flow: dict[str, Any]) -> list[tuple[int, int]]:
    """The flow's ports as inclusive ranges: an integer, or a "FIRST-LAST" string."""
    ports = flow.get("ports")
    ports = ports if isinstance(ports, list) else [ports]
    out: list[tuple[int, int]] = []
    for port in ports:
        if isinstance(port, bool):
            continue
        if isinstance(port, int):
            out.append((port, port))
        elif isinstance(port, str):
            first, _, last = port.partition("-")
            if first.strip().isdigit() and (last or first).strip().isdigit():
                low, high = int(first), int(last or first)
                out.append((min(low, high), max(low, high)))
    return out


def admin_services(flow: dict[str, Any]) -> list[AdminPort]:
    """Every administrative service whose protocol matches the flow and whose ports overlap."""
    protocol = str(flow.get("protocol", "tcp"))
    ranges = _port_ranges(flow)
    return [a for a in ADMIN_PORTS if a.protocol == protocol
            and any(low <= a.last and a.first <= high for low, high in ranges)]


def _network(value: Any) -> ipaddress.IPv4Network | None:
    """The network ``value`` names, or None; callers treat None as outside every network
    (fail closed) or report it (the input rules refuse such a spec before any check runs)."""
    try:
        return ipaddress.IPv4Network(value, strict=False) if isinstance(value, str) else None
    except ValueError:
        return None


def _zones(spec: Spec) -> dict[str, dict[str, Any]]:
    zones: dict[str, dict[str, Any]] = {}
    for _, zone in items(spec, "zones"):
        if isinstance(zone.get("name"), str):
            zones.setdefault(zone["name"], zone)
    return zones


def _from_terminals(spec: Spec, source: dict[str, Any] | None) -> bool:
    """The source zone lies inside one of bastion.allowed_sources."""
    net = _network(source.get("cidr")) if source else None
    sources = section(spec, "bastion").get("allowed_sources")
    allowed = list(map(_network, sources)) if isinstance(sources, list) else []
    return net is not None and any(a is not None and net.subnet_of(a) for a in allowed)


def admin_paths_via_bastion(spec: Spec, level: int) -> Iterator[Problem]:
    """Administrative ports of core and storage zones open only to the bastion's zone; of any
    other zone only to management zones (SSH to the bastion also from its allowed sources)."""
    zones = _zones(spec)
    bastion_zone = section(spec, "bastion").get("zone")
    for i, zone in items(spec, "zones"):
        ingress = zone.get("ingress")
        if not isinstance(ingress, list):
            continue
        name, kind = zone.get("name"), zone.get("kind")
        for j, flow in enumerate(ingress):
            if not isinstance(flow, dict) or not isinstance(flow.get("from"), str):
                continue
            services = admin_services(flow)
            if not services:
                continue
            source = flow["from"]
            if source == name:
                continue  # traffic inside a zone crosses no boundary (ABS-ACL-02 flags the rule)
            src = zones.get(source)
            what = ", ".join(s.label() for s in services)
            pointer = f"/zones/{i}/ingress/{j}/from"
            if kind in BASTION_ONLY_KINDS:
                if source == bastion_zone:
                    continue
                yield (
                    pointer,
                    f"{kind} 区域 {name} 向 {source} 开放了管理端口 {what}；核心区与存储区的管理"
                    f"访问只能来自堡垒机所在区域 {bastion_zone}。删除该规则，改经堡垒机管理。",
                    f"Zone {name} ({kind}) opens administrative ports {what} to {source}; "
                    f"administrative access to core and storage zones comes only from the "
                    f"bastion's zone {bastion_zone}. Remove this flow and administer through "
                    "the bastion.",
                )
                continue
            if src is not None and src.get("kind") == "management":
                continue
            if (name == bastion_zone and services == [SSH] and src is not None
                    and _from_terminals(spec, src)):
                continue
            yield (
                pointer,
                f"区域 {name} 向非管理区 {source} 开放了管理端口 {what}；管理流量只能来自管理区"
                "（堡垒机所在区域另可接受来自 bastion.allowed_sources 内网络的 SSH 22）。"
                "删除该规则，改经堡垒机管理。",
                f"Zone {name} opens administrative ports {what} to {source}, which is not a "
                "management zone; management traffic comes only from management zones (the "
                "bastion's zone also accepts SSH on 22 from networks inside "
                "bastion.allowed_sources). Remove this flow and administer through the bastion.",
            )


def admin_terminals_not_servers(spec: Spec, level: int) -> Iterator[Problem]:
    """No network of bastion.allowed_sources overlaps a server zone."""
    sources = section(spec, "bastion").get("allowed_sources")
    if not isinstance(sources, list):
        return
    for k, value in enumerate(sources):
        net = _network(value)
        if net is None:
            if isinstance(value, str):  # the input rules refuse it; never skip quietly
                yield (
                    f"/bastion/allowed_sources/{k}",
                    f"bastion.allowed_sources 中的 {value} 无法解析为网络，无法检查它是否覆盖服务器区域。",
                    f"bastion.allowed_sources entry {value} cannot be parsed as a network, so "
                    "whether it covers a server zone cannot be checked.",
                )
            continue
        for _, zone in items(spec, "zones"):
            zone_net = _network(zone.get("cidr"))
            if zone.get("kind") in SERVER_KINDS and zone_net is not None and net.overlaps(zone_net):
                yield (
                    f"/bastion/allowed_sources/{k}",
                    f"bastion.allowed_sources 中的 {net} 覆盖了服务器区域 {zone.get('name')}"
                    f"（{zone.get('kind')}，{zone_net}）；管理终端只能位于办公区或管理区，"
                    "应改为管理员终端所在网段。",
                    f"bastion.allowed_sources entry {net} covers server zone {zone.get('name')} "
                    f"({zone.get('kind')}, {zone_net}); administrator terminals live only in "
                    "office or management networks: narrow it to the administrators' network.",
                )
                break


register(admin_paths_via_bastion, admin_terminals_not_servers)
