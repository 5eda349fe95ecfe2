"""Run a playbook with ansible-runner and return what a caller needs: rc and per-host stats."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ansible_runner

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class PlaybookRun:
    """Outcome of one ``ansible-playbook`` run."""

    rc: int
    status: str
    stats: dict[str, dict[str, int]] = field(default_factory=dict)
    output: str = ""

    def total(self, key: str) -> int:
        """Sum of one counter (``changed``, ``failures``, ``ok``…) over all hosts."""
        return sum(host.get(key, 0) for host in self.stats.values())

    @property
    def changed(self) -> int:
        return self.total("changed")

    def changed_tasks(self) -> list[str]:
        """``host: task`` for every task that reported a change (from the run's output)."""
        found: list[str] = []
        task = ""
        for line in self.output.splitlines():
            if line.startswith("TASK ["):
                task = line[len("TASK ["):].split("]")[0]
            elif line.startswith("RUNNING HANDLER ["):
                task = "handler " + line[len("RUNNING HANDLER ["):].split("]")[0]
            elif line.startswith("changed: ["):
                found.append(f"{line[len('changed: ['):].split(']')[0]}: {task}")
        return found

    @property
    def ok(self) -> bool:
        return self.rc == 0 and self.total("failures") == 0 and self.total("dark") == 0


def run_playbook(
    playbook: str | Path,
    inventory: str | Path,
    extra_vars: dict[str, Any] | None = None,
    tags: str | None = None,
    limit: str | None = None,
    env: dict[str, str] | None = None,
    quiet: bool = True,
) -> PlaybookRun:
    """Run ``playbook`` against ``inventory`` with the project's ansible.cfg and roles."""
    bindir = str(Path(sys.executable).parent)
    envvars = {
        "ANSIBLE_CONFIG": str(PROJECT_ROOT / "ansible.cfg"),
        "ANSIBLE_ROLES_PATH": str(PROJECT_ROOT / "roles"),
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
    }
    if env:
        envvars.update(env)
    # ansible-runner turns host key checking off unless told otherwise: keep it on, always.
    envvars["ANSIBLE_HOST_KEY_CHECKING"] = "True"
    private = tempfile.mkdtemp(prefix="mlps-runner-")
    try:
        runner = ansible_runner.run(
            private_data_dir=private,
            playbook=str(Path(playbook).resolve()),
            inventory=str(Path(inventory).resolve()),
            extravars=extra_vars or {},
            tags=tags,
            limit=limit,
            envvars=envvars,
            quiet=quiet,
            project_dir=str(PROJECT_ROOT),
        )
        stdout = runner.stdout.read() if runner.stdout else ""
        raw = runner.stats or {}
        stats: dict[str, dict[str, int]] = {}
        for counter, hosts in raw.items():
            for host, count in (hosts or {}).items():
                stats.setdefault(host, {})[counter] = int(count)
        return PlaybookRun(rc=int(runner.rc), status=str(runner.status), stats=stats, output=stdout)
    finally:
        shutil.rmtree(private, ignore_errors=True)
