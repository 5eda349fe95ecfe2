"""Cross-field checks of zones, flows and dedicated lines."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from mlps.carriers import carrier_key
from mlps.checks.registry import Problem, Spec, items, register, section
from mlps.normalise import fold, normal_address

SSH_PORT = 22


def _network(value: Any) -> ipaddress.IPv4Network | None:
    if not isinstance(value, str):
        return None
    return _parse_network(value)


@lru_cache(maxsize=4096)
def _parse_network(value: str) -> ipaddress.IPv4Network | None:
    try:
        return ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        return None


def _zones(spec: Spec) -> dict[str, dict[str, Any]]:
    """Zones by name (first one wins when a name repeats)."""
    zones: dict[str, dict[str, Any]] = {}
    for _, zone in items(spec, "zones"):
        name = zone.get("name")
        if isinstance(name, str):
            zones.setdefault(name, zone)
    return zones


def _flows(spec: Spec) -> Iterator[tuple[str, dict[str, Any], str, dict[str, Any]]]:
    """(pointer, destination zone, flow source, flow) for every ingress flow."""
    for i, zone in items(spec, "zones"):
        ingress = zone.get("ingress")
        if not isinstance(ingress, list):
            continue
        for j, flow in enumerate(ingress):
            if isinstance(flow, dict) and isinstance(flow.get("from"), str):
                yield f"/zones/{i}/ingress/{j}", zone, flow["from"], flow


def _ports(flow: dict[str, Any]) -> set[int]:
    ports = flow.get("ports")
    return {p for p in ports if isinstance(p, int)} if isinstance(ports, list) else set()


def zones_well_formed(spec: Spec, level: int) -> Iterator[Problem]:
    """Zone names unique, zone CIDRs disjoint, every host inside its own zone's CIDR."""
    seen: dict[str, int] = {}
    nets: list[tuple[int, str, ipaddress.IPv4Network]] = []
    for i, zone in items(spec, "zones"):
        name = zone.get("name")
        if isinstance(name, str):
            if name in seen:
                yield (
                    f"/zones/{i}/name",
                    f"区域名称 {name} 与 /zones/{seen[name]} 重复，区域名称必须唯一。",
                    f"Zone name {name} repeats /zones/{seen[name]}; zone names must be unique.",
                )
            else:
                seen[name] = i
        net = _network(zone.get("cidr"))
        if net is None:
            if isinstance(zone.get("cidr"), str):  # the input rules refuse it; never skip quietly
                yield (
                    f"/zones/{i}/cidr",
                    f"区域 {name} 的地址段 {zone['cidr']} 无法解析，无法检查重叠与主机归属。",
                    f"Zone {name}'s CIDR {zone['cidr']} cannot be parsed, so overlap and host "
                    "placement cannot be checked.",
                )
            continue
        for j, other_name, other in nets:
            if net.overlaps(other):
                yield (
                    f"/zones/{i}/cidr",
                    f"区域 {name} 的地址段 {net} 与区域 {other_name}"
                    f"（/zones/{j}）的 {other} 重叠。",
                    f"Zone {name}'s CIDR {net} overlaps {other} of zone {other_name} "
                    f"(/zones/{j}).",
                )
        nets.append((i, str(name), net))
    zones = _zones(spec)
    for i, host in items(spec, "hosts"):
        zone_name = host.get("zone")
        home = zones.get(zone_name) if isinstance(zone_name, str) else None
        if home is None:
            yield (
                f"/hosts/{i}/zone",
                f"主机 {host.get('name')} 所属区域 {zone_name} 未在 zones 中定义。",
                f"Host {host.get('name')} is in zone {zone_name}, which zones does not define.",
            )
            continue
        net = _network(home.get("cidr"))
        address = host.get("address")
        try:
            ip = ipaddress.IPv4Address(address) if isinstance(address, str) else None
        except ValueError:  # the input rules refuse it; never skip quietly
            yield (
                f"/hosts/{i}/address",
                f"主机 {host.get('name')} 的地址 {address} 无法解析，无法检查其是否在区域内。",
                f"Host {host.get('name')} address {address} cannot be parsed, so whether it "
                "lies in its zone cannot be checked.",
            )
            continue
        if net is not None and ip is not None and ip not in net:
            yield (
                f"/hosts/{i}/address",
                f"主机 {host.get('name')} 的地址 {ip} 不在其区域 {zone_name} 的地址段 {net} 内。",
                f"Host {host.get('name')} address {ip} is outside its zone {zone_name} ({net}).",
            )


