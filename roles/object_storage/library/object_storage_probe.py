#!/usr/bin/python
"""Ansible module: probe how this storage host's SeaweedFS servers and its firewall table treat
strangers (read-only)."""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import sys
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.nft_admission import admission
from ansible.module_utils.nft_ruleset import dormant, missing, outside

DOCUMENTATION = r"""
module: object_storage_probe
short_description: Probe gRPC mutual TLS, the HTTP white list and local egress of a storage host
description:
  - Opens connections only (an HTTP/2 preface on gRPC ports, GET requests that change nothing on
    the master), so it is safe in check mode and changes nothing.
  - "For each gRPC port: whether plain HTTP/2, TLS without a client certificate and TLS with the
    given client certificate each get an HTTP/2 answer. Mutual TLS holds when only the last does."
options:
  address: {description: Address the servers listen on., required: true, type: str}
  grpc_ports: {description: gRPC ports of this host's servers., type: list, elements: int, default: []}
  ca_file: {description: CA of the gRPC certificates., type: str}
  cert_file: {description: Client certificate the positive probe presents., type: str}
  key_file: {description: Its private key., type: str}
  security_toml: {description: Path of the servers' security.toml (white list read from it)., type: str}
  guard_urls:
    description: C(PORT/path) on address the white list guards; fetched from 127.0.0.1 and from address.
    type: list
    elements: str
    default: []
  local_ports:
    description: Internal ports an unprivileged local account must not open.
    type: list
    elements: int
    default: []
  unprivileged_uid: {description: Account the local probe runs as., type: int, default: 65534}
  firewall_table:
    description: >-
      C(inet) table whose input chains are read (C(nft -j list table)) for O(firewall_ports);
      omitted, the firewall is not read. A dormant table (C(flags dormant) in its text listing)
      filters nothing and is not ok.
    type: str
  firewall_ports:
    description: >-
      Ports whose admission the table is read for: who may open a TCP connection, in rule order,
      failing closed (a rule verify cannot read counts as admitting anyone).
    type: list
    elements: dict
    default: []
    suboptions:
      port: {description: TCP port., type: int, required: true}
      allowed: {description: Networks all admitted sources lie in., type: list, elements: str, default: []}
      wanted:
        description: Sources the table must admit, alone or inside a wider entry.
        type: list
        elements: str
        default: []
  nft_binary: {description: Path of nft., type: str, default: nft}
author: mlps
"""
EXAMPLES = r"""
- name: Probe gRPC mutual TLS and the internal ports of a storage host
  object_storage_probe:
    address: 10.30.0.11
    grpc_ports: [19333, 18080]
    ca_file: /etc/seaweedfs/grpc/ca.pem
    cert_file: /etc/seaweedfs/grpc/admin.pem
    key_file: /etc/seaweedfs/grpc/admin.key
    local_ports: [19333, 18080, 9333, 8080]
    firewall_table: mlps_object_storage
    firewall_ports:
      - {port: 9333, allowed: [10.30.0.11, 10.30.0.12], wanted: [10.30.0.11, 10.30.0.12]}
      - {port: 8333, allowed: [10.30.0.0/24, 10.20.0.0/24], wanted: [10.30.0.0/24]}
  register: probe
"""
RETURN = r"""
grpc:
  description: >-
    Per gRPC port, whether C(plaintext), C(tls_without_cert) and C(tls_with_cert) got an
    HTTP/2 answer.
  type: dict
  returned: always
guard:
  description: Per guarded URL, the HTTP status C(from_loopback) and C(from_store).
  type: dict
  returned: always
local:
  description: Per internal port, whether an C(unprivileged) account and C(root) could connect locally.
  type: dict
  returned: always
white_list:
  description: Entries of the servers' white list, or null when security_toml was not given or is unreadable.
  type: list
  elements: str
  returned: always
firewall:
  description: >-
    C(loaded) (the table could be listed), C(ok) (no port admits a source outside its allowed
    networks or any source at all, every wanted source is admitted) and, per port of
    O(firewall_ports), the sources C(admitted) by address or set, those C(outside) the allowed
    networks, the C(missing) wanted ones, and the C(unrestricted_rules) that admit any source;
    C(dormant) when the table is listed but filters nothing.
  type: dict
  returned: always
"""

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
SETTINGS = 4


def http2_answer(sock: socket.socket) -> str:
    """Send the HTTP/2 preface; "http2" when the peer answers with a SETTINGS frame."""
    try:
        sock.sendall(PREFACE)
        head = b""
        while len(head) < 9:
            chunk = sock.recv(9 - len(head))
            if not chunk:
                return "closed"
            head += chunk
        return "http2" if head[3] == SETTINGS else "other:" + head.hex()
    except ssl.SSLError as exc:
        return "tls-error:" + (exc.reason or type(exc).__name__)
    except OSError as exc:
        return "error:" + type(exc).__name__


def grpc_probe(address: str, port: int, ca: str | None, cert: str | None, key: str | None,
               tls: bool) -> str:
    """Result of one gRPC connection: plain, TLS without a certificate, or TLS with one."""
    try:
        raw = socket.create_connection((address, port), timeout=5)
    except OSError as exc:
        return "connect-error:" + type(exc).__name__
    with raw:
        if not tls:
            return http2_answer(raw)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False  # SeaweedFS names components by common name, not host
        if ca:
            ctx.load_verify_locations(ca)
        if cert and key:
            ctx.load_cert_chain(cert, key)
        ctx.set_alpn_protocols(["h2"])
        try:
            with ctx.wrap_socket(raw) as conn:
                return http2_answer(conn)
        except ssl.SSLError as exc:
            return "tls-error:" + (exc.reason or type(exc).__name__)
        except OSError as exc:
            return "error:" + type(exc).__name__


