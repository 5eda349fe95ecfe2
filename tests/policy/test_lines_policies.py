"""Dedicated line policies over neutral facts: the compliant plan's two lines pass; a line without
an attached border router, BGP, BFD within a second or a health check fails with the control id on
the line, too few carriers on the cloud's provider; a plan without lines or on a cloud without
dedicated lines of its own is not judged."""

from __future__ import annotations

import dataclasses

import pytest

from policy.facts import collect
from policy.facts.model import Facts
from policy.policies import PlanGraph
from policy.policies.environment.lines import DEDICATED_LINES_REDUNDANT, LINE_FAILOVER_DETECTION
from tests.policy.test_environment_policies import changed, good, lines, run, without

REDUNDANT, DETECTION = "dedicated_lines_redundant", "line_failover_detection"


def test_the_adapter_reads_each_line_with_its_carrier_bgp_bfd_check_and_attachment() -> None:
    facts = collect(PlanGraph(good()))
    found = [(x.name, x.carrier, x.bgp, x.bfd_ms, x.health_check, x.attached) for x in facts.dedicated_lines]
    assert found == [
        ("line-ct", "china-telecom", True, 900, True, True),
        ("line-cu", "china-unicom", True, 900, True, True),
    ]


def test_the_compliant_plan_has_two_redundant_fast_lines() -> None:
    assert run(REDUNDANT, good()) == []
    assert run(DETECTION, good()) == []


def test_a_line_without_border_router_or_attachment_is_a_finding_on_it_and_on_the_cloud() -> None:
    expected = [
        ("line-cu", "CNS-REDUN-01", "line line-cu has no border router attached to the transit router"),
        ("ali", "CNS-REDUN-01", "1 carrier(s) reach the transit router (china-telecom): a hybrid plan "
                                "needs 2 attached lines of distinct carriers"),
    ]
    assert run(REDUNDANT, without({"line-cu-attachment"})) == expected
    assert run(REDUNDANT, without({"line-cu-vbr"})) == expected


def test_two_lines_of_one_carrier_are_a_finding_on_the_cloud() -> None:
    plan = changed("line-cu-vbr", tags={"mlps:carrier": "china-telecom"})
    assert [(s, c) for s, c, _ in run(REDUNDANT, plan)] == [("ali", "CNS-REDUN-01")]


def test_without_the_carrier_tag_the_line_operator_names_the_carrier() -> None:
    plan = changed("line-cu-vbr", changed("line-ct-vbr", tags={}), tags={})
    assert [x.carrier for x in collect(PlanGraph(plan)).dedicated_lines] == ["CT", "CU"]
    assert run(REDUNDANT, plan) == []


def test_a_line_without_bgp_bfd_or_health_check_is_a_finding_on_it() -> None:
    assert run(DETECTION, without({"line-ct-health-check"})) == [
        ("line-ct", "CNS-FAILOVER-01", "line line-ct has no health check")]
    assert run(DETECTION, without({"line-ct-bgp-peer"})) == [
        ("line-ct", "CNS-FAILOVER-01", "line line-ct runs no BGP with the hospital's edge"),
        ("line-ct", "CNS-FAILOVER-01", "line line-ct runs no BFD")]
    assert run(DETECTION, changed("line-cu-bgp-peer", enableBfd=False)) == [
        ("line-cu", "CNS-FAILOVER-01", "line line-cu runs no BFD")]


def test_bfd_slower_than_a_second_is_a_finding() -> None:
    assert run(DETECTION, changed("line-ct-vbr", minRxInterval=500)) == [
        ("line-ct", "CNS-FAILOVER-01", "line line-ct detects a failure in 1500 ms, more than 1000")]


def test_a_plan_without_lines_or_on_a_cloud_without_them_is_not_judged() -> None:
    names = {x.name for x in lines()}
    plan = without(names)
    assert run(REDUNDANT, plan) == [] and run(DETECTION, plan) == []
    facts = collect(PlanGraph(good()))
    other = Facts(
        clouds=[dataclasses.replace(facts.clouds[0], provider="openstack")],
        dedicated_lines=[dataclasses.replace(x, provider="openstack", attached=False, health_check=False)
                         for x in facts.dedicated_lines],
    )
    assert list(DEDICATED_LINES_REDUNDANT.check(other, 3)) == []
    assert list(LINE_FAILOVER_DETECTION.check(other, 3)) == []


@pytest.mark.parametrize(("expected", "found"), [(None, 0), (0, 0), (1, 1), (2, 1)])
def test_lines_the_spec_ends_in_the_cloud_must_be_built(expected: int | None, found: int) -> None:
    plan = without({x.name for x in lines()})
    got = [(s.pointer.split("::")[-1], c, m) for s, (c, m)
           in DEDICATED_LINES_REDUNDANT.run(PlanGraph(plan, dedicated_lines=expected))]
    assert got == [("ali", "CNS-REDUN-01", f"the spec ends {expected} dedicated line(s) in this cloud, and "
                    "the plan builds none (no physical connection, border router or transit router "
                    "attachment for the rest)")] * found
    # with its two lines built the plan is judged on them alone
    assert list(DEDICATED_LINES_REDUNDANT.run(PlanGraph(good(), dedicated_lines=expected))) == []


def test_fewer_lines_than_the_spec_ends_in_the_cloud_is_a_finding() -> None:
    assert len(lines()) > 0 and len(collect(PlanGraph(good())).dedicated_lines) == 2
    got = [(s.pointer.split("::")[-1], c, m) for s, (c, m)
           in DEDICATED_LINES_REDUNDANT.run(PlanGraph(good(), dedicated_lines=3))]
    assert got == [("ali", "CNS-REDUN-01", "the spec ends 3 dedicated line(s) in this cloud, and the plan "
                    "builds only 2 (no physical connection, border router or transit router attachment "
                    "for the rest)")]
