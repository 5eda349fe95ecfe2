"""The Kubernetes configuration files the roles render, validated against schemas/k8s/ and checked
for the hardening settings the controls require.

The files are rendered by Ansible itself (tests/roles/playbooks/k8s_render.yml, connection local)
from the roles' own defaults and vars, so a template or default that drifts is caught here. The
schemas are closed where the Kubernetes type is: a misspelt key is refused instead of being
silently ignored by the component reading it.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

from mlps.ansible_run import run_playbook
from stacks.components.audit_policy import render_audit_policy

ROOT = Path(__file__).resolve().parent.parent.parent
SCHEMAS = ROOT / "schemas" / "k8s"
PLAYBOOK = ROOT / "tests" / "roles" / "playbooks" / "k8s_render.yml"
ROLES = ROOT / "roles"
SCHEMA_OF = {
    ("kubeadm.k8s.io/v1beta4", "InitConfiguration"): "kubeadm-init-configuration",
    ("kubeadm.k8s.io/v1beta4", "ClusterConfiguration"): "kubeadm-cluster-configuration",
    ("kubeadm.k8s.io/v1beta4", "JoinConfiguration"): "kubeadm-join-configuration",
    ("kubelet.config.k8s.io/v1beta1", "KubeletConfiguration"): "kubelet-configuration",
    ("audit.k8s.io/v1", "Policy"): "audit-policy",
    ("apiserver.config.k8s.io/v1", "EncryptionConfiguration"): "encryption-configuration",
    ("apiserver.config.k8s.io/v1", "AdmissionConfiguration"): "admission-configuration",
}
INVENTORY = """all:
  children:
    k8s_control_plane:
      hosts:
        cp1: {ansible_host: 10.20.1.11}
        cp2: {ansible_host: 10.20.1.12}
        cp3: {ansible_host: 10.20.1.13}
