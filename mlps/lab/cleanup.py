"""Remove everything a lab made, found from the machine itself (not from its saved state),
so it also works after a crash: processes, mounts, network namespaces, cgroups, state.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from mlps.lab import cgroups, net
from mlps.lab.errors import LabError
from mlps.lab.names import LabNames
from mlps.lab.proc import run, wait_for

TIMEOUT = 30.0


def leftovers(names: LabNames) -> list[str]:
    """What of this lab still exists on the machine (empty when it is fully gone)."""
    found = [f"netns {ns}" for ns in net.owned_netns(names)]
    found += [f"mount {m}" for m in mounts(names)]
    found += [f"process {p}" for p in processes(names)]
    for root in cgroups.hierarchies():
        if (root / names.cgroup_rel).exists():
            found.append(f"cgroup {root / names.cgroup_rel}")
    if names.state_dir.exists():
        found.append(f"state {names.state_dir}")
    return found


def mounts(names: LabNames) -> list[str]:
    """Mount points under the lab's state directory, deepest first."""
    top = str(names.state_dir) + "/"
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if point.startswith(top):
            points.append(point)
    return sorted(points, key=len, reverse=True)


def _netns_ids(names: LabNames) -> set[tuple[int, int]]:
    ids = set()
    for ns in net.owned_netns(names):
        try:
            st = os.stat(names.netns_path(ns))
            ids.add((st.st_dev, st.st_ino))
        except OSError:
            continue
    return ids


def processes(names: LabNames) -> list[int]:
    """Processes in the lab's cgroups or in one of its network namespaces."""
    found = set(cgroups.pids(names.cgroup_rel))
    ids = _netns_ids(names)
    if ids:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                st = os.stat(entry / "ns/net")
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in ids:
                found.add(int(entry.name))
    found.discard(os.getpid())
    return sorted(found)


def _kill_all(names: LabNames) -> None:
    for root in cgroups.hierarchies():
        top = root / names.cgroup_rel
        if top.exists() and root == cgroups.v2_root():
            cgroups.kill(names.cgroup_rel, TIMEOUT)
    for pid in processes(names):
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            continue
    wait_for(lambda: not processes(names), TIMEOUT, f"processes of lab {names.lab} did not end")


def destroy(names: LabNames) -> None:
    """Tear the lab down completely; raise LabError if something would not go."""
    _kill_all(names)
    for point in mounts(names):
        if run(["umount", point], f"unmounting {point}", check=False).returncode != 0:
            run(["umount", "-l", point], f"unmounting {point}")
    for ns in net.owned_netns(names):
        net.delete(ns)
    cgroups.remove(names.cgroup_rel)  # the shared parent (mlps-lab/) stays for other labs
    if names.state_dir.exists():
        shutil.rmtree(names.state_dir)
    left = leftovers(names)
    if left:
        raise LabError(f"lab {names.lab} could not be removed completely: {', '.join(left)}")
