"""The offline Kubernetes bundle an integrator brings into an air-gapped site, and its check.

Layout (docs/kubernetes.md)::

    BUNDLE/
      SHA256SUMS        one "<sha256>  <relative path>" line per file (sha256sum format)
      bin/kubeadm bin/kubelet bin/kubectl     official release binaries
      images/*.tar      container images as OCI archives (kubeadm config images list)
      cni/*.tgz         CNI plugins release archive

Every file of the bundle is listed in SHA256SUMS and matches its sum; nothing is fetched.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from mlps.errors import InputError

MANIFEST = "SHA256SUMS"
REQUIRED_FILES = ("bin/kubeadm", "bin/kubelet", "bin/kubectl")
REQUIRED_GLOBS = {"images/*.tar": "container images as OCI archives",
                  "cni/*.tgz": "the CNI plugins release archive"}
_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")
_CHUNK = 1 << 20


@dataclass
class BundleCheck:
    """Outcome of checking one bundle directory: files whose sum matched, and every problem."""

    directory: Path
    verified: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks (release binaries are large)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(directory: Path) -> dict[str, str]:
    """Relative path -> expected sum from DIR/SHA256SUMS; a malformed manifest is an InputError."""
    manifest = directory / MANIFEST
    if not directory.is_dir():
        raise InputError(str(directory), "not a directory", "give the bundle directory")
    if not manifest.is_file():
        raise InputError(str(manifest), "missing", "write it with: sha256sum FILES > SHA256SUMS")
    sums: dict[str, str] = {}
    for number, raw in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        match = _LINE.match(raw)
        if match is None:
            raise InputError(str(manifest), "not a sha256sum line", "use '<sha256>  <path>'",
                             where=f"line {number}")
        name = match.group(2)
        pure = PurePosixPath(name)
        if pure.is_absolute() or ".." in pure.parts or name.startswith("./"):
            raise InputError(str(manifest), f"path {name!r} leaves the bundle",
                             "list paths relative to the bundle, without ./ or ..",
                             where=f"line {number}")
        if name in sums:
            raise InputError(str(manifest), f"{name} listed twice", where=f"line {number}")
        sums[name] = match.group(1).lower()
    return sums


def _files(directory: Path) -> set[str]:
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*")
            if p.is_file() or p.is_symlink()} - {MANIFEST}


def verify_bundle(directory: Path) -> BundleCheck:
    """Check layout and every sum; problems are collected, never fixed or downloaded."""
    sums = read_manifest(directory)
    check = BundleCheck(directory)
    present = _files(directory)
    for name in REQUIRED_FILES:
        if name not in sums:
            check.problems.append(f"{name}: required, not in {MANIFEST}")
    for pattern, what in REQUIRED_GLOBS.items():
        if not any(PurePosixPath(n).match(pattern) for n in sums):
            check.problems.append(f"{pattern}: {what} required, none in {MANIFEST}")
    for name in sorted(present - set(sums)):
        check.problems.append(f"{name}: present but not in {MANIFEST}")
    for name, expected in sorted(sums.items()):
        path = directory / name
        if name not in present or path.is_symlink():
            check.problems.append(f"{name}: listed but missing (or a symbolic link)")
            continue
        actual = sha256_file(path)
        if actual != expected:
            check.problems.append(f"{name}: sha256 {actual} does not match {expected}")
        else:
            check.verified.append(name)
    return check
