"""The k8s_control_plane role on three lab hosts (systemd-nspawn) with the inventory variables
`mlps synth` generates for the onprem-lab environment.

Without Kubernetes binaries (none can be downloaded here) the role still does everything short of
kubeadm: it refuses two control-plane hosts at level 3 and a tampered bundle, installs the audit
policy from stacks/, a shared Secrets key, the admission and kubeadm configuration with the modes
the controls need, converges, and its verify entry reports what only a live cluster shows as
not_checkable. With MLPS_K8S_BUNDLE set to an offline bundle, test_cluster_from_bundle builds the
three-node cluster and applies the synthesized baseline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from mlps.ansible_run import PlaybookRun, run_playbook
from mlps.kubebundle import MANIFEST, PIN_VAR, read_manifest, sha256_file, verify_bundle
from mlps.lab import Lab
from stacks.inventory import dump_inventory, load_inventory
from tests.roles.baseline_lab import WITHOUT_INTEGRITY

pytestmark = pytest.mark.lab

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SITE = HERE / "playbooks" / "k8s_control_plane.yml"
VERIFY = HERE / "playbooks" / "k8s_control_plane_verify.yml"
NODE = HERE / "playbooks" / "k8s_node.yml"
HOSTS = ("h1", "h2", "h3")
REFUSED = "/etc/mlps-refused"
ENC = "/etc/kubernetes/encryption/config.yaml"
# Paths of a refused run: nothing may appear there.
REFUSED_VARS = {
    "k8s_control_plane_encryption_config_path": f"{REFUSED}/encryption.yaml",
    "k8s_control_plane_admission_config_path": f"{REFUSED}/admission.yaml",
    "k8s_control_plane_config_path": f"{REFUSED}/kubeadm.yaml",
}


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    proc = subprocess.run([str(Path(sys.executable).parent / "mlps"), "synth", "--stack",
                           "onprem-lab", "--out", str(out)], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


@pytest.fixture(scope="module")
def lab(lab_factory: Any) -> Lab:
    built: Lab = lab_factory("mlps-t-k8scp", hosts=3)
    return built


def _inventory(lab: Lab, synth: Path, members: tuple[str, ...], path: Path) -> Path:
    """The lab's inventory plus group k8s_control_plane with the synthesized role variables."""
    inv = yaml.safe_load(lab.inventory_path.read_text())
    generated = load_inventory((synth / "inventory.yml").read_text())["all"]
    inv["all"]["vars"]["mlps_level"] = generated["vars"]["mlps_level"]
    inv["all"]["vars"]["mlps_spec"] = generated["vars"]["mlps_spec"]
    inv["all"]["vars"].update(WITHOUT_INTEGRITY)
    group = generated["children"]["k8s_control_plane"]["vars"]
    inv["all"]["children"] = {"k8s_control_plane": {"hosts": dict.fromkeys(members),
                                                    "vars": group}}
    path.write_text(dump_inventory(inv))  # the spec's text stays !unsafe
    return path


