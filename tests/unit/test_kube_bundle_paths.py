"""`mlps bundle verify|pin` against a bundle built to make the check reach outside it.

The bundle is never unpacked by mlps: the check reads SHA256SUMS and hashes the files it lists
(and the roles then copy those files to the hosts). So the attacks are on what it would read: a
listed path climbing out (`../x`, `bin/../../x`, absolute), a name with a NUL or a newline-like
control character, a symbolic link (to a file, to a directory, to a device) or a hard link to a
file outside, a device node or FIFO inside. Each is refused before any file is hashed: exit 2,
one line naming the offending path, nothing written anywhere, the outside file never opened
(a FIFO outside the bundle would block the check that opened it).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mlps.kubebundle import MANIFEST, PIN_VAR

MLPS = str(Path(sys.executable).parent / "mlps")
FILES = ("bin/kubeadm", "bin/kubelet", "bin/kubectl", "images/pause.tar", "cni/cni.tgz")
Entry = tuple[str, str]  # (listed path, sha256)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def mlps(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MLPS, "bundle", *args], capture_output=True, text=True, timeout=30)


def build(root: Path) -> tuple[Path, list[Entry]]:
    bundle = root / "bundle"
    entries = []
    for rel in FILES:
        data = os.urandom(128)
        (bundle / rel).parent.mkdir(parents=True, exist_ok=True)
        (bundle / rel).write_bytes(data)
        entries.append((rel, sha(data)))
    return bundle, entries


def write_manifest(bundle: Path, entries: list[Entry]) -> None:
    lines = b"".join(f"{digest}  {name}\n".encode() for name, digest in entries)
    (bundle / MANIFEST).write_bytes(lines)


def snapshot(root: Path) -> dict[str, tuple[int, int, float]]:
    """Every entry under ``root`` with its mode, size and modification time (links not followed)."""
    out = {}
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            st = os.lstat(os.path.join(top, name))
            out[os.path.relpath(os.path.join(top, name), root)] = (st.st_mode, st.st_size,
                                                                   st.st_mtime)
    return out


SECRET = b"hospital-db-password\n"


def outside(root: Path) -> Path:
    """A directory beside the bundle with a secret file and a FIFO no reader should open."""
    out = root / "outside"
    out.mkdir()
    (out / "secret").write_bytes(SECRET)
    os.mkfifo(out / "pipe")
    return out


Attack = Callable[[Path, Path, list[Entry]], tuple[list[Entry], str]]


def listed(name: str) -> Attack:
    def attack(bundle: Path, out: Path, entries: list[Entry]) -> tuple[list[Entry], str]:
        return [*entries, (name.replace("OUT", str(out)), sha(SECRET))], "leaves the bundle"
    return attack


def named(name: str) -> Attack:
    def attack(bundle: Path, out: Path, entries: list[Entry]) -> tuple[list[Entry], str]:
        return [*entries, (name, "0" * 64)], "control character"
    return attack


def symlink_to_file(bundle: Path, out: Path, entries: list[Entry]) -> tuple[list[Entry], str]:
    (bundle / "bin" / "etcdctl").symlink_to(out / "secret")
    return [*entries, ("bin/etcdctl", sha(SECRET))], "bin/etcdctl: is a symbolic link"


def symlink_to_fifo(bundle: Path, out: Path, entries: list[Entry]) -> tuple[list[Entry], str]:
    (bundle / "images" / "coredns.tar").symlink_to(out / "pipe")
    return [*entries, ("images/coredns.tar", "0" * 64)], "images/coredns.tar: is a symbolic link"


def symlink_to_dir(bundle: Path, out: Path, entries: list[Entry]) -> tuple[list[Entry], str]:
    (bundle / "extra").symlink_to(out, target_is_directory=True)
    return [*entries, ("extra/secret", sha(SECRET))], "extra: is a symbolic link"


def unlisted_symlink(bundle: Path, out: Path, entries: list[Entry]) -> tuple[list[Entry], str]:
    (bundle / "cni" / "README").symlink_to(out / "secret")
    return entries, "cni/README: is a symbolic link"


def hard_link(bundle: Path, out: Path, entries: list[Entry]) -> tuple[list[Entry], str]:
    os.link(out / "secret", bundle / "bin" / "crictl")
    return [*entries, ("bin/crictl", sha(SECRET))], "bin/crictl: is a hard link (2 names"


def fifo_inside(bundle: Path, out: Path, entries: list[Entry]) -> tuple[list[Entry], str]:
    os.mkfifo(bundle / "images" / "etcd.tar")
    return [*entries, ("images/etcd.tar", "0" * 64)], "images/etcd.tar: is a device, FIFO or socket"


def device_inside(bundle: Path, out: Path, entries: list[Entry]) -> tuple[list[Entry], str]:
    try:
        os.mknod(bundle / "images" / "zero.tar", 0o600 | 0o020000, os.makedev(1, 5))
    except PermissionError:
        pytest.skip("creating a device node needs root")
    return [*entries, ("images/zero.tar", "0" * 64)], "images/zero.tar: is a device, FIFO or socket"


ATTACKS: dict[str, Attack] = {
    "dot-dot": listed("../outside/secret"),
    "dot-dot-inside-the-path": listed("bin/../../outside/secret"),
    "absolute": listed("OUT/secret"),
    "nul-in-name": named("bin/kube\x00adm"),
    "escape-in-name": named("bin/kube\x1b[2Kadm"),
    "symlink-to-outside-file": symlink_to_file,
    "symlink-to-outside-fifo": symlink_to_fifo,
    "symlink-to-outside-directory": symlink_to_dir,
    "unlisted-symlink": unlisted_symlink,
    "hard-link-to-outside-file": hard_link,
    "fifo": fifo_inside,
    "character-device": device_inside,
}


@pytest.mark.parametrize("command", ["verify", "pin"])
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_bundle_reaching_outside_is_refused_with_one_line(tmp_path: Path, attack: str,
                                                          command: str) -> None:
    bundle, entries = build(tmp_path)
    out = outside(tmp_path)
    entries, expected = ATTACKS[attack](bundle, out, entries)
    write_manifest(bundle, entries)
    before = snapshot(tmp_path)
    result = mlps(command, str(bundle))  # a check that opened the FIFO would time out here
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert expected in lines[0] and lines[0].startswith(str(bundle)), lines[0]
    assert "\x00" not in result.stderr and "\x1b" not in result.stderr
    assert SECRET.decode().strip() not in result.stderr
    assert snapshot(tmp_path) == before, "the check wrote or changed a file"


@pytest.mark.parametrize("name", ["../outside/secret", "/etc/shadow", "bin/../../x", "bin/\x00x"])
def test_pins_naming_a_path_outside_the_bundle_are_refused(tmp_path: Path, name: str) -> None:
    bundle, entries = build(tmp_path)
    write_manifest(bundle, entries)
    pins = tmp_path / "k8s.yml"
    rows = "".join(f'  "{n}": {d}\n' for n, d in entries)
    escaped = name.replace("\x00", "\\0")
    pins.write_text(f'{PIN_VAR}:\n{rows}  "{escaped}": {sha(SECRET)}\n', encoding="utf-8")
    result = mlps("verify", str(bundle), "--pinned", str(pins))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(str(pins)), lines
    assert "\x00" not in result.stderr


def test_a_good_bundle_verifies_and_pins(tmp_path: Path) -> None:
    bundle, entries = build(tmp_path)
    write_manifest(bundle, entries)
    before = snapshot(tmp_path)
    ok = mlps("verify", str(bundle))
    assert ok.returncode == 0, ok.stderr
    assert f"{len(FILES)} file(s) match {MANIFEST}" in ok.stdout
    pinned = mlps("pin", str(bundle))
    assert pinned.returncode == 0, pinned.stderr
    assert snapshot(tmp_path) == before
    pins = tmp_path / "k8s.yml"
    pins.write_text(pinned.stdout, encoding="utf-8")
    against = mlps("verify", str(bundle), "--pinned", str(pins))
    assert against.returncode == 0, against.stderr


def test_a_tampered_file_is_a_mismatch_not_an_input_error(tmp_path: Path) -> None:
    bundle, entries = build(tmp_path)
    write_manifest(bundle, entries)
    (bundle / "bin" / "kubelet").write_bytes(os.urandom(128))
    result = mlps("verify", str(bundle))
    assert result.returncode == 1
    assert "bin/kubelet: sha256" in result.stderr and "does not match" in result.stderr
