"""The offline Kubernetes bundle an integrator brings into an air-gapped site, and its check.

Layout (docs/kubernetes.md)::

    BUNDLE/
      SHA256SUMS        one "<sha256>  <relative path>" line per file (sha256sum format)
      bin/kubeadm bin/kubelet bin/kubectl     official release binaries
      images/*.tar      container images as OCI archives (kubeadm config images list)
      cni/*.tgz         CNI plugins release archive

Every file of the bundle is listed in SHA256SUMS and matches its sum; nothing is fetched. A bundle
holds plain files and directories only: a symbolic link, a hard link, a device, FIFO or socket
anywhere in it, or a listed path with a control character, is unusable input (InputError).
SHA256SUMS travels with the bundle, so whoever alters the bundle can rewrite it: the sums that
count are pinned outside it (``PIN_VAR`` in the inventory's group_vars, written once by
``mlps bundle pin`` where the bundle was received from its source), and a bundle whose files or
SHA256SUMS differ from the pins is refused.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from mlps.errors import InputError
from mlps.safe_input import read_text

MANIFEST = "SHA256SUMS"
PIN_VAR = "k8s_node_bundle_sha256"
"""Role variable (relative path -> sha256) holding the pinned sums; k8s_control_plane reads it too."""
REQUIRED_FILES = ("bin/kubeadm", "bin/kubelet", "bin/kubectl")
REQUIRED_GLOBS = {"images/*.tar": "container images as OCI archives",
                  "cni/*.tgz": "the CNI plugins release archive"}
_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNPACK = "a bundle holds regular files only: unpack it again from its archive"
_CHUNK = 1 << 20
_MANIFEST_MAX = 4 * 1024 * 1024


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
    """Hex SHA-256 of a regular file (never through a link), read in chunks (binaries are large)."""
    digest = hashlib.sha256()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise InputError(str(path), f"cannot be read: {exc.strerror}", _UNPACK) from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise InputError(str(path), "is not a regular file", _UNPACK)
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _oddity(mode: int, links: int) -> str:
    """What makes a bundle entry unusable ('' for a directory or a file with one name)."""
    if stat.S_ISLNK(mode):
        return "is a symbolic link"
    if stat.S_ISDIR(mode):
        return ""
    if not stat.S_ISREG(mode):
        return "is a device, FIFO or socket, not a regular file"
    return f"is a hard link ({links} names for one file)" if links > 1 else ""


def check_members(directory: Path) -> None:
    """Refuse (InputError) a bundle holding anything but directories and files with one name:
    a link could make the check read, and the roles copy, a file from outside the bundle."""
    for top, dirs, files in os.walk(directory, followlinks=False):
        for name in sorted(dirs + files):
            path = Path(top) / name
            st = path.lstat()
            oddity = _oddity(st.st_mode, st.st_nlink)
            if oddity:
                raise InputError(str(path), oddity, _UNPACK)


def read_manifest(directory: Path) -> dict[str, str]:
    """Relative path -> expected sum from DIR/SHA256SUMS; a malformed manifest is an InputError."""
    manifest = directory / MANIFEST
    if not directory.is_dir():
        raise InputError(str(directory), "not a directory", "give the bundle directory")
    if not manifest.exists() and not manifest.is_symlink():
        raise InputError(str(manifest), "missing", "write it with: sha256sum FILES > SHA256SUMS")
    sums: dict[str, str] = {}
    text = read_text(manifest, _MANIFEST_MAX, below=directory)
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        match = _LINE.match(raw)
        if match is None:
            raise InputError(str(manifest), "not a sha256sum line", "use '<sha256>  <path>'",
                             where=f"line {number}")
        name = match.group(2)
        _relative(name, str(manifest), f"line {number}")
        if name in sums:
            raise InputError(str(manifest), f"{name} listed twice", where=f"line {number}")
        sums[name] = match.group(1).lower()
    return sums


def _files(directory: Path) -> set[str]:
    return {p.relative_to(directory).as_posix() for p in directory.rglob("*")
            if p.is_file() or p.is_symlink()} - {MANIFEST}


def read_pins(path: Path) -> dict[str, str]:
    """Pinned sums from a YAML file holding ``PIN_VAR: {relative path: sha256}`` (a group_vars file)."""
    from mlps.spec import yamlsource

    data, lines = yamlsource.parse(yamlsource.read_text(path), str(path))
    pins = data.get(PIN_VAR) if isinstance(data, dict) else None
    if not isinstance(pins, dict) or not pins:
        raise InputError(str(path), f"no {PIN_VAR} mapping",
                         f"write it with: mlps bundle pin BUNDLE > {path.name}")
    for name, value in pins.items():
        escaped = str(name).replace("~", "~0").replace("/", "~1")
        where = f"line {lines.get(f'/{PIN_VAR}/{escaped}', 0)}"
        if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
            raise InputError(str(path), f"{name!r} is not pinned to a lower-case hex SHA-256",
                             "use '<relative path>: <64 hex digits>'", where=where)
        _relative(str(name), str(path), where)
    return {str(k): str(v) for k, v in pins.items()}


def _relative(name: str, origin: str, where: str) -> None:
    if _CONTROL.search(name):
        raise InputError(origin, f"path {name!r} holds a control character",
                         "list plain relative paths, one per line", where=where)
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or name.startswith("./"):
        raise InputError(origin, f"path {name!r} leaves the bundle",
                         "list paths relative to the bundle, without ./ or ..", where=where)


def pin_text(sums: dict[str, str]) -> str:
    """The group_vars YAML pinning ``sums`` (sorted, one line per file)."""
    rows = "".join(f'  "{name}": {digest}\n' for name, digest in sorted(sums.items()))
    return f"{PIN_VAR}:\n{rows}"


def _check_pins(check: BundleCheck, sums: dict[str, str], pinned: dict[str, str]) -> None:
    for name in sorted(set(sums) | set(pinned)):
        if name not in pinned:
            check.problems.append(f"{name}: in {MANIFEST} but not pinned in {PIN_VAR}")
        elif sums.get(name) != pinned[name]:
            check.problems.append(f"{name}: {MANIFEST} says {sums.get(name, 'nothing')}, "
                                  f"{PIN_VAR} pins {pinned[name]}")


def verify_bundle(directory: Path, pinned: dict[str, str] | None = None) -> BundleCheck:
    """Check layout and every sum; problems are collected, never fixed or downloaded.

    With ``pinned`` (sums kept outside the bundle) the files are checked against the pins, and
    SHA256SUMS must list exactly the pinned files and sums.
    """
    sums = read_manifest(directory)
    check_members(directory)
    check = BundleCheck(directory)
    if pinned is not None:
        _check_pins(check, sums, pinned)
        sums = {**sums, **pinned}
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