"""
Doc = dict[str, Any]


def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def validate(doc: Doc) -> None:
    """Validate one document against the schema of its apiVersion and kind."""
    name = SCHEMA_OF[(doc.get("apiVersion", ""), doc.get("kind", ""))]
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, registry=REGISTRY)
    validator.validate(doc)


def is_valid(doc: Doc) -> bool:
    try:
        validate(doc)
    except jsonschema.ValidationError:
        return False
    return True


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Doc]]:
    """Every rendered file as its list of YAML documents, keyed by file name."""
    out = tmp_path_factory.mktemp("k8s-render")
    inventory = out / "inventory.yml"
    inventory.write_text(INVENTORY, encoding="utf-8")
    key = base64.b64encode(os.urandom(32)).decode()
    run = run_playbook(PLAYBOOK, inventory, limit="cp1", extra_vars={
        "render_dir": str(out),
        "ansible_python_interpreter": sys.executable,
        "k8s_control_plane_encryption_secrets": [key],
        "render_join": {"token": "abcdef.0123456789abcdef", "hash": "sha256:" + "0" * 64,
                        "key": os.urandom(32).hex()},
    })
    assert run.ok, run.output[-4000:]
    assert key not in run.output, "the encryption key reached the Ansible output"
    docs = {path.name: [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
            for path in out.glob("*.yaml") if path.name != "inventory.yml"}
    docs["audit-policy.yaml"] = [yaml.safe_load(render_audit_policy())]
    return docs


def one(rendered: dict[str, list[Doc]], kind: str) -> Doc:
    found = [d for docs in rendered.values() for d in docs if d["kind"] == kind]
    assert len(found) >= 1, kind
    return found[0]


def args(component: Doc) -> dict[str, str]:
    return {a["name"]: a["value"] for a in component.get("extraArgs", [])}


def test_every_rendered_document_matches_its_schema(rendered: dict[str, list[Doc]]) -> None:
    kinds = set()
    for docs in rendered.values():
        for doc in docs:
            validate(doc)
            kinds.add(doc["kind"])
    assert kinds == {kind for _, kind in SCHEMA_OF}, kinds


@pytest.mark.parametrize(("kind", "path", "typo"), [
    ("KubeletConfiguration", ["authentication", "anonymous"], "enable"),
    ("KubeletConfiguration", [], "readOnlyPorts"),
    ("ClusterConfiguration", ["etcd", "local"], "extraArg"),
    ("ClusterConfiguration", ["apiServer"], "extraArguments"),
    ("InitConfiguration", ["nodeRegistration"], "imagePullPolicies"),
    ("JoinConfiguration", ["discovery", "bootstrapToken"], "caCertHash"),
    ("Policy", [], "rule"),
    ("EncryptionConfiguration", [], "resource"),
    ("AdmissionConfiguration", ["plugins", 0, "configuration", "defaults"], "enforced"),
])
def test_a_misspelt_key_is_refused(rendered: dict[str, list[Doc]], kind: str,
                                   path: list[str | int], typo: str) -> None:
    doc = copy.deepcopy(one(rendered, kind))
    node: Any = doc
    for step in path:
        node = node[step]
    node[typo] = True
    assert not is_valid(doc), f"{kind}: {typo} accepted"


def kubelet_weaknesses(doc: Doc) -> list[str]:
    """The K8S-KUBELET-01 settings a kubelet configuration gets wrong (empty: hardened)."""
    auth = doc.get("authentication", {})
    checks = {
        "anonymous auth on": auth.get("anonymous", {}).get("enabled", True) is not False,
        "webhook authentication off": auth.get("webhook", {}).get("enabled") is not True,
        "authorization not Webhook": doc.get("authorization", {}).get("mode") != "Webhook",
        "read-only port open": doc.get("readOnlyPort", 10255) != 0,
        "certificates not rotated": doc.get("rotateCertificates") is not True,
        "kernel defaults not protected": doc.get("protectKernelDefaults") is not True,
        "TLS below 1.2": doc.get("tlsMinVersion") not in ("VersionTLS12", "VersionTLS13"),
        "weak cipher suite": not doc.get("tlsCipherSuites") or not all(
            "ECDHE" in s and ("GCM" in s or "CHACHA20" in s) for s in doc["tlsCipherSuites"]),
    }
    return [name for name, bad in checks.items() if bad]


def test_kubelet_is_hardened_and_both_roles_agree(rendered: dict[str, list[Doc]]) -> None:
    node = rendered["kubelet-config.yaml"][0]
    via_kubeadm = rendered["kubeadm-config.yaml"][2]
    assert node == via_kubeadm, "k8s_node and k8s_control_plane kubelet configurations differ"
    assert kubelet_weaknesses(node) == []


def test_api_server_flags_are_hardened(rendered: dict[str, list[Doc]]) -> None:
    cluster = one(rendered, "ClusterConfiguration")
    api = args(cluster["apiServer"])
    assert api["anonymous-auth"] == "false"
    assert api["authorization-mode"] == "Node,RBAC"
    assert api["profiling"] == "false"
    assert api["tls-min-version"] == "VersionTLS12"
    assert {"NodeRestriction", "PodSecurity"} <= set(api["enable-admission-plugins"].split(","))
    assert api["audit-policy-file"] == "/etc/kubernetes/audit/policy.yaml"
    assert api["audit-log-path"] == "/var/log/kubernetes/audit/audit.log"
    assert int(api["audit-log-maxage"]) >= 30
    assert api["encryption-provider-config"] == "/etc/kubernetes/encryption/config.yaml"
    assert api["admission-control-config-file"] == "/etc/kubernetes/admission/config.yaml"
    mounted = {v["hostPath"] for v in cluster["apiServer"]["extraVolumes"]}
    assert {"/etc/kubernetes/audit", "/var/log/kubernetes/audit", "/etc/kubernetes/encryption",
            "/etc/kubernetes/admission"} <= mounted
    for component in ("controllerManager", "scheduler"):
        flags = args(cluster[component])
        assert flags["profiling"] == "false" and flags["bind-address"] == "127.0.0.1", component


def test_etcd_requires_client_certificates_and_images_are_never_pulled(
        rendered: dict[str, list[Doc]]) -> None:
    cluster = one(rendered, "ClusterConfiguration")
    etcd = args(cluster["etcd"]["local"])
    assert etcd["client-cert-auth"] == "true" and etcd["peer-client-cert-auth"] == "true"
    assert etcd["auto-tls"] == "false" and etcd["peer-auto-tls"] == "false"
    assert cluster["etcd"]["local"]["dataDir"] == "/var/lib/etcd"
    assert cluster["kubernetesVersion"].startswith("v1.31.")
    assert cluster["certificateValidityPeriod"] == "8760h0m0s"
    assert one(rendered, "InitConfiguration")["nodeRegistration"]["imagePullPolicy"] == "Never"
    join = one(rendered, "JoinConfiguration")
    assert join["nodeRegistration"]["imagePullPolicy"] == "Never"
    assert join["discovery"]["bootstrapToken"]["caCertHashes"], "join without CA pinning"
    assert join["discovery"]["bootstrapToken"]["apiServerEndpoint"] == "10.20.1.11:6443"


def test_secrets_are_encrypted_first_with_a_32_byte_key(rendered: dict[str, list[Doc]]) -> None:
    enc = one(rendered, "EncryptionConfiguration")
    (entry,) = enc["resources"]
    assert entry["resources"] == ["secrets"]
    first = entry["providers"][0]
    assert "identity" not in first and set(first) <= {"secretbox", "aescbc"}
    (keys,) = first.values()
    assert [len(base64.b64decode(k["secret"])) for k in keys["keys"]] == [32]
    assert entry["providers"][-1] == {"identity": {}}


def test_pod_security_enforces_restricted(rendered: dict[str, list[Doc]]) -> None:
    admission = one(rendered, "AdmissionConfiguration")
    (plugin,) = admission["plugins"]
    assert plugin["name"] == "PodSecurity"
    defaults = plugin["configuration"]["defaults"]
    assert defaults["enforce"] == defaults["audit"] == defaults["warn"] == "restricted"
    assert plugin["configuration"]["exemptions"]["namespaces"] == ["kube-system"]


def test_audit_policy_from_stacks_records_every_request(rendered: dict[str, list[Doc]]) -> None:
    policy = one(rendered, "Policy")
    assert policy["rules"][-1] == {"level": "Metadata"}, "requests matching no rule go unrecorded"
    secrets = [r for r in policy["rules"]
               if any("secrets" in g.get("resources", []) for g in r.get("resources", []))]
    assert secrets and secrets[0]["level"] == "Metadata", "Secret bodies must never be logged"


@pytest.mark.parametrize(("kind", "mutate"), [
    ("KubeletConfiguration", lambda d: d["authorization"].update(mode="AlwaysWebhook")),
    ("KubeletConfiguration", lambda d: d.update(readOnlyPort="10255")),
    ("EncryptionConfiguration", lambda d: d["resources"][0]["providers"][0].update(identity={})),
    ("AdmissionConfiguration",
     lambda d: d["plugins"][0]["configuration"]["defaults"].update(enforce="strict")),
    ("Policy", lambda d: d["rules"].append({"level": "Everything"})),
    ("ClusterConfiguration", lambda d: d.pop("kubernetesVersion")),
])
def test_a_wrong_value_is_refused(rendered: dict[str, list[Doc]], kind: str,
                                  mutate: Any) -> None:
    doc = copy.deepcopy(one(rendered, kind))
    mutate(doc)
    assert not is_valid(doc), kind


def test_hardening_checks_catch_an_anonymous_kubelet(rendered: dict[str, list[Doc]]) -> None:
    doc = copy.deepcopy(rendered["kubelet-config.yaml"][0])
    doc["authentication"]["anonymous"]["enabled"] = True
    doc["readOnlyPort"] = 10255
    doc["tlsCipherSuites"].append("TLS_RSA_WITH_AES_128_CBC_SHA")
    validate(doc)  # schema-valid: only the hardening check can tell
    assert kubelet_weaknesses(doc) == ["anonymous auth on", "read-only port open",
                                       "weak cipher suite"]
