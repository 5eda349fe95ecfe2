"""The lab's cgroups: one per host and one for the relay, in both hierarchies of this machine."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from mlps.lab.names import CGROUP_V1, CGROUP_V2
from mlps.lab.proc import wait_for


def v2_root() -> Path:
    """The cgroup v2 mount: the ``unified`` one on a hybrid machine, else /sys/fs/cgroup."""
    return CGROUP_V2 if (CGROUP_V2 / "cgroup.procs").exists() else Path("/sys/fs/cgroup")


def hierarchies() -> list[Path]:
    roots = [v2_root()]
    if (CGROUP_V1 / "cgroup.procs").exists():
        roots.append(CGROUP_V1)
    return roots


def create(rel: str) -> None:
    for root in hierarchies():
        (root / rel).mkdir(parents=True, exist_ok=True)


def join_script(rel: str) -> str:
    """Shell lines that move the running shell into ``rel`` in every hierarchy."""
    return "".join(f"echo $$ > {root / rel}/cgroup.procs\n" for root in hierarchies())


def populated(rel: str) -> bool:
    events = v2_root() / rel / "cgroup.events"
    try:
        return "populated 1" in events.read_text()
    except FileNotFoundError:
        return False


def pids(rel: str) -> list[int]:
    """Every process in ``rel`` and below (v2 hierarchy)."""
    found: list[int] = []
    top = v2_root() / rel
    if not top.exists():
        return found
    for dirpath, _dirs, _files in os.walk(top):
        try:
            found += [int(p) for p in Path(dirpath, "cgroup.procs").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def kill(rel: str, timeout: float = 20) -> None:
    """Kill every process in ``rel`` at once (a power cut) and wait until it is empty."""
    top = v2_root() / rel
    if not top.exists():
        return
    if (top / "cgroup.kill").exists():
        (top / "cgroup.kill").write_text("1")
    else:
        for pid in pids(rel):
            _signal(pid)
    wait_for(lambda: not populated(rel), timeout, f"processes of cgroup {rel} did not end")


def remove(rel: str) -> None:
    """Remove ``rel`` and its children (deepest first) in every hierarchy."""
    for root in hierarchies():
        top = root / rel
        if not top.exists():
            continue
        for dirpath, _dirs, _files in sorted(os.walk(top), key=lambda w: -len(w[0])):
            try:
                os.rmdir(dirpath)
            except FileNotFoundError:
                continue


def _signal(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, 9)
