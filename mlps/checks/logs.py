"""Cross-field checks of central log audit and the management zone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlps.checks.registry import Problem, Spec, items, register, section
from mlps.normalise import fold, normal_address


def _with_role(spec: Spec, role: str) -> list[tuple[int, dict[str, Any]]]:
    return [
        (i, host)
        for i, host in items(spec, "hosts")
        if isinstance(host.get("roles"), list) and role in host["roles"]
    ]


def log_servers_redundant(spec: Spec, level: int) -> Iterator[Problem]:
    """At least two distinct hosts run log_audit_server, so every record has a second copy:
    a server whose normalised name or address repeats an earlier one is the same server (a
    missing name or address matches nothing)."""
    servers = _with_role(spec, "log_audit_server")
    names: dict[str, str] = {}
    addresses: dict[str, str] = {}
    distinct = 0
    for i, host in servers:
        name, address = fold(host.get("name", "")), normal_address(host.get("address", ""))
        seen = (names.get(name) if name else None) or (addresses.get(address) if address else None)
        if seen is not None:
            yield (
                f"/hosts/{i}",
                f"日志审计服务器 {host.get('name')}（{host.get('address')}）与 {seen} 是同一台"
                "（名称或地址相同），不构成第二份副本；为它配置不同的主机名和地址。",
                f"Log audit server {host.get('name')} ({host.get('address')}) is the same "
                f"server as {seen} (same name or address), so it is no second copy; give it its "
                "own host name and address.",
            )
            continue
        distinct += 1
        names[name] = addresses[address] = f"/hosts/{i}"
    if distinct < 2:
        yield (
            "/hosts",
            f"仅有 {distinct} 台主机承担 log_audit_server 角色，审计记录没有第二份副本；"
            "至少需要两台日志审计服务器。",
            f"Only {distinct} host(s) run the log_audit_server role, so audit records have "
            "no second copy; at least two log audit servers are needed.",
        )


LOSSLESS_QUEUE = 100_000
"""Messages a forwarder's disk-assisted queue holds before syslog over TLS may lose records."""


def log_transport_assured(spec: Spec, level: int) -> Iterator[Problem]:
    """Audit records travel authenticated (mutual TLS), encrypted and without loss (RELP over
    TLS, or syslog over TLS behind a disk-assisted queue)."""
    logs = section(spec, "log_audit")
    if logs.get("enabled", True) is False:
        return
    if logs.get("mutual_tls", True) is not True:
        yield (
            "/log_audit/mutual_tls",
            "log_audit.mutual_tls 为 false：日志服务器不核验转发方证书，任何主机都能冒名写入审计"
            "记录；设置 mutual_tls: true。",
            "log_audit.mutual_tls is false: the log servers do not check the forwarders' "
            "certificates, so any host can write audit records under another's name; set "
            "mutual_tls: true.",
        )
    queue = logs.get("queue_size", 1_000_000)
    if (logs.get("transport") == "syslog-tls" and isinstance(queue, int)
            and queue < LOSSLESS_QUEUE):
        yield (
            "/log_audit/queue_size",
            f"syslog-tls 没有应用层确认，磁盘队列仅 {queue} 条，服务器不可达时会丢失审计记录；"
            f"改用 transport: relp-tls，或把 queue_size 设为至少 {LOSSLESS_QUEUE}。",
            f"syslog-tls has no application-level acknowledgement and the disk-assisted queue "
            f"holds only {queue} messages, so records are lost while a server is unreachable; "
            f"use transport: relp-tls, or set queue_size to at least {LOSSLESS_QUEUE}.",
        )


def management_zone_layout(spec: Spec, level: int) -> Iterator[Problem]:
    """A management zone exists and holds the bastion and every log audit server."""
    kinds = {
        zone.get("name"): zone.get("kind")
        for _, zone in items(spec, "zones")
        if isinstance(zone.get("name"), str)
    }
    if "management" not in kinds.values():
        yield (
            "/zones",
            "未定义 kind 为 management 的管理区，堡垒机与日志审计无处集中部署。",
            "No zone of kind management is defined; the bastion and log audit have no "
            "dedicated place.",
        )
        return
    bastion = section(spec, "bastion")
    zone = bastion.get("zone")
    if bastion.get("enabled", True) and isinstance(zone, str) and kinds.get(zone) != "management":
        yield (
            "/bastion/zone",
            f"堡垒机位于区域 {zone}，该区域不是管理区。",
            f"The bastion sits in zone {zone}, which is not a management zone.",
        )
    for role in ("bastion", "log_audit_server"):
        for i, host in _with_role(spec, role):
            where = host.get("zone")
            if isinstance(where, str) and where in kinds and kinds[where] != "management":
                yield (
                    f"/hosts/{i}/zone",
                    f"{role} 主机 {host.get('name')} 位于非管理区 {where}，应放入管理区。",
                    f"{role} host {host.get('name')} is in zone {where}, which is not a "
                    "management zone; move it into one.",
                )


register(log_servers_redundant, log_transport_assured, management_zone_layout)
