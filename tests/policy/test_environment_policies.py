"""Environment policies over neutral facts: a compliant Alibaba Cloud plan passes, a broken one
fails, and a plan missing the trail, its destination, a boundary or a lock fails with the
control id; a capability a provider lacks is a finding naming the role standing in for it."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from policy.crossguard import to_crossguard
from policy.facts import ADAPTERS, collect, package
from policy.facts.alicloud import refuses_plaintext
from policy.facts.model import Cloud, Facts, Gap, Instance, Subject
from policy.policies import POLICIES, PlanGraph, PlanResource
from policy.policies import environment as env
from policy.policies.environment.audit import AUDIT_TRAIL_DELIVERED
from policy.policies.environment.gaps import STAND_INS_PRESENT
from policy.policies.environment.storage import RECORD_BUCKETS_LOCKED
from stacks.capabilities import Capability
from stacks.providers.alicloud import tls_only_policy
from stacks.providers.alicloud.identity import admin_policy
from tests.policy.detection_support import ENCRYPTED, detection

BY_NAME = {p.name: p for p in POLICIES}
A = "alicloud"
PROVIDER, TRAIL, STORE = "pulumi:providers:alicloud", f"{A}:actiontrail/trail:Trail", f"{A}:log/store:Store"
BUCKET, WORM = f"{A}:oss/bucket:Bucket", f"{A}:oss/bucketWorm:BucketWorm"
BLOCK = f"{A}:oss/bucketPublicAccessBlock:BucketPublicAccessBlock"
LOGGING, POLICY = f"{A}:oss/bucketLogging:BucketLogging", f"{A}:oss/bucketPolicy:BucketPolicy"
SWITCH, SG = f"{A}:vpc/switch:Switch", f"{A}:ecs/securityGroup:SecurityGroup"
RULE, KEY, VM = (
    f"{A}:ecs/securityGroupRule:SecurityGroupRule",
    f"{A}:kms/key:Key",
    f"{A}:ecs/instance:Instance",
)
IMAGE = "debian_12_9_x64_20G_alibase_20250117.vhd"
ARN = "acs:log:cn-shanghai:123:project/audit"
RAM_PASSWORD = f"{A}:ram/accountPasswordPolicy:AccountPasswordPolicy"
PREFERENCE = f"{A}:ram/securityPreference:SecurityPreference"
GROUP, RAM_POLICY = f"{A}:ram/group:Group", f"{A}:ram/policy:Policy"
ATTACH = f"{A}:ram/groupPolicyAttachment:GroupPolicyAttachment"
MEMBER = f"{A}:ram/userGroupAttachment:UserGroupAttachment"
DEPLOY_ROLE = "acs:ram::123:role/mlps-deploy"
SECURITY_CENTER = f"{A}:threatdetection/instance:Instance"


def r(type_: str, name: str, props: dict[str, Any], **deps: str) -> PlanResource:
    return PlanResource(type_, name, f"urn:{name}", props, "p", {k: (v,) for k, v in deps.items()})


def bucket(name: str, data_class: str, lock: str | None = "Locked", days: int = 3650) -> list[PlanResource]:
    """A bucket and the resources guarding it, as the Alibaba provider builds them."""
    out = [
        r(
            BUCKET,
            name,
            {
                "bucket": name,
                "versioning": {"status": "Enabled"},
                "tags": {"mlps:data-class": data_class},
                "serverSideEncryptionRule": {"sseAlgorithm": "KMS", "kmsMasterKeyId": "k"},
            },
            serverSideEncryptionRule="urn:kms",
        ),
        r(BLOCK, f"{name}-block", {"bucket": name, "blockPublicAccess": True}, bucket=f"urn:{name}"),
        r(LOGGING, f"{name}-logging", {"bucket": name, "targetBucket": "logs"}, bucket=f"urn:{name}"),
        r(POLICY, f"{name}-tls", {"bucket": name, "policy": tls_only_policy(name)}, bucket=f"urn:{name}"),
    ]
    if lock:
        out.append(
            r(
                WORM,
                f"{name}-worm",
                {"bucket": name, "retentionPeriodInDays": days, "status": lock},
                bucket=f"urn:{name}",
            )
        )
    return out


def identity() -> list[PlanResource]:
    """The account's RAM rules and administrator groups with one member each, as the Alibaba
    provider builds them."""
    out = [
        r(RAM_PASSWORD, "passwords", {"minimumPasswordLength": 12, "requireSymbols": False,
                                      "maxPasswordAge": 90, "passwordReusePrevention": 5,
                                      "maxLoginAttempts": 5}),
        r(PREFERENCE, "preference", {"mfaOperationForLogin": "mandatory"}),
    ]
    for role in ("system", "security", "audit"):
        out += [
            r(GROUP, f"{role}-admins",
              {"groupName": f"{role}-admins", "comments": f"mlps:admin-role={role}"}),
            r(RAM_POLICY, f"{role}-admin",
              {"policyName": f"{role}-admin", "policyDocument": admin_policy(role)}),
            r(ATTACH, f"{role}-attach", {"groupName": f"{role}-admins", "policyName": f"{role}-admin"},
              groupName=f"urn:{role}-admins", policyName=f"urn:{role}-admin"),
            r(MEMBER, f"{role}-member", {"groupName": f"{role}-admins", "userName": f"{role}-person"},
              groupName=f"urn:{role}-admins"),
        ]
    return out


ECS_PLAN, OSS_PLAN = f"{A}:hbr/ecsBackupPlan:EcsBackupPlan", f"{A}:hbr/ossBackupPlan:OssBackupPlan"
VAULT = f"{A}:hbr/vault:Vault"
REPLICATION = f"{A}:oss/bucketReplication:BucketReplication"
OFFSITE = "emr-archive-offsite"


def backups() -> list[PlanResource]:
    """The compliant plan's backup: its instance and record bucket in running plans every 4 hours
    (the vault's RPO) kept 30 years, the bucket copied, writes only, to a versioned bucket built as
    its copy in a second region, encrypted under that region's key."""
    copy = r(
        REPLICATION,
        "emr-copy",
        {"bucket": "emr-archive", "destination": {"bucket": OFFSITE, "location": "oss-cn-hangzhou"},
         "action": "PUT"},
    )
    own_key = {"serverSideEncryptionRule": ("urn:kms-offsite",)}
    target = [
        dataclasses.replace(
            x, deps=own_key, props={**x.props, "tags": {**x.props["tags"], "mlps:copy-of": "emr-archive"}}
        )
        if x.name == OFFSITE
        else x
        for x in bucket(OFFSITE, "core")
    ]
    plan = {"vaultId": "vault-id", "schedule": "I|1735664400|PT4H", "retention": "10950"}
    return [
        r(KEY, "kms-offsite", {"keySpec": "Aliyun_AES_256", "protectionLevel": "HSM"}),
        r(VAULT, "vault", {"encryptType": "KMS", "tags": {"mlps:rpo-hours": "4"}}),
        r(ECS_PLAN, "vm-backup", {"instanceId": "vm-id", **plan}, instanceId="urn:vm", vaultId="urn:vault"),
        r(OSS_PLAN, "emr-backup", {"bucket": "emr-archive", **plan}, vaultId="urn:vault"),
        dataclasses.replace(copy, provider="urn:ali"),
        *target,
    ]


CIRCUIT = f"{A}:expressconnect/physicalConnection:PhysicalConnection"
VBR = f"{A}:expressconnect/virtualBorderRouter:VirtualBorderRouter"
BGP_GROUP, BGP_PEER = f"{A}:vpc/bgpGroup:BgpGroup", f"{A}:vpc/bgpPeer:BgpPeer"
HEALTH_CHECK = f"{A}:cen/vbrHealthCheck:VbrHealthCheck"
VBR_ATTACHMENT = f"{A}:cen/transitRouterVbrAttachment:TransitRouterVbrAttachment"
BFD = {"minRxInterval": 300, "minTxInterval": 300, "detectMultiplier": 3}


def line(name: str, operator: str, carrier: str) -> list[PlanResource]:
    """One dedicated line's cloud end: circuit, border router with BFD 300 ms × 3, BGP with BFD,
    a health check and the attachment to the transit router."""
    return [
        r(CIRCUIT, name, {"physicalConnectionName": name, "lineOperator": operator}),
        r(VBR, f"{name}-vbr", {**BFD, "tags": {"mlps:carrier": carrier}}, physicalConnectionId=f"urn:{name}"),
        r(BGP_GROUP, f"{name}-bgp", {"peerAsn": 65010, "authKey": "[secret]"}, routerId=f"urn:{name}-vbr"),
        r(BGP_PEER, f"{name}-bgp-peer", {"enableBfd": True}, bgpGroupId=f"urn:{name}-bgp"),
        r(HEALTH_CHECK, f"{name}-health-check", {"healthCheckInterval": 2, "healthyThreshold": 3},
          vbrInstanceId=f"urn:{name}-vbr"),
        r(VBR_ATTACHMENT, f"{name}-attachment", {"transitRouterId": "tr"}, vbrId=f"urn:{name}-vbr"),
    ]


def lines() -> list[PlanResource]:
    """The compliant plan's two dedicated lines, China Telecom and China Unicom."""
    return [*line("line-ct", "CT", "china-telecom"), *line("line-cu", "CU", "china-unicom")]


def good() -> list[PlanResource]:
    """A compliant plan: trail into a 180-day store and a locked archive, one guarded zone, the
    detection of ``detection_support`` and two dedicated lines."""
    return [
        r(PROVIDER, "ali", {"region": "cn-shanghai", "assumeRole": json.dumps({"roleArn": DEPLOY_ROLE})}),
        *(r(KEY, name, {"keySpec": "Aliyun_AES_256", "protectionLevel": "HSM", "automaticRotation": "Enabled",
                        "tags": {"mlps:purpose": purpose}})
          for name, purpose in (("kms", "buckets"), ("kms-disks", "disks"), ("kms-logs", "logs"))),
        r(
            TRAIL,
            "trail",
            {
                "trailName": "t",
                "status": "Enable",
                "eventRw": "All",
                "trailRegion": "All",
                "slsProjectArn": ARN,
                "ossBucketName": "trail-archive",
            },
        ),
        r(
            STORE,
            "store",
            {"projectName": "audit", "logstoreName": "actiontrail_t", "retentionPeriod": 180, **ENCRYPTED},
            encryptConf="urn:kms-logs",
        ),
        *bucket("trail-archive", "audit", days=180),
        *bucket("emr-archive", "core"),
        r(SWITCH, "vsw", {"cidrBlock": "10.0.0.0/24", "tags": {"mlps:zone": "app"}}),
        r(SG, "sg", {"innerAccessPolicy": "Drop", "tags": {"mlps:zone": "app"}}),
        r(
            RULE,
            "deny",
            {
                "type": "egress",
                "policy": "drop",
                "ipProtocol": "all",
                "cidrIp": "0.0.0.0/0",
                "portRange": "-1/-1",
            },
            securityGroupId="urn:sg",
        ),
        r(
            VM,
            "vm",
            {
                "instanceName": "vm",
                "imageId": IMAGE,
                "vswitchId": "vsw",
                "systemDiskEncrypted": True,
                "systemDiskKmsKeyId": "k",
                "tags": {"mlps:zone": "app", "mlps:roles": "bastion"},
            },
            systemDiskKmsKeyId="urn:kms-disks",
            vswitchId="urn:vsw",
        ),
        r(SECURITY_CENTER, "security-center", {"paymentType": "PayAsYouGo", "postPaidHostAutoBind": 1,
                                               "postPaidHostAutoBindVersion": 3,
                                               "postPayModuleSwitchObj": {"postHost": 1, "vul": 1}}),
        *identity(),
        *backups(),
        *detection(),
        *lines(),
    ]


def without(names: set[str], plan: list[PlanResource] | None = None) -> list[PlanResource]:
    return [x for x in (plan if plan is not None else good()) if x.name not in names]


def no_copy() -> list[PlanResource]:
    """The compliant plan without the off-site copy (replication and target bucket)."""
    return without({"emr-copy", *(x.name for x in bucket(OFFSITE, "core"))})


def changed(name: str, plan: list[PlanResource] | None = None, **props: Any) -> list[PlanResource]:
    return [
        dataclasses.replace(x, props={**x.props, **props}) if x.name == name else x
        for x in (plan if plan is not None else good())
    ]


def run(policy: str, plan: list[PlanResource], level: int = 3) -> list[tuple[str, str, str]]:
    return [
        (s.pointer.split("::")[-1], c, m) for s, (c, m) in BY_NAME[policy].run(PlanGraph(plan, level=level))
    ]


AT = "trail archive: trail-archive"
CASES: list[tuple[str, list[PlanResource], list[tuple[str, str, str]]]] = [
    # absence: no trail, no destination, no archive, no boundary, no lock
    (
        "audit_trail_delivered",
        without({"trail"}),
        [
            (
                "ali",
                "CLD-AUDIT-01",
                "no enabled audit trail records the management operations on alicloud (cn-shanghai)",
            )
        ],
    ),
    (
        "audit_trail_delivered",
        without({"store", "trail-archive"}),
        [
            (
                "trail",
                "CLD-AUDIT-01",
                "audit trail t delivers to nothing the plan builds (only the provider's short event history)",
            )
        ],
    ),
    (
        "audit_trail_delivered",
        changed("trail", trailRegion="cn-shanghai"),
        [("trail", "CLD-AUDIT-01", "audit trail t does not cover every region")],
    ),
    (
        "audit_trail_delivered",
        changed("trail", status="Disable"),
        [
            (
                "ali",
                "CLD-AUDIT-01",
                "no enabled audit trail records the management operations on alicloud (cn-shanghai)",
            )
        ],
    ),
    (
        "audit_trail_retention",
        without({"trail"}),
        [
            (
                "ali",
                "SMC-CEN-04",
                "no audit trail of alicloud (cn-shanghai) delivers to a destination kept 180 days or more",
            )
        ],
    ),
    (
        "audit_trail_retention",
        without({"store", "trail-archive-worm"}),
        [
            (
                "trail",
                "SMC-CEN-04",
                "audit trail t delivers to no destination kept 180 days or more "
                "(audit/actiontrail_t: not in the plan, trail-archive: 0 days)",
            )
        ],
    ),
    (
        "audit_trail_retention",
        changed("store", without({"trail-archive-worm"}), retentionPeriod=90),
        [
            (
                "trail",
                "SMC-CEN-04",
                "audit trail t delivers to no destination kept 180 days or more "
                "(audit/actiontrail_t: 90 days, trail-archive: 0 days)",
            )
        ],
    ),
    ("audit_trail_retention", without({"store"}), []),
    (
        "audit_archive_protected",
        changed("trail", ossBucketName=None),
        [("trail", "CES-AUDIT-03", "audit trail t keeps no copy in a locked bucket")],
    ),
    (
        "audit_archive_protected",
        without({"trail-archive"}),
        [
            (
                "trail",
                "CES-AUDIT-03",
                "audit trail t delivers to bucket trail-archive, which the plan does not build",
            )
        ],
    ),
    (
        "audit_archive_protected",
        without({"trail-archive-worm", "trail-archive-block", "trail-archive-logging"}),
        [
            (
                "trail-archive",
                "CES-AUDIT-03",
                "bucket trail-archive archives audit trail t but public access "
                "is not blocked; access is not logged; its retention is not locked",
            )
        ],
    ),
    (
        "audit_archive_protected",
        changed("trail-archive-worm", status="InProgress"),
        [
            (
                "trail-archive",
                "CES-AUDIT-03",
                "bucket trail-archive archives audit trail t but its retention is not locked",
            )
        ],
    ),
    (
        "zone_boundary_default_deny",
        without({"sg", "deny"}),
        [
            (
                "vsw",
                "ABS-ACL-01",
                "zone app (10.0.0.0/24) has no boundary: no firewall of the plan guards it",
            ),
            (
                "vsw",
                "CLD-ACL-01",
                "zone app (10.0.0.0/24) has no boundary: no firewall of the plan guards it",
            ),
        ],
    ),
    (
        "zone_boundary_default_deny",
        changed("sg", tags={"mlps:zone": "dmz"}),
        [
            (
                "vsw",
                "ABS-ACL-01",
                "zone app (10.0.0.0/24) has no boundary: no firewall of the plan guards it",
            ),
            (
                "vsw",
                "CLD-ACL-01",
                "zone app (10.0.0.0/24) has no boundary: no firewall of the plan guards it",
            ),
        ],
    ),
    (
        "zone_boundary_default_deny",
        [
            *changed("sg", without({"deny"}), innerAccessPolicy="Accept"),
            r(
                RULE,
                "open",
                {
                    "type": "ingress",
                    "policy": "accept",
                    "ipProtocol": "all",
                    "cidrIp": "0.0.0.0/0",
                    "portRange": "-1/-1",
                },
                securityGroupId="urn:sg",
            ),
        ],
        [
            (
                "sg",
                control,
                "the boundary of zone app does not deny by default: inbound traffic is not denied "
                "by default; outbound traffic is not denied by default; its members reach each "
                "other freely",
            )
            for control in ("ABS-ACL-01", "CLD-ACL-01")
        ],
    ),
    (
        "record_buckets_locked",
        without({"emr-archive-worm"}),
        [
            (
                "emr-archive",
                "CES-INT-02",
                "bucket emr-archive holds medical records or images (data class core) "
                "but has no retention policy; only a locked one keeps them unaltered",
            )
        ],
    ),
    (
        "record_buckets_locked",
        changed("emr-archive-worm", status="InProgress"),
        [
            (
                "emr-archive",
                "CES-INT-02",
                "bucket emr-archive holds medical records or images (data class core) "
                "but has an unlocked retention policy, which can be withdrawn and "
                "lapses; only a locked one keeps them unaltered",
            )
        ],
    ),
    (
        "record_buckets_locked",
        [*good(), *bucket("pacs-images", "personal", lock=None)],
        [
            (
                "pacs-images",
                "CES-INT-02",
                "bucket pacs-images holds medical records or images (name pacs-images) "
                "but has no retention policy; only a locked one keeps them unaltered",
            )
        ],
    ),
    (
        "record_buckets_locked",
        changed("emr-archive", versioning={"status": "Suspended"}),
        [
            (
                "emr-archive",
                "CES-INT-02",
                "bucket emr-archive holds medical records or images (data class core) but keeps no versions",
            )
        ],
    ),
    ("record_buckets_locked", [*good(), *bucket("portal-uploads", "personal", lock=None)], []),
    (
        "bucket_access_guarded",
        without({"emr-archive-block", "emr-archive-logging"}),
        [
            ("emr-archive", "CES-PII-02", "bucket emr-archive does not block public access"),
            ("emr-archive", "CES-AUDIT-01", "bucket emr-archive does not log access"),
        ],
    ),
    (
        "bucket_access_guarded",
        changed("emr-archive", acl="public-read"),
        [("emr-archive", "CES-PII-02", "bucket emr-archive does not block public access")],
    ),
    (
        "bucket_tls_only",
        without({"emr-archive-tls"}),
        [
            (
                "emr-archive",
                "CES-CONF-01",
                "bucket emr-archive has no policy refusing requests made without TLS",
            )
        ],
    ),
    (
        "bucket_tls_only",
        changed("emr-archive-tls", policy=tls_only_policy("x").replace("Deny", "Allow")),
        [
            (
                "emr-archive",
                "CES-CONF-01",
                "bucket emr-archive has no policy refusing requests made without TLS",
            )
        ],
    ),
    (
        "encryption_at_rest",
        without({"kms", "kms-disks"}),
        [
            (
                "emr-archive",
                "CLD-KMS-01",
                "bucket emr-archive holds core data under key k, not a customer key of the plan",
            ),
            ("vm", "CLD-KMS-01", "instance vm encrypts its disk under key k, not a customer key of the plan"),
        ],
    ),
    (
        "encryption_at_rest",
        changed("vm", changed("emr-archive", serverSideEncryptionRule={}), systemDiskEncrypted=False),
        [
            ("emr-archive", "CES-CONF-02", "bucket emr-archive is not encrypted at rest"),
            ("vm", "CES-CONF-02", "instance vm has an unencrypted disk"),
        ],
    ),
    (
        "encryption_at_rest",
        changed("emr-archive", serverSideEncryptionRule={"sseAlgorithm": "AES256"}),
        [("emr-archive", "CLD-KMS-01", "bucket emr-archive holds core data under a provider-held key")],
    ),
]


def test_the_compliant_plan_passes_every_policy() -> None:
    graph = PlanGraph(good(), level=3, required_flows=(), approved_images=(IMAGE,))  # one zone: no flow
    assert [(p.name, v) for p in env.POLICIES for _, v in p.run(graph)] == []


@pytest.mark.parametrize(
    ("name", "plan", "expected"), CASES, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)]
)
def test_environment_policy_reports_exactly(
    name: str, plan: list[PlanResource], expected: list[tuple[str, str, str]]
) -> None:
    assert run(name, plan) == expected


