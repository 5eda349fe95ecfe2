"""One KMS key per purpose (CLD-KMS-01) under the mock runtime: disks, buckets, Kubernetes
Secrets, log stores and the backup vault each under a key of their own, tagged with its purpose
and kept; with ``cloud.key_algorithm: sm4`` the keys of disks, buckets and log stores are SM4 and
buckets and log stores encrypt with SM4, while ACK's and HBR's keys stay AES-256; a cloud whose
key manager has no SM4 (OpenStack's Barbican) refuses the spec before anything is built."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from synthfix import modified

from mlps.synth.checks import plan_graph
from mlps.synth.mockrun import Registration, run_program
from mlps.synth.run import PROJECT, SynthResult
from policy.policies.environment.storage import KEYS_PER_PURPOSE
from stacks.program import EnvironmentStack, build

KEY = "alicloud:kms/key:Key"
CONSUMERS: dict[str, tuple[str, tuple[str, ...]]] = {
    # resource type -> (the purpose of its key, the path of the key in its inputs)
    "alicloud:ecs/instance:Instance": ("disks", ("systemDiskKmsKeyId",)),
    "alicloud:cs/nodePool:NodePool": ("disks", ("systemDiskKmsKey",)),
    "alicloud:oss/bucket:Bucket": ("buckets", ("serverSideEncryptionRule", "kmsMasterKeyId")),
    "alicloud:log/store:Store": ("logs", ("encryptConf", "userCmkInfo", "cmkKeyId")),
    "alicloud:cs/managedKubernetes:ManagedKubernetes": ("secrets", ("encryptionProviderKey",)),
    "alicloud:hbr/vault:Vault": ("backup", ("kmsKeyId",)),
}


def _at(inputs: dict[str, Any], path: tuple[str, ...]) -> Any:
    for step in path:
        inputs = inputs.get(step) or {}
    return inputs or None


def _keys(regs: list[Registration]) -> dict[str, Registration]:
    """The environment's keys by purpose (the off-site copies' key lives in another region)."""
    return {r.inputs["tags"]["mlps:purpose"]: r for r in regs
            if r.type == KEY and not r.name.endswith("-offsite")}


def _uses(regs: list[Registration]) -> dict[str, set[str]]:
    """Purpose -> the key ids its consumers are encrypted under (mock ids are ``<name>-id``); the
    off-site copies apart, under their own region's key."""
    uses: dict[str, set[str]] = {}
    for r in regs:
        if r.type in CONSUMERS and (key := _at(r.inputs, CONSUMERS[r.type][1])):
            copy = "mlps:copy-of" in (r.inputs.get("tags") or {})
            uses.setdefault("off-site copies" if copy else CONSUMERS[r.type][0], set()).add(key)
    return uses


@pytest.mark.parametrize("stack", ["cloud-dev", "hybrid-prod"])
def test_each_purpose_is_encrypted_under_its_own_kept_hsm_key(
        synthesized: dict[str, SynthResult], stack: str) -> None:
    regs = synthesized[stack].registrations
    keys = _keys(regs)
    uses = _uses(regs)
    assert uses.pop("off-site copies") == {f"{stack}-kms-offsite-id"}
    assert set(uses) <= set(keys) and "disks" in uses and "logs" in uses and "buckets" in uses
    for purpose, ids in uses.items():
        assert ids == {f"{keys[purpose].name}-id"}, purpose
    assert all(k.inputs["protectionLevel"] == "HSM" and k.protect and k.retain_on_delete
               for k in keys.values())
    assert {k.inputs["keySpec"] for k in keys.values()} == {"Aliyun_AES_256"}
    assert list(KEYS_PER_PURPOSE.run(plan_graph(regs, level=3))) == []


def test_a_cloud_without_kubernetes_or_backup_gets_no_key_for_them() -> None:
    def change(d: dict[str, Any]) -> None:
        d["kubernetes"]["enabled"] = False
        d["workloads"] = []
        d["backup"]["local"]["enabled"] = False
        for zone in d["zones"]:  # no workload left to serve the internet
            zone["ingress"] = [f for f in zone.get("ingress", []) if f["from"] != "internet"]

    spec = modified("cloud-dev", change)
    regs = run_program(lambda: EnvironmentStack(spec), "mlps", "cloud-dev", {})
    assert {"disks", "buckets", "logs"} <= set(_keys(regs)) and not {"secrets", "backup"} & set(_keys(regs))


def test_sm4_keys_for_disks_buckets_and_logs_and_sm4_data_encryption() -> None:
    spec = modified("cloud-dev", lambda d: d["cloud"].update(key_algorithm="sm4"))
    regs = run_program(lambda: build(spec), PROJECT, "cloud-dev", {})
    specs = {purpose: k.inputs["keySpec"] for purpose, k in _keys(regs).items()}
    assert specs == {"disks": "Aliyun_SM4", "buckets": "Aliyun_SM4", "logs": "Aliyun_SM4",
                     "secrets": "Aliyun_AES_256", "backup": "Aliyun_AES_256"}
    rules = [r.inputs["serverSideEncryptionRule"] for r in regs if r.type == "alicloud:oss/bucket:Bucket"]
    assert [x.get("kmsDataEncryption") for x in rules if x["sseAlgorithm"] == "KMS"] and all(
        x.get("kmsDataEncryption") == "SM4" for x in rules if x["sseAlgorithm"] == "KMS")
    stores = [r.inputs["encryptConf"] for r in regs if r.type == "alicloud:log/store:Store"]
    assert stores and {s["encryptType"] for s in stores} == {"m4"}


def test_aes_256_stays_the_default_without_sm4_data_encryption(synthesized: dict[str, SynthResult]) -> None:
    regs = synthesized["cloud-dev"].registrations
    rules = [r.inputs["serverSideEncryptionRule"] for r in regs if r.type == "alicloud:oss/bucket:Bucket"]
    assert not any(x.get("kmsDataEncryption") for x in rules)
    assert {r.inputs["encryptConf"]["encryptType"] for r in regs if r.type == "alicloud:log/store:Store"} == {
        "default"}


def test_a_cloud_without_sm4_keys_refuses_an_sm4_spec_before_anything_is_built() -> None:
    spec = modified("private-cloud", lambda d: d["cloud"].update(key_algorithm="sm4"))
    sink: list[Registration] = []
    with pytest.raises(pulumi.RunError, match="SOM-CRYPTO-02: openstack has no sm4_keys"):
        run_program(lambda: EnvironmentStack(spec), "mlps", "private-cloud", {}, sink=sink)
    assert not [r for r in sink if r.custom]
