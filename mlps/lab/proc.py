"""Running the system tools the lab is made of, with bounded time and one-line errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from mlps.lab.errors import LabError, LabUnavailable

# tool -> Debian package that provides it
TOOLS = {
    "debootstrap": "debootstrap",
    "systemd-nspawn": "systemd-container",
    "socat": "socat",
    "nft": "nftables",
    "ip": "iproute2",
    "zstd": "zstd",
    "ssh-keygen": "openssh-client",
    "ssh": "openssh-client",
    "nsenter": "util-linux",
}


def preflight() -> None:
    """Raise LabUnavailable with the precise reason if the lab cannot run here."""
    if os.geteuid() != 0:
        raise LabUnavailable("mlps lab needs root (network namespaces, mounts, cgroups)")
    missing = sorted({pkg for tool, pkg in TOOLS.items() if shutil.which(tool) is None})
    if missing:
        raise LabUnavailable(
            f"mlps lab needs these Debian packages: {' '.join(missing)} "
            f"(apt-get install {' '.join(missing)}, or run scripts/bootstrap)"
        )
    if (
        not Path("/sys/fs/cgroup/unified/cgroup.procs").exists()
        and not Path("/sys/fs/cgroup/cgroup.procs").exists()
    ):
        raise LabUnavailable("mlps lab needs a cgroup v2 hierarchy (none is mounted)")


# Every systemd in a container takes several inotify instances, all counted against root:
# the default limit (128) stops the boot of the tenth host or so ("Failed to allocate
# manager object"). Raised, never lowered, as container hosts commonly do.
MACHINE_LIMITS = {
    "fs/inotify/max_user_instances": 8192,
    "fs/inotify/max_user_watches": 524288,
}


def raise_machine_limits(log: list[str]) -> None:
    """Raise the machine's limits that many booted containers need (never lowers them)."""
    for key, wanted in MACHINE_LIMITS.items():
        path = Path("/proc/sys") / key
        current = int(path.read_text())
        if current < wanted:
            path.write_text(str(wanted))
            log.append(f"raised {key.replace('/', '.')} from {current} to {wanted}")


def run(
    cmd: list[str],
    what: str,
    timeout: float = 30,
    check: bool = True,
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``cmd``; on failure (if ``check``) or time-out raise LabError naming ``what``."""
    try:
        proc = subprocess.run(  # noqa: S603  lab tools with lab-made names, argv without a shell
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"{what}: no answer within {timeout:g} s ({' '.join(cmd[:4])}…)") from exc
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().replace("\n", " | ")[-400:]
        raise LabError(f"{what} failed (exit {proc.returncode}): {detail}")
    return proc


def wait_for(test: Callable[[], bool], timeout: float, what: str, step: float = 0.1) -> None:
    """Poll ``test`` until true; raise LabError saying ``what`` did not happen in time."""
    deadline = time.monotonic() + timeout
    while not test():
        if time.monotonic() > deadline:
            raise LabError(f"{what} within {timeout:g} s")
        time.sleep(step)


def spawn(cmd: list[str], log: Path) -> None:
    """Start ``cmd`` detached (own session, not our child), its output to ``log``, not ours."""
    with open(log, "ab") as out:
        subprocess.run(  # noqa: S603  argv without a shell, as every lab command
            ["setsid", "--fork", *cmd],  # noqa: S607  util-linux on root's PATH (preflight checks)
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=10,
        )
