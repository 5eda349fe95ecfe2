"""Administration paths: which zones may reach administrative ports of which other zones.

``ADMIN_PORTS`` is the list of administrative services (remote shells and desktops, remote
management, database administration, out-of-band management, cluster control planes). A flow
whose protocol and ports overlap one of them is an administrative path:

- into a zone of kind ``core`` or ``storage`` only from the bastion's zone (``bastion.zone``);
  a second management zone reaching core directly bypasses the bastion's MFA and recording;
- into any other zone only from a zone of kind ``management``, except SSH (tcp 22) into the
  bastion's zone from networks inside ``bastion.allowed_sources`` (the administrators'
  terminals reaching the bastion);
- into a zone of kind ``core`` or ``storage`` from anywhere but the bastion's zone (and the
  zone itself), only to ports something in that zone serves (``served_ports``): a workload's
  ``port`` and its Service port (443, or 80 when ``tls`` is false; UDP 443 as well for a TLS
  workload, HTTP/3), and the service port of a host role there (object_storage S3 8333,
  log_audit_server 2514). Any other port can only be administration under a port the table
  does not know, or a service nobody declared; either way the flow is a finding;
- ``bastion.allowed_sources`` never covers a server zone (core, storage, dmz, edge,
  application): administrator terminals live in office or management networks.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mlps.checks.registry import Problem, Spec, items, register, section
from mlps.roles import roles


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
    AdminPort("NetBIOS name/datagram", "udp", 137, 138),
    AdminPort("NetBIOS session (SMB over NetBIOS)", "tcp", 139, 139),
    AdminPort("SNMP", "udp", 161, 162),
    AdminPort("SMB (administrative shares, PsExec)", "tcp", 445, 445),
    AdminPort("rexec/rlogin/rsh", "tcp", 512, 514),
    AdminPort("IPMI (RMCP)", "udp", 623, 623),
    AdminPort("IPMI (RMCP)", "tcp", 623, 623),
    AdminPort("NETCONF over SSH (routers, switches)", "tcp", 830, 830),
    AdminPort("Oracle Enterprise Manager (DB Control)", "tcp", 1158, 1158),
    AdminPort("Microsoft SQL Server", "tcp", 1433, 1433),
    AdminPort("Microsoft SQL Server browser", "udp", 1434, 1434),
    AdminPort("Oracle listener", "tcp", 1521, 1521),
    AdminPort("Oracle listener (alternative port)", "tcp", 1522, 1522),
    AdminPort("SSH (alternative port)", "tcp", 2022, 2022),
    AdminPort("SSH (alternative port)", "tcp", 2222, 2222),
    AdminPort("Docker API", "tcp", 2375, 2376),
    AdminPort("etcd", "tcp", 2379, 2380),
    AdminPort("Oracle listener (TCPS)", "tcp", 2483, 2484),
    AdminPort("MySQL/MariaDB", "tcp", 3306, 3306),
    AdminPort("RDP", "tcp", 3389, 3389),
    AdminPort("RDP (alternative port)", "tcp", 3390, 3390),
    AdminPort("RDP", "udp", 3389, 3389),
    AdminPort("GlassFish/Payara administration", "tcp", 4848, 4848),
    AdminPort("DM (达梦) database", "tcp", 5236, 5236),
    AdminPort("PostgreSQL/openGauss", "tcp", 5432, 5432),
    AdminPort("Oracle Enterprise Manager Express", "tcp", 5500, 5500),
    AdminPort("VNC over HTTP", "tcp", 5800, 5810),
    AdminPort("VNC", "tcp", 5900, 5910),
    AdminPort("TeamViewer", "tcp", 5938, 5938),
    AdminPort("TeamViewer", "udp", 5938, 5938),
    AdminPort("WinRM", "tcp", 5985, 5986),
    AdminPort("X11", "tcp", 6000, 6063),
    AdminPort("Redis", "tcp", 6379, 6379),
    AdminPort("NETCONF over TLS", "tcp", 6513, 6513),
    AdminPort("Kubernetes API", "tcp", 6443, 6443),
    AdminPort("WebLogic administration", "tcp", 7001, 7002),
    AdminPort("Proxmox VE", "tcp", 8006, 8006),
    AdminPort("Cockpit", "tcp", 9090, 9090),
    AdminPort("WildFly/JBoss administration", "tcp", 9990, 9990),
    AdminPort("Webmin", "tcp", 10000, 10000),
    AdminPort("SSH (alternative port)", "tcp", 10022, 10022),
    AdminPort("kubelet", "tcp", 10250, 10250),
    AdminPort("kubelet (read-only)", "tcp", 10255, 10255),
    AdminPort("RDP (alternative port)", "tcp", 13389, 13389),
    AdminPort("RabbitMQ management", "tcp", 15672, 15672),
    AdminPort("SSH (alternative port)", "tcp", 22222, 22222),
    AdminPort("MongoDB", "tcp", 27017, 27019),
    AdminPort("MySQL X protocol", "tcp", 33060, 33060),
    AdminPort("DB2", "tcp", 50000, 50000),
    AdminPort("KingbaseES (人大金仓)", "tcp", 54321, 54321),
)
"""Administrative services, by protocol and port range (documented in SMC-CEN-02)."""

ROLE_SERVICE_PORTS: dict[str, tuple[int, ...]] = {
    role.name: tuple(s.port for s in role.serves if s.protocol == "tcp") for role in roles()}
"""Client-facing TCP service ports of host roles (``serves`` in ``mlps/roles.yaml``: object
storage S3, log audit RELP/TLS); cluster-internal and administrative ports are not listed."""

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
            first, _, last = (part.strip() for part in port.partition("-"))
            if all(p.isascii() and p.isdigit() for p in (first, last or first)):  # not '²' or '٣'
                low, high = int(first), int(last or first)
                out.append((min(low, high), max(low, high)))
    return out


def admin_services(flow: dict[str, Any]) -> list[AdminPort]:
    """Every administrative service whose protocol matches the flow and whose ports overlap."""
    protocol = str(flow.get("protocol", "tcp"))
    ranges = _port_ranges(flow)
    return [a for a in ADMIN_PORTS if a.protocol == protocol
            and any(low <= a.last and a.first <= high for low, high in ranges)]


def served_ports(spec: Spec, zone: str) -> dict[str, set[int]]:
    """The ports, by protocol, something in ``zone`` declares it serves: every workload's
    ``port`` (default 8080) and its Service port (443, 80 when ``tls`` is false) over TCP, and
    443 over UDP too for a TLS workload (HTTP/3); and the service ports of the roles of its
    hosts (``ROLE_SERVICE_PORTS``, TCP)."""
    served: dict[str, set[int]] = {"tcp": set(), "udp": set()}
    for _, workload in items(spec, "workloads"):
        if workload.get("zone") != zone:
            continue
        port = workload.get("port", 8080)
        if isinstance(port, int) and not isinstance(port, bool):
            served["tcp"].add(port)
        tls = workload.get("tls", True) is not False
        served["tcp"].add(443 if tls else 80)
        if tls:
            served["udp"].add(443)
    for _, host in items(spec, "hosts"):
        roles = host.get("roles")
        if host.get("zone") == zone and isinstance(roles, list):
            for role in roles:
                served["tcp"].update(ROLE_SERVICE_PORTS.get(str(role), ()))
    return served


def unserved_ports(flow: dict[str, Any], served: dict[str, set[int]]) -> list[str]:
    """The flow's ports (single or FIRST-LAST) that reach something not in ``served`` for the
    flow's protocol (tcp when not given)."""
    ports = served.get(str(flow.get("protocol", "tcp")), set())
    out: list[str] = []
    for low, high in _port_ranges(flow):
        covered = sum(1 for p in ports if low <= p <= high)
        if covered < high - low + 1:
            out.append(str(low) if low == high else f"{low}-{high}")
    return out


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
            source = flow["from"]
            if source == name:
                continue  # traffic inside a zone crosses no boundary (ABS-ACL-02 flags the rule)
            pointer = f"/zones/{i}/ingress/{j}/from"
            if not services:
                if kind in BASTION_ONLY_KINDS and source != bastion_zone:
                    yield from _undeclared(spec, pointer, flow, str(name), str(kind), source,
                                           bastion_zone)
                continue
            src = zones.get(source)
            what = ", ".join(s.label() for s in services)
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


