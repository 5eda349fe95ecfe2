"""Backup policies over neutral facts: the compliant Alibaba Cloud plan passes; an instance or
bucket in no plan, a plan keeping backups too briefly, and a core or personal bucket without a
sound copy in another mainland region fail with the control id; a cloud without managed backup
is not judged."""

from __future__ import annotations

import dataclasses

from policy.facts import collect
from policy.facts.model import BackupPlan, Facts, Instance, Subject
from policy.policies import PlanGraph
from policy.policies.environment.backup import CLOUD_BACKUP_PLANS, OFFSITE_BUCKET_COPIES
from tests.policy.test_environment_policies import OFFSITE, changed, good, no_copy, run, without


def test_the_adapter_reads_plans_and_replications_with_their_regions() -> None:
    facts = collect(PlanGraph(good()))
    assert [(p.kind, p.target, p.retention_days) for p in facts.backup_plans] == [
        ("instance", "vm", 10950), ("bucket", "emr-archive", 10950)]
    assert [(x.source, x.target, x.source_region, x.target_region) for x in facts.replications] == [
        ("emr-archive", OFFSITE, "cn-shanghai", "cn-hangzhou")]


def test_the_compliant_plan_backs_up_and_copies_everything() -> None:
    assert run("cloud_backup_plans", good()) == []
    assert run("offsite_bucket_copies", good()) == []


def test_an_instance_or_bucket_in_no_plan_is_a_finding_on_it() -> None:
    assert run("cloud_backup_plans", without({"vm-backup", "emr-backup"})) == [
        ("vm", "CES-BAK-01", "instance vm is in no backup plan"),
        ("emr-archive", "CES-BAK-01", "bucket emr-archive is in no backup plan"),
    ]


def test_a_plan_keeping_backups_under_thirty_days_is_a_finding_on_the_plan() -> None:
    assert run("cloud_backup_plans", changed("vm-backup", retention="7")) == [
        ("vm-backup", "CES-BAK-01", "the backup plan of instance vm keeps backups 7 days, fewer than 30")]


def test_the_audit_archive_and_the_offsite_copy_need_no_plan_of_their_own() -> None:
    plan = without({"vm-backup", "emr-backup"})
    named = {name for name, _, _ in run("cloud_backup_plans", plan)}
    assert named == {"vm", "emr-archive"}


def test_a_core_bucket_copied_nowhere_is_a_finding() -> None:
    assert run("offsite_bucket_copies", no_copy()) == [
        ("emr-archive", "CES-BAK-02",
         "bucket emr-archive holds core data but it is copied to no other region")]


def test_a_copy_in_the_same_or_a_non_mainland_region_is_a_finding() -> None:
    for location, region in (("oss-cn-shanghai", "cn-shanghai"), ("oss-cn-hongkong", "cn-hongkong")):
        plan = changed("emr-copy", destination={"bucket": OFFSITE, "location": location})
        assert run("offsite_bucket_copies", plan) == [
            ("emr-archive", "CES-BAK-02", f"bucket emr-archive holds core data but its copy {OFFSITE} "
                                          f"is in {region}, not another mainland region")]


def test_a_copy_the_plan_does_not_build_or_does_not_version_is_a_finding() -> None:
    missing = without({OFFSITE})
    assert run("offsite_bucket_copies", missing) == [
        ("emr-archive", "CES-BAK-02",
         f"bucket emr-archive holds core data but its copy {OFFSITE} is not built by the plan")]
    unversioned = changed(OFFSITE, versioning={"status": "Suspended"})
    assert run("offsite_bucket_copies", unversioned) == [
        ("emr-archive", "CES-BAK-02",
         f"bucket emr-archive holds core data but its copy {OFFSITE} is not versioned and encrypted")]


def test_a_cloud_without_managed_backup_is_not_judged() -> None:
    subject = Subject("vm::h", "urn:h")
    facts = Facts(instances=[Instance("h", "openstack", "app", False, True, "k", (), subject)])
    assert list(CLOUD_BACKUP_PLANS.check(facts, 3)) == []
    bucket = dataclasses.replace(collect(PlanGraph(good())).buckets[1], provider="openstack")
    assert bucket.data_class == "core"
    assert list(OFFSITE_BUCKET_COPIES.check(Facts(buckets=[bucket]), 3)) == []


def test_a_plan_of_the_provider_with_no_retention_is_no_finding() -> None:
    plan = BackupPlan("bucket", "emr-archive", "alicloud", None, Subject("p::x", "urn:x"))
    facts = collect(PlanGraph(good()))
    facts.backup_plans = [*facts.backup_plans[:1], plan]
    assert list(CLOUD_BACKUP_PLANS.check(facts, 3)) == []
