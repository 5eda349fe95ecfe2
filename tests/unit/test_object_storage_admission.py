"""ABS-ACL-01 verify on a storage host reads who its table may let in from the live ruleset, and
the attack decides.

The role's own template (object_storage.nft.j2) is rendered, changed as an intruder or a careless
edit would, and loaded by the real nft into a network namespace; the probe's reading of
``nft -j list table inet mlps_object_storage`` is compared with what the kernel does to a TCP
connection from 10.5.0.1, which is neither a store host nor in the storage zone nor an S3 client.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
import pytest

from tests.unit.baseline_module import ROOT, load_path, load_utils
from tests.unit.nft_namespace import TARGET, gets_in, listed, needs_namespaces

pytestmark = needs_namespaces

load_utils("nft_ruleset")
load_utils("nft_admission")
load_utils("nft_egress")
PROBE = load_path(ROOT / "roles" / "object_storage" / "library" / "object_storage_probe.py",
                  "object_storage_probe")
TEMPLATE = ROOT / "roles" / "object_storage" / "templates" / "object_storage.nft.j2"
STORE = [TARGET, "10.5.0.3"]
ZONE = ["10.5.0.2/31"]
CLIENTS = ["10.7.0.0/16"]
INTERNAL = [9333, 19333, 8080, 18080, 8888, 18888, 18333]
S3 = 8333
FIRST = '\t\tiif "lo" accept\n'


def _rendered(store: list[str] = STORE, clients: list[str] = CLIENTS) -> str:
    text = jinja2.Template(TEMPLATE.read_text(encoding="utf-8"), keep_trailing_newline=True).render(
        ansible_managed="test", object_storage_nft_binary="/usr/sbin/nft",
        object_storage_host_addresses=store, object_storage_zone=ZONE,
        object_storage_s3_allowed_cidrs=clients, object_storage_internal_ports=INTERNAL,
        object_storage_s3_port=S3, object_storage_service_uid=990)
    assert FIRST in text
    return text


def _ahead(rule: str) -> str:
    """The template with ``rule`` placed first in the input chain (after loopback)."""
    return _rendered().replace(FIRST, FIRST + f"\t\t{rule}\n", 1)


def _judged(tmp_path: Path, text: str) -> dict[str, Any]:
    ports = [{"port": p, "allowed": STORE, "wanted": STORE} for p in INTERNAL]
    ports.append({"port": S3, "allowed": ZONE + CLIENTS, "wanted": ZONE + CLIENTS})
    return dict(PROBE.judge_firewall(listed(tmp_path, text, "mlps_object_storage"), ports))


OPENINGS = [
    (_ahead("tcp dport 9333 accept"), 9333),
    (_ahead("tcp dport { 8080, 8333 } ct state new accept"), 8080),
    (_ahead("ip saddr 10.5.0.0/24 tcp dport 8333 accept"), S3),
    (_ahead("ip saddr != 10.5.0.3 tcp dport 18080 accept"), 18080),
    (_ahead("tcp dport vmap { 9333 : accept }"), 9333),
    (_ahead("tcp dport 8000-9000 accept"), 8888),
    (_rendered(store=[*STORE, "10.5.0.1"]), 9333),
    (_rendered(clients=["0.0.0.0/0"]), S3),
    (_rendered().replace(f"\t\ttcp dport {{ {', '.join(map(str, INTERNAL))} }} counter drop\n", ""), 19333),
    (_rendered().replace(f"\t\ttcp dport {S3} counter drop\n", ""), S3),
]
HARMLESS = [
    (_rendered(), 9333),
    (_rendered(), S3),
    (_ahead("ip saddr 10.5.0.3 tcp dport 9333 accept"), 9333),
    (_ahead("udp dport 9333 accept"), 9333),
    (_ahead("tcp dport 22 accept"), 8080),
    (_ahead("ip saddr 10.7.1.0/24 tcp dport 8333 accept"), S3),
]


@pytest.mark.parametrize(("text", "port", "opens"),
                         [(t, p, True) for t, p in OPENINGS] + [(t, p, False) for t, p in HARMLESS])
def test_verify_fails_exactly_where_a_stranger_gets_in(tmp_path: Path, text: str, port: int,
                                                      opens: bool) -> None:
    assert gets_in(tmp_path, text, port) is opens
    judged = _judged(tmp_path, text)
    assert judged["ok"] is not opens, judged
    if opens:
        seen = judged["ports"][str(port)]
        assert seen["outside"] or seen["unrestricted_rules"], seen


def test_a_store_host_left_out_is_reported_missing(tmp_path: Path) -> None:
    """Not an opening, but the store's own replication would stop: verify names the host."""
    judged = _judged(tmp_path, _rendered(store=[TARGET]))
    assert judged["ok"] is False
    assert judged["ports"]["9333"]["missing"] == ["10.5.0.3"], judged