def _undeclared(spec: Spec, pointer: str, flow: dict[str, Any], name: str, kind: str,
                source: str, bastion_zone: Any) -> Iterator[Problem]:
    """A flow into core or storage from outside the bastion's zone to ports nothing there
    serves."""
    ports = unserved_ports(flow, served_ports(spec, name))
    if not ports:
        return
    protocol = str(flow.get("protocol", "tcp"))
    what = f"{protocol} {', '.join(ports)}"
    yield (
        pointer,
        f"{kind} 区域 {name} 向 {source} 开放了 {what}，但该区域没有应用（workloads 的 port 及其 "
        "Service 端口 443/80）或主机角色声明提供这些端口的服务：从堡垒机所在区域以外进入核心区、存储区"
        "的流量只能到达区内应用实际提供的端口，其他端口只能是管理流量或未声明的服务。管理流量请改经"
        f"堡垒机（所在区域 {bastion_zone}）；若是业务服务，请在 workloads 中声明提供它的应用"
        "（zone 与 port）。",
        f"Zone {name} ({kind}) opens {what} to {source}, but no workload in the zone (a "
        "workload's port or its Service port 443/80) or host role there declares a service on "
        "those ports: traffic into core and storage from outside the bastion's zone reaches only "
        "ports a workload there serves, and any other port is administration or an undeclared "
        f"service. Route administration through the bastion (zone {bastion_zone}), or declare the "
        "workload that serves the port (its zone and port) under workloads.",
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
