"""Backup on the cloud side (GB/T 22239-2019 8.1.4.9): every Alibaba Cloud instance and bucket in
an HBR plan into a KMS-encrypted vault, system disks snapshotted, core and personal buckets copied
to a second mainland region and kept on destroy; a cloud without managed backup is named in a
notice."""

from __future__ import annotations

import json
from typing import Any

from synthfix import modified, of_type

from mlps.synth.checks import plan_graph
from mlps.synth.mockrun import Registration, run_program
from mlps.synth.run import SynthResult
from policy.policies.environment.backup import CLOUD_BACKUP_PLANS
from stacks.capabilities import backup_notices
from stacks.model import environment
from stacks.program import EnvironmentStack
from stacks.providers.alicloud.backup import offsite_region

VAULT = "alicloud:hbr/vault:Vault"
CLIENT = "alicloud:hbr/ecsBackupClient:EcsBackupClient"
ECS_PLAN = "alicloud:hbr/ecsBackupPlan:EcsBackupPlan"
OSS_PLAN = "alicloud:hbr/ossBackupPlan:OssBackupPlan"
SNAPSHOTS = "alicloud:ecs/autoSnapshotPolicy:AutoSnapshotPolicy"
ATTACH = "alicloud:ecs/ecsAutoSnapshotPolicyAttachment:EcsAutoSnapshotPolicyAttachment"
BUCKET = "alicloud:oss/bucket:Bucket"
WORM = "alicloud:oss/bucketWorm:BucketWorm"
REPLICATION = "alicloud:oss/bucketReplication:BucketReplication"
PROVIDER = "pulumi:providers:alicloud"


def _build(stack: str, change: Any) -> list[Registration]:
    spec = modified(stack, change)
    return run_program(lambda: EnvironmentStack(spec), "mlps", stack, {})


def _named(regs: list[Registration], token: str) -> dict[str, Registration]:
    return {r.name: r for r in regs if r.type == token}