def test_a_plan_without_a_cloud_has_no_cloud_findings() -> None:
    facts = collect(PlanGraph([r("kubernetes:core/v1:Namespace", "ns", {})]))
    assert facts == Facts()
    assert [v for p in env.POLICIES for _, v in p.run(PlanGraph([]))] == []


def test_the_adapter_registry_is_keyed_by_package() -> None:
    assert set(ADAPTERS) == {"alicloud", "openstack"}
    assert package(BUCKET) == "alicloud" and package(PROVIDER) == "alicloud"
    assert package("openstack:compute/instance:Instance") == "openstack"
    facts = collect(PlanGraph(good()))
    assert [(c.provider, c.region, c.mainland) for c in facts.clouds] == [("alicloud", "cn-shanghai", True)]
    archive = next(b for b in facts.buckets if b.name == "trail-archive")
    assert (archive.lock, archive.kept_days, archive.tls_only, archive.public_access_blocked) == (
        "locked",
        180,
        True,
        True,
    )
    assert [d.name for d in facts.trails[0].destinations] == ["audit/actiontrail_t", "trail-archive"]
    assert facts.boundaries[0].default_deny and facts.keys[0].custody == "customer-hsm"


def test_only_a_deny_of_plaintext_to_everyone_counts_as_tls_only() -> None:
    assert refuses_plaintext(tls_only_policy("b"))
    assert not refuses_plaintext("not json")
    assert not refuses_plaintext(tls_only_policy("b").replace('"*"]', '"acs:ram::1:root"]'))
    assert not refuses_plaintext(tls_only_policy("b").replace('"false"', '"true"'))


