"""Names and paths of everything a lab creates; all of them carry the lab's name as prefix."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from mlps.errors import InputError

LAB_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
HOST_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")

STATE_ROOT = Path("/var/lib/mlps/lab")
# Lab names contain no '_': these two never meet a lab's state directory.
BASE_ROOT = STATE_ROOT / "_base"
CLAIM_ROOT = STATE_ROOT / "_claims"
CACHE_ROOT = Path("/var/cache/mlps/lab")
NETNS_DIR = Path("/run/netns")
CGROUP_V1 = Path("/sys/fs/cgroup/systemd")
CGROUP_V2 = Path("/sys/fs/cgroup/unified")
CGROUP_TOP = "mlps-lab"


def check_lab_name(name: str) -> str:
    """Return ``name`` if it can prefix namespaces, cgroups and paths, else raise InputError."""
    if not LAB_NAME_RE.match(name):
        raise InputError(
            None,
            f"lab name {name!r} is not usable",
            "use 1-31 lower-case letters, digits or '-', starting with a letter",
        )
    return name


def check_host_name(name: str, file: str | None = None, where: str = "") -> str:
    """Return ``name`` if it is a valid lab host name (a DNS label), else raise InputError."""
    if not isinstance(name, str) or not HOST_NAME_RE.match(name):
        raise InputError(
            file,
            f"host name {name!r} is not usable",
            "use 1-31 lower-case letters, digits or '-', starting with a letter",
            where,
        )
    return name


@dataclass(frozen=True)
class LabNames:
    """Every name and path of one lab. Host names contain no '_', so '_' separates safely."""

    lab: str

    @property
    def state_dir(self) -> Path:
        return STATE_ROOT / self.lab

    @property
    def claim_path(self) -> Path:
        """The file a process locks while the lab is its own (``mlps.lab.claim``)."""
        return CLAIM_ROOT / f"{self.lab}.lock"

    @property
    def lab_netns(self) -> str:
        return f"{self.lab}_lab"

    def host_netns(self, host: str) -> str:
        return f"{self.lab}_h_{host}"

    def machine(self, host: str) -> str:
        return f"{self.lab}-{host}"

    def netns_path(self, netns: str) -> Path:
        return NETNS_DIR / netns

    def owns_netns(self, netns: str) -> bool:
        """True for the lab namespace and every host namespace of this lab."""
        return netns == self.lab_netns or netns.startswith(f"{self.lab}_h_")

    @property
    def cgroup_rel(self) -> str:
        """The lab's cgroup, relative to a hierarchy root (the same in v1 and v2)."""
        return f"{CGROUP_TOP}/{self.lab}"

    def host_cgroup_rel(self, host: str) -> str:
        return f"{self.cgroup_rel}/{host}"

    @property
    def relay_cgroup_rel(self) -> str:
        return f"{self.cgroup_rel}/_relay"

    def host_dir(self, host: str) -> Path:
        return self.state_dir / "hosts" / host

    def rootfs(self, host: str) -> Path:
        return self.host_dir(host) / "rootfs"