def test_every_cloud_instance_and_bucket_is_backed_up_every_rpo_into_a_kms_vault(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["cloud-dev"]
    env = environment(result.spec.effective)
    (vault,) = [r for r in result.registrations if r.type == VAULT]
    assert (vault.inputs["encryptType"], vault.inputs["kmsKeyId"]) == ("KMS", "cloud-dev-kms-backup-id")
    assert vault.inputs["tags"] == {"mlps:rpo-hours": "4"}
    assert vault.inputs["wormEnabled"] is True and vault.protect and vault.retain_on_delete
    hosts = [h.name for h in env.hosts_at("cloud")]
    plans = {p["instanceId"]: p for p in of_type(result, ECS_PLAN)}
    assert sorted(plans) == sorted(f"cloud-dev-ecs-{h}-id" for h in hosts)
    assert sorted(c["instanceId"] for c in of_type(result, CLIENT)) == sorted(plans)
    buckets = {p["bucket"]: p for p in of_type(result, OSS_PLAN)}
    assert sorted(buckets) == sorted(b.name for b in env.buckets)
    for plan in [*plans.values(), *buckets.values()]:
        assert plan["vaultId"] == "cloud-dev-hbr-vault-id"
        assert plan["schedule"] == "I|1735664400|PT4H"  # backup.rpo_hours: 4
        assert plan["retention"] == str(env.backup.retention_days)
    (policy,) = of_type(result, SNAPSHOTS)
    assert policy["timePoints"] == ["1", "5", "9", "13", "17", "21"]
    assert policy["retentionDays"] == env.backup.retention_days
    disks = sorted(a["diskId"] for a in of_type(result, ATTACH))
    assert disks == sorted(f"cloud-dev-ecs-{h}-systemDiskId" for h in hosts)


def test_core_and_personal_buckets_are_copied_as_written_to_a_second_mainland_region(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["cloud-dev"]
    regs = result.registrations
    providers = {p["name"]: p["region"] for p in of_type(result, PROVIDER)}
    assert providers == {"cloud-dev-alicloud": "cn-shanghai", "cloud-dev-alicloud-offsite": "cn-hangzhou"}
    buckets = _named(regs, BUCKET)
    worms = {w.inputs["bucket"]: w for w in regs if w.type == WORM}
    for source in ("ankang-emr-archive", "ankang-portal-uploads"):
        copy = buckets[f"cloud-dev-oss-{source}-offsite"]
        assert copy.provider.endswith("::cloud-dev-alicloud-offsite")
        assert copy.inputs["versioning"] == {"status": "Enabled"}
        assert copy.inputs["serverSideEncryptionRule"] == {
            "sseAlgorithm": "KMS", "kmsMasterKeyId": "cloud-dev-kms-offsite-id"}
        assert copy.protect and copy.retain_on_delete
        lock = worms[f"{source}-offsite"]
        assert lock.inputs["status"] == "Locked"
        assert lock.inputs["retentionPeriodInDays"] == worms[source].inputs["retentionPeriodInDays"]
        replication = _named(regs, REPLICATION)[f"cloud-dev-oss-{source}-replication"].inputs
        assert replication["bucket"] == source
        assert replication["destination"] == {"bucket": f"{source}-offsite", "location": "oss-cn-hangzhou"}
        assert (replication["action"], replication["rtc"]) == ("PUT", {"enabled": True})
        assert replication["syncRole"] == "cloud-dev-oss-replication"
        assert copy.inputs["tags"]["mlps:copy-of"] == source
    (key,) = [r for r in regs if r.name == "cloud-dev-kms-offsite"]
    assert key.provider.endswith("::cloud-dev-alicloud-offsite") and key.protect
    (policy,) = [r for r in regs if r.name == "cloud-dev-ram-oss-replication-policy"]
    document = json.loads(policy.inputs["policyDocument"])
    assert document["Statement"][1]["Resource"] == [
        "acs:kms:cn-shanghai:*:key/cloud-dev-kms-buckets-id",
        "acs:kms:cn-hangzhou:*:key/cloud-dev-kms-offsite-id"]


def test_the_hybrid_cloud_side_is_backed_up_and_its_personal_buckets_copied(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["hybrid-prod"]
    env = environment(result.spec.effective)
    cloud = [b for b in env.buckets if b.placement == "cloud"]
    assert sorted(p["bucket"] for p in of_type(result, OSS_PLAN)) == sorted(b.name for b in cloud)
    assert len(of_type(result, ECS_PLAN)) == len(env.hosts_at("cloud"))
    copied = sorted(r["bucket"] for r in of_type(result, REPLICATION))
    assert copied == sorted(b.name for b in cloud if b.data_class in ("core", "personal"))
    assert {p["region"] for p in of_type(result, PROVIDER)} == {"cn-hangzhou", "cn-shanghai"}


def _offsite_in_beijing(data: dict[str, Any]) -> None:
    data["backup"]["offsite"]["region"] = "cn-beijing"


def _no_backup(data: dict[str, Any]) -> None:
    data["backup"]["local"]["enabled"] = False
    data["backup"]["offsite"]["enabled"] = False


def _unlocked_uploads_rpo_six(data: dict[str, Any]) -> None:
    data["object_storage"]["buckets"][1]["object_lock"]["mode"] = "none"
    data["backup"]["rpo_hours"] = 6


def test_the_copy_of_an_unlocked_bucket_and_its_key_outlive_a_destroy() -> None:
    regs = _build("cloud-dev", _unlocked_uploads_rpo_six)
    copy = _named(regs, BUCKET)["cloud-dev-oss-ankang-portal-uploads-offsite"]
    assert copy.protect and copy.retain_on_delete
    assert "ankang-portal-uploads-offsite" not in {w.inputs["bucket"] for w in regs if w.type == WORM}
    key = _named(regs, "alicloud:kms/key:Key")["cloud-dev-kms-offsite"]
    assert key.protect and key.retain_on_delete
    (vault,) = [r for r in regs if r.type == VAULT]
    assert vault.inputs["tags"] == {"mlps:rpo-hours": "6"}
    assert {p.inputs["schedule"] for p in regs if p.type in (ECS_PLAN, OSS_PLAN)} == {"I|1735664400|PT6H"}


def test_the_spec_names_the_offsite_region_or_the_pair_of_the_cloud_region() -> None:
    regs = _build("cloud-dev", _offsite_in_beijing)
    assert _named(regs, PROVIDER)["cloud-dev-alicloud-offsite"].inputs["region"] == "cn-beijing"
    assert offsite_region("cn-beijing", None) == "cn-zhangjiakou"
    assert offsite_region("cn-hangzhou", "cn-hangzhou") == "cn-shanghai"
    assert offsite_region("cn-qingdao", None) == "cn-hangzhou"


def test_backup_switched_off_in_the_spec_builds_no_plan_and_no_copy() -> None:
    regs = _build("cloud-dev", _no_backup)
    built = {r.type for r in regs}
    assert not built & {VAULT, ECS_PLAN, OSS_PLAN, SNAPSHOTS, REPLICATION}
    assert "cloud-dev-alicloud-offsite" not in _named(regs, PROVIDER)


def test_a_cloud_without_managed_backup_names_the_hospitals_own_backup(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["private-cloud"]
    assert not [r for r in result.registrations if r.type.startswith("alicloud:")]
    notices = json.loads(result.files["findings.json"])["notices"]
    (notice,) = [n for n in notices if n["control"] == "CES-BAK-01"]
    assert notice["pointer"] == "/backup/offsite"
    assert "openstack has no managed backup" in notice["message_en"]
    assert "backup.offsite: 滨江市第二人民医院灾备机房" in notice["message_en"]
    assert backup_notices(environment(synthesized["cloud-dev"].spec.effective)) == []


def test_the_plans_are_judged_against_the_rpo_synth_hands_the_policies(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["cloud-dev"]
    assert not [f for f in result.findings if f.control.startswith("CES-BAK")]
    stricter = plan_graph(result.registrations, 3, None, 2)
    found = [message for _, (_, message) in CLOUD_BACKUP_PLANS.run(stricter)]
    assert found and all(m.endswith("runs every 4 hours, longer than the RPO of 2 hours") for m in found)
