"""OpenStack as the second cloud: its resources under the mock runtime, the project's roles
standing in for what it lacks, and the report naming each of them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest
from synthfix import ROOT, modified, of_type

from mlps.resources import load_schema
from mlps.synth.mockrun import Registration, run_program
from mlps.synth.run import SynthResult, synthesize_spec
from stacks.capabilities import CAPABILITIES, Capability, compensations, uncovered
from stacks.inventory import load_inventory
from stacks.model import environment
from stacks.program import EnvironmentStack
from stacks.providers import PROVIDERS

OS = "openstack:"
SG = "openstack:networking/secGroup:SecGroup"
RULE = "openstack:networking/secGroupRule:SecGroupRule"
VM = "openstack:compute/instance:Instance"
PORT = "openstack:networking/port:Port"
LISTENER = "openstack:loadbalancer/listener:Listener"
MEMBER = "openstack:loadbalancer/member:Member"
ORDER = "openstack:keymanager/orderV1:OrderV1"
SWIFT = "openstack:objectstorage/container:Container"


def _private(synthesized: dict[str, SynthResult]) -> SynthResult:
    return synthesized["private-cloud"]


def _build(spec_change: Any, stack: str = "private-cloud") -> list[Registration]:
    """The layout alone (no validation gate): what the provider and the layout register."""
    spec = modified(stack, spec_change)
    return run_program(lambda: EnvironmentStack(spec), "mlps", stack, {})


def test_every_provider_of_the_schema_is_built_and_has_a_capability_set() -> None:
    schema = load_schema("environment")
    enum = schema["properties"]["cloud"]["properties"]["provider"]["enum"]
    assert sorted(PROVIDERS) == sorted(CAPABILITIES) == sorted(enum)
    managed = {Capability.MANAGED_LOG_STORE: "log_store", Capability.AUDIT_TRAIL: "audit_trail",
               Capability.MANAGED_KUBERNETES: "kubernetes", Capability.CLOUD_IDENTITY: "identity",
               Capability.MANAGED_BACKUP: "backup", Capability.FLOW_LOGS: "flow_logs",
               Capability.EVENT_ALERTS: "event_alerts", Capability.DEDICATED_LINES: "dedicated_lines"}
    for name, cls in PROVIDERS.items():
        for capability, method in managed.items():
            assert (capability in CAPABILITIES[name]) == hasattr(cls, method), (name, capability)


def test_zones_are_networks_behind_a_router_with_no_way_out(synthesized: dict[str, SynthResult]) -> None:
    result = _private(synthesized)
    assert of_type(result, "pulumi:providers:openstack")[0]["region"] == "cn-binjiang-dc1"
    router = of_type(result, "openstack:networking/router:Router")[0]
    assert "externalNetworkId" not in router and "externalFixedIps" not in router
    subnets = {s["name"]: s["cidr"] for s in of_type(result, "openstack:networking/subnet:Subnet")}
    assert subnets == {"private-cloud-mgmt": "10.60.0.0/24", "private-cloud-app": "10.60.16.0/20",
                       "private-cloud-storage": "10.60.32.0/24", "private-cloud-dmz": "10.60.40.0/24"}
    assert len(of_type(result, "openstack:networking/routerInterface:RouterInterface")) == 4
    assert not [r for r in result.registrations if "floatingIp" in r.type]


def test_security_groups_lose_the_default_egress_and_admit_only_the_spec_flows(
    synthesized: dict[str, SynthResult],
) -> None:
    result = _private(synthesized)
    groups = of_type(result, SG)
    assert len(groups) == 4 and all(g["deleteDefaultRules"] is True for g in groups)
    rules = of_type(result, RULE)
    assert all(r["remoteIpPrefix"] != "0.0.0.0/0" for r in rules)
    ssh = {(r["name"].split("-sg-")[1].split("-")[0], r["remoteIpPrefix"])
           for r in rules if r["direction"] == "ingress" and r["portRangeMin"] == 22}
    assert ssh == {("mgmt", "10.40.0.0/20"), ("app", "10.60.0.0/24"),
                   ("storage", "10.60.0.0/24"), ("dmz", "10.60.0.0/24")}
    egress = [r for r in rules if r["direction"] == "egress"]
    assert egress and all(r["portRangeMin"] == r["portRangeMax"] for r in egress)
    # the internet reaches the load balancer, which alone reaches the dmz hosts on 443
    https = next(r for r in rules if r["direction"] == "ingress" and r["portRangeMin"] == 443
                 and "-sg-dmz-" in r["name"])
    assert https["remoteIpPrefix"] == "10.60.40.0/24"
    listener = of_type(result, LISTENER)[0]
    assert (listener["protocol"], listener["protocolPort"], listener["allowedCidrs"]) == (
        "HTTPS", 443, ["0.0.0.0/0"])
    assert of_type(result, "openstack:loadbalancer/monitor:Monitor")[0]["type"] == "TLS-HELLO"
    assert sorted(m["address"] for m in of_type(result, MEMBER)) == ["10.60.40.11", "10.60.40.140"]


def test_instances_have_no_public_address_and_boot_from_encrypted_volumes(
    synthesized: dict[str, SynthResult],
) -> None:
    result = _private(synthesized)
    env = environment(result.spec.effective)
    vms = of_type(result, VM)
    assert sorted(v["name"] for v in vms) == sorted(h.name for h in env.hosts)
    for vm in vms:
        assert [set(n) for n in vm["networks"]] == [{"port"}]
        (disk,) = vm["blockDevices"]
        assert (disk["destinationType"], disk["volumeType"], disk["bootIndex"]) == ("volume", "encrypted", 0)
        assert disk["deleteOnTermination"] is False
        assert vm["imageName"] in env.cloud.approved_images  # type: ignore[union-attr]
    ports = {p["name"]: p for p in of_type(result, PORT)}
    for host in env.hosts:
        port = ports[f"private-cloud-{host.name}"]
        assert port["fixedIps"][0]["ipAddress"] == host.address
        assert port["portSecurityEnabled"] is True and len(port["securityGroupIds"]) == 1


def test_the_key_is_an_aes_256_barbican_order_that_outlives_destroy(
    synthesized: dict[str, SynthResult],
) -> None:
    (order,) = [r for r in _private(synthesized).registrations if r.type == ORDER]
    assert order.inputs["type"] == "key"
    assert (order.inputs["meta"]["algorithm"], order.inputs["meta"]["bitLength"]) == ("aes", 256)
    assert order.protect and order.retain_on_delete


def test_the_roles_stand_in_for_what_openstack_lacks(synthesized: dict[str, SynthResult]) -> None:
    result = _private(synthesized)
    inventory = load_inventory(result.files["inventory.yml"])["all"]
    groups = inventory["children"]
    assert set(groups["object_storage"]["hosts"]) == {"s3-1", "s3-2", "s3-3"}
    assert all(inventory["hosts"][h]["mlps_zone"] == "storage" for h in groups["object_storage"]["hosts"])
    kept = groups["object_storage"]["vars"]["object_storage_buckets"]
    buckets = {b["name"]: b["object_lock"] for b in kept}
    assert buckets == {"pacs-images": {"mode": "COMPLIANCE", "retention_days": 10950},
                       "his-backup": {"mode": "COMPLIANCE", "retention_days": 10950}}
    assert set(groups["log_audit_server"]["hosts"]) == {"logaudit-1", "logaudit-2"}
    assert set(groups["k8s_control_plane"]["hosts"]) == {"k8s-cp-1", "k8s-cp-2", "k8s-cp-3"}
    assert not of_type(result, SWIFT)
    plays = sorted(c["create"].split("--limit '")[1].split("'")[0]
                   for c in of_type(result, "command:local:Command") if "ansible-playbook" in c["create"])
    assert plays == ["bastion", "k8s_control_plane:k8s_node", "log_audit_server", "object_storage"]
    notices = json.loads(result.files["findings.json"])["notices"]
    assert [(n["control"], n["pointer"]) for n in notices] == [
        ("ABS-AUDIT-01", "/cloud/provider"), ("CES-AUTH-01", "/cloud/provider"),
        ("CES-BAK-01", "/backup/offsite"), ("CES-INT-02", "/cloud/provider"),
        ("CLD-AUDIT-01", "/cloud/provider"), ("CLD-VMIDS-03", "/cloud/provider"),
        ("K8S-HA-01", "/cloud/provider"), ("SMC-CEN-04", "/cloud/provider"),
        ("SMC-CEN-07", "/cloud/provider")]
    assert "Keystone, operated by the private cloud's owner" in notices[1]["message_en"]
    lock = notices[3]["message_en"]
    assert "object lock" in lock and "object_storage role on s3-1, s3-2, s3-3" in lock
    malware = notices[5]["message_en"]
    assert malware.startswith("openstack has no threat detection: malware detection on the cloud hosts")
    assert "baseline role on bastion-1, logaudit-1" in malware
    assert json.loads(result.files["findings.json"])["findings"] == []


def test_a_cloud_with_every_capability_needs_no_stand_in(synthesized: dict[str, SynthResult]) -> None:
    assert json.loads(synthesized["cloud-dev"].files["findings.json"])["notices"] == []


def _storage_to_office(data: dict[str, Any]) -> None:
    for host in data["hosts"]:
        if "object_storage" in host["roles"]:
            host["zone"] = "office"
            host["address"] = host["address"].replace("10.60.32.", "10.40.1.")


def test_a_missing_stand_in_is_refused_before_anything_is_built() -> None:
    env = environment(modified("private-cloud", _storage_to_office).effective)
    assert [c.capability for c in compensations(env) if not c.hosts] == [Capability.OBJECT_LOCK]
    assert uncovered(env) == [
        "CES-INT-02: openstack has no object_lock; give object lock of cloud bucket(s) pacs-images, "
        "his-backup (SeaweedFS) a host with the object_storage role in a cloud zone"]
    with pytest.raises(pulumi.RunError, match="CES-INT-02: openstack has no object_lock"):
        _build(_storage_to_office)


def _unlocked_portal_bucket(data: dict[str, Any]) -> None:
    data["object_storage"]["buckets"].append(
        {"name": "portal-uploads", "data_class": "personal", "placement": "cloud", "versioning": True,
         "object_lock": {"mode": "none", "retention_days": 1}, "encryption": "sse-kms", "replicas": 2})


def test_a_bucket_without_lock_is_a_versioned_swift_container(tmp_path: Path) -> None:
    spec = modified("private-cloud", _unlocked_portal_bucket)
    result = synthesize_spec(spec, ROOT, "private-cloud")
    (swift,) = of_type(result, SWIFT)
    assert (swift["name"], swift["versioning"]) == ("portal-uploads", True)
    inventory = load_inventory(result.files["inventory.yml"])["all"]["children"]
    names = [b["name"] for b in inventory["object_storage"]["vars"]["object_storage_buckets"]]
    assert names == ["pacs-images", "his-backup"]


def _hybrid_on_openstack(data: dict[str, Any]) -> None:
    data["cloud"]["provider"] = "openstack"


def test_hybrid_on_openstack_refuses_a_second_kubeadm_cluster_for_cloud_workloads() -> None:
    with pytest.raises(pulumi.RunError, match=r"one kubeadm cluster.*\['payment', 'registration'\]"):
        _build(_hybrid_on_openstack, "hybrid-prod")


def _hybrid_without_cloud_workloads(data: dict[str, Any]) -> None:
    _hybrid_on_openstack(data)
    data["workloads"] = [w for w in data["workloads"] if w["placement"] != "cloud"]
    data["object_storage"]["buckets"] = [b for b in data["object_storage"]["buckets"]
                                         if b["placement"] != "cloud"]


def test_hybrid_on_openstack_builds_the_cloud_side_and_names_the_log_servers() -> None:
    regs = _build(_hybrid_without_cloud_workloads, "hybrid-prod")
    vms = [r.inputs["name"] for r in regs if r.type == VM]
    assert vms == ["cloud-bastion-1"]
    assert not [r for r in regs if r.type.startswith("alicloud:")]
    env = environment(modified("hybrid-prod", _hybrid_without_cloud_workloads).effective)
    assert [(c.control, c.hosts) for c in compensations(env)] == [
        *((control, ("logaudit-1", "logaudit-2"))
          for control in ("CLD-AUDIT-01", "SMC-CEN-04", "ABS-AUDIT-01")),
        ("CLD-VMIDS-03", ("cloud-bastion-1",)),  # the baseline's scanner, on the one cloud host
        ("SMC-CEN-07", ("logaudit-1", "logaudit-2"))]


def test_the_report_names_each_compensating_part(tmp_path: Path) -> None:
    out = tmp_path / "report"
    run = subprocess.run(
        [sys.executable, "-m", "mlps", "report", "--spec", "Pulumi.private-cloud.yaml", "--synth",
         "--out", str(out)], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "[compensated 补偿]" in run.stdout
    assert "object_storage role on s3-1, s3-2, s3-3" in run.stdout
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["summary"]["compliant"] is True
    assert sorted(n["control"] for n in data["notices"]) == [
        "ABS-AUDIT-01", "CES-AUTH-01", "CES-BAK-01", "CES-INT-02", "CLD-AUDIT-01", "CLD-VMIDS-03",
        "K8S-HA-01", "SMC-CEN-04", "SMC-CEN-07"]
    assert "Keystone, operated by the private cloud's owner" in run.stdout
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Compensating parts" in html and "log_audit_server role on logaudit-1, logaudit-2" in html