def hosts_distinct(spec: Spec, level: int) -> Iterator[Problem]:
    """Each host has its own name and its own address: two entries sharing either (names
    compared folded, addresses in canonical form) are one machine configured twice, and the
    inventory, certificates and known_hosts keyed by them would merge or clash."""
    names: dict[str, int] = {}
    addresses: dict[str, int] = {}
    for i, host in items(spec, "hosts"):
        name, address = host.get("name"), host.get("address")
        if isinstance(name, str):
            first = names.setdefault(fold(name), i)
            if first != i:
                yield (
                    f"/hosts/{i}/name",
                    f"主机名 {name}（/hosts/{i}/name）与 /hosts/{first}/name 相同（忽略大小写、"
                    "空白与不可见字符后）；为每台主机起唯一的名称，或删除重复的条目。",
                    f"Host name {name} (/hosts/{i}/name) is the same as /hosts/{first}/name "
                    "(ignoring case, spaces and invisible characters); give each host its own "
                    "name, or remove the repeated entry.",
                )
        if isinstance(address, str):
            first = addresses.setdefault(normal_address(address), i)
            if first != i:
                yield (
                    f"/hosts/{i}/address",
                    f"主机 {name} 的地址 {address}（/hosts/{i}/address）与 "
                    f"/hosts/{first}/address 相同，两条记录是同一台机器；为它分配区域内未被占用的"
                    "地址，或删除重复的条目。",
                    f"Host {name} address {address} (/hosts/{i}/address) is the same as "
                    f"/hosts/{first}/address, so both entries are one machine; give it a free "
                    "address in its zone, or remove the repeated entry.",
                )


def flows_known_zones(spec: Spec, level: int) -> Iterator[Problem]:
    """Every flow comes from a zone the spec defines, or from `internet`."""
    zones = _zones(spec)
    for pointer, zone, source, _ in _flows(spec):
        if source != "internet" and source not in zones:
            yield (
                f"{pointer}/from",
                f"进入区域 {zone.get('name')} 的访问来源 {source} 不是已定义的区域，"
                "跨边界访问只能来自已知区域。",
                f"A flow into zone {zone.get('name')} comes from {source}, which is not a "
                "defined zone; cross-boundary traffic must come from known zones.",
            )


def flows_minimal(spec: Spec, level: int) -> Iterator[Problem]:
    """No flow repeats another one's source, protocol and ports; no zone admits itself."""
    for i, zone in items(spec, "zones"):
        ingress = zone.get("ingress")
        if not isinstance(ingress, list):
            continue
        seen: list[tuple[int, str, str, set[int]]] = []
        for j, flow in enumerate(ingress):
            if not isinstance(flow, dict):
                continue
            source = flow.get("from")
            protocol = str(flow.get("protocol", "tcp"))
            ports = _ports(flow)
            if source == zone.get("name"):
                yield (
                    f"/zones/{i}/ingress/{j}/from",
                    f"区域 {source} 的入站规则允许来自自身的流量，"
                    "区域内部通信无需边界规则，应删除。",
                    f"Zone {source} admits traffic from itself; traffic inside a zone needs no "
                    "boundary rule, remove it.",
                )
            for k, other_source, other_protocol, other_ports in seen:
                shared = ports & other_ports
                if other_source == source and other_protocol == protocol and shared:
                    yield (
                        f"/zones/{i}/ingress/{j}",
                        f"该规则与 /zones/{i}/ingress/{k} 重复（来源 {source}，{protocol} 端口 "
                        f"{sorted(shared)}），应合并或删除多余规则。",
                        f"This flow repeats /zones/{i}/ingress/{k} (from {source}, {protocol} "
                        f"ports {sorted(shared)}); merge or remove the redundant rule.",
                    )
                    break
            seen.append((j, str(source), protocol, ports))


def ssh_only_from_management(spec: Spec, level: int) -> Iterator[Problem]:
    """SSH (22/tcp) into a zone only from a management zone; into the bastion's zone also
    from networks inside bastion.allowed_sources."""
    zones = _zones(spec)
    bastion = section(spec, "bastion")
    sources = bastion.get("allowed_sources")
    nets = map(_network, sources) if isinstance(sources, list) else iter(())
    allowed = [n for n in nets if n is not None]
    for pointer, zone, source, flow in _flows(spec):
        if str(flow.get("protocol", "tcp")) != "tcp" or SSH_PORT not in _ports(flow):
            continue
        src = zones.get(source)
        if src is not None and src.get("kind") == "management":
            continue
        if src is not None and zone.get("name") == bastion.get("zone"):
            net = _network(src.get("cidr"))
            if net is not None and any(net.subnet_of(a) for a in allowed):
                continue
        yield (
            f"{pointer}/from",
            f"区域 {zone.get('name')} 允许来自 {source} 的 SSH；管理流量只能来自管理区"
            "（堡垒机所在区域另可来自 bastion.allowed_sources 内的网络）。",
            f"Zone {zone.get('name')} admits SSH from {source}; management traffic may only "
            "come from a management zone (the bastion's zone also from networks inside "
            "bastion.allowed_sources).",
        )


