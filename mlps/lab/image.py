"""The base root file system: built once with debootstrap, cached as a zstd tarball.

The cache file is keyed by a hash of the recipe (suite, packages, mirror, preparation
steps), so a changed recipe builds a new base; an unchanged one is restored in seconds.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import time
from pathlib import Path

from mlps.lab.errors import LabError
from mlps.lab.mirror import AptSources, render_deb822
from mlps.lab.names import BASE_ROOT, CACHE_ROOT

SUITE = "bookworm"
PACKAGES = (
    "systemd",
    "systemd-sysv",
    "dbus",
    "openssh-server",
    "python3",
    "python3-apt",
    "iproute2",
    "iputils-ping",
    "sudo",
    "ca-certificates",
    "procps",  # sysctl and ps: Ansible's sysctl module and most roles' checks
    "nftables",  # every host's firewall (baseline) and link tests
)
MASKED_UNITS = ("apt-daily.timer", "apt-daily-upgrade.timer")
PREPARE_VERSION = 1  # bump when _prepare changes
BUILD_TIMEOUT = 900


def recipe(sources: AptSources) -> dict[str, object]:
    """Everything the base depends on; its hash names the cache file."""
    return {
        "suite": SUITE,
        "variant": "minbase",
        "packages": list(PACKAGES),
        "mirror": sources.main_mirror(SUITE),
        "sources": render_deb822(sources.for_suite(SUITE)),
        "masked": list(MASKED_UNITS),
        "prepare": PREPARE_VERSION,
    }


def recipe_key(sources: AptSources) -> str:
    data = json.dumps(recipe(sources), sort_keys=True).encode()
    return hashlib.sha256(data).hexdigest()[:16]


def tarball_path(key: str) -> Path:
    return CACHE_ROOT / f"base-{SUITE}-{key}.tar.zst"


def base_rootfs(sources: AptSources, log: list[str] | None = None) -> Path:
    """Path of the ready base root (read-only lower layer), restoring or building it first."""
    key = recipe_key(sources)
    top = BASE_ROOT
    top.mkdir(parents=True, exist_ok=True)
    root = top / key
    ready = root / ".ready"
    with open(top / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready.exists():
            return root / "rootfs"
        if root.exists():
            shutil.rmtree(root)
        tmp = top / f"{key}.tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        tarball = tarball_path(key)
        start = time.monotonic()
        if tarball.exists():
            _restore(tarball, tmp / "rootfs")
            what = "restored from"
        else:
            _build(sources, tmp / "rootfs")
            _save(tmp / "rootfs", tarball)
            what = "built and cached as"
        (tmp / ".ready").write_text(f"{tarball}\n")
        tmp.rename(root)
        if log is not None:
            log.append(f"base {what} {tarball} in {time.monotonic() - start:.1f} s")
    return root / "rootfs"


def _run(cmd: list[str], what: str, timeout: int = BUILD_TIMEOUT) -> None:
    try:
        proc = subprocess.run(  # noqa: S603  fixed build tools and paths, argv without a shell
            cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"{what} did not finish within {timeout} s") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise LabError(f"{what} failed (exit {proc.returncode}): {' | '.join(tail)}")


def _build(sources: AptSources, rootfs: Path) -> None:
    debs = CACHE_ROOT / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    _run(
        [
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(PACKAGES)}",
            f"--cache-dir={debs}",
            SUITE,
            str(rootfs),
            sources.main_mirror(SUITE),
        ],
        "debootstrap of the base image",
    )
    _prepare(sources, rootfs)


def _prepare(sources: AptSources, rootfs: Path) -> None:
    """Make the root neutral: no host keys, no machine id, apt pointed at the machine's mirror."""
    for key in (rootfs / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    (rootfs / "etc/machine-id").write_text("")
    dbus_id = rootfs / "var/lib/dbus/machine-id"
    if dbus_id.is_file() and not dbus_id.is_symlink():
        dbus_id.unlink()
    for name in ("etc/hostname", "etc/apt/sources.list"):
        (rootfs / name).unlink(missing_ok=True)
    (rootfs / "etc/apt/sources.list.d").mkdir(parents=True, exist_ok=True)
    (rootfs / "etc/apt/sources.list.d/debian.sources").write_text(render_deb822(sources.for_suite(SUITE)))
    (rootfs / "etc/resolv.conf").unlink(missing_ok=True)
    (rootfs / "etc/resolv.conf").write_text("# lab host: no DNS; mirror names are in /etc/hosts\n")
    for unit in MASKED_UNITS:
        link = rootfs / "etc/systemd/system" / unit
        link.unlink(missing_ok=True)
        link.symlink_to("/dev/null")
    for deb in (rootfs / "var/cache/apt/archives").glob("*.deb"):
        deb.unlink()


def _save(rootfs: Path, tarball: Path) -> None:
    tarball.parent.mkdir(parents=True, exist_ok=True)
    part = tarball.with_suffix(".part")
    _run(
        ["tar", "--zstd", "--numeric-owner", "--xattrs", "-C", str(rootfs), "-cf", str(part), "."],
        "saving the base image",
    )
    part.rename(tarball)


def _restore(tarball: Path, rootfs: Path) -> None:
    rootfs.mkdir(parents=True)
    _run(
        ["tar", "--zstd", "--numeric-owner", "--xattrs", "-C", str(rootfs), "-xpf", str(tarball)],
        f"restoring {tarball}",
    )
