"""CES-IPS-03 verify reads who may open SSH from the live ruleset, and the attack decides.

Each ruleset is loaded by the real nft into a throwaway network namespace; verify's reading of
``nft -j list table inet mlps_filter`` is then compared with what the kernel does to a TCP
connection from a host that is not the bastion (10.5.0.1) to port 22: where verify passes, the
connection must be refused, and a rule through which it gets in must make verify fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.baseline_module import load_utils
from tests.unit.nft_namespace import gets_in, listed, needs_namespaces

pytestmark = needs_namespaces

load_utils("baseline_probe_host")
load_utils("nft_ruleset")
load_utils("nft_admission")
load_utils("nft_egress")
PROBE = load_utils("baseline_probe_firewall")
BASTION = "10.5.0.200"
SSH = "SSH accepted only from the bastion/controller addresses"
DROP = 'tcp dport 22 drop comment "SSH only through the bastion (CES-IPS-03)"'

TABLE = """table inet mlps_filter {
    set mgmt_ssh_v4 {
        type ipv4_addr
        flags interval
        elements = { %(bastion)s }
    }
    set mgmt_ssh_v6 {
        type ipv6_addr
        flags interval
    }
    set knocked {
        type ipv4_addr
        flags dynamic,timeout
        timeout 1m
    }
    set ports {
        type inet_service
        elements = { 22, 443 }
    }
    set knock2 {
        type ipv4_addr
    }
    chain ssh_extra {
        accept
    }
    chain ssh_guard {
        ip saddr %(bastion)s accept
        drop
    }
    chain ssh_leaky {
        ip saddr != %(bastion)s return
        drop
    }
    chain ssh_back {
        ip saddr %(bastion)s accept
    }
    chain ssh_mapped {
        tcp dport vmap { 22 : accept } drop
    }
    chain input {
        type filter hook input priority filter; policy %(policy)s;
        iif "lo" accept
        ct state invalid drop
        ct state established,related accept
        tcp dport 22 ip saddr @mgmt_ssh_v4 ct state new accept
        tcp dport 22 ip6 saddr @mgmt_ssh_v6 ct state new accept
%(rules)s
        limit rate 10/second log prefix "mlps-drop: " level info
    }
}
"""


def _ruleset(rules: list[str], policy: str = "drop") -> str:
    return TABLE % {"bastion": BASTION, "policy": policy,
                    "rules": "\n".join(f"        {r}" for r in rules)}


def _verdict(tmp_path: Path, text: str) -> str:
    exp = {"firewall_enabled": True, "ssh_port": 22, "firewall_ssh_sources": [BASTION],
           "controller_sources": []}
    listing = json.dumps(listed(tmp_path, text, "mlps_filter"))
    original = PROBE.run
    PROBE.run = lambda argv: (0, listing if "-j" in argv else text)
    try:
        results = PROBE.check_firewall(exp)
    finally:
        PROBE.run = original
    return str({r["check"]: r["status"] for r in results}[SSH])


OPENINGS = [
    "ip saddr { 10.5.0.1, 10.244.0.0/16 } ct state new accept",  # a Kubernetes peer's any-port accept
    "tcp dport { 22, 443 } ct state new accept",
    "ip saddr 10.5.0.0/24 tcp dport 1-1024 accept",
    "ip saddr != 10.5.0.200 tcp dport 22 accept",
    "tcp dport != 443 accept",
    "tcp dport 22 ct state new,established accept",
    "tcp dport >= 20 accept",
    "tcp dport vmap { 22 : accept, 80 : drop }",
    "tcp dport 22 jump ssh_extra",
    # A return sends the stranger back to the accept that follows; a chain reached by goto that
    # does not decide ends at the policy, here after an accept.
    "tcp dport 22 jump ssh_leaky\n        tcp dport 22 accept",
    "tcp dport 22 jump ssh_back\n        tcp dport 22 accept",
    "meta l4proto { tcp, udp } th dport 22 accept",
    "tcp dport @ports accept",
    "ip protocol tcp tcp dport 1-1024 accept",
    "ip saddr != 10.5.0.0/24 tcp dport 22 drop\n        tcp dport 22 accept",
    "meta nfproto ipv6 tcp dport 22 drop\n        tcp dport 22 accept",
    # Drops that stop only some: the rest meet the accept that follows.
    "meta mark 0x1 return\n        tcp dport 22 accept",
    "tcp dport 22 ct count over 1000 drop\n        tcp dport 22 accept",
    "meter m { ip saddr limit rate over 1/hour } drop\n        tcp dport 22 accept",
    "ip6 nexthdr tcp tcp dport 22 drop\n        tcp dport 22 accept",
    # The kernel answers the handshake itself and hands the connection over loopback.
    "tcp dport 22 synproxy mss 1460 wscale 7 timestamp sack-perm",
    "tcp dport 22 synproxy mss 1460 wscale 7 timestamp sack-perm drop",
    # The map's verdict comes first: the drop after it acts only on what the map lets by.
    "tcp dport vmap { 22 : accept } drop",
    "tcp dport 22 jump ssh_mapped",
]


@pytest.mark.parametrize("rules", [
    ["ip saddr @knocked tcp dport 22 accept"],
    ["tcp dport 1234 add @knock2 { ip saddr }", "ip saddr @knock2 tcp dport 22 accept"]])
def test_a_set_filled_at_run_time_counts_as_open(tmp_path: Path, rules: list[str]) -> None:
    """Empty while verify reads it, a port-knocking set admits whoever knocks later, whether
    it is flagged dynamic or a rule merely adds to it."""
    assert _verdict(tmp_path, _ruleset([*rules, DROP])) == "fail"


@pytest.mark.parametrize("rules", [["ct state untracked accept"],
                                   ["tcp dport 22 ct state new drop", "tcp dport 22 accept"]])
def test_an_untracked_connection_is_a_new_one(tmp_path: Path, rules: list[str]) -> None:
    """notrack in prerouting makes the stranger's SYN "untracked": an accept of that state
    admits it, and a drop of state new does not stop it."""
    text = _ruleset([*rules, DROP]).replace("    chain input {", """    chain raw {
        type filter hook prerouting priority raw;
        tcp dport 22 notrack
    }
    chain input {""")
    assert gets_in(tmp_path, text, 22)
    assert _verdict(tmp_path, text) == "fail"


REWRITE = f"ip saddr 10.5.0.1 tcp dport 22 ip saddr set {BASTION}"


@pytest.mark.parametrize("chains", [
    f"chain pre {{\n        type filter hook prerouting priority -150;\n        {REWRITE}\n    }}",
    "chain pre {\n        type filter hook prerouting priority -150;\n        jump pre_fix\n    }\n"
    f"    chain pre_fix {{\n        {REWRITE}\n    }}"])
def test_a_rewrite_before_input_counts_as_open(tmp_path: Path, chains: str) -> None:
    """A stranger's source rewritten to the bastion's in prerouting, there or in a chain it
    jumps to: the input chain sees an admitted source, so verify cannot vouch for it."""
    text = _ruleset([DROP]).replace("    chain input {", f"    {chains}\n    chain input {{")
    assert _verdict(tmp_path, text) == "fail"


def test_without_the_drop_an_accept_policy_lets_everyone_in(tmp_path: Path) -> None:
    text = _ruleset([], policy="accept")
    assert gets_in(tmp_path, text, 22)
    assert _verdict(tmp_path, text) == "fail"


def test_a_dormant_table_filters_nothing(tmp_path: Path) -> None:
    """``flags dormant`` keeps the rules listed and takes them out of the kernel's path (nft's
    JSON listing does not show the flag; its text does)."""
    head = "table inet mlps_filter {"
    text = _ruleset([DROP]).replace(head, head + "\n    flags dormant", 1)
    assert gets_in(tmp_path, text, 22)
    assert _verdict(tmp_path, text) == "fail"


def test_a_goto_that_does_not_decide_ends_at_an_accept_policy(tmp_path: Path) -> None:
    """The chain reached by goto admits the bastion and says nothing of the stranger, whom the
    base chain's accept policy then lets in."""
    text = _ruleset(["tcp dport 22 goto ssh_back"], policy="accept")
    assert gets_in(tmp_path, text, 22)
    assert _verdict(tmp_path, text) == "fail"