_CARRIER_HINT_ZH = (
    "请把其中一条换成另一家运营商的线路；城市或省级分公司、法定名称、繁体写法、简称与网络名"
    "（如 杭州电信、中国电信股份有限公司浙江分公司、中國電信、CT、CN2）都算该运营商本身，"
    "歌华有线、东方有线、长城宽带、鹏博士、华数各算一家。")
_CARRIER_HINT_EN = (
    "Take one of the lines from another carrier; a city or provincial branch, legal name, "
    "traditional spelling, short name or network name (杭州电信, 中国电信股份有限公司浙江分公司, "
    "中國電信, CT, CN2) is the carrier itself, while 歌华有线, 东方有线, 长城宽带, 鹏博士 and 华数 "
    "each count as a carrier of their own.")


def links_distinct_carriers(spec: Spec, level: int) -> Iterator[Problem]:
    """Hybrid layout: the dedicated lines come from at least two different carriers."""
    if spec.get("layout") != "hybrid":
        return
    lines = items(spec, "links")
    carriers = {carrier_key(str(line.get("carrier", ""))) for _, line in lines}
    if len(lines) >= 2 and len(carriers) < 2:
        i = lines[1][0]
        yield (
            f"/links/{i}/carrier",
            "所有专线来自同一运营商，单一运营商故障会同时中断全部线路；"
            "至少两条专线应来自不同运营商。" + _CARRIER_HINT_ZH,
            "Every dedicated line comes from the same carrier, so one carrier outage cuts them "
            "all; at least two lines must come from different carriers. " + _CARRIER_HINT_EN,
        )


def _bandwidth(line: dict[str, Any], key: str) -> int | None:
    bandwidth = line.get("bandwidth_mbps")
    value = bandwidth.get(key) if isinstance(bandwidth, dict) else None
    return value if isinstance(value, int) else None


def backup_line_bandwidth(spec: Spec, level: int) -> Iterator[Problem]:
    """A backup line carries at least half of the largest primary line's bandwidth."""
    lines = items(spec, "links")
    for key in ("up", "down"):
        primary = [
            b
            for _, line in lines
            if line.get("role") == "primary" and (b := _bandwidth(line, key)) is not None
        ]
        if not primary:
            continue
        need = max(primary)
        for i, line in lines:
            have = _bandwidth(line, key)
            if line.get("role") == "backup" and have is not None and 2 * have < need:
                yield (
                    f"/links/{i}/bandwidth_mbps/{key}",
                    f"备用线路 {line.get('name')} 的带宽 {have} Mbit/s 不足主线路 {need} Mbit/s "
                    "的一半，主线路故障时无法承载高峰业务。",
                    f"Backup line {line.get('name')} has {have} Mbit/s, less than half of the "
                    f"primary's {need} Mbit/s; it cannot carry peak load when the primary fails.",
                )


MAX_DETECTION_MS = 1000


def bfd_detection_time(spec: Spec, level: int) -> Iterator[Problem]:
    """BFD declares a dead line within a second: interval_ms * multiplier <= 1000."""
    for i, line in items(spec, "links"):
        bfd = line.get("bfd")
        if not isinstance(bfd, dict) or bfd.get("enabled") is False:
            continue
        interval, multiplier = bfd.get("interval_ms", 300), bfd.get("multiplier", 3)
        if not isinstance(interval, int) or not isinstance(multiplier, int):
            continue
        if interval * multiplier > MAX_DETECTION_MS:
            yield (
                f"/links/{i}/bfd",
                f"线路 {line.get('name')} 的 BFD 检测时间 {interval}×{multiplier}="
                f"{interval * multiplier} ms，超过 {MAX_DETECTION_MS} ms。",
                f"Line {line.get('name')} BFD detection time {interval}x{multiplier}="
                f"{interval * multiplier} ms exceeds {MAX_DETECTION_MS} ms.",
            )


register(zones_well_formed, hosts_distinct, flows_known_zones, flows_minimal, ssh_only_from_management,
         links_distinct_carriers, backup_line_bandwidth, bfd_detection_time)