@pytest.fixture(scope="module")
def inventory(lab: Lab, synth: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _inventory(lab, synth, HOSTS, tmp_path_factory.mktemp("inv") / "inventory.yml")


@pytest.fixture(scope="module")
def evidence_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("evidence")


@pytest.fixture(scope="module")
def deployed(inventory: Path, evidence_dir: Path) -> Iterator[PlaybookRun]:
    first = run_playbook(SITE, inventory, extra_vars={"evidence_dir": str(evidence_dir)})
    assert first.ok, first.output[-4000:]
    yield first


def _flat(output: str) -> str:
    return " ".join(output.split())


def _fake_bundle(root: Path) -> Path:
    rels = ("bin/kubeadm", "bin/kubelet", "bin/kubectl", "images/pause.tar", "cni/cni.tgz")
    for rel in rels:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(os.urandom(256))
    (root / MANIFEST).write_text("".join(f"{sha256_file(root / r)}  {r}\n" for r in rels))
    return root


def test_level_3_refuses_two_control_plane_hosts(lab: Lab, synth: Path, tmp_path: Path) -> None:
    two = _inventory(lab, synth, ("h1", "h2"), tmp_path / "two.yml")
    run = run_playbook(SITE, two, extra_vars=REFUSED_VARS)
    assert not run.ok
    assert "level 3 needs at least 3 hosts in group k8s_control_plane (found 2" in _flat(run.output)
    assert lab.run("h1", f"test -e {REFUSED}", check=False).returncode != 0


def test_tampered_bundle_is_refused_before_anything_is_written(
        lab: Lab, inventory: Path, tmp_path: Path) -> None:
    bundle = _fake_bundle(tmp_path / "bundle")
    pins = read_manifest(bundle)
    (bundle / "bin" / "kubeadm").write_bytes(os.urandom(256))
    assert not verify_bundle(bundle).ok
    run = run_playbook(SITE, inventory, extra_vars={**REFUSED_VARS, PIN_VAR: pins,
                                                    "k8s_control_plane_bundle_dir": str(bundle)})
    assert not run.ok
    assert "bin/kubeadm: missing or SHA-256 does not match the pinned" in _flat(run.output)
    for host in HOSTS:
        assert lab.run(host, f"test -e {REFUSED}", check=False).returncode != 0


def test_kubeadm_not_from_the_bundle_is_refused(lab: Lab, inventory: Path, tmp_path: Path) -> None:
    bundle = _fake_bundle(tmp_path / "bundle")
    assert verify_bundle(bundle).ok
    run = run_playbook(SITE, inventory, extra_vars={**REFUSED_VARS, PIN_VAR: read_manifest(bundle),
                                                    "k8s_control_plane_bundle_dir": str(bundle)})
    assert not run.ok
    assert "/usr/local/bin/kubeadm is missing or differs from bin/kubeadm of the bundle" in \
        _flat(run.output)
    assert lab.run("h1", f"test -e {REFUSED}", check=False).returncode != 0


def test_second_run_changes_nothing(inventory: Path, deployed: PlaybookRun) -> None:
    again = run_playbook(SITE, inventory)
    assert again.ok, again.output[-4000:]
    assert again.changed == 0, again.changed_tasks()


def test_files_have_the_modes_the_controls_need(lab: Lab, synth: Path,
                                                deployed: PlaybookRun) -> None:
    policy = (synth / "files" / "kube-apiserver-audit-policy.yaml").read_text()
    expected = {
        "/etc/kubernetes/audit/policy.yaml": "root root 600",
        "/etc/kubernetes/audit": "root root 700",
        "/var/log/kubernetes/audit": "root adm 750",
        "/var/log/kubernetes/audit/audit.log": "root adm 640",
        ENC: "root root 600",
        "/etc/kubernetes/admission/config.yaml": "root root 600",
        "/etc/kubernetes/kubeadm-config.yaml": "root root 600",
        "/var/lib/etcd": "root root 700",
    }
    keys = set()
    for host in HOSTS:
        for path, want in expected.items():
            got = lab.run(host, f"stat -c '%U %G %a' {path}").stdout.strip()
            assert got == want, (host, path, got)
        assert lab.run(host, "cat /etc/kubernetes/audit/policy.yaml").stdout == policy
        assert lab.run(host, "systemctl is-enabled mlps-k8s-cert-renew.timer").stdout.strip() \
            == "enabled"
        keys.add(lab.run(host, f"sha256sum {ENC}").stdout.split()[0])
        kubeadm = list(yaml.safe_load_all(lab.run(host, "cat /etc/kubernetes/kubeadm-config.yaml")
                                          .stdout))
        assert kubeadm[0]["nodeRegistration"]["name"] == host
    assert len(keys) == 1, "the control-plane hosts do not share one Secrets key"


def test_secrets_key_is_never_in_the_output(lab: Lab, deployed: PlaybookRun) -> None:
    config = yaml.safe_load(lab.run("h1", f"cat {ENC}").stdout)
    secret = config["resources"][0]["providers"][0]["secretbox"]["keys"][0]["secret"]
    assert len(secret) == 44
    leaked = secret in deployed.output
    assert leaked is False, "the Secrets key appears in the Ansible output"


def _evidence(inventory: Path, evidence_dir: Path, host: str = "h1") -> dict[str, Any]:
    run = run_playbook(VERIFY, inventory, extra_vars={"evidence_dir": str(evidence_dir)})
    assert run.ok, run.output[-4000:]
    doc: dict[str, Any] = json.loads((evidence_dir / host / "k8s_control_plane.json").read_text())
    schema = json.loads((REPO / "schemas" / "evidence.schema.json").read_text())
    jsonschema.validate(doc, schema)
    return doc


def test_evidence_passes_what_the_host_shows_and_not_what_needs_a_cluster(
        inventory: Path, deployed: PlaybookRun, evidence_dir: Path) -> None:
    doc = _evidence(inventory, evidence_dir)
    assert doc["level"] == 3
    by_status: dict[str, set[str]] = {}
    for r in doc["results"]:
        by_status.setdefault(r["status"], set()).add(f"{r['control']} {r['check']}")
    assert "fail" not in by_status, by_status.get("fail")
    live = {"K8S-HA-01 etcd members running",
            "K8S-AUDIT-01 running API server: audit policy and log in force",
            "CES-CONF-03 a Secret stored in etcd is ciphertext",
            "K8S-ETCD-01 running etcd: TLS with client certificate authentication"}
    assert by_status["not_checkable"] == live
    assert all(r["detail"].startswith("no cluster on this host") for r in doc["results"]
               if r["status"] == "not_checkable")
    controls = {r["control"] for r in doc["results"] if r["status"] == "pass"}
    assert {"K8S-HA-01", "K8S-AUDIT-01", "CES-CONF-03", "K8S-ETCD-01", "K8S-PSS-01"} <= controls


def test_weakened_host_fails_verify_and_the_role_restores_it(
        lab: Lab, inventory: Path, deployed: PlaybookRun, evidence_dir: Path) -> None:
    lab.run("h2", f"chmod 0644 {ENC} && chmod 0755 /var/lib/etcd && "
                  "sed -i 's/enforce: \"restricted\"/enforce: \"privileged\"/' "
                  "/etc/kubernetes/admission/config.yaml")
    try:
        doc = _evidence(inventory, evidence_dir, host="h2")
        failed = {r["check"] for r in doc["results"] if r["status"] == "fail"}
        assert failed == {"EncryptionConfiguration owned by root, mode 0600",
                          "etcd data directory owned by root, mode 0700",
                          "admission: Pod Security enforces restricted in namespaces without labels"}
    finally:
        restored = run_playbook(SITE, inventory)
        assert restored.ok and restored.changed >= 3, restored.output[-4000:]
    doc = _evidence(inventory, evidence_dir, host="h2")
    assert not [r for r in doc["results"] if r["status"] == "fail"]


def test_cluster_from_bundle(lab: Lab, inventory: Path, synth: Path, evidence_dir: Path,
                             deployed: PlaybookRun) -> None:
    bundle = os.environ.get("MLPS_K8S_BUNDLE", "")
    if not bundle:
        pytest.skip("MLPS_K8S_BUNDLE unset: this machine cannot download Kubernetes binaries, "
                    "so no three-node cluster is built here")
    check = verify_bundle(Path(bundle))
    assert check.ok, check.problems
    extra = {"k8s_node_bundle_dir": bundle, "k8s_control_plane_bundle_dir": bundle,
             PIN_VAR: read_manifest(Path(bundle)), "evidence_dir": str(evidence_dir)}
    node = run_playbook(NODE, inventory, extra_vars=extra)
    assert node.ok, node.output[-4000:]
    built = run_playbook(SITE, inventory, extra_vars=extra)
    assert built.ok, built.output[-4000:]
    manifests = sorted((synth / "manifests").glob("*.yaml"))
    lab.run("h1", "mkdir -p /root/baseline")
    for path in manifests:
        lab.run("h1", f"cat > /root/baseline/{path.name}", input=path.read_text())
    applied = lab.run("h1", "KUBECONFIG=/etc/kubernetes/admin.conf /usr/local/bin/kubectl "
                            "apply -f /root/baseline", check=False)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    doc = _evidence(inventory, evidence_dir)
    status = {f"{r['control']} {r['check']}": r["status"] for r in doc["results"]}
    assert status["K8S-HA-01 etcd members running"] == "pass"
    assert status["CES-CONF-03 a Secret stored in etcd is ciphertext"] == "pass"
    assert status["K8S-ETCD-01 running etcd: TLS with client certificate authentication"] == "pass"
    again = run_playbook(SITE, inventory, extra_vars=extra)
    assert again.ok and again.changed == 0, again.changed_tasks()
