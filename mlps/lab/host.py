"""One lab host: an overlayfs root booted by systemd-nspawn (systemd as PID 1) in its own
cgroup and network namespace. A guest reboot (nspawn exit 133) boots it again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import uuid
from pathlib import Path

from mlps.lab import cgroups
from mlps.lab.errors import LabError
from mlps.lab.names import LabNames
from mlps.lab.proc import run, spawn, wait_for

STOP_TIMEOUT = 30.0
GUEST_ENV = [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME=/root",
    "LANG=C.UTF-8",
    "TERM=dumb",
    "USER=root",
    "LOGNAME=root",
]


def mount_root(names: LabNames, host: str, base: Path) -> Path:
    """Mount ``host``'s overlay root (base below, the host's own changes above)."""
    hdir = names.host_dir(host)
    upper, work, root = hdir / "upper", hdir / "work", names.rootfs(host)
    for d in (upper, work, root):
        d.mkdir(parents=True, exist_ok=True)
    run(
        [
            "mount",
            "-t",
            "overlay",
            "overlay",
            "-o",
            f"lowerdir={base},upperdir={upper},workdir={work}",
            str(root),
        ],
        f"mounting the root of {host}",
    )
    return root


def personalise(root: Path, host: str, hosts_file: str, pubkey: str, sources: str) -> str:
    """Write the host's identity into its root; return its SSH host public key line."""
    (root / "etc/hostname").write_text(f"{host}\n")
    (root / "etc/hosts").write_text(hosts_file)
    (root / "etc/machine-id").write_text(uuid.uuid4().hex + "\n")
    (root / "etc/apt/sources.list.d/debian.sources").write_text(sources)
    ssh_dir = root / "root/.ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    (ssh_dir / "authorized_keys").write_text(pubkey)
    os.chmod(ssh_dir / "authorized_keys", 0o600)
    key = root / "etc/ssh/ssh_host_ed25519_key"
    if not key.exists():
        run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"root@{host}", "-f", str(key)],
            f"generating the SSH host key of {host}",
        )
    return " ".join(key.with_suffix(".pub").read_text().split()[:2])


def launch(names: LabNames, host: str) -> None:
    """Boot ``host`` in the background (its launcher joins the host's cgroup first)."""
    rel = names.host_cgroup_rel(host)
    cgroups.create(rel)
    hdir = names.host_dir(host)
    nspawn = " ".join(
        [
            "systemd-nspawn",
            "--quiet",
            "--register=no",
            "--keep-unit",
            "--boot",
            f"--directory={names.rootfs(host)}",
            f"--machine={names.machine(host)}",
            f"--hostname={host}",
            f"--network-namespace-path={names.netns_path(names.host_netns(host))}",
            "--capability=CAP_NET_ADMIN",
            "--link-journal=no",
            "--resolv-conf=off",
            "--timezone=off",
            "--console=read-only",
        ]
    )
    script = hdir / "launch.sh"
    script.write_text(
        "#!/bin/sh\n"
        + cgroups.join_script(rel)
        + "export SYSTEMD_NSPAWN_API_VFS_WRITABLE=network\n"
        + "while :; do\n"
        + f"  {nspawn} &\n"
        + f"  echo $! > {hdir}/nspawn.pid\n"
        + "  wait $!; rc=$?\n"
        + '  [ "$rc" -eq 133 ] || exit "$rc"\n'
        + "done\n"
    )
    (hdir / "nspawn.pid").unlink(missing_ok=True)
    spawn(["/bin/sh", str(script)], hdir / "console.log")


def running(names: LabNames, host: str) -> bool:
    return cgroups.populated(names.host_cgroup_rel(host))


def nspawn_pid(names: LabNames, host: str) -> int:
    try:
        return int((names.host_dir(host) / "nspawn.pid").read_text())
    except (FileNotFoundError, ValueError) as exc:
        raise LabError(f"{host} is not running") from exc


def leader(names: LabNames, host: str) -> int:
    """PID (seen from the machine) of the host's init, systemd."""
    parent = nspawn_pid(names, host)
    try:
        children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    except FileNotFoundError as exc:
        raise LabError(f"{host} is not running") from exc
    if not children:
        raise LabError(f"{host} has not started its init yet")
    return int(children[0])


def stop(names: LabNames, host: str, timeout: float = STOP_TIMEOUT) -> None:
    """Clean power-off: SIGTERM to nspawn, then wait until the host's cgroup is empty."""
    rel = names.host_cgroup_rel(host)
    if not running(names, host):
        return
    with contextlib.suppress(LabError, ProcessLookupError):
        os.kill(nspawn_pid(names, host), signal.SIGTERM)
    try:
        wait_for(lambda: not running(names, host), timeout, f"{host} did not power off")
    except LabError:
        cgroups.kill(rel)


def kill(names: LabNames, host: str) -> None:
    """Power cut: every process of the host ends at once."""
    cgroups.kill(names.host_cgroup_rel(host))


def exec_in(
    names: LabNames, host: str, command: str, timeout: float, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with /bin/sh inside the host's namespaces (works without sshd)."""
    cmd = [
        "nsenter",
        "-t",
        str(leader(names, host)),
        "-m",
        "-u",
        "-i",
        "-n",
        "-p",
        "-r",
        "-w",
        "--",
        "/usr/bin/env",
        "-i",
        *GUEST_ENV,
        "/bin/sh",
        "-c",
        command,
    ]
    return run(cmd, f"{host}: {command!r}", timeout, check=False, input=input)
