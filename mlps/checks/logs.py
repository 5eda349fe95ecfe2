"""Cross-field checks of central log audit and the management zone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlps.checks.registry import Problem, Spec, items, register, section


def _with_role(spec: Spec, role: str) -> list[tuple[int, dict[str, Any]]]:
    return [
        (i, host)
        for i, host in items(spec, "hosts")
        if isinstance(host.get("roles"), list) and role in host["roles"]
    ]


def log_servers_redundant(spec: Spec, level: int) -> Iterator[Problem]:
    """At least two hosts run log_audit_server, so every record has a second copy."""
    servers = _with_role(spec, "log_audit_server")
    if len(servers) < 2:
        yield (
            "/hosts",
            f"仅有 {len(servers)} 台主机承担 log_audit_server 角色，审计记录没有第二份副本；"
            "至少需要两台日志审计服务器。",
            f"Only {len(servers)} host(s) run the log_audit_server role, so audit records have "
            "no second copy; at least two log audit servers are needed.",
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


register(log_servers_redundant, management_zone_layout)
