#!/usr/bin/python3
"""Resolve the host firewall's outbound allowlist on the host itself (CES-IPS-02, ABS-ACL-01)."""

from __future__ import annotations

import glob
import ipaddress
import re
import socket
from typing import Any
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: baseline_egress
short_description: Resolve the outbound allowlist of the host firewall on the host
description:
  - Adds the package repositories and proxy the host's apt (or dnf/yum) uses and the DNS
    servers of /etc/resolv.conf to the given rules, and resolves host names with the host's
    own resolver (so /etc/hosts entries count). Changes nothing.
options:
  rules:
    description: >-
      List of {dest, proto (tcp|udp|any), ports (list; empty = all), comment}; dest lists
      addresses, CIDRs, names, or {host, port} entries that override the rule's ports.
    type: list
    elements: dict
    required: true
  packages:
    description: Allow the package repositories and proxy the host is configured with.
    type: bool
    default: true
  dns:
    description: Allow DNS (53/udp, 53/tcp) to the name servers of /etc/resolv.conf.
    type: bool
    default: true
  zones:
    description: >-
      The spec's zones (name, cidr, ingress flows); the flows from O(zone) are allowed out, the
      flows into O(zone) are allowed in (SSH excepted: it is admitted from the bastion only).
    type: list
    elements: dict
    default: []
  ssh_port:
    description: The host's SSH port, left out of the inbound flows (CES-IPS-03).
    type: int
    default: 22
  zone:
    description: The spec zone of this host (empty when the host has none).
    type: str
    default: ""
  forward:
    description: Forwarded flows, list of {sources (empty = any), dest, proto, ports, comment}.
    type: list
    elements: dict
    default: []
  router:
    description: The host routes between zones and lines; the spec's zone flows are forwarded.
    type: bool
    default: false
author: mlps
"""
EXAMPLES = r"""
- name: Resolve the outbound allowlist (package mirror, DNS and one log server)
  baseline_egress:
    rules:
      - {dest: [logs.hospital.example], proto: tcp, ports: [2514], comment: log forwarding}
    zones: "{{ mlps_spec.zones }}"
    zone: "{{ mlps_zone }}"
  register: egress
"""

RETURN = r"""
rules:
  description: >-
    List of {v4, v6 (address lists), proto, ports (strings), comment}; rules without any
    address are left out.
  type: list
  returned: always
forward:
  description: List of {family (4|6), dest, sources (empty = any), proto, ports, comment}.
  type: list
  returned: always
inbound:
  description: >-
    The spec's flows into the host's zone, list of {v4, v6 (source lists; both empty = any),
    proto, ports (strings), comment}; the SSH port is never among the ports.
  type: list
  returned: always
unresolved:
  description: Names no address was found for (left out of the rules).
  type: list
  returned: always
