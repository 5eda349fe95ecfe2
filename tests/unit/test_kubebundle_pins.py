"""The Kubernetes bundle against sums pinned outside it: a bundle whose file and SHA256SUMS line
were both rewritten (the manifest agrees with the tampered file) is refused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mlps.kubebundle import MANIFEST, PIN_VAR, sha256_file, verify_bundle

MLPS = str(Path(sys.executable).parent / "mlps")
FILES = ("bin/kubeadm", "bin/kubelet", "bin/kubectl", "images/pause.tar", "cni/cni.tgz")


def fake_bundle(root: Path) -> Path:
    for rel in FILES:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(256))
    write_manifest(root)
    return root


def write_manifest(root: Path) -> None:
    (root / MANIFEST).write_text("".join(f"{sha256_file(root / rel)}  {rel}\n" for rel in FILES))


def mlps(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MLPS, "bundle", *args], capture_output=True, text=True, timeout=60)


def test_pin_then_verify_passes(tmp_path: Path) -> None:
    bundle = fake_bundle(tmp_path / "bundle")
    pinned = mlps("pin", str(bundle))
    assert pinned.returncode == 0, pinned.stderr
    pins = tmp_path / "k8s.yml"
    pins.write_text(pinned.stdout)
    assert pinned.stdout.startswith(f"{PIN_VAR}:\n")
    ok = mlps("verify", str(bundle), "--pinned", str(pins))
    assert ok.returncode == 0, ok.stderr
    assert f"{len(FILES)} file(s) match the sums pinned in" in ok.stdout


def test_file_and_its_manifest_line_rewritten_is_refused(tmp_path: Path) -> None:
    bundle = fake_bundle(tmp_path / "bundle")
    pins = tmp_path / "k8s.yml"
    pins.write_text(mlps("pin", str(bundle)).stdout)
    (bundle / "bin" / "kubelet").write_bytes(os.urandom(256))  # the attacker's kubelet
    write_manifest(bundle)  # ... and a SHA256SUMS that agrees with it
    assert verify_bundle(bundle).ok, "the manifest alone cannot see it"
    refused = mlps("verify", str(bundle), "--pinned", str(pins))
    assert refused.returncode == 1
    assert "bin/kubelet: SHA256SUMS says" in refused.stderr
    assert "bin/kubelet: sha256" in refused.stderr and "does not match" in refused.stderr
    assert "refused" in refused.stderr


def test_a_file_added_to_bundle_and_manifest_is_refused(tmp_path: Path) -> None:
    bundle = fake_bundle(tmp_path / "bundle")
    pins = tmp_path / "k8s.yml"
    pins.write_text(mlps("pin", str(bundle)).stdout)
    (bundle / "images" / "extra.tar").write_bytes(os.urandom(64))
    with (bundle / MANIFEST).open("a") as manifest:
        manifest.write(f"{sha256_file(bundle / 'images' / 'extra.tar')}  images/extra.tar\n")
    refused = mlps("verify", str(bundle), "--pinned", str(pins))
    assert refused.returncode == 1
    assert f"images/extra.tar: in {MANIFEST} but not pinned" in refused.stderr


def test_bad_pins_file_is_one_line_exit_2(tmp_path: Path) -> None:
    bundle = fake_bundle(tmp_path / "bundle")
    pins = tmp_path / "k8s.yml"
    pins.write_text(f"{PIN_VAR}:\n  bin/kubeadm: not-a-sum\n")
    bad = mlps("verify", str(bundle), "--pinned", str(pins))
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr
    assert "line 2" in bad.stderr
    pins.write_text(f"{PIN_VAR}:\n  ../etc/passwd: {'0' * 64}\n")
    assert mlps("verify", str(bundle), "--pinned", str(pins)).returncode == 2
