"""The k8s_node role on a lab host (systemd-nspawn, so the host kernel is shared): a tampered
bundle is refused before anything is installed; the role converges and a second run changes
nothing; containerd runs; what the container cannot change is reported not_checkable."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mlps.ansible_run import PlaybookRun, run_playbook
from mlps.kubebundle import MANIFEST, PIN_VAR, read_manifest, sha256_file
from mlps.lab import Lab

pytestmark = pytest.mark.lab

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SITE = HERE / "playbooks" / "k8s_node.yml"
VERIFY = HERE / "playbooks" / "k8s_node_verify.yml"
HOST = "h1"


@pytest.fixture(scope="module")
def lab(lab_factory: Any) -> Lab:
    built: Lab = lab_factory("mlps-t-k8s", hosts=1)
    return built


@pytest.fixture(scope="module")
def evidence_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("evidence")


@pytest.fixture(scope="module")
def deployed(lab: Lab, evidence_dir: Path) -> Iterator[PlaybookRun]:
    first = run_playbook(SITE, lab.inventory_path, extra_vars={"evidence_dir": str(evidence_dir)})
    assert first.ok, first.output[-4000:]
    yield first


def _fake_bundle(root: Path) -> Path:
    for rel in ("bin/kubeadm", "bin/kubelet", "bin/kubectl", "images/pause.tar", "cni/cni.tgz"):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(256))
    _write_manifest(root)
    return root


def _write_manifest(root: Path) -> None:
    lines = [f"{sha256_file(root / rel)}  {rel}" for rel in
             ("bin/kubeadm", "bin/kubelet", "bin/kubectl", "images/pause.tar", "cni/cni.tgz")]
    (root / MANIFEST).write_text("\n".join(lines) + "\n")


def test_tampered_bundle_is_refused_before_install(lab: Lab, tmp_path: Path) -> None:
    bundle = _fake_bundle(tmp_path / "bundle")
    pins = read_manifest(bundle)
    (bundle / "bin" / "kubelet").write_bytes(os.urandom(256))
    run = run_playbook(SITE, lab.inventory_path, extra_vars={"k8s_node_bundle_dir": str(bundle),
                                                             PIN_VAR: pins})
    assert not run.ok
    assert "bin/kubelet: missing or SHA-256 does not match" in " ".join(run.output.split())
    assert lab.run(HOST, "test -e /usr/local/bin/kubelet", check=False).returncode != 0


def test_bundle_with_rewritten_manifest_is_refused_before_install(lab: Lab, tmp_path: Path) -> None:
    """The attacker replaces kubelet and rewrites SHA256SUMS to match: the pins still refuse it."""
    bundle = _fake_bundle(tmp_path / "bundle")
    pins = read_manifest(bundle)
    (bundle / "bin" / "kubelet").write_bytes(os.urandom(256))
    _write_manifest(bundle)
    run = run_playbook(SITE, lab.inventory_path, extra_vars={"k8s_node_bundle_dir": str(bundle),
                                                             PIN_VAR: pins})
    assert not run.ok
    assert "bin/kubelet: SHA256SUMS differs from the pinned" in " ".join(run.output.split())
    assert lab.run(HOST, "test -e /usr/local/bin/kubelet", check=False).returncode != 0


def test_second_run_changes_nothing(lab: Lab, deployed: PlaybookRun, evidence_dir: Path) -> None:
    again = run_playbook(SITE, lab.inventory_path, extra_vars={"evidence_dir": str(evidence_dir)})
    assert again.ok, again.output[-4000:]
    assert again.changed == 0, again.output[-4000:]


def test_containerd_runs_with_systemd_cgroups(lab: Lab, deployed: PlaybookRun) -> None:
    assert lab.run(HOST, "systemctl is-active containerd").stdout.strip() == "active"
    config = lab.run(HOST, "cat /etc/containerd/config.toml").stdout
    assert "SystemdCgroup = true" in config
    assert lab.run(HOST, "stat -c %a /etc/kubernetes/kubelet-config.yaml").stdout.strip() == "600"


def _evidence(lab: Lab, evidence_dir: Path) -> dict[str, Any]:
    run = run_playbook(VERIFY, lab.inventory_path, extra_vars={"evidence_dir": str(evidence_dir)})
    assert run.ok, run.output[-4000:]
    doc: dict[str, Any] = json.loads((evidence_dir / HOST / "k8s_node.json").read_text())
    schema = json.loads((REPO / "schemas" / "evidence.schema.json").read_text())
    jsonschema.validate(doc, schema)
    return doc


def test_container_prerequisites_are_not_checkable(lab: Lab, deployed: PlaybookRun,
                                                   evidence_dir: Path) -> None:
    doc = _evidence(lab, evidence_dir)
    status = {r["check"]: r["status"] for r in doc["results"]}
    for fixed in ("kernel module overlay loaded", "kernel module br_netfilter loaded",
                  "sysctl vm.overcommit_memory", "sysctl kernel.panic", "sysctl kernel.panic_on_oops",
                  "no active swap (kubelet, secrets not paged out)"):
        assert status[fixed] == "not_checkable", (fixed, status[fixed])
    # net.* is the container's own: set by the role and passing.
    assert status["sysctl net.ipv4.ip_forward"] == "pass"
    assert lab.run(HOST, "cat /proc/sys/net/ipv4/ip_forward").stdout.strip() == "1"
    kubelet = [r for r in doc["results"] if r["check"].startswith("kubelet config:")]
    assert len(kubelet) == 7 and all(r["status"] == "pass" for r in kubelet), kubelet
    assert status["container runtime (containerd) active"] == "pass"
    recorded = json.loads(lab.run(HOST, "cat /var/lib/mlps/k8s_node-guarded.json").stdout)
    assert {"module overlay", "kernel.panic", "swap"} <= {g["name"] for g in recorded}
    assert all(g["reason"] for g in recorded)


def test_weakened_kubelet_config_fails_verify(lab: Lab, deployed: PlaybookRun,
                                              evidence_dir: Path) -> None:
    lab.run(HOST, "sed -i 's/^readOnlyPort: 0$/readOnlyPort: 10255/; "
                  "/anonymous:/{n;s/enabled: false/enabled: true/}' /etc/kubernetes/kubelet-config.yaml")
    try:
        doc = _evidence(lab, evidence_dir)
        status = {r["check"]: r["status"] for r in doc["results"]}
        assert status["kubelet config: read-only port 10255 off"] == "fail"
        assert status["kubelet config: anonymous authentication off"] == "fail"
    finally:
        restored = run_playbook(SITE, lab.inventory_path)
        assert restored.ok and restored.changed >= 1