"""

_DEB_URI = re.compile(r"^\s*(?:URIs:|deb(?:-src)?(?:\s+\[[^\]]*\])?)\s+(.+)$", re.M)
_RPM_URI = re.compile(r"^\s*(?:baseurl|mirrorlist|metalink)\s*=\s*(.+)$", re.M)
_APT_PROXY = re.compile(r'Acquire::(?:https?::)?Proxy(?:::[^ ]+)?\s+"([^"]+)"', re.I)
_RPM_PROXY = re.compile(r"^\s*proxy\s*=\s*(\S+)", re.M)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def _endpoints(urls: list[str]) -> list[tuple[str, int]]:
    """(host, port) of each http(s) URL; file:, cdrom: and the like need no network."""
    out = []
    for url in urls:
        parts = urlsplit(url.strip())
        if parts.scheme in ("http", "https") and parts.hostname:
            out.append((parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)))
    return out


def package_endpoints() -> list[tuple[str, int]]:
    """Where the package manager connects: its proxy when one is set, else its repositories."""
    apt = [_read(p) for p in ["/etc/apt/sources.list", *sorted(glob.glob("/etc/apt/sources.list.d/*"))]]
    conf = [_read(p) for p in ["/etc/apt/apt.conf", *sorted(glob.glob("/etc/apt/apt.conf.d/*"))]]
    rpm = [_read(p) for p in sorted(glob.glob("/etc/yum.repos.d/*.repo"))]
    rpm_conf = _read("/etc/dnf/dnf.conf") + _read("/etc/yum.conf")
    urls = [u for text in apt for line in _DEB_URI.findall(text) for u in line.split()]
    urls += [u for text in rpm for line in _RPM_URI.findall(text) for u in line.split()]
    proxies = [p for text in conf for p in _APT_PROXY.findall(text) if p.upper() != "DIRECT"]
    proxies += _RPM_PROXY.findall(rpm_conf)
    return sorted(set(_endpoints(proxies or urls)))


def name_servers() -> list[str]:
    return [line.split()[1] for line in _read("/etc/resolv.conf").splitlines()
            if line.startswith("nameserver") and len(line.split()) > 1]


def resolve(dest: str) -> list[str]:
    """Addresses of an address, CIDR or name (the host's resolver: /etc/hosts, then DNS)."""
    try:
        return [str(ipaddress.ip_network(dest, strict=False))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(dest, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return sorted({str(ipaddress.ip_network(info[4][0])) for info in infos})


def flows(zones: list[dict[str, Any]], zone: str) -> list[dict[str, Any]]:
    """The spec's flows out of ``zone``: into each zone whose ingress names it."""
    return [
        {"dest": [z["cidr"]], "proto": f.get("protocol", "tcp"), "ports": f["ports"],
         "comment": f"flow {zone} -> {z['name']}"}
        for z in zones if z.get("cidr") and z.get("name") != zone
        for f in z.get("ingress") or [] if zone and f.get("from") == zone
    ]


def inbound(zones: list[dict[str, Any]], zone: str, ssh_port: int) -> list[dict[str, Any]]:
    """The spec's flows into ``zone`` from other zones (their CIDR) or the internet (any source),
    without the SSH port: SSH is admitted from the bastion and the controller only (CES-IPS-03)."""
    cidrs = {z.get("name"): z.get("cidr") for z in zones}
    out = []
    for z in zones:
        if not zone or z.get("name") != zone:
            continue
        for f in z.get("ingress") or []:
            source = f.get("from")
            proto = f.get("protocol", "tcp")
            ports = [str(p) for p in f.get("ports") or [] if proto != "tcp" or int(p) != ssh_port]
            if not ports or (source != "internet" and not cidrs.get(source)):
                continue
            nets = [] if source == "internet" else [str(ipaddress.ip_network(cidrs[source], strict=False))]
            out.append({"v4": [n for n in nets if ":" not in n], "v6": [n for n in nets if ":" in n],
                        "proto": proto, "ports": ports,
                        "comment": f"flow {source} -> {zone}"})
    return out


def expand(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Split ``{host, port}`` destinations out into rules of their own."""
    out = []
    for rule in rules:
        plain = [d for d in rule.get("dest") or [] if not isinstance(d, dict)]
        out.append({**rule, "dest": plain})
        out += [{**rule, "dest": [d["host"]], "ports": [d.get("port") or p for p in rule.get("ports") or []]}
                for d in rule.get("dest") or [] if isinstance(d, dict) and d.get("host")]
    return out


def build(
    rules: list[dict[str, Any]], packages: bool, dns: bool, spec_flows: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    wanted = expand(rules) + spec_flows
    if packages:
        for host, port in package_endpoints():
            wanted.append({"dest": [host], "proto": "tcp", "ports": [port], "comment": "package repository"})
    servers = name_servers() if dns else []
    if servers:
        for proto in ("udp", "tcp"):
            wanted.append({"dest": servers, "proto": proto, "ports": [53], "comment": "DNS"})
    out: list[dict[str, Any]] = []
    unresolved: list[str] = []
    for rule in wanted:
        nets: list[str] = []
        for dest in rule.get("dest") or []:
            found = resolve(str(dest))
            if not found:
                unresolved.append(str(dest))
            nets += [n for n in found if n not in nets]
        v4 = [n.removesuffix("/32") for n in nets if ":" not in n]
        v6 = [n.removesuffix("/128") for n in nets if ":" in n]
        if v4 or v6:
            ports = [str(p) for p in rule.get("ports") or []]
            out.append({"v4": v4, "v6": v6, "proto": rule.get("proto", "tcp"), "ports": ports,
                        "comment": str(rule.get("comment", "allowed flow")).replace('"', "'")})
    return out, sorted(set(unresolved))


def zone_forwards(zones: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every flow of the spec, from its source zone's CIDR (any for ``internet``) to its zone."""
    cidrs = {z.get("name"): z.get("cidr") for z in zones}
    return [
        {"sources": [] if f.get("from") == "internet" else [cidrs[f["from"]]], "dest": [z["cidr"]],
         "proto": f.get("protocol", "tcp"), "ports": f["ports"],
         "comment": f"flow {f['from']} -> {z['name']}"}
        for z in zones if z.get("cidr")
        for f in z.get("ingress") or [] if f.get("from") == "internet" or cidrs.get(f.get("from"))
    ]


def forwards(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for rule in rules:
        dest = [n for d in rule.get("dest") or [] for n in resolve(str(d))]
        src = [n for d in rule.get("sources") or [] for n in resolve(str(d))]
        for family in ("4", "6"):
            v = [n for n in dest if (":" in n) == (family == "6")]
            srcs = [n for n in src if (":" in n) == (family == "6")]
            if v and (srcs or not rule.get("sources")):
                out.append({"family": family, "dest": v, "sources": srcs, "proto": rule.get("proto", "tcp"),
                            "ports": [str(p) for p in rule.get("ports") or []],
                            "comment": str(rule.get("comment", "forwarded flow")).replace('"', "'")})
    return out


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "rules": {"type": "list", "elements": "dict", "required": True},
            "packages": {"type": "bool", "default": True},
            "dns": {"type": "bool", "default": True},
            "zones": {"type": "list", "elements": "dict", "default": []},
            "zone": {"type": "str", "default": ""},
            "forward": {"type": "list", "elements": "dict", "default": []},
            "router": {"type": "bool", "default": False},
            "ssh_port": {"type": "int", "default": 22},
        },
        supports_check_mode=True,
    )
    params = module.params
    spec_flows = flows(params["zones"], params["zone"])
    rules, unresolved = build(params["rules"], params["packages"], params["dns"], spec_flows)
    forward = forwards(params["forward"] + (zone_forwards(params["zones"]) if params["router"] else []))
    allowed_in = inbound(params["zones"], params["zone"], params["ssh_port"])
    module.exit_json(changed=False, rules=rules, forward=forward, inbound=allowed_in, unresolved=unresolved)


if __name__ == "__main__":
    main()
