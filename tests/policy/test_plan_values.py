"""Plan values that cannot be read are judged as the weakest they could be, never a traceback:
port ranges at their bounds, whole numbers, lists; a password setting, a bucket's lock days, an
instance's bandwidth, BFD timers and a rule's port range written as text the cloud would refuse."""

from __future__ import annotations

from typing import Any

import pytest

from policy.facts import collect
from policy.facts.values import EVERY_PORT, listed, port_number, port_range, whole
from policy.policies import PlanGraph
from tests.policy.test_environment_policies import changed, good
from tests.policy.test_policy_cases import r
from tests.policy.test_policy_cases import run as run_resource

SG_RULE = "alicloud:ecs/securityGroupRule:SecurityGroupRule"
VM = "alicloud:ecs/instance:Instance"


@pytest.mark.parametrize(("text", "expected"), [
    ("22/22", (22, 22)), ("22", (22, 22)), ("1/65535", EVERY_PORT), ("65535/65535", (65535, 65535)),
    ("-1/-1", EVERY_PORT), ("0/0", EVERY_PORT), ("443/80", None), ("1/65536", None), ("0/22", None),
    ("ssh", None), ("", None), (None, None), ("22/", (22, 22)),
])
def test_a_port_range_is_read_within_its_bounds(text: Any, expected: tuple[int, int] | None) -> None:
    assert port_range(text) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (180, 180), ("180", 180), (True, None), ("forever", None), (None, None), (float("inf"), None),
    ([180], None),
])
def test_a_whole_number_is_read_or_none(value: Any, expected: int | None) -> None:
    assert whole(value) == expected


@pytest.mark.parametrize(("value", "expected"), [(443, 443), ("443", None), ("https", None), (True, None)])
def test_a_port_number_is_a_number_as_written(value: Any, expected: int | None) -> None:
    assert port_number(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (None, []), ("oss:*", ["oss:*"]), (["a", "b"], ["a", "b"]), (("a",), ["a"]), ({"k": 1}, [{"k": 1}]),
])
def test_a_list_is_read_as_written_or_as_one_value(value: Any, expected: list[Any]) -> None:
    assert listed(value) == expected


def test_an_unreadable_password_setting_counts_as_the_weakest() -> None:
    facts = collect(PlanGraph(changed("passwords", minimumPasswordLength="twelve", maxLoginAttempts="x")))
    (policy,) = facts.password_policies
    assert (policy.min_length, policy.lockout_attempts) == (0, 0)


def test_an_unreadable_lock_period_is_no_lock_period() -> None:
    plain = {b.name: b.kept_days for b in collect(PlanGraph(good())).buckets}
    odd = {b.name: b.kept_days for b in collect(PlanGraph(
        changed("emr-archive-worm", retentionPeriodInDays="ten years"))).buckets}
    assert plain["emr-archive"] > 0
    assert odd["emr-archive"] == 0


def test_unreadable_bfd_timers_leave_no_detection_time() -> None:
    lines = collect(PlanGraph(changed("line-ct-vbr", minRxInterval="fast"))).dedicated_lines
    plain = collect(PlanGraph(good())).dedicated_lines
    assert {line.name: line.bfd_ms for line in plain}["line-ct"] is not None
    assert {line.name: line.bfd_ms for line in lines}["line-ct"] is None


@pytest.mark.parametrize(("bandwidth", "public"), [(0, False), ("0", False), (None, False), (1, True),
                                                   ("5", True), ("unknown", True)])
def test_an_instance_bandwidth_that_cannot_be_read_counts_as_public(bandwidth: Any, public: bool) -> None:
    found = run_resource("instance_isolated_network",
                         [r("alicloud:vpc/switch:Switch", "v", {}),
                          r(VM, "vm", {"vswitchId": "v", "internetMaxBandwidthOut": bandwidth},
                            vswitchId="urn:v")])
    assert found == ([("vm", "CLD-NET-01", "instance vm has a public address")] if public else [])


@pytest.mark.parametrize(("ports", "exposed"), [("22/22", True), ("443/443", False), ("ssh", True),
                                                ("-1/-1", True), ("0/0", True)])
def test_a_world_open_rule_whose_ports_cannot_be_read_exposes_administration(
        ports: str, exposed: bool) -> None:
    rule = r(SG_RULE, "rule", {"type": "ingress", "policy": "accept", "cidrIp": "0.0.0.0/0",
                               "ipProtocol": "tcp", "portRange": ports})
    found = run_resource("no_public_mgmt_ports", [rule])
    assert bool(found) is exposed
    assert all(control == "ABS-ACL-03" for _, control, _ in found)


@pytest.mark.parametrize(("entries", "exposed"), [
    ([{"cidr": "0.0.0.0/0"}], True),
    ([{"cidr": "10.0.0.0/8"}, {"cidr": "::/0"}], True),
    ([{"cidr": "10.0.0.0/8"}], False),
    ("(unknown)", False),  # ranges the plan does not know: nothing to judge here
])
def test_a_prefix_list_holding_the_world_exposes_administration(entries: Any, exposed: bool) -> None:
    prefix = r("alicloud:ecs/ecsPrefixList:EcsPrefixList", "pl", {"entries": entries})
    rule = r(SG_RULE, "rule", {"type": "ingress", "policy": "accept", "ipProtocol": "tcp",
                               "portRange": "22/22", "prefixListId": "pl-1"}, prefixListId="urn:pl")
    found = run_resource("no_public_mgmt_ports", [prefix, rule])
    assert found == ([("rule", "ABS-ACL-03", "security group rule rule opens administrative port(s) "
                       "SSH (tcp 22) to 0.0.0.0/0")] if exposed else [])
