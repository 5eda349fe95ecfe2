"""Run one of the baseline role's modules on this machine by real Ansible (ad hoc, connection
local) and return its result: shared by test_baseline_lines.py and test_baseline_paths.py.
The modules run under their shebang's /usr/bin/python3, as on the hosts."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "roles" / "baseline" / "library"


def load(name: str) -> ModuleType:
    """The module's code imported, to test its functions without Ansible."""
    return load_path(LIBRARY / f"{name}.py", name)


def load_utils(name: str) -> ModuleType:
    """A module_utils file of the baseline role imported as ``ansible.module_utils.<name>``, the
    name under which the others import it (load the ones it imports first)."""
    utils = ROOT / "roles" / "baseline" / "module_utils"
    return load_path(utils / f"{name}.py", f"ansible.module_utils.{name}", register=True)


def load_path(path: Path, name: str, register: bool = False) -> ModuleType:
    """The Python file at ``path`` imported as ``name`` (a role's module or module_utils), put in
    ``sys.modules`` under that name when ``register`` is true."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    if register:
        sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def descendants(pid: int) -> list[int]:
    """The processes started by pid and by them (Ansible's workers start sessions of their own)."""
    children: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            parent = int(status.read_text().rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(status.parent.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def run_local(module: str, args: dict[str, Any], check: bool = False,
              timeout: float = 120) -> dict[str, Any]:
    """The module's result (changed, failed, msg, diff…) from `ansible localhost -m MODULE`.

    After timeout seconds the run and every process it started are killed and TimeoutExpired raised."""
    bindir = Path(sys.executable).parent
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_LIBRARY": str(LIBRARY),
           "ANSIBLE_STDOUT_CALLBACK": "json", "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
           "ANSIBLE_NOCOLOR": "1", "PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    command = [str(bindir / "ansible"), "localhost", "-i", "localhost,", "-c", "local", "-m", module,
               "-a", json.dumps(args), "--diff", *(["--check"] if check else [])]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=env) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            for pid in [proc.pid, *descendants(proc.pid)]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            proc.communicate()
            raise
    try:
        result: dict[str, Any] = json.loads(out)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError) as exc:
        raise AssertionError(f"no module result (rc {proc.returncode}): {out[-2000:]}{err[-2000:]}") from exc
    return result