HARMLESS = [
    "ip saddr 10.5.0.0/24 tcp dport 8333 ct state new accept",
    "ip saddr 10.5.0.0/24 tcp dport { 443, 8443 } ct state new accept",
    "udp dport 22 accept",
    "tcp dport != 22 accept",
    "meta l4proto icmp accept",
    "ct state established,related accept",
    # Chains that admit the bastion alone and drop the rest, reached by jump or goto.
    "tcp dport 22 jump ssh_guard",
    "tcp dport 22 goto ssh_guard",
    "tcp dport 22 jump ssh_leaky",
    "tcp dport 22 goto ssh_back",
]


@pytest.mark.parametrize(("rules", "opens"), [(r, True) for r in OPENINGS] + [(r, False) for r in HARMLESS])
def test_verify_fails_exactly_where_ssh_gets_in_from_elsewhere(
        tmp_path: Path, rules: str, opens: bool) -> None:
    """Each rule ahead of the SSH drop: the attack from a non-bastion address decides, and verify
    must agree with it."""
    text = _ruleset([rules, DROP])
    assert gets_in(tmp_path, text, 22) is opens
    assert _verdict(tmp_path, text) == ("fail" if opens else "pass")


def test_what_follows_the_drop_cannot_let_ssh_in(tmp_path: Path) -> None:
    """The template's order: the drop ends SSH before a peer's any-port accept is reached."""
    text = _ruleset([DROP, "ip saddr { 10.5.0.1, 10.244.0.0/16 } ct state new accept"])
    assert not gets_in(tmp_path, text, 22)
    assert _verdict(tmp_path, text) == "pass"


def test_the_bastions_own_outbound_ssh_is_no_inbound_admission(tmp_path: Path) -> None:
    text = _ruleset([DROP]).replace("    chain input {", """    chain output {
        type filter hook output priority filter; policy drop;
        ip daddr { 10.5.0.1, 10.5.0.3 } tcp dport 22 ct state new accept comment "bastion to the hosts"
    }
    chain input {""")
    assert _verdict(tmp_path, text) == "pass"


def test_the_bastion_missing_from_the_set_fails(tmp_path: Path) -> None:
    text = _ruleset([DROP]).replace(f"elements = {{ {BASTION} }}", "elements = { 10.5.0.201 }")
    assert _verdict(tmp_path, text) == "fail"
