"""Each plan-time policy: metadata matches the catalog, one passing and one failing fixture."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from mlps.controls import catalog  # noqa: E402
from policy.crossguard import to_crossguard  # noqa: E402
from policy.policies import POLICIES, PlanGraph, PlanResource  # noqa: E402
from tests.policy.test_environment_policies import changed, good, no_copy, rekeyed, without  # noqa: E402

NS, NP = "kubernetes:core/v1:Namespace", "kubernetes:networking.k8s.io/v1:NetworkPolicy"
P = "urn:k8s-provider"
SC = {
    "runAsNonRoot": True,
    "readOnlyRootFilesystem": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
}


def r(type_: str, name: str, props: dict[str, Any], **deps: str) -> PlanResource:
    return PlanResource(type_, name, f"urn:{name}", props, P, {k: (v,) for k, v in deps.items()})


def ns(name: str, kind: str = "core", pss: str = "restricted") -> PlanResource:
    labels = {
        "mlps.dev/namespace-kind": "workload",
        "mlps.dev/zone-kind": kind,
        "pod-security.kubernetes.io/enforce": pss,
    }
    return r(NS, f"ns-{name}", {"metadata": {"name": name, "labels": labels}})


def netpol(name: str, namespace: str, spec: dict[str, Any]) -> PlanResource:
    return r(
        NP,
        f"{namespace}-{name}",
        {"metadata": {"name": name, "namespace": namespace}, "spec": spec},
    )


DENY = [
    netpol("deny-in", "core", {"podSelector": {}, "policyTypes": ["Ingress"]}),
    netpol("deny-out", "core", {"podSelector": {}, "policyTypes": ["Egress"]}),
]
QUOTA = [
    r("kubernetes:core/v1:ResourceQuota", "q", {"metadata": {"name": "q", "namespace": "core"}}),
    r("kubernetes:core/v1:LimitRange", "l", {"metadata": {"name": "l", "namespace": "core"}}),
]


def workload(kind: str, token: str, sc: dict[str, Any]) -> PlanResource:
    pod = {
        "securityContext": {"runAsNonRoot": True},
        "containers": [{"name": "c", "securityContext": sc}],
    }
    spec = {"template": {"spec": pod}}
    if kind == "Pod":
        spec = pod
    if kind == "CronJob":
        spec = {"jobTemplate": {"spec": {"template": {"spec": pod}}}}
    return r(token, f"{kind.lower()}-x", {"metadata": {"name": "x", "namespace": "core"}, "spec": spec})


SG = "alicloud:ecs/securityGroup:SecurityGroup"
RULE = "alicloud:ecs/securityGroupRule:SecurityGroupRule"
BUCKET = "alicloud:oss/bucket:Bucket"
ACK = "alicloud:cs/managedKubernetes:ManagedKubernetes"
WORM = "alicloud:oss/bucketWorm:BucketWorm"
DENY_EGRESS = {"type": "egress", "policy": "drop", "ipProtocol": "all", "cidrIp": "0.0.0.0/0"}
GOOD_BUCKET = {
    "bucket": "b",
    "versioning": {"status": "Enabled"},
    "tags": {"mlps:data-class": "core"},
    "serverSideEncryptionRule": {"sseAlgorithm": "KMS", "kmsMasterKeyId": "k"},
}
INSTANCE = "alicloud:ecs/instance:Instance"
APPROVED = ("debian-12",)
GOOD_VM = {"vswitchId": "vsw", "systemDiskEncrypted": True, "systemDiskKmsKeyId": "k"}

_WORKLOADS = {
    f"{k.lower()}_hardened_containers": (k, t)
    for k, t in [
        ("Deployment", "kubernetes:apps/v1:Deployment"),
        ("DaemonSet", "kubernetes:apps/v1:DaemonSet"),
        ("StatefulSet", "kubernetes:apps/v1:StatefulSet"),
        ("Pod", "kubernetes:core/v1:Pod"),
        ("Job", "kubernetes:batch/v1:Job"),
        ("CronJob", "kubernetes:batch/v1:CronJob"),
    ]
}

# policy name → (passing graph, failing graph, name of the resource that must fail)
FIXTURES: dict[str, tuple[list[PlanResource], list[PlanResource], str]] = {
    "default_deny_network_policies": ([ns("core"), *DENY], [ns("core"), DENY[0]], "ns-core"),
    "namespace_pod_security_restricted": ([ns("core")], [ns("core", pss="privileged")], "ns-core"),
    "namespace_quota_and_limits": ([ns("core"), *QUOTA], [ns("core"), QUOTA[1]], "ns-core"),
    "no_external_service_in_core": (
        [
            ns("core"),
            r(
                "kubernetes:core/v1:Service",
                "svc",
                {"metadata": {"name": "s", "namespace": "core"}, "spec": {"type": "ClusterIP"}},
            ),
        ],
        [
            ns("core"),
            r(
                "kubernetes:core/v1:Service",
                "svc",
                {"metadata": {"name": "s", "namespace": "core"}, "spec": {"type": "NodePort"}},
            ),
        ],
        "svc",
    ),
    "no_internet_ingress_to_important_zones": (
        [
            ns("dmz", kind="dmz"),
            netpol("web", "dmz", {"ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}),
        ],
        [
            ns("core"),
            netpol("web", "core", {"ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}),
        ],
        "core-web",
    ),
    "no_internet_ingress_to_core_workloads": (
        [
            ns("dmz", kind="dmz"),
            netpol("web", "dmz", {"podSelector": {}, "ingress": [
                {"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 8443}]}]}),
            r("kubernetes:apps/v1:Deployment", "reg", {
                "metadata": {"name": "registration", "namespace": "dmz"},
                "spec": {"template": {
                    "metadata": {"labels": {"mlps.dev/data-class": "personal"}},
                    "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 8443}]}]}}}}),
        ],
        [
            ns("dmz", kind="dmz"),
            netpol("web", "dmz", {"podSelector": {}, "ingress": [
                {"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 8042}]}]}),
            r("kubernetes:apps/v1:Deployment", "pacs", {
                "metadata": {"name": "pacs", "namespace": "dmz"},
                "spec": {"template": {
                    "metadata": {"labels": {"mlps.dev/data-class": "public"}},
                    "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 8042}]}]}}}}),
        ],
        "dmz-web",
    ),
    **{
        name: (
            [workload(k, t, SC)],
            [workload(k, t, {**SC, "readOnlyRootFilesystem": False})],
            f"{k.lower()}-x",
        )
        for name, (k, t) in _WORKLOADS.items()
    },
    "china_region": (
        [r("pulumi:providers:alicloud", "ali", {"region": "cn-hangzhou"})],
        [r("pulumi:providers:alicloud", "ali", {"region": "cn-hongkong"})],
        "ali",
    ),
    "bucket_versioning_lock_encryption": (
        [r(BUCKET, "b", GOOD_BUCKET), r(WORM, "w", {"status": "Locked"}, bucket="urn:b")],
        [
            r(BUCKET, "b", {**GOOD_BUCKET, "versioning": {"status": "Suspended"}}),
            r(WORM, "w", {"status": "Locked"}, bucket="urn:b"),
        ],
        "b",
    ),
    "kms_encryption": (
        [r(BUCKET, "b", GOOD_BUCKET)],
        [r(BUCKET, "b", {**GOOD_BUCKET, "serverSideEncryptionRule": {"sseAlgorithm": "AES256"}})],
        "b",
    ),
    "log_retention": (
        [r("alicloud:log/store:Store", "s", {"retentionPeriod": 180})],
        [r("alicloud:log/store:Store", "s", {"retentionPeriod": 90})],
        "s",
    ),
    "audit_trail_enabled": (
        [r("alicloud:actiontrail/trail:Trail", "t", {"status": "Enable", "eventRw": "All"})],
        [r("alicloud:actiontrail/trail:Trail", "t", {"status": "Disable"})],
        "t",
    ),
    "security_group_default_deny": (
        [
            r(SG, "sg", {"innerAccessPolicy": "Drop"}),
            r(RULE, "deny", DENY_EGRESS, securityGroupId="urn:sg"),
        ],
        [
            r(SG, "sg", {"innerAccessPolicy": "Drop"}),
            r(RULE, "deny", DENY_EGRESS, securityGroupId="urn:other"),
        ],
        "sg",
    ),
    "no_public_mgmt_ports": (
        [r(RULE, "web", {"type": "ingress", "cidrIp": "0.0.0.0/0", "portRange": "443/443"})],
        [r(RULE, "ssh", {"type": "ingress", "cidrIp": "0.0.0.0/0", "portRange": "1/1024"})],
        "ssh",
    ),
    "instance_isolated_network": (
        [r("alicloud:vpc/switch:Switch", "vsw", {}), r(INSTANCE, "vm", GOOD_VM, vswitchId="urn:vsw")],
        [r("alicloud:vpc/switch:Switch", "vsw", {}),
         r(INSTANCE, "vm", {**GOOD_VM, "internetMaxBandwidthOut": 100}, vswitchId="urn:vsw")],
        "vm",
    ),
    "approved_instance_image": (
        [r(INSTANCE, "vm", {**GOOD_VM, "imageId": "debian-12"})],
        [r(INSTANCE, "vm", {**GOOD_VM, "imageId": "centos-7"})],
        "vm",
    ),
    "instance_disk_kms_encryption": (
        [r(INSTANCE, "vm", GOOD_VM)],
        [r(INSTANCE, "vm", {**GOOD_VM, "systemDiskEncrypted": False})],
        "vm",
    ),
    # environment policies: a compliant plan, and one missing what the policy looks for
    "audit_trail_delivered": (good(), without({"store", "trail-archive"}), "trail"),
    "audit_trail_retention": (good(), changed("store", without({"trail-archive-worm"}), retentionPeriod=90),
                              "trail"),
    "audit_archive_protected": (good(), without({"trail-archive-worm"}), "trail-archive"),
    "zone_boundary_default_deny": (good(), without({"sg"}), "vsw"),
    "record_buckets_locked": (good(), without({"emr-archive-worm"}), "emr-archive"),
    "bucket_access_guarded": (good(), without({"emr-archive-block"}), "emr-archive"),
    "bucket_tls_only": (good(), without({"emr-archive-tls"}), "emr-archive"),
    "encryption_at_rest": (good(), changed("vm", systemDiskEncrypted=False), "vm"),
    "keys_per_purpose": (good(), rekeyed(good(), vm="urn:kms"), "kms"),
    "stand_ins_present": (
        [r("pulumi:providers:openstack", "os", {"region": "cn-dc1"}),
         r("openstack:compute/instance:Instance", "vm",
           {"metadata": {"mlps-roles": "object_storage,log_audit_server"}})],
        [r("pulumi:providers:openstack", "os", {"region": "cn-dc1"})],
        "os",
    ),
    "cluster_network_policy_enforced": (
        [r(ACK, "ack", {"addons": [{"name": "terway-eniip", "config": '{"NetworkPolicy": "true"}'}]})],
        [r(ACK, "ack", {"addons": [{"name": "flannel"}]})],
        "ack",
    ),
    "cluster_api_private": (
        [r(ACK, "ack", {"slbInternetEnabled": False})],
        [r(ACK, "ack", {})],
        "ack",
    ),
    "cloud_password_policy": (good(), changed("passwords", maxPasswordAge=0), "passwords"),
    "cloud_login_mfa": (good(), changed("preference", mfaOperationForLogin="independent"), "preference"),
    "cloud_admin_roles_separated": (good(), without({"audit-attach"}), "audit-admins"),
    "provider_assumes_role": (good(), changed("ali", assumeRole=None), "ali"),
    "cloud_backup_plans": (good(), without({"vm-backup"}), "vm"),
    "offsite_bucket_copies": (good(), no_copy(), "emr-archive"),
    "network_flow_logs": (good(), without({"flow"}), "vsw"),
    "flow_log_retention": (good(), changed("flowlog", retentionPeriod=30), "flow"),
    "log_stores_encrypted_indexed": (good(), without({"flowlog-index"}), "flowlog"),
    "management_alerts": (good(), without({"alert-root_login"}), "trail"),
    "dedicated_lines_redundant": (
        good(), changed("line-cu-vbr", tags={"mlps:carrier": "china-telecom"}), "ali"),
    "line_failover_detection": (good(), without({"line-ct-health-check"}), "line-ct"),
    "availability_zones_spread": (good(), changed("vsw", zoneId="cn-shanghai-l"), "vsw"),
    "internet_front_door": (good(), changed("alb", loadBalancerEdition="Standard"), "alb"),
    # the compliant plan's one zone needs no flow: an accept rule in its group admits too much
    "required_flows_permitted": (good(), [*good(), r(RULE, "ssh", {
        "type": "ingress", "policy": "accept", "ipProtocol": "tcp", "portRange": "22/22",
        "cidrIp": "10.1.0.0/24"}, securityGroupId="urn:sg")], "sg"),
    "host_threat_detection": (good(), changed("security-center", postPaidHostAutoBindVersion=1),
                              "security-center"),
}

BY_NAME = {p.name: p for p in POLICIES}


def test_every_policy_has_fixtures_and_unique_name() -> None:
    assert len(BY_NAME) == len(POLICIES)
    assert set(FIXTURES) == set(BY_NAME)


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_policy_metadata_matches_the_catalog(name: str) -> None:
    policy = BY_NAME[name]
    cat = catalog()
    for control_id in policy.controls:
        control = cat.get(control_id)
        assert control is not None, control_id
        assert "plan" in control.checkpoints, control_id
        assert set(policy.levels) <= set(control.levels), control_id
    assert policy.enforcement(min(policy.levels)) == "mandatory"
    assert policy.enforcement(1) == "advisory"


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_policy_passes_and_fails(name: str) -> None:
    policy = BY_NAME[name]
    good, bad, culprit = FIXTURES[name]
    assert list(policy.run(PlanGraph(good, approved_images=APPROVED, required_flows=()))) == []
    violations = list(policy.run(PlanGraph(bad, approved_images=APPROVED, required_flows=())))
    assert violations and {res.pointer.rsplit("::", 1)[-1] for res, _ in violations} == {culprit}
    assert {control for _, (control, _) in violations} <= set(policy.controls)


def test_level_two_accepts_baseline_pod_security_level_three_does_not() -> None:
    policy = BY_NAME["namespace_pod_security_restricted"]
    graph = [ns("core", pss="baseline")]
    assert list(policy.run(PlanGraph(graph, level=2))) == []
    assert list(policy.run(PlanGraph(graph, level=3)))


def test_crossguard_policy_reports_the_same_violation() -> None:
    from pulumi_policy import EnforcementLevel, ResourceValidationArgs

    cg = to_crossguard(BY_NAME["log_retention"], level=3)
    assert cg.enforcement_level == EnforcementLevel.MANDATORY
    assert to_crossguard(BY_NAME["log_retention"], level=2).enforcement_level == EnforcementLevel.ADVISORY
    reports: list[str] = []
    args = ResourceValidationArgs(
        "alicloud:log/store:Store", {"retentionPeriod": 30}, "urn:s", "s", None, None
    )  # type: ignore[arg-type]
    cg.validate(args, lambda message, urn=None: reports.append(message))  # type: ignore[union-attr]
    assert reports and reports[0].startswith("[SMC-CEN-04]")