def _lacking(*capabilities: Capability, roles: tuple[str, ...] = ()) -> Facts:
    """A cloud whose provider lacks ``capabilities`` (as a second cloud's adapter states them)."""
    cloud = Subject("pulumi:providers:other::o", "urn:o")
    facts = Facts(
        clouds=[Cloud("other", "cn-north", True, cloud)],
        gaps=[
            Gap("other", c, "log_audit_server" if c == Capability.AUDIT_TRAIL else "object_storage")
            for c in capabilities
        ],
    )
    if roles:
        facts.instances.append(
            Instance("h", "other", "app", False, True, "k", roles, Subject("vm::h", "urn:h"))
        )
    return facts


def test_a_lacking_capability_is_a_finding_naming_the_role_until_a_cloud_host_runs_it() -> None:
    unmet = _lacking(Capability.AUDIT_TRAIL)
    assert list(AUDIT_TRAIL_DELIVERED.check(unmet, 3)) == []
    assert list(STAND_INS_PRESENT.check(unmet, 3)) == [
        (
            unmet.clouds[0].subject,
            (
                "CLD-AUDIT-01",
                "other has no audit trail; the project's "
                "log_audit_server role on a cloud host stands in for "
                "it, and no other host runs that role",
            ),
        )
    ]
    met = _lacking(Capability.AUDIT_TRAIL, roles=("log_audit_server",))
    assert list(STAND_INS_PRESENT.check(met, 3)) == []
    locked = _lacking(Capability.OBJECT_LOCK)
    locked.buckets.append(collect(PlanGraph(without({"emr-archive-worm"}))).buckets[1])
    locked.buckets[0] = dataclasses.replace(locked.buckets[0], provider="other")
    assert [v for _, v in RECORD_BUCKETS_LOCKED.check(locked, 3)] == [
        (
            "CES-INT-02",
            "bucket emr-archive holds medical records or images (data class core) but other has "
            "no object lock; the project's object_storage role on a cloud host stands in for "
            "it, and no other host runs that role",
        )
    ]
    locked.instances.extend(_lacking(roles=("object_storage",)).instances)
    assert list(RECORD_BUCKETS_LOCKED.check(locked, 3)) == []