def http_status(address: str, url_path: str, source: str) -> int:
    """Status of GET ``PORT/path`` from the given source address (-1 when no answer)."""
    port, _, rest = url_path.partition("/")
    conn = http.client.HTTPConnection(address, int(port), timeout=5, source_address=(source, 0))
    try:
        conn.request("GET", "/" + rest)
        return conn.getresponse().status
    except OSError:
        return -1
    finally:
        conn.close()


def local_connect(address: str, port: int, uid: int | None) -> bool:
    """Whether a TCP connection opens, as this account (root) or as account ``uid``."""
    if uid is None:
        try:
            socket.create_connection((address, port), timeout=3).close()
        except OSError:
            return False
        return True
    code = ("import socket,sys\n"
            f"try: socket.create_connection(({address!r},{port}),timeout=3).close()\n"
            "except OSError: sys.exit(1)\n")
    proc = subprocess.run(  # noqa: S603 (fixed argv, no shell)
        [sys.executable, "-c", code], check=False, user=uid, group=uid, extra_groups=[],
        cwd="/", env={"PATH": os.environ.get("PATH", "")})
    return proc.returncode == 0


def white_list(path: str) -> list[str] | None:
    """Entries of ``[guard] white_list`` (None when the file cannot be read)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return None
    section = re.search(r"^\[guard\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    if not section:
        return []
    entry = re.search(r'^\s*white_list\s*=\s*"([^"]*)"', section.group(1), re.M)
    return [e.strip() for e in entry.group(1).split(",") if e.strip()] if entry else []


def judge_firewall(ruleset: dict[str, Any], ports: list[dict[str, Any]]) -> dict[str, Any]:
    """Per port, who the table's input chains admit against the allowed and wanted sources;
    ``ok`` when no port admits a source outside its networks or any source at all, and every
    wanted source is admitted (ABS-ACL-01)."""
    out = {}
    for entry in ports:
        admitted, unrestricted = admission(ruleset, entry["port"])
        out[str(entry["port"])] = {
            "admitted": admitted, "outside": outside(admitted, entry["allowed"]),
            "missing": missing(admitted, entry["wanted"]), "unrestricted_rules": unrestricted}
    clean = all(not (v["outside"] or v["missing"] or v["unrestricted_rules"]) for v in out.values())
    return {"loaded": True, "ok": bool(out) and clean, "ports": out}


def firewall(nft: str, table: str | None, ports: list[dict[str, Any]]) -> dict[str, Any]:
    """The table listed by ``nft -j`` and judged (not loaded, or dormant: not ok)."""
    if not table:
        return {"loaded": None, "ok": None, "ports": {}}
    try:
        proc = subprocess.run(  # noqa: S603 (fixed argv, no shell)
            [nft, "-j", "list", "table", "inet", table], capture_output=True, text=True, timeout=30,
            check=False)
        ruleset = json.loads(proc.stdout) if proc.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError):
        ruleset = None
    if not isinstance(ruleset, dict):
        return {"loaded": False, "ok": False, "ports": {}}
    try:
        text = subprocess.run(  # noqa: S603 (fixed argv, no shell)
            [nft, "list", "table", "inet", table], capture_output=True, text=True, timeout=30,
            check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        text = ""
    if dormant(text) or not text:  # listed, yet filtering nothing (or its flags unread)
        return {"loaded": True, "ok": False, "dormant": bool(text), "ports": {}}
    return judge_firewall(ruleset, ports)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "address": {"type": "str", "required": True},
            "grpc_ports": {"type": "list", "elements": "int", "default": []},
            "ca_file": {"type": "str"},
            "cert_file": {"type": "str"},
            "key_file": {"type": "str"},
            "security_toml": {"type": "str"},
            "guard_urls": {"type": "list", "elements": "str", "default": []},
            "local_ports": {"type": "list", "elements": "int", "default": []},
            "unprivileged_uid": {"type": "int", "default": 65534},
            "firewall_table": {"type": "str"},
            "firewall_ports": {"type": "list", "elements": "dict", "default": [], "options": {
                "port": {"type": "int", "required": True},
                "allowed": {"type": "list", "elements": "str", "default": []},
                "wanted": {"type": "list", "elements": "str", "default": []}}},
            "nft_binary": {"type": "str", "default": "nft"},
        },
        supports_check_mode=True,
    )
    p: dict[str, Any] = module.params
    addr = p["address"]
    grpc = {}
    for port in p["grpc_ports"]:
        grpc[str(port)] = {
            "plaintext": grpc_probe(addr, port, None, None, None, tls=False),
            "tls_without_cert": grpc_probe(addr, port, p["ca_file"], None, None, tls=True),
            "tls_with_cert": grpc_probe(addr, port, p["ca_file"], p["cert_file"], p["key_file"],
                                        tls=True),
        }
    guard = {url: {"from_loopback": http_status(addr, url, "127.0.0.1"),
                   "from_store": http_status(addr, url, addr)} for url in p["guard_urls"]}
    local = {str(port): {"unprivileged": local_connect(addr, port, p["unprivileged_uid"]),
                         "root": local_connect(addr, port, None)} for port in p["local_ports"]}
    module.exit_json(
        changed=False, grpc=grpc, guard=guard, local=local,
        white_list=white_list(p["security_toml"]) if p["security_toml"] else None,
        firewall=firewall(p["nft_binary"], p["firewall_table"], p["firewall_ports"]),
    )


if __name__ == "__main__":
    main()