def test_a_zone_of_neighbouring_host_addresses_merged_by_the_set_passes(tmp_path: Path) -> None:
    """Without zone networks the role's zone is the hosts' addresses; the interval set merges
    neighbours into one range, which still lies within them."""
    hosts = [TARGET, "10.5.0.3", "10.5.0.4"]
    text = jinja2.Template(TEMPLATE.read_text(encoding="utf-8")).render(
        ansible_managed="test", object_storage_nft_binary="/usr/sbin/nft",
        object_storage_host_addresses=hosts, object_storage_zone=hosts,
        object_storage_s3_allowed_cidrs=["10.5.0.1/32"], object_storage_internal_ports=INTERNAL,
        object_storage_s3_port=S3, object_storage_service_uid=990)
    ports = [{"port": S3, "allowed": [*hosts, "10.5.0.1/32"], "wanted": [*hosts, "10.5.0.1/32"]}]
    judged = PROBE.judge_firewall(listed(tmp_path, text, "mlps_object_storage"), ports)
    assert judged["ports"][str(S3)]["admitted"] == ["10.5.0.1", "10.5.0.2-10.5.0.4"], judged
    assert judged["ok"] is True, judged


def test_the_template_admits_exactly_the_store_zone_and_clients(tmp_path: Path) -> None:
    judged = _judged(tmp_path, _rendered())
    assert judged["ok"] is True, judged
    assert judged["ports"]["9333"]["admitted"] == sorted(STORE)
    assert judged["ports"][str(S3)]["admitted"] == sorted(ZONE + CLIENTS)


def test_an_absent_table_is_no_pass(tmp_path: Path) -> None:
    assert PROBE.firewall("/bin/false", "mlps_object_storage", [{"port": 9333, "allowed": STORE,
                                                                  "wanted": STORE}])["ok"] is False


@pytest.mark.parametrize(("flags", "ok"), [("", True), ("\tflags dormant\n", False)])
def test_a_dormant_table_is_no_pass(tmp_path: Path, flags: str, ok: bool) -> None:
    """The probe lists the table as JSON (which does not show ``flags dormant``) and as text: a
    dormant table, listed with all its rules, filters nothing."""
    text = _rendered()
    listing = json.dumps(listed(tmp_path, text, "mlps_object_storage"))
    (tmp_path / "listing.json").write_text(listing, encoding="utf-8")
    head = "table inet mlps_object_storage {\n"
    shown = text.replace(head, head + flags, 1)
    assert flags == "" or shown != text
    (tmp_path / "listing.txt").write_text(shown, encoding="utf-8")
    nft = tmp_path / "nft"
    nft.write_text(f'#!/bin/sh\nif [ "$1" = -j ]; then cat {tmp_path}/listing.json; '
                   f'else cat {tmp_path}/listing.txt; fi\n', encoding="utf-8")
    nft.chmod(0o755)
    ports = [{"port": p, "allowed": STORE, "wanted": STORE} for p in INTERNAL]
    judged = PROBE.firewall(str(nft), "mlps_object_storage", ports)
    assert judged["ok"] is ok and judged.get("dormant", False) is not ok