def test_crossguard_runs_an_environment_policy_as_a_stack_policy() -> None:
    from pulumi_policy import StackValidationArgs, StackValidationPolicy

    class Res:
        def __init__(self, x: PlanResource) -> None:
            self.resource_type, self.name, self.urn, self.props = x.type, x.name, x.urn, x.props
            self.provider = None
            self.property_dependencies: dict[str, list[Any]] = {}

    cg = to_crossguard(BY_NAME["audit_trail_delivered"], level=3)
    assert isinstance(cg, StackValidationPolicy)
    reports: list[tuple[str, str | None]] = []
    args = StackValidationArgs([Res(x) for x in without({"trail"})], None)  # type: ignore[arg-type]
    cg.validate(args, lambda message, urn=None: reports.append((message, urn)))  # type: ignore[union-attr]
    assert reports == [
        (
            "[CLD-AUDIT-01] no enabled audit trail records the management operations on "
            "alicloud (cn-shanghai)",
            "urn:ali",
        )
    ]


def rekeyed(plan: list[PlanResource], **keys: str) -> list[PlanResource]:
    """``plan`` with each named resource's key reference (vm: disk, store, flowlog and alb-access:
    log stores, emr-archive: bucket) pointing at another key of the plan."""
    prop = {"vm": "systemDiskKmsKeyId", "store": "encryptConf", "flowlog": "encryptConf",
            "alb-access": "encryptConf", "emr-archive": "serverSideEncryptionRule"}
    return [dataclasses.replace(x, deps={**x.deps, prop[x.name]: (keys[x.name],)}) if x.name in keys else x
            for x in plan]


