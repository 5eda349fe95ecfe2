"""Each layout registers the expected resources with their key properties (under set_mocks)."""

from __future__ import annotations

import json

from synthfix import of_type

from mlps.synth.run import SynthResult

NS = "kubernetes:core/v1:Namespace"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
DEPLOY = "kubernetes:apps/v1:Deployment"
DAEMONSET = "kubernetes:apps/v1:DaemonSet"
COMMAND = "command:local:Command"


def _netpols(result: SynthResult, namespace: str) -> dict[str, dict]:
    return {
        p["metadata"]["name"]: p["spec"]
        for p in of_type(result, NETPOL)
        if p["metadata"]["namespace"] == namespace and p["name"].startswith(result.spec.name)
    }


def test_onprem_namespaces_are_restricted_and_default_deny(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["onprem-lab"]
    namespaces = {n["metadata"]["name"]: n["metadata"]["labels"] for n in of_type(result, NS)}
    assert set(namespaces) == {"core", "dmz", "mlps-logging"}
    for zone in ("core", "dmz"):
        assert namespaces[zone]["pod-security.kubernetes.io/enforce"] == "restricted"
        pols = _netpols(result, zone)
        assert pols["default-deny-ingress"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
        assert pols["default-deny-egress"] == {"podSelector": {}, "policyTypes": ["Egress"]}
        assert pols["allow-dns-egress"]["egress"][0]["ports"][0] == {"protocol": "UDP", "port": 53}
    core = _netpols(result, "core")
    # office → core on 443 reaches the pods on their TLS ports; mgmt SSH (22) is not a pod flow
    assert core["allow-from-office"]["ingress"][0]["ports"] == [
        {"protocol": "TCP", "port": 8042},
        {"protocol": "TCP", "port": 8443},
    ]
    assert "allow-from-mgmt" not in core
    assert core["allow-to-storage"]["egress"][0]["to"][0] == {"ipBlock": {"cidr": "10.130.0.0/24"}}
    assert _netpols(result, "dmz")["allow-from-internet"]["ingress"][0]["from"] == [
        {"ipBlock": {"cidr": "0.0.0.0/0"}}
    ]
    quotas = [q for q in of_type(result, "kubernetes:core/v1:ResourceQuota")]
    assert {q["metadata"]["namespace"] for q in quotas} == {"core", "dmz", "mlps-logging"}


def test_onprem_pacs_stores_images_in_s3_over_tls(synthesized: dict[str, SynthResult]) -> None:
    result = synthesized["onprem-lab"]
    secret = next(s for s in of_type(result, "kubernetes:core/v1:Secret"))
    assert secret["metadata"]["annotations"]["mlps.dev/s3-endpoint"] == "https://10.130.0.11:8333"
    assert secret["metadata"]["annotations"]["mlps.dev/s3-bucket"] == "pacs-images"
    assert secret["stringData"] == "[secret]"
    config = next(
        c for c in of_type(result, "kubernetes:core/v1:ConfigMap") if c["metadata"]["name"] == "pacs-config"
    )
    orthanc = json.loads(config["data"]["orthanc.json"])
    assert orthanc["SslEnabled"] is True and orthanc["AuthenticationEnabled"] is True
    pacs = next(d for d in of_type(result, DEPLOY) if d["metadata"]["name"] == "pacs")
    container = pacs["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.hospital.local/orthanc/orthanc:1.12.5"
    sc = container["securityContext"]
    assert sc["runAsNonRoot"] and sc["readOnlyRootFilesystem"] and not sc["allowPrivilegeEscalation"]
    assert container["livenessProbe"] and container["readinessProbe"] and container["resources"]["limits"]


def test_onprem_log_shipper_is_hardened_and_targets_audit_servers(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["onprem-lab"]
    ds = of_type(result, DAEMONSET)[0]
    pod = ds["spec"]["template"]["spec"]
    c = pod["containers"][0]
    assert c["securityContext"]["readOnlyRootFilesystem"] and c["securityContext"]["runAsNonRoot"]
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    assert ":" in c["image"] and not c["image"].endswith(":latest")
    assert all(v.get("readOnly") for v in c["volumeMounts"] if v["name"] in ("audit-log", "pods"))
    conf = next(
        m for m in of_type(result, "kubernetes:core/v1:ConfigMap") if m["metadata"]["name"] == "log-shipper"
    )
    text = conf["data"]["rsyslog.conf"]
    assert 'target="10.110.0.21"' in text and 'target="10.110.0.22"' in text and 'tls="on"' in text


def test_onprem_hosts_are_configured_by_ansible_from_the_generated_inventory(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["onprem-lab"]
    commands = [c for c in of_type(result, COMMAND) if "ansible-playbook" in c["create"]]
    limits = sorted(c["create"].split("--limit '")[1].split("'")[0] for c in commands)
    assert limits == ["bastion", "k8s_control_plane:k8s_node", "log_audit_server", "object_storage"]
    assert all(c["stdin"] == result.files["inventory.yml"] for c in commands)
    assert all(c["environment"] == "[secret]" for c in commands)
    assert "audit.k8s.io/v1" in result.files["files/kube-apiserver-audit-policy.yaml"]


def test_cloud_layout_builds_an_isolated_default_deny_china_region_cloud(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["cloud-dev"]
    assert of_type(result, "pulumi:providers:alicloud")[0]["region"] == "cn-shanghai"
    assert of_type(result, "alicloud:vpc/network:Network")[0]["cidrBlock"] == "172.20.0.0/18"
    assert {s["vswitchName"] for s in of_type(result, "alicloud:vpc/switch:Switch")} == {
        f"cloud-dev-{zone}-cn-shanghai-{az}" for zone in ("mgmt", "app", "dmz", "pods") for az in "lm"
    }
    groups = of_type(result, "alicloud:ecs/securityGroup:SecurityGroup")
    zones = sorted(g["tags"].get("mlps:zone", "front door") for g in groups)
    assert zones == ["app", "dmz", "front door", "mgmt"]
    assert all(g["innerAccessPolicy"] == "Drop" for g in groups)
    rules = of_type(result, "alicloud:ecs/securityGroupRule:SecurityGroupRule")
    ssh_in = [r for r in rules if r["type"] == "ingress" and r["portRange"] == "22/22"]
    assert {r["cidrIp"] for r in ssh_in} == {"192.168.50.0/24", "172.20.0.0/24"}
    # each group's egress, and the front door's inbound beside its port
    assert sum(1 for r in rules if r["policy"] == "drop") == 5
    instances = of_type(result, "alicloud:ecs/instance:Instance")
    assert {i["hostName"] for i in instances} == {"bastion-1", "logaudit-1", "logaudit-2"}
    assert all(i["systemDiskEncrypted"] and i.get("internetMaxBandwidthOut", 0) == 0 for i in instances)
    stores = {s["logstoreName"]: s["retentionPeriod"] for s in of_type(result, "alicloud:log/store:Store")}
    assert stores == {"audit": 180, "actiontrail_cloud-dev-trail": 180, "flowlog": 180, "alb-access": 180}
    buckets = {b["bucket"]: b for b in of_type(result, "alicloud:oss/bucket:Bucket")}
    own = {"cloud-dev-access-logs", "cloud-dev-actiontrail"}
    copies = {"ankang-emr-archive-offsite", "ankang-portal-uploads-offsite"}
    assert set(buckets) == {"ankang-emr-archive", "ankang-portal-uploads", *own, *copies}
    assert all(b["versioning"]["status"] == "Enabled" for b in buckets.values())
    assert all(
        b["serverSideEncryptionRule"]["sseAlgorithm"] == "KMS" for n, b in buckets.items() if n not in own
    )
    worms = {
        w["bucket"]: (w["retentionPeriodInDays"], w["status"])
        for w in of_type(result, "alicloud:oss/bucketWorm:BucketWorm")
    }
    assert worms == {"ankang-emr-archive": (10950, "Locked"), "ankang-portal-uploads": (365, "Locked"),
                     "cloud-dev-access-logs": (180, "Locked"), "cloud-dev-actiontrail": (180, "Locked"),
                     "ankang-emr-archive-offsite": (10950, "Locked"),
                     "ankang-portal-uploads-offsite": (365, "Locked")}
    for guard in ("bucketPublicAccessBlock:BucketPublicAccessBlock", "bucketLogging:BucketLogging",
                  "bucketPolicy:BucketPolicy"):
        assert {g["bucket"] for g in of_type(result, f"alicloud:oss/{guard}")} == set(buckets)
    trail = of_type(result, "alicloud:actiontrail/trail:Trail")[0]
    assert trail["status"] == "Enable" and trail["ossBucketName"] == "cloud-dev-actiontrail"
    assert trail["slsProjectArn"] == "acs:log:cn-shanghai:[account]:project/cloud-dev-actiontrail"
    ack = of_type(result, "alicloud:cs/managedKubernetes:ManagedKubernetes")[0]
    assert ack["slbInternetEnabled"] is False and ack["auditLogConfig"]["enabled"] is True
    assert {n["metadata"]["name"] for n in of_type(result, NS)} == {"app", "dmz", "mlps-logging"}


def test_hybrid_keeps_core_on_prem_and_passes_line_parameters(
    synthesized: dict[str, SynthResult],
) -> None:
    result = synthesized["hybrid-prod"]
    deployments = {d["name"]: d for d in of_type(result, DEPLOY)}
    cloud = {d["metadata"]["name"] for n, d in deployments.items() if "-cloud-" in n}
    onprem = {d["metadata"]["name"] for n, d in deployments.items() if "-onprem-" in n}
    assert cloud == {"registration", "payment"} and onprem == {"his", "emr", "pacs"}
    assert sorted(b["bucket"] for b in of_type(result, "alicloud:oss/bucket:Bucket")) == [
        "hybrid-prod-access-logs", "hybrid-prod-actiontrail", "registration-attachments",
        "registration-attachments-offsite",
    ]
    edges = next(c for c in of_type(result, COMMAND) if "--limit 'link_failover'" in c.get("create", ""))
    assert edges["environment"] == "[secret]"
    inventory = result.files["inventory.yml"]
    assert "link_failover_announce_prefixes" in inventory
    assert "link_failover_bfd_profile: !unsafe 'standard'" in inventory
    assert "v1:8Bx5" not in json.dumps(result.files)
    assert [i["hostName"] for i in of_type(result, "alicloud:ecs/instance:Instance")] == ["cloud-bastion-1"]


def test_the_pod_policy_knows_the_cluster_baselines_logging_namespace() -> None:
    from policy.policies.kubernetes.pods import LOG_SHIPPER_NAMESPACE
    from stacks.components.cluster_baseline import LOGGING_NAMESPACE

    assert LOG_SHIPPER_NAMESPACE == LOGGING_NAMESPACE
