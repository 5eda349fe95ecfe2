"""ABS-ACL-01 / CES-IPS-02 verify reads the output and forward chains from the live ruleset, and
the attack decides.

Each ruleset is loaded by the real nft into a throwaway network namespace and verify judges
``nft -j list table inet mlps_filter``. For the output chain, a TCP connection from the host to
10.5.0.1:4444 (an address and port no rule is meant to name) is tried: where verify passes it
must be refused, and a rule through which it leaves must make verify fail. The forward chain
(no routing here) is judged on the listing alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.baseline_module import load_utils
from tests.unit.nft_namespace import gets_out, listed, needs_namespaces

pytestmark = needs_namespaces

load_utils("baseline_probe_host")
load_utils("nft_ruleset")
load_utils("nft_admission")
load_utils("nft_egress")
PROBE = load_utils("baseline_probe_firewall")
OUTBOUND = "outbound accepts name their destinations (allowlist)"
FORWARDED = "forwarded accepts name their destinations (allowlist)"
EXFIL = 4444

TABLE = """table inet mlps_filter {
\tset wide {
\t\ttype ipv4_addr
\t\tflags interval
\t\telements = { 0.0.0.0/1, 128.0.0.0/1 }
\t}
\tset learn {
\t\ttype ipv4_addr
\t}
\tset knocked {
\t\ttype ipv4_addr
\t\tflags dynamic,timeout
\t\ttimeout 1m
\t}
\tchain out_extra {
\t\taccept
\t}
\tchain out_named {
\t\tip daddr 10.20.2.0/24 accept
\t}
\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\tct state established,related accept
\t}
\tchain output {
\t\ttype filter hook output priority filter; policy %s;
\t\toif "lo" accept
\t\tct state established,related accept
\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, mld2-listener-report } accept
\t\tudp sport 68 udp dport 67 accept comment "DHCP"
\t\tip daddr { 10.20.2.0/24 } tcp dport { 5432 } ct state new accept comment "flow app -> data"
\t\tip daddr 0.0.0.0/0 udp dport 123 ct state new accept comment "NTP"
%s\t\tlimit rate 10/second log prefix "mlps-out-drop: " level info
\t}
\tchain forward {
\t\ttype filter hook forward priority filter; policy drop;
\t\tct state invalid drop
\t\tct state established,related accept
\t\tip saddr 10.71.0.0/24 ip daddr 10.72.0.0/24 tcp dport 8125 ct state new accept comment "flow app -> data"
\t\tip daddr 172.16.10.0/24 tcp dport { 80, 443 } ct state new accept comment "flow internet -> dmz"
\t\tip saddr 10.244.0.0/16 accept comment "Kubernetes pods and services"
\t\tip daddr 10.244.0.0/16 accept comment "Kubernetes pods and services"
%s\t}
}
"""


def _table(out: str = "", forward: str = "", policy: str = "drop") -> str:
    def lines(rules: str) -> str:
        return "".join(f"\t\t{r}\n" for r in rules.split("\n") if r)
    return TABLE % (policy, lines(out), lines(forward))


def _verdicts(tmp_path: Path, text: str, own: tuple[str, ...] = ("10.244.0.0/16",)) -> dict[str, str]:
    ruleset = listed(tmp_path, text, "mlps_filter")
    return {r["check"]: r["status"] for r in PROBE.check_egress(ruleset, own)}


OPENINGS = [
    "accept",
    f"tcp dport {EXFIL} accept",
    "meta l4proto tcp accept",
    "ip daddr != 10.20.2.1 accept",
    "ip daddr @wide accept",
    "jump out_extra",
    "tcp dport 1-65535 ip daddr 0.0.0.0/0 accept",
    "ip daddr vmap { 10.5.0.1 : accept }",
    'oifname != "lo" accept',
    "ct state new,established accept",
    "ip daddr 0.0.0.0/0 ct state new accept",
    "ip daddr { 0.0.0.0-10.20.2.0, 10.20.2.2-255.255.255.255 } accept",
    "meta mark 0x1 return\naccept",
    "ct count over 1000 drop\naccept",
    "ip daddr 0.0.0.0-127.255.255.254 accept\nip daddr 128.0.0.0-255.255.255.254 accept",
]
# None passes a SYN, yet each carries segments anyone can craft, anywhere: they name no
# destination. (From a privileged port only root could send them: tcp sport 22 above.)
NO_SYN = ["tcp flags & (syn | ack) == ack accept", "tcp flags ack / syn,ack accept",
          "tcp sport 8080 tcp flags & (syn | ack) == ack accept"]
HARMLESS = [
    f"ip daddr 10.20.2.0/24 tcp dport {EXFIL} accept",
    "jump out_named",
    "ip daddr 10.20.2.0/24 jump out_extra",
    "ip daddr 0.0.0.0/0 udp dport 53 accept",
    "meta mark 0x1 return",
    "ip daddr 172.16.0.0/12 accept",
    "tcp sport 22 tcp flags & (syn | ack) == ack accept",
]


@pytest.mark.parametrize(("rule", "leaks"), [(r, True) for r in OPENINGS] + [(r, False) for r in HARMLESS])
def test_verify_fails_exactly_where_a_connection_leaves_for_an_unnamed_destination(
        tmp_path: Path, rule: str, leaks: bool) -> None:
    """Each rule placed in the output chain: the connection out decides, verify must agree."""
    text = _table(rule)
    assert gets_out(tmp_path, text, EXFIL) is leaks
    assert _verdicts(tmp_path, text)[OUTBOUND] == ("fail" if leaks else "pass")


def test_the_closed_table_passes_and_is_closed(tmp_path: Path) -> None:
    text = _table()
    assert not gets_out(tmp_path, text, EXFIL)
    assert set(_verdicts(tmp_path, text).values()) == {"pass"}


def test_a_goto_that_does_not_decide_ends_at_an_accept_policy(tmp_path: Path) -> None:
    """The chain reached by goto names one subnet and says nothing of the rest, which the
    accept policy lets out, the drop after the goto notwithstanding."""
    text = _table("goto out_named\ndrop", policy="accept")
    assert gets_out(tmp_path, text, EXFIL)
    assert _verdicts(tmp_path, text)[OUTBOUND] == "fail"


def test_an_accept_policy_fails_both_checks(tmp_path: Path) -> None:
    text = _table(policy="accept")
    assert gets_out(tmp_path, text, EXFIL)
    verdicts = _verdicts(tmp_path, text)
    assert verdicts["nftables output policy"] == verdicts[OUTBOUND] == "fail"


@pytest.mark.parametrize("rule", [
    "meta l4proto ipv6-icmp accept", "icmpv6 type { nd-neighbor-solicit, echo-request } accept",
    "icmpv6 type echo-request accept", "ip daddr @knocked accept", "ip6 daddr ::/0 accept",
    "meta l4proto udp accept", "add @learn { ip daddr }\nip daddr @learn accept", *NO_SYN,
    "ip6 daddr 64:ff9b::/96 accept"])
def test_accepts_no_tcp_probe_shows_still_name_no_destination(tmp_path: Path, rule: str) -> None:
    """ICMPv6 echo carries data out (ping -p); a set filled at run time admits whoever is added
    later or that a rule fills; every IPv6 address, UDP or crafted segments to anywhere, is no
    destination named; nor is the NAT64 prefix, every IPv4 address through a translator."""
    assert _verdicts(tmp_path, _table(rule))[OUTBOUND] == "fail"


@pytest.mark.parametrize("rule", [
    "ip daddr 10.20.2.9 tcp dport 5432 ip daddr set 10.5.0.1 tcp dport set 4444 accept",
    "ip daddr 10.20.2.9 meta l4proto vmap { tcp : jump out_rewrite }",
    "ip daddr 10.20.2.0/24 meta mark set 1 accept",
    "ip daddr 10.20.2.0/24 jump out_rewrite"])
def test_a_rule_that_rewrites_what_it_accepts_counts_as_open(tmp_path: Path, rule: str) -> None:
    """A destination rewritten after the match (in the rule, or in a chain a jump or a verdict
    map leads to) sends the named flow's packets elsewhere."""
    rewrite = "\tchain out_rewrite {\n\t\tip daddr set 10.5.0.1 accept\n\t}\n"
    text = _table(rule).replace("\tchain input {", rewrite + "\tchain input {")
    assert _verdicts(tmp_path, text)[OUTBOUND] == "fail"


