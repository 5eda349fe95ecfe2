"""Every way each plan-time policy can be broken, one at a time, with the exact violation it reports;
and the near misses that must pass."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from policy.policies import POLICIES, PlanGraph, PlanResource  # noqa: E402

BY_NAME = {p.name: p for p in POLICIES}
NS, NP = "kubernetes:core/v1:Namespace", "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SVC = "kubernetes:core/v1:Service"
DEPLOY = "kubernetes:apps/v1:Deployment"
SG, RULE = "alicloud:ecs/securityGroup:SecurityGroup", "alicloud:ecs/securityGroupRule:SecurityGroupRule"
BUCKET, WORM = "alicloud:oss/bucket:Bucket", "alicloud:oss/bucketWorm:BucketWorm"
VM, TRAIL = "alicloud:ecs/instance:Instance", "alicloud:actiontrail/trail:Trail"
SC = {"runAsNonRoot": True, "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
      "capabilities": {"drop": ["ALL"]}}


def r(type_: str, name: str, props: dict[str, Any], provider: str = "p", **deps: str) -> PlanResource:
    return PlanResource(type_, name, f"urn:{name}", props, provider,
                        {k: (v,) for k, v in deps.items()})


def ns(name: str, zone: str = "core", kind: str = "workload", pss: str = "restricted",
       provider: str = "p") -> PlanResource:
    labels = {"mlps.dev/namespace-kind": kind, "mlps.dev/zone-kind": zone,
              "pod-security.kubernetes.io/enforce": pss}
    return r(NS, f"ns-{name}", {"metadata": {"name": name, "labels": labels}}, provider)


def deploy(pod: dict[str, Any], kind: str = "Deployment", token: str = DEPLOY) -> PlanResource:
    spec: dict[str, Any] = {"template": {"spec": pod}}
    if kind == "Pod":
        spec = pod
    if kind == "CronJob":
        spec = {"jobTemplate": {"spec": {"template": {"spec": pod}}}}
    return r(token, "w", {"metadata": {"name": "web", "namespace": "core"}, "spec": spec})


def pod(*containers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"containers": list(containers), **extra}


def c(name: str = "app", **sc: Any) -> dict[str, Any]:
    merged = {**SC, **sc}
    return {"name": name, "securityContext": {k: v for k, v in merged.items() if v is not None}}


def run(name: str, resources: list[PlanResource], level: int = 3,
        approved: tuple[str, ...] | None = None) -> list[tuple[str, str, str]]:
    return [(res.pointer.rsplit("::", 1)[-1], control, message) for res, (control, message)
            in BY_NAME[name].run(PlanGraph(resources, level=level, approved_images=approved))]


HARD = "deployment_hardened_containers"
AGENT = "daemonset_hardened_containers"
VSW = r("alicloud:vpc/switch:Switch", "v", {"cidrBlock": "10.0.0.0/24"})
LOGS = "mlps-logging"
SHARES = ("w", "K8S-PSS-01", "DaemonSet web shares the node's namespaces (hostNetwork)")


def agent(namespace: str = LOGS, **extra: Any) -> PlanResource:
    """A DaemonSet in ``namespace`` whose pod spec carries ``extra``."""
    spec = {"template": {"spec": pod(c(), **extra)}}
    return r("kubernetes:apps/v1:DaemonSet", "w", {"metadata": {"name": "web", "namespace": namespace},
                                                   "spec": spec})
W = "Deployment web container app"

CASES: list[tuple[str, list[PlanResource], list[tuple[str, str, str]]]] = [
    (HARD, [deploy(pod(c()))], []),
    (HARD, [deploy(pod(c(runAsNonRoot=None), securityContext={"runAsNonRoot": True}))], []),
    (HARD, [deploy(pod(c(runAsNonRoot=None)))],
     [("w", "K8S-PSS-01", f"{W} may run as root (runAsNonRoot not true)")]),
    (HARD, [deploy(pod(c(runAsUser=0)))],
     [("w", "K8S-PSS-01", f"{W} may run as root (runAsNonRoot not true)")]),
    (HARD, [deploy(pod(c(runAsUser=None), securityContext={"runAsUser": 0}))],
     [("w", "K8S-PSS-01", f"{W} may run as root (runAsNonRoot not true)")]),
    (HARD, [deploy(pod(c(runAsNonRoot=False), securityContext={"runAsNonRoot": True}))],
     [("w", "K8S-PSS-01", f"{W} may run as root (runAsNonRoot not true)")]),
    (HARD, [deploy(pod(c(readOnlyRootFilesystem=None),
                       securityContext={"readOnlyRootFilesystem": True}))],
     [("w", "K8S-PSS-01", f"{W} has a writable root filesystem")]),
    (HARD, [deploy(pod(c(allowPrivilegeEscalation=None)))],
     [("w", "K8S-PSS-01", f"{W} allows privilege escalation")]),
    (HARD, [deploy(pod(c(privileged=True)))], [("w", "K8S-PSS-01", f"{W} is privileged")]),
    (HARD, [deploy(pod(c(privileged=False)))], []),
    (HARD, [deploy(pod(c(capabilities={"drop": ["NET_RAW"]})))],
     [("w", "K8S-PSS-01", f"{W} does not drop all capabilities")]),
    (HARD, [deploy(pod(c(capabilities=None)))],
     [("w", "K8S-PSS-01", f"{W} does not drop all capabilities")]),
    (HARD, [deploy(pod({"name": "bare"}))], [
        ("w", "K8S-PSS-01", "Deployment web container bare may run as root (runAsNonRoot not true)"),
        ("w", "K8S-PSS-01", "Deployment web container bare has a writable root filesystem"),
        ("w", "K8S-PSS-01", "Deployment web container bare allows privilege escalation"),
        ("w", "K8S-PSS-01", "Deployment web container bare does not drop all capabilities")]),
    (HARD, [deploy(pod(c(), initContainers=[c("init", privileged=True)]))],
     [("w", "K8S-PSS-01", "Deployment web container init is privileged")]),
    (HARD, [deploy(pod(c(), hostNetwork=True, hostPID=True, hostIPC=True))], [
        ("w", "K8S-PSS-01", "Deployment web shares the node's namespaces (hostNetwork)"),
        ("w", "K8S-PSS-01", "Deployment web shares the node's namespaces (hostPID)"),
        ("w", "K8S-PSS-01", "Deployment web shares the node's namespaces (hostIPC)")]),
    (HARD, [r(DEPLOY, "w", {"metadata": {"name": "web"}})], []),
    # the log shipper may share the node's network, and only that, in its privileged system namespace
    (AGENT, [ns(LOGS, kind="system", pss="privileged"), agent(hostNetwork=True)], []),
    (AGENT, [ns(LOGS, kind="system", pss="privileged"), agent(hostNetwork=True, hostPID=True)],
     [("w", "K8S-PSS-01", "DaemonSet web shares the node's namespaces (hostPID)")]),
    (AGENT, [ns(LOGS, kind="system", pss="baseline"), agent(hostNetwork=True)], [SHARES]),
    (AGENT, [ns(LOGS, kind="workload", pss="privileged"), agent(hostNetwork=True)], [SHARES]),
    (AGENT, [ns(LOGS, kind="system", pss="privileged", provider="other"), agent(hostNetwork=True)],
     [SHARES]),
    (AGENT, [agent(hostNetwork=True)], [SHARES]),
    # another namespace labelled the same way is not the logging namespace
    (AGENT, [ns("core", kind="system", pss="privileged"), agent("core", hostNetwork=True)], [SHARES]),
    (HARD, [ns("core", kind="system", pss="privileged"), deploy(pod(c(), hostNetwork=True))],
     [("w", "K8S-PSS-01", "Deployment web shares the node's namespaces (hostNetwork)")]),
    ("pod_hardened_containers", [deploy(pod(c(privileged=True)), "Pod", "kubernetes:core/v1:Pod")],
     [("w", "K8S-PSS-01", "Pod web container app is privileged")]),
    ("cronjob_hardened_containers",
     [deploy(pod(c(privileged=True)), "CronJob", "kubernetes:batch/v1:CronJob")],
     [("w", "K8S-PSS-01", "CronJob web container app is privileged")]),
    ("default_deny_network_policies", [ns("core")], [
        ("ns-core", "K8S-NETPOL-01", "namespace core has no default-deny ingress NetworkPolicy "
                                     "(podSelector {}, policyTypes [Ingress], no ingress rules)"),
        ("ns-core", "K8S-NETPOL-01", "namespace core has no default-deny egress NetworkPolicy "
                                     "(podSelector {}, policyTypes [Egress], no egress rules)")]),
    ("default_deny_network_policies", [ns("core"), *(
        r(NP, f"d{d}", {"metadata": {"name": f"d{d}", "namespace": "core"},
                        "spec": {"podSelector": {}, "policyTypes": [d]}})
        for d in ("Ingress", "Egress"))], []),
    ("default_deny_network_policies", [ns("core"), r(NP, "d", {
        "metadata": {"name": "d", "namespace": "core"},
        "spec": {"policyTypes": ["Ingress", "Egress"]}})], []),
    ("default_deny_network_policies", [ns("core"), r(NP, "d", {
        "metadata": {"name": "d", "namespace": "core"},
        "spec": {"podSelector": {"matchLabels": {"a": "b"}}, "policyTypes": ["Ingress", "Egress"]}})],
     [("ns-core", "K8S-NETPOL-01", "namespace core has no default-deny ingress NetworkPolicy "
                                   "(podSelector {}, policyTypes [Ingress], no ingress rules)"),
      ("ns-core", "K8S-NETPOL-01", "namespace core has no default-deny egress NetworkPolicy "
                                   "(podSelector {}, policyTypes [Egress], no egress rules)")]),
    ("default_deny_network_policies", [ns("core"), r(NP, "d", {
        "metadata": {"name": "d", "namespace": "core"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{}]}})],
     [("ns-core", "K8S-NETPOL-01", "namespace core has no default-deny ingress NetworkPolicy "
                                   "(podSelector {}, policyTypes [Ingress], no ingress rules)")]),
    ("default_deny_network_policies", [ns("core", provider="cluster-a"), r(NP, "d", {
        "metadata": {"name": "d", "namespace": "core"},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}, provider="cluster-b")],
     [("ns-core", "K8S-NETPOL-01", "namespace core has no default-deny ingress NetworkPolicy "
                                   "(podSelector {}, policyTypes [Ingress], no ingress rules)"),
      ("ns-core", "K8S-NETPOL-01", "namespace core has no default-deny egress NetworkPolicy "
                                   "(podSelector {}, policyTypes [Egress], no egress rules)")]),
    ("namespace_pod_security_restricted", [ns("core", pss="baseline")], [
        ("ns-core", "K8S-PSS-01", "workload namespace core does not enforce Pod Security restricted "
                                  "at level 3 (pod-security.kubernetes.io/enforce='baseline')")]),
    ("namespace_pod_security_restricted", [ns("kube-system", kind="system", pss="privileged")], []),
    ("namespace_quota_and_limits", [ns("core")], [
        ("ns-core", "K8S-QUOTA-01", "workload namespace core has no ResourceQuota"),
        ("ns-core", "K8S-QUOTA-01", "workload namespace core has no LimitRange")]),
    ("namespace_quota_and_limits", [ns("sys", kind="system")], []),
    ("no_external_service_in_core", [ns("core"), r(SVC, "s", {
        "metadata": {"name": "api", "namespace": "core"}, "spec": {"type": "LoadBalancer"}})],
     [("s", "ABS-BOUND-01", "Service api of type LoadBalancer exposes namespace core (core zone) "
                            "outside the cluster")]),
    ("no_external_service_in_core", [ns("web", zone="dmz"), r(SVC, "s", {
        "metadata": {"name": "api", "namespace": "web"}, "spec": {"type": "NodePort"}})], []),
    ("no_external_service_in_core", [ns("core"), r(SVC, "s", {
        "metadata": {"name": "api", "namespace": "core"}, "spec": {}})], []),
    ("no_external_service_in_core", [r(SVC, "s", {
        "metadata": {"name": "api", "namespace": "core"}, "spec": {"type": "NodePort"}})], []),
    ("no_internet_ingress_to_important_zones", [ns("db", zone="storage"), r(NP, "n", {
        "metadata": {"name": "open", "namespace": "db"},
        "spec": {"ingress": [{"from": [{"podSelector": {}}, {"ipBlock": {"cidr": "::/0"}}]}]}})],
     [("n", "CNS-ZONE-02", "NetworkPolicy open admits the internet into namespace db (storage zone)")]),
    ("no_internet_ingress_to_important_zones", [ns("db", zone="storage"), r(NP, "n", {
        "metadata": {"name": "open", "namespace": "db"},
        "spec": {"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}]}})], []),
    ("no_internet_ingress_to_important_zones", [r(NP, "n", {
        "metadata": {"name": "open", "namespace": "db"},
        "spec": {"ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}})], []),
    ("china_region", [r("pulumi:providers:alicloud", "ali", {})],
     [("ali", "CLD-LOC-01", "cloud provider ali targets region (unset), outside mainland China")]),
    ("china_region", [r("pulumi:providers:alicloud", "ali", {"region": "us-west-1"})],
     [("ali", "CLD-LOC-01", "cloud provider ali targets region us-west-1, outside mainland China")]),
    ("china_region", [r("pulumi:providers:alicloud", "ali", {"region": "cn-shanghai"})], []),
    ("bucket_versioning_lock_encryption", [r(BUCKET, "b", {"bucket": "pacs"})], [
        ("b", "CES-INT-02", "bucket pacs does not keep versions (versioning not Enabled)"),
        ("b", "CES-INT-02", "bucket pacs has no locked retention (BucketWorm status Locked)"),
        ("b", "CES-CONF-02", "bucket pacs has no default server-side encryption")]),
    ("bucket_versioning_lock_encryption", [
        r(BUCKET, "b", {"versioning": {"status": "Enabled"},
                        "serverSideEncryptionRule": {"sseAlgorithm": "SM4"}}),
        r(WORM, "w", {"status": "Locked"}, bucket="urn:b")], []),
    ("bucket_versioning_lock_encryption", [
        r(BUCKET, "b", {"versioning": {"status": "Enabled"},
                        "serverSideEncryptionRule": {"sseAlgorithm": "SM4"}}),
        r(WORM, "w", {"status": "InProgress"}, bucket="urn:b")],
     [("b", "CES-INT-02", "bucket b has no locked retention (BucketWorm status Locked)")]),
    ("bucket_versioning_lock_encryption", [
        r(BUCKET, "b", {"versioning": {"status": "Enabled"},
                        "serverSideEncryptionRule": {"sseAlgorithm": "AES256"}}),
        r(WORM, "w", {"status": "Expired"}, bucket="urn:b")],
     [("b", "CES-INT-02", "bucket b has no locked retention (BucketWorm status Locked)")]),
    ("kms_encryption", [r(BUCKET, "b", {"bucket": "reg", "tags": {"mlps:data-class": "personal"},
                                        "serverSideEncryptionRule": {"sseAlgorithm": "AES256"}})],
     [("b", "CLD-KMS-01", "bucket reg holds personal data but is not encrypted with a cloud KMS key")]),
    ("kms_encryption", [r(BUCKET, "b", {"tags": {"mlps:data-class": "public"}})], []),
    ("security_group_default_deny", [r(SG, "sg", {"securityGroupName": "core"})], [
        ("sg", "CLD-ACL-01", "security group core lets its members reach each other freely"),
        ("sg", "ABS-ACL-01", "security group core lets its members reach each other freely"),
        ("sg", "CLD-ACL-01", "security group core has no final deny-all egress rule"),
        ("sg", "ABS-ACL-01", "security group core has no final deny-all egress rule")]),
    *[("security_group_default_deny", [
        r(SG, "sg", {"innerAccessPolicy": "Drop"}),
        r(RULE, "x", {"type": "egress", "policy": "drop", "ipProtocol": "all", "cidrIp": "0.0.0.0/0",
                      **change}, securityGroupId="urn:sg")],
       [("sg", "CLD-ACL-01", "security group sg has no final deny-all egress rule"),
        ("sg", "ABS-ACL-01", "security group sg has no final deny-all egress rule")])
      for change in ({"type": "ingress"}, {"policy": "accept"}, {"ipProtocol": "tcp"},
                     {"cidrIp": "10.0.0.0/8"})],
    ("no_public_mgmt_ports", [r(RULE, "x", {"type": "ingress", "cidrIp": "0.0.0.0/0"})],
     [("x", "ABS-ACL-03", "security group rule x opens administrative port(s) SSH (tcp 22), Telnet (tcp 23), "
                          "WMI/DCOM (RPC endpoint mapper) (tcp 135) and 50 more to 0.0.0.0/0")]),
    ("no_public_mgmt_ports", [r(RULE, "x", {"type": "ingress", "ipv6CidrIp": "::/0",
                                            "portRange": "-1/-1"})],
     [("x", "ABS-ACL-03", "security group rule x opens administrative port(s) SSH (tcp 22), Telnet (tcp 23), "
                          "WMI/DCOM (RPC endpoint mapper) (tcp 135) and 50 more to 0.0.0.0/0")]),
    ("no_public_mgmt_ports", [r(RULE, "x", {"type": "ingress", "cidrIp": "0.0.0.0/0",
                                            "portRange": "6443"})],
     [("x", "ABS-ACL-03", "security group rule x opens administrative port(s) Kubernetes API "
                          "(tcp 6443) to 0.0.0.0/0")]),
    ("no_public_mgmt_ports", [r(RULE, "x", {"type": "ingress", "cidrIp": "0.0.0.0/0",
                                            "portRange": "3389/3389", "ipProtocol": "udp"})],
     [("x", "ABS-ACL-03", "security group rule x opens administrative port(s) RDP (udp 3389) to "
                          "0.0.0.0/0")]),
    ("no_public_mgmt_ports", [r(RULE, "x", {"type": "ingress", "cidrIp": "0.0.0.0/0",
                                            "portRange": "2375/2380", "ipProtocol": "tcp"})],
     [("x", "ABS-ACL-03", "security group rule x opens administrative port(s) Docker API (tcp "
                          "2375-2376), etcd (tcp 2379-2380) to 0.0.0.0/0")]),
    ("no_public_mgmt_ports", [r(RULE, "x", {"type": "ingress", "cidrIp": "0.0.0.0/0",
                                            "portRange": "22/22", "ipProtocol": "udp"})], []),
    *[("no_public_mgmt_ports", [r(RULE, "x", {"type": "ingress", "cidrIp": "0.0.0.0/0",
                                              "portRange": "22/22", **change})], [])
      for change in ({"type": "egress"}, {"policy": "drop"}, {"cidrIp": "10.0.0.0/8"})],
    ("instance_isolated_network", [r(VM, "vm", {"internetMaxBandwidthOut": "5"})], [
        ("vm", "CLD-NET-01", "instance vm is not placed in the environment's own network"),
        ("vm", "CLD-NET-01", "instance vm has a public address")]),
    ("instance_isolated_network", [VSW, r(VM, "vm", {"vswitchId": "v", "internetMaxBandwidthOut": 0},
                                          vswitchId="urn:v")], []),
    # a vSwitch named by id, not one the plan builds: the instance may sit in another network
    ("instance_isolated_network", [VSW, r(VM, "vm", {"vswitchId": "vsw-of-the-default-vpc"})],
     [("vm", "CLD-NET-01", "instance vm is not placed in the environment's own network")]),
    # an elastic address bound to it makes it public whatever its own bandwidth
    ("instance_isolated_network", [VSW, r(VM, "vm", {"vswitchId": "v"}, vswitchId="urn:v"),
                                   r("alicloud:ecs/eipAssociation:EipAssociation", "eip",
                                     {"instanceId": "i-1"}, instanceId="urn:vm")],
     [("vm", "CLD-NET-01", "instance vm has a public address")]),
    ("instance_isolated_network", [VSW, r(VM, "vm", {"vswitchId": "v", "internetMaxBandwidthOut": 1},
                                          vswitchId="urn:v")],
     [("vm", "CLD-NET-01", "instance vm has a public address")]),
    ("instance_disk_kms_encryption", [r(VM, "vm", {"systemDiskEncrypted": True})],
     [("vm", "CLD-KMS-01", "instance vm system disk is not encrypted with a KMS key")]),
    ("audit_trail_enabled", [r(TRAIL, "t", {"status": "Enable", "eventRw": "Write"})],
     [("t", "CLD-AUDIT-01", "audit trail t records only Write events")]),
    ("audit_trail_enabled", [r(TRAIL, "t", {})],
     [("t", "CLD-AUDIT-01", "audit trail t is not enabled")]),
    ("log_retention", [r("alicloud:log/store:Store", "s", {"logstoreName": "audit"})],
     [("s", "SMC-CEN-04",
       "log store audit states no readable retention (retentionPeriod None); set at least 180 days")]),
    ("log_retention", [r("alicloud:log/store:Store", "s", {"logstoreName": "audit",
                                                          "retentionPeriod": "forever"})],
     [("s", "SMC-CEN-04",
       "log store audit states no readable retention (retentionPeriod 'forever'); set at least 180 days")]),
    ("log_retention", [r("alicloud:log/store:Store", "s", {"logstoreName": "audit", "retentionPeriod": 179})],
     [("s", "SMC-CEN-04", "log store audit keeps logs 179 days, less than 180")]),
    ("log_retention", [r("alicloud:log/store:Store", "s", {"logstoreName": "audit", "retentionPeriod": 180})],
     []),
]


CORE = "no_internet_ingress_to_core_workloads"
STS = "kubernetes:apps/v1:StatefulSet"
OPEN = {"ipBlock": {"cidr": "0.0.0.0/0"}}


def app(name: str, labels: dict[str, str], port: int = 8042, ns_: str = "dmz",
        token: str = DEPLOY, port_name: str = "https") -> PlanResource:
    container = {"name": "c", "ports": [{"name": port_name, "containerPort": port}]}
    return r(token, name, {"metadata": {"name": name, "namespace": ns_},
                           "spec": {"template": {"metadata": {"labels": labels},
                                                 "spec": {"containers": [container]}}}})


def open_np(*rules: dict[str, Any], selector: dict[str, Any] | None = None) -> PlanResource:
    return r(NP, "np", {"metadata": {"name": "allow-from-internet", "namespace": "dmz"},
                        "spec": {"podSelector": selector or {}, "ingress": list(rules)}})


def core_msg(what: str, why: str, ports: str) -> str:
    return (f"NetworkPolicy allow-from-internet admits the internet to {what} ({why}) on port "
            f"{ports}: records and images are sensitive personal information (PIPL art. 28); "
            "move the workload to a core zone and drop the 0.0.0.0/0 rule")


PUBLIC = {"mlps.dev/data-class": "public"}
CORE_CASES: list[tuple[str, list[PlanResource], list[tuple[str, str, str]]]] = [
    (CORE, [ns("dmz", zone="dmz"), open_np({"from": [OPEN], "ports": [{"port": 8042}]}),
            app("pacs", PUBLIC)],
     [("np", "CNS-ZONE-03", core_msg("Deployment pacs", "pacs is a medical record system", "8042"))]),
    (CORE, [ns("dmz", zone="dmz"), open_np({"from": [{"ipBlock": {"cidr": "::/0"}}]}),
            app("billing", {"mlps.dev/data-class": "core"}, port=9000, token=STS)],
     [("np", "CNS-ZONE-03", core_msg("StatefulSet billing", "data class core", "9000"))]),
    (CORE, [ns("dmz", zone="dmz"), open_np({"ports": [{"port": "https"}]}),
            app("emr-viewer", PUBLIC, port=8443)],
     [("np", "CNS-ZONE-03",
       core_msg("Deployment emr-viewer", "emr-viewer is a medical record system", "8443"))]),
    (CORE, [ns("dmz", zone="dmz"),
            open_np({"from": [OPEN], "ports": [{"port": 8000, "endPort": 9000}]}),
            app("pacs", PUBLIC)],
     [("np", "CNS-ZONE-03", core_msg("Deployment pacs", "pacs is a medical record system", "8042"))]),
    (CORE, [ns("dmz", zone="dmz"), open_np({"from": [OPEN], "ports": [{"port": 443}]}),
            app("pacs", PUBLIC)], []),
    (CORE, [ns("dmz", zone="dmz"), open_np({"from": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}),
            app("pacs", PUBLIC)], []),
    (CORE, [ns("dmz", zone="dmz"), open_np({"from": [OPEN]}), app("pacs", PUBLIC, ns_="core")],
     []),
    (CORE, [ns("dmz", zone="dmz"),
            open_np({"from": [OPEN]}, selector={"matchLabels": {"app.kubernetes.io/name": "web"}}),
            app("pacs", {**PUBLIC, "app.kubernetes.io/name": "pacs"})], []),
    (CORE, [ns("dmz", zone="dmz"),
            open_np({"from": [OPEN]}, selector={"matchExpressions": [
                {"key": "app.kubernetes.io/name", "operator": "NotIn", "values": ["pacs"]}]}),
            app("pacs", {**PUBLIC, "app.kubernetes.io/name": "pacs"})], []),
    (CORE, [ns("dmz", zone="dmz"), open_np({"from": [OPEN]}),
            app("crisis-line", {"mlps.dev/data-class": "personal"})], []),
]
CASES += CORE_CASES


@pytest.mark.parametrize(("name", "resources", "expected"), CASES,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)])
def test_policy_reports_exactly(name: str, resources: list[PlanResource],
                                expected: list[tuple[str, str, str]]) -> None:
    assert run(name, resources) == expected


def test_pod_security_accepts_baseline_only_at_level_two() -> None:
    name = "namespace_pod_security_restricted"
    assert run(name, [ns("core", pss="baseline")], level=2) == []
    assert run(name, [ns("core", pss="restricted")], level=2) == []
    assert run(name, [ns("core", pss="privileged")], level=2) == [
        ("ns-core", "K8S-PSS-01", "workload namespace core does not enforce Pod Security baseline "
                                  "at level 2 (pod-security.kubernetes.io/enforce='privileged')")]


def test_graph_indexes_by_type_cluster_namespace_and_reference() -> None:
    a = r(NP, "a", {"metadata": {"name": "a", "namespace": "x"}}, provider="c1")
    b = r(NP, "b", {"metadata": {"name": "b"}}, provider="c1")
    w = r(WORM, "w", {}, bucket="urn:bk")
    graph = PlanGraph([a, b, w, r(BUCKET, "bk", {})])
    assert list(graph.of_type(NP, WORM)) == [a, b, w]
    assert graph.in_namespace(NP, a, "x") == [a]
    assert graph.in_namespace(NP, a, "default") == [b]
    assert graph.in_namespace(NP, r(NS, "n", {}, provider="c2"), "x") == []
    bucket = graph.by_type[BUCKET][0]
    assert graph.referencing(WORM, "bucket", bucket) == [w]
    assert graph.referencing(WORM, "bucket", bucket) == [w]
    assert graph.referencing(WORM, "other", bucket) == []
    assert b.namespace == "default" and a.pointer == f"{NP}::a" and a.meta("name") == "a"


IMG = "approved_instance_image"
DEBIAN = "debian_12_9_x64_20G_alibase_20250117.vhd"


@pytest.mark.parametrize(("props", "approved", "expected"), [
    ({"imageId": DEBIAN}, (DEBIAN,), []),
    ({"imageId": DEBIAN}, ("other.vhd", DEBIAN), []),
    ({"imageId": "centos_7_9_x64_20G_alibase.vhd"}, (DEBIAN,),
     [("vm", "CLD-IMG-01", f"instance vm boots centos_7_9_x64_20G_alibase.vhd, not one of the "
                           f"approved images ['{DEBIAN}']")]),
    ({"imageId": DEBIAN.upper()}, (DEBIAN,),
     [("vm", "CLD-IMG-01", f"instance vm boots {DEBIAN.upper()}, not one of the "
                           f"approved images ['{DEBIAN}']")]),
    ({}, (DEBIAN,),
     [("vm", "CLD-IMG-01", f"instance vm boots (no image), not one of the approved images ['{DEBIAN}']")]),
    ({"imageId": DEBIAN}, None,
     [("vm", "CLD-IMG-01", f"instance vm boots {DEBIAN} but no approved image list is declared "
                           "(cloud.approved_images)")]),
])
def test_approved_instance_image(props: dict[str, Any], approved: tuple[str, ...] | None,
                                 expected: list[tuple[str, str, str]]) -> None:
    assert run(IMG, [r(VM, "vm", props)], approved=approved) == expected
