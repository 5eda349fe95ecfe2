"""Backup policies over neutral facts: the compliant Alibaba Cloud plan passes; an instance or
bucket in no plan, a plan disabled, keeping backups too briefly or for no stated time, or running
less often than the RPO, and a core or personal bucket without a sound copy (another mainland
region, writes only, versioned and encrypted) fail with the control id; only a bucket the plan
builds as a copy counts as one; a second cloud does not double a finding; a cloud without
managed backup is not judged."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from policy.config import pack_config
from policy.crossguard import PackConfig, configured
from policy.facts import collect
from policy.facts.alicloud_backup import interval_hours
from policy.facts.model import Facts, Instance, Subject
from policy.policies import PlanGraph, PlanResource
from policy.policies.environment.backup import CLOUD_BACKUP_PLANS, OFFSITE_BUCKET_COPIES
from tests.policy.test_environment_policies import (
    OFFSITE,
    PROVIDER,
    REPLICATION,
    changed,
    good,
    no_copy,
    r,
    run,
    without,
)

BAK = ("cloud_backup_plans", "offsite_bucket_copies")
PLANS = (("vm-backup", "instance vm"), ("emr-backup", "bucket emr-archive"))
NO_COPY_MESSAGE = (
    "emr-archive", "CES-BAK-02", "bucket emr-archive holds core data but it is copied to no other region")


def _both(plan: list[PlanResource]) -> list[tuple[str, str, str]]:
    return [*run(BAK[0], plan), *run(BAK[1], plan)]


def test_the_adapter_reads_plans_and_replications_with_their_regions() -> None:
    facts = collect(PlanGraph(good()))
    assert [(p.kind, p.target, p.retention_days, p.enabled, p.interval_hours, p.rpo_hours)
            for p in facts.backup_plans] == [
        ("instance", "vm", 10950, True, 4, 4), ("bucket", "emr-archive", 10950, True, 4, 4)]
    assert [(x.source, x.target, x.source_region, x.target_region, x.writes_only, x.built_as_copy)
            for x in facts.replications] == [
        ("emr-archive", OFFSITE, "cn-shanghai", "cn-hangzhou", True, True)]


@pytest.mark.parametrize(("schedule", "hours"), [
    ("I|1735664400|PT4H", 4), ("I|1735664400|P30D", 720), ("I|1|P1W", 168), ("I|1|PT90M", 1.5),
    ("I|1|P1DT2H", 26), ("I|1|PT0H", None), ("I|1|P", None), ("daily", None), (None, None),
    ("I|x|PT4H", None),
])
def test_the_schedule_interval_is_read_in_hours(schedule: Any, hours: float | None) -> None:
    assert interval_hours(schedule) == hours


def test_the_compliant_plan_backs_up_and_copies_everything() -> None:
    assert _both(good()) == []


def test_an_instance_or_bucket_in_no_plan_is_a_finding_on_it() -> None:
    assert run("cloud_backup_plans", without({"vm-backup", "emr-backup"})) == [
        ("vm", "CES-BAK-01", "instance vm is in no backup plan"),
        ("emr-archive", "CES-BAK-01", "bucket emr-archive is in no backup plan"),
    ]


def test_a_plan_keeping_backups_under_thirty_days_is_a_finding_on_the_plan() -> None:
    assert run("cloud_backup_plans", changed("vm-backup", retention="7")) == [
        ("vm-backup", "CES-BAK-01", "the backup plan of instance vm keeps backups 7 days, fewer than 30")]


@pytest.mark.parametrize("retention", [None, "30.5", "thirty", "-40", ""])
def test_a_plan_stating_no_whole_number_of_days_is_a_finding(retention: Any) -> None:
    assert run("cloud_backup_plans", changed("emr-backup", retention=retention)) == [
        ("emr-backup", "CES-BAK-01",
         "the backup plan of bucket emr-archive states no retention in whole days")]


@pytest.mark.parametrize("disabled", [True, "true"])
def test_a_disabled_plan_is_a_finding_on_every_plan(disabled: Any) -> None:
    plan = changed("emr-backup", changed("vm-backup", disabled=disabled), disabled=disabled)
    assert run("cloud_backup_plans", plan) == [
        ("vm-backup", "CES-BAK-01", "the backup plan of instance vm is disabled"),
        ("emr-backup", "CES-BAK-01", "the backup plan of bucket emr-archive is disabled"),
    ]
    assert run("cloud_backup_plans", changed("vm-backup", disabled=False)) == []


@pytest.mark.parametrize(("schedule", "message"), [
    ("I|1735664400|P30D", "runs every 720 hours, longer than the RPO of 4 hours"),
    ("I|1735664400|PT5H", "runs every 5 hours, longer than the RPO of 4 hours"),
    ("I|1735664400|PT241M", "runs every 4.01667 hours, longer than the RPO of 4 hours"),
    ("C|1735664400|PT4H", "repeats at no readable interval"),
])
def test_a_plan_running_less_often_than_the_rpo_is_a_finding(schedule: str, message: str) -> None:
    assert run("cloud_backup_plans", changed("emr-backup", schedule=schedule)) == [
        ("emr-backup", "CES-BAK-01", f"the backup plan of bucket emr-archive {message}")]


@pytest.mark.parametrize("schedule", ["I|1735664400|PT4H", "I|1735664400|PT240M", "I|1|PT1H"])
def test_a_plan_running_at_most_every_rpo_passes(schedule: str) -> None:
    assert run("cloud_backup_plans", changed("emr-backup", schedule=schedule)) == []


def test_the_spec_rpo_the_plan_graph_carries_comes_before_the_vault_tag() -> None:
    def judged(rpo: int | None, plan: list[PlanResource]) -> list[tuple[str, str]]:
        graph = PlanGraph(plan, rpo_hours=rpo)
        return [(s.pointer.split("::")[-1], m) for s, (_, m) in CLOUD_BACKUP_PLANS.run(graph)]

    assert judged(4, good()) == []
    assert judged(3, good()) == [
        (p, f"the backup plan of {what} runs every 4 hours, longer than the RPO of 3 hours")
        for p, what in PLANS]
    untagged = changed("vault", tags={})
    assert judged(4, untagged) == []
    assert judged(None, untagged) == [
        (p, f"the backup plan of {what} runs every 4 hours, but no RPO (backup.rpo_hours) is given "
            "to judge it by")
        for p, what in PLANS]


def test_the_pack_config_carries_the_rpo() -> None:
    assert configured({"rpoHours": 4}, 3) == PackConfig(3, None, 4)
    assert configured(None, 2) == PackConfig(2)
    assert pack_config(3, rpo_hours=4)["cloud_backup_plans"]["rpoHours"] == 4
    assert "rpoHours" not in pack_config(3)["cloud_backup_plans"]


def test_the_audit_archive_and_the_offsite_copy_need_no_plan_of_their_own() -> None:
    plan = without({"vm-backup", "emr-backup"})
    named = {name for name, _, _ in run("cloud_backup_plans", plan)}
    assert named == {"vm", "emr-archive"}


def test_being_the_target_of_a_replication_is_no_backup() -> None:
    scratch = r(REPLICATION, "scratch-copy", {
        "bucket": "scratch", "action": "PUT",
        "destination": {"bucket": "emr-archive", "location": "oss-cn-hangzhou"}}, )
    plan = [*without({"emr-backup", "emr-copy"}), dataclasses.replace(scratch, provider="urn:ali")]
    assert [f for f in _both(plan) if f[0] == "emr-archive"] == [
        ("emr-archive", "CES-BAK-01", "bucket emr-archive is in no backup plan"), NO_COPY_MESSAGE]
    # The off-site bucket no source replicates into is no copy either: it is judged as a bucket.
    assert {(name, control) for name, control, _ in _both(plan) if name == OFFSITE} == {
        (OFFSITE, "CES-BAK-01"), (OFFSITE, "CES-BAK-02")}


def test_a_copy_not_built_as_the_copy_of_its_source_needs_its_own_backup() -> None:
    untagged = changed(OFFSITE, tags={"mlps:data-class": "core"})
    assert run("cloud_backup_plans", untagged) == [
        (OFFSITE, "CES-BAK-01", f"bucket {OFFSITE} is in no backup plan")]
    other = changed(OFFSITE, tags={"mlps:data-class": "core", "mlps:copy-of": "scratch"})
    assert run("cloud_backup_plans", other) == [
        (OFFSITE, "CES-BAK-01", f"bucket {OFFSITE} is in no backup plan")]


def test_a_core_bucket_copied_nowhere_is_a_finding() -> None:
    assert run("offsite_bucket_copies", no_copy()) == [NO_COPY_MESSAGE]


def test_a_copy_in_the_same_or_a_non_mainland_region_is_a_finding() -> None:
    for location, region in (("oss-cn-shanghai", "cn-shanghai"), ("oss-cn-hongkong", "cn-hongkong")):
        plan = changed("emr-copy", destination={"bucket": OFFSITE, "location": location})
        assert run("offsite_bucket_copies", plan) == [
            ("emr-archive", "CES-BAK-02", f"bucket emr-archive holds core data but its copy {OFFSITE} "
                                          f"is in {region}, not another mainland region")]


@pytest.mark.parametrize("action", ["DELETE", "ALL", "PUT,DELETE", None])
def test_a_replication_carrying_deletions_is_a_finding(action: str | None) -> None:
    assert run("offsite_bucket_copies", changed("emr-copy", action=action)) == [
        ("emr-archive", "CES-BAK-02", f"bucket emr-archive holds core data but its copy {OFFSITE} "
                                      "receives deletions too (replication action not PUT)")]


def test_a_copy_the_plan_does_not_build_or_does_not_version_is_a_finding() -> None:
    missing = without({OFFSITE})
    assert run("offsite_bucket_copies", missing) == [
        ("emr-archive", "CES-BAK-02",
         f"bucket emr-archive holds core data but its copy {OFFSITE} is not built by the plan")]
    unversioned = changed(OFFSITE, versioning={"status": "Suspended"})
    assert run("offsite_bucket_copies", unversioned) == [
        ("emr-archive", "CES-BAK-02",
         f"bucket emr-archive holds core data but its copy {OFFSITE} is not versioned and encrypted")]


def test_a_second_cloud_of_the_provider_reports_nothing_twice() -> None:
    offsite = r(PROVIDER, "ali-offsite", {"region": "cn-hangzhou"})

    def two_clouds(plan: list[PlanResource]) -> list[PlanResource]:
        moved = [dataclasses.replace(x, provider="urn:ali-offsite") if x.name.startswith(OFFSITE) else x
                 for x in plan]
        return [offsite, *moved]

    assert len(collect(PlanGraph(two_clouds(good()))).clouds) == 2
    assert _both(two_clouds(good())) == []
    assert _both(two_clouds(without({"vm-backup", "emr-backup"}))) == run(
        "cloud_backup_plans", without({"vm-backup", "emr-backup"}))
    assert _both(two_clouds(no_copy())) == [NO_COPY_MESSAGE]


def test_a_cloud_without_managed_backup_is_not_judged() -> None:
    subject = Subject("vm::h", "urn:h")
    facts = Facts(instances=[Instance("h", "openstack", "app", False, True, "k", (), subject)])
    assert list(CLOUD_BACKUP_PLANS.check(facts, 3)) == []
    bucket = dataclasses.replace(collect(PlanGraph(good())).buckets[1], provider="openstack")
    assert bucket.data_class == "core"
    assert list(OFFSITE_BUCKET_COPIES.check(Facts(buckets=[bucket]), 3)) == []