def test_the_evidence_names_the_rule_as_nft_prints_it(tmp_path: Path) -> None:
    ruleset = listed(tmp_path, _table("jump out_extra"), "mlps_filter")
    (handle,) = [i["rule"]["handle"] for i in ruleset["nftables"]
                 if i.get("rule", {}).get("chain") == "out_extra"]
    found = PROBE.check_egress(ruleset, (), {handle: "accept"})
    observed = next(r for r in found if r["check"] == OUTBOUND)["observed"]["unrestricted_rules"]
    assert observed == [f"out_extra rule {handle} (accept): accept names no destination"]


def test_a_router_forwarding_only_its_flows_passes(tmp_path: Path) -> None:
    verdicts = _verdicts(tmp_path, _table())
    assert verdicts[FORWARDED] == verdicts["nftables forward policy"] == "pass"


@pytest.mark.parametrize(
    "rule",
    ["accept", "tcp dport 8123 accept", "meta l4proto tcp accept", "ip saddr 10.71.0.0/24 accept",
     "ip daddr != 10.72.0.10 accept", "ip daddr 0.0.0.0/0 meta l4proto tcp accept", "ip6 daddr ::/0 accept",
     "jump out_extra"],
)
def test_a_forward_that_names_no_destination_fails(tmp_path: Path, rule: str) -> None:
    assert _verdicts(tmp_path, _table(forward=rule))[FORWARDED] == "fail"


def test_only_a_kubernetes_members_own_subnets_are_forwarded_whole(tmp_path: Path) -> None:
    assert _verdicts(tmp_path, _table(), own=())[FORWARDED] == "fail"


def test_no_table_fails_every_check() -> None:
    assert {r["status"] for r in PROBE.check_egress({})} == {"fail"}
