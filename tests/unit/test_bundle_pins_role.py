"""The roles' bundle check (run on the controller, as the roles run it) trusts the sums pinned
outside the bundle, not the bundle's own SHA256SUMS: a file rewritten together with its manifest
line is refused before anything reaches a host."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

from mlps.ansible_run import PlaybookRun, run_playbook
from mlps.kubebundle import MANIFEST, PIN_VAR, read_manifest
from tests.unit.test_kubebundle_pins import fake_bundle, write_manifest

PLAY = Path(__file__).resolve().parent / "playbooks" / "bundle_check.yml"
ROLES = ("k8s_node", "k8s_control_plane")


def check(tmp_path: Path, role: str, bundle: Path, pins: dict[str, str] | None) -> PlaybookRun:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {}}}))
    extra: dict[str, object] = {"check_role": role, "k8s_node_bundle_dir": str(bundle),
                                "k8s_control_plane_bundle_dir": str(bundle),
                                "k8s_control_plane_bin_dir": "/nonexistent/bin",
                                "ansible_python_interpreter": sys.executable}
    if pins is not None:
        extra[PIN_VAR] = pins
    return run_playbook(PLAY, inventory, extra_vars=extra)


def _flat(run: PlaybookRun) -> str:
    return " ".join(run.output.split())


@pytest.fixture
def bundle(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = fake_bundle(tmp_path / "bundle")
    return root, read_manifest(root)


def test_the_pinned_bundle_is_accepted(tmp_path: Path, bundle: tuple[Path, dict[str, str]]) -> None:
    root, pins = bundle
    node = check(tmp_path, "k8s_node", root, pins)
    assert node.ok, node.output[-3000:]
    assert "bundle accepted" in node.output
    # The control plane goes on to compare the installed kubeadm with the pin (none here).
    plane = check(tmp_path, "k8s_control_plane", root, pins)
    assert "/nonexistent/bin/kubeadm is missing or differs from bin/kubeadm of the bundle" in _flat(plane)


@pytest.mark.parametrize("role", ROLES)
def test_file_and_manifest_rewritten_together_are_refused(
        tmp_path: Path, bundle: tuple[Path, dict[str, str]], role: str) -> None:
    root, pins = bundle
    (root / "bin" / "kubelet").write_bytes(os.urandom(256))
    write_manifest(root)  # SHA256SUMS now agrees with the attacker's kubelet
    run = check(tmp_path, role, root, pins)
    assert not run.ok
    assert "bin/kubelet: SHA256SUMS differs from the pinned" in _flat(run)
    assert "bundle accepted" not in run.output


@pytest.mark.parametrize("role", ROLES)
def test_file_rewritten_alone_is_refused(
        tmp_path: Path, bundle: tuple[Path, dict[str, str]], role: str) -> None:
    root, pins = bundle
    (root / "bin" / "kubeadm").write_bytes(os.urandom(256))
    run = check(tmp_path, role, root, pins)
    assert not run.ok
    assert "bin/kubeadm: missing or SHA-256 does not match the pinned" in _flat(run)


def test_a_bundle_without_pins_is_refused(tmp_path: Path, bundle: tuple[Path, dict[str, str]]) -> None:
    root, _ = bundle
    assert (root / MANIFEST).is_file()
    run = check(tmp_path, "k8s_node", root, None)
    assert not run.ok
    assert f"{PIN_VAR} is empty" in _flat(run)
