"""Log transport at level 3 and above: authenticated (mutual TLS), encrypted and loss-free
(RELP over TLS, or syslog over TLS behind a disk-assisted queue) to two distinct servers
(CNS-TRANS-03, SMC-CEN-05)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from mlps.checks import REGISTRY
from mlps.checks.logs import LOSSLESS_QUEUE, normal_address
from mlps.spec import load_spec, spec_from_config
from mlps.validate import validate

ROOT = Path(__file__).resolve().parents[2]
HYBRID = load_spec(ROOT / "Pulumi.hybrid-prod.yaml")
LOG_CONTROLS = ("CNS-TRANS-03", "CNS-TRANS-04", "SMC-CEN-05", "ABS-AUDIT-03")


def fired(level: int = 3, **log_audit: Any) -> set[tuple[str, str]]:
    data = copy.deepcopy(HYBRID.data)
    data["log_audit"].update(log_audit)
    result = validate(spec_from_config(data, "spec.yaml"), level=level)
    return {(f.control, f.pointer) for f in result.findings
            if f.status == "fail" and f.control in LOG_CONTROLS}


@pytest.mark.parametrize(("level", "expected"), [
    (2, set()),
    (3, {("CNS-TRANS-03", "/log_audit/mutual_tls")}),
])
def test_mutual_tls_false_fails_from_level_3(level: int, expected: set[tuple[str, str]]) -> None:
    """Level 4 (CNS-TRANS-04 as well) is tests/corpus/CNS-TRANS-04/fail-level4-no-mutual-tls."""
    assert fired(level, mutual_tls=False) == expected


@pytest.mark.parametrize(("transport", "queue", "expected"), [
    ("relp-tls", 1000, set()),  # RELP acknowledges every message (CES-AUDIT-04 sizes the queue)
    ("syslog-tls", LOSSLESS_QUEUE, set()),
    ("syslog-tls", LOSSLESS_QUEUE - 1, {("CNS-TRANS-03", "/log_audit/queue_size")}),
    ("relp", 1_000_000, {("CNS-TRANS-03", "/log_audit/transport")}),
    ("syslog-tcp", 1_000_000, {("CNS-TRANS-03", "/log_audit/transport")}),
])
def test_loss_free_and_encrypted(transport: str, queue: int,
                                 expected: set[tuple[str, str]]) -> None:
    assert fired(transport=transport, queue_size=queue) == expected


def test_messages_say_what_to_set() -> None:
    spec = {"log_audit": {"mutual_tls": False, "transport": "syslog-tls", "queue_size": 5000}}
    [(p1, _, en1), (p2, _, en2)] = REGISTRY["log_transport_assured"](spec, 3)
    assert (p1, p2) == ("/log_audit/mutual_tls", "/log_audit/queue_size")
    assert en1.endswith("set mutual_tls: true.")
    assert en2.endswith("use transport: relp-tls, or set queue_size to at least 100000.")
    assert list(REGISTRY["log_transport_assured"]({"log_audit": {"enabled": False,
                                                                 "mutual_tls": False}}, 3)) == []


def hosts(*servers: tuple[str, str]) -> dict[str, Any]:
    return {"hosts": [{"name": n, "address": a, "roles": ["log_audit_server"]}
                      for n, a in servers]}


@pytest.mark.parametrize(("servers", "pointers"), [
    ((("log-1", "10.10.0.21"), ("log-2", "10.10.0.22")), []),
    ((("log-1", "10.10.0.21"), ("log-2", "10.10.0.21")), ["/hosts/1", "/hosts"]),
    ((("log-1", "10.10.0.21"), ("log-2", "10.10.00.21")), ["/hosts/1", "/hosts"]),
    ((("log-1", "10.10.0.21"), ("LOG-1", "10.10.0.22")), ["/hosts/1", "/hosts"]),
    ((("log-1", "10.10.0.21"), ("log\u200b-1", "10.10.0.22")), ["/hosts/1", "/hosts"]),
    ((("log-1", "10.10.0.21"), ("log-1", "10.10.0.21"), ("log-3", "10.10.0.23")), ["/hosts/1"]),
    ((("log-1", "10.10.0.21"),), ["/hosts"]),
])
def test_two_distinct_log_servers(servers: tuple[tuple[str, str], ...],
                                  pointers: list[str]) -> None:
    found = list(REGISTRY["log_servers_redundant"](hosts(*servers), 3))
    assert [p for p, _, _ in found] == pointers


def test_same_address_in_the_example_fires_both_redundancy_controls() -> None:
    data = copy.deepcopy(HYBRID.data)
    data["hosts"][2]["address"] = data["hosts"][1]["address"]
    result = validate(spec_from_config(data, "spec.yaml"), level=3)
    got = {(f.control, f.pointer) for f in result.findings if f.control in LOG_CONTROLS}
    assert got == {("SMC-CEN-05", "/hosts/2"), ("SMC-CEN-05", "/hosts"),
                   ("ABS-AUDIT-03", "/hosts/2"), ("ABS-AUDIT-03", "/hosts")}
    message = next(f.message_en for f in result.findings if f.pointer == "/hosts/2")
    assert "logaudit-2 (10.10.0.21) is the same server as /hosts/1" in message
    assert message.endswith("give it its own host name and address.")


@pytest.mark.parametrize(("raw", "canonical"), [
    ("10.10.0.21", "10.10.0.21"), ("10.010.000.021", "10.10.0.21"),
    (" 10.10.0.21\u200b", "10.10.0.21"),
    ("FE80::0001", "fe80::1"), ("logs.example", "logs.example"),
])
def test_addresses_are_compared_in_canonical_form(raw: str, canonical: str) -> None:
    assert normal_address(raw) == canonical