ONE_KEY = rekeyed(without({"kms-disks", "kms-logs"}), vm="urn:kms", store="urn:kms", flowlog="urn:kms",
                  **{"alb-access": "urn:kms"})
SHARED = ("one key encrypts buckets and disks and logs: disabling, rotating or granting it reaches all "
          "of them (one key per purpose)")


@pytest.mark.parametrize(("plan", "level", "expected"), [
    (good(), 3, []),
    # the single key of old: disks and log stores under the buckets' key
    (ONE_KEY, 3, [("kms", "CLD-KMS-01", SHARED)]),
    (ONE_KEY, 4, [("kms", "CLD-KMS-01", SHARED)]),
    # two purposes on one key, the third on its own
    (rekeyed(good(), vm="urn:kms-logs"), 3, [
        ("kms-logs", "CLD-KMS-01", "one key encrypts disks and logs: disabling, rotating or granting it "
         "reaches all of them (one key per purpose)")]),
    # each key used once, but for another purpose than it was made for
    (rekeyed(good(), vm="urn:kms-logs", store="urn:kms-disks", flowlog="urn:kms-disks",
             **{"alb-access": "urn:kms-disks"}), 3, [
        ("kms-disks", "CLD-KMS-01", "the key made for disks encrypts logs"),
        ("kms-logs", "CLD-KMS-01", "the key made for logs encrypts disks")]),
])
def test_each_purpose_has_a_key_of_its_own(plan: list[PlanResource], level: int,
                                           expected: list[tuple[str, str, str]]) -> None:
    assert run("keys_per_purpose", plan, level) == expected


def test_a_cloud_without_host_security_is_covered_by_the_baseline_on_any_of_its_hosts() -> None:
    """The baseline runs on every host (mlps/roles.yaml ``every_host``), so any instance of the
    cloud carries its malware scanner; a cloud with no instance has nothing standing in."""
    def lacking(roles: tuple[str, ...]) -> Facts:
        facts = _lacking(roles=roles)
        facts.gaps.append(Gap("other", Capability.THREAT_DETECTION, "baseline"))
        return facts

    assert list(STAND_INS_PRESENT.check(lacking(("bastion",)), 3)) == []
    assert [v for _, v in STAND_INS_PRESENT.check(lacking(()), 3)] == [
        ("CLD-VMIDS-03", "other has no threat detection; the project's baseline role on a cloud host "
                         "stands in for it, and no other host runs that role")]
    assert list(BY_NAME["host_threat_detection"].check(lacking(()), 3)) == []
